// Command faultbench runs docker-credential-ecr-login and the awslabs
// amazon-ecr-credential-helper v0.12.0 side by side against the same fake
// ECR (package ecrtest, on 127.0.0.1) with each fault injected, and prints
// for both the time to an answer and the GetAuthorizationToken calls made:
// persistent HTTP 500, connection reset, throttling, connection refused,
// AccessDenied, a stale-but-valid cached token with ECR failing, and the same
// with ECR stalled and 5 gets at once.
//
// It is the guard against a retry change that makes a failing ECR hold every
// docker pull: it exits 1 if, for any fault but throttling, ours answers more
// than 0.5 s later than awslabs (medians over -runs) or makes more calls, or
// if under throttling ours answers after AWS_ECR_TIMEOUT.
//
// The awslabs binary comes from AWSLABS_HELPER (this program builds nothing
// of it); e2e/peers.sh builds it, or by hand:
//
//	GOBIN=$(mktemp -d) go install github.com/awslabs/amazon-ecr-credential-helper/ecr-login/cli/docker-credential-ecr-login@v0.12.0
//
// awslabs v0.12.0 is built on aws-sdk-go-v2 config v1.32.10, whose
// environment config reads AWS_ENDPOINT_URL_<SERVICE> (GetServiceBaseEndpoint)
// and service/ecr v1.55.3 resolves its base endpoint from it, so
// AWS_ENDPOINT_URL_ECR points both helpers at the fake. Ours is built from
// this checkout unless OURS_HELPER names a binary.
//
// Every child gets an explicit environment: static keys, empty shared config
// files, AWS_EC2_METADATA_DISABLED=true, every endpoint at the fake.
//
// Run it from the repository root: `make bench-faults`.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

const (
	registryHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	timeout      = 10 * time.Second // AWS_ECR_TIMEOUT for ours (awslabs has none)
	slack        = 500 * time.Millisecond
	lifetime     = 8 * time.Second // token lifetime for the stale rows: stale after 4 s for both
)

var flagRuns = flag.Int("runs", 3, "runs per fault and helper; the table shows medians")

type helper struct{ name, bin string }

// outcome is one get: how long until the process exited, what it said, and
// the calls the fake saw during it.
type outcome struct {
	took   time.Duration
	calls  int
	code   int
	answer string
}

type scenario struct {
	name     string
	throttle bool // exempt from the awslabs comparison; bounded by timeout
	run      func(h helper) (outcome, error)
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "faultbench: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	defer func() {
		for _, h := range homes {
			os.RemoveAll(h)
		}
	}()
	aws := os.Getenv("AWSLABS_HELPER")
	if aws == "" {
		return fmt.Errorf("set AWSLABS_HELPER to the awslabs v0.12.0 binary (GOBIN=$(mktemp -d) go install github.com/awslabs/amazon-ecr-credential-helper/ecr-login/cli/docker-credential-ecr-login@v0.12.0)")
	}
	ours := os.Getenv("OURS_HELPER")
	if ours == "" {
		dir, err := os.MkdirTemp("", "faultbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		ours = filepath.Join(dir, "docker-credential-ecr-login")
		b := exec.Command("go", "build", "-o", ours, "./cmd/docker-credential-ecr-login")
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("building ours (run from the repository root): %w", err)
		}
	}
	helpers := []helper{{"ecr-login (ours)", ours}, {"awslabs v0.12.0", aws}}
	fmt.Printf("faultbench: %d runs each, medians; AWS_ECR_TIMEOUT=%s; %d cores\n\n", *flagRuns, timeout, runtime.NumCPU())
	fmt.Println("| fault | helper | time to answer | calls | exit | answer |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	var failures []string
	for _, sc := range scenarios() {
		res := make([]outcome, len(helpers))
		for i, h := range helpers {
			var runs []outcome
			for range *flagRuns {
				o, err := sc.run(h)
				if err != nil {
					return fmt.Errorf("%s, %s: %w", sc.name, h.name, err)
				}
				runs = append(runs, o)
			}
			res[i] = median(runs)
			calls := fmt.Sprint(res[i].calls)
			if res[i].calls < 0 {
				calls = "n/a"
			}
			fmt.Printf("| %s | %s | %d ms | %s | %d | %s |\n", sc.name, h.name, res[i].took.Milliseconds(), calls, res[i].code, res[i].answer)
		}
		o, a := res[0], res[1]
		switch {
		case sc.throttle && o.took >= timeout:
			failures = append(failures, fmt.Sprintf("%s: ours answered after %s, not before AWS_ECR_TIMEOUT=%s", sc.name, o.took.Round(time.Millisecond), timeout))
		case !sc.throttle && o.took > a.took+slack:
			failures = append(failures, fmt.Sprintf("%s: ours answered in %s, awslabs in %s (more than %s later)", sc.name, o.took.Round(time.Millisecond), a.took.Round(time.Millisecond), slack))
		}
		if !sc.throttle && o.calls > a.calls {
			failures = append(failures, fmt.Sprintf("%s: ours made %d calls, awslabs %d", sc.name, o.calls, a.calls))
		}
	}
	fmt.Println()
	if len(failures) > 0 {
		for _, f := range failures {
			fmt.Println("MISS:", f)
		}
		return fmt.Errorf("%d misses", len(failures))
	}
	fmt.Println("OK: ours answers no later than awslabs (+0.5 s) with no more calls for every non-throttling fault, and within AWS_ECR_TIMEOUT under throttling")
	return nil
}

