// Command fleet simulates a fleet of nodes whose caches are all cold at the
// same moment (a new AMI rolled out, a cache wiped, a region failover) and
// asks ECR for a token at once: the thundering herd against
// GetAuthorizationToken's quota.
//
// It builds docker-credential-ecr-login into a temporary directory, starts a
// fake ECR on 127.0.0.1 with ECR's documented quota for the call
// (ecrtest.GetAuthorizationTokenRate requests per second, burst
// ecrtest.GetAuthorizationTokenBurst), then starts -n helper processes
// together, each one a node: its own cache directory, its own static access
// key id (so no two share a token or a lock), AWS_ECR_TIMEOUT=-timeout. It
// reports how many got a token, when the last one did, the API calls and
// throttled calls ECR saw, how many attempts each process needed, and the
// per-process latency distribution.
//
// Every child gets an explicit environment and nothing else: static keys,
// AWS_EC2_METADATA_DISABLED=true, empty shared config files, and the ECR, ECR
// Public and STS endpoints at the fake, so only loopback is contacted.
//
// The exit code is 1 unless every process got a valid token within -timeout.
//
// Run it from the repository root: `make fleet` or `go run ./e2e/fleet`.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

const (
	registryHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	helperPkg    = "./cmd/docker-credential-ecr-login"
	helperName   = "docker-credential-ecr-login"
)

var (
	flagN       = flag.Int("n", 500, "helper processes (nodes) started together")
	flagTimeout = flag.Duration("timeout", 60*time.Second, "AWS_ECR_TIMEOUT of every helper, and the time by which all must have succeeded")
	flagSpawn   = flag.Int("spawn", 0, "at most this many helpers running at once (0: all -n together)")
	flagRate    = flag.Float64("rate", ecrtest.GetAuthorizationTokenRate, "fake ECR quota: GetAuthorizationToken calls per second")
	flagBurst   = flag.Int("burst", ecrtest.GetAuthorizationTokenBurst, "fake ECR quota: burst")
	flagEnv     = flag.String("env", "", "extra K=V,K=V for every helper (e.g. AWS_NEW_RETRIES_2026=true)")
	flagBin     = flag.String("bin", "", "use this helper binary instead of building one")
	flagVerbose = flag.Bool("v", false, "print the calls ECR saw per second")
)

