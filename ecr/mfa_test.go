package ecr

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// MFA through the real SDK: a default profile assumes diffRoleMFA with
// mfa_serial, the fake STS accepts only diffMFACode, and the prompter is a
// counting function.

type prompts struct {
	mu        sync.Mutex
	questions []string
	answer    func() (string, error)
}

func (p *prompts) ask(_ context.Context, q string) (string, error) {
	p.mu.Lock()
	p.questions = append(p.questions, q)
	p.mu.Unlock()
	if p.answer != nil {
		return p.answer()
	}
	return diffMFACode, nil
}

func (p *prompts) count() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.questions) }

func newMFAWorld(t *testing.T) *sdkWorld {
	t.Helper()
	var fake *ecrtest.Fake
	w := newSDKWorld(t, ecrtest.WithRequireMFA(diffRoleMFA, diffMFASerial, diffMFACode), ecrtest.WithPasswordFunc(func(c ecrtest.Call) string {
		if r := fake.AssumedRole(c.AccessKeyID); r != "" {
			return "role:" + r
		}
		return "key:" + c.AccessKeyID
	}))
	fake = w.fake
	w.set("AWS_ACCESS_KEY_ID", "")
	w.set("AWS_SECRET_ACCESS_KEY", "")
	w.writeConfig(t, "[default]\nrole_arn = "+diffRoleMFA+"\nsource_profile = base\nmfa_serial = "+diffMFASerial+"\n[profile base]\n"+keys("AKIABASE0000B001"))
	return w
}

// cachedMFASession returns the one MFA session in the cache.
func cachedMFASession(t *testing.T, store *cache.Store) (string, cache.Entry) {
	t.Helper()
	var key string
	var entry cache.Entry
	for k, e := range store.Entries() {
		if e.Service == SessionService {
			if key != "" {
				t.Fatalf("two MFA sessions: %s and %s", key, k)
			}
			key, entry = k, e
		}
	}
	if key == "" {
		t.Fatal("no MFA session in the cache")
	}
	return key, entry
}

func TestMFAPromptsOnceAndTheSessionServesTheNextFetch(t *testing.T) {
	w := newMFAWorld(t)
	p := &prompts{}
	h := w.helper(t, p.ask)
	got, err := h.Credentials(context.Background(), hostA)
	if err != nil || got.Password != "role:"+diffRoleMFA {
		t.Fatalf("got %+v, %v", got, err)
	}
	if p.count() != 1 || !strings.Contains(p.questions[0], diffMFASerial) {
		t.Fatalf("questions %q, want one naming %s", p.questions, diffMFASerial)
	}
	_, e := cachedMFASession(t, storeOf(t, w))
	if e.Identity != "MFA session for the default profile" || strings.Contains(e.Identity, "B001") {
		t.Errorf("session entry identity %q", e.Identity)
	}
	// Another region (another token cache key), a new process: no prompt.
	got, err = w.helper(t, p.ask).Credentials(context.Background(), hostW)
	if err != nil || got.Password != "role:"+diffRoleMFA {
		t.Fatalf("got %+v, %v", got, err)
	}
	if p.count() != 1 {
		t.Errorf("asked %d times; the cached session was not used", p.count())
	}
	assumes := 0
	for _, c := range w.fake.STSCalls() {
		if c.Action == "AssumeRole" {
			assumes++
			if c.SerialNumber != diffMFASerial || c.TokenCode != diffMFACode {
				t.Errorf("AssumeRole without the MFA code: %+v", c)
			}
		}
	}
	if assumes != 1 {
		t.Errorf("AssumeRole called %d times, want 1", assumes)
	}
}

// A cached session with less than SessionMinLife left is not reused: the
// person is asked again and the new session replaces it. One with more is.
func TestMFASessionMinimumLife(t *testing.T) {
	for _, c := range []struct {
		left   time.Duration
		asks   int
		reused bool
	}{
		{SessionMinLife - time.Minute, 2, false},
		{SessionMinLife + 2*time.Minute, 1, true},
	} {
		t.Run(fmt.Sprint(c.left), func(t *testing.T) {
			w := newMFAWorld(t)
			p := &prompts{}
			if _, err := w.helper(t, p.ask).Credentials(context.Background(), hostA); err != nil {
				t.Fatal(err)
			}
			store := storeOf(t, w)
			key, e := cachedMFASession(t, store)
			now := time.Now()
			e.ExpiresAt = now.Add(c.left)
			if err := store.Put(context.Background(), key, e, now); err != nil {
				t.Fatal(err)
			}
			got, err := w.helper(t, p.ask).Credentials(context.Background(), hostW)
			if err != nil || got.FromCache {
				t.Fatalf("got %+v, %v; want a new token from ECR", got, err)
			}
			if p.count() != c.asks {
				t.Fatalf("%s left: asked %d times, want %d", c.left, p.count(), c.asks)
			}
			_, after := cachedMFASession(t, store)
			if reused := after.ExpiresAt.Equal(e.ExpiresAt); reused != c.reused {
				t.Errorf("%s left: session reused = %v, want %v (expires %s)", c.left, reused, c.reused, after.ExpiresAt)
			}
		})
	}
}

