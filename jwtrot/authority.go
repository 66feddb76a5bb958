package jwtrot

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtrot/jwtrot/rotation"
)

// Defaults of an [Authority].
const (
	DefaultTTL     = time.Hour
	DefaultMaxSize = 8 << 10
)

// An Authority issues and verifies the JWTs of one purpose with the window
// keys of a [rotation.Deriver]: it signs with the current window's key of
// the root that issues (the first root, or the one a keyring says issues
// now) and accepts the previous, the current and (within the skew)
// the next window of every root, re-signing previous-window tokens.
//
// An Authority is a [Verifier] that also signs: it has the Verifier's
// methods, with the same checks in the same code path, and its Verify
// re-signs. With an [rotation.EdDSA] Deriver it signs with Ed25519, and
// services that only verify can hold a Verifier of the public keys instead
// of the root.
//
// An Authority is safe for concurrent use.
type Authority struct {
	Verifier
	d *rotation.Deriver
}

// config is what the Options set.
type config struct {
	ttl       time.Duration
	ttlSet    bool
	maxAge    time.Duration
	maxAgeSet bool
	maxSize   int
	issuer    string
	aud       string
	ids       bool
	idsSet    bool
	revoker   Revoker
	uses      UseCounter
	observe   func(Outcome)
}

// A pipeline is the one verification path of SPEC §6, over the keys of a
// KeySource: an Authority's Deriver or a Verifier's public keys.
type pipeline struct {
	config
	src     KeySource
	sched   *rotation.Schedule
	alg     rotation.Algorithm
	purpose string

	// ready is set once the source has a schedule (becomeReady); sched,
	// and maxAge and issuer where the source publishes them, are written
	// before it and read only after it.
	ready   atomic.Bool
	readyMu sync.Mutex

	// The window sets: the current one, and the next one prepared within
	// the skew of the boundary (preparing: the index last started).
	windows   atomic.Pointer[windowSet]
	next      atomic.Pointer[windowSet]
	preparing atomic.Int64
	builds    atomic.Int64 // window sets built, for tests
}

// An Option configures an [Authority] or a [Verifier].
type Option func(*config)

// WithTTL sets the lifetime given to tokens signed without exp (default
// [DefaultTTL]): exp = iat + ttl, the token's absolute lifetime. A whole,
// non-negative number of seconds; 0 gives no default, so Sign refuses
// claims without exp. It configures signing: a [Verifier] refuses it.
func WithTTL(ttl time.Duration) Option { return func(c *config) { c.ttl, c.ttlSet = ttl, true } }

// WithMaxAge sets the oldest token accepted, measured from its iat whatever
// its exp says (default: the TTL, or one hour if the TTL is 0). The server,
// not the token, decides how long tokens live. It must be positive and at
// least the TTL; New refuses anything else, 0 included.
func WithMaxAge(d time.Duration) Option {
	return func(c *config) { c.maxAge, c.maxAgeSet = d, true }
}

// WithIssuer sets iss on signed tokens that lack it and requires it, exactly,
// on verified ones.
func WithIssuer(iss string) Option { return func(c *config) { c.issuer = iss } }

// WithAudience sets aud on signed tokens that lack it and requires verified
// tokens to name it, as their aud string or in their aud array.
func WithAudience(aud string) Option { return func(c *config) { c.aud = aud } }

// WithMaxSize sets the longest token accepted, in bytes (default
// [DefaultMaxSize]). Longer tokens are refused before any other work.
func WithMaxSize(n int) Option { return func(c *config) { c.maxSize = n } }

// WithRandomID sets whether signed tokens without jti get a random 128-bit
// one (default true). The per-token deny-list of a [Revoker] needs it. It
// configures signing: a [Verifier] refuses it.
func WithRandomID(on bool) Option { return func(c *config) { c.ids, c.idsSet = on, true } }

// WithRevoker sets a revocation check, consulted after the signature and the
// claims pass.
func WithRevoker(r Revoker) Option { return func(c *config) { c.revoker = r } }

// WithObserver sets a function called with the outcome of every
// verification, for metrics: count previous-window verifications, refusals
// by reason. It must be quick and safe for concurrent use. It never sees the
// token.
func WithObserver(f func(Outcome)) Option { return func(c *config) { c.observe = f } }

