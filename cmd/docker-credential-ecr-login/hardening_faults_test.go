//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// These tests (hardening_*_test.go) drive the real binary against the fake
// ECR through every failure the fake can inject, every way the cache
// location can be wrong, hostile stdin, and with sentinel secrets that must
// never surface.

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
