//go:build unix

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// These tests drive the real binary against the fake ECR through every
// failure the fake can inject, every way the cache location can be wrong,
// hostile stdin, and with sentinel secrets that must never surface.

// ---------------------------------------------------------------------------
// Running the binary with more control than runHelper gives.
// ---------------------------------------------------------------------------

// invocation is one run of a binary.
type invocation struct {
	bin     string // default helperBin
	args    []string
	env     map[string]string
	stdin   []byte
	timeout time.Duration       // default 60s
	cred    *syscall.Credential // run as another user (root only)
	dir     string              // working directory
}

// invoke runs inv and returns what it did. It fails the test on a panic or
// when the child outlives its deadline; every value of a secret-looking
// variable in inv.env is checked to appear on neither stream.
func invoke(t *testing.T, inv invocation) run {
	t.Helper()
	if inv.bin == "" {
		inv.bin = helperBin
	}
	if inv.timeout == 0 {
		inv.timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), inv.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, inv.bin, inv.args...)
	for k, v := range inv.env {
		if v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Stdin = bytes.NewReader(inv.stdin)
	cmd.Dir = inv.dir
	if inv.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: inv.cred}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := run{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not finish within %s\nstdout=%s\nstderr=%s", filepath.Base(inv.bin), inv.args, inv.timeout, r.stdout, r.stderr)
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", inv.bin, err)
	}
	if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stdout, "goroutine ") {
		t.Fatalf("the binary panicked:\nstdout=%s\nstderr=%s", r.stdout, r.stderr)
	}
	for _, k := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if s := inv.env[k]; len(s) >= 8 && (strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s)) {
			t.Fatalf("%s leaked:\nstdout=%s\nstderr=%s", k, r.stdout, r.stderr)
		}
	}
	return r
}

func get(t *testing.T, env map[string]string, host string) run {
	t.Helper()
	return invoke(t, invocation{args: []string{"get"}, env: env, stdin: []byte(host)})
}

func cloneEnv(env map[string]string) map[string]string {
	c := make(map[string]string, len(env))
	for k, v := range env {
		c[k] = v
	}
	return c
}

// answered is mustAnswer, and stdout holds nothing but that one answer line.
func answered(t *testing.T, r run) answer {
	t.Helper()
	a := mustAnswer(t, r)
	if !oneLine(r.stdout) {
		t.Fatalf("stdout holds more than the protocol answer: %q", r.stdout)
	}
	return a
}

// oneLine reports whether s is exactly one non-empty line.
func oneLine(s string) bool {
	return strings.HasSuffix(s, "\n") && strings.Count(s, "\n") == 1 && len(strings.TrimSpace(s)) > 0
}

// cacheEntries reads the cache file in dir: nil when there is none.
func cacheEntries(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "ecr-login-cache.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Version int                       `json:"version"`
		Entries map[string]map[string]any `json:"entries"`
	}
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 {
		t.Fatalf("cache file is not a version 1 cache (%v):\n%s", err, data)
	}
	return f.Entries
}

// countingPasswords makes the fake issue "pw-1", "pw-2", ... so that a
// served token tells which call issued it.
func countingPasswords() ecrtest.Option {
	var n atomic.Int64
	return ecrtest.WithPasswordFunc(func(ecrtest.Call) string { return fmt.Sprintf("pw-%d", n.Add(1)) })
}

// ---------------------------------------------------------------------------
// 1. Faults
// ---------------------------------------------------------------------------

// faultCase is one way ECR (or the path to it) can fail, and what the
// helper must say about it: the cause and what to do.
type faultCase struct {
	fault     ecrtest.Fault
	want      []string // in stdout and stderr when no cached token can stand in
	retryable bool     // the SDK retries it (so more than one call within the deadline)
}

// stall20s is a fake that answers only after 20 s; with AWS_ECR_TIMEOUT=2s
// the helper must give up after about 2 s.
var stall20s = ecrtest.Fault{Kind: ecrtest.FaultStall, Duration: 20 * time.Second}

var faultCases = []faultCase{
	{ecrtest.Fault{Kind: ecrtest.FaultServerError}, []string{"ECR answered HTTP 500", "AWS side", "try again later"}, true},
	{ecrtest.Fault{Kind: ecrtest.FaultThrottling}, []string{"ECR throttled GetAuthorizationToken", "AWS_ECR_TIMEOUT"}, true},
	{ecrtest.Fault{Kind: ecrtest.FaultAccessDenied}, []string{"AWS denied the request", "needs IAM permission ecr:GetAuthorizationToken"}, false},
	{ecrtest.Fault{Kind: ecrtest.FaultExpiredToken}, []string{"have expired", "ExpiredTokenException", "refresh them"}, false},
	{ecrtest.Fault{Kind: ecrtest.FaultUnrecognizedClient}, []string{"AWS rejected the credentials", "UnrecognizedClientException", "check the access key"}, false},
	{ecrtest.Fault{Kind: ecrtest.FaultInvalidSignature}, []string{"AWS rejected the credentials", "InvalidSignatureException", "check the access key"}, false},
	{ecrtest.Fault{Kind: ecrtest.FaultMalformedJSON}, []string{"sent a reply that is not a valid token", "AWS_ENDPOINT_URL_ECR"}, false},
	{ecrtest.Fault{Kind: ecrtest.FaultEmptyAuthData}, []string{"not a valid token", "authorizationData is empty", "AWS_ENDPOINT_URL_ECR"}, false},
	{ecrtest.Fault{Kind: ecrtest.FaultNoToken}, []string{"not a valid token", "authorizationToken is empty", "AWS_ENDPOINT_URL_ECR"}, false},
	{ecrtest.Fault{Kind: ecrtest.FaultTokenNotBase64}, []string{"not a valid token", "not base64", "AWS_ENDPOINT_URL_ECR"}, false},
	{ecrtest.Fault{Kind: ecrtest.FaultTokenNoColon}, []string{"not a valid token", "user:password", "AWS_ENDPOINT_URL_ECR"}, false},
	{ecrtest.Fault{Kind: ecrtest.FaultConnectionReset}, []string{"could not reach the ecr API", "connection reset", "check network"}, true},
	{stall20s, []string{"timed out after 2s", "AWS_ECR_TIMEOUT", "proxy"}, false},
}

