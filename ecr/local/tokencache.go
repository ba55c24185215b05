package local

import (
	"context"
	"strings"
	"time"

	"github.com/ecr-login/ecr-login/cache"
)

// TokenCache is the one home of the rules for what the 0600 cache holds:
// the key of a pod's session, when an entry is fresh (served without asking
// AWS), when it is usable (not yet expired: served only when a refresh
// failed), and its state as `cache list` shows it. Three kinds of entry
// live there, each with its own refresh point:
//
//   - a registry token: ExpiresAt less the refresh margin (capped at half the
//     token's lifetime, cache.Entry.Margin);
//   - an MFA session (Service SessionService, ecr/mfa.go): SessionMinLife before
//     it expires, so a fetch never starts with credentials about to lapse;
//   - a pod's assumed-role session (Service SessionService, key
//     podSessionPrefix..., ecr/webidentity.go): DefaultRefreshMargin, capped at
//     half its lifetime like a token.
//
// All of them read the time from the injected clock.
type TokenCache struct {
	store  *cache.Store // nil: caching is off; every lookup misses
	margin time.Duration
	now    func() time.Time
}

// NewTokenCache wraps store (nil: caching off) with the tokens' refresh
// margin and a clock (nil: time.Now).
func NewTokenCache(store *cache.Store, margin time.Duration, now func() time.Time) *TokenCache {
	if margin < 0 {
		margin = 0
	}
	if now == nil {
		now = time.Now
	}
	return &TokenCache{store: store, margin: margin, now: now}
}

// EntryState is what `cache list` says of an entry.
type EntryState string

const (
	StateFresh   EntryState = "fresh"   // served from the cache
	StateStale   EntryState = "stale"   // past its refresh point: used only if AWS fails
	StateExpired EntryState = "expired" // never served
)

// podSessionPrefix starts the cache key of a pod's assumed-role session.
const podSessionPrefix = "pod-session/"

// PodSessionKey is the cache key of the session of the pod identity id in
// partition: the same parts as the token's key, never the service account
// token.
func PodSessionKey(id Identity, partition string) string {
	return podSessionPrefix + id.ID + "/" + partition
}

// RefreshAt is when the entry at key stops being fresh (see TokenCache).
func (c *TokenCache) RefreshAt(key string, e cache.Entry) time.Time {
	switch {
	case e.Service != SessionService:
		return e.RefreshAt(c.margin)
	case strings.HasPrefix(key, podSessionPrefix):
		return e.RefreshAt(DefaultRefreshMargin)
	default:
		return e.ExpiresAt.Add(-SessionMinLife)
	}
}

// State is the state of the entry at key now, and its refresh point.
func (c *TokenCache) State(key string, e cache.Entry) (EntryState, time.Time) {
	refresh, now := c.RefreshAt(key, e), c.now()
	switch {
	case now.Before(refresh):
		return StateFresh, refresh
	case e.Usable(now):
		return StateStale, refresh
	}
	return StateExpired, refresh
}

// Now is the cache's clock.
func (c *TokenCache) Now() time.Time { return c.now() }

// Fresh returns the cached token at key if it may be served.
func (c *TokenCache) Fresh(key string) (Credentials, bool) {
	return c.FreshLookup(func() (string, bool) { return key, true })
}

// Usable returns the cached token at key if it has not expired (fallback use).
func (c *TokenCache) Usable(key string) (Credentials, bool) {
	return c.token(key, StateStale)
}

// token returns the entry at key as Credentials when its state is at least
// want (fresh counts as usable).
func (c *TokenCache) token(key string, want EntryState) (Credentials, bool) {
	e, ok := c.Entry(key, want)
	if !ok {
		return Credentials{}, false
	}
	return c.credentials(key, e), true
}

// credentials is the entry at key as served to a client.
func (c *TokenCache) credentials(key string, e cache.Entry) Credentials {
	return Credentials{Username: e.Username, Password: e.Password, ExpiresAt: e.ExpiresAt,
		RefreshAt: c.RefreshAt(key, e), FromCache: true}
}

// Session returns the fresh session (MFA or pod) at key.
func (c *TokenCache) Session(key string) (cache.Entry, bool) {
	e, ok := c.Entry(key, StateFresh)
	if !ok || e.Service != SessionService {
		return cache.Entry{}, false
	}
	return e, true
}

// Entry returns the entry at key when its state is at least want (fresh
// counts as usable).
func (c *TokenCache) Entry(key string, want EntryState) (cache.Entry, bool) {
	if c == nil || c.store == nil {
		return cache.Entry{}, false
	}
	e, found := c.store.Get(key)
	if !found {
		return cache.Entry{}, false
	}
	switch s, _ := c.State(key, e); {
	case s == StateFresh, s == StateStale && want == StateStale:
		return e, true
	}
	return cache.Entry{}, false
}

// Put saves e at key, stamped with the clock's time.
func (c *TokenCache) Put(ctx context.Context, key string, e cache.Entry) error {
	return c.store.Put(ctx, key, e, c.now())
}

// FreshLookup is Fresh(key()) on one read of the cache, calling key only
// when some entry is fresh: when none is, no key can hit, so
// cmd/internal/fast does not resolve the identity (reading ~/.aws) on a
// cold start or after the tokens aged. key returns false for "no lookup".
func (c *TokenCache) FreshLookup(key func() (string, bool)) (Credentials, bool) {
	if c == nil || c.store == nil {
		return Credentials{}, false
	}
	entries := c.store.Entries()
	someFresh := false
	for k, e := range entries {
		if s, _ := c.State(k, e); s == StateFresh {
			someFresh = true
			break
		}
	}
	if !someFresh {
		return Credentials{}, false
	}
	k, ok := key()
	if !ok {
		return Credentials{}, false
	}
	e, found := entries[k]
	if s, _ := c.State(k, e); !found || s != StateFresh {
		return Credentials{}, false
	}
	return c.credentials(k, e), true
}

// FreshFor returns the keys and entries of identityID that are fresh now
// (List and doctor count them).
func (c *TokenCache) FreshFor(identityID string) (mine int, fresh map[string]cache.Entry, total int) {
	fresh = map[string]cache.Entry{}
	if c == nil || c.store == nil {
		return 0, fresh, 0
	}
	for k, e := range c.store.Entries() {
		total++
		if e.IdentityID != identityID {
			continue
		}
		mine++
		if s, _ := c.State(k, e); s == StateFresh {
			fresh[k] = e
		}
	}
	return mine, fresh, total
}
