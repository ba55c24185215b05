package ecr

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/internal/testenv"
)

// fakeFetcher is a hand-written TokenFetcher.
type fakeFetcher struct {
	mu    sync.Mutex
	calls []Registry
	fetch func(ctx context.Context, reg Registry) (Token, error)
	vias  []Access
}

func (f *fakeFetcher) FetchToken(ctx context.Context, reg Registry, via Access) (Token, error) {
	f.mu.Lock()
	f.calls = append(f.calls, reg)
	f.vias = append(f.vias, via)
	f.mu.Unlock()
	return f.fetch(ctx, reg)
}

func (f *fakeFetcher) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

var t0 = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

const (
	hostA = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	hostB = "210987654321.dkr.ecr.us-east-1.amazonaws.com"
	hostW = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
)

// testEnv is a fixed environment with static keys and no shared config.
func testEnv(t *testing.T, extra map[string]string) Getenv {
	t.Helper()
	home := t.TempDir()
	m := map[string]string{
		"HOME":                      home,
		"USERPROFILE":               home, // the home on Windows (UserHomeDir)
		"AWS_ACCESS_KEY_ID":         "AKIDEXAMPLE0001",
		"AWS_SECRET_ACCESS_KEY":     "SECRET-sentinel-key",
		"AWS_EC2_METADATA_DISABLED": "true",
	}
	for k, v := range extra {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

// okFetcher issues "pw-N" tokens valid for lifetime from the clock's now.
func okFetcher(c *testenv.Clock, lifetime time.Duration) *fakeFetcher {
	f := &fakeFetcher{}
	f.fetch = func(ctx context.Context, reg Registry) (Token, error) {
		return Token{Username: "AWS", Password: "pw-" + reg.Region + "-" + string(rune('0'+f.count())),
			ExpiresAt: c.Now().Add(lifetime), Endpoint: "https://" + reg.Host}, nil
	}
	return f
}

func newTestHelper(t *testing.T, env Getenv, f TokenFetcher, c *testenv.Clock, mut ...func(*Config)) (*Helper, *bytes.Buffer) {
	t.Helper()
	cfg := Config{CacheDir: t.TempDir(), RefreshMargin: time.Hour, Timeout: 5 * time.Second, Env: env}
	for _, m := range mut {
		m(&cfg)
	}
	logs := &bytes.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return NewHelper(cfg, WithFetcher(f), WithClock(c.Now), WithLogger(logger)), logs
}

func TestGetCachesPerIdentityAndRegion(t *testing.T) {
	c := testenv.NewClock(t0)
	f := okFetcher(c, 12*time.Hour)
	h, _ := newTestHelper(t, testEnv(t, nil), f, c)

	u, p1, err := h.Get(hostA)
	if err != nil || u != "AWS" || p1 == "" {
		t.Fatalf("Get = %q, %q, %v", u, p1, err)
	}
	// Same region, another account, other spellings: the same token, no new call.
	for _, in := range []string{hostA, "https://" + hostB, hostB + "/v2/", strings.ToUpper(hostA) + ":443"} {
		if _, p, err := h.Get(in); err != nil || p != p1 {
			t.Fatalf("Get(%q) = %q, %v; want cached %q", in, p, err, p1)
		}
	}
	if n := f.count(); n != 1 {
		t.Fatalf("fetches = %d, want 1", n)
	}
	// Another region is another token.
	if _, p, err := h.Get(hostW); err != nil || p == p1 {
		t.Fatalf("Get(%s) = %q, %v; want a new token", hostW, p, err)
	}
	if n := f.count(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}
}

func TestIdentitiesNeverShareEntries(t *testing.T) {
	c := testenv.NewClock(t0)
	f := okFetcher(c, 12*time.Hour)
	dir := t.TempDir()
	shared := func(cfg *Config) { cfg.CacheDir = dir }
	h1, _ := newTestHelper(t, testEnv(t, map[string]string{"AWS_ACCESS_KEY_ID": "AKIDUSERONE00001"}), f, c, shared)
	h2, _ := newTestHelper(t, testEnv(t, map[string]string{"AWS_ACCESS_KEY_ID": "AKIDUSERTWO00002"}), f, c, shared)
	_, p1, err1 := h1.Get(hostA)
	_, p2, err2 := h2.Get(hostA)
	if err1 != nil || err2 != nil || p1 == p2 {
		t.Fatalf("two identities got %q (%v) and %q (%v); want two tokens", p1, err1, p2, err2)
	}
	if n := f.count(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}
	// Each still hits its own entry.
	if _, p, _ := h1.Get(hostA); p != p1 {
		t.Fatalf("identity 1 got %q, want %q", p, p1)
	}
}

func TestRefreshMarginBoundaries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lifetime time.Duration
		margin   time.Duration
		refresh  time.Duration // after issue, when the cache stops serving
	}{
		{"12h token, 1h margin", 12 * time.Hour, time.Hour, 11 * time.Hour},
		{"20m token, margin capped at half", 20 * time.Minute, time.Hour, 10 * time.Minute},
		{"zero margin", time.Hour, 0, time.Hour},
		{"custom margin", 12 * time.Hour, 3 * time.Hour, 9 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testenv.NewClock(t0)
			f := okFetcher(c, tc.lifetime)
			h, _ := newTestHelper(t, testEnv(t, nil), f, c, func(cfg *Config) { cfg.RefreshMargin = tc.margin })
			if _, _, err := h.Get(hostA); err != nil {
				t.Fatal(err)
			}
			c.Set(t0.Add(tc.refresh - time.Nanosecond))
			if _, _, err := h.Get(hostA); err != nil || f.count() != 1 {
				t.Fatalf("1ns before refresh: fetches = %d, err %v; want a cache hit", f.count(), err)
			}
			c.Set(t0.Add(tc.refresh))
			if _, _, err := h.Get(hostA); err != nil || f.count() != 2 {
				t.Fatalf("at refresh: fetches = %d, err %v; want a new fetch", f.count(), err)
			}
		})
	}
}

