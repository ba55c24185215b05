package ecr

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ecr-login/ecr-login/internal/testenv"
)

// Steady state: what one node costs ECR over a week. A node pulls every five
// minutes and, now and then, in bursts of concurrent pulls (a deployment
// rolling several pods onto it). Each identity+region needs one token, and
// the cache refreshes it once per (lifetime - margin), so the API calls per
// node per day per identity+region are 24h / (lifetime - margin), whatever
// the pull rate. The simulation runs on the injected clock; nothing sleeps.

const (
	simDays     = 7
	simDuration = simDays * 24 * time.Hour
	pullEvery   = 5 * time.Minute
	burstSize   = 24
)

// steadyHosts are registries of one region (one token serves them all),
// spelled the ways clients send them.
var steadyHosts = []string{hostA, "https://" + hostB, hostA + "/v2/", "HTTPS://" + hostB + ":443"}

// pullEvent is one instant of the simulation and how many concurrent pulls
// happen at it.
type pullEvent struct {
	at    time.Duration // since t0
	pulls int
}

// nodeSchedule is a pull every pullEvery from t0 (so refresh boundaries that
// are multiples of five minutes are hit exactly) plus, in a third of the
// hours, a burst of burstSize concurrent pulls at a random instant.
func nodeSchedule(seed uint64) []pullEvent {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var ev []pullEvent
	for at := time.Duration(0); at < simDuration; at += pullEvery {
		ev = append(ev, pullEvent{at, 1})
	}
	for hour := time.Duration(0); hour < simDuration; hour += time.Hour {
		if rng.IntN(3) == 0 {
			at := hour + time.Duration(rng.Int64N(int64(time.Hour)))
			ev = append(ev, pullEvent{at, burstSize})
		}
	}
	slices.SortStableFunc(ev, func(a, b pullEvent) int { return int(a.at - b.at) })
	return ev
}

// runSchedule plays ev against h, checking every answer with check, and
// returns the number of pulls.
func runSchedule(t *testing.T, h *Helper, c *testenv.Clock, ev []pullEvent, check func(now time.Time, cr Credentials) error) int {
	t.Helper()
	pulls := 0
	for i, e := range ev {
		now := t0.Add(e.at)
		c.Set(now)
		var wg sync.WaitGroup
		errs := make(chan error, e.pulls)
		for p := 0; p < e.pulls; p++ {
			host := steadyHosts[(i+p)%len(steadyHosts)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				cr, err := h.Credentials(context.Background(), host)
				if err == nil {
					err = check(now, cr)
				}
				if err != nil {
					errs <- fmt.Errorf("pull of %s at t0+%s: %w", host, e.at, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		pulls += e.pulls
	}
	return pulls
}

func TestSteadyStateAPICallsPerNode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: simulates a week of pulls per case (about 15s); make test runs it")
	}
	for _, tc := range []struct {
		name         string
		lifetime     time.Duration
		margin       time.Duration
		refreshAfter time.Duration // lifetime - effective margin
	}{
		{"12h token, default 1h margin", 12 * time.Hour, DefaultRefreshMargin, 11 * time.Hour},
		{"12h token, AWS_ECR_REFRESH_MARGIN=3h", 12 * time.Hour, 3 * time.Hour, 9 * time.Hour},
		{"1h token, margin capped at 30m", time.Hour, DefaultRefreshMargin, 30 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testenv.NewClock(t0)
			f := okFetcher(c, tc.lifetime)
			h, _ := newTestHelper(t, testEnv(t, nil), f, c, func(cfg *Config) { cfg.RefreshMargin = tc.margin })
			pulls := runSchedule(t, h, c, nodeSchedule(1), func(now time.Time, cr Credentials) error {
				if cr.Username != "AWS" || cr.Password == "" {
					return fmt.Errorf("served %q/%q", cr.Username, cr.Password)
				}
				return nil
			})
			fetches := f.count()
			want := int(math.Ceil(float64(simDuration) / float64(tc.refreshAfter)))
			perDay := float64(fetches) / simDays
			t.Logf("%s: %d pulls in %d days, %d GetAuthorizationToken calls: %.2f API calls per node per day per identity+region (ideal 24h/%s = %.2f)",
				tc.name, pulls, simDays, fetches, perDay, tc.refreshAfter, float64(24*time.Hour)/float64(tc.refreshAfter))
			if fetches < want-1 || fetches > want+1 {
				t.Fatalf("fetches = %d, want ceil(%s / %s) = %d ± 1", fetches, simDuration, tc.refreshAfter, want)
			}
			for _, reg := range f.calls {
				if reg.Region != "us-east-1" || reg.Service != ServicePrivate {
					t.Fatalf("fetched for %+v", reg)
				}
			}
		})
	}
}

// TestNeverServesExpiredTokenOverAWeek plays a week of pulls at random
// instants and at every boundary of every token issued (1 ns before, at and
// after its refresh point and its expiry), with tokens of varying lifetimes,
// ECR outages long enough to outlive a token, and a clock stepped back by
// NTP. Every token served must be one ECR issued that has not expired, by
// what the helper says (Credentials.ExpiresAt) and by what ECR issued.
func TestNeverServesExpiredTokenOverAWeek(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: simulates a week of pulls per margin (about 15s); make test runs it")
	}
	for _, margin := range []time.Duration{0, DefaultRefreshMargin, 3 * time.Hour} {
		t.Run(fmt.Sprintf("margin %s", margin), func(t *testing.T) {
			neverServesExpired(t, margin)
		})
	}
}