func main() {
	flag.Parse()
	if *flagN < 1 || *flagTimeout <= 0 || *flagSpawn < 0 {
		fmt.Fprintln(os.Stderr, "fleet: -n and -timeout must be positive, -spawn not negative")
		os.Exit(2)
	}
	ok, err := run()
	if err != nil {
		fmt.Fprintf(os.Stderr, "fleet: %v\n", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// result is one helper process.
type result struct {
	node     int
	start    time.Time // just before Start
	end      time.Time // Wait returned
	ok       bool      // exit 0 with the fake's token
	problem  string    // why not ok
	attempts int       // GetAuthorizationToken calls ECR saw with this node's key
}

func (r result) latency() time.Duration { return r.end.Sub(r.start) }

func run() (bool, error) {
	root, err := repoRoot()
	if err != nil {
		return false, err
	}
	work, err := os.MkdirTemp("", "ecr-login-fleet-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(work)

	bin := *flagBin
	if bin == "" {
		if bin, err = build(root, work); err != nil {
			return false, err
		}
	}

	fake := ecrtest.NewServer(ecrtest.WithRateLimit(*flagRate, *flagBurst))
	defer fake.Close()

	empty := filepath.Join(work, "empty-aws-file")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		return false, err
	}
	var extra []string
	if *flagEnv != "" {
		extra = strings.Split(*flagEnv, ",")
	}
	stdin := filepath.Join(work, "stdin")
	if err := os.WriteFile(stdin, []byte(registryHost+"\n"), 0o600); err != nil {
		return false, err
	}
	cmds := make([]*exec.Cmd, *flagN)
	// Children are killed (only these, by the context) if anything hangs
	// past the helper's own deadline plus a margin.
	ctx, cancel := context.WithTimeout(context.Background(), *flagTimeout+20*time.Second)
	defer cancel()
	for i := range cmds {
		node := filepath.Join(work, fmt.Sprintf("node-%04d", i))
		if err := os.MkdirAll(filepath.Join(node, "home"), 0o700); err != nil {
			return false, err
		}
		cmd := exec.CommandContext(ctx, bin, "get")
		cmd.Env = append([]string{
			"HOME=" + filepath.Join(node, "home"),
			"AWS_ACCESS_KEY_ID=" + keyID(i),
			"AWS_SECRET_ACCESS_KEY=fleet-secret-not-real",
			"AWS_EC2_METADATA_DISABLED=true",
			"AWS_ENDPOINT_URL_ECR=" + fake.URL(),
			"AWS_ENDPOINT_URL_ECR_PUBLIC=" + fake.URL(),
			"AWS_ENDPOINT_URL_STS=" + fake.URL(),
			"AWS_CONFIG_FILE=" + empty,
			"AWS_SHARED_CREDENTIALS_FILE=" + empty,
			"AWS_ECR_CACHE_DIR=" + filepath.Join(node, "cache"),
			"AWS_ECR_TIMEOUT=" + flagTimeout.String(),
		}, extra...)
		cmds[i] = cmd
	}

	fmt.Printf("fleet: %d nodes, one helper process each, all cold; fake ECR quota %g/s burst %d; AWS_ECR_TIMEOUT=%s; %d cores\n",
		*flagN, *flagRate, *flagBurst, *flagTimeout, runtime.NumCPU())
	results := make([]result, len(cmds))
	var slots chan struct{}
	if *flagSpawn > 0 {
		slots = make(chan struct{}, *flagSpawn)
	}
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			if slots != nil {
				slots <- struct{}{}
				defer func() { <-slots }()
			}
			results[i] = runOne(i, cmd, stdin, filepath.Dir(cmd.Env[0][len("HOME="):]), fake.Password())
		}()
	}
	t0 := time.Now()
	close(gate)
	wg.Wait()
	wall := time.Since(t0)

	// Attempts per node, from what ECR saw.
	calls := fake.Calls()
	perKey := map[string]int{}
	for _, c := range calls {
		perKey[c.AccessKeyID]++
	}
	for i := range results {
		results[i].attempts = perKey[keyID(results[i].node)]
	}
	report(t0, wall, results, calls, fake.Throttled())
	if *flagVerbose {
		timeline(t0, calls)
	}

	okCount, lastOK := 0, time.Duration(0)
	for _, r := range results {
		if r.ok {
			okCount++
			lastOK = max(lastOK, r.end.Sub(t0))
		}
	}
	if okCount != len(results) {
		fmt.Printf("\nFAIL: %d of %d helpers did not get a token\n", len(results)-okCount, len(results))
		failures(results)
		return false, nil
	}
	if lastOK > *flagTimeout {
		fmt.Printf("\nFAIL: the last helper succeeded after %s, more than %s\n", lastOK.Round(time.Millisecond), *flagTimeout)
		return false, nil
	}
	return true, nil
}

func keyID(node int) string { return fmt.Sprintf("AKIDFLEET%011d", node) }

// runOne runs one helper and checks its answer. The child's stdin, stdout
// and stderr are files, not pipes: with hundreds of children on two cores the
// parent's pipe-copying goroutines could lag behind the children's exits.
func runOne(node int, cmd *exec.Cmd, stdinPath, dir, password string) result {
	r := result{node: node}
	files := make([]*os.File, 3)
	for i, name := range []string{stdinPath, filepath.Join(dir, "stdout"), filepath.Join(dir, "stderr")} {
		var err error
		if i == 0 {
			files[i], err = os.Open(name)
		} else {
			files[i], err = os.Create(name)
		}
		if err != nil {
			r.problem = err.Error()
			return r
		}
		defer files[i].Close()
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = files[0], files[1], files[2]
	r.start = time.Now()
	err := cmd.Run()
	r.end = time.Now()
	stdout, _ := os.ReadFile(files[1].Name())
	stderr, _ := os.ReadFile(files[2].Name())
	var ee *exec.ExitError
	switch {
	case err != nil && !errors.As(err, &ee):
		r.problem = "could not run: " + err.Error()
		return r
	case cmd.ProcessState.ExitCode() != 0:
		r.problem = fmt.Sprintf("exit %d: %s", cmd.ProcessState.ExitCode(), firstLine(string(stdout)+string(stderr)))
		return r
	}
	var a struct{ ServerURL, Username, Secret string }
	if err := json.Unmarshal(stdout, &a); err != nil || a.Username != "AWS" || a.Secret != password {
		r.problem = fmt.Sprintf("exit 0 with a wrong answer: %q", firstLine(string(stdout)))
		return r
	}
	r.ok = true
	return r
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func report(t0 time.Time, wall time.Duration, results []result, calls []ecrtest.Call, throttled int) {
	var lat []time.Duration
	var attempts []int
	okCount, lastOK, lastStart := 0, time.Duration(0), time.Duration(0)
	for _, r := range results {
		lat = append(lat, r.latency())
		attempts = append(attempts, r.attempts)
		lastStart = max(lastStart, r.start.Sub(t0))
		if r.ok {
			okCount++
			lastOK = max(lastOK, r.end.Sub(t0))
		}
	}
	admitted := len(calls) - throttled
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
	rows := [][2]string{
		{"helpers started together", fmt.Sprintf("%d (the last started %s after the first)", len(results), ms(lastStart))},
		{"succeeded", fmt.Sprintf("%d of %d", okCount, len(results))},
		{"time until the last success", ms(lastOK)},
		{"wall time, all exited", ms(wall)},
		{"GetAuthorizationToken calls", fmt.Sprintf("%d (%d answered, %d throttled)", len(calls), admitted, throttled)},
		{"calls per process", fmt.Sprintf("p50 %d, p90 %d, max %d", pct(attempts, 50), pct(attempts, 90), pct(attempts, 100))},
		{"latency per process", fmt.Sprintf("p50 %s, p90 %s, max %s", ms(pct(lat, 50)), ms(pct(lat, 90)), ms(pct(lat, 100)))},
	}
	hist := attemptHistogram(attempts)
	fmt.Println()
	fmt.Println("| measure | value |")
	fmt.Println("| --- | --- |")
	for _, r := range rows {
		fmt.Printf("| %s | %s |\n", r[0], r[1])
	}
	fmt.Printf("| processes by calls made | %s |\n", hist)
}

// attemptHistogram says how many processes made 1, 2, ... calls: "1:200 2:41 ...".
func attemptHistogram(attempts []int) string {
	n := map[int]int{}
	for _, a := range attempts {
		n[a]++
	}
	keys := make([]int, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d:%d", k, n[k]))
	}
	return strings.Join(parts, " ")
}

// pct is the nearest-rank percentile p (0 < p <= 100) of xs.
func pct[T int | time.Duration](xs []T, p float64) T {
	if len(xs) == 0 {
		var zero T
		return zero
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// timeline prints, per second since the start, the calls ECR answered and
// the calls it throttled.
func timeline(t0 time.Time, calls []ecrtest.Call) {
	type sec struct{ ok, throttled int }
	var secs []sec
	for _, c := range calls {
		i := max(int(c.Time.Sub(t0)/time.Second), 0)
		for len(secs) <= i {
			secs = append(secs, sec{})
		}
		if c.ErrorCode == "ThrottlingException" {
			secs[i].throttled++
		} else {
			secs[i].ok++
		}
	}
	fmt.Println("\nsecond  answered  throttled")
	for i, s := range secs {
		fmt.Printf("%6d  %8d  %9d\n", i, s.ok, s.throttled)
	}
}

// failures prints how the failed helpers failed, most common first.
func failures(results []result) {
	byProblem := map[string][]result{}
	for _, r := range results {
		if !r.ok {
			byProblem[r.problem] = append(byProblem[r.problem], r)
		}
	}
	var problems []string
	for p := range byProblem {
		problems = append(problems, p)
	}
	sort.Slice(problems, func(i, j int) bool { return len(byProblem[problems[i]]) > len(byProblem[problems[j]]) })
	for _, p := range problems[:min(len(problems), 5)] {
		rs := byProblem[p]
		var lat []time.Duration
		var att []int
		for _, r := range rs {
			lat = append(lat, r.latency())
			att = append(att, r.attempts)
		}
		fmt.Printf("  %d× after %s–%s, %d–%d calls: %s\n", len(rs),
			pct(lat, 0.001).Round(time.Millisecond), pct(lat, 100).Round(time.Millisecond), pct(att, 0.001), pct(att, 100), p)
	}
}

// build compiles the helper with the release flags into work/bin.
func build(root, work string) (string, error) {
	binDir := filepath.Join(work, "bin")
	start := time.Now()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", binDir+string(filepath.Separator), helperPkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build: %w", err)
	}
	p := filepath.Join(binDir, helperName)
	if runtime.GOOS == "windows" {
		p += ".exe"
	}
	if _, err := os.Stat(p); err != nil {
		return "", err
	}
	fmt.Printf("fleet: built %s in %s\n", helperName, time.Since(start).Round(time.Millisecond))
	return p, nil
}

// repoRoot is the directory holding this module's go.mod, from the working
// directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.Contains(data, []byte("module github.com/ecr-login/ecr-login\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the ecr-login repository")
		}
		dir = parent
	}
}
