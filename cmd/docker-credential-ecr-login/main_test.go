package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/internal/testenv"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// These tests build the real binary and run it the way Docker does: a verb in
// argv, the registry on stdin, the environment pointing the AWS SDK at an
// in-process fake ECR that speaks the real wire protocol.

var (
	bins      testenv.Binaries
	helperBin string
)

func TestMain(m *testing.M) {
	var err error
	if helperBin, err = bins.Build("."); err != nil {
		bins.Close()
		panic(err)
	}
	code := m.Run()
	bins.Close()
	os.Exit(code)
}

const (
	hostA = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	hostB = "210987654321.dkr.ecr.us-east-1.amazonaws.com"
)

// sentinel secrets: none may ever appear on stderr or in an error message.
const (
	secretKey    = "SENTINEL-secret-access-key-0000"
	sessionToken = "SENTINEL-session-token-0000"
)

type run struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// baseEnv is a hermetic environment (testenv.ChildEnv): static keys, no
// shared config, no IMDS, the ECR, ECR Public and STS endpoints at the
// fake, a private cache directory.
func baseEnv(t *testing.T, fakeURL string) map[string]string {
	t.Helper()
	env := testenv.ChildEnv(t, fakeURL)
	env["AWS_ACCESS_KEY_ID"] = "AKIDTESTKEY00001"
	env["AWS_SECRET_ACCESS_KEY"] = secretKey
	return env
}

// keylessEnv is baseEnv without the static keys, for tests whose
// credentials come from elsewhere (or nowhere).
func keylessEnv(t *testing.T, fakeURL string) map[string]string {
	t.Helper()
	env := baseEnv(t, fakeURL)
	delete(env, "AWS_ACCESS_KEY_ID")
	delete(env, "AWS_SECRET_ACCESS_KEY")
	return env
}

func runHelper(t *testing.T, env map[string]string, verb, stdin string) run {
	t.Helper()
	return runHelperArgs(t, env, stdin, verb)
}

// runHelperArgs runs the helper with any arguments and checks that no secret leaked.
func runHelperArgs(t *testing.T, env map[string]string, stdin string, args ...string) run {
	t.Helper()
	r := invoke(t, invocation{args: args, env: env, stdin: []byte(stdin)})
	for _, s := range []string{secretKey, sessionToken} {
		if strings.Contains(r.stderr, s) || (strings.Contains(r.stdout, s)) {
			t.Fatalf("secret %q leaked:\nstdout=%s\nstderr=%s", s, r.stdout, r.stderr)
		}
	}
	return r
}

type answer struct{ ServerURL, Username, Secret string }

func mustAnswer(t *testing.T, r run) answer {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout=%s\nstderr=%s", r.code, r.stdout, r.stderr)
	}
	var a answer
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("stdout %q is not a protocol answer: %v", r.stdout, err)
	}
	return a
}

func TestGetFetchesOnceAndCachesAcrossProcesses(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())

	a := mustAnswer(t, runHelper(t, env, "get", hostA+"\n"))
	if a.Username != "AWS" || a.Secret != fake.Password() || a.ServerURL != hostA {
		t.Fatalf("answer = %+v", a)
	}
	calls := fake.Calls()
	if len(calls) != 1 || calls[0].Service != "ecr" || calls[0].Region != "us-east-1" || calls[0].AccessKeyID != "AKIDTESTKEY00001" {
		t.Fatalf("calls = %+v", calls)
	}
	// Other spellings and another account in the same region: cache hits.
	for _, in := range []string{"https://" + hostA, hostA + "/v2/", "HTTPS://" + strings.ToUpper(hostA) + ":443/v2/", hostB} {
		b := mustAnswer(t, runHelper(t, env, "get", in))
		if b.Secret != a.Secret || b.ServerURL != in {
			t.Fatalf("get %q = %+v", in, b)
		}
	}
	if n := fake.CallCount(); n != 1 {
		t.Fatalf("API calls = %d, want 1", n)
	}
	// The cache file is private.
	fi, err := os.Stat(filepath.Join(env["AWS_ECR_CACHE_DIR"], "ecr-login-cache.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v, mode %v", err, fi.Mode())
	}
}

