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
//  3. cold `get` latency (a fresh cache directory per run), against the fake
//     over HTTP and again over HTTPS (see https.go), like the kubelet rows;
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
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

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
	if *flagN < 1 || *flagCold < 1 || *flagRSS < 1 || *flagHTTPS < 1 {
		fmt.Fprintln(os.Stderr, "bench: -n, -cold, -rss and -https must be positive")
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
		if !v.Pass && !v.Informational {
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
	plain := network{label: "HTTP", fake: b.fake, rounds: *flagCold}
	b.rep.Cold, b.rep.PeerCold = b.measureCold(plain)
	b.rep.Provider = b.measureProvider(plain)
	if err := b.measureHTTPS(); err != nil {
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