func TestServesUnexpiredTokenWhenECRFails(t *testing.T) {
	c := testenv.NewClock(t0)
	f := okFetcher(c, 12*time.Hour)
	h, logs := newTestHelper(t, testEnv(t, nil), f, c)
	_, p1, err := h.Get(hostA)
	if err != nil {
		t.Fatal(err)
	}
	f.fetch = func(context.Context, Registry) (Token, error) {
		return Token{}, errors.New("connection reset by peer")
	}
	// Past the refresh point but before expiry: served with a warning.
	c.Set(t0.Add(11*time.Hour + 30*time.Minute))
	if _, p, err := h.Get(hostA); err != nil || p != p1 {
		t.Fatalf("Get = %q, %v; want the cached %q", p, err, p1)
	}
	if !strings.Contains(logs.String(), "serving the cached token") {
		t.Fatalf("no warning logged:\n%s", logs)
	}
	// At expiry: never served.
	c.Set(t0.Add(12 * time.Hour))
	_, p, err := h.Get(hostA)
	if err == nil || p != "" {
		t.Fatalf("Get at expiry = %q, %v; want an error", p, err)
	}
	var fe *FetchError
	if !errors.As(err, &fe) || !errors.Is(err, ErrNetwork) {
		t.Fatalf("error %v: want a FetchError with ErrNetwork", err)
	}
}

func TestNotFoundRunsNoAWSCode(t *testing.T) {
	c := testenv.NewClock(t0)
	f := &fakeFetcher{fetch: func(context.Context, Registry) (Token, error) {
		t.Error("fetcher called")
		return Token{}, errors.New("unexpected")
	}}
	h, _ := newTestHelper(t, testEnv(t, nil), f, c)
	for _, in := range []string{"docker.io", "https://index.docker.io/v1/", hostA + ".evil.example",
		"https://" + hostA + "@evil.example", "localhost:5000", "ghcr.io"} {
		_, _, err := h.Get(in)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "is not an Amazon ECR registry host") {
			t.Errorf("Get(%q) = %v; want not-found", in, err)
		}
	}
}

func TestPublicWithoutCredentialsIsNotFound(t *testing.T) {
	c := testenv.NewClock(t0)
	f := &fakeFetcher{fetch: func(context.Context, Registry) (Token, error) {
		t.Error("fetcher called")
		return Token{}, errors.New("unexpected")
	}}
	env := testEnv(t, map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
	h, _ := newTestHelper(t, env, f, c)
	for _, in := range []string{"public.ecr.aws", "ecr-public.aws.com"} {
		if _, _, err := h.Get(in); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) = %v; want not-found", in, err)
		}
	}
	// A private registry in the same situation is a real error, not not-found.
	_, _, err := h.Get(hostA)
	if err == nil || errors.Is(err, ErrNotFound) || !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("Get(%s) = %v; want ErrNoCredentials", hostA, err)
	}
	if !strings.Contains(err.Error(), "no AWS credentials found") {
		t.Fatalf("message %q does not say what is wrong", err)
	}
}

