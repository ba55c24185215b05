package main

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// The retry policy per fault (ecr/retry.go), the stale-token fallback, and
// the messages, through the binary against the fake ECR. Call counts are the
// stable proxy for time; `make bench-faults` measures the time.

func TestEachFaultGetsItsRetryBudget(t *testing.T) {
	for _, tc := range []struct {
		fault ecrtest.FaultKind
		calls int
		want  string
	}{
		{ecrtest.FaultServerError, 3, "gave up after 3 attempts"},
		{ecrtest.FaultConnectionReset, 3, "gave up after 3 attempts"},
		{ecrtest.FaultAccessDenied, 1, "AWS denied the request"},
		{ecrtest.FaultUnrecognizedClient, 1, "AWS rejected the credentials"},
		{ecrtest.FaultExpiredToken, 1, "have expired"},
		{ecrtest.FaultMalformedJSON, 1, "not a valid token"},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			t.Parallel()
			fake := ecrtest.NewServer(ecrtest.WithFault(ecrtest.Fault{Kind: tc.fault}))
			defer fake.Close()
			env := baseEnv(t, fake.URL()) // the default 30s deadline: the budget, not the deadline, ends it
			r := get(t, env, hostA)
			if r.code != 1 || !strings.Contains(r.stdout, tc.want) {
				t.Fatalf("exit %d stdout %q", r.code, r.stdout)
			}
			if strings.Contains(r.stdout, "AWS_ECR_TIMEOUT") {
				t.Errorf("the deadline did not end this fault: %s", r.stdout)
			}
			if n := fake.CallCount(); n != tc.calls {
				t.Fatalf("calls = %d, want %d", n, tc.calls)
			}
		})
	}
}

func TestThrottlingRetriesUntilTheDeadlineThenAnswers(t *testing.T) {
	fake := ecrtest.NewServer(ecrtest.WithFault(ecrtest.Fault{Kind: ecrtest.FaultThrottling}))
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	// 5 s: the first two waits are at most 1 s and 2 s (ecr/retry.go), so a
	// third attempt always fits before the deadline's reserve. With 3 s a
	// slow start plus two long draws left no room for it (a few runs in a
	// hundred under -race).
	env["AWS_ECR_TIMEOUT"] = "5s"
	r := get(t, env, hostA)
	if r.code != 1 || !strings.Contains(r.stdout, "ECR throttled") || !strings.Contains(r.stdout, "in 5s (AWS_ECR_TIMEOUT)") {
		t.Fatalf("exit %d stdout %q", r.code, r.stdout)
	}
	if n := fake.CallCount(); n < 3 {
		t.Fatalf("calls = %d: throttling is retried while the deadline allows", n)
	}
}

func TestConnectionRefusedGivesUpWithinTheStandardBudget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	env := baseEnv(t, url)
	env["AWS_ECR_LOG_LEVEL"] = "debug"
	r := get(t, env, hostA)
	if r.code != 1 || !strings.Contains(r.stdout, "could not reach") || !strings.Contains(r.stdout, "gave up after 3 attempts") {
		t.Fatalf("exit %d stdout %q", r.code, r.stdout)
	}
	// Each attempt is in the debug log with its cause and timing.
	if n := strings.Count(r.stderr, "fetch attempt failed"); n != 3 || !strings.Contains(r.stderr, "fault=transient") || !strings.Contains(r.stderr, "took=") {
		t.Fatalf("%d attempts logged:\n%s", n, r.stderr)
	}
}

// primeStale caches a token and ages it past its refresh point, 30 minutes
// before it expires.
func primeStale(t *testing.T, fake *ecrtest.Server, env map[string]string) answer {
	t.Helper()
	a := mustAnswer(t, get(t, env, hostA))
	ageCache(t, env["AWS_ECR_CACHE_DIR"], -(11*time.Hour + 30*time.Minute), 30*time.Minute)
	fake.Reset()
	return a
}

