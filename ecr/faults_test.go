package ecr

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/ecr/local"
	"github.com/ecr-login/ecr-login/internal/testenv"

	"github.com/aws/smithy-go"
)

// staleHelper returns a helper whose cache holds a token for hostA that is
// past its refresh point but valid for 30 more minutes, and whose fetcher
// then runs fetch.
func staleHelper(t *testing.T, fetch func(ctx context.Context, reg Registry) (Token, error), mut ...func(*Config)) (*Helper, *fakeFetcher, string, *bytes.Buffer) {
	t.Helper()
	c := testenv.NewClock(t0)
	f := okFetcher(c, 2*time.Hour)
	h, logs := newTestHelper(t, testEnv(t, nil), f, c, mut...)
	first, err := h.Credentials(context.Background(), hostA)
	if err != nil {
		t.Fatal(err)
	}
	c.Set(t0.Add(90 * time.Minute)) // refresh point t0+1h, expiry t0+2h
	if _, ok := h.fresh(local.CacheKey(mustIdentity(t, h), mustRegistry(t, hostA))); ok {
		t.Fatal("the cached token is still fresh")
	}
	f.fetch = fetch
	return h, f, first.Password, logs
}

func mustIdentity(t *testing.T, h *Helper) Identity {
	t.Helper()
	id, err := local.IdentityFor(h.cfg.Env, Access{})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustRegistry(t *testing.T, host string) Registry {
	t.Helper()
	reg, err := ParseRegistry(host)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// A still-valid cached token and any failure (ECR, the credential source, a
// stall): the refresh gets staleFetchBudget, not the get's whole deadline,
// and the cached token is served with a warning.
func TestStaleTokenIsServedWithinTheShortBudgetWhateverFails(t *testing.T) {
	for name, failure := range map[string]error{
		"ECR 500":            &stagedError{stageAPI, statusError(500)},
		"ECR throttling":     &stagedError{stageAPI, apiError("ThrottlingException")},
		"credentials":        &stagedError{stageCredentials, errors.New("the SSO session has expired")},
		"STS refusal":        &stagedError{stageCredentials, apiError("AccessDenied")},
		"stall (cut by ctx)": nil,
	} {
		t.Run(name, func(t *testing.T) {
			var left time.Duration
			h, f, want, logs := staleHelper(t, func(ctx context.Context, reg Registry) (Token, error) {
				d, ok := ctx.Deadline()
				if !ok {
					t.Error("the fetch has no deadline")
				}
				left = time.Until(d)
				if failure == nil {
					<-ctx.Done()
					return Token{}, &stagedError{stageAPI, ctx.Err()}
				}
				return Token{}, failure
			}, func(c *Config) { c.Timeout = 30 * time.Second })
			got, err := h.Credentials(context.Background(), hostA)
			if err != nil || got.Password != want || !got.FromCache {
				t.Fatalf("got %+v, %v; want the cached %q", got, err, want)
			}
			if f.count() != 2 {
				t.Fatalf("fetches = %d, want 2 (the refresh was tried)", f.count())
			}
			// The promise is "about 2 s", whatever staleFetchBudget says.
			if left <= 0 || left > 2*time.Second {
				t.Fatalf("the refresh had %s, want at most 2s of the 30s deadline", left)
			}
			if !strings.Contains(logs.String(), "serving the cached token") {
				t.Fatalf("no warning:\n%s", logs)
			}
		})
	}
}

// A process that finds the fetch lock held by another and holds a usable
// token serves it instead of queueing behind the other's refresh.
func TestLockHeldAndStaleTokenServesWithoutWaiting(t *testing.T) {
	h, f, want, logs := staleHelper(t, func(context.Context, Registry) (Token, error) {
		return Token{}, errors.New("must not be called")
	}, func(c *Config) { c.Timeout = 3 * time.Second })
	key := local.CacheKey(mustIdentity(t, h), mustRegistry(t, hostA))
	unlock, err := h.store.LockKey(context.Background(), key) // "another process" refreshing
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	got, err := h.Credentials(context.Background(), hostA)
	if err != nil || got.Password != want || !got.FromCache {
		t.Fatalf("got %+v, %v; want the cached %q without waiting for the lock", got, err, want)
	}
	if f.count() != 1 {
		t.Fatalf("fetches = %d, want only the first", f.count())
	}
	if !strings.Contains(logs.String(), "another process is refreshing") {
		t.Fatalf("logs:\n%s", logs)
	}
}

// Five gets at once in one process share the lock the same way: one
// refreshes (and fails after its short budget), the others serve at once.
func TestConcurrentGetsWithStaleTokenAndStalledECRAllAnswer(t *testing.T) {
	h, f, want, _ := staleHelper(t, func(ctx context.Context, reg Registry) (Token, error) {
		<-ctx.Done() // stalled until the short budget ends
		return Token{}, &stagedError{stageAPI, ctx.Err()}
	}, func(c *Config) { c.Timeout = 30 * time.Second })
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Go(func() {
			got, err := h.Credentials(context.Background(), hostA)
			if err == nil && got.Password != want {
				err = errors.New("served " + got.Password)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	// The priming fetch and one refresh: the other four found the lock
	// held and served the cached token instead of fetching in turn.
	if n := f.count(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}
}

func TestNotFoundSaysWhichCase(t *testing.T) {
	c := testenv.NewClock(t0)
	h, _ := newTestHelper(t, testEnv(t, map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}), okFetcher(c, time.Hour), c)
	for in, public := range map[string]bool{"docker.io": false, "https://user:hunter2-secret@ghcr.io/x": false, "public.ecr.aws": true} {
		_, err := h.Credentials(context.Background(), in)
		var nf *NotFoundError
		if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) || nf.Public != public {
			t.Fatalf("%s: %#v", in, err)
		}
		reason := nf.Reason()
		if public != strings.Contains(reason, "ECR Public and no AWS credentials") || strings.Contains(reason, "hunter2") {
			t.Fatalf("%s: %s", in, reason)
		}
		// Get says the same (the Docker adapter turns it into the protocol's
		// exact text: cmd/internal/cli TestDockerAdapterNotFound).
		if _, _, err := h.Get(in); !errors.As(err, &nf) || nf.Reason() != reason {
			t.Fatalf("%s: Get = %v", in, err)
		}
	}
}

func TestStoreForAHostThatIsNotECRFails(t *testing.T) {
	c := testenv.NewClock(t0)
	for _, quiet := range []bool{false, true} {
		h, _ := newTestHelper(t, testEnv(t, nil), okFetcher(c, time.Hour), c, func(cfg *Config) { cfg.IgnoreCredsStorage = quiet })
		err := h.Store("https://index.docker.io/v1/")
		if err == nil || !strings.Contains(err.Error(), "not saved") || !strings.Contains(err.Error(), "credHelpers") || strings.Contains(err.Error(), "dockerhub-password") {
			t.Fatalf("quiet=%v: %v", quiet, err)
		}
		if err := h.Store(hostA); err != nil {
			t.Fatalf("ECR host: %v", err)
		}
	}
}

func TestFailureLineSaysEachFactOnce(t *testing.T) {
	id := Identity{Description: "environment variables AWS_ACCESS_KEY_ID (…0001)"}
	for _, tc := range []struct {
		fe               FetchError
		id               Identity
		identity, detail bool
	}{
		{FetchError{Message: "AWS rejected the credentials from " + id.Description + " (X)", Detail: "api error X"}, id, false, true},
		{FetchError{Message: "no AWS credentials found", Detail: id.Description}, id, true, false},
		{FetchError{Message: "could not load: boom", Detail: "boom"}, Identity{}, false, false},
		{FetchError{Message: "timed out", Detail: ""}, id, true, false},
	} {
		var b bytes.Buffer
		slog.New(slog.NewTextHandler(&b, nil)).Error(tc.fe.Message, causeAttrs(&tc.fe, tc.id)...)
		line := b.String()
		if strings.Contains(line, "identity=") != tc.identity || strings.Contains(line, "detail=") != tc.detail {
			t.Errorf("%q: want identity=%v detail=%v", line, tc.identity, tc.detail)
		}
	}
}

func TestSTSRefusalNamesTheStep(t *testing.T) {
	id := Identity{Description: "role arn:aws:iam::1:role/pull assumed with profile prod", Profile: "prod"}
	reg := mustRegistry(t, hostA)
	sts := func(code, msg string) error {
		return &stagedError{stageCredentials, &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: &smithy.GenericAPIError{Code: code, Message: msg}}}
	}
	for _, tc := range []struct {
		err  error
		want []string
	}{
		{sts("AccessDenied", "User is not authorized to perform: sts:AssumeRole"), []string{"STS AssumeRole for role arn:aws:iam::1:role/pull assumed with profile prod", "sts:AssumeRole", "trust policy"}},
		{sts("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code."), []string{"refused the MFA code", "login --profile prod"}},
	} {
		fe := classify(tc.err, reg, id, time.Second)
		for _, w := range tc.want {
			if !strings.Contains(fe.Message, w) {
				t.Errorf("%q lacks %q", fe.Message, w)
			}
		}
		if strings.Contains(fe.Message, "ecr:GetAuthorizationToken") || !errors.Is(fe, ErrAccessDenied) {
			t.Errorf("%q (%v)", fe.Message, fe.Kind)
		}
	}
}

func TestDebugLogShowsEachStepAndNoSecret(t *testing.T) {
	c := testenv.NewClock(t0)
	h, logs := newTestHelper(t, testEnv(t, nil), okFetcher(c, 2*time.Hour), c)
	first, err := h.Credentials(context.Background(), "https://"+hostA)
	if err != nil {
		t.Fatal(err)
	}
	c.Set(t0.Add(90 * time.Minute))
	if _, err := h.Credentials(context.Background(), hostA); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, w := range []string{"msg=get input=https://" + hostA, "msg=\"parsed registry\"", "service=ecr", "region=us-east-1",
		"no mappings", "cache_key=<identity>/ecr/aws/us-east-1", "cache miss", "fetch lock taken", "fetching a token",
		"served the token ECR issued", "cache stale"} {
		if !strings.Contains(out, w) {
			t.Errorf("debug log lacks %q:\n%s", w, out)
		}
	}
	for _, secret := range []string{first.Password, "SECRET-sentinel-key", mustIdentity(t, h).ID} {
		if strings.Contains(out, secret) {
			t.Errorf("debug log holds %q", secret)
		}
	}
}

// AWS_ECR_TIMEOUT counts from the process start (Config.Start), less a
// moment to answer: a client enforcing the same timeout sees the answer.
func TestDeadlineCountsFromTheStart(t *testing.T) {
	c := testenv.NewClock(t0)
	var deadline time.Time
	f := &fakeFetcher{fetch: func(ctx context.Context, reg Registry) (Token, error) {
		deadline, _ = ctx.Deadline()
		return Token{}, &stagedError{stageAPI, statusError(500)}
	}}
	start := time.Now().Add(-4 * time.Second) // the process started 4s ago
	h, _ := newTestHelper(t, testEnv(t, nil), f, c, func(cfg *Config) { cfg.Timeout = 10 * time.Second; cfg.Start = start })
	if _, err := h.Credentials(context.Background(), hostA); err == nil {
		t.Fatal("no error")
	}
	if want := start.Add(10*time.Second - answerReserve); !deadline.Equal(want) {
		t.Fatalf("deadline %s, want %s (start + timeout - %s)", deadline, want, answerReserve)
	}
}
