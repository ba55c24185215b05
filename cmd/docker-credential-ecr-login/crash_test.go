//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// TestCrashSafetyUnderSIGKILL runs many gets against one cache directory,
// several at a time, and SIGKILLs half of them at a random moment, so that
// kills land while a process waits for a lock, talks to ECR, or writes the
// cache. After every kill and at the end the cache file must be a complete
// version 1 file whose every entry is whole, and no successful token may be
// lost.
//
// Four identities (access key ids) and two regions make eight keys. To keep
// processes fetching and writing instead of answering from the cache after
// the first few gets, every 16 consecutive gets form a generation with its
// own endpoint (AWS_ENDPOINT_URL_ECR=FAKE/gen-N, which is part of the cache
// key); each generation's fake issues passwords naming access key, region
// and generation, so every entry on disk says which get wrote it.
func TestCrashSafetyUnderSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 1000 helper processes under SIGKILL take about a minute; make test runs it")
	}
	const (
		total   = 1000
		workers = 8
		genSize = 16
		budget  = 60 * time.Second
	)
	identities := []string{"AKIDCRASHTEST001", "AKIDCRASHTEST002", "AKIDCRASHTEST003", "AKIDCRASHTEST004"}
	regions := []string{"us-east-1", "eu-west-1"}
	gens := total/genSize + 2 // the last one is for the cleanup check
	fakes := make([]*ecrtest.Fake, gens)
	for g := range fakes {
		fakes[g] = ecrtest.New(ecrtest.WithPasswordFunc(func(c ecrtest.Call) string {
			return fmt.Sprintf("pw-%s-%s-g%d", c.AccessKeyID, c.Region, g)
		}))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var g int
		if _, err := fmt.Sscanf(r.URL.Path, "/gen-%d", &g); err != nil || g < 0 || g >= gens {
			http.NotFound(w, r)
			return
		}
		// A small random stall, so that kills land mid-fetch.
		time.Sleep(time.Duration(rand.IntN(21)) * time.Millisecond)
		fakes[g].ServeHTTP(w, r)
	}))
	defer srv.Close()

	base := baseEnv(t, srv.URL)
	base["AWS_ECR_TIMEOUT"] = "20s"
	dir := base["AWS_ECR_CACHE_DIR"]
	cacheFile := filepath.Join(dir, cache.FileName)

	type key struct {
		akid, region string
		gen          int
	}
	password := func(k key) string { return fmt.Sprintf("pw-%s-%s-g%d", k.akid, k.region, k.gen) }
	keyOf := func(i int) key { return key{identities[i%4], regions[(i/4)%2], i / genSize} }
	envOf := func(k key) []string {
		var env []string
		for kk, v := range base {
			switch kk {
			case "AWS_ACCESS_KEY_ID", "AWS_ENDPOINT_URL_ECR":
				continue
			}
			env = append(env, kk+"="+v)
		}
		return append(env, "AWS_ACCESS_KEY_ID="+k.akid, fmt.Sprintf("AWS_ENDPOINT_URL_ECR=%s/gen-%d", srv.URL, k.gen))
	}
	hostOf := func(k key) string { return "123456789012.dkr.ecr." + k.region + ".amazonaws.com" }

	var (
		mu        sync.Mutex
		succeeded = map[key]bool{}
		killed    int
		completed int
		failures  int
		checks    int
	)
	checkFile := func(when string) {
		if err := checkCrashCacheFile(cacheFile); err != nil {
			mu.Lock()
			failures++
			mu.Unlock()
			t.Errorf("%s: %v", when, err)
		}
		mu.Lock()
		checks++
		mu.Unlock()
	}

	start := time.Now()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				k := keyOf(i)
				cmd := exec.Command(helperBin, "get")
				cmd.Env = envOf(k)
				cmd.Stdin = strings.NewReader(hostOf(k))
				var out, errb bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errb
				if err := cmd.Start(); err != nil {
					t.Errorf("get %d: %v", i, err)
					continue
				}
				var timer *time.Timer
				if rand.IntN(2) == 0 {
					// The os package keeps a signal sent after Wait from
					// reaching another process.
					timer = time.AfterFunc(time.Duration(rand.IntN(31))*time.Millisecond, func() {
						_ = cmd.Process.Signal(syscall.SIGKILL)
					})
				}
				err := cmd.Wait()
				if timer != nil {
					timer.Stop()
				}
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
						mu.Lock()
						killed++
						mu.Unlock()
						checkFile(fmt.Sprintf("after killing get %d", i))
						continue
					}
				}
				var a answer
				if err != nil || json.Unmarshal(out.Bytes(), &a) != nil || a.Secret != password(k) {
					mu.Lock()
					failures++
					mu.Unlock()
					t.Errorf("get %d (%+v) was not killed but failed: %v\nstdout=%s\nstderr=%s", i, k, err, out.String(), errb.String())
					continue
				}
				if strings.Contains(errb.String(), "warn") || strings.Contains(errb.String(), "error") {
					t.Errorf("get %d: unexpected diagnostics: %s", i, errb.String())
				}
				mu.Lock()
				succeeded[k] = true
				completed++
				mu.Unlock()
			}
		}()
	}
	ran := 0
	for i := 0; i < total; i++ {
		mu.Lock()
		bad := failures
		mu.Unlock()
		if time.Since(start) > budget || bad > 10 {
			break
		}
		jobs <- i
		ran++
	}
	close(jobs)
	wg.Wait()
	took := time.Since(start)
	// The time bound wins over the count on a slow or loaded machine, but
	// too few gets would prove little.
	if ran < total {
		t.Logf("the %s budget ran out after %d of %d gets", budget, ran, total)
	}
	if ran < total/4 {
		t.Errorf("only %d of %d gets ran within %s", ran, total, budget)
	}

	checkFile("at the end")
	data, err := os.ReadFile(cacheFile)
	if err != nil {
		t.Fatalf("no cache file after %d successful gets: %v", completed, err)
	}
	f, err := cache.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, e := range f.Entries {
		have[e.Password] = true
	}
	lost := 0
	for k := range succeeded {
		if !have[password(k)] {
			lost++
			t.Errorf("the token of a successful get (%+v) is not in the cache", k)
		}
	}
	strays := tempFiles(t, dir)
	locks, _ := filepath.Glob(filepath.Join(dir, "ecr-login-fetch-*.lock"))
	t.Logf("%d gets in %s: %d completed, %d killed (%d file checks); %d keys succeeded, %d entries on disk, %d lost; %d stray temp files, %d fetch lock files",
		ran, took.Round(time.Millisecond), completed, killed, checks, len(succeeded), len(f.Entries), lost, len(strays), len(locks))
	if len(strays) > killed {
		t.Errorf("%d temp files left, more than the %d killed processes could leave: %v", len(strays), killed, strays)
	}

	// Temp files left by killed writers are removed by a later write once
	// they are a minute old; a young one (a writer that may still be alive)
	// is left alone.
	old := time.Now().Add(-2 * time.Minute)
	planted := filepath.Join(dir, "."+cache.FileName+".planted.tmp")
	if err := os.WriteFile(planted, []byte(`{"version":1,"entries":{`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range append(strays, planted) {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	young := filepath.Join(dir, "."+cache.FileName+".young.tmp")
	if err := os.WriteFile(young, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	k := key{identities[0], regions[0], gens - 1}
	r := invoke(t, invocation{args: []string{"get"}, env: envMap(envOf(k)), stdin: []byte(hostOf(k))})
	if a := mustAnswer(t, r); a.Secret != password(k) {
		t.Fatalf("final get: %+v", a)
	}
	if left := tempFiles(t, dir); len(left) != 1 || left[0] != young {
		t.Errorf("after a write, temp files %v remain; want only the young one %s", left, young)
	}
	if err := checkCrashCacheFile(cacheFile); err != nil {
		t.Error(err)
	}
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// tempFiles lists the cache writer's temp files in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "."+cache.FileName+".") && strings.HasSuffix(e.Name(), ".tmp") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

var crashPassword = regexp.MustCompile(`^pw-(AKIDCRASHTEST00[1-4])-([a-z0-9-]+)-g([0-9]+)$`)

// checkCrashCacheFile checks the cache file, if there is one: version 1,
// strict JSON, every entry complete and naming the key it was issued for,
// and the product's own decoder keeping every entry.
func checkCrashCacheFile(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	// The product's own entry type, decoded strictly: a field it does not
	// know fails.
	var f cache.File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("cache file does not parse (%v): %.200q", err, data)
	}
	if f.Version != 1 {
		return fmt.Errorf("cache file has version %d", f.Version)
	}
	for k, e := range f.Entries {
		raw, _ := json.Marshal(e)
		m := crashPassword.FindStringSubmatch(e.Password)
		switch {
		case e.Service != "ecr" || e.IdentityID == "" || e.Username != "AWS" || e.Endpoint == "":
			return fmt.Errorf("entry %q is incomplete: %s", k, raw)
		case e.RequestedAt.IsZero() || !e.ExpiresAt.After(e.RequestedAt):
			return fmt.Errorf("entry %q has bad times: %s", k, raw)
		case m == nil || m[2] != e.Region:
			return fmt.Errorf("entry %q holds a password not issued for its region: %s", k, raw)
		}
	}
	cf, err := cache.Decode(data)
	if err != nil || len(cf.Entries) != len(f.Entries) {
		return fmt.Errorf("cache.Decode keeps %d of %d entries (%v)", len(cf.Entries), len(f.Entries), err)
	}
	return nil
}