func TestRegionAndServiceComeFromTheHost(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	for _, tc := range []struct{ host, service, region string }{
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com", "ecr", "eu-west-1"},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "ecr", "us-gov-west-1"},
		{"123456789012.dkr-ecr.ap-southeast-2.on.aws", "ecr", "ap-southeast-2"},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "ecr", "cn-north-1"},
		{"public.ecr.aws", "ecr-public", "us-east-1"},
	} {
		fake.Reset()
		mustAnswer(t, runHelper(t, env, "get", tc.host))
		calls := fake.Calls()
		if len(calls) != 1 || calls[0].Service != tc.service || calls[0].Region != tc.region {
			t.Errorf("%s: calls = %+v, want one %s call in %s", tc.host, calls, tc.service, tc.region)
		}
	}
}

func TestNotFound(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	for _, in := range []string{"docker.io", "https://index.docker.io/v1/", hostA + ".evil.example", "https://" + hostA + "@evil.example/", "ghcr.io"} {
		r := runHelper(t, env, "get", in)
		if r.code != 1 || strings.TrimSpace(r.stdout) != "credentials not found in native keychain" {
			t.Errorf("get %q: exit %d stdout %q", in, r.code, r.stdout)
		}
	}
	// ECR Public with no credentials at all: anonymous, so not-found.
	delete(env, "AWS_ACCESS_KEY_ID")
	delete(env, "AWS_SECRET_ACCESS_KEY")
	r := runHelper(t, env, "get", "public.ecr.aws")
	if r.code != 1 || strings.TrimSpace(r.stdout) != "credentials not found in native keychain" {
		t.Errorf("public without credentials: exit %d stdout %q", r.code, r.stdout)
	}
	if fake.CallCount() != 0 {
		t.Fatalf("API calls = %d, want 0", fake.CallCount())
	}
}

func TestNoCredentialsIsAClearErrorQuickly(t *testing.T) {
	// IMDS enabled but pointing at a loopback port that accepts and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	fake := ecrtest.NewServer()
	defer fake.Close()
	for _, imds := range []string{"disabled", "silent"} {
		env := keylessEnv(t, fake.URL())
		if imds == "silent" {
			delete(env, "AWS_EC2_METADATA_DISABLED")
			env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://" + ln.Addr().String()
		}
		r := runHelper(t, env, "get", hostA)
		if r.code != 1 || !strings.Contains(r.stdout, "no AWS credentials found") || !strings.Contains(r.stderr, "no AWS credentials found") {
			t.Fatalf("IMDS %s: exit %d\nstdout=%s\nstderr=%s", imds, r.code, r.stdout, r.stderr)
		}
		if r.took > 3*time.Second {
			t.Fatalf("IMDS %s: took %s, want under 3s", imds, r.took)
		}
	}
	if fake.CallCount() != 0 {
		t.Fatalf("API calls = %d", fake.CallCount())
	}
}

func TestFailuresNameCauseAndRemedy(t *testing.T) {
	for _, tc := range []struct {
		fault ecrtest.Fault
		want  []string
	}{
		{ecrtest.Fault{Kind: ecrtest.FaultAccessDenied}, []string{"denied", "ecr:GetAuthorizationToken"}},
		{ecrtest.Fault{Kind: ecrtest.FaultThrottling}, []string{"throttled", "AWS_ECR_TIMEOUT"}},
		{ecrtest.Fault{Kind: ecrtest.FaultServerError}, []string{"HTTP 500", "AWS side"}},
		{ecrtest.Fault{Kind: ecrtest.FaultExpiredToken}, []string{"expired", "refresh"}},
		{ecrtest.Fault{Kind: ecrtest.FaultUnrecognizedClient}, []string{"rejected the credentials", "UnrecognizedClientException"}},
		{ecrtest.Fault{Kind: ecrtest.FaultMalformedJSON}, []string{"not a valid token"}},
		{ecrtest.Fault{Kind: ecrtest.FaultEmptyAuthData}, []string{"not a valid token", "empty"}},
		{ecrtest.Fault{Kind: ecrtest.FaultTokenNotBase64}, []string{"not a valid token", "base64"}},
		{ecrtest.Fault{Kind: ecrtest.FaultTokenNoColon}, []string{"not a valid token", "user:password"}},
		{ecrtest.Fault{Kind: ecrtest.FaultStall}, []string{"timed out after 2s", "AWS_ECR_TIMEOUT"}},
	} {
		t.Run(tc.fault.Kind.String(), func(t *testing.T) {
			fake := ecrtest.NewServer(ecrtest.WithFault(tc.fault))
			defer fake.Close()
			env := baseEnv(t, fake.URL())
			env["AWS_ECR_TIMEOUT"] = "2s"
			env["AWS_SESSION_TOKEN"] = sessionToken
			r := runHelper(t, env, "get", hostA)
			if r.code != 1 {
				t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
			}
			if strings.Contains(r.stdout, "credentials not found") {
				t.Fatalf("a real failure reported as not-found: %q", r.stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) || !strings.Contains(r.stderr, w) {
					t.Errorf("want %q in both\nstdout=%s\nstderr=%s", w, r.stdout, r.stderr)
				}
			}
			if strings.Contains(r.stdout, fake.Password()) || strings.Contains(r.stderr, fake.Password()) {
				t.Fatal("the ECR password leaked into an error")
			}
			if r.took > 10*time.Second {
				t.Fatalf("took %s", r.took)
			}
		})
	}
}

