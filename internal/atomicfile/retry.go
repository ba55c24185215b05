package atomicfile

import "time"

// retryBusy calls op until it succeeds, fails with an error that busy does not
// accept, or the next wait would take it past budget; it returns op's last
// error. It serves Windows, where a file another program has open briefly (an
// antivirus scan, a backup agent) cannot be replaced until it lets go.
func retryBusy(op func() error, busy func(error) bool, budget time.Duration) error {
	start, wait := time.Now(), 5*time.Millisecond
	for {
		err := op()
		if err == nil || !busy(err) || time.Since(start)+wait > budget {
			return err
		}
		time.Sleep(wait)
		wait = min(2*wait, 200*time.Millisecond)
	}
}