// An Outcome is what an observer learns of one verification.
//
// Every field is of low cardinality or bounded, fit for a metrics label,
// except KeyID (it names the window: unbounded over time) and Err.
type Outcome struct {
	// Code is "" for an accepted token, else the refusal's stable machine
	// name ([Code]): "expired", "window_retired", "bad_signature", ...
	Code string
	// Position is the window the token verified in; meaningless when Err
	// is set.
	Position rotation.Position
	// Purpose is the Deriver's purpose label.
	Purpose string
	// RootID is the id of the root whose key checked the token, "" when the
	// token was refused before a key was chosen. Never a secret.
	RootID string
	// KeyID is the kid the token verified under, "" when Err is set. It
	// names the window: do not use it as a metrics label.
	KeyID string
	// Resigned reports whether a re-signed token was handed back.
	Resigned bool
	// Duration is how long the verification took, on the monotonic clock
	// (not the Deriver's clock), the observer's own time excluded.
	Duration time.Duration
	// StoreConsulted reports whether the revocation store ([Revoker]) or the
	// use counter ([UseCounter]) was asked about the token; StoreFailed
	// whether it answered with an error (the token is then refused with
	// [ErrRevocationCheck]).
	StoreConsulted, StoreFailed bool
	// KeySourceFailed reports whether the key of the token's window could
	// not be had ([ErrKeyUnavailable]): from the root's module, or, for a
	// Verifier, from its JWKS.
	KeySourceFailed bool
	// Err is nil for an accepted token, else the refusal (see [Reason]).
	Err error
}

// New returns an Authority over the keys of d. It refuses configuration it
// cannot honour, saying which option to change: a TTL that is negative, not
// whole seconds, or longer than the maximum age; a maximum age that is not
// positive; a size cap too small for any token.
func New(d *rotation.Deriver, opts ...Option) (*Authority, error) {
	if d == nil {
		return nil, errors.New("jwtrot: nil Deriver")
	}
	if k := d.Keyring(); k != nil {
		// The fleet's settings are the defaults; a local one must agree.
		f := k.Fleet()
		var local config
		for _, o := range opts {
			o(&local)
		}
		if err := f.Agree(rotation.Fleet{MaxAge: local.maxAge, Issuer: local.issuer}); err != nil {
			return nil, fmt.Errorf("jwtrot: %s", strings.TrimPrefix(err.Error(), "rotation: "))
		}
		var fromRing []Option
		if f.MaxAge != 0 {
			fromRing = append(fromRing, WithMaxAge(f.MaxAge))
			if !local.ttlSet {
				fromRing = append(fromRing, WithTTL(min(DefaultTTL, f.MaxAge)))
			}
		}
		if f.Issuer != "" {
			fromRing = append(fromRing, WithIssuer(f.Issuer))
		}
		opts = append(fromRing, opts...)
	}
	p, err := newPipeline(deriverSource{d}, opts)
	if err != nil {
		return nil, err
	}
	return &Authority{Verifier: Verifier{p}, d: d}, nil
}

// newPipeline applies the options and checks them.
func newPipeline(src KeySource, opts []Option) (*pipeline, error) {
	info := src.Info()
	a := &pipeline{src: src, alg: info.Algorithm, purpose: info.Purpose,
		config: config{ttl: DefaultTTL, maxSize: DefaultMaxSize, ids: true}}
	a.preparing.Store(math.MinInt64)
	for _, o := range opts {
		o(&a.config)
	}
	a.uses = a.counter()
	switch {
	case a.ttl < 0:
		return nil, fmt.Errorf("jwtrot: WithTTL(%v) is negative; give a positive lifetime, or 0 to require exp in every claims", a.ttl)
	case a.ttl%time.Second != 0:
		return nil, fmt.Errorf("jwtrot: WithTTL(%v) is not a whole number of seconds; NumericDates count whole seconds", a.ttl)
	case a.maxAgeSet && a.maxAge <= 0:
		return nil, fmt.Errorf("jwtrot: WithMaxAge(%v) is not positive; leave it out for the default (the TTL)", a.maxAge)
	}
	if !a.maxAgeSet {
		a.maxAge = a.ttl
		if a.maxAge == 0 {
			a.maxAge = time.Hour
		}
	}
	if a.ttl > a.maxAge {
		return nil, fmt.Errorf("jwtrot: WithTTL(%v) is longer than WithMaxAge(%v): tokens would be refused before they expire", a.ttl, a.maxAge)
	}
	if a.maxSize < 64 {
		return nil, fmt.Errorf("jwtrot: WithMaxSize(%d) is too small for any token; the default is %d", a.maxSize, DefaultMaxSize)
	}
	if info.Schedule != nil {
		if err := a.becomeReady(); err != nil {
			var ce *CauseError
			if errors.As(err, &ce) {
				return nil, ce.Cause
			}
			return nil, err
		}
	}
	return a, nil
}

