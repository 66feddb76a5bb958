package rotation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// defaultDeriveTimeout bounds one attempt to derive a key through an external
// root's module.
const defaultDeriveTimeout = 5 * time.Second

// Bounds of the pause between failed attempts: it starts at minBackoff and
// doubles up to maxBackoff (or an eighth of the window if that is shorter).
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 10 * time.Second
	// maxSleep caps every pause, so that a jump of the clock (a suspended
	// machine) is noticed within it.
	maxSleep = time.Minute
)

// withPrefetchLead sets how long before a window starts the background
// derivation computes its key when some root is external (default: the
// whole window length, so that the next window's key is ready as soon as the
// current window starts, which is when package jwtrot first asks for it).
// It must be at least the skew and at most the window length. The tests
// shorten it; a user has nothing to gain: a shorter lead only leaves less
// time to retry before the key is needed.
func withPrefetchLead(lead time.Duration) Option {
	return func(d *Deriver) { d.lead, d.leadSet = lead, true }
}

// WithDeriveTimeout bounds each attempt to derive a key through an external
// root's module (default 5 seconds). Requests never wait for the
// module; this bounds how long a hung module delays the retries.
func WithDeriveTimeout(t time.Duration) Option { return func(d *Deriver) { d.timeout = t } }

// WithLogger sets where the background derivation of external roots' keys
// reports failures and recoveries (default slog.Default()). Messages name the
// root and window, never a key.
func WithLogger(l *slog.Logger) Option { return func(d *Deriver) { d.logger = l } }

// prefetch derives, for every external root, the keys of the previous and
// current windows and, when the next window starts within the prefetch lead,
// of the next one, skipping those already cached. The Deriver's goroutine
// calls it on schedule, and NewDeriver once before it returns. It returns
// every failure, each wrapping [ErrKeyUnavailable]. It does nothing for roots
// held in memory.
func (d *Deriver) prefetch(ctx context.Context) error {
	now := d.sched.clock.Now()
	cur := windowAt(now, d.sched.seconds)
	windows := []Window{cur, cur.Prev()}
	if !cur.End().After(now.Add(d.lead)) {
		windows = append(windows, cur.Next())
	}
	var errs []error
	s := d.set.Load()
	for i, r := range s.roots {
		if r.ext == nil {
			continue
		}
		for _, w := range windows {
			if _, err := d.fill(ctx, s, i, w); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Close stops the background derivation of a Deriver with external roots
// and waits for it to end. Keys already derived stay usable. It does nothing
// for a Deriver whose roots are all in memory. It is safe to call more than
// once.
func (d *Deriver) Close() error {
	d.ring.stopReload()
	if d.pf != nil {
		d.pf.stop()
	}
	return nil
}

// prefetcher is the goroutine that derives external roots' keys ahead of
// need.
type prefetcher struct {
	poke   chan struct{} // buffered(1): a request missed a key
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// wake asks the prefetcher to try now, without waiting. It is called on a
// request's cache miss, so it must never block.
func (p *prefetcher) wake() {
	if p == nil {
		return
	}
	select {
	case p.poke <- struct{}{}:
	default:
	}
}

func (p *prefetcher) stop() {
	p.once.Do(p.cancel)
	<-p.done
}

// startPrefetch checks the prefetch options and, if some root is external,
// derives the keys needed now and starts the goroutine.
func (d *Deriver) startPrefetch() error {
	if !d.leadSet {
		d.lead = d.sched.length
	}
	if d.lead < d.sched.skew || d.lead > d.sched.length {
		return fmt.Errorf("rotation: prefetch lead %v is not between the skew (%v) and the window length (%v)", d.lead, d.sched.skew, d.sched.length)
	}
	if d.timeout <= 0 {
		return fmt.Errorf("rotation: derive timeout %v is not positive", d.timeout)
	}
	if d.logger == nil {
		d.logger = slog.Default()
	}
	if !d.set.Load().external || d.pf != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	err := d.prefetch(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("rotation: the module holding an external root did not derive the current keys (check that it is reachable, the PIN and the key label): %w", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	d.pf = &prefetcher{poke: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go d.run(ctx)
	return nil
}

// run derives keys ahead of need until ctx is cancelled: after a success it
// sleeps until the next window's key is due, after a failure it retries with
// exponential backoff. A request's miss wakes it early, except while it is
// backing off, so a dead module sees one attempt per backoff step whatever
// the traffic.
func (d *Deriver) run(ctx context.Context) {
	defer close(d.pf.done)
	// NewDeriver has just derived what is needed now: sleep first.
	timer := time.NewTimer(min(d.nextDue(d.sched.clock.Now()), maxSleep))
	defer timer.Stop()
	backoff, failing := time.Duration(0), false
	limit := min(maxBackoff, max(d.sched.length/8, minBackoff))
	for {
	sleep:
		for {
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
				break sleep
			case <-d.pf.poke:
				if failing {
					continue // keep to the backoff
				}
				timer.Stop() // since Go 1.23 no stale tick can remain
				break sleep
			}
		}
		attempt, cancel := context.WithTimeout(ctx, d.timeout)
		err := d.prefetch(attempt)
		cancel()
		if ctx.Err() != nil {
			return
		}
		var wait time.Duration
		if err != nil {
			backoff = min(max(2*backoff, minBackoff), limit)
			wait = backoff
			d.logger.Warn("rotation: deriving window keys through the module failed; the keys of those windows are unavailable until a retry succeeds",
				slog.String("error", err.Error()), slog.Duration("retry_in", wait))
			failing = true
		} else {
			if failing {
				d.logger.Info("rotation: deriving window keys through the module succeeded again")
			}
			backoff, failing = 0, false
			wait = d.nextDue(d.sched.clock.Now())
		}
		timer.Reset(min(wait, maxSleep))
	}
}

// nextDue returns how long after now the next key falls due: the next
// window's start minus the lead if that is still ahead, else the start of
// the window after it minus the lead.
func (d *Deriver) nextDue(now time.Time) time.Duration {
	next := windowAt(now, d.sched.seconds).Next()
	due := next.Start().Add(-d.lead)
	if !due.After(now) {
		due = next.End().Add(-d.lead)
	}
	return max(due.Sub(now), time.Millisecond)
}
