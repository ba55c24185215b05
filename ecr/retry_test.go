package ecr

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/internal/testenv"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Each row of the policy in retry.go, with an injected clock and jitter.

func apiError(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }

func statusError(code int) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}},
		Err:      apiError("ServerException"),
	}}
}

func connError(errno syscall.Errno) error {
	return &smithyhttp.RequestSendError{Err: &net.OpError{Op: "dial", Net: "tcp", Err: errno}}
}

// testPolicy returns a policy whose clock advances only when told, whose
// jitter returns the largest wait allowed (the worst case), and which records
// the ceilings it was asked for.
func testPolicy(deadline time.Duration) (*policy, *testenv.Clock, *[]time.Duration) {
	return testPolicyJitter(deadline, 1)
}

// testPolicyJitter draws every wait as fraction × its ceiling.
func testPolicyJitter(deadline time.Duration, fraction float64) (*policy, *testenv.Clock, *[]time.Duration) {
	c := testenv.NewClock(t0)
	var ceilings []time.Duration
	p := &policy{now: c.Now, last: &lastError{}, logger: slog.New(slog.DiscardHandler)}
	if deadline > 0 {
		p.deadline = t0.Add(deadline)
	}
	p.jitter = func(ceiling time.Duration) time.Duration {
		ceilings = append(ceilings, ceiling)
		return time.Duration(float64(ceiling) * fraction)
	}
	return p, c, &ceilings
}

// attempt runs one failed attempt through the policy the way the SDK's retry
// middleware does, and advances the clock by the wait chosen.
func attempt(p *policy, c *testenv.Clock, err error) bool {
	p.GetAttemptToken(context.Background())
	if !p.IsErrorRetryable(err) {
		return false
	}
	d, _ := p.RetryDelay(0, err)
	c.Set(c.Now().Add(d))
	return true
}

func TestThrottlingRetriesWithFullJitterUntilTheDeadline(t *testing.T) {
	for _, fraction := range []float64{1, 0.5, 0.01} {
		p, c, ceilings := testPolicyJitter(30*time.Second, fraction)
		n := 1
		for attempt(p, c, apiError("ThrottlingException")) {
			n++
			// Never a wait that ends later than attemptReserve before the deadline.
			if c.Now().After(p.deadline.Add(-attemptReserve)) {
				t.Fatalf("attempt %d starts at %s, within %s of the deadline %s", n, c.Now(), attemptReserve, p.deadline)
			}
			if n > 1000 {
				t.Fatal("throttling retried forever")
			}
		}
		// Exponential ceilings 1s, 2s, 4s, then the 5s cap.
		want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second}
		for i, w := range want {
			if i < len(*ceilings) && (*ceilings)[i] != w {
				t.Fatalf("ceiling %d = %s, want %s (all: %v)", i, (*ceilings)[i], w, *ceilings)
			}
		}
		for _, ce := range (*ceilings)[min(len(want), len(*ceilings)):] {
			if ce != 5*time.Second {
				t.Fatalf("ceilings %v: after the fourth, all 5s", *ceilings)
			}
		}
		// It stopped because the next wait did not fit, not earlier.
		last := time.Duration(float64((*ceilings)[len(*ceilings)-1]) * fraction)
		if !c.Now().Add(last).After(p.deadline.Add(-attemptReserve)) {
			t.Fatalf("fraction %v: stopped at %s although a %s wait fitted", fraction, c.Now(), last)
		}
		if !p.last.stoppedByDeadline() || p.last.count() != n {
			t.Fatalf("stoppedByDeadline=%v count=%d, want true and %d", p.last.stoppedByDeadline(), p.last.count(), n)
		}
		// With worst-case waits, 30s holds 1+2+4+5+5+5+5 = 27s of waits: 8 attempts.
		if fraction == 1 && n != 8 {
			t.Fatalf("attempts = %d, want 8", n)
		}
	}
}

func TestThrottlingWithNoRoomLeftIsNotRetried(t *testing.T) {
	p, _, _ := testPolicyJitter(attemptReserve+time.Millisecond, 0.5) // a 500ms wait does not fit in 1ms
	p.GetAttemptToken(context.Background())
	if p.IsErrorRetryable(apiError("ThrottlingException")) {
		t.Fatal("retried with no time left before the deadline")
	}
	if !p.last.stoppedByDeadline() {
		t.Fatal("not marked as stopped by the deadline")
	}
}

func TestTransientFaultsGetTheStandardBudgetOfThreeAttempts(t *testing.T) {
	for name, err := range map[string]error{
		"500":                statusError(500),
		"503":                statusError(503),
		"connection refused": connError(syscall.ECONNREFUSED),
		"connection reset":   connError(syscall.ECONNRESET),
	} {
		t.Run(name, func(t *testing.T) {
			p, c, ceilings := testPolicy(30 * time.Second)
			attempts := 1
			for attempt(p, c, err) {
				attempts++
				if attempts > 10 {
					t.Fatal("retried past the budget")
				}
			}
			if attempts != transientAttempts {
				t.Fatalf("attempts = %d, want %d", attempts, transientAttempts)
			}
			want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}
			if len(*ceilings) != 2 || (*ceilings)[0] != want[0] || (*ceilings)[1] != want[1] {
				t.Fatalf("ceilings = %v, want %v", *ceilings, want)
			}
			if c.Now().Sub(t0) > time.Second {
				t.Fatalf("worst case took %s, want under a second", c.Now().Sub(t0))
			}
			if p.last.stoppedByDeadline() {
				t.Fatal("the budget, not the deadline, ended it")
			}
		})
	}
}

func TestTransientRetriesAlsoKeepTheDeadline(t *testing.T) {
	p, c, _ := testPolicyJitter(attemptReserve+100*time.Millisecond, 0.2) // a 50ms wait fits
	if !attempt(p, c, statusError(500)) {
		t.Fatal("not retried with 100ms of room")
	}
	if attempt(p, c, statusError(500)) { // a 100ms wait from 50ms on does not
		t.Fatal("retried with no room left")
	}
}

func TestRefusalsAndMalformedRepliesAreNotRetried(t *testing.T) {
	for name, err := range map[string]error{
		"AccessDenied":            apiError("AccessDeniedException"),
		"unrecognized client":     apiError("UnrecognizedClientException"),
		"invalid signature":       apiError("InvalidSignatureException"),
		"expired token":           apiError("ExpiredTokenException"),
		"malformed reply":         &smithy.DeserializationError{Err: errors.New("unexpected EOF")},
		"400 other":               statusError(400),
		"context deadline":        context.DeadlineExceeded,
		"DNS name does not exist": &smithyhttp.RequestSendError{Err: &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}},
	} {
		t.Run(name, func(t *testing.T) {
			p, c, ceilings := testPolicy(30 * time.Second)
			if attempt(p, c, err) {
				t.Fatalf("%v was retried", err)
			}
			if len(*ceilings) != 0 {
				t.Fatalf("a wait was computed: %v", *ceilings)
			}
		})
	}
}

func TestClassifyAttemptRows(t *testing.T) {
	for err, want := range map[error]faultClass{
		apiError("ThrottlingException"):                    faultThrottle,
		apiError("TooManyRequestsException"):               faultThrottle,
		statusError(502):                                   faultTransient,
		connError(syscall.ECONNRESET):                      faultTransient,
		apiError("AccessDeniedException"):                  faultFinal,
		&smithy.DeserializationError{Err: errors.New("x")}: faultFinal,
	} {
		if got := classifyAttempt(err); got != want {
			t.Errorf("%v: %s, want %s", err, got, want)
		}
	}
}
