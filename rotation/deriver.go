package rotation

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A Clock tells the time. *clock.Mock from github.com/benbjohnson/clock
// satisfies it, as does [SystemClock].
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Errors returned by [Schedule.Position] for a window that is not acceptable
// at the instant given (package jwtrot wraps them in its token refusals).
var (
	ErrWindowRetired = errors.New("rotation: key window retired")
	ErrWindowNotOpen = errors.New("rotation: key window not open yet")
)

// A Position places a window relative to the current one.
type Position int8

// The acceptable positions.
const (
	Previous Position = -1
	Current  Position = 0
	Next     Position = 1
)

// String returns "previous", "current" or "next".
func (p Position) String() string {
	switch p {
	case Previous:
		return "previous"
	case Current:
		return "current"
	case Next:
		return "next"
	}
	return fmt.Sprintf("Position(%d)", int8(p))
}

// DefaultPurpose is the purpose label of a [Deriver] that sets none
// ([WithPurpose]), and of the JWKS clients and verifiers of package jwks.
const DefaultPurpose = "access"

// defaultWindow is the window length of a schedule that sets none.
const defaultWindow = 10 * time.Minute

// defaultSkew is the skew of a schedule that does not set one, if a quarter
// of the window is not shorter.
const defaultSkew = 30 * time.Second

// cacheSlots is the number of windows a Deriver keeps per root. Four holds
// the previous, current and next windows with one to spare, and a power of
// two turns the slot choice into a mask.
const cacheSlots = 4

// A Deriver computes the window keys of one purpose and algorithm from a set
// of roots. The first root issues; every root verifies. Keys are derived
// once and kept in a small per-root cache of recent windows.
//
// A Deriver is safe for concurrent use. One whose roots include an external
// root ([NewExternalRoot]) runs a goroutine that derives keys ahead of need;
// stop it with [Deriver.Close].
type Deriver struct {
	alg     Algorithm
	purpose string
	sched   Schedule
	prefix  []byte // the HKDF info string without the index

	// set is the roots in use: fixed for NewDeriver, swapped by a reload
	// of the keyring for NewKeyringDeriver (keyring_deriver.go). Pointers,
	// so a Deriver value copies no lock.
	set         *atomic.Pointer[rootSet]
	derivations *atomic.Int64 // keys derived, for the tests
	changes     *atomic.Int64 // see Version

	// Roots held in a module (NewExternalRoot) are derived off the request
	// path by a goroutine the Deriver owns (prefetch.go).
	lead    time.Duration
	leadSet bool
	timeout time.Duration
	logger  *slog.Logger
	pf      *prefetcher

	ring *ringConfig // nil for a Deriver over fixed roots
}

// A rootSet is the roots a Deriver derives from, with their key caches.
type rootSet struct {
	roots  []*Root
	caches []*keyCache
	// ring is the keyring the roots come from, nil for fixed roots: then
	// the first root issues and every root verifies.
	ring *Keyring
	// deferred holds, for a root that appeared in a reload, the instant
	// from which this instance signs with it (SPEC §11.3).
	deferred map[string]time.Time
	external bool
}

// index returns the position of the root named id, -1 if none.
func (s *rootSet) index(id string) int {
	for i, r := range s.roots {
		if r.id == id {
			return i
		}
	}
	return -1
}

type keyCache struct {
	mu    sync.Mutex // serialises derivations, never held on a hit
	slots [cacheSlots]atomic.Pointer[Key]
}

// An Option configures a [Deriver].
type Option func(*Deriver)

// WithWindow sets the window length (default 10 minutes): a whole number
// of seconds, at least one second. A token signed in window i is accepted
// until window i+1 ends: between one and two window lengths of idleness.
func WithWindow(d time.Duration) Option {
	return func(dr *Deriver) { dr.sched.length = d }
}

// WithAlgorithm sets the algorithm of the keys (default [HS256]): [HS256],
// [HS384] or [HS512] for HMAC keys, [EdDSA] for Ed25519 key pairs.
func WithAlgorithm(a Algorithm) Option { return func(d *Deriver) { d.alg = a } }

// WithPurpose sets the purpose label (default [DefaultPurpose]). Different
// purposes get independent keys from the same roots: use one for access
// tokens and another for refresh tokens, or one per tenant.
func WithPurpose(p string) Option { return func(d *Deriver) { d.purpose = p } }

// WithSkew sets the clock skew allowed between instances (default the smaller
// of 30 seconds and a quarter of the window): a key of the next window is
// accepted this long before that window starts. It must be at most a quarter
// of the window.
func WithSkew(s time.Duration) Option {
	return func(d *Deriver) { d.sched.skew, d.sched.skewSet = s, true }
}

// WithClock sets the clock (default [SystemClock]).
func WithClock(c Clock) Option { return func(d *Deriver) { d.sched.clock = c } }

