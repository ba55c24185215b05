package atomicfile

import (
	"errors"
	"testing"
	"time"
)

var errBusy = errors.New("busy")

func isBusy(err error) bool { return errors.Is(err, errBusy) }

func TestRetryBusy(t *testing.T) {
	errOther := errors.New("other")
	for _, tc := range []struct {
		name      string
		fails     []error // op's results before it succeeds
		budget    time.Duration
		wantCalls int
		wantErr   error
	}{
		{"succeeds at once", nil, time.Second, 1, nil},
		{"busy twice, then free", []error{errBusy, errBusy}, time.Second, 3, nil},
		{"another error is not retried", []error{errOther, errBusy}, time.Second, 1, errOther},
		{"no budget: no retry", []error{errBusy}, 0, 1, errBusy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := retryBusy(func() error {
				calls++
				if calls <= len(tc.fails) {
					return tc.fails[calls-1]
				}
				return nil
			}, isBusy, tc.budget)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if calls != tc.wantCalls {
				t.Errorf("%d calls, want %d", calls, tc.wantCalls)
			}
		})
	}
}

// TestRetryBusyGivesUp: a file that stays busy costs at most the budget, and
// the caller gets the busy error.
func TestRetryBusyGivesUp(t *testing.T) {
	calls := 0
	err := retryBusy(func() error { calls++; return errBusy }, isBusy, 50*time.Millisecond)
	if !errors.Is(err, errBusy) {
		t.Errorf("err = %v, want the busy error", err)
	}
	if calls < 2 {
		t.Errorf("%d calls: want retries within the budget", calls)
	}
}
