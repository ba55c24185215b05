package cache

import (
	"testing"
	"time"
)

// t0 is the fixed instant every test measures from; no test reads the clock
// to decide freshness or expiry.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// lifetime returns a valid entry requested at req that lives for life.
func lifetime(req time.Time, life time.Duration) Entry {
	return Entry{
		Service:     "ecr",
		Region:      "eu-west-1",
		IdentityID:  "id-1",
		Username:    "AWS",
		Password:    "secret",
		RequestedAt: req,
		ExpiresAt:   req.Add(life),
	}
}

func TestEntryMargin(t *testing.T) {
	tests := []struct {
		name   string
		life   time.Duration
		margin time.Duration
		want   time.Duration
	}{
		{"12h token, 1h margin", 12 * time.Hour, time.Hour, time.Hour},
		{"exactly twice the margin", 2 * time.Hour, time.Hour, time.Hour},
		{"20m token, 1h margin is capped at half", 20 * time.Minute, time.Hour, 10 * time.Minute},
		{"just under twice the margin", 2*time.Hour - 2*time.Nanosecond, time.Hour, time.Hour - time.Nanosecond},
		{"odd nanoseconds round down", 3 * time.Nanosecond, time.Hour, time.Nanosecond},
		{"1ns token", time.Nanosecond, time.Hour, 0},
		{"zero margin", 12 * time.Hour, 0, 0},
		{"negative margin is zero", 12 * time.Hour, -time.Hour, 0},
		{"negative margin, short token", 20 * time.Minute, -time.Hour, 0},
		{"zero lifetime", 0, time.Hour, 0},
		{"expires before requested, positive margin", -time.Hour, time.Hour, 0},
		{"expires before requested, zero margin", -time.Hour, 0, 0},
		{"expires before requested, negative margin", -time.Hour, -time.Minute, 0},
		{"huge lifetime", 200 * 365 * 24 * time.Hour, time.Hour, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := lifetime(t0, tt.life)
			if got := e.Margin(tt.margin); got != tt.want {
				t.Errorf("Margin(%v) for a %v token = %v, want %v", tt.margin, tt.life, got, tt.want)
			}
			if got, want := e.RefreshAt(tt.margin), e.ExpiresAt.Add(-tt.want); !got.Equal(want) {
				t.Errorf("RefreshAt(%v) = %v, want %v", tt.margin, got, want)
			}
		})
	}
}

// TestEntryFreshBoundaries checks that Fresh flips exactly at RefreshAt and
// Usable exactly at ExpiresAt, one nanosecond either side.
func TestEntryFreshBoundaries(t *testing.T) {
	tests := []struct {
		name      string
		life      time.Duration
		margin    time.Duration
		refreshAt time.Duration // offset from t0 at which Fresh becomes false
	}{
		{"12h token, 1h margin", 12 * time.Hour, time.Hour, 11 * time.Hour},
		{"20m token, 1h margin", 20 * time.Minute, time.Hour, 10 * time.Minute},
		{"zero margin", 12 * time.Hour, 0, 12 * time.Hour},
		{"negative margin", 12 * time.Hour, -time.Hour, 12 * time.Hour},
		{"expires before requested", -time.Hour, time.Hour, -time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := lifetime(t0, tt.life)
			edge := t0.Add(tt.refreshAt)
			if !e.RefreshAt(tt.margin).Equal(edge) {
				t.Fatalf("RefreshAt = %v, want %v", e.RefreshAt(tt.margin), edge)
			}
			if !e.Fresh(edge.Add(-time.Nanosecond), tt.margin) {
				t.Errorf("not fresh 1ns before the refresh point %v", edge)
			}
			if e.Fresh(edge, tt.margin) {
				t.Errorf("fresh exactly at the refresh point %v", edge)
			}
			if e.Fresh(edge.Add(time.Nanosecond), tt.margin) {
				t.Errorf("fresh 1ns after the refresh point %v", edge)
			}
			// Fresh never outlives Usable.
			if e.Fresh(e.ExpiresAt, tt.margin) {
				t.Errorf("fresh at ExpiresAt")
			}
		})
	}
}

func TestEntryFresh12hExact(t *testing.T) {
	// The case from the spec, spelled out.
	e := lifetime(t0, 12*time.Hour)
	if !e.Fresh(t0.Add(11*time.Hour-time.Nanosecond), time.Hour) {
		t.Error("12h token with 1h margin is not fresh at requested+11h-1ns")
	}
	if e.Fresh(t0.Add(11*time.Hour), time.Hour) {
		t.Error("12h token with 1h margin is fresh at requested+11h")
	}
	if !e.Fresh(t0, time.Hour) {
		t.Error("not fresh at the instant it was requested")
	}
	// Before it was requested (clock went backwards) it is still fresh: only
	// the upper bound matters.
	if !e.Fresh(t0.Add(-time.Hour), time.Hour) {
		t.Error("not fresh before RequestedAt")
	}
}

func TestEntryUsableBoundaries(t *testing.T) {
	e := lifetime(t0, 12*time.Hour)
	if !e.Usable(e.ExpiresAt.Add(-time.Nanosecond)) {
		t.Error("not usable 1ns before ExpiresAt")
	}
	if e.Usable(e.ExpiresAt) {
		t.Error("usable exactly at ExpiresAt")
	}
	if e.Usable(e.ExpiresAt.Add(time.Nanosecond)) {
		t.Error("usable after ExpiresAt")
	}
	// Usable but not fresh: the window in which a stale token may be served
	// when a refresh failed.
	now := t0.Add(11*time.Hour + 30*time.Minute)
	if e.Fresh(now, time.Hour) || !e.Usable(now) {
		t.Errorf("at +11h30m: Fresh=%v Usable=%v, want false/true", e.Fresh(now, time.Hour), e.Usable(now))
	}

	back := lifetime(t0, -time.Hour) // ExpiresAt before RequestedAt
	if back.Usable(t0) {
		t.Error("entry that expired before it was requested is usable at RequestedAt")
	}
	if !back.Usable(back.ExpiresAt.Add(-time.Nanosecond)) {
		t.Error("Usable must depend on ExpiresAt only")
	}
}

func TestEntryTimeZonesDoNotMatter(t *testing.T) {
	// The same instants in another zone give the same answers.
	tokyo := time.FixedZone("JST", 9*60*60)
	e := lifetime(t0, 12*time.Hour)
	e.ExpiresAt = e.ExpiresAt.In(tokyo)
	if !e.Fresh(t0.Add(11*time.Hour-time.Nanosecond), time.Hour) || e.Fresh(t0.Add(11*time.Hour).In(tokyo), time.Hour) {
		t.Error("freshness depends on the time zone")
	}
}

func TestEntryValid(t *testing.T) {
	good := lifetime(t0, time.Hour)
	if !good.valid() {
		t.Fatal("complete entry is not valid")
	}
	// Informational fields are optional.
	bare := Entry{Username: "u", Password: "p", RequestedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if !bare.valid() {
		t.Error("entry without informational fields is not valid")
	}
	for name, mutate := range map[string]func(*Entry){
		"no username":     func(e *Entry) { e.Username = "" },
		"no password":     func(e *Entry) { e.Password = "" },
		"no expires_at":   func(e *Entry) { e.ExpiresAt = time.Time{} },
		"no requested_at": func(e *Entry) { e.RequestedAt = time.Time{} },
	} {
		e := good
		mutate(&e)
		if e.valid() {
			t.Errorf("%s: valid() = true", name)
		}
	}
}