// NewDeriver returns a Deriver over roots, the first of which issues. Root ids
// must be distinct.
//
// If any root is external ([NewExternalRoot]), NewDeriver derives the
// previous, current and next windows' keys of those roots before it returns
// (each attempt bounded by [WithDeriveTimeout]) and fails if the module does
// not answer, then starts a goroutine that derives every later window ahead
// of its start; [Deriver.Close] stops it.
func NewDeriver(roots []*Root, opts ...Option) (*Deriver, error) {
	d, err := newDeriver(opts)
	if err != nil {
		return nil, err
	}
	if d.ring != nil {
		return nil, errors.New("rotation: WithRootResolver and WithKeyringObserver configure a keyring Deriver: use NewKeyringDeriver, or leave them out")
	}
	if len(roots) == 0 {
		return nil, errors.New("rotation: no root")
	}
	for i, r := range roots {
		if r == nil {
			return nil, fmt.Errorf("rotation: root %d is nil", i)
		}
		for _, s := range roots[:i] {
			if s.id == r.id {
				return nil, fmt.Errorf("rotation: root id %q appears twice", r.id)
			}
		}
	}
	d.set.Store(newRootSet(roots, nil, nil))
	if err := d.startPrefetch(); err != nil {
		return nil, err
	}
	return d, nil
}

// newDeriver applies the options over the defaults and checks them.
func newDeriver(opts []Option) (*Deriver, error) {
	d := &Deriver{
		alg:     HS256,
		purpose: DefaultPurpose,
		sched:   Schedule{length: defaultWindow, clock: SystemClock},
		timeout: defaultDeriveTimeout,

		set:         new(atomic.Pointer[rootSet]),
		derivations: new(atomic.Int64),
		changes:     new(atomic.Int64),
	}
	for _, o := range opts {
		o(d)
	}
	if err := d.sched.init(); err != nil {
		return nil, err
	}
	if !d.alg.valid() {
		return nil, fmt.Errorf("rotation: unsupported algorithm %v", d.alg)
	}
	if !validPurpose(d.purpose) {
		return nil, errPurpose
	}
	d.prefix = infoPrefix(d.alg, d.purpose, d.sched.seconds)
	return d, nil
}

// newRootSet returns the set of roots, reusing the key caches of old for
// the roots it shares with it (the same *Root).
func newRootSet(roots []*Root, ring *Keyring, old *rootSet) *rootSet {
	s := &rootSet{roots: append([]*Root(nil), roots...), caches: make([]*keyCache, len(roots)), ring: ring}
	for i, r := range roots {
		s.external = s.external || r.ext != nil
		if old != nil {
			if j := old.index(r.id); j >= 0 && old.roots[j] == r {
				s.caches[i] = old.caches[j]
				continue
			}
		}
		s.caches[i] = new(keyCache)
	}
	return s
}

// Algorithm returns the algorithm of the keys: an HMAC one or [EdDSA].
func (d *Deriver) Algorithm() Algorithm { return d.alg }

// Purpose returns the purpose label.
func (d *Deriver) Purpose() string { return d.purpose }

// Schedule returns the Deriver's schedule: window length, skew and clock,
// and the window of an instant ([Schedule.WindowAt]).
func (d *Deriver) Schedule() *Schedule { return &d.sched }

// Roots returns the ids of the roots that verify now, the issuing root
// first. For a Deriver over fixed roots that is every root.
func (d *Deriver) Roots() []string { return d.rootsAt(d.sched.clock.Now()) }

func (d *Deriver) rootsAt(t time.Time) []string {
	s := d.set.Load()
	if s.ring == nil {
		ids := make([]string, len(s.roots))
		for i, r := range s.roots {
			ids[i] = r.id
		}
		return ids
	}
	ids := s.ring.verifyingAt(t)
	if first, ok := s.signerAt(t); ok && len(ids) > 0 && ids[0] != first {
		// A deferred root verifies, but another signs here for now.
		ids = append([]string{first}, slices.DeleteFunc(ids, func(id string) bool { return id == first })...)
	}
	return ids
}

// SigningKey returns the issuing root's key for the window that contains t:
// the first root's, or the keyring's root that issues at t (SPEC §11.2).
// After the first call for a window it does not allocate. It fails for an
// external root, with [ErrKeyUnavailable], when that window's key has not
// been derived (see [Deriver.KeyAt]), and with [ErrNoIssuingRoot] at an
// instant at which no root of the keyring issues.
func (d *Deriver) SigningKey(t time.Time) (*Key, error) {
	s := d.set.Load()
	root := 0
	if s.ring != nil {
		id, ok := s.signerAt(t)
		if !ok {
			return nil, ErrNoIssuingRoot
		}
		root = s.index(id)
	}
	return d.key(s, root, windowAt(t, d.sched.seconds))
}

