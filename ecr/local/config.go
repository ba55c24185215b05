package local

import "time"

// DefaultTimeout bounds a whole get when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config is what cmd/ reads from the environment once and hands down.
type Config struct {
	// CacheDir holds the token cache; CacheDisabled turns caching off.
	CacheDir      string
	CacheDisabled bool
	// RefreshMargin: a cached token is served while now < expiresAt - margin
	// (capped at half the token's lifetime).
	RefreshMargin time.Duration
	// Timeout bounds one whole get, lock waits and retries included,
	// counted from Start (zero: from the call).
	Timeout time.Duration
	// Start is when the process started, so that the answer arrives before
	// Timeout as the client measures it.
	Start time.Time
	// IgnoreCredsStorage silences the note that store/erase do nothing.
	IgnoreCredsStorage bool
	// Env is the environment snapshot the identity and cache key come from.
	Env Getenv
	// Mappings is the optional per-registry configuration (nil: none).
	Mappings *Mappings
	// TTY is the terminal device MFA codes are asked on ("" = /dev/tty).
	TTY string
	// KeyByCredentials resolves the credentials on every get and keys the
	// cache by their access key id as well (see ecr/keybycreds.go).
	KeyByCredentials bool
}