// becomeReady takes the schedule from the source, and the maximum age and
// issuer it publishes where not set locally; a published value that
// contradicts a local one keeps the pipeline not ready, with the reason.
// Until it succeeds, tokens are refused with ErrNotReady.
func (a *pipeline) becomeReady() error {
	a.readyMu.Lock()
	defer a.readyMu.Unlock()
	if a.ready.Load() {
		return nil
	}
	info := a.src.Info()
	if info.Schedule == nil {
		return errNotReached
	}
	if f := info.Fleet; f != nil {
		local := rotation.Fleet{Issuer: a.issuer}
		if a.maxAgeSet {
			local.MaxAge = a.maxAge
		}
		if err := f.Agree(local); err != nil {
			return &CauseError{Reason: ErrNotReady, Cause: fmt.Errorf("jwtrot: %s", strings.TrimPrefix(err.Error(), "rotation: "))}
		}
		if f.MaxAge != 0 {
			a.maxAge = f.MaxAge
		}
		if f.Issuer != "" {
			a.issuer = f.Issuer
		}
	}
	a.sched = info.Schedule
	for _, s := range [...]any{a.revoker, a.uses} {
		if s, ok := s.(MaxAgeSetter); ok {
			s.SetMaxAge(a.maxAge)
		}
	}
	a.ready.Store(true) // publishes the fields above to every reader of ready
	return nil
}

// errNotReached refuses a token while the source has no schedule.
var errNotReached = &CauseError{Reason: ErrNotReady, Cause: errors.New("jwtrot: the key source has not reached its issuer yet")}

// Deriver returns the Deriver the Authority takes its keys from.
func (a *Authority) Deriver() *rotation.Deriver { return a.d }

// windowSet holds, for one current window, the canonical encoded header of
// every acceptable (root, window) with its key, so that a token's header is
// matched by comparing strings rather than by decoding JSON.
type windowSet struct {
	index   int64     // the current window's index
	end     time.Time // the start of the next window
	entries []windowEntry
	// missing is set when a key was unavailable (a root held in a module
	// that has not derived it); the set is then rebuilt once the Deriver
	// has derived more keys than derived.
	missing bool
	// version is the source's Version when the set was built: the set is
	// rebuilt when it changes (a key became available, the keyring or the
	// JWKS changed), and at until, the end of the window or the first
	// instant the source's roots may change without a new version (a
	// keyring root that starts or stops verifying).
	version int64
	until   time.Time
	// issuing reports whether entries[0] is the root that signs now.
	issuing bool
}

type windowEntry struct {
	header  string                // base64url of the canonical header
	key     rotation.VerifyingKey // nil if unavailable
	rootID  string
	pos     rotation.Position
	current *windowEntry // the same root's current-window entry
}

// holds reports whether the set has entries for the root.
func (ws *windowSet) holds(rootID string) bool { return ws.currentOf(rootID) != nil }

// currentOf returns the root's current-window entry, nil if it has none.
func (ws *windowSet) currentOf(rootID string) *windowEntry {
	for i := range ws.entries {
		if e := &ws.entries[i]; e.pos == rotation.Current && e.rootID == rootID {
			return e
		}
	}
	return nil
}

// windowsAt returns the window set whose current window contains now,
// building it on the first call in each window.
//
// Within the skew of the window's end, the first request starts building
// the next window's set in a goroutine of its own (exactly once per window,
// lasting a few microseconds), so that the first request of the next
// window finds it ready and costs what every other one does.
func (a *pipeline) windowsAt(now time.Time) *windowSet {
	w := a.sched.WindowAt(now)
	version := a.src.Version()
	if ws := a.windows.Load(); ws != nil && ws.index == w.Index() && ws.version == version && now.Before(ws.until) {
		if ws.end.Sub(now) <= a.sched.Skew() {
			if old := a.preparing.Load(); old < ws.index+1 && a.preparing.CompareAndSwap(old, ws.index+1) {
				go func(at time.Time) { a.next.Store(a.buildWindows(at)) }(ws.end)
			}
		}
		return ws
	}
	if n := a.next.Load(); n != nil && n.index == w.Index() && !n.missing && n.version == version && now.Before(n.until) {
		a.windows.Store(n)
		return n
	}
	ws := a.buildWindows(now)
	a.windows.Store(ws)
	return ws
}

