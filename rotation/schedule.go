package rotation

import (
	"errors"
	"fmt"
	"time"
)

// A Schedule is the timetable every key follows: the window length, the
// clock skew allowed between instances, and the clock. Issuers and
// verifiers that share a schedule agree on which windows are acceptable at
// any instant, with no coordination. A [Deriver] has one; a verifier that
// holds only public keys builds its own with [NewSchedule].
//
// A Schedule is immutable and safe for concurrent use.
type Schedule struct {
	seconds int64
	length  time.Duration
	skew    time.Duration
	skewSet bool
	clock   Clock
}

// NewSchedule returns the schedule of [WithWindow], [WithSkew] and
// [WithClock], with a Deriver's defaults for any left out. It refuses every
// other option: they configure keys, which a schedule has none of.
func NewSchedule(opts ...Option) (*Schedule, error) {
	var d Deriver
	d.sched.length, d.sched.clock = defaultWindow, SystemClock
	for _, o := range opts {
		o(&d)
	}
	if d.alg != 0 || d.purpose != "" || d.leadSet || d.timeout != 0 || d.logger != nil || d.ring != nil {
		return nil, errors.New("rotation: NewSchedule takes only WithWindow, WithSkew and WithClock; keys are configured on a Deriver")
	}
	if err := d.sched.init(); err != nil {
		return nil, err
	}
	return &d.sched, nil
}

// init checks the schedule an Option set filled in and completes it.
func (s *Schedule) init() error {
	if err := checkWindow(s.length); err != nil {
		return fmt.Errorf("%w; set it with rotation.WithWindow", err)
	}
	s.seconds = int64(s.length / time.Second)
	if s.clock == nil {
		return errors.New("rotation: nil clock; leave WithClock out for the system clock")
	}
	if !s.skewSet {
		s.skew = min(defaultSkew, s.length/4)
	}
	if s.skew < 0 || s.skew > s.length/4 {
		return fmt.Errorf("rotation: skew %v is not between 0 and a quarter of the %v window; lower WithSkew or lengthen WithWindow", s.skew, s.length)
	}
	return nil
}

// Length returns the window length.
func (s *Schedule) Length() time.Duration { return s.length }

// Skew returns the clock skew allowed between instances: a key of the next
// window is accepted this long before that window starts.
func (s *Schedule) Skew() time.Duration { return s.skew }

// Now returns the time on the schedule's clock.
func (s *Schedule) Now() time.Time { return s.clock.Now() }

// WindowAt returns the window that contains t.
func (s *Schedule) WindowAt(t time.Time) Window { return windowAt(t, s.seconds) }

// Window returns the window with the given index.
func (s *Schedule) Window(index int64) Window { return Window{index: index, seconds: s.seconds} }

// Position places the window with the given index relative to the window
// that contains t, and refuses it unless it is acceptable at t: the previous
// window, the current one, or the next one when t is within the skew of its
// start. It returns [ErrWindowRetired] for an older window and
// [ErrWindowNotOpen] for a later one.
func (s *Schedule) Position(index int64, t time.Time) (Position, error) {
	cur := windowAt(t, s.seconds)
	switch {
	case index == cur.index:
		return Current, nil
	case index == cur.index-1:
		return Previous, nil
	case index == cur.index+1 && cur.End().Sub(t) <= s.skew:
		return Next, nil
	case index < cur.index:
		return 0, ErrWindowRetired
	}
	return 0, ErrWindowNotOpen
}

// ParseKeyID splits a key id into its root id and window index. It refuses,
// with [ErrKeyID], every spelling but the one [KeyID] writes, and does not
// allocate.
func ParseKeyID(kid string) (rootID string, index int64, err error) { return parseKeyID(kid) }
