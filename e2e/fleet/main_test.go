package main

import (
	"testing"
	"time"
)

func TestPct(t *testing.T) {
	xs := []int{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	for _, tc := range []struct {
		p    float64
		want int
	}{{0.001, 1}, {50, 5}, {90, 9}, {100, 10}} {
		if got := pct(xs, tc.p); got != tc.want {
			t.Errorf("pct(%v) = %d, want %d", tc.p, got, tc.want)
		}
	}
	if xs[0] != 5 {
		t.Fatal("pct sorted its input")
	}
	if got := pct([]time.Duration{3 * time.Second}, 50); got != 3*time.Second {
		t.Errorf("pct of one = %s", got)
	}
	if got := pct([]int(nil), 50); got != 0 {
		t.Errorf("pct of none = %d", got)
	}
}

func TestAttemptHistogram(t *testing.T) {
	if got, want := attemptHistogram([]int{2, 1, 1, 8, 2, 1}), "1:3 2:2 8:1"; got != want {
		t.Errorf("attemptHistogram = %q, want %q", got, want)
	}
}
