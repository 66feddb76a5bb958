package rotation

import (
	"fmt"
	"time"
)

// maxWindow is the longest window length accepted.
const maxWindow = 366 * 24 * time.Hour

// A Window is one interval of a schedule of fixed-length windows counted from
// the Unix epoch: window i covers [i·L, (i+1)·L) in Unix seconds, L its length.
// Indexes before 1970 are negative. [Schedule.WindowAt] gives the window of
// an instant.
type Window struct {
	index   int64
	seconds int64
}

// checkWindow reports whether length is a valid window length: a whole number
// of seconds, at least one second and at most maxWindow.
func checkWindow(length time.Duration) error {
	if length < time.Second || length > maxWindow || length%time.Second != 0 {
		return fmt.Errorf("rotation: window length %v is not a whole number of seconds between 1s and %v", length, maxWindow)
	}
	return nil
}

// windowAt returns the window of the given length in seconds that contains
// t. The index is floor(unix seconds / length seconds), true floor division,
// so instants before 1970 fall in negative windows and boundaries are exact
// to the nanosecond.
func windowAt(t time.Time, seconds int64) Window {
	// t.Unix is already the floor of t in seconds: for t before 1970 the
	// nanoseconds within the second count forward from it.
	u := t.Unix()
	q := u / seconds
	if u%seconds != 0 && u < 0 {
		q--
	}
	return Window{index: q, seconds: seconds}
}

// Index returns the window's index.
func (w Window) Index() int64 { return w.index }

// Length returns the window's length.
func (w Window) Length() time.Duration { return time.Duration(w.seconds) * time.Second }

// Start returns the first instant of the window.
func (w Window) Start() time.Time { return time.Unix(w.index*w.seconds, 0).UTC() }

// End returns the first instant after the window, the start of the next one.
func (w Window) End() time.Time { return time.Unix((w.index+1)*w.seconds, 0).UTC() }

// Contains reports whether t falls in the window.
func (w Window) Contains(t time.Time) bool { return windowAt(t, w.seconds).index == w.index }

// Next returns the window after w.
func (w Window) Next() Window { return Window{index: w.index + 1, seconds: w.seconds} }

// Prev returns the window before w.
func (w Window) Prev() Window { return Window{index: w.index - 1, seconds: w.seconds} }

// String returns the window's index and bounds.
func (w Window) String() string {
	return fmt.Sprintf("window %d [%s, %s)", w.index, w.Start().Format(time.RFC3339), w.End().Format(time.RFC3339))
}
