// Options that configure a Fake or Server, and the default password.

package ecrtest

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Option configures a Fake or Server.
type Option func(*config)

type config struct {
	password     string
	passwordFunc func(Call) string
	lifetime     time.Duration
	clock        func() time.Time
	accountID    string
	rate         float64
	burst        int
	onCall       func(Call)
	fault        Fault
	sts          stsConfig
}

// WithPassword sets the password returned in every successful answer: the
// authorizationToken is base64("AWS:" + password). The default is a
// random-looking value derived deterministically from the account id (see
// DefaultPassword).
func WithPassword(p string) Option { return func(c *config) { c.password = p } }

// WithPasswordFunc computes the password per call (e.g. per region or
// access key); it overrides WithPassword. It must be safe for concurrent use.
func WithPasswordFunc(f func(Call) string) Option { return func(c *config) { c.passwordFunc = f } }

// WithLifetime sets the token lifetime used for expiresAt (default 12h).
func WithLifetime(d time.Duration) Option { return func(c *config) { c.lifetime = d } }

// WithClock sets the clock used for expiresAt, Call.Time and the rate
// limiter (default time.Now). It must be safe for concurrent use.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithAccountID sets the account used in proxyEndpoint when the request names
// no registryIds (default 123456789012).
func WithAccountID(id string) Option { return func(c *config) { c.accountID = id } }

// WithRateLimit enables a token bucket shared by all callers and both
// services: perSecond tokens are added per second of the fake's clock, up to
// burst. Calls finding the bucket empty get 400 ThrottlingException "Rate
// exceeded" and are counted by Throttled. perSecond <= 0 disables limiting;
// burst < 1 is treated as 1.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *config) { c.rate, c.burst = perSecond, burst }
}

// WithOnCall registers a hook invoked (outside any lock) after each recorded
// call has been decided, e.g. for logging. It must be safe for concurrent use.
func WithOnCall(f func(Call)) Option { return func(c *config) { c.onCall = f } }

// WithFault sets the initial fault.
func WithFault(f Fault) Option { return func(c *config) { c.fault = f } }

// DefaultPassword is the password a fake created without WithPassword uses
// for the given account id. It is 40 bytes, so it fits bcrypt's 72 byte limit
// in htpasswd files.
func DefaultPassword(accountID string) string {
	sum := sha256.Sum256([]byte("ecrtest/password/" + accountID))
	return "ecrtest-" + hex.EncodeToString(sum[:16])
}