func scenarios() []scenario {
	fault := func(k ecrtest.FaultKind) func(h helper) (outcome, error) {
		return func(h helper) (outcome, error) {
			fake := ecrtest.NewServer(ecrtest.WithFault(ecrtest.Fault{Kind: k}))
			defer fake.Close()
			return get(h, newEnv(fake.URL()), fake)
		}
	}
	return []scenario{
		{name: "persistent HTTP 500", run: fault(ecrtest.FaultServerError)},
		{name: "connection reset", run: fault(ecrtest.FaultConnectionReset)},
		{name: "throttling", throttle: true, run: fault(ecrtest.FaultThrottling)},
		{name: "AccessDenied", run: fault(ecrtest.FaultAccessDenied)},
		{name: "connection refused", run: func(h helper) (outcome, error) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return outcome{}, err
			}
			url := "http://" + ln.Addr().String()
			ln.Close() // nothing listens there now
			o, err := get(h, newEnv(url), nil)
			o.calls = -1
			return o, err
		}},
		{name: "stale token + HTTP 500", run: func(h helper) (outcome, error) {
			return stale(h, ecrtest.Fault{Kind: ecrtest.FaultServerError}, 1)
		}},
		{name: "stale token + ECR stalled, 5 gets at once", run: func(h helper) (outcome, error) {
			return stale(h, ecrtest.Fault{Kind: ecrtest.FaultStall, Duration: 15 * time.Second}, 5)
		}},
	}
}

// stale caches a token with a short lifetime, waits until both helpers see
// it as due for refresh (past half its life) but still valid, injects f and
// runs n gets at once; the outcome is the slowest of them.
func stale(h helper, f ecrtest.Fault, n int) (outcome, error) {
	fake := ecrtest.NewServer(ecrtest.WithLifetime(lifetime))
	defer fake.Close()
	env := newEnv(fake.URL())
	first, err := get(h, env, fake)
	if err != nil {
		return outcome{}, err
	}
	if first.code != 0 {
		return outcome{}, fmt.Errorf("priming get failed: %s", first.answer)
	}
	time.Sleep(lifetime/2 + 500*time.Millisecond) // the scenario's clock, not synchronisation
	fake.Reset()
	fake.SetFault(f)
	var wg sync.WaitGroup
	outs := make([]outcome, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { outs[i], errs[i] = get(h, env, nil) })
	}
	wg.Wait()
	worst := outcome{}
	for i, o := range outs {
		if errs[i] != nil {
			return outcome{}, errs[i]
		}
		if o.code != 0 {
			worst.code, worst.answer = o.code, o.answer
		}
		if o.took > worst.took {
			worst.took = o.took
			if worst.code == 0 {
				worst.answer = o.answer
			}
		}
	}
	worst.calls = fake.CallCount()
	return worst, nil
}

// homes are the temporary HOMEs made so far, removed at exit.
var homes []string

func newEnv(url string) []string {
	home, err := os.MkdirTemp("", "faultbench-home-")
	if err != nil {
		panic(err)
	}
	homes = append(homes, home)
	for _, f := range []string{"aws-config", "aws-credentials"} {
		if err := os.WriteFile(filepath.Join(home, f), nil, 0o600); err != nil {
			panic(err)
		}
	}
	return []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=AKIDFAULTBENCH0001",
		"AWS_SECRET_ACCESS_KEY=faultbench-secret-key-not-real",
		"AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_ECR=" + url,
		"AWS_ENDPOINT_URL_ECR_PUBLIC=" + url,
		"AWS_ENDPOINT_URL_STS=" + url,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "aws-credentials"),
		"AWS_ECR_CACHE_DIR=" + filepath.Join(home, "cache"),
		"AWS_ECR_TIMEOUT=" + timeout.String(),
	}
}

// get runs one `get` and reports it; fake (if any) is reset first and its
// calls counted after.
func get(h helper, env []string, fake *ecrtest.Server) (outcome, error) {
	if fake != nil {
		fake.Reset()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, "get")
	cmd.Env = env
	cmd.Stdin = strings.NewReader(registryHost)
	var out bytes.Buffer
	cmd.Stdout = &out
	start := time.Now()
	err := cmd.Run()
	o := outcome{took: time.Since(start), calls: -1}
	if ctx.Err() != nil {
		return o, fmt.Errorf("no answer within 60s")
	}
	if ee, ok := err.(*exec.ExitError); ok {
		o.code = ee.ExitCode()
	} else if err != nil {
		return o, err
	}
	o.answer = summarize(out.String(), o.code)
	if fake != nil {
		o.calls = fake.CallCount()
	}
	return o, nil
}

// summarize keeps the answer short and secret-free: "token" for a success,
// else the first 60 characters of the message.
func summarize(stdout string, code int) string {
	if code == 0 {
		return "token"
	}
	s := strings.TrimSpace(stdout)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimPrefix(s, "getting ECR credentials for "+registryHost+": ")
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return strings.ReplaceAll(s, "|", "/")
}

// median is the run with the median time (calls and answer from that run).
func median(runs []outcome) outcome {
	s := slices.Clone(runs)
	slices.SortFunc(s, func(a, b outcome) int { return int(a.took - b.took) })
	m := s[len(s)/2]
	for _, r := range runs { // calls: the most any run made
		m.calls = max(m.calls, r.calls)
	}
	return m
}
