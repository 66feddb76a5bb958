package jwtrot

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/rotation"
)

// simClock is a settable clock safe to read from many goroutines.
type simClock struct{ ns atomic.Int64 }

func (c *simClock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *simClock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func newSimClock(t time.Time) *simClock { c := &simClock{}; c.set(t); return c }

// simToken is a token in the simulation with what the oracle needs to know.
type simToken struct {
	tok      string
	kidIndex int64 // the window its kid names
	iat, exp int64
	inSkew   bool // signed (and any re-signing done) by in-skew instances
}

// simPolicy is the acceptance rule of SPEC.md §6, written again from the
// spec as plain arithmetic, independent of the code under test.
type simPolicy struct {
	window, skew, maxAge time.Duration
}

func (p simPolicy) expect(tk simToken, now time.Time) error {
	L := int64(p.window / time.Second)
	s := now.Unix() // floor seconds
	cur := s / L
	if s%L != 0 && s < 0 {
		cur--
	}
	switch next := time.Unix((cur+1)*L, 0); {
	case tk.kidIndex == cur, tk.kidIndex == cur-1:
	case tk.kidIndex == cur+1 && next.Sub(now) <= p.skew:
	case tk.kidIndex < cur-1:
		return ErrWindowRetired
	default:
		return ErrWindowNotOpen
	}
	switch {
	case s >= tk.exp:
		return ErrExpired
	case time.Unix(tk.iat, 0).After(now.Add(p.skew)):
		return ErrIssuedInFuture
	case now.Sub(time.Unix(tk.iat, 0)) > p.maxAge:
		return ErrTooOld
	}
	return nil
}

// TestFleetSimulation runs 16 verifier instances whose clocks are spread
// over the allowed skew, and one more whose clock is beyond it. Tokens are
// issued by random instances and verified by random others, concurrently,
// while true time crosses 12 window boundaries; re-signed tokens join the
// pool. Every outcome must be the one SPEC.md's rules give (zero false
// refusals, zero acceptances outside the policy), and any token used within
// half a window by two in-skew instances must be accepted. Midway, one
// instance's clock steps back and forward by one and two windows.
func TestFleetSimulation(t *testing.T) {
	const (
		window   = time.Minute
		skew     = 10 * time.Second
		inSkew   = 16
		ttl      = 10 * time.Minute
		minTotal = 100_000
	)
	policy := simPolicy{window: window, skew: skew, maxAge: ttl}
	root, err := rotation.NewRoot("main", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	type instance struct {
		offset time.Duration
		clock  *simClock
		a      *Authority
	}
	start := time.Date(2026, 11, 22, 10, 0, 7, 0, time.UTC)
	var fleet []*instance
	for i := 0; i <= inSkew; i++ {
		// Offsets in [-skew/2, +skew/2]: any two agree within the skew.
		off := -skew/2 + time.Duration(i)*skew/(inSkew-1)
		if i == inSkew {
			off = skew + 7*time.Second // the one beyond: 12 s to 22 s from the others
		}
		c := newSimClock(start.Add(off))
		d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithWindow(window), rotation.WithSkew(skew), rotation.WithClock(c))
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(d, WithTTL(ttl), WithRandomID(false))
		if err != nil {
			t.Fatal(err)
		}
		fleet = append(fleet, &instance{offset: off, clock: c, a: a})
	}
	setTime := func(now time.Time) {
		for _, in := range fleet {
			in.clock.set(now.Add(in.offset))
		}
	}

	rng := rand.New(rand.NewPCG(2026, 11))
	var (
		total, accepted, refused, resigned, stepped atomic.Int64
		guaranteed                                  atomic.Int64
		mu                                          sync.Mutex
		pool                                        []simToken
		failures                                    atomic.Int64
	)
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 10 {
			t.Errorf(format, args...)
		}
	}
	sign := func(in *instance, sub string, inSkew bool) simToken {
		now := in.clock.Now()
		tok, err := in.a.Sign(jwt.RegisteredClaims{Subject: sub})
		if err != nil {
			t.Fatal(err)
		}
		return simToken{tok: tok, kidIndex: windowOf(now, window).Index(), iat: now.Unix(), exp: now.Unix() + int64(ttl/time.Second), inSkew: inSkew}
	}

	now := start
	end := start.Add(12*window + window/2)
	for step := 0; now.Before(end); step++ {
		now = now.Add(time.Duration(rng.IntN(6000)) * time.Millisecond)
		setTime(now)
		// Midway, one instance's clock steps by ±1 and ±2 windows for a
		// step each: its outcomes follow the same rules, with clear errors.
		var steppedIn *instance
		if step >= 60 && step < 64 {
			steppedIn = fleet[3]
			jump := []time.Duration{window, -window, 2 * window, -2 * window}[step-60]
			steppedIn.clock.set(now.Add(steppedIn.offset + jump))
		}
		// New tokens from random instances, in skew and beyond.
		for range 4 {
			i := rng.IntN(len(fleet))
			tk := sign(fleet[i], "u", i < inSkew && fleet[i] != steppedIn)
			mu.Lock()
			pool = append(pool, tk)
			mu.Unlock()
		}
		// Keep the pool to tokens from the last three windows.
		mu.Lock()
		for len(pool) > 0 && pool[0].iat < now.Add(-3*window).Unix() {
			pool = pool[1:]
		}
		snapshot := append([]simToken(nil), pool...)
		mu.Unlock()
		seeds := [4]uint64{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(seeds[g], uint64(step)))
				for range 200 {
					tk := snapshot[r.IntN(len(snapshot))]
					vi := r.IntN(len(fleet))
					in := fleet[vi]
					vnow := in.clock.Now()
					res, err := in.a.Verify(ctx, tk.tok, nil)
					total.Add(1)
					if in == steppedIn {
						stepped.Add(1)
					}
					want := policy.expect(tk, vnow)
					if !errors.Is(err, want) || (want == nil) != (err == nil) {
						fail("instance %d (offset %v) at %v, kid window %d iat %d: got %v, want %v", vi, in.offset, vnow, tk.kidIndex, tk.iat, err, want)
						continue
					}
					// A token used within half a window of its issue by an
					// in-skew instance is always accepted.
					ok := vi < inSkew && in != steppedIn
					if ok && tk.inSkew && vnow.Sub(time.Unix(tk.iat, 0)) < window/2-skew {
						guaranteed.Add(1)
						if err != nil {
							fail("false refusal by an in-skew instance: %v", err)
						}
					}
					if err != nil {
						refused.Add(1)
						continue
					}
					accepted.Add(1)
					if d := res.Window.Index() - windowOf(vnow, window).Index(); d < -1 || d > 1 {
						fail("accepted a token %d windows away", d)
					}
					if res.Resigned != "" {
						resigned.Add(1)
						mu.Lock()
						pool = append(pool, simToken{tok: res.Resigned, kidIndex: windowOf(vnow, window).Index(), iat: tk.iat, exp: tk.exp, inSkew: tk.inSkew && ok})
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
	}
	if n := total.Load(); n < minTotal {
		t.Fatalf("%d verifications; want at least %d", n, minTotal)
	}
	if guaranteed.Load() < 5_000 {
		t.Fatalf("only %d verifications fell under the must-accept rule", guaranteed.Load())
	}
	if accepted.Load() == 0 || refused.Load() == 0 || resigned.Load() == 0 || stepped.Load() == 0 {
		t.Fatalf("the simulation missed a case: %d accepted, %d refused, %d re-signed, %d by a stepped clock",
			accepted.Load(), refused.Load(), resigned.Load(), stepped.Load())
	}
	t.Logf("%d verifications across %d windows by %d instances: %d accepted (%d re-signed), %d refused as the rules say; %d under the must-accept rule; %d by an instance whose clock stepped",
		total.Load(), 12, len(fleet), accepted.Load(), resigned.Load(), refused.Load(), guaranteed.Load(), stepped.Load())
}

// windowOf returns the window of the given length that contains t.
func windowOf(t time.Time, length time.Duration) rotation.Window {
	s, err := rotation.NewSchedule(rotation.WithWindow(length))
	if err != nil {
		panic(err)
	}
	return s.WindowAt(t)
}
