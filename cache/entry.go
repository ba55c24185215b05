// Package cache keeps registry tokens on disk between helper runs.
//
// It knows files, not AWS: an Entry is an opaque username/password pair with the
// times that bound its life, stored under a caller-chosen key in one JSON file
// with a format version. Writes are atomic (temp file, rename; fsynced first
// unless the file replaced held nothing usable, see writeAtomic) and
// read-modify-write under an OS file lock, so concurrent processes never lose
// each other's entries; a corrupt, foreign or torn file reads as empty.
package cache

import "time"

// Entry is one cached token.
type Entry struct {
	// Service and Region say which API issued the token (informational).
	Service string `json:"service"`
	Region  string `json:"region"`
	// IdentityID groups the entries of one caller identity (a hash, no secret);
	// Identity describes it for people ("profile prod: assume role ...").
	IdentityID string `json:"identity_id"`
	Identity   string `json:"identity,omitempty"`
	// Endpoint is the registry endpoint the token was issued for.
	Endpoint string `json:"endpoint,omitempty"`

	Username string `json:"username"`
	Password string `json:"password"`

	RequestedAt time.Time `json:"requested_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// Margin returns the refresh margin that applies to e: the configured margin,
// but never more than half the token's lifetime, so that short-lived tokens
// are still worth caching.
func (e Entry) Margin(margin time.Duration) time.Duration {
	if margin < 0 {
		margin = 0
	}
	if half := e.ExpiresAt.Sub(e.RequestedAt) / 2; half < margin {
		if half < 0 {
			return 0
		}
		return half
	}
	return margin
}

// RefreshAt is the instant from which e is no longer served from the cache.
func (e Entry) RefreshAt(margin time.Duration) time.Time {
	return e.ExpiresAt.Add(-e.Margin(margin))
}

// Fresh reports whether e may be served without asking the issuer again:
// now < ExpiresAt - Margin(margin).
func (e Entry) Fresh(now time.Time, margin time.Duration) bool {
	return now.Before(e.RefreshAt(margin))
}

// Usable reports whether e has not yet expired. An entry that is usable but not
// fresh may be served only when fetching a new one failed.
func (e Entry) Usable(now time.Time) bool {
	return now.Before(e.ExpiresAt)
}

// valid reports whether e has the fields every served entry needs.
func (e Entry) valid() bool {
	return e.Password != "" && e.Username != "" && !e.ExpiresAt.IsZero() && !e.RequestedAt.IsZero()
}