func TestSSOSessionExpiredSaysHowToLogIn(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := keylessEnv(t, fake.URL())
	cfg := `[profile dev]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Dev
region = us-east-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
`
	if err := os.WriteFile(env["AWS_CONFIG_FILE"], []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env["AWS_PROFILE"] = "dev"
	env["AWS_ENDPOINT_URL_SSO"] = fake.URL()
	env["AWS_ENDPOINT_URL_SSO_OIDC"] = fake.URL()
	r := runHelper(t, env, "get", hostA)
	if r.code != 1 || !strings.Contains(r.stdout, "aws sso login --profile dev") {
		t.Fatalf("exit %d\nstdout=%s\nstderr=%s", r.code, r.stdout, r.stderr)
	}
}

func TestServesCachedTokenWhenECRFails(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	env["AWS_ECR_TIMEOUT"] = "2s"
	a := mustAnswer(t, runHelper(t, env, "get", hostA))
	// Age the entry: issued 11h30m ago, expiring in 30m, so it is past the
	// refresh point but still valid.
	ageCache(t, env["AWS_ECR_CACHE_DIR"], -(11*time.Hour + 30*time.Minute), 30*time.Minute)
	fake.SetFault(ecrtest.Fault{Kind: ecrtest.FaultServerError})
	r := runHelper(t, env, "get", hostA)
	b := mustAnswer(t, r)
	if b.Secret != a.Secret || !strings.Contains(r.stderr, "serving the cached token") || !strings.Contains(r.stderr, "HTTP 500") {
		t.Fatalf("answer %+v, stderr %s", b, r.stderr)
	}
	if fake.CallCount() < 2 {
		t.Fatalf("API calls = %d: the stale entry was served without asking ECR", fake.CallCount())
	}
	// Once expired it is never served.
	ageCache(t, env["AWS_ECR_CACHE_DIR"], -12*time.Hour, -time.Second)
	if r := runHelper(t, env, "get", hostA); r.code != 1 || strings.Contains(r.stdout, a.Secret) {
		t.Fatalf("expired token served: exit %d stdout %q", r.code, r.stdout)
	}
}

func TestListVersionStoreErase(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	if r := runHelper(t, env, "list", ""); r.code != 0 || strings.TrimSpace(r.stdout) != "{}" {
		t.Fatalf("list on empty cache: %d %q", r.code, r.stdout)
	}
	mustAnswer(t, runHelper(t, env, "get", hostA))
	r := runHelper(t, env, "list", "")
	var m map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || len(m) != 1 || m["https://"+hostA] != "AWS" {
		t.Fatalf("list = %q (%v)", r.stdout, err)
	}
	for _, v := range []string{"version", "-v", "--version"} {
		r := runHelper(t, env, v, "")
		if r.code != 0 || !strings.HasPrefix(r.stdout, "docker-credential-ecr-login ") || !strings.Contains(r.stdout, "commit") {
			t.Fatalf("%s: %d %q", v, r.code, r.stdout)
		}
	}
	store := `{"ServerURL":"` + hostA + `","Username":"AWS","Secret":"x"}`
	for _, tc := range []struct{ verb, in string }{{"store", store}, {"erase", hostA}} {
		r := runHelper(t, env, tc.verb, tc.in)
		if r.code != 0 || r.stdout != "" || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "ignored") {
			t.Fatalf("%s: exit %d stdout %q stderr %q", tc.verb, r.code, r.stdout, r.stderr)
		}
		env["AWS_ECR_IGNORE_CREDS_STORAGE"] = "true"
		if r := runHelper(t, env, tc.verb, tc.in); r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Fatalf("%s quiet: exit %d stdout %q stderr %q", tc.verb, r.code, r.stdout, r.stderr)
		}
		delete(env, "AWS_ECR_IGNORE_CREDS_STORAGE")
	}
}