func TestPublicWhenIMDSHasNoCredentialsIsNotFound(t *testing.T) {
	c := testenv.NewClock(t0)
	f := &fakeFetcher{fetch: func(context.Context, Registry) (Token, error) {
		return Token{}, &stagedError{stageCredentials, errors.New("no EC2 IMDS role found")}
	}}
	env := testEnv(t, map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_EC2_METADATA_DISABLED": ""})
	h, _ := newTestHelper(t, env, f, c)
	if _, _, err := h.Get("public.ecr.aws"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get = %v; want not-found", err)
	}
	if _, _, err := h.Get(hostA); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("Get(private) = %v; want ErrNoCredentials", err)
	}
}

func TestTokenAlreadyExpiredIsServedOnceNotCached(t *testing.T) {
	c := testenv.NewClock(t0)
	f := &fakeFetcher{fetch: func(context.Context, Registry) (Token, error) {
		return Token{Username: "AWS", Password: "old", ExpiresAt: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)}, nil
	}}
	h, logs := newTestHelper(t, testEnv(t, nil), f, c)
	for i := 1; i <= 2; i++ {
		if _, p, err := h.Get(hostA); err != nil || p != "old" {
			t.Fatalf("Get #%d = %q, %v", i, p, err)
		}
		if f.count() != i {
			t.Fatalf("fetches = %d, want %d (never cached)", f.count(), i)
		}
	}
	if !strings.Contains(logs.String(), "check the system clock") {
		t.Fatalf("no clock warning:\n%s", logs)
	}
}

func TestCacheDisabledAlwaysFetches(t *testing.T) {
	c := testenv.NewClock(t0)
	f := okFetcher(c, 12*time.Hour)
	h, _ := newTestHelper(t, testEnv(t, nil), f, c, func(cfg *Config) { cfg.CacheDisabled = true })
	for i := 0; i < 3; i++ {
		if _, _, err := h.Get(hostA); err != nil {
			t.Fatal(err)
		}
	}
	if f.count() != 3 {
		t.Fatalf("fetches = %d, want 3", f.count())
	}
}

func TestUnwritableCacheDegradesToNoCaching(t *testing.T) {
	c := testenv.NewClock(t0)
	f := okFetcher(c, 12*time.Hour)
	// A regular file where the cache directory should be: nothing can be created.
	file := t.TempDir() + "/not-a-dir"
	if err := writeFile(file, "x"); err != nil {
		t.Fatal(err)
	}
	h, logs := newTestHelper(t, testEnv(t, nil), f, c, func(cfg *Config) { cfg.CacheDir = file + "/sub" })
	for i := 0; i < 2; i++ {
		if _, p, err := h.Get(hostA); err != nil || p == "" {
			t.Fatalf("Get = %q, %v", p, err)
		}
	}
	if f.count() != 2 {
		t.Fatalf("fetches = %d, want 2", f.count())
	}
	if !strings.Contains(logs.String(), "cache") {
		t.Fatalf("no warning about the cache:\n%s", logs)
	}
}

func TestErrorsNeverCarrySecrets(t *testing.T) {
	c := testenv.NewClock(t0)
	f := &fakeFetcher{fetch: func(context.Context, Registry) (Token, error) {
		return Token{}, errors.New("boom with SECRET-sentinel-key and SESSION-sentinel inside")
	}}
	env := testEnv(t, map[string]string{"AWS_SESSION_TOKEN": "SESSION-sentinel"})
	h, logs := newTestHelper(t, env, f, c)
	_, _, err := h.Get(hostA)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, s := range []string{"SECRET-sentinel-key", "SESSION-sentinel"} {
		if strings.Contains(err.Error(), s) || strings.Contains(logs.String(), s) {
			t.Fatalf("secret %q leaked: err=%q logs=%q", s, err, logs)
		}
	}
}

