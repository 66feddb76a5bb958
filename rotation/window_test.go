package rotation

import (
	"testing"
	"time"
)

func TestWindowAtBoundaries(t *testing.T) {
	ns := time.Nanosecond
	tests := []struct {
		name   string
		t      time.Time
		length time.Duration
		want   int64
	}{
		{"epoch", time.Unix(0, 0), time.Minute, 0},
		{"1ns before epoch", time.Unix(0, 0).Add(-ns), time.Minute, -1},
		{"1ns after epoch", time.Unix(0, 1), time.Minute, 0},
		{"last ns of window 0", time.Unix(60, 0).Add(-ns), time.Minute, 0},
		{"start of window 1", time.Unix(60, 0), time.Minute, 1},
		{"start of window -1", time.Unix(-60, 0), time.Minute, -1},
		{"1ns before window -1", time.Unix(-60, 0).Add(-ns), time.Minute, -2},
		{"1ns after window -1", time.Unix(-60, 1), time.Minute, -1},
		{"1969 mid-second", time.Unix(-1, 500_000_000), time.Second, -1},
		{"7 min, on boundary", time.Unix(7*60*3, 0), 7 * time.Minute, 3},
		{"7 min, 1ns before", time.Unix(7*60*3, 0).Add(-ns), 7 * time.Minute, 2},
		{"25 h, 1970", time.Unix(25*3600, 0), 25 * time.Hour, 1},
		{"25 h, 1ns before -1", time.Unix(-25*3600, 0).Add(-ns), 25 * time.Hour, -2},
		{"2026, 10 min", time.Date(2026, 11, 22, 10, 40, 0, 0, time.UTC), 10 * time.Minute, 2992240},
		{"2026, 10 min, 1ns before", time.Date(2026, 11, 22, 10, 40, 0, 0, time.UTC).Add(-ns), 10 * time.Minute, 2992239},
		{"1900", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour, -613608},
		{"zone does not matter", time.Date(2026, 11, 22, 11, 40, 0, 0, time.FixedZone("CET", 3600)), 10 * time.Minute, 2992240},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := windowOf(tt.t, tt.length)
			if w.Index() != tt.want {
				t.Fatalf("index = %d; want %d", w.Index(), tt.want)
			}
			if !w.Contains(tt.t) || w.Start().After(tt.t) || !w.End().After(tt.t) {
				t.Fatalf("%v does not contain %v", w, tt.t)
			}
			if w.End().Sub(w.Start()) != tt.length || w.Length() != tt.length {
				t.Fatalf("%v is not %v long", w, tt.length)
			}
			if w.Next().Start() != w.End() || w.Prev().End() != w.Start() {
				t.Fatalf("%v: neighbours do not tile", w)
			}
			if w.Start().Unix()%int64(tt.length/time.Second) != 0 {
				t.Fatalf("%v does not start on a multiple of its length", w)
			}
		})
	}
}

// TestWindowAtIsNotTruncate pins the reason Schedule.WindowAt exists: time.Truncate
// counts from year 1, so for lengths that do not divide the seconds between
// year 1 and 1970 its boundaries are not on multiples of the length since the
// Unix epoch.
func TestWindowAtIsNotTruncate(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 41, 0, 0, time.UTC)
	for _, length := range []time.Duration{7 * time.Minute, 25 * time.Hour} {
		w := windowOf(at, length)
		if trunc := at.Truncate(length); trunc.Equal(w.Start()) {
			t.Errorf("%v: Truncate agrees with WindowAt; the test no longer shows the difference", length)
		}
		if w.Start().Unix()%int64(length/time.Second) != 0 {
			t.Errorf("%v: start %v not aligned to the epoch", length, w.Start())
		}
	}
}

func TestCheckWindow(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second, time.Second / 2, 1500 * time.Millisecond, maxWindow + time.Second} {
		if checkWindow(d) == nil {
			t.Errorf("checkWindow(%v) accepted", d)
		}
	}
	for _, d := range []time.Duration{time.Second, 7 * time.Minute, 25 * time.Hour, maxWindow} {
		if err := checkWindow(d); err != nil {
			t.Errorf("checkWindow(%v) = %v", d, err)
		}
	}
	if _, err := NewSchedule(WithWindow(1500 * time.Millisecond)); err == nil {
		t.Error("NewSchedule accepted a 1.5s window")
	}
}

// windowOf is the window of the given length that contains t, as a
// schedule of that length gives it.
func windowOf(t time.Time, length time.Duration) Window {
	return windowAt(t, int64(length/time.Second))
}