// No terminal: the fetch fails with ErrMFARequired and says to run login.
func TestMFAWithoutTerminalSaysRunLogin(t *testing.T) {
	w := newMFAWorld(t)
	p := &prompts{answer: func() (string, error) { return "", fmt.Errorf("%w: no terminal to ask on", ErrMFARequired) }}
	_, err := w.helper(t, p.ask).Credentials(context.Background(), hostA)
	if !errors.Is(err, ErrMFARequired) || !strings.Contains(err.Error(), "login --profile default") {
		t.Fatalf("got %v", err)
	}
	if w.fake.CallCount() != 0 {
		t.Errorf("ECR called %d times", w.fake.CallCount())
	}
}

// A wrong code: STS refuses, the error says it was the MFA code, and no
// session is saved.
func TestMFAWrongCodeIsRefusedAndNotSaved(t *testing.T) {
	w := newMFAWorld(t)
	p := &prompts{answer: func() (string, error) { return "000000", nil }}
	_, err := w.helper(t, p.ask).Credentials(context.Background(), hostA)
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "MFA code") {
		t.Fatalf("got %v", err)
	}
	for _, e := range storeOf(t, w).Entries() {
		if e.Service == SessionService {
			t.Fatalf("a refused code left a session: %+v", e.Identity)
		}
	}
}

// login asks even when a session is cached, saves the new one and says
// when it expires; without MFA it asks nothing; without a cache it refuses.
func TestLoginAsksAgainAndSavesTheSession(t *testing.T) {
	w := newMFAWorld(t)
	p := &prompts{}
	if _, err := w.helper(t, p.ask).Credentials(context.Background(), hostA); err != nil {
		t.Fatal(err)
	}
	exp, err := w.helper(t, p.ask).Login(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if p.count() != 2 {
		t.Errorf("asked %d times, want login to ask again", p.count())
	}
	_, e := cachedMFASession(t, storeOf(t, w))
	if !exp.Equal(e.ExpiresAt) || time.Until(exp) < SessionMinLife {
		t.Errorf("login says %s, the cache holds %s", exp, e.ExpiresAt)
	}

	_, err = w.helper(t, p.ask, func(c *Config) { c.CacheDisabled = true }).Login(context.Background(), "default")
	if err == nil || !strings.Contains(err.Error(), "AWS_ECR_DISABLE_CACHE") {
		t.Errorf("login without a cache: %v", err)
	}

	w.writeConfig(t, "[default]\n"+keys("AKIABASE0000B001"))
	exp, err = w.helper(t, p.ask).Login(context.Background(), "default")
	if err != nil || !exp.IsZero() || p.count() != 2 {
		t.Errorf("login without MFA: %s, %v after %d questions", exp, err, p.count())
	}
}

// TTYPrompter asks on the device and reads one line; an empty answer or no
// device is ErrMFARequired.
func TestTTYPrompter(t *testing.T) {
	dir := t.TempDir()
	tty := filepath.Join(dir, "tty")
	if err := os.WriteFile(tty, []byte(" 654321 \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, err := TTYPrompter(tty)(context.Background(), "MFA code for x: ")
	if err != nil || code != "654321" {
		t.Fatalf("got %q, %v", code, err)
	}
	if b, _ := os.ReadFile(tty); !strings.HasSuffix(string(b), "MFA code for x: ") {
		t.Errorf("the question was not written to the device: %q", b)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := TTYPrompter(empty)(context.Background(), "?"); !errors.Is(err, ErrMFARequired) {
		t.Errorf("empty answer: %v", err)
	}
	if _, err := TTYPrompter(filepath.Join(dir, "missing"))(context.Background(), "?"); !errors.Is(err, ErrMFARequired) {
		t.Errorf("no device: %v", err)
	}
}

func storeOf(t *testing.T, w *sdkWorld) *cache.Store {
	t.Helper()
	return cache.Open(filepath.Join(w.dir, "cache"))
}
