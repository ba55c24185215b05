package ecr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// The retry policy, one row per fault. Faults have different right answers:
//
//	fault                                  attempts            wait before the next attempt
//	-------------------------------------  ------------------  -------------------------------------------
//	throttling (ThrottlingException, ...)  while the deadline  full jitter: uniform in [0, min(5s, 1s·2^n)],
//	                                       allows              n = throttled attempts so far; a wait that
//	                                                           would end later than attemptReserve before
//	                                                           the deadline is not started: the error is
//	                                                           answered instead (no burst of short waits
//	                                                           squeezed in before the deadline)
//	5xx, connection refused/reset, and     3 in all (the SDK   full jitter: uniform in [0, 250ms·2^(n-1)]
//	every other error the SDK's standard   standard budget)    (≤ 250ms, then ≤ 500ms), same deadline rule
//	retryer retries (DNS "no such host"
//	is not one: the SDK gives up at once)
//	AccessDenied, unrecognized/invalid/    1 (no retry)        -
//	expired credentials, malformed
//	replies, a server certificate that
//	does not verify (untrusted issuer,
//	wrong host, expired), anything else
//
// Throttling is the only fault worth waiting out: it is what a fleet meets
// when every node's cache is cold at once (ECR's quota is 20/s, burst 200),
// and jittered retries are what get all of it through. A server error or a
// broken connection that survives three attempts is reported at once: a
// client waiting half a minute learns nothing more, and each retry loads a
// failing service. Refusals never change by asking again, and neither does
// a certificate that does not verify (a TLS-inspecting proxy whose CA is not
// trusted, an endpoint with a self-signed certificate): the SDK counts it
// as a connection error, but another handshake meets the same certificate.
//
// The deadline is the one the fetch runs under: the get's AWS_ECR_TIMEOUT,
// or the short budget of a fetch that has a still-valid cached token to fall
// back on (staleFetchBudget), so the same rules serve both. The retryer is
// built per SDK client (one fetch), so its counters are per fetch.
const (
	throttleBackoffMax  = 5 * time.Second
	throttleBackoffBase = time.Second
	transientAttempts   = 3
	transientBackoff    = 250 * time.Millisecond
	// attemptReserve is left between the end of a wait and the deadline,
	// so the attempt a wait leads to has time to be answered.
	attemptReserve = 200 * time.Millisecond
	// maxAttempts only stops the SDK's own counter from ending throttling
	// retries; the rows above decide.
	maxAttempts = 1000
)

// faultClass is a row of the policy above.
type faultClass int

const (
	faultFinal     faultClass = iota // not retried
	faultThrottle                    // retried while the deadline allows
	faultTransient                   // retried within the SDK's standard budget
)

func (c faultClass) String() string {
	return [...]string{"not retryable", "throttled", "transient"}[c]
}

// classifyAttempt puts a failed attempt's error in its row, with the SDK's
// own tests for throttling and retryability.
func classifyAttempt(err error) faultClass {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return faultFinal
	}
	if certificateFailure(err) != nil {
		return faultFinal
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		return faultThrottle
	}
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary {
		return faultTransient
	}
	return faultFinal
}

// certificateFailure returns the error in err's chain that says the server's
// certificate did not verify, or nil if there is none.
func certificateFailure(err error) error {
	var cve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	var he x509.HostnameError
	switch {
	case errors.As(err, &cve):
		return cve
	case errors.As(err, &ua):
		return ua
	case errors.As(err, &ci):
		return ci
	case errors.As(err, &he):
		return he
	}
	return nil
}

// policy is the aws.RetryerV2 that applies the table above. The decision,
// wait included, is taken in IsErrorRetryable, where the error is known; the
// SDK then asks RetryDelay for the wait just decided.
type policy struct {
	deadline time.Time                                 // zero: none
	now      func() time.Time                          // injected in tests
	jitter   func(ceiling time.Duration) time.Duration // uniform in [0, ceiling]
	last     *lastError
	logger   *slog.Logger

	mu         sync.Mutex
	throttles  int
	transients int
	next       time.Duration
	started    time.Time // when the current attempt began
	attempt    int
}

var _ aws.RetryerV2 = (*policy)(nil)