func TestBadInputAndSettings(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	for _, tc := range []struct {
		name, verb, in string
		env            map[string]string
		want           string
	}{
		{"empty stdin", "get", "", nil, "server URL"},
		{"huge stdin", "get", strings.Repeat("a", 2<<20), nil, "larger than 1 MiB"},
		{"long host", "get", strings.Repeat("a", 5000), nil, "expected a registry host"},
		{"binary", "get", "\x00\xff\xfe", nil, "credentials not found"},
		{"bad json store", "store", "{", nil, ""},
		{"unknown verb", "frobnicate", "", nil, "unknown action"},
		{"bad timeout", "get", hostA, map[string]string{"AWS_ECR_TIMEOUT": "soon"}, "AWS_ECR_TIMEOUT"},
		{"bad margin", "get", hostA, map[string]string{"AWS_ECR_REFRESH_MARGIN": "-1h"}, "AWS_ECR_REFRESH_MARGIN"},
		{"bad log level", "get", hostA, map[string]string{"AWS_ECR_LOG_LEVEL": "loud"}, "AWS_ECR_LOG_LEVEL"},
		{"unknown profile", "get", hostA, map[string]string{"AWS_PROFILE": "nope"}, `profile "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			for k, v := range tc.env {
				e[k] = v
			}
			r := runHelper(t, e, tc.verb, tc.in)
			if r.code != 1 || !strings.Contains(r.stdout, tc.want) {
				t.Fatalf("exit %d stdout %q stderr %q; want exit 1 and %q", r.code, r.stdout, r.stderr, tc.want)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stdout, "goroutine") {
				t.Fatalf("panicked: %s", r.stderr)
			}
		})
	}
	if fake.CallCount() != 0 {
		t.Fatalf("API calls = %d, want 0", fake.CallCount())
	}
}

func TestLogFileIsPrivateAndOptIn(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	mustAnswer(t, runHelper(t, env, "get", hostA))
	if entries, _ := filepath.Glob(filepath.Join(env["HOME"], "*.log")); len(entries) != 0 {
		t.Fatalf("log files written by default: %v", entries)
	}
	logFile := filepath.Join(t.TempDir(), "helper.log")
	env["AWS_ECR_LOG_FILE"] = logFile
	env["AWS_ECR_LOG_LEVEL"] = "debug"
	env["AWS_ECR_DISABLE_CACHE"] = "1"
	r := runHelper(t, env, "get", hostA)
	mustAnswer(t, r)
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(logFile)
	if fi.Mode().Perm() != 0o600 || !strings.Contains(string(data), "fetched token") {
		t.Fatalf("log file mode %v:\n%s", fi.Mode(), data)
	}
	if strings.Contains(string(data), fake.Password()) || strings.Contains(r.stderr, fake.Password()) {
		t.Fatal("the token reached a log")
	}
	if fake.CallCount() != 2 {
		t.Fatalf("API calls = %d, want 2 (cache disabled)", fake.CallCount())
	}
}

// ageCache rewrites every entry of the cache file to have been requested at
// now+requested and to expire at now+expires.
func ageCache(t *testing.T, dir string, requested, expires time.Duration) {
	t.Helper()
	path := filepath.Join(dir, "ecr-login-cache.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, e := range f["entries"].(map[string]any) {
		e.(map[string]any)["requested_at"] = now.Add(requested)
		e.(map[string]any)["expires_at"] = now.Add(expires)
	}
	if data, err = json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentColdGetsMakeOneAPICall(t *testing.T) {
	for _, n := range []int{16, 64} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			// A slow ECR, so that every process misses the cache and waits.
			fake := ecrtest.NewServer(ecrtest.WithFault(ecrtest.Fault{Kind: ecrtest.FaultStall, Duration: 300 * time.Millisecond}))
			defer fake.Close()
			env := baseEnv(t, fake.URL())
			var wg sync.WaitGroup
			results := make([]run, n)
			start := make(chan struct{})
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					<-start
					host := hostA
					if i%2 == 1 {
						host = hostB // another account, same region: the same token
					}
					results[i] = runHelper(t, env, "get", host)
				}(i)
			}
			close(start)
			wg.Wait()
			for i, r := range results {
				a := mustAnswer(t, r)
				if a.Secret != fake.Password() {
					t.Fatalf("process %d got a wrong secret", i)
				}
			}
			if c := fake.CallCount(); c != 1 {
				t.Fatalf("%d concurrent cold gets made %d API calls, want 1", n, c)
			}
			data, err := os.ReadFile(filepath.Join(env["AWS_ECR_CACHE_DIR"], "ecr-login-cache.json"))
			var f cache.File
			if err != nil || json.Unmarshal(data, &f) != nil || f.Version != 1 || len(f.Entries) != 1 {
				t.Fatalf("cache file after the storm: %v %s", err, data)
			}
		})
	}
}

func TestKilledFetcherReleasesTheLock(t *testing.T) {
	called := make(chan struct{})
	var once sync.Once
	fake := ecrtest.NewServer(ecrtest.WithFault(ecrtest.Fault{Kind: ecrtest.FaultStall, Times: 1}),
		ecrtest.WithOnCall(func(ecrtest.Call) { once.Do(func() { close(called) }) }))
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	// The first process stalls inside ECR holding the fetch lock; kill it -9.
	cmd := exec.Command(helperBin, "get")
	cmd.Env = testenv.Environ(env)
	cmd.Stdin = strings.NewReader(hostA)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-called:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the first process never called ECR")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The next process is not blocked by the dead one.
	env["AWS_ECR_TIMEOUT"] = "5s"
	r := runHelper(t, env, "get", hostA)
	mustAnswer(t, r)
	if r.took > 4*time.Second {
		t.Fatalf("took %s after the holder died", r.took)
	}
}

func TestTokenPrintsOnlyThePassword(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	for i := 0; i < 2; i++ {
		r := runHelperArgs(t, env, "", "token", "https://"+hostA)
		if r.code != 0 || r.stdout != fake.Password()+"\n" || r.stderr != "" {
			t.Fatalf("token: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
	}
	if fake.CallCount() != 1 {
		t.Fatalf("API calls = %d, want 1 (the same cache as get)", fake.CallCount())
	}
	if r := runHelperArgs(t, env, "", "token", "docker.io"); r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "not an Amazon ECR registry") {
		t.Fatalf("token docker.io: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := runHelperArgs(t, env, "", "token"); r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "usage") {
		t.Fatalf("token without registry: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestCacheHitRunsNoCredentialProcess(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := keylessEnv(t, fake.URL())
	counter := filepath.Join(t.TempDir(), "runs")
	script := filepath.Join(t.TempDir(), "creds.sh")
	body := "#!/bin/sh\necho run >> " + counter + "\necho '{\"Version\":1,\"AccessKeyId\":\"AKIDPROCESS00001\",\"SecretAccessKey\":\"x\"}'\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(env["AWS_CONFIG_FILE"], []byte("[profile proc]\ncredential_process = "+script+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env["AWS_PROFILE"] = "proc"
	for i := 0; i < 5; i++ {
		mustAnswer(t, runHelper(t, env, "get", hostA))
	}
	data, _ := os.ReadFile(counter)
	if n := strings.Count(string(data), "run"); n != 1 || fake.CallCount() != 1 {
		t.Fatalf("credential_process ran %d times, API calls %d; want 1 and 1 (hits run nothing)", n, fake.CallCount())
	}
	if c := fake.Calls(); c[0].AccessKeyID != "AKIDPROCESS00001" {
		t.Fatalf("calls = %+v", c)
	}
}