// The expired-authorization fault is not a failure: ECR issued a token whose
// expiresAt is past by the local clock. It has its own tests below.

func TestEveryFaultKindHasACase(t *testing.T) {
	have := map[ecrtest.FaultKind]bool{ecrtest.FaultExpiredAuth: true}
	for _, c := range faultCases {
		have[c.fault.Kind] = true
	}
	for _, k := range ecrtest.FaultKinds() {
		if !have[k] {
			t.Errorf("fault %s has no case in faultCases", k)
		}
	}
}

// Extends TestFailuresNameCauseAndRemedy to every fault kind, and checks what
// that test does not: one line on stdout, nothing cached, a non-retryable
// error asked once, the deadline kept (a 20-second stall ends at 2 s).
func TestFaultWithoutCacheFailsWithCauseAndRemedy(t *testing.T) {
	for _, tc := range faultCases {
		t.Run(tc.fault.Kind.String(), func(t *testing.T) {
			t.Parallel()
			fake := ecrtest.NewServer(ecrtest.WithFault(tc.fault))
			defer fake.Close()
			env := baseEnv(t, fake.URL())
			env["AWS_ECR_TIMEOUT"] = "2s"
			env["AWS_SESSION_TOKEN"] = sessionToken
			r := get(t, env, hostA)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\nstdout=%s\nstderr=%s", r.code, r.stdout, r.stderr)
			}
			if !oneLine(r.stdout) || !strings.HasPrefix(r.stdout, "getting ECR credentials for "+hostA+": ") {
				t.Errorf("stdout must be one line naming the registry, got %q", r.stdout)
			}
			if !strings.Contains(r.stderr, "error: ") {
				t.Errorf("stderr has no error line: %q", r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) || !strings.Contains(r.stderr, w) {
					t.Errorf("want %q on stdout and stderr\nstdout=%s\nstderr=%s", w, r.stdout, r.stderr)
				}
			}
			if strings.Contains(r.stdout+r.stderr, fake.Password()) {
				t.Error("the ECR password leaked into an error")
			}
			if e := cacheEntries(t, env["AWS_ECR_CACHE_DIR"]); len(e) != 0 {
				t.Errorf("a failure left cache entries: %v", e)
			}
			calls := fake.CallCount()
			switch {
			case !tc.retryable && calls != 1:
				t.Errorf("API calls = %d, want exactly 1 (not retryable)", calls)
			case tc.retryable && calls < 2:
				t.Errorf("API calls = %d, want a retry within the 2s deadline", calls)
			}
			// Say "retried"/"attempts" only when it happened, and the right count.
			if calls == 1 && (strings.Contains(r.stdout, "retrying") || strings.Contains(r.stdout, "attempts")) {
				t.Errorf("one API call, but the message speaks of retries: %s", r.stdout)
			}
			// The SDK may have started one more attempt than the fake saw
			// when the deadline struck.
			if calls > 1 {
				var n int
				// "in 2s (AWS_ECR_TIMEOUT)" when the deadline ended the
				// retries, nothing more when the fault's budget did (retry.go).
				if m := regexp.MustCompile(`gave up after (\d+) attempts( in 2s \(AWS_ECR_TIMEOUT\))?`).FindStringSubmatch(r.stdout); m != nil {
					n, _ = strconv.Atoi(m[1])
				}
				if n < calls || n > calls+1 {
					t.Errorf("%d API calls, but the message does not say so: %s", calls, r.stdout)
				}
			}
			// The deadline holds whatever the fault: ~2 s, never the 20 s stall.
			if r.took > 6*time.Second {
				t.Errorf("took %s with AWS_ECR_TIMEOUT=2s", r.took)
			}
			if tc.fault == stall20s && r.took < 1500*time.Millisecond {
				t.Errorf("gave up after %s, before the 2s deadline", r.took)
			}
		})
	}
}