// buildWindows builds the window set of the window that contains now.
func (a *pipeline) buildWindows(now time.Time) *windowSet {
	a.builds.Add(1)
	w := a.sched.WindowAt(now)
	// The version and the next change first: a change while the set is
	// built then makes it stale at once, never right for too long.
	version := a.src.Version()
	until := w.End()
	var signer string
	issuing := true
	if ds, ok := a.src.(deriverSource); ok {
		if next, ok := ds.d.NextChange(a.sched.Now()); ok && next.Before(until) {
			until = next
		}
		signer, issuing = ds.d.Issuer(now)
	}
	roots := a.src.Info().Roots
	ws := &windowSet{index: w.Index(), end: w.End(), entries: make([]windowEntry, 0, 3*len(roots)), version: version, until: until,
		issuing: issuing && len(roots) > 0 && (signer == "" || roots[0] == signer)}
	for _, id := range roots {
		// Current first: it is what most tokens carry.
		cur := len(ws.entries)
		for _, pos := range []rotation.Position{rotation.Current, rotation.Previous, rotation.Next} {
			e := windowEntry{header: encodedHeader(a.alg, rotation.KeyID(id, w.Index()+int64(pos))), rootID: id, pos: pos}
			k, err := a.src.Key(id, a.sched.Window(w.Index()+int64(pos)))
			ws.missing = ws.missing || err != nil
			if err == nil {
				e.key = k // an HMAC key keyed its HMAC states when derived
			}
			ws.entries = append(ws.entries, e)
		}
		for i := cur; i < cur+3; i++ {
			ws.entries[i].current = &ws.entries[cur]
		}
	}
	return ws
}

// Header returns the exact JOSE header jwtrot emits for a key id:
// {"alg":"HS256","kid":"main:2992240","typ":"JWT"}, members in that order,
// no white space.
// The kid is written as a JSON string, escaped where it needs to be (a kid
// from [rotation.KeyID] never does).
func Header(alg rotation.Algorithm, kid string) string {
	return `{"alg":"` + alg.String() + `","kid":` + string(appendJSONString(nil, kid)) + `,"typ":"JWT"}`
}

func encodedHeader(alg rotation.Algorithm, kid string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(Header(alg, kid)))
}

// A Revoker says whether a token whose signature and claims passed has been
// revoked. It is consulted on every successful verification, so a remote
// implementation (Redis, say) should answer from a local cache where it can.
// An error refuses the token with [ErrRevocationCheck]: revocation fails
// closed. An error that wraps [ErrRevocationsLost] (the store may have lost
// revocations that cover the token, SPEC §12.3) refuses it with that reason.
//
// A subject's revocation at notBefore covers the tokens whose IssuedAt is
// before notBefore, compared to the nanosecond (SPEC §12.2).
type Revoker interface {
	Revoked(ctx context.Context, t TokenInfo) (bool, error)
}

// TokenInfo is what a [Revoker] is told of a token.
type TokenInfo struct {
	Subject string // sub, "" if absent
	ID      string // jti, "" if absent
	// IssuedAt is the token's issue instant: iat, with the sub-second part
	// a time-ordered jti carries (SPEC §12.1), else iat's whole second.
	IssuedAt time.Time
	Expires  time.Time // exp
	MaxUses  int       // the use cap of an N-use token (UsesClaim), 0 for others
}

// RevokedBy reports whether revocations cover t: its subject's, made at
// subjectNotBefore (the zero Time for none), which covers the tokens
// issued before that instant to the nanosecond, and its jti's
// (idRevoked). It is the rule of SPEC §12.2, for a [Revoker] to apply to
// what it stores.
func (t TokenInfo) RevokedBy(subjectNotBefore time.Time, idRevoked bool) bool {
	return t.ID != "" && idRevoked ||
		t.Subject != "" && !subjectNotBefore.IsZero() && t.IssuedAt.Before(subjectNotBefore)
}

// String describes the Authority by its public configuration and hides
// every key: the Deriver's roots, algorithm, purpose and window, and the
// TTL, maximum age, issuer and audience.
func (a Authority) String() string {
	return fmt.Sprintf("jwtrot.Authority{%v, ttl: %v, maxAge: %v, issuer: %q, audience: %q}", a.d, a.ttl, a.maxAge, a.issuer, a.aud)
}

// Format hides the keys from every fmt verb.
func (a Authority) Format(f fmt.State, _ rune) { fmt.Fprint(f, a.String()) }

// LogValue hides the keys from log/slog.
func (a Authority) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("deriver", a.d), slog.Duration("ttl", a.ttl), slog.Duration("max_age", a.maxAge),
		slog.String("issuer", a.issuer), slog.String("audience", a.aud))
}

var (
	_ fmt.Stringer   = Authority{}
	_ fmt.Formatter  = Authority{}
	_ slog.LogValuer = Authority{}
)
