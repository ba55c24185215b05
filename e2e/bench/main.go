// Command bench measures docker-credential-ecr-login as Docker runs it: one
// process per `get`. It builds the helper and two reference binaries into a
// temporary directory with the release flags (-trimpath -ldflags "-s -w",
// CGO_ENABLED=0), starts a fake ECR in-process on 127.0.0.1 (ecr/ecrtest), and
// prints a Markdown report:
//
//  1. cache-hit `get` latency of the helper against floor (a Go binary that
//     only prints a constant) and sdkinit (floor plus the SDK packages the
//     helper links, so its extra time is their init cost), -n runs each,
//     interleaved round-robin so that all three share the machine's noise;
//  2. the same hit with AWS_PROFILE naming a profile whose credential_process
//     sleeps 300 ms: a hit must not run it (checked with a counter file);
//  3. cold `get` latency (a fresh cache directory per run);
//  4. ECR API calls made by 16 and 64 concurrent cold `get`s of one identity
//     sharing one empty cache directory, with every API call stalled 100 ms;
//  5. peak RSS of a hit, a miss, floor and sdkinit.
//
// Every child gets an explicit environment: AWS_EC2_METADATA_DISABLED=true
// and the ECR, ECR Public and STS endpoints pointed at the fake, so nothing
// but loopback is ever contacted.
//
// Side by side, in the same interleaved rounds, it runs the programs ours
// replaces (built by e2e/peers.sh; see peers.go): awslabs v0.12.0 for hits
// (static keys and AWS_PROFILE), cold gets and peak RSS, and
// cloud-provider-aws v1.37.1's ecr-credential-provider against ours for a
// first and a repeated kubelet request.
//
// The exit code is 1 when a target is missed (listed under TARGETS MISSED) or
// a functional check fails (a get failing or answering wrongly, a hit calling
// ECR, a hit running credential_process, a cache file that is not valid JSON
// afterwards). Timings on a shared machine are noisy: CI runs it without
// blocking on it, but its exit status says whether the targets held.
//
// Run it from the repository root: `make bench` or `go run ./e2e/bench`.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

const (
	registryHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	floorLine    = `{"ServerURL":"floor","Username":"AWS","Secret":"floor"}`
	helperPkg    = "./cmd/docker-credential-ecr-login"
	helperName   = "docker-credential-ecr-login"
	providerPkg  = "./cmd/ecr-credential-provider"
	providerName = "ecr-credential-provider"

	slowDelay = 300 * time.Millisecond
	stall     = 100 * time.Millisecond

	// Targets.
	hitVsSDKInit   = 1.10
	slowHitMedian  = 10 * time.Millisecond
	maxConcurCalls = 1
	rssLimitKiB    = 12 << 10
)

var (
	flagN       = flag.Int("n", 300, "cache-hit runs per binary (at least 200 for the report)")
	flagCold    = flag.Int("cold", 50, "cold get runs")
	flagRSS     = flag.Int("rss", 20, "runs per binary for peak RSS")
	flagJSON    = flag.String("json", "", "also write the raw figures to this file")
	flagInit    = flag.Int("inittrace", 15, "runs of GODEBUG=inittrace=1 for the helper hit and sdkinit (0: skip)")
	flagConcur  = flag.String("concurrency", "16,64", "comma-separated counts of concurrent cold gets")
	flagVerbose = flag.Bool("v", false, "log progress to stderr")
)

func main() {
	flag.Parse()
	if *flagN < 1 || *flagCold < 1 || *flagRSS < 1 {
		fmt.Fprintln(os.Stderr, "bench: -n, -cold and -rss must be positive")
		os.Exit(2)
	}
	b := &bench{}
	err := b.run()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
	code := 0
	if len(b.rep.Failures) > 0 {
		fmt.Println()
		fmt.Println("FUNCTIONAL CHECKS FAILED:")
		for _, f := range b.rep.Failures {
			fmt.Println("  - " + f)
		}
		code = 1
	}
	var missed []string
	for _, v := range b.rep.Verdicts {
		if !v.Pass {
			missed = append(missed, v.Target+": "+v.Value)
		}
	}
	if len(missed) > 0 {
		fmt.Println()
		fmt.Println("TARGETS MISSED:")
		for _, m := range missed {
			fmt.Println("  - " + m)
		}
		code = 1
	}
	os.Exit(code)
}

// --- report data (also the -json format) ---------------------------------------

type machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	GoVersion string `json:"go_version"`
	Kernel    string `json:"kernel"`
	Date      string `json:"date"`
}

type stats struct {
	Runs   int     `json:"runs"`
	MinMS  float64 `json:"min_ms"`
	MedMS  float64 `json:"median_ms"`
	P90MS  float64 `json:"p90_ms"`
	MaxMS  float64 `json:"max_ms"`
	MeanMS float64 `json:"mean_ms"`
}