// KeyAt returns the key of the root named rootID for the window that
// contains t, or [ErrKeyID] if no root has that id (or, for a keyring, it
// does not verify at t). It serves the caller's own choice of window
// (re-signing under the root that verified a token, or preparing the next
// window); a key id from a token is checked first with [ParseKeyID] and
// [Schedule.Position], as package jwtrot does.
//
// A root in memory derives a missing key on the spot. An external root's
// keys are derived only in the background, for the previous, current and
// next windows of the Deriver's clock: KeyAt never waits for the module, and
// returns [ErrKeyUnavailable] at once for any window not derived yet (and
// wakes the background derivation).
func (d *Deriver) KeyAt(rootID string, t time.Time) (*Key, error) {
	s := d.set.Load()
	i := s.index(rootID)
	if i < 0 || s.ring != nil && !s.ring.verifiesID(rootID, t) {
		return nil, ErrKeyID
	}
	return d.key(s, i, windowAt(t, d.sched.seconds))
}

// Verifies reports whether tokens of the root named rootID are accepted at
// t: for a Deriver over fixed roots, whether it is one of them; for a
// keyring, whether the keyring's rules say so (SPEC §11.2).
func (d *Deriver) Verifies(rootID string, t time.Time) bool {
	s := d.set.Load()
	if s.ring != nil {
		return s.ring.verifiesID(rootID, t)
	}
	return s.index(rootID) >= 0
}

// Issuer returns the id of the root this Deriver signs with at t, and false
// if none issues then (a keyring whose roots all retired or start later).
func (d *Deriver) Issuer(t time.Time) (string, bool) { return d.set.Load().signerAt(t) }

// Version changes whenever a key that was unavailable may have become
// available (an external root's module derived it) and whenever a reload
// changes the keyring, so that a caller that built something from the keys
// (package jwtrot's window sets) knows when to rebuild it.
func (d *Deriver) Version() int64 { return d.changes.Load() }

// NextChange returns the first instant after t at which [Deriver.Roots] or
// the issuing root may change without a reload (a keyring's root starts to
// verify, issues or retires, or a deferral ends), and false if none will.
func (d *Deriver) NextChange(t time.Time) (time.Time, bool) {
	s := d.set.Load()
	if s.ring == nil {
		return time.Time{}, false
	}
	next, ok := s.ring.nextChange(t)
	for _, at := range s.deferred {
		if at.After(t) && (!ok || at.Before(next)) {
			next, ok = at, true
		}
	}
	return next, ok
}

// verificationKey returns the key named by kid if its window is acceptable
// at t: the previous window, the current one, or the next one when t is
// within the skew of its start. It refuses any other key id before deriving
// anything: [ErrKeyID] for a key id that is not the canonical spelling of a
// known root (for a keyring, one that verifies at t) and an index,
// [ErrWindowRetired] for an older window and [ErrWindowNotOpen] for a later
// one; [ErrKeyUnavailable] for an acceptable window of an external root
// whose key has not been derived.
func (d *Deriver) verificationKey(kid string, t time.Time) (*Key, Position, error) {
	rootID, index, err := parseKeyID(kid)
	if err != nil {
		return nil, 0, err
	}
	s := d.set.Load()
	root := s.index(rootID)
	if root < 0 || s.ring != nil && !s.ring.verifiesID(rootID, t) {
		return nil, 0, ErrKeyID
	}
	pos, err := d.sched.Position(index, t)
	if err != nil {
		return nil, 0, err
	}
	k, err := d.key(s, root, Window{index: index, seconds: d.sched.seconds})
	if err != nil {
		return nil, 0, err
	}
	return k, pos, nil
}

// key returns the key of s.roots[root] for window w. On a miss it derives
// the key of a root in memory; for an external root it wakes the background
// derivation and returns ErrKeyUnavailable without waiting.
func (d *Deriver) key(s *rootSet, root int, w Window) (*Key, error) {
	slot := &s.caches[root].slots[uint64(w.index)%cacheSlots]
	if k := slot.Load(); k != nil && k.window.index == w.index {
		return k, nil
	}
	if s.roots[root].ext != nil {
		d.pf.wake()
		return nil, ErrKeyUnavailable
	}
	return d.fill(context.Background(), s, root, w)
}

// fill derives and caches the key of s.roots[root] for window w unless it
// is cached already. Derivations of one root are serialised.
func (d *Deriver) fill(ctx context.Context, s *rootSet, root int, w Window) (*Key, error) {
	c := s.caches[root]
	slot := &c.slots[uint64(w.index)%cacheSlots]
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := slot.Load(); k != nil && k.window.index == w.index {
		return k, nil
	}
	r := s.roots[root]
	info := binary.BigEndian.AppendUint64(append([]byte(nil), d.prefix...), uint64(w.index))
	secret, err := r.expand(ctx, info, d.alg.keySize())
	if err != nil {
		return nil, fmt.Errorf("%w (window %d)", err, w.index)
	}
	k := newKey(r, d.alg, w, secret)
	slot.Store(k)
	d.derivations.Add(1)
	if r.ext != nil {
		d.changes.Add(1)
	}
	return k, nil
}