func neverServesExpired(t *testing.T, margin time.Duration) {
	c := testenv.NewClock(t0)
	rng := rand.New(rand.NewPCG(uint64(margin), 7))
	lifetimes := []time.Duration{12 * time.Hour, time.Hour, 20 * time.Minute, 3 * time.Hour}

	var mu sync.Mutex
	issued := map[string]time.Time{} // password -> expiresAt as ECR issued it
	var boundaries []time.Time       // instants worth a pull, from issued tokens
	outage := false
	f := &fakeFetcher{}
	f.fetch = func(ctx context.Context, reg Registry) (Token, error) {
		mu.Lock()
		defer mu.Unlock()
		if outage {
			return Token{}, errors.New("connection reset by peer")
		}
		now := c.Now()
		life := lifetimes[len(issued)%len(lifetimes)]
		tok := Token{Username: "AWS", Password: fmt.Sprintf("pw-%d", len(issued)), ExpiresAt: now.Add(life),
			Endpoint: "https://" + reg.Host}
		issued[tok.Password] = tok.ExpiresAt
		refreshAt := tok.ExpiresAt.Add(-min(margin, life/2))
		for _, b := range []time.Time{refreshAt, tok.ExpiresAt} {
			boundaries = append(boundaries, b.Add(-time.Nanosecond), b, b.Add(time.Nanosecond))
		}
		return tok, nil
	}
	h, _ := newTestHelper(t, testEnv(t, nil), f, c, func(cfg *Config) { cfg.RefreshMargin = margin })

	check := func(now time.Time, cr Credentials) error {
		mu.Lock()
		exp, ok := issued[cr.Password]
		mu.Unlock()
		switch {
		case !ok:
			return fmt.Errorf("served %q, which ECR never issued", cr.Password)
		case !cr.ExpiresAt.After(now):
			return fmt.Errorf("served a token with ExpiresAt %s at %s", cr.ExpiresAt.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
		case !exp.After(now):
			return fmt.Errorf("served %q, which ECR issued until %s, at %s", cr.Password, exp.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
		case !cr.ExpiresAt.Equal(exp):
			return fmt.Errorf("served %q with ExpiresAt %s; ECR said %s", cr.Password, cr.ExpiresAt, exp)
		}
		return nil
	}

	now := t0
	served, failed, steps := 0, 0, 0
	pull := func(at time.Time, n int) {
		c.Set(at)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for p := 0; p < n; p++ {
			host := steadyHosts[p%len(steadyHosts)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				cr, err := h.Credentials(context.Background(), host)
				if err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
					return
				}
				if err := check(at, cr); err != nil {
					errs <- fmt.Errorf("t0+%s, %s: %w", at.Sub(t0), host, err)
				}
				mu.Lock()
				served++
				mu.Unlock()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	end := t0.Add(simDuration)
	for now.Before(end) && steps < 20000 {
		steps++
		// Next instant: the earliest pending boundary if it comes before a
		// random step of up to 10 minutes.
		next := now.Add(time.Duration(rng.Int64N(int64(10 * time.Minute))))
		mu.Lock()
		slices.SortFunc(boundaries, func(a, b time.Time) int { return a.Compare(b) })
		for len(boundaries) > 0 && !boundaries[0].After(now) {
			boundaries = boundaries[1:]
		}
		if len(boundaries) > 0 && boundaries[0].Before(next) {
			next = boundaries[0]
			boundaries = boundaries[1:]
		}
		// Outages: start with probability 1/150 per step, last ~2h-14h.
		switch {
		case !outage && rng.IntN(150) == 0:
			outage = true
		case outage && rng.IntN(60) == 0:
			outage = false
		}
		mu.Unlock()
		if rng.IntN(500) == 0 {
			// NTP steps the clock back; the token's times stay as issued.
			next = now.Add(-2 * time.Hour)
		}
		now = next
		n := 1
		if rng.IntN(20) == 0 {
			n = 8
		}
		pull(now, n)
	}
	if now.Before(end) {
		t.Fatalf("simulation stopped after %d steps at t0+%s", steps, now.Sub(t0))
	}
	t.Logf("margin %s: %d steps, %d tokens issued, %d pulls served, %d failed during outages", margin, steps, len(issued), served, failed)
	if failed == 0 || len(issued) < 10 {
		t.Fatalf("the simulation did not exercise outages (%d failures) or refreshes (%d tokens)", failed, len(issued))
	}
}
