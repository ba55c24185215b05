package ecr

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ecr-login/ecr-login/internal/testenv"
)

// proberFetcher is a fake fetcher that is also a CredentialProber.
type proberFetcher struct {
	*fakeFetcher
	creds  aws.Credentials
	err    error
	who    *sts.GetCallerIdentityOutput
	whoErr error
	region string
}

func (p *proberFetcher) ProbeCredentials(_ context.Context, region string, _ Access) (aws.Credentials, CallerIdentityFunc, error) {
	p.region = region
	return p.creds, func(context.Context) (*sts.GetCallerIdentityOutput, error) { return p.who, p.whoErr }, p.err
}

func checkStates(checks []Check) string {
	var names []string
	for _, c := range checks {
		s := c.Name
		switch {
		case c.Skipped:
			s += "=skipped"
		case c.OK:
			s += "=ok"
		default:
			s += "=fail"
		}
		names = append(names, s)
	}
	return strings.Join(names, ", ")
}

// Doctor runs every step through the fetcher's interfaces, so a fake drives
// it to the end: credentials and caller identity through CredentialProber,
// the token through TokenFetcher.
func TestDoctorWithFakeFetcher(t *testing.T) {
	c := testenv.NewClock(t0)
	p := &proberFetcher{fakeFetcher: okFetcher(c, 12*time.Hour),
		creds: aws.Credentials{AccessKeyID: "ASIAFAKE00001234", Source: "fake", CanExpire: true, Expires: t0.Add(90 * time.Minute)},
		who:   &sts.GetCallerIdentityOutput{Arn: aws.String("arn:aws:iam::123456789012:user/doctor"), Account: aws.String("123456789012")}}
	h, _ := newTestHelper(t, testEnv(t, nil), p, c)
	checks := h.Doctor(context.Background(), hostW)
	want := "registry=ok, mapping=ok, credential source=ok, cache key=ok, credentials=ok, caller identity=ok, token=ok, cache=ok"
	if got := checkStates(checks); got != want {
		t.Fatalf("checks: %s\nwant:   %s", got, want)
	}
	if p.region != "eu-west-1" || p.count() != 1 {
		t.Fatalf("probed region %q, %d token fetches; want eu-west-1, 1", p.region, p.count())
	}
	if d := checks[4].Detail; !strings.Contains(d, "…1234 from fake") || !strings.Contains(d, "(in 1h30m0s)") {
		t.Fatalf("credentials detail %q: want the key's last 4, its source and its life by the injected clock", d)
	}
	if d := checks[5].Detail; !strings.Contains(d, "user/doctor") {
		t.Fatalf("caller identity detail %q", d)
	}

	// STS failing is its own step: the token is still checked.
	p.whoErr = errors.New("dial tcp: connection refused")
	want = "registry=ok, mapping=ok, credential source=ok, cache key=ok, credentials=ok, caller identity=fail, token=ok, cache=ok"
	if got := checkStates(h.Doctor(context.Background(), hostW)); got != want {
		t.Fatalf("checks: %s\nwant:   %s", got, want)
	}

	// Credentials that do not resolve end the run there.
	p.err = errors.New("no way")
	want = "registry=ok, mapping=ok, credential source=ok, cache key=ok, credentials=fail"
	if got := checkStates(h.Doctor(context.Background(), hostW)); got != want {
		t.Fatalf("checks: %s\nwant:   %s", got, want)
	}
}

// A fetcher that only fetches tokens still gets the token and cache steps;
// the credential steps say they were skipped instead of silently missing.
func TestDoctorWithTokenOnlyFetcher(t *testing.T) {
	c := testenv.NewClock(t0)
	f := okFetcher(c, 12*time.Hour)
	h, _ := newTestHelper(t, testEnv(t, nil), f, c)
	want := "registry=ok, mapping=ok, credential source=ok, cache key=ok, credentials=skipped, token=ok, cache=ok"
	if got := checkStates(h.Doctor(context.Background(), hostA)); got != want {
		t.Fatalf("checks: %s\nwant:   %s", got, want)
	}
	if f.count() != 1 {
		t.Fatalf("token fetches = %d, want 1", f.count())
	}
}

// Login drives any fetcher that is a SessionLoginer.
type loginFetcher struct {
	*fakeFetcher
	profile string
	exp     time.Time
}

func (l *loginFetcher) Login(_ context.Context, profile string) (time.Time, error) {
	l.profile = profile
	return l.exp, nil
}

func TestLoginWithFakeFetcher(t *testing.T) {
	c := testenv.NewClock(t0)
	l := &loginFetcher{fakeFetcher: okFetcher(c, time.Hour), exp: t0.Add(12 * time.Hour)}
	env := testEnv(t, nil)
	h, _ := newTestHelper(t, env, l, c)
	// The profile must exist in the shared config.
	if err := os.MkdirAll(filepath.Join(env("HOME"), ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(env("HOME"), ".aws", "config"), "[profile mfa]\nregion = us-east-1\naws_access_key_id = AKIDPROFILE00001\naws_secret_access_key = s\n"); err != nil {
		t.Fatal(err)
	}
	exp, err := h.Login(context.Background(), "mfa")
	if err != nil || !exp.Equal(l.exp) || l.profile != "mfa" {
		t.Fatalf("Login = %v, %v (profile %q); want the fake's expiry for mfa", exp, err, l.profile)
	}
	if _, err := NewHelper(Config{Env: env}, WithFetcher(okFetcher(c, time.Hour))).Login(context.Background(), "mfa"); err == nil {
		t.Fatal("Login with a fetcher that cannot log in: no error")
	}
}