type series struct {
	Name    string  `json:"name"`
	Stats   stats   `json:"stats"`
	Samples []int64 `json:"samples_ns"`
	MaxRSS  int64   `json:"ru_maxrss_kib_max"` // polluted, see rss_linux.go
}

type concurrency struct {
	Procs      int     `json:"procs"`
	Calls      int     `json:"api_calls"`
	AllOK      bool    `json:"all_exit_0"`
	Failed     int     `json:"failed"`
	CacheValid bool    `json:"cache_file_valid"`
	Entries    int     `json:"cache_entries"`
	WallMS     float64 `json:"wall_ms"`
	SlowestMS  float64 `json:"slowest_ms"`
	MedianMS   float64 `json:"median_ms"`
}

type rssRow struct {
	Name      string  `json:"name"`
	Runs      int     `json:"runs"`
	HWMMaxKiB int64   `json:"vmhwm_max_kib"` // ptrace, VmHWM at exit: the child alone
	HWMMedKiB int64   `json:"vmhwm_median_kib"`
	RuMaxKiB  int64   `json:"ru_maxrss_max_kib"` // wait4 ru_maxrss, includes the parent's peak
	RuPlain   int64   `json:"ru_maxrss_plain_exec_max_kib"`
	HWMs      []int64 `json:"vmhwm_kib"`
	// Make-up of the resident set when the program exits (medians).
	AnonMedKiB int64 `json:"rss_anon_at_exit_median_kib"`
	FileMedKiB int64 `json:"rss_file_at_exit_median_kib"`
	anon, file []int64
}

type initRow struct {
	Pkg     string  `json:"pkg"`
	ClockMS float64 `json:"median_clock_ms"`
	Bytes   int64   `json:"median_bytes"`
	Allocs  int64   `json:"median_allocs"`
}

type initTrace struct {
	Name      string    `json:"name"`
	Runs      int       `json:"runs"`
	Packages  int       `json:"packages_with_init"`
	TotalMS   float64   `json:"median_total_clock_ms"`
	LastAtMS  float64   `json:"median_last_init_start_ms"`
	TotalKB   float64   `json:"median_total_kb"`
	TopByTime []initRow `json:"top"`
	ByPkg     []initRow `json:"all"`
}

type verdict struct {
	Target string `json:"target"`
	Value  string `json:"value"`
	Pass   bool   `json:"pass"`
}

type report struct {
	Machine     machine        `json:"machine"`
	Source      string         `json:"source"`
	Sizes       map[string]int `json:"binary_bytes"`
	BenchHWMKiB int64          `json:"bench_process_vmhwm_kib"`
	Hit         []series       `json:"hit"`
	Cold        series         `json:"cold"`
	PeerCold    series         `json:"awslabs_cold"`
	Provider    []series       `json:"provider"`
	SlowWarmMS  float64        `json:"slow_profile_warmup_ms"`
	SlowCounter int            `json:"credential_process_runs"`
	Concurrency []concurrency  `json:"concurrency"`
	RSS         []rssRow       `json:"rss"`
	InitTrace   []initTrace    `json:"inittrace,omitempty"`
	Verdicts    []verdict      `json:"verdicts"`
	Failures    []string       `json:"failures"`
	TotalSec    float64        `json:"total_seconds"`
}

// --- the bench ------------------------------------------------------------------

type bench struct {
	peers   peers
	rep     report
	work    string
	bins    map[string]string // name -> path
	fake    *ecrtest.Server
	stdin   []byte
	mu      sync.Mutex
	started time.Time
}

// kind is one way of running a binary: argv[1:] is args (default "get"),
// stdin is stdin (default the registry host).
type kind struct {
	name  string
	bin   string
	env   []string
	check func(stdout []byte) error
	args  []string
	stdin []byte
}

func (k kind) argv() []string {
	if k.args == nil {
		return []string{"get"}
	}
	return k.args
}

type sample struct {
	wall   time.Duration
	maxrss int64
	code   int
	stdout []byte
	stderr []byte
	err    error
}

func (b *bench) logf(format string, args ...any) {
	if *flagVerbose {
		fmt.Fprintf(os.Stderr, "bench: %6.1fs "+format+"\n", append([]any{time.Since(b.started).Seconds()}, args...)...)
	}
}

func (b *bench) fail(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if len(b.rep.Failures) < 50 {
		b.rep.Failures = append(b.rep.Failures, msg)
	}
	fmt.Fprintln(os.Stderr, "bench: FAIL: "+msg)
}