// For every fault, a cached token past its refresh point but not expired is
// served, with a warning naming the cause, and the cache is left as it was.
func TestFaultWithStillValidCachedTokenServesIt(t *testing.T) {
	cases := append([]faultCase{{fault: ecrtest.Fault{Kind: ecrtest.FaultExpiredAuth}}}, faultCases...)
	for _, tc := range cases {
		t.Run(tc.fault.Kind.String(), func(t *testing.T) {
			t.Parallel()
			fake := ecrtest.NewServer(countingPasswords())
			defer fake.Close()
			env := baseEnv(t, fake.URL())
			env["AWS_ECR_TIMEOUT"] = "2s"
			dir := env["AWS_ECR_CACHE_DIR"]
			if a := mustAnswer(t, get(t, env, hostA)); a.Secret != "pw-1" {
				t.Fatalf("first get: %+v", a)
			}
			// Issued 11h30m ago, expires in 30m: stale but valid.
			ageCache(t, dir, -(11*time.Hour + 30*time.Minute), 30*time.Minute)
			before, err := os.ReadFile(filepath.Join(dir, "ecr-login-cache.json"))
			if err != nil {
				t.Fatal(err)
			}
			fake.SetFault(tc.fault)
			r := get(t, env, hostA)
			a := answered(t, r)
			if a.ServerURL != hostA || a.Username != "AWS" {
				t.Fatalf("answer %+v", a)
			}
			if fake.CallCount() < 2 {
				t.Fatalf("API calls = %d: the stale token was served without asking ECR", fake.CallCount())
			}
			if r.took > 6*time.Second {
				t.Errorf("took %s with AWS_ECR_TIMEOUT=2s", r.took)
			}
			after, err := os.ReadFile(filepath.Join(dir, "ecr-login-cache.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Errorf("the cache changed although ECR gave no usable token:\nbefore %s\nafter  %s", before, after)
			}
			if tc.fault.Kind == ecrtest.FaultExpiredAuth {
				// ECR answered, with a token already expired by our clock: the
				// still-valid cached token is served, with a warning about the clock.
				if a.Secret != "pw-1" || !strings.Contains(r.stderr, "check the system clock") {
					t.Fatalf("answer %+v\nstderr=%s", a, r.stderr)
				}
				return
			}
			if a.Secret != "pw-1" {
				t.Fatalf("served %q, want the cached pw-1", a.Secret)
			}
			if !strings.Contains(r.stderr, "warn: ECR failed; serving the cached token") || !strings.Contains(r.stderr, tc.want[0]) {
				t.Errorf("stderr must warn that the cached token is served and why (%q):\n%s", tc.want[0], r.stderr)
			}
			if strings.Contains(r.stderr, "error:") {
				t.Errorf("a served token is not an error:\n%s", r.stderr)
			}
		})
	}
}

// A fresh token whose expiresAt is already past by the local clock is served
// once with a warning, never cached, so the next get asks ECR again.
func TestTokenExpiredByLocalClockServedOnceNeverCached(t *testing.T) {
	fake := ecrtest.NewServer(ecrtest.WithFault(ecrtest.Fault{Kind: ecrtest.FaultExpiredAuth}))
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	for i := 1; i <= 2; i++ {
		r := get(t, env, hostA)
		a := answered(t, r)
		if a.Secret != fake.Password() {
			t.Fatalf("get %d: %+v", i, a)
		}
		if !strings.Contains(r.stderr, "warn: ") || !strings.Contains(r.stderr, "check the system clock") {
			t.Fatalf("get %d: no clock warning:\n%s", i, r.stderr)
		}
		if n := fake.CallCount(); n != i {
			t.Fatalf("get %d: API calls = %d, want %d (the token must not be cached)", i, n, i)
		}
		if e := cacheEntries(t, env["AWS_ECR_CACHE_DIR"]); len(e) != 0 {
			t.Fatalf("get %d: the expired token was cached: %v", i, e)
		}
	}
	if r := invoke(t, invocation{args: []string{"list"}, env: env}); r.code != 0 || strings.TrimSpace(r.stdout) != "{}" {
		t.Fatalf("list: %d %q", r.code, r.stdout)
	}
}

// Throttling, 5xx and resets are retried with backoff inside the deadline;
// errors a retry cannot fix are not retried.
func TestRetriesTransientFaultsOnly(t *testing.T) {
	for _, tc := range []struct {
		fault ecrtest.Fault
		ok    bool
		calls int
	}{
		{ecrtest.Fault{Kind: ecrtest.FaultThrottling, Times: 2}, true, 3},
		{ecrtest.Fault{Kind: ecrtest.FaultServerError, Times: 2}, true, 3},
		{ecrtest.Fault{Kind: ecrtest.FaultConnectionReset, Times: 2}, true, 3},
		{ecrtest.Fault{Kind: ecrtest.FaultAccessDenied}, false, 1},
		{ecrtest.Fault{Kind: ecrtest.FaultUnrecognizedClient}, false, 1},
		{ecrtest.Fault{Kind: ecrtest.FaultExpiredToken}, false, 1},
		{ecrtest.Fault{Kind: ecrtest.FaultInvalidSignature}, false, 1},
		{ecrtest.Fault{Kind: ecrtest.FaultAccessDenied, Times: 1}, false, 1},
	} {
		t.Run(fmt.Sprintf("%s-times-%d", tc.fault.Kind, tc.fault.Times), func(t *testing.T) {
			t.Parallel()
			fake := ecrtest.NewServer(ecrtest.WithFault(tc.fault))
			defer fake.Close()
			env := baseEnv(t, fake.URL()) // default AWS_ECR_TIMEOUT (30s)
			r := get(t, env, hostA)
			if tc.ok {
				if a := answered(t, r); a.Secret != fake.Password() {
					t.Fatalf("answer %+v", a)
				}
				if strings.Contains(r.stderr, "error") {
					t.Errorf("a retried success printed an error:\n%s", r.stderr)
				}
				if e := cacheEntries(t, env["AWS_ECR_CACHE_DIR"]); len(e) != 1 {
					t.Errorf("cache entries after a retried success: %v", e)
				}
			} else if r.code != 1 || strings.Contains(r.stdout, "credentials not found") {
				t.Fatalf("exit %d\nstdout=%s\nstderr=%s", r.code, r.stdout, r.stderr)
			}
			if n := fake.CallCount(); n != tc.calls {
				t.Fatalf("API calls = %d, want %d", n, tc.calls)
			}
			// Backoff is jittered (up to 2 s, then 4 s); all of it well inside the deadline.
			if r.took > 15*time.Second || (!tc.ok && r.took > 3*time.Second) {
				t.Fatalf("took %s", r.took)
			}
			calls := fake.Calls()
			for i := 1; i < len(calls); i++ {
				if calls[i].Time.Before(calls[i-1].Time) {
					t.Fatalf("calls out of order: %+v", calls)
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// 2. File system
// ---------------------------------------------------------------------------

const nobody = 65534

// unprivileged returns a credential for the nobody user, a copy of the helper
// that user may run, and a base directory it can reach (0755, owned by the
// caller). When the test does not run as root it returns a nil credential:
// the test user is unprivileged already.
func unprivileged(t *testing.T) (*syscall.Credential, string, string) {
	t.Helper()
	base, err := os.MkdirTemp("", "ecr-login-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return nil, helperBin, base
	}
	bin := filepath.Join(base, "docker-credential-ecr-login")
	data, err := os.ReadFile(helperBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cred := &syscall.Credential{Uid: nobody, Gid: nobody}
	// Can we actually switch user here (no user namespace restrictions)?
	probe := exec.Command(bin, "version")
	probe.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	probe.Dir = base
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("cannot run a process as uid %d here: %v %s", nobody, err, out)
	}
	return cred, bin, base
}

// snapshot describes every path under root except those under skip: type,
// mode, size and a digest of the content or the link target.
func snapshot(t *testing.T, root, skip string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skip != "" && (p == skip || strings.HasPrefix(p, skip+string(filepath.Separator))) {
			if d.IsDir() && p == skip {
				return fs.SkipDir
			}
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%v %d", fi.Mode(), fi.Size())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			desc += " " + hex.EncodeToString(sum[:8])
		}
		out[p] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameSnapshot(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, d := range after {
		if b, ok := before[p]; !ok {
			t.Errorf("%s: the helper created %s (%s) outside the cache directory", what, p, d)
		} else if b != d {
			t.Errorf("%s: the helper changed %s outside the cache directory: %s -> %s", what, p, b, d)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s: the helper removed %s outside the cache directory", what, p)
		}
	}
}

// In every broken cache location the helper still answers with a token from
// ECR, warns on stderr, and writes nothing outside the cache directory.
func TestCacheLocationProblemsStillAnswer(t *testing.T) {
	root := os.Geteuid() == 0
	type fsCase struct {
		name     string
		asNobody bool
		// setup prepares home and returns the cache directory to use.
		setup func(t *testing.T, home string, env map[string]string) string
		warn  []string // on stderr
		after func(t *testing.T, home, cacheDir string)
	}
	mkdir := func(t *testing.T, p string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // not subject to the umask
			t.Fatal(err)
		}
	}
	// planted is a valid cache file that a followed symlink would serve.
	planted := func(t *testing.T, env map[string]string) []byte {
		t.Helper()
		e := cloneEnv(env)
		e["AWS_ECR_CACHE_DIR"] = filepath.Join(t.TempDir(), "other-cache")
		mustAnswer(t, get(t, e, hostA))
		data, err := os.ReadFile(filepath.Join(e["AWS_ECR_CACHE_DIR"], "ecr-login-cache.json"))
		if err != nil {
			t.Fatal(err)
		}
		return bytes.ReplaceAll(data, []byte(ecrtest.DefaultPassword(ecrtest.DefaultAccountID)), []byte("PLANTED-PASSWORD"))
	}
	cases := []fsCase{
		{
			name: "read-only-dir", asNobody: true,
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				mkdir(t, d, 0o500)
				return d
			},
			warn: []string{"permission denied", "fix its permissions", "could not save the token in the cache"},
		},
		{
			name: "parent-is-a-file",
			setup: func(t *testing.T, home string, env map[string]string) string {
				if err := os.WriteFile(filepath.Join(home, "not-a-dir"), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(home, "not-a-dir", "cache")
			},
			warn: []string{"not a directory", "use another cache directory", "could not save the token in the cache"},
		},
		{
			name: "owned-by-another-user",
			setup: func(t *testing.T, home string, env map[string]string) string {
				if !root {
					t.Skip("needs root to chown")
				}
				d := filepath.Join(home, "cache")
				mkdir(t, d, 0o700)
				if err := os.Chown(d, nobody, nobody); err != nil {
					t.Fatal(err)
				}
				return d
			},
			warn: []string{"owned by uid 65534", "use a cache directory of your own", "could not save the token in the cache"},
			after: func(t *testing.T, home, cacheDir string) {
				if ents, _ := os.ReadDir(cacheDir); len(ents) != 0 {
					t.Errorf("wrote into a directory owned by another user: %v", ents)
				}
			},
		},
		{
			name: "world-writable-dir",
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				mkdir(t, d, 0o777)
				return d
			},
			warn: []string{"writable by other users", "make it private: chmod 700", "could not save the token in the cache"},
			after: func(t *testing.T, home, cacheDir string) {
				if ents, _ := os.ReadDir(cacheDir); len(ents) != 0 {
					t.Errorf("wrote into a world-writable directory: %v", ents)
				}
			},
		},
		{
			name: "cache-file-symlink-to-outside",
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				mkdir(t, d, 0o700)
				outside := filepath.Join(home, "outside.json")
				if err := os.WriteFile(outside, planted(t, env), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(outside, filepath.Join(d, "ecr-login-cache.json")); err != nil {
					t.Fatal(err)
				}
				return d
			},
			warn: []string{"is a symlink; remove it"},
			after: func(t *testing.T, home, cacheDir string) {
				fi, err := os.Lstat(filepath.Join(cacheDir, "ecr-login-cache.json"))
				if err == nil && fi.Mode().IsRegular() && fi.Mode().Perm() != 0o600 {
					t.Errorf("the replacing cache file has mode %v", fi.Mode())
				}
			},
		},
		{
			name: "lock-file-symlink",
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				mkdir(t, d, 0o700)
				// Dangling, so that following it would create the target.
				if err := os.Symlink(filepath.Join(home, "created-through-lock-link"), filepath.Join(d, "ecr-login-cache.lock")); err != nil {
					t.Fatal(err)
				}
				return d
			},
			warn: []string{"is a symlink; remove it", "could not save the token in the cache"},
		},
		{
			name: "fetch-lock-symlink",
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				e := cloneEnv(env)
				e["AWS_ECR_CACHE_DIR"] = d
				mustAnswer(t, get(t, e, hostA)) // creates the fetch lock of this key
				locks, _ := filepath.Glob(filepath.Join(d, "ecr-login-fetch-*.lock"))
				if len(locks) == 0 {
					t.Fatal("no fetch lock file after a get")
				}
				for i, l := range locks {
					if err := os.Remove(l); err != nil {
						t.Fatal(err)
					}
					if err := os.Symlink(filepath.Join(home, fmt.Sprintf("created-through-fetch-lock-%d", i)), l); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.Remove(filepath.Join(d, "ecr-login-cache.json")); err != nil {
					t.Fatal(err)
				}
				return d
			},
			warn: []string{"is a symlink; remove it", "token cache unavailable"},
		},
		{
			name: "cache-file-is-a-directory",
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				mkdir(t, filepath.Join(d, "ecr-login-cache.json"), 0o700)
				if err := os.Chmod(d, 0o700); err != nil {
					t.Fatal(err)
				}
				return d
			},
			warn: []string{"not a regular file; remove it", "could not save the token in the cache"},
		},
		{
			name: "cache-file-is-a-fifo",
			setup: func(t *testing.T, home string, env map[string]string) string {
				d := filepath.Join(home, "cache")
				mkdir(t, d, 0o700)
				if err := syscall.Mkfifo(filepath.Join(d, "ecr-login-cache.json"), 0o600); err != nil {
					t.Skipf("mkfifo: %v", err)
				}
				return d
			},
			warn: []string{"not a regular file; remove it"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := ecrtest.NewServer()
			defer fake.Close()
			var cred *syscall.Credential
			bin := helperBin
			home := t.TempDir()
			if tc.asNobody {
				var base string
				cred, bin, base = unprivileged(t)
				home = filepath.Join(base, "home")
				if err := os.Mkdir(home, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			env := baseEnv(t, fake.URL())
			env["HOME"] = home
			env["AWS_CONFIG_FILE"] = filepath.Join(home, "aws-config")
			env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(home, "aws-credentials")
			env["AWS_ECR_CACHE_DIR"] = filepath.Join(home, "cache")
			dir := tc.setup(t, home, env)
			env["AWS_ECR_CACHE_DIR"] = dir
			if cred != nil {
				// Hand the whole home over to the unprivileged user.
				filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
					if err == nil {
						os.Lchown(p, nobody, nobody)
					}
					return nil
				})
			}
			fake.Reset()
			before := snapshot(t, home, dir)
			r := invoke(t, invocation{bin: bin, args: []string{"get"}, env: env, stdin: []byte(hostA), cred: cred, dir: home})
			a := answered(t, r)
			if a.Secret != fake.Password() || a.ServerURL != hostA {
				t.Fatalf("answer %+v, want the token from the fake", a)
			}
			if n := fake.CallCount(); n != 1 {
				t.Fatalf("API calls = %d, want 1 (the token must come from ECR)", n)
			}
			t.Logf("stderr:\n%s", r.stderr)
			if !strings.Contains(r.stderr, "warn: ") {
				t.Errorf("no warning on stderr:\n%s", r.stderr)
			}
			for _, w := range tc.warn {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("want %q on stderr:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "error:") {
				t.Errorf("an answered get printed an error:\n%s", r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			for i, l := range lines {
				if slices.Contains(lines[:i], l) {
					t.Errorf("the same warning twice: %s", l)
				}
			}
			sameSnapshot(t, tc.name, before, snapshot(t, home, dir))
			if tc.after != nil {
				tc.after(t, home, dir)
			}
		})
	}
}

// With umask 0 every file the helper makes is still private.
// Not parallel: the umask is process-wide.
func TestFilesArePrivateUnderUmask0(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	home := env["HOME"]
	dir := filepath.Join(home, "deep", "er", "cache")
	env["AWS_ECR_CACHE_DIR"] = dir
	logFile := filepath.Join(home, "helper.log")
	env["AWS_ECR_LOG_FILE"] = logFile
	// A pre-existing log file that is too open is tightened.
	oldLog := filepath.Join(home, "old.log")
	if err := os.WriteFile(oldLog, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(oldLog, 0o666); err != nil {
		t.Fatal(err)
	}

	old := syscall.Umask(0)
	r := get(t, env, hostA)
	env2 := cloneEnv(env)
	env2["AWS_ECR_LOG_FILE"] = oldLog
	r2 := get(t, env2, hostB)
	syscall.Umask(old)
	answered(t, r)
	mustAnswer(t, r2)

	want := map[string]os.FileMode{
		filepath.Join(home, "deep"):       0o700,
		filepath.Join(home, "deep", "er"): 0o700,
		dir:                               0o700,
		filepath.Join(dir, "ecr-login-cache.json"): 0o600,
		filepath.Join(dir, "ecr-login-cache.lock"): 0o600,
		logFile: 0o600,
		oldLog:  0o600,
	}
	locks, _ := filepath.Glob(filepath.Join(dir, "ecr-login-fetch-*.lock"))
	if len(locks) == 0 {
		t.Error("no fetch lock file")
	}
	for _, l := range locks {
		want[l] = 0o600
	}
	for p, m := range want {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if fi.Mode().Perm() != m {
			t.Errorf("%s: mode %04o, want %04o", p, fi.Mode().Perm(), m)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if _, ok := want[filepath.Join(dir, e.Name())]; !ok {
			t.Errorf("unexpected file in the cache directory: %s", e.Name())
		}
	}
}

// ---------------------------------------------------------------------------
// 5. Hostile input on stdin
// ---------------------------------------------------------------------------

func TestHostileInput(t *testing.T) {
	const notFound = "credentials not found in native keychain\n"
	type want int
	const (
		wantToken want = iota // exit 0 with the token
		notECR                // exit 1, not-found, no API call
		clearErr              // exit 1 with msg on stdout, no API call
		either                // an answer, or not-found / a clear error without an API call
		refused               // not-found or a clear error, without an API call
	)
	mib := 1 << 20
	big := func(n int, b byte) string { return strings.Repeat(string(b), n) }
	for _, tc := range []struct {
		name, verb, in string
		want           want
		msg            string
	}{
		{"1MiB", "get", big(mib, 'a'), clearErr, "expected a registry host name"},
		{"1MiB+1", "get", big(mib+1, 'a'), clearErr, "larger than 1 MiB"},
		{"host-then-1MiB-of-spaces", "get", hostA + big(mib-len(hostA), ' '), wantToken, ""},
		{"host-then-1MiB-of-newlines", "get", hostA + big(mib-len(hostA), '\n'), wantToken, ""},
		{"1MiB-of-spaces-around-host", "get", big(mib/2, ' ') + hostA + big(mib/2-len(hostA), '\t'), wantToken, ""},
		{"store-1MiB+1", "store", big(mib+1, '{'), clearErr, "larger than 1 MiB"},
		{"store-one-100KiB-line", "store", `{"ServerURL":"` + hostA + `","Username":"AWS","Secret":"` + big(100<<10, 'x') + `"}`, clearErr, "longer than 64 KiB"},
		{"erase-1MiB+1", "erase", big(mib+1, 'a'), clearErr, "larger than 1 MiB"},
		{"binary", "get", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8\xff\xe0", refused, ""},
		{"binary-one-line", "get", "\x89PNG\x1a\x00\x00\x00\rIHDR\xff\xd8\xff\xe0", notECR, ""},
		{"nul-only", "get", "\x00", notECR, ""},
		{"nul-after-host", "get", hostA + "\x00", notECR, ""},
		{"nul-inside-host", "get", "123456789012.dkr.ecr\x00.us-east-1.amazonaws.com", notECR, ""},
		{"invalid-utf8", "get", "\xff\xfe" + hostA, notECR, ""},
		{"invalid-utf8-suffix", "get", hostA + "\xc3\x28", notECR, ""},
		{"userinfo", "get", "https://AWS:SENTINEL-USERINFO-PW@" + hostA, either, ""},
		{"userinfo-host-is-elsewhere", "get", "https://" + hostA + "@evil.example", notECR, ""},
		{"query", "get", hostA + "?token=SENTINEL-QUERY", either, ""},
		{"fragment", "get", hostA + "#frag", either, ""},
		{"path-traversal", "get", hostA + "/../../etc/passwd", either, ""},
		{"ipv6-literal", "get", "[::1]", notECR, ""},
		{"ipv6-literal-url", "get", "https://[::1]:443/v2/", notECR, ""},
		{"ipv4", "get", "127.0.0.1", notECR, ""},
		{"punycode-suffix", "get", "123456789012.dkr.ecr.us-east-1.xn--amazonaws-9db.com", notECR, ""},
		{"punycode-tld", "get", "123456789012.dkr.ecr.us-east-1.amazonaws.xn--com-9ma", notECR, ""},
		{"punycode-label", "get", "xn--123456789012-xyz.dkr.ecr.us-east-1.amazonaws.com", notECR, ""},
		{"unicode-lookalike", "get", "123456789012.dkr.ecr.us-east-1.amazonaws.c\u043em", notECR, ""},
		{"fullwidth-digits", "get", "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff12.dkr.ecr.us-east-1.amazonaws.com", notECR, ""},
		{"fullwidth-dot", "get", "123456789012\uff0edkr.ecr.us-east-1.amazonaws.com", notECR, ""},
		{"trailing-junk", "get", hostA + "junk", notECR, ""},
		{"trailing-word", "get", hostA + " junk", notECR, ""},
		{"trailing-shell", "get", hostA + ";rm -rf /", notECR, ""},
		{"trailing-backslash", "get", hostA + "\\x", notECR, ""},
		{"bad-port", "get", hostA + ":99999", notECR, ""},
		{"empty-port", "get", hostA + ":", notECR, ""},
		{"port-443", "get", hostA + ":443", wantToken, ""},
		{"trailing-dot", "get", hostA + ".", wantToken, ""},
		{"crlf", "get", hostA + "\r\n", wantToken, ""},
		{"crlf-url", "get", "https://" + hostA + "/v2/\r\n", wantToken, ""},
		{"leading-blank-lines", "get", "\r\n\n" + hostA + "\r\n", wantToken, ""},
		{"two-hosts", "get", hostA + "\n" + hostB + "\n", clearErr, "more than one line"},
		{"two-hosts-crlf", "get", hostA + "\r\n" + "docker.io\r\n", clearErr, "more than one line"},
		{"host-split-over-lines", "get", "123456789012.dkr.ecr.\nus-east-1.amazonaws.com", clearErr, "more than one line"},
		{"erase-two-lines", "erase", hostA + "\nx", clearErr, "more than one line"},
		{"cr-inside-host", "get", "123456789012.dkr.ecr.\rus-east-1.amazonaws.com", notECR, ""},
		{"whitespace-only", "get", " \t\r\n", clearErr, "server URL"},
		{"4097-byte-host", "get", strings.Repeat("a.", 2048) + "b", clearErr, "expected a registry host name"},
		{"erase-binary", "erase", "\x00\xff", either, ""},
		{"store-binary", "store", "\x00\xff", either, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := ecrtest.NewServer()
			defer fake.Close()
			env := baseEnv(t, fake.URL())
			r := invoke(t, invocation{args: []string{tc.verb}, env: env, stdin: []byte(tc.in), timeout: 10 * time.Second})
			calls := fake.CallCount()
			// The protocol echoes the client's input as ServerURL; nothing
			// else may repeat a secret-looking part of it.
			echo := r.stdout
			var served answer
			if json.Unmarshal([]byte(r.stdout), &served) == nil {
				echo = strings.Replace(echo, served.ServerURL, "", 1)
			}
			for _, s := range []string{"SENTINEL-USERINFO-PW", "SENTINEL-QUERY"} {
				if strings.Contains(echo, s) || strings.Contains(r.stderr, s) {
					t.Fatalf("the input's secret part was echoed:\nstdout=%s\nstderr=%s", r.stdout, r.stderr)
				}
			}
			isAnswer := func() bool {
				var a answer
				dec := json.NewDecoder(strings.NewReader(r.stdout))
				dec.DisallowUnknownFields()
				return r.code == 0 && dec.Decode(&a) == nil && a.Secret == fake.Password() && a.Username == "AWS"
			}
			isRefusal := func() bool {
				return r.code == 1 && oneLine(r.stdout) && calls == 0 && !strings.Contains(r.stdout, fake.Password())
			}
			switch tc.want {
			case wantToken:
				if !isAnswer() {
					t.Fatalf("want the token: exit %d\nstdout=%s\nstderr=%s", r.code, r.stdout, r.stderr)
				}
			case notECR:
				if r.code != 1 || r.stdout != notFound || calls != 0 {
					t.Fatalf("want not-found without an API call: exit %d, %d calls\nstdout=%q\nstderr=%s", r.code, calls, r.stdout, r.stderr)
				}
			case clearErr:
				if !isRefusal() || !strings.Contains(r.stdout, tc.msg) || r.stdout == notFound {
					t.Fatalf("want exit 1 and %q without an API call: exit %d, %d calls\nstdout=%q\nstderr=%s", tc.msg, r.code, calls, r.stdout, r.stderr)
				}
			case refused:
				if !isRefusal() {
					t.Fatalf("want not-found or a clear error without an API call: exit %d, %d calls\nstdout=%q\nstderr=%s", r.code, calls, r.stdout, r.stderr)
				}
			case either:
				switch {
				case tc.verb != "get" && r.code == 0 && r.stdout == "":
				case tc.verb == "get" && isAnswer():
				case isRefusal():
				default:
					t.Fatalf("want an answer, not-found or a clear error: exit %d, %d calls\nstdout=%q\nstderr=%s", r.code, calls, r.stdout, r.stderr)
				}
				if r.code == 1 && strings.Contains(r.stdout, "bufio.Scanner") {
					t.Fatalf("an internal error is not a clear message: %q", r.stdout)
				}
				t.Logf("exit %d, %d API calls, stdout %.80q", r.code, calls, r.stdout)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// 6. Secrets never leak
// ---------------------------------------------------------------------------

const (
	sentinelSecret   = "SENTINEL-SECRET-ACCESS-KEY-5b1e0c"
	sentinelSession  = "SENTINEL-SESSION-TOKEN-5b1e0c"
	sentinelPassword = "SENTINEL-ECR-PASSWORD-5b1e0c"
)

var (
	providerOnce sync.Once
	providerPath string
	providerErr  error
)

// providerBinary builds ecr-credential-provider next to the helper.
func providerBinary(t *testing.T) string {
	t.Helper()
	providerOnce.Do(func() {
		providerPath = filepath.Join(filepath.Dir(helperBin), "ecr-credential-provider")
		out, err := exec.Command("go", "build", "-o", providerPath, "../ecr-credential-provider").CombinedOutput()
		if err != nil {
			providerErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if providerErr != nil {
		t.Fatalf("building the provider: %v", providerErr)
	}
	return providerPath
}

// Every code path, run with sentinel secrets and a debug log file: the AWS
// secret key and session token appear nowhere, and the ECR password only in
// a successful answer's Secret and in the 0600 cache file.
func TestSentinelSecretsNeverLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs every command and fault against the binary (about 20s); make test runs it")
	}
	root := t.TempDir()
	fake := ecrtest.NewServer(ecrtest.WithPassword(sentinelPassword))
	defer fake.Close()
	sentinels := []string{sentinelSecret, sentinelSession, sentinelPassword}

	var mu sync.Mutex
	n := 0
	newEnv := func() map[string]string {
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		home := filepath.Join(root, fmt.Sprintf("home-%02d", i))
		if err := os.MkdirAll(filepath.Join(home, "tmp"), 0o700); err != nil {
			t.Fatal(err)
		}
		env := baseEnv(t, fake.URL())
		env["HOME"] = home
		env["TMPDIR"] = filepath.Join(home, "tmp")
		env["AWS_SECRET_ACCESS_KEY"] = sentinelSecret
		env["AWS_SESSION_TOKEN"] = sentinelSession
		env["AWS_ECR_CACHE_DIR"] = filepath.Join(home, "cache")
		env["AWS_CONFIG_FILE"] = filepath.Join(home, "aws-config")
		env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(home, "aws-credentials")
		env["AWS_ECR_LOG_FILE"] = filepath.Join(home, "helper.log")
		env["AWS_ECR_LOG_LEVEL"] = "debug"
		env["AWS_ECR_TIMEOUT"] = "2s"
		return env
	}
	// check inspects one run. secretOK: stdout may carry the password as the
	// protocol answer's Secret (get) or as the whole output (token).
	check := func(t *testing.T, what string, r run, allowed string) {
		t.Helper()
		out := r.stdout
		switch allowed {
		case "secret":
			var a map[string]any
			if json.Unmarshal([]byte(out), &a) == nil && a["Secret"] == sentinelPassword {
				delete(a, "Secret")
				b, _ := json.Marshal(a)
				out = string(b)
			}
		case "token":
			if out == sentinelPassword+"\n" {
				out = ""
			}
		case "provider":
			var a map[string]any
			if json.Unmarshal([]byte(out), &a) == nil {
				if auth, ok := a["auth"].(map[string]any); ok {
					for _, v := range auth {
						if m, ok := v.(map[string]any); ok && m["password"] == sentinelPassword {
							delete(m, "password")
						}
					}
				}
				b, _ := json.Marshal(a)
				out = string(b)
			}
		}
		for _, s := range sentinels {
			if strings.Contains(out, s) {
				t.Errorf("%s: %s on stdout: %s", what, s, r.stdout)
			}
			if strings.Contains(r.stderr, s) {
				t.Errorf("%s: %s on stderr: %s", what, s, r.stderr)
			}
		}
	}
	getOK := func(t *testing.T, what string, env map[string]string, host string) {
		t.Helper()
		r := get(t, env, host)
		if a := answered(t, r); a.Secret != sentinelPassword {
			t.Fatalf("%s: %+v", what, a)
		}
		check(t, what, r, "secret")
	}

	t.Run("get-miss-hit-list-store-erase-token", func(t *testing.T) {
		env := newEnv()
		getOK(t, "cold get", env, hostA)
		getOK(t, "cached get", env, hostB)
		r := invoke(t, invocation{args: []string{"list"}, env: env})
		check(t, "list", r, "")
		store := `{"ServerURL":"` + hostA + `","Username":"AWS","Secret":"` + sentinelPassword + `"}`
		check(t, "store", invoke(t, invocation{args: []string{"store"}, env: env, stdin: []byte(store)}), "")
		check(t, "erase", invoke(t, invocation{args: []string{"erase"}, env: env, stdin: []byte(hostA)}), "")
		r = invoke(t, invocation{args: []string{"token", hostA}, env: env})
		if r.code != 0 || r.stdout != sentinelPassword+"\n" {
			t.Errorf("token: exit %d stdout %q", r.code, r.stdout)
		}
		check(t, "token", r, "token")
		check(t, "not ECR", get(t, env, "docker.io"), "")
		check(t, "userinfo", get(t, env, "https://AWS:"+sentinelPassword+"@"+hostA), "secret")
		check(t, "version", invoke(t, invocation{args: []string{"version"}, env: env}), "")
		env2 := cloneEnv(env)
		env2["AWS_ECR_TIMEOUT"] = "soon"
		check(t, "bad setting", get(t, env2, hostA), "")
		env3 := cloneEnv(env)
		env3["AWS_ECR_DISABLE_CACHE"] = "1"
		getOK(t, "cache disabled", env3, hostA)
	})
	t.Run("faults", func(t *testing.T) {
		for _, tc := range append([]faultCase{{fault: ecrtest.Fault{Kind: ecrtest.FaultExpiredAuth}}}, faultCases...) {
			t.Run(tc.fault.Kind.String(), func(t *testing.T) {
				t.Parallel()
				f := ecrtest.NewServer(ecrtest.WithPassword(sentinelPassword))
				defer f.Close()
				env := newEnv()
				env["AWS_ENDPOINT_URL_ECR"] = f.URL()
				// Cold: a failure (or the once-served expired token).
				f.SetFault(tc.fault)
				check(t, "cold", get(t, env, hostA), "secret")
				// Warm, stale but valid: the cached token with a warning.
				f.SetFault(ecrtest.Fault{})
				getOK(t, "fill", env, hostA)
				ageCache(t, env["AWS_ECR_CACHE_DIR"], -(11*time.Hour + 30*time.Minute), 30*time.Minute)
				f.SetFault(tc.fault)
				getOK(t, "stale", env, hostA)
			})
		}
	})
	t.Run("filesystem", func(t *testing.T) {
		env := newEnv()
		home := env["HOME"]
		// World-writable directory.
		if err := os.Mkdir(filepath.Join(home, "cache"), 0o700); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(home, "cache"), 0o777)
		getOK(t, "world-writable", env, hostA)
		// Cache file a symlink to a file outside.
		env = newEnv()
		home = env["HOME"]
		os.Mkdir(filepath.Join(home, "cache"), 0o700)
		os.WriteFile(filepath.Join(home, "outside"), []byte("{}"), 0o600)
		os.Symlink(filepath.Join(home, "outside"), filepath.Join(home, "cache", "ecr-login-cache.json"))
		getOK(t, "symlink", env, hostA)
		// Uncreatable directory.
		env = newEnv()
		os.WriteFile(filepath.Join(env["HOME"], "file"), nil, 0o600)
		env["AWS_ECR_CACHE_DIR"] = filepath.Join(env["HOME"], "file", "cache")
		getOK(t, "uncreatable", env, hostA)
		// Corrupt cache file.
		env = newEnv()
		os.Mkdir(filepath.Join(env["HOME"], "cache"), 0o700)
		os.WriteFile(filepath.Join(env["HOME"], "cache", "ecr-login-cache.json"), []byte(`{"version":1,"entries":{"k":{"password":`), 0o600)
		getOK(t, "corrupt", env, hostA)
	})
	t.Run("provider", func(t *testing.T) {
		bin := providerBinary(t)
		env := newEnv()
		req := `{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"` + hostA + `/app:1"}`
		for i := 0; i < 2; i++ { // miss, then hit
			r := invoke(t, invocation{bin: bin, env: env, stdin: []byte(req)})
			if r.code != 0 || !strings.Contains(r.stdout, sentinelPassword) {
				t.Fatalf("provider: exit %d\nstdout=%s\nstderr=%s", r.code, r.stdout, r.stderr)
			}
			check(t, "provider", r, "provider")
		}
		env["AWS_ECR_CACHE_DIR"] = filepath.Join(env["HOME"], "cache2")
		f := ecrtest.NewServer(ecrtest.WithPassword(sentinelPassword), ecrtest.WithFault(ecrtest.Fault{Kind: ecrtest.FaultAccessDenied}))
		defer f.Close()
		env["AWS_ENDPOINT_URL_ECR"] = f.URL()
		r := invoke(t, invocation{bin: bin, env: env, stdin: []byte(req)})
		if r.code != 1 {
			t.Fatalf("provider with AccessDenied: exit %d", r.code)
		}
		check(t, "provider failure", r, "")
	})

	// On disk: the secret key and session token nowhere; the password only
	// in private cache files.
	logs := 0
	cacheFiles := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if filepath.Base(p) == "helper.log" {
			logs++
			if !bytes.Contains(data, []byte("level=DEBUG")) {
				t.Errorf("%s: no debug records; the scenario did not log at debug level", p)
			}
		}
		for _, s := range []string{sentinelSecret, sentinelSession} {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds %s", p, s)
			}
		}
		if bytes.Contains(data, []byte(sentinelPassword)) {
			fi, _ := os.Stat(p)
			if filepath.Base(p) != "ecr-login-cache.json" || fi.Mode().Perm() != 0o600 {
				t.Errorf("the ECR password is in %s (mode %v), which is not a private cache file", p, fi.Mode())
			}
			cacheFiles++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if logs < 10 || cacheFiles == 0 {
		t.Fatalf("the scenarios left %d log files and %d cache files holding the password; the check saw too little", logs, cacheFiles)
	}
}