func TestListShowsFreshEntriesOfCurrentIdentity(t *testing.T) {
	c := testenv.NewClock(t0)
	f := okFetcher(c, 12*time.Hour)
	dir := t.TempDir()
	shared := func(cfg *Config) { cfg.CacheDir = dir }
	h, _ := newTestHelper(t, testEnv(t, nil), f, c, shared)
	other, _ := newTestHelper(t, testEnv(t, map[string]string{"AWS_ACCESS_KEY_ID": "AKIDOTHER000009"}), f, c, shared)
	if got, err := h.List(); err != nil || len(got) != 0 {
		t.Fatalf("List on empty cache = %v, %v", got, err)
	}
	for _, in := range []string{hostA, hostW} {
		if _, _, err := h.Get(in); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := other.Get(hostB); err != nil {
		t.Fatal(err)
	}
	got, err := h.List()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"https://" + hostA: "AWS", "https://" + hostW: "AWS"}
	if len(got) != len(want) || got["https://"+hostA] != "AWS" || got["https://"+hostW] != "AWS" {
		t.Fatalf("List = %v, want %v", got, want)
	}
	c.Set(t0.Add(11 * time.Hour))
	if got, _ := h.List(); len(got) != 0 {
		t.Fatalf("List after refresh point = %v, want empty", got)
	}
}

func TestStoreAndEraseSucceedWithANote(t *testing.T) {
	c := testenv.NewClock(t0)
	for _, quiet := range []bool{false, true} {
		h, logs := newTestHelper(t, testEnv(t, nil), okFetcher(c, time.Hour), c, func(cfg *Config) { cfg.IgnoreCredsStorage = quiet })
		// (What the protocol prints: cmd/internal/cli TestDockerAdapterStoreAndErase.)
		if err := h.Store(hostA); err != nil {
			t.Fatalf("store: %v", err)
		}
		if err := h.Delete(hostA); err != nil {
			t.Fatalf("erase: %v", err)
		}
		if n := strings.Count(logs.String(), "ignored"); (n == 2) == quiet {
			t.Fatalf("quiet=%v: %d notes logged:\n%s", quiet, n, logs)
		}
	}
}

func TestConcurrentGetsInOneProcessFetchOnce(t *testing.T) {
	c := testenv.NewClock(t0)
	f := okFetcher(c, 12*time.Hour)
	slow := f.fetch
	// The fetch holds on until every get has started, so they all overlap
	// with it: each waits for the fetch or finds its token, never fetches.
	var started sync.WaitGroup
	started.Add(16)
	allStarted := make(chan struct{})
	go func() { started.Wait(); close(allStarted) }()
	f.fetch = func(ctx context.Context, reg Registry) (Token, error) {
		select {
		case <-allStarted:
		case <-ctx.Done():
			return Token{}, ctx.Err()
		}
		return slow(ctx, reg)
	}
	h, _ := newTestHelper(t, testEnv(t, nil), f, c)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started.Done()
			_, _, err := h.Get(hostA)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if f.count() != 1 {
		t.Fatalf("fetches = %d, want 1", f.count())
	}
}

func TestHelperTimeoutBoundsFetch(t *testing.T) {
	c := testenv.NewClock(t0)
	f := &fakeFetcher{fetch: func(ctx context.Context, _ Registry) (Token, error) {
		<-ctx.Done()
		return Token{}, ctx.Err()
	}}
	h, _ := newTestHelper(t, testEnv(t, nil), f, c, func(cfg *Config) { cfg.Timeout = 100 * time.Millisecond })
	start := time.Now()
	_, _, err := h.Get(hostA)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "AWS_ECR_TIMEOUT") {
		t.Fatalf("err = %v; want a timeout naming AWS_ECR_TIMEOUT", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

// BenchmarkCacheHit is the in-process hot path of `get`: parse the host,
// resolve the identity from the environment and shared config, read the
// cache file. No SDK, no network.
func BenchmarkCacheHit(b *testing.B) {
	dir := b.TempDir()
	home := b.TempDir()
	cfgPath := home + "/config"
	if err := os.WriteFile(cfgPath, []byte("[profile prod]\nrole_arn = arn:aws:iam::123456789012:role/pull\nsource_profile = base\n\n[profile base]\ncredential_process = /bin/false\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	m := map[string]string{"HOME": home, "AWS_CONFIG_FILE": cfgPath, "AWS_PROFILE": "prod"}
	env := func(k string) string { return m[k] }
	c := testenv.NewClock(t0)
	calls := 0
	f := &fakeFetcher{fetch: func(context.Context, Registry) (Token, error) {
		calls++
		return Token{Username: "AWS", Password: "pw", ExpiresAt: t0.Add(12 * time.Hour)}, nil
	}}
	h := NewHelper(Config{CacheDir: dir, RefreshMargin: time.Hour, Env: env}, WithFetcher(f), WithClock(c.Now))
	if _, _, err := h.Get(hostA); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := h.Get(hostA); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if calls != 1 {
		b.Fatalf("fetches = %d, want 1", calls)
	}
}