func newPolicy(ctx context.Context, last *lastError, logger *slog.Logger) *policy {
	p := &policy{now: time.Now, jitter: uniformJitter, last: last, logger: logger}
	if d, ok := ctx.Deadline(); ok {
		p.deadline = d
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	return p
}

func uniformJitter(ceiling time.Duration) time.Duration {
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// IsErrorRetryable decides whether a failed attempt is tried again and how
// long to wait first.
func (p *policy) IsErrorRetryable(err error) bool {
	p.last.set(err)
	p.mu.Lock()
	defer p.mu.Unlock()
	class := classifyAttempt(err)
	took := p.now().Sub(p.started).Round(time.Millisecond)
	var ceiling time.Duration
	switch class {
	case faultThrottle:
		ceiling = throttleBackoffMax
		if p.throttles < 16 {
			ceiling = min(ceiling, throttleBackoffBase<<p.throttles)
		}
		p.throttles++
	case faultTransient:
		p.transients++
		if p.transients >= transientAttempts {
			p.logger.Debug("fetch attempt failed; retry budget for this fault spent", "attempt", p.attempt, "fault", class.String(), "took", took, "cause", firstLine(err))
			return false
		}
		ceiling = transientBackoff << (p.transients - 1)
	default:
		p.logger.Debug("fetch attempt failed; not retried", "attempt", p.attempt, "fault", class.String(), "took", took, "cause", firstLine(err))
		return false
	}
	p.next = p.jitter(ceiling)
	if !p.deadline.IsZero() && p.now().Add(p.next).After(p.deadline.Add(-attemptReserve)) {
		// Never start a wait that ends too late for the attempt it leads to.
		p.last.outOfTime()
		p.logger.Debug("fetch attempt failed; the next wait would end past the deadline, so not retrying", "attempt", p.attempt, "fault", class.String(), "took", took, "wait", p.next.Round(time.Millisecond), "cause", firstLine(err))
		return false
	}
	p.logger.Debug("fetch attempt failed; retrying", "attempt", p.attempt, "fault", class.String(), "took", took, "wait", p.next.Round(time.Millisecond), "cause", firstLine(err))
	return true
}

// RetryDelay returns the wait IsErrorRetryable chose.
func (p *policy) RetryDelay(int, error) (time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.next, nil
}

// MaxAttempts is high on purpose: the table above decides.
func (p *policy) MaxAttempts() int { return maxAttempts }

// GetAttemptToken marks the start of an attempt (for the debug log).
func (p *policy) GetAttemptToken(context.Context) (func(error) error, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.attempt++
	p.started = p.now()
	return nopRelease, nil
}

// GetRetryToken and GetInitialToken: no client-side retry quota; the table
// and the deadline bound how much a fetch asks.
func (p *policy) GetRetryToken(context.Context, error) (func(error) error, error) {
	return nopRelease, nil
}
func (p *policy) GetInitialToken() func(error) error { return nopRelease }

func nopRelease(error) error { return nil }

// lastError is the last failed attempt's error and how many attempts failed
// (the SDK asks IsErrorRetryable once per failed attempt). An attempt cut
// short by the deadline does not hide what the attempts before it met
// (connection reset, throttling, 5xx).
type lastError struct {
	mu       sync.Mutex
	err      error
	attempts int
	late     bool // the retryer stopped because the deadline left no room
}

func (l *lastError) outOfTime() { l.mu.Lock(); defer l.mu.Unlock(); l.late = true }
func (l *lastError) stoppedByDeadline() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.late
}

func (l *lastError) set(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts++
	if l.err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		return
	}
	l.err = err
}

func (l *lastError) get() error { l.mu.Lock(); defer l.mu.Unlock(); return l.err }
func (l *lastError) count() int { l.mu.Lock(); defer l.mu.Unlock(); return l.attempts }

// gaveUpError is a fetch that made more than one attempt, or that its
// deadline cut short: the last attempt's error, the number of attempts, and
// whether the deadline (rather than the fault's budget) ended it.
type gaveUpError struct {
	last, err error
	attempts  int
	deadline  bool
}

func (e *gaveUpError) Error() string {
	if e.err == e.last || strings.Contains(e.err.Error(), e.last.Error()) {
		return e.err.Error()
	}
	return e.err.Error() + "; attempts failed with: " + e.last.Error()
}
func (e *gaveUpError) Unwrap() []error {
	if e.err == e.last {
		return []error{e.err}
	}
	return []error{e.err, e.last}
}