func (b *bench) run() error {
	b.started = time.Now()
	b.rep.Machine = machineInfo()
	b.rep.Failures = []string{}
	b.stdin = []byte(registryHost)

	root, err := repoRoot()
	if err != nil {
		return err
	}
	b.work, err = os.MkdirTemp("", "ecr-login-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(b.work)
	if err := b.build(root); err != nil {
		return err
	}
	if err := b.findPeers(root); err != nil {
		return err
	}

	b.fake = ecrtest.NewServer()
	defer b.fake.Close()
	b.logf("fake ECR at %s", b.fake.URL())

	if err := b.measureHits(); err != nil {
		return err
	}
	b.measureCold()
	if err := b.measureProvider(); err != nil {
		return err
	}
	for _, f := range strings.Split(*flagConcur, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-concurrency: bad count %q", f)
		}
		b.measureConcurrency(n)
	}
	b.measureRSS()
	if *flagInit > 0 {
		b.measureInit()
	}
	b.rep.BenchHWMKiB = selfHWMKiB()
	b.rep.TotalSec = time.Since(b.started).Seconds()
	b.verdicts()
	b.print(os.Stdout)
	if *flagJSON != "" {
		data, err := json.MarshalIndent(b.rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*flagJSON, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(data, []byte("module github.com/ecr-login/ecr-login\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the ecr-login repository")
		}
		dir = parent
	}
}

// build compiles the helper (never trusting bin/), floor and sdkinit with the
// Makefile's release flags.
func (b *bench) build(root string) error {
	binDir := filepath.Join(b.work, "bin")
	start := time.Now()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", binDir+string(filepath.Separator),
		helperPkg, providerPkg, "./e2e/bench/floor", "./e2e/bench/sdkinit", "./e2e/bench/sdklinked")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	b.rep.Source = "unknown"
	git := exec.Command("git", "describe", "--tags", "--always", "--dirty")
	git.Dir = root
	if out, err := git.Output(); err == nil {
		b.rep.Source = strings.TrimSpace(string(out))
	}
	b.bins = map[string]string{}
	b.rep.Sizes = map[string]int{}
	for _, n := range []string{helperName, providerName, "floor", "sdkinit", "sdklinked"} {
		p := filepath.Join(binDir, n)
		if runtime.GOOS == "windows" {
			p += ".exe"
		}
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		b.bins[n] = p
		b.rep.Sizes[n] = int(st.Size())
	}
	b.logf("built in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

// env is the complete environment of a child: nothing is inherited but PATH.
func (b *bench) env(cacheDir string, extra ...string) []string {
	home := filepath.Join(b.work, "home")
	os.MkdirAll(home, 0o700)
	empty := filepath.Join(b.work, "empty-aws-file")
	if _, err := os.Stat(empty); err != nil {
		os.WriteFile(empty, nil, 0o600)
	}
	e := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_ECR=" + b.fake.URL(),
		"AWS_ENDPOINT_URL_ECR_PUBLIC=" + b.fake.URL(),
		"AWS_ENDPOINT_URL_STS=" + b.fake.URL(),
		"AWS_CONFIG_FILE=" + empty,
		"AWS_SHARED_CREDENTIALS_FILE=" + empty,
		"AWS_ECR_CACHE_DIR=" + cacheDir,
	}
	// Later entries override earlier ones (AWS_CONFIG_FILE for the slow profile).
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		e = slices.DeleteFunc(e, func(s string) bool { return strings.HasPrefix(s, k+"=") })
		e = append(e, kv)
	}
	return e
}

var staticKeys = []string{"AWS_ACCESS_KEY_ID=AKIDBENCH0000000000", "AWS_SECRET_ACCESS_KEY=bench-secret-not-real"}

func (b *bench) checkHelper(stdout []byte) error {
	var a struct{ ServerURL, Username, Secret string }
	if err := json.Unmarshal(stdout, &a); err != nil {
		return fmt.Errorf("answer is not JSON: %q", truncate(stdout))
	}
	if a.Username != "AWS" || a.Secret != b.fake.Password() {
		return fmt.Errorf("answer has user %q and a secret that is not the fake's", a.Username)
	}
	return nil
}

