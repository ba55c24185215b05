package ecr

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/ecr/ecrtest"
	"github.com/ecr-login/ecr-login/internal/testenv"
)

// The SDK fetcher, driven in-process against the ecrtest fakes (ECR, ECR
// Public and STS on their real wire protocols) with the real aws-sdk-go-v2.

const (
	hostPublic = "public.ecr.aws"
	sdkKeyID   = "AKIASDKTEST00001"
	sdkSecret  = "SECRET-sdk-sentinel"
)

// sdkWorld is a fake AWS and a hermetic process environment pointing at it.
type sdkWorld struct {
	fake *ecrtest.Fake
	dir  string
	set  func(k, v string)
}

// newSDKWorld starts the fake and sets the process environment (the SDK
// reads it) to static keys, no shared config, IMDS off and every endpoint at
// the fake.
func newSDKWorld(t *testing.T, opts ...ecrtest.Option) *sdkWorld {
	t.Helper()
	fake := ecrtest.New(opts...)
	ts := httptest.NewServer(fake)
	t.Cleanup(func() { fake.Close(); ts.Close() })
	dir := testenv.Hermetic(t, map[string]string{
		"AWS_ENDPOINT_URL_ECR":        ts.URL,
		"AWS_ENDPOINT_URL_ECR_PUBLIC": ts.URL,
		"AWS_ENDPOINT_URL_STS":        ts.URL,
		"AWS_REGION":                  "us-east-1",
		"AWS_ACCESS_KEY_ID":           sdkKeyID,
		"AWS_SECRET_ACCESS_KEY":       sdkSecret,
	})
	return &sdkWorld{fake: fake, dir: dir, set: func(k, v string) { t.Setenv(k, v) }}
}