// With ECR stalled and a stale-but-valid token cached, five gets at once all
// serve it: one refreshes within its short budget, the others find the lock
// held and do not queue behind it (before: 10 s, 20 s, 30 s and two failures).
func TestConcurrentGetsServeTheStaleTokenWhileECRStalls(t *testing.T) {
	fake := ecrtest.NewServer(countingPasswords())
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	want := primeStale(t, fake, env)
	fake.SetFault(ecrtest.Fault{Kind: ecrtest.FaultStall}) // until the client gives up
	var wg sync.WaitGroup
	runs := make([]run, 5)
	for i := range runs {
		wg.Go(func() { runs[i] = get(t, env, hostA) })
	}
	wg.Wait()
	for _, r := range runs {
		if a := answered(t, r); a.Secret != want.Secret {
			t.Fatalf("served %+v, want the cached token", a)
		}
	}
	// Only the lock holder asked ECR; in turn, each would have (5). A
	// process that starts after the holder's 2 s budget ended may ask again.
	if n := fake.CallCount(); n < 1 || n > 2 {
		t.Fatalf("ECR calls = %d, want 1 (2 if a process started late)", n)
	}
}

func TestStaleTokenWithFailingCredentialsIsServed(t *testing.T) {
	const role = "arn:aws:iam::999999999999:role/pull"
	fake := ecrtest.NewServer(countingPasswords())
	defer fake.Close()
	env := identityEnv(t, fake, "registries:\n  - match: "+hostA+"\n    role_arn: "+role+"\n")
	want := primeStale(t, fake, env)
	fake.SetFault(ecrtest.Fault{Kind: ecrtest.FaultServerError, Service: "sts"})
	r := get(t, env, hostA)
	if a := answered(t, r); a.Secret != want.Secret {
		t.Fatalf("served %+v", a)
	}
	if !strings.Contains(r.stderr, "serving the cached token") {
		t.Fatalf("no warning: %s", r.stderr)
	}
}

func TestSTSRefusalNamesTheRoleAndTheFix(t *testing.T) {
	const role = "arn:aws:iam::999999999999:role/pull"
	fake := ecrtest.NewServer(ecrtest.WithRequireExternalID(role, "ext-42"))
	defer fake.Close()
	env := identityEnv(t, fake, "registries:\n  - match: "+hostA+"\n    role_arn: "+role+"\n") // no external id
	r := get(t, env, hostA)
	if r.code != 1 || !strings.Contains(r.stdout, "STS AssumeRole for role "+role) || !strings.Contains(r.stdout, "trust policy") ||
		strings.Contains(r.stdout, "ecr:GetAuthorizationToken") {
		t.Fatalf("exit %d stdout %q", r.code, r.stdout)
	}
	if fake.CallCount() != 0 || fake.STSCallCount() != 1 {
		t.Fatalf("ecr %d sts %d calls: a refusal is not retried", fake.CallCount(), fake.STSCallCount())
	}
}

func TestWrongMFACodeSaysSo(t *testing.T) {
	const role, serial = "arn:aws:iam::123456789012:role/admin", "arn:aws:iam::123456789012:mfa/alice"
	fake := ecrtest.NewServer(ecrtest.WithRequireMFA(role, serial, "123456"))
	defer fake.Close()
	env := mfaEnv(t, fake, "654321")
	r := get(t, env, hostA)
	if r.code != 1 || !strings.Contains(r.stdout, "refused the MFA code") || !strings.Contains(r.stdout, "login --profile mfa") ||
		strings.Contains(r.stdout, "ecr:GetAuthorizationToken") {
		t.Fatalf("exit %d stdout %q", r.code, r.stdout)
	}
}