func checkFloor(stdout []byte) error {
	if string(bytes.TrimSpace(stdout)) != floorLine {
		return fmt.Errorf("unexpected output %q", truncate(stdout))
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

// exec runs k once, timing cmd.Start to the return of cmd.Wait.
func (b *bench) exec(k kind) sample {
	cmd := exec.Command(k.bin, k.argv()...)
	cmd.Env = k.env
	cmd.Stdin = bytes.NewReader(b.stdin)
	if k.stdin != nil {
		cmd.Stdin = bytes.NewReader(k.stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{err: err, code: -1}
	}
	err := cmd.Wait()
	s := sample{wall: time.Since(start), stdout: out.Bytes(), stderr: errb.Bytes(), maxrss: maxRSSKiB(cmd.ProcessState), code: cmd.ProcessState.ExitCode()}
	if err != nil {
		s.err = err
	} else if k.check != nil {
		s.err = k.check(s.stdout)
	}
	return s
}

func (b *bench) execChecked(k kind, what string) sample {
	s := b.exec(k)
	if s.err != nil {
		b.fail("%s (%s): %v; stdout %q; stderr %q", what, k.name, s.err, truncate(s.stdout), truncate(s.stderr))
	}
	return s
}

// --- 1 + 2: cache hits ----------------------------------------------------------

func (b *bench) slowCreds() (script, counter string, err error) {
	counter = filepath.Join(b.work, "slow-creds.count")
	script = filepath.Join(b.work, "slow-creds")
	body := fmt.Sprintf("#!/bin/sh\necho run >> '%s'\nsleep %.3f\nprintf '%%s\\n' '{\"Version\":1,\"AccessKeyId\":\"AKIDSLOW\",\"SecretAccessKey\":\"x\"}'\n",
		counter, slowDelay.Seconds())
	return script, counter, os.WriteFile(script, []byte(body), 0o755)
}

func countLines(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(data, []byte("\n"))
}

func (b *bench) measureHits() error {
	script, counter, err := b.slowCreds()
	if err != nil {
		return err
	}
	slowCfg := filepath.Join(b.work, "slow-config")
	if err := os.WriteFile(slowCfg, []byte("[profile slow]\ncredential_process = "+script+"\n"), 0o600); err != nil {
		return err
	}
	hitCache := filepath.Join(b.work, "cache-hit")
	slowCache := filepath.Join(b.work, "cache-slow")
	kinds := []kind{
		{name: "helper hit", bin: b.bins[helperName], env: b.env(hitCache, staticKeys...), check: b.checkHelper},
		{name: "helper hit, 300 ms credential_process profile", bin: b.bins[helperName],
			env: b.env(slowCache, "AWS_PROFILE=slow", "AWS_CONFIG_FILE="+slowCfg), check: b.checkHelper},
		{name: "floor", bin: b.bins["floor"], env: b.env(hitCache, staticKeys...), check: checkFloor},
		{name: "sdkinit", bin: b.bins["sdkinit"], env: b.env(hitCache, staticKeys...), check: checkFloor},
		{name: "sdklinked", bin: b.bins["sdklinked"], env: b.env(hitCache, staticKeys...), check: checkFloor},
	}
	peerKinds, err := b.peerHitKinds()
	if err != nil {
		return err
	}
	for _, k := range peerKinds {
		b.execChecked(k, "warm-up get") // fills each one's cache
	}
	kinds = append(kinds, peerKinds...)

	// Warm both caches: one API call each; the slow one runs the process once.
	b.fake.Reset()
	b.execChecked(kinds[0], "warm-up get")
	if n := b.fake.CallCount(); n != 1 {
		b.fail("warm-up get made %d ECR calls, want 1", n)
	}
	b.fake.Reset()
	w := b.execChecked(kinds[1], "warm-up get with the credential_process profile")
	b.rep.SlowWarmMS = ms(w.wall)
	calls := b.fake.Calls()
	if len(calls) != 1 || calls[0].AccessKeyID != "AKIDSLOW" {
		b.fail("warm-up get with the credential_process profile made %d ECR calls (want 1, signed with AKIDSLOW)", len(calls))
	}
	if w.err == nil && w.wall < slowDelay {
		b.fail("warm-up get with the credential_process profile took %s, less than the process's %s: it did not run it", w.wall, slowDelay)
	}
	if n := countLines(counter); n != 1 {
		b.fail("credential_process ran %d times during the warm-up, want 1", n)
	}

	// A few untimed rounds to settle the page cache and CPU clocks.
	for range 5 {
		for _, k := range kinds {
			b.execChecked(k, "settling run")
		}
	}
	b.fake.Reset()
	b.logf("timing %d rounds of %d binaries", *flagN, len(kinds))
	samples := make([][]sample, len(kinds))
	failed := make([]int, len(kinds))
	for i := range *flagN {
		for j := range kinds {
			x := (i + j) % len(kinds) // rotate the order each round
			s := b.exec(kinds[x])
			if s.err != nil {
				failed[x]++
				if failed[x] <= 3 {
					b.fail("%s: %v; stderr %q", kinds[x].name, s.err, truncate(s.stderr))
				}
				continue
			}
			samples[x] = append(samples[x], s)
		}
	}
	for x, k := range kinds {
		if failed[x] > 3 {
			b.fail("%s: %d of %d runs failed", k.name, failed[x], *flagN)
		}
		b.rep.Hit = append(b.rep.Hit, toSeries(k.name, samples[x]))
	}
	if n := b.fake.CallCount(); n != 0 {
		b.fail("cache hits made %d ECR API calls, want 0", n)
	}
	b.rep.SlowCounter = countLines(counter)
	if b.rep.SlowCounter != 1 {
		b.fail("credential_process ran %d times in all; want 1 (the warm-up): a cache hit ran it", b.rep.SlowCounter)
	}
	return nil
}

// --- 3: cold gets -----------------------------------------------------------------

func (b *bench) measureCold() {
	b.fake.Reset()
	b.logf("timing %d cold gets", *flagCold)
	var ss, peer []sample
	for i := range *flagCold {
		k := kind{name: "helper cold get (fresh cache dir)", bin: b.bins[helperName],
			env: b.env(filepath.Join(b.work, "cold", strconv.Itoa(i)), staticKeys...), check: b.checkHelper}
		// awslabs, interleaved in alternating order, each with a fresh cache.
		p := kind{name: "awslabs cold get (fresh cache dir)", bin: b.peers.awslabs,
			env: b.env(filepath.Join(b.work, "cold-awslabs", strconv.Itoa(i)), staticKeys...), check: b.checkHelper}
		for j := range 2 {
			if (i+j)%2 == 0 {
				if s := b.execChecked(k, fmt.Sprintf("cold get %d", i)); s.err == nil {
					ss = append(ss, s)
				}
			} else if s := b.execChecked(p, fmt.Sprintf("awslabs cold get %d", i)); s.err == nil {
				peer = append(peer, s)
			}
		}
	}
	if n := b.fake.CallCount(); n != 2**flagCold {
		b.fail("%d cold gets of each helper made %d ECR calls, want one each", *flagCold, n)
	}
	b.rep.Cold = toSeries("helper cold get (fresh cache dir)", ss)
	b.rep.PeerCold = toSeries("awslabs cold get (fresh cache dir)", peer)
}

// --- 4: concurrent cold gets ------------------------------------------------------

func (b *bench) measureConcurrency(n int) {
	b.logf("%d concurrent cold gets", n)
	dir := filepath.Join(b.work, fmt.Sprintf("concurrent-%d", n))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.fail("%v", err)
		return
	}
	b.fake.SetFault(ecrtest.Fault{Kind: ecrtest.FaultStall, Duration: stall})
	defer b.fake.SetFault(ecrtest.Fault{})
	b.fake.Reset()
	k := kind{name: "concurrent", bin: b.bins[helperName], env: b.env(dir, staticKeys...), check: b.checkHelper}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	gate := make(chan struct{})
	results := make([]sample, n)
	var wg sync.WaitGroup
	for i := range n {
		cmd := exec.CommandContext(ctx, k.bin, "get")
		cmd.Env = k.env
		cmd.Stdin = bytes.NewReader(b.stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			start := time.Now()
			if err := cmd.Start(); err != nil {
				results[i] = sample{err: err, code: -1}
				return
			}
			err := cmd.Wait()
			s := sample{wall: time.Since(start), stdout: out.Bytes(), stderr: errb.Bytes(), code: cmd.ProcessState.ExitCode()}
			if err == nil {
				err = k.check(s.stdout)
			}
			s.err = err
			results[i] = s
		}()
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	c := concurrency{Procs: n, WallMS: ms(time.Since(start)), Calls: b.fake.CallCount(), AllOK: true}
	var walls []time.Duration
	for i, s := range results {
		if s.err != nil {
			c.AllOK = false
			c.Failed++
			if c.Failed <= 3 {
				b.fail("concurrent get %d of %d: %v; stderr %q", i, n, s.err, truncate(s.stderr))
			}
			continue
		}
		walls = append(walls, s.wall)
	}
	if c.Failed > 0 {
		b.fail("%d of %d concurrent gets failed", c.Failed, n)
	}
	if len(walls) > 0 {
		st := summarize(walls)
		c.SlowestMS, c.MedianMS = st.MaxMS, st.MedMS
	}
	data, err := os.ReadFile(filepath.Join(dir, cache.FileName))
	var f cache.File
	switch {
	case err != nil:
		b.fail("after %d concurrent gets: reading the cache file: %v", n, err)
	case json.Unmarshal(data, &f) != nil || f.Version != cache.FormatVersion:
		b.fail("after %d concurrent gets: the cache file is not valid (version %d): %q", n, f.Version, truncate(data))
	case len(f.Entries) != 1:
		b.fail("after %d concurrent gets: the cache file has %d entries, want 1", n, len(f.Entries))
	default:
		c.CacheValid = true
	}
	c.Entries = len(f.Entries)
	b.rep.Concurrency = append(b.rep.Concurrency, c)
}

// --- 5: peak RSS --------------------------------------------------------------

func (b *bench) measureRSS() {
	b.logf("peak RSS, %d runs each", *flagRSS)
	hitCache := filepath.Join(b.work, "cache-hit") // warmed by measureHits
	kinds := []kind{
		{name: "helper hit", bin: b.bins[helperName], env: b.env(hitCache, staticKeys...), check: b.checkHelper},
		{name: "helper miss (cold get)", bin: b.bins[helperName], check: b.checkHelper},
		{name: "floor", bin: b.bins["floor"], env: b.env(hitCache, staticKeys...), check: checkFloor},
		{name: "sdkinit", bin: b.bins["sdkinit"], env: b.env(hitCache, staticKeys...), check: checkFloor},
		{name: "sdklinked", bin: b.bins["sdklinked"], env: b.env(hitCache, staticKeys...), check: checkFloor},
		{name: "awslabs hit", bin: b.peers.awslabs, env: b.env(filepath.Join(b.work, "cache-awslabs"), staticKeys...), check: b.checkHelper},
	}
	rows := make([]rssRow, len(kinds))
	for i := range rows {
		rows[i].Name = kinds[i].name
	}
	for r := range *flagRSS {
		for i, k := range kinds {
			if i == 1 { // a miss needs a fresh cache every time, for both runs
				k.env = b.env(filepath.Join(b.work, "rss-miss", strconv.Itoa(r), "plain"), staticKeys...)
			}
			s := b.execChecked(k, "RSS run (plain exec)")
			rows[i].RuPlain = max(rows[i].RuPlain, s.maxrss)
			if !rssSupported {
				continue
			}
			if i == 1 {
				k.env = b.env(filepath.Join(b.work, "rss-miss", strconv.Itoa(r), "traced"), staticKeys...)
			}
			m, out, code, err := peakRSS(k.bin, k.argv(), k.env, b.stdin)
			hwm, ru := m.HWM, m.RuMaxRSS
			if err == nil && code != 0 {
				err = fmt.Errorf("exit status %d", code)
			}
			if err == nil {
				err = k.check(out)
			}
			if err != nil {
				b.fail("RSS run (traced) of %s: %v", k.name, err)
				continue
			}
			if hwm == 0 {
				b.fail("RSS run (traced) of %s: no VmHWM read at exit", k.name)
				continue
			}
			rows[i].Runs++
			rows[i].HWMs = append(rows[i].HWMs, hwm)
			rows[i].HWMMaxKiB = max(rows[i].HWMMaxKiB, hwm)
			rows[i].RuMaxKiB = max(rows[i].RuMaxKiB, ru)
			rows[i].anon = append(rows[i].anon, m.RssAnon)
			rows[i].file = append(rows[i].file, m.RssFile)
		}
	}
	for i := range rows {
		if len(rows[i].HWMs) > 0 {
			s := slices.Clone(rows[i].HWMs)
			slices.Sort(s)
			rows[i].HWMMedKiB = s[(len(s)-1)/2]
		}
		rows[i].AnonMedKiB, rows[i].FileMedKiB = medianI(rows[i].anon), medianI(rows[i].file)
	}
	b.rep.RSS = rows
}

// --- init trace -----------------------------------------------------------------

func (b *bench) measureInit() {
	b.logf("GODEBUG=inittrace=1, %d runs each", *flagInit)
	hitCache := filepath.Join(b.work, "cache-hit")
	for _, k := range []kind{
		{name: "helper hit", bin: b.bins[helperName], env: b.env(hitCache, append(slices.Clone(staticKeys), "GODEBUG=inittrace=1")...), check: b.checkHelper},
		{name: "sdkinit", bin: b.bins["sdkinit"], env: b.env(hitCache, append(slices.Clone(staticKeys), "GODEBUG=inittrace=1")...), check: checkFloor},
	} {
		type acc struct {
			clock         []float64
			bytes, allocs []int64
		}
		per := map[string]*acc{}
		var totals, lastAt, kbs []float64
		runs := 0
		for range *flagInit {
			s := b.execChecked(k, "inittrace run")
			if s.err != nil {
				continue
			}
			runs++
			var total, last, kb float64
			for _, line := range strings.Split(string(s.stderr), "\n") {
				// init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs
				f := strings.Fields(line)
				if len(f) < 11 || f[0] != "init" {
					continue
				}
				at, _ := strconv.ParseFloat(strings.TrimPrefix(f[2], "@"), 64)
				clk, _ := strconv.ParseFloat(f[4], 64)
				by, _ := strconv.ParseInt(f[7], 10, 64)
				al, _ := strconv.ParseInt(f[9], 10, 64)
				a := per[f[1]]
				if a == nil {
					a = &acc{}
					per[f[1]] = a
				}
				a.clock = append(a.clock, clk)
				a.bytes = append(a.bytes, by)
				a.allocs = append(a.allocs, al)
				total += clk
				last = max(last, at+clk)
				kb += float64(by) / 1024
			}
			totals, lastAt, kbs = append(totals, total), append(lastAt, last), append(kbs, kb)
		}
		it := initTrace{Name: k.name, Runs: runs, Packages: len(per), TotalMS: medianF(totals), LastAtMS: medianF(lastAt), TotalKB: medianF(kbs)}
		for pkg, a := range per {
			it.ByPkg = append(it.ByPkg, initRow{Pkg: pkg, ClockMS: medianF(a.clock), Bytes: medianI(a.bytes), Allocs: medianI(a.allocs)})
		}
		sort.Slice(it.ByPkg, func(i, j int) bool {
			if it.ByPkg[i].ClockMS != it.ByPkg[j].ClockMS {
				return it.ByPkg[i].ClockMS > it.ByPkg[j].ClockMS
			}
			return it.ByPkg[i].Bytes > it.ByPkg[j].Bytes
		})
		it.TopByTime = it.ByPkg[:min(8, len(it.ByPkg))]
		b.rep.InitTrace = append(b.rep.InitTrace, it)
	}
}

// --- statistics -----------------------------------------------------------------

func toSeries(name string, ss []sample) series {
	s := series{Name: name}
	walls := make([]time.Duration, 0, len(ss))
	for _, x := range ss {
		walls = append(walls, x.wall)
		s.Samples = append(s.Samples, int64(x.wall))
		s.MaxRSS = max(s.MaxRSS, x.maxrss)
	}
	s.Stats = summarize(walls)
	return s
}

func summarize(d []time.Duration) stats {
	if len(d) == 0 {
		return stats{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	var sum time.Duration
	for _, x := range s {
		sum += x
	}
	return stats{Runs: len(s), MinMS: ms(s[0]), MedMS: ms(pct(s, 0.5)), P90MS: ms(pct(s, 0.9)),
		MaxMS: ms(s[len(s)-1]), MeanMS: ms(sum / time.Duration(len(s)))}
}

// pct is the nearest-rank percentile of sorted s.
func pct(s []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func medianF(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func medianI(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// --- verdicts and output ------------------------------------------------------------

func (b *bench) hit(name string) stats {
	for _, s := range b.rep.Hit {
		if s.Name == name {
			return s.Stats
		}
	}
	return stats{}
}

func (b *bench) verdicts() {
	hit, slow, sdk := b.hit("helper hit"), b.hit("helper hit, 300 ms credential_process profile"), b.hit("sdkinit")
	ratio := hit.MedMS / sdk.MedMS
	v := []verdict{
		{fmt.Sprintf("hit median ≤ %.2f× sdkinit median", hitVsSDKInit),
			fmt.Sprintf("%.2f ms / %.2f ms = %.2f×", hit.MedMS, sdk.MedMS, ratio), ratio <= hitVsSDKInit},
		{fmt.Sprintf("hit with the %s credential_process profile: median < %s", slowDelay, slowHitMedian),
			fmt.Sprintf("%.2f ms (process ran %d time(s), the warm-up)", slow.MedMS, b.rep.SlowCounter), ms(slowHitMedian) > slow.MedMS && b.rep.SlowCounter == 1},
	}
	for _, c := range b.rep.Concurrency {
		if c.Procs == 64 {
			v = append(v, verdict{fmt.Sprintf("%d API call for 64 concurrent cold gets", maxConcurCalls),
				fmt.Sprintf("%d call(s), all exit 0: %v, cache valid: %v", c.Calls, c.AllOK, c.CacheValid), c.Calls <= maxConcurCalls && c.AllOK && c.CacheValid})
		}
	}
	for _, r := range b.rep.RSS {
		if strings.HasPrefix(r.Name, "helper") && rssSupported {
			v = append(v, verdict{fmt.Sprintf("peak RSS of a %s < %d MiB", strings.TrimPrefix(r.Name, "helper "), rssLimitKiB>>10),
				fmt.Sprintf("%s (VmHWM, max of %d)", mib(r.HWMMaxKiB), r.Runs), r.Runs > 0 && r.HWMMaxKiB < rssLimitKiB})
		}
	}
	b.rep.Verdicts = append(b.peerVerdicts(), v...)
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func (b *bench) print(w io.Writer) {
	m := b.rep.Machine
	fmt.Fprintf(w, "## docker-credential-ecr-login bench\n\n")
	fmt.Fprintf(w, "Machine: %s, %d cores, %s, Linux %s, %s\n\n", m.CPU, m.Cores, m.GoVersion, m.Kernel, m.Date)
	fmt.Fprintf(w, "Helper built from: %s\n\n", b.rep.Source)
	fmt.Fprintf(w, "Binaries (-trimpath -ldflags \"-s -w\", CGO_ENABLED=0): helper %.1f MB, floor %.1f MB, sdkinit %.1f MB, sdklinked %.1f MB\n\n",
		float64(b.rep.Sizes[helperName])/1e6, float64(b.rep.Sizes["floor"])/1e6, float64(b.rep.Sizes["sdkinit"])/1e6, float64(b.rep.Sizes["sdklinked"])/1e6)
	fmt.Fprintf(w, "floor: prints a constant; sdkinit: floor + blank imports of the SDK packages the helper links (their init cost);"+
		" sdklinked: sdkinit + the SDK calls of a miss behind a branch never taken (same inits, helper-sized binary).\n\n")

	b.printPeers(w)

	sdk := b.hit("sdkinit").MedMS
	floor := b.hit("floor").MedMS
	fmt.Fprintf(w, "### Cache-hit `get`, wall time per exec (cmd.Start → Wait), %d interleaved rounds\n\n", *flagN)
	fmt.Fprintln(w, "| binary | runs | median | p90 | min | median − floor | median / sdkinit |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, s := range b.rep.Hit {
		st := s.Stats
		fmt.Fprintf(w, "| %s | %d | %.2f ms | %.2f ms | %.2f ms | %+.2f ms | %.2f× |\n", s.Name, st.Runs, st.MedMS, st.P90MS, st.MinMS, st.MedMS-floor, st.MedMS/sdk)
	}
	fmt.Fprintf(w, "\nWarm-up get with the credential_process profile (runs the %s process, fetches): %.1f ms; process runs in all: %d\n\n", slowDelay, b.rep.SlowWarmMS, b.rep.SlowCounter)

	c := b.rep.Cold.Stats
	fmt.Fprintf(w, "### Cold `get` (fresh cache dir per run, static keys, fake ECR on loopback)\n\n")
	fmt.Fprintln(w, "| binary | runs | median | p90 | min | max |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	fmt.Fprintf(w, "| ours | %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms |\n", c.Runs, c.MedMS, c.P90MS, c.MinMS, c.MaxMS)
	c = b.rep.PeerCold.Stats
	fmt.Fprintf(w, "| awslabs | %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms |\n\n", c.Runs, c.MedMS, c.P90MS, c.MinMS, c.MaxMS)

	fmt.Fprintf(w, "### Concurrent cold `get`s (one identity and region, one empty cache dir, every API call stalled %s)\n\n", stall)
	fmt.Fprintln(w, "| processes | API calls | all exit 0 | cache file valid JSON | wall (all) | median per process | slowest |")
	fmt.Fprintln(w, "|---:|---:|:---:|:---:|---:|---:|---:|")
	for _, c := range b.rep.Concurrency {
		fmt.Fprintf(w, "| %d | %d | %s | %s | %.0f ms | %.0f ms | %.0f ms |\n", c.Procs, c.Calls, yes(c.AllOK), yes(c.CacheValid), c.WallMS, c.MedianMS, c.SlowestMS)
	}
	fmt.Fprintln(w)

	fmt.Fprintf(w, "### Peak RSS, %d runs each\n\n", *flagRSS)
	if rssSupported {
		fmt.Fprintln(w, "| binary | peak RSS (VmHWM), max | VmHWM, median | at exit: file-backed / anon (median) | ru_maxrss (wait4), max |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
		for _, r := range b.rep.RSS {
			fmt.Fprintf(w, "| %s | %s | %s | %s / %s | %s |\n", r.Name, mib(r.HWMMaxKiB), mib(r.HWMMedKiB), mib(r.FileMedKiB), mib(r.AnonMedKiB), mib(r.RuPlain))
		}
		fmt.Fprintf(w, "\nVmHWM is read under ptrace at the exit of the child: its own peak. ru_maxrss from cmd.ProcessState.SysUsage()"+
			" is max(child's peak, the bench's own peak at fork time, here ≈ %s), because os/exec forks with CLONE_VM|CLONE_VFORK"+
			" and execve carries the old mm's high-water mark into the child's rusage; it is shown for reference only.\n\n", mib(selfHWMKiB()))
	} else {
		fmt.Fprintln(w, "(not measured on this OS)")
		fmt.Fprintln(w)
	}

	if len(b.rep.InitTrace) > 0 {
		fmt.Fprintf(w, "### Package init (GODEBUG=inittrace=1, medians of %d runs)\n\n", *flagInit)
		fmt.Fprintln(w, "| binary | packages with init | Σ init clock | last init ends at | Σ init heap |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
		for _, it := range b.rep.InitTrace {
			fmt.Fprintf(w, "| %s | %d | %.2f ms | @%.2f ms | %.0f KiB |\n", it.Name, it.Packages, it.TotalMS, it.LastAtMS, it.TotalKB)
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "Costliest inits of the helper: ")
		var parts []string
		for _, r := range b.rep.InitTrace[0].TopByTime {
			parts = append(parts, fmt.Sprintf("%s %.3f ms/%d KiB", r.Pkg, r.ClockMS, r.Bytes>>10))
		}
		fmt.Fprintln(w, strings.Join(parts, ", "))
		fmt.Fprintln(w)
	}

	fmt.Fprintln(w, "### Verdict")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | measured | verdict |")
	fmt.Fprintln(w, "|---|---|:---:|")
	for _, v := range b.rep.Verdicts {
		res := "MISS"
		if v.Pass {
			res = "ok"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", v.Target, v.Value, res)
	}
	fmt.Fprintln(w)
	status := "all functional checks passed"
	if len(b.rep.Failures) > 0 {
		status = fmt.Sprintf("%d functional check(s) FAILED", len(b.rep.Failures))
	}
	fmt.Fprintf(w, "Functional checks: %s. Total bench time %.1f s.\n", status, b.rep.TotalSec)
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

func machineInfo() machine {
	m := machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), Date: time.Now().Format(time.RFC3339)}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if m.CPU == "" {
		m.CPU = runtime.GOARCH
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	return m
}