// writeConfig writes the shared config file the environment names.
func (w *sdkWorld) writeConfig(t *testing.T, body string) {
	t.Helper()
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// helper is a Helper with the real SDK fetcher, reading the process
// environment as cmd/ does.
func (w *sdkWorld) helper(t *testing.T, prompt Prompter, mut ...func(*Config)) *Helper {
	t.Helper()
	env := getenvSnapshot()
	cfg := Config{Env: env, CacheDir: filepath.Join(w.dir, "cache"), Timeout: 5 * time.Second}
	for _, m := range mut {
		m(&cfg)
	}
	opts := []FetcherOption{WithEnv(env), WithPrompter(prompt)}
	if !cfg.CacheDisabled {
		opts = append(opts, WithSessionStore(cache.Open(cfg.CacheDir)))
	}
	return NewHelper(cfg, WithFetcher(NewSDKFetcher(opts...)))
}

func noPrompt(t *testing.T) Prompter {
	return func(context.Context, string) (string, error) {
		t.Error("asked for an MFA code")
		return "", ErrMFARequired
	}
}

func TestSDKFetcherPrivateToken(t *testing.T) {
	w := newSDKWorld(t)
	reg := mustRegistry(t, hostA)
	tok, err := NewSDKFetcher(WithEnv(getenvSnapshot())).FetchToken(context.Background(), reg, Access{})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != "AWS" || tok.Password != w.fake.Password() {
		t.Errorf("token %s:%q, want AWS:%q", tok.Username, tok.Password, w.fake.Password())
	}
	if tok.Endpoint != ecrtest.ProxyEndpoint(w.fake.AccountID(), "us-east-1") {
		t.Errorf("endpoint %q", tok.Endpoint)
	}
	if left := time.Until(tok.ExpiresAt); left < 11*time.Hour || left > 13*time.Hour {
		t.Errorf("expires in %s, want the fake's 12h", left)
	}
	calls := w.fake.Calls()
	if len(calls) != 1 || calls[0].Service != "ecr" || calls[0].AccessKeyID != sdkKeyID || calls[0].Region != "us-east-1" {
		t.Fatalf("calls %+v", calls)
	}
	if !strings.Contains(calls[0].UserAgent, appID) {
		t.Errorf("User-Agent %q does not name %s", calls[0].UserAgent, appID)
	}
}

func TestSDKFetcherPublicToken(t *testing.T) {
	w := newSDKWorld(t)
	tok, err := NewSDKFetcher(WithEnv(getenvSnapshot())).FetchToken(context.Background(), mustRegistry(t, hostPublic), Access{})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != "AWS" || tok.Password != w.fake.Password() || tok.Endpoint != "https://public.ecr.aws" {
		t.Errorf("token %+v", tok)
	}
	calls := w.fake.Calls()
	if len(calls) != 1 || calls[0].Service != "ecr-public" || calls[0].Region != "us-east-1" {
		t.Fatalf("calls %+v", calls)
	}
}

// Each fault of ECR (and ECR Public) ends in its own error class, with a
// message that never carries the secret key.
func TestSDKFetcherErrorClasses(t *testing.T) {
	cases := []struct {
		fault ecrtest.FaultKind
		want  error
	}{
		{ecrtest.FaultAccessDenied, ErrAccessDenied},
		{ecrtest.FaultExpiredToken, ErrExpiredCredentials},
		{ecrtest.FaultUnrecognizedClient, ErrBadCredentials},
		{ecrtest.FaultInvalidSignature, ErrBadCredentials},
		{ecrtest.FaultServerError, ErrServer},
		{ecrtest.FaultThrottling, ErrThrottled},
		{ecrtest.FaultMalformedJSON, ErrMalformed},
		{ecrtest.FaultEmptyAuthData, ErrMalformed},
		{ecrtest.FaultNoToken, ErrMalformed},
		{ecrtest.FaultTokenNotBase64, ErrMalformed},
		{ecrtest.FaultTokenNoColon, ErrMalformed},
		{ecrtest.FaultConnectionReset, ErrNetwork},
		{ecrtest.FaultStall, ErrTimeout},
	}
	w := newSDKWorld(t)
	for _, host := range []string{hostA, hostPublic} {
		for _, c := range cases {
			t.Run(host+"/"+c.fault.String(), func(t *testing.T) {
				w.fake.Reset()
				w.fake.SetFault(ecrtest.Fault{Kind: c.fault})
				h := w.helper(t, noPrompt(t), func(cfg *Config) { cfg.CacheDisabled, cfg.Timeout = true, time.Second })
				_, err := h.Credentials(context.Background(), host)
				var fe *FetchError
				if !errors.As(err, &fe) {
					t.Fatalf("got %v (%T), want a *FetchError", err, err)
				}
				if !errors.Is(err, c.want) {
					t.Errorf("kind %v, want %v: %v", fe.Kind, c.want, err)
				}
				if strings.Contains(err.Error(), sdkSecret) || strings.Contains(fe.Detail, sdkSecret) {
					t.Errorf("the secret key leaked: %v / %s", err, fe.Detail)
				}
				if strings.Contains(err.Error(), w.fake.Password()) || strings.Contains(fe.Detail, w.fake.Password()) {
					t.Errorf("the token leaked: %v / %s", err, fe.Detail)
				}
				if w.fake.CallCount() == 0 {
					t.Error("ECR was never called")
				}
			})
		}
	}
	w.fake.SetFault(ecrtest.Fault{})
}

// Faults that may pass are retried (a 500 within the standard budget of 3
// attempts), refusals are not.
func TestSDKFetcherRetriesOnlyWhatMayPass(t *testing.T) {
	w := newSDKWorld(t)
	for _, c := range []struct {
		fault ecrtest.FaultKind
		calls int
	}{{ecrtest.FaultServerError, 3}, {ecrtest.FaultAccessDenied, 1}, {ecrtest.FaultMalformedJSON, 1}} {
		w.fake.Reset()
		w.fake.SetFault(ecrtest.Fault{Kind: c.fault})
		_, err := NewSDKFetcher(WithEnv(getenvSnapshot())).FetchToken(context.Background(), mustRegistry(t, hostA), Access{})
		if err == nil {
			t.Fatalf("%s: no error", c.fault)
		}
		if n := w.fake.CallCount(); n != c.calls {
			t.Errorf("%s: %d calls, want %d", c.fault, n, c.calls)
		}
	}
	// One 500, then success: the retry answers.
	w.fake.Reset()
	w.fake.SetFault(ecrtest.Fault{Kind: ecrtest.FaultServerError, Times: 1})
	tok, err := NewSDKFetcher(WithEnv(getenvSnapshot())).FetchToken(context.Background(), mustRegistry(t, hostA), Access{})
	if err != nil || tok.Password != w.fake.Password() || w.fake.CallCount() != 2 {
		t.Fatalf("got %+v, %v after %d calls", tok, err, w.fake.CallCount())
	}
}

// No credentials anywhere: the credential step fails before ECR is called.
func TestSDKFetcherWithoutCredentials(t *testing.T) {
	w := newSDKWorld(t)
	w.set("AWS_ACCESS_KEY_ID", "")
	w.set("AWS_SECRET_ACCESS_KEY", "")
	h := w.helper(t, noPrompt(t), func(cfg *Config) { cfg.CacheDisabled = true })
	_, err := h.Credentials(context.Background(), hostA)
	if !errors.Is(err, ErrNoCredentials) && !errors.Is(err, ErrCredentials) {
		t.Fatalf("got %v, want a credentials error", err)
	}
	if w.fake.CallCount() != 0 {
		t.Errorf("ECR was called %d times", w.fake.CallCount())
	}
}

// A role named by Access.RoleARN is assumed with the chain's credentials,
// with the external id, in a session named ecr-login; the token is the role's.
func TestSDKFetcherAssumesRoleWithExternalID(t *testing.T) {
	const role, ext = "arn:aws:iam::555555555555:role/Puller", "ext-7"
	var fake *ecrtest.Fake
	w := newSDKWorld(t, ecrtest.WithRequireExternalID(role, ext), ecrtest.WithPasswordFunc(func(c ecrtest.Call) string {
		return "role:" + fake.AssumedRole(c.AccessKeyID)
	}))
	fake = w.fake
	f := NewSDKFetcher(WithEnv(getenvSnapshot()))
	tok, err := f.FetchToken(context.Background(), mustRegistry(t, hostA), Access{RoleARN: role, ExternalID: ext})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Password != "role:"+role {
		t.Errorf("password %q: the token is not the role's", tok.Password)
	}
	sts := fake.STSCalls()
	if len(sts) != 1 || sts[0].Action != "AssumeRole" || sts[0].RoleArn != role || sts[0].ExternalID != ext ||
		sts[0].RoleSessionName != "ecr-login" || sts[0].AccessKeyID != sdkKeyID {
		t.Fatalf("STS calls %+v", sts)
	}

	// Without the external id STS refuses, and the error says it was STS.
	_, err = f.FetchToken(context.Background(), mustRegistry(t, hostA), Access{RoleARN: role})
	if err == nil || !strings.Contains(err.Error(), "AssumeRole") {
		t.Fatalf("got %v, want STS AssumeRole refused", err)
	}
	fe := classify(err, mustRegistry(t, hostA), Identity{Description: "environment keys"}, time.Second)
	if !errors.Is(fe, ErrAccessDenied) {
		t.Errorf("kind %v: %v", fe.Kind, fe)
	}
}

// A registry with a custom endpoint is sent there as given, FIPS or not
// (the SDK refuses to combine an endpoint URL with FIPS).
func TestSDKFetcherCustomEndpointWinsOverVariant(t *testing.T) {
	w := newSDKWorld(t)
	const fips = "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com"
	reg := mustRegistry(t, fips)
	if !reg.FIPS {
		t.Fatalf("%s does not parse as FIPS", fips)
	}
	if _, err := NewSDKFetcher(WithEnv(getenvSnapshot())).FetchToken(context.Background(), reg, Access{}); err != nil {
		t.Fatal(err)
	}
	if w.fake.CallCount() != 1 {
		t.Fatalf("calls %d", w.fake.CallCount())
	}
	f := NewSDKFetcher(WithEnv(idEnv(map[string]string{"AWS_ENDPOINT_URL_ECR": "http://x", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"})))
	if f.customEndpoint(reg) {
		t.Error("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true still counts the endpoint")
	}
	for env, want := range map[string]bool{"AWS_ENDPOINT_URL_ECR": true, "AWS_ENDPOINT_URL": true, "AWS_ENDPOINT_URL_ECR_PUBLIC": false} {
		if got := NewSDKFetcher(WithEnv(idEnv(map[string]string{env: "http://x"}))).customEndpoint(reg); got != want {
			t.Errorf("%s: custom endpoint for ecr = %v, want %v", env, got, want)
		}
	}
}
