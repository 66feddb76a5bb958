package jwks

import (
	"net/http"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/rotation"
)

func TestCacheLifetime(t *testing.T) {
	for _, tt := range []struct {
		cc, age string
		want    time.Duration
	}{
		{"", "", -1},
		{"public, max-age=60", "", time.Minute},
		{"max-age=60", "10", 50 * time.Second},
		{"max-age=60", "100", 0},
		{"Public, Max-Age=\"30\"", "", 30 * time.Second},
		{"max-age=0", "", 0},
		{"no-store", "", -1},
		{"max-age=60, no-cache", "", -1},
		{"max-age=-1", "", -1},
		{"max-age=lots", "", -1},
		{"max-age=99999999999999", "", 1 << 31 * time.Second},
	} {
		h := http.Header{}
		if tt.cc != "" {
			h.Set("Cache-Control", tt.cc)
		}
		if tt.age != "" {
			h.Set("Age", tt.age)
		}
		if got := cacheLifetime(h); got != tt.want {
			t.Errorf("Cache-Control %q, Age %q: %v, want %v", tt.cc, tt.age, got, tt.want)
		}
	}
}

// TestBackoffBounds: the longest wait is 30 s, or an eighth of the window
// if less, never under the first wait; a jittered wait is within [d/2, d].
func TestBackoffBounds(t *testing.T) {
	sched := func(l time.Duration) *rotation.Schedule {
		s, err := rotation.NewSchedule(rotation.WithWindow(l))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tt := range []struct {
		s    *rotation.Schedule
		want time.Duration
	}{
		{nil, 30 * time.Second},
		{sched(time.Hour), 30 * time.Second},
		{sched(80 * time.Second), 10 * time.Second},
		{sched(2 * time.Second), time.Second},
	} {
		c := &Client{o: &options{retryFloor: minRetry}, sched: tt.s}
		if got := c.maxBackoff(); got != tt.want {
			t.Errorf("%v: %v, want %v", tt.s, got, tt.want)
		}
	}
	for range 1000 {
		if j := jitter(time.Second); j < 500*time.Millisecond || j > time.Second {
			t.Fatalf("jitter(1s) = %v", j)
		}
	}
}
