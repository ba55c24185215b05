package ecr

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/ecr/local"
)

// lookup is FreshLookup of key, which must agree with Entry.
func lookup(tokens *TokenCache, key string) bool {
	_, ok := tokens.FreshLookup(func() (string, bool) { return key, true })
	return ok
}

// Each kind of cache entry is fresh up to its own refresh point and not one
// nanosecond after; usable up to its expiry.
func TestTokenCacheRefreshPoints(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const margin = 30 * time.Minute
	long := func(service string) cache.Entry { // 12 h: no half-life cap
		return cache.Entry{Service: service, Username: "u", Password: "p", RequestedAt: t0, ExpiresAt: t0.Add(12 * time.Hour)}
	}
	short := long(SessionService)
	short.ExpiresAt = t0.Add(time.Hour) // half of it is below DefaultRefreshMargin
	for _, tc := range []struct {
		name    string
		key     string
		e       cache.Entry
		refresh time.Time
	}{
		{"token: expiry less the margin", "id/ecr/aws/us-east-1", long("ecr"), t0.Add(12*time.Hour - margin)},
		{"MFA session: SessionMinLife before expiry", "mfa-session/x", long(SessionService), t0.Add(12*time.Hour - SessionMinLife)},
		{"pod session: DefaultRefreshMargin", local.PodSessionKey(Identity{ID: "id"}, "aws"), long(SessionService), t0.Add(12*time.Hour - DefaultRefreshMargin)},
		{"pod session: half its life", local.PodSessionKey(Identity{ID: "id"}, "aws"), short, t0.Add(30 * time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := cache.Open(t.TempDir())
			if err := store.Put(context.Background(), tc.key, tc.e, t0); err != nil {
				t.Fatal(err)
			}
			now := tc.refresh.Add(-time.Nanosecond)
			tokens := NewTokenCache(store, margin, func() time.Time { return now })
			if got := tokens.RefreshAt(tc.key, tc.e); !got.Equal(tc.refresh) {
				t.Fatalf("RefreshAt = %s, want %s", got, tc.refresh)
			}
			if s, _ := tokens.State(tc.key, tc.e); s != StateFresh {
				t.Fatalf("just before the refresh point: %s, want fresh", s)
			}
			if _, ok := tokens.Entry(tc.key, StateFresh); !ok || !lookup(tokens, tc.key) {
				t.Fatalf("just before the refresh point: not served (Entry %v)", ok)
			}
			now = tc.refresh
			if s, _ := tokens.State(tc.key, tc.e); s != StateStale {
				t.Fatalf("at the refresh point: %s, want stale", s)
			}
			if _, ok := tokens.Entry(tc.key, StateFresh); ok || lookup(tokens, tc.key) {
				t.Fatalf("at the refresh point: still served as fresh (Entry %v)", ok)
			}
			if _, ok := tokens.Entry(tc.key, StateStale); !ok {
				t.Fatal("at the refresh point: not usable as a fallback")
			}
			now = tc.e.ExpiresAt
			if s, _ := tokens.State(tc.key, tc.e); s != StateExpired {
				t.Fatalf("at expiry: %s, want expired", s)
			}
			if _, ok := tokens.Entry(tc.key, StateStale); ok {
				t.Fatal("at expiry: still usable")
			}
		})
	}
}

// The MFA session is reused only while it has SessionMinLife to live:
// with less, the profile's chain (which prompts) is asked again.
func TestTokenCacheMFASessionMinimumLife(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exp := t0.Add(time.Hour)
	store := cache.Open(t.TempDir())
	const key = "mfa-session/test"
	if err := store.Put(context.Background(), key, cache.Entry{Service: SessionService, Username: "ASIACACHED",
		Password: "secret\ntoken", RequestedAt: t0, ExpiresAt: exp}, t0); err != nil {
		t.Fatal(err)
	}
	inner := 0
	var now time.Time
	m := &mfaSessions{sessions: NewTokenCache(store, time.Hour, func() time.Time { return now }), key: key, who: "p",
		prompted: &promptFlag{}, inner: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			inner++
			return aws.Credentials{}, errors.New("prompted")
		})}

	now = exp.Add(-SessionMinLife - time.Second)
	c, err := m.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "ASIACACHED" || inner != 0 {
		t.Fatalf("with more than SessionMinLife left: %+v, %v, inner called %d times; want the cached session", c.AccessKeyID, err, inner)
	}
	now = exp.Add(-SessionMinLife)
	if _, err := m.Retrieve(context.Background()); err == nil || inner != 1 {
		t.Fatalf("with SessionMinLife left: err %v, inner called %d times; want the chain asked again", err, inner)
	}
}

// FreshLookup serves only the key it is given, when that entry is fresh,
// and asks for the key only when some entry is.
func TestFreshLookup(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	store := cache.Open(t.TempDir())
	put := func(key string, requested time.Time) {
		e := cache.Entry{Service: "ecr", Username: "AWS", Password: "pw-" + key, RequestedAt: requested, ExpiresAt: requested.Add(12 * time.Hour)}
		if err := store.Put(context.Background(), key, e, t0); err != nil {
			t.Fatal(err)
		}
	}
	put("fresh", t0)
	put("stale", t0.Add(-11*time.Hour-time.Minute)) // past expiry less the 1 h margin
	tokens := NewTokenCache(store, time.Hour, func() time.Time { return t0 })
	asked := 0
	get := func(key string, ok bool) (Credentials, bool) {
		return tokens.FreshLookup(func() (string, bool) { asked++; return key, ok })
	}
	if c, ok := get("fresh", true); !ok || c.Password != "pw-fresh" {
		t.Fatalf("fresh key: %q, %v", c.Password, ok)
	}
	if c, ok := get("stale", true); ok {
		t.Fatalf("stale key served %q while another entry is fresh", c.Password)
	}
	if _, ok := get("fresh", false); ok {
		t.Fatal("served when key() said no lookup")
	}
	empty := NewTokenCache(cache.Open(t.TempDir()), time.Hour, func() time.Time { return t0 })
	before := asked
	if _, ok := empty.FreshLookup(func() (string, bool) { asked++; return "fresh", true }); ok || asked != before {
		t.Fatalf("empty cache: served %v, key asked %d times", ok, asked-before)
	}
}