func TestErrorLineSaysEachFactOnce(t *testing.T) {
	fake := ecrtest.NewServer(ecrtest.WithFault(ecrtest.Fault{Kind: ecrtest.FaultUnrecognizedClient}))
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	r := get(t, env, hostA)
	line := strings.TrimSpace(r.stderr)
	if r.code != 1 || strings.Count(line, "\n") != 0 {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	if strings.Contains(line, "identity=,") || strings.Count(line, "environment variables AWS_ACCESS_KEY_ID") != 1 ||
		strings.Count(line, "The security token included in the request is invalid") != 1 || !strings.Contains(line, "request_id=") {
		t.Fatalf("a fact said twice or empty: %s", line)
	}
	// No credentials at all: the message lists the sources; no empty identity.
	delete(env, "AWS_ACCESS_KEY_ID")
	delete(env, "AWS_SECRET_ACCESS_KEY")
	env["AWS_PROFILE"] = ""
	r = get(t, env, hostA)
	if r.code != 1 || strings.Contains(r.stderr, "identity=,") || strings.Contains(r.stderr, "detail=") && strings.Contains(r.stderr, "identity=") {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
}

func TestStoreForAnotherRegistryIsRefused(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	login := `{"ServerURL":"https://index.docker.io/v1/","Username":"me","Secret":"dockerhub-password-1234"}`
	for _, quiet := range []string{"", "true"} {
		env["AWS_ECR_IGNORE_CREDS_STORAGE"] = quiet
		r := runHelper(t, env, "store", login)
		if r.code != 1 || !strings.Contains(r.stdout, "was not saved") || !strings.Contains(r.stdout, "credHelpers") ||
			strings.Contains(r.stdout+r.stderr, "dockerhub-password-1234") {
			t.Fatalf("quiet=%q: exit %d stdout %q stderr %q", quiet, r.code, r.stdout, r.stderr)
		}
	}
	for in, want := range map[string]string{
		"{":                            "is not the JSON credentials docker sends",
		`{"Username":"AWS"}`:           "name no ServerURL",
		`["not", "an", "object"]`:      "is not the JSON credentials docker sends",
		`{"ServerURL":1,"Secret":"x"}`: "is not the JSON credentials docker sends",
	} {
		r := runHelper(t, env, "store", in)
		if r.code != 1 || !strings.Contains(r.stdout, want) || strings.Contains(r.stdout, "unexpected") {
			t.Fatalf("%s: exit %d stdout %q", in, r.code, r.stdout)
		}
	}
}

func TestNotFoundSaysWhichCase(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := keylessEnv(t, fake.URL())
	r := runHelperArgs(t, env, "", "token", "public.ecr.aws")
	if r.code != 1 || !strings.Contains(r.stderr, "is Amazon ECR Public and no AWS credentials are configured") {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	r = runHelperArgs(t, env, "", "token", "docker.io")
	if r.code != 1 || !strings.Contains(r.stderr, "is not an Amazon ECR registry host") {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	// The protocol answer itself stays the exact not-found text; debug says why.
	env["AWS_ECR_LOG_LEVEL"] = "debug"
	r = get(t, env, "docker.io")
	if r.code != 1 || strings.TrimSpace(r.stdout) != "credentials not found in native keychain" || !strings.Contains(r.stderr, "not an ECR registry") {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if fake.CallCount() != 0 {
		t.Fatal("ECR was called")
	}
}

// An unreachable STS fails only doctor's caller-identity step, with its own
// cause; the token step still runs and says what ECR said.
func TestDoctorWithSTSUnreachable(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	env := baseEnv(t, fake.URL())
	env["AWS_ENDPOINT_URL_STS"] = closed
	r := runDoctor(t, env, hostA)
	if r.code != 1 || !strings.Contains(r.stdout, "✗ caller identity: could not reach STS") ||
		!strings.Contains(r.stdout, "✓ token: ECR issued a token") || !strings.Contains(r.stdout, "✓ credentials:") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if fake.CallCount() != 1 {
		t.Fatalf("ECR calls = %d", fake.CallCount())
	}
}

// A stalled STS uses up only the caller-identity step's own time.
func TestDoctorWithSTSStalled(t *testing.T) {
	fake := ecrtest.NewServer(ecrtest.WithFault(ecrtest.Fault{Kind: ecrtest.FaultStall, Service: "sts"}))
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	env["AWS_ECR_TIMEOUT"] = "3s"
	r := runDoctor(t, env, hostA)
	if r.code != 1 || !strings.Contains(r.stdout, "✗ caller identity: STS GetCallerIdentity did not answer within 3s") ||
		!strings.Contains(r.stdout, "✓ token: ECR issued a token") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
}
