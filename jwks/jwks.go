// Package jwks publishes the public keys of an EdDSA [rotation.Deriver] as a
// JSON Web Key Set (RFC 7517, with OKP keys per RFC 8037) and reads them
// back, so that services that only verify hold public keys and never the
// root.
//
// # Publishing
//
// The issuer serves its keys with [NewHandler] (or exports them with
// [Export] for a horizon of windows, to a file its verifiers read with
// [Parse]: then they need no network at all). A document written with
// [MarshalFleet] also states the fleet: the window length, skew, purpose,
// maximum age and issuer every verifier must share (SPEC §10.1.1).
//
// # Verifying
//
// A verifier builds a [github.com/jwtrot/jwtrot/jwtrot.Verifier] over a [Set] (a fixed document) or
// a [Client] (one or more JWKS URLs it polls). Given a document that states
// its fleet, neither needs more than the document or the URL: the schedule
// comes from it, and a local [WithSchedule] or [WithPurpose] that differs
// is refused at construction, wrapping [ErrMismatch] and naming the
// setting, instead of refusing every token later.
//
// A Client starts even when its issuer cannot be reached: it is then not
// ready ([Client.Ready], [Client.WaitReady], [Client.ReadyHandler] for a
// readiness probe), refuses tokens with a specific reason, logs it, tells
// its observer, and retries with backoff until the issuer answers.
//
//	keys, err := jwks.NewClient("https://auth.internal/.well-known/jwks.json")
//	if err != nil {
//		return err // not https, or the issuer contradicts a local setting
//	}
//	defer keys.Close()
//	v, err := jwtrot.NewVerifier(keys)
//
// SPEC.md §10 states the document and the handler's rules.
package jwks

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// Bounds on a document read with [Parse] or fetched by a [Client].
const (
	// MaxDocumentSize is the largest document read, in bytes: room for
	// MaxKeys keys (about 130 bytes each) and members jwtrot skips.
	MaxDocumentSize = 4 << 20
	// MaxKeys is the most keys a document may hold: 11 days of one-minute
	// windows, or 16 weeks of 10-minute ones, for one root.
	MaxKeys = 16384
)

// ErrDocument wraps every reason a JWKS document is refused.
var ErrDocument = errors.New("jwks: unusable JWKS document")

// A jwk is one member of "keys". Members jwtrot does not read are ignored.
type jwk struct {
	Kty    string          `json:"kty"`
	Crv    string          `json:"crv"`
	X      string          `json:"x"`
	D      json.RawMessage `json:"d,omitempty"`
	Kid    string          `json:"kid"`
	Alg    string          `json:"alg,omitempty"`
	Use    string          `json:"use,omitempty"`
	KeyOps []string        `json:"key_ops,omitempty"`
}

// Marshal returns the JWKS document of keys, in the order given: for each,
// {"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"alg":"EdDSA","use":"sig"},
// members in that order, no white space (SPEC §10). It never holds a
// private member.
func Marshal(keys []*rotation.PublicKey) []byte {
	b := make([]byte, 0, 16+len(keys)*128)
	b = append(b, `{"keys":[`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"kty":"OKP","crv":"Ed25519","x":"`...)
		b = base64.RawURLEncoding.AppendEncode(b, k.Bytes())
		b = append(b, `","kid":`...)
		kid, _ := json.Marshal(k.ID()) // a string always marshals
		b = append(b, kid...)
		b = append(b, `,"alg":"EdDSA","use":"sig"}`...)
	}
	return append(b, "]}"...)
}

// A Set is a fixed set of window public keys: a [github.com/jwtrot/jwtrot/jwtrot.KeySource] for a
// [github.com/jwtrot/jwtrot/jwtrot.Verifier] that needs no network. It is immutable and safe for
// concurrent use.
type Set struct {
	sched    *rotation.Schedule
	purpose  string
	roots    []string
	keys     map[keyName]*rotation.PublicKey
	list     []*rotation.PublicKey
	fleet    rotation.Fleet
	hasFleet bool
}

type keyName struct {
	root  string
	index int64
}

// ErrNoSchedule refuses a document that states no window schedule (it has
// no "jwtrot" member: its issuer runs an older jwtrot) when none was given
// locally.
var ErrNoSchedule = errors.New(`jwks: the document states no window schedule (no "jwtrot" member: its issuer runs an older jwtrot), and none was given`)

var errNeedSchedule = fmt.Errorf("%w; give jwks.Parse a schedule made with rotation.NewSchedule", ErrNoSchedule)

// ErrMismatch wraps every refusal of a document whose "jwtrot" member
// states another window length, skew or purpose than the verifier sets
// locally: its tokens would all be refused. The error names the setting and
// says how to fix it.
var ErrMismatch = errors.New("jwks: the issuer publishes other settings than this verifier's")

// A mismatch is an [ErrMismatch]: one setting, the local and published
// values (never secret: durations and purpose labels), and the fix.
type mismatch struct {
	setting, local, published, fix string
}

func (m *mismatch) Error() string {
	return fmt.Sprintf("jwks: the issuer publishes a %s of %s, but this verifier's is %s; %s", m.setting, m.published, m.local, m.fix)
}

func (m *mismatch) Unwrap() error { return ErrMismatch }

// short is the mismatch for an observer: the setting and both values.
func (m *mismatch) short() string {
	return fmt.Sprintf("%s: local %s, published %s", m.setting, m.local, m.published)
}

// agree checks a published fleet against a local schedule (nil: none) and
// purpose (purposeSet: given with WithPurpose); fix says how to mend a
// schedule setting.
func agree(f rotation.Fleet, sched *rotation.Schedule, purpose string, purposeSet bool, fix func(setting string) string) error {
	switch {
	case sched != nil && sched.Length() != f.Window:
		return &mismatch{"window length", sched.Length().String(), f.Window.String(), fix("window length")}
	case sched != nil && sched.Skew() != f.Skew:
		return &mismatch{"skew", sched.Skew().String(), f.Skew.String(), fix("skew")}
	case purposeSet && purpose != f.Purposes[0]:
		return &mismatch{"purpose", strconv.Quote(purpose), strconv.Quote(f.Purposes[0]),
			"remove jwks.WithPurpose (the issuer's published purpose is used) or give the issuer's, or point the verifier at the JWKS of that purpose"}
	}
	return nil
}

// Parse reads a JWKS document. It keeps the keys jwtrot can verify with:
// kty "OKP", crv "Ed25519", a jwtrot key id (SPEC §4), alg "EdDSA" or
// absent, use "sig" or absent, key_ops absent or with "verify"; it skips the
// keys of other kinds, which are for other verifiers. It refuses the whole
// document, wrapping [ErrDocument], if it is not a JSON object with a "keys"
// array, is larger than [MaxDocumentSize] or holds more than [MaxKeys] keys,
// if any key has a private member "d", if a kept key's x is not a usable
// Ed25519 public key, if two keys share a kid with
// different x, or if no key is kept.
//
// A document of [MarshalFleet] states its fleet in a "jwtrot" member, read
// strictly (SPEC §10): a version other than 1 is refused (upgrade jwtrot),
// as are a member of the wrong type, another alg than "EdDSA", and a window
// or skew that [rotation.Fleet.Check] refuses. Then sched may be nil: the
// keys follow the published schedule, on the clock of [WithClock]. A sched
// or a [WithPurpose] that differs from the published one is refused,
// wrapping [ErrMismatch]. A document without the member needs sched.
func Parse(doc []byte, sched *rotation.Schedule, opts ...Option) (*Set, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	return parse(doc, sched, o, func(setting string) string {
		return fmt.Sprintf("pass a nil schedule to jwks.Parse (the document's %s is then used) or make the schedule's the same, or fix the issuer if it is the one that is wrong", setting)
	})
}

// parse reads doc; sched may be nil if doc states its fleet. fix says how to
// mend a schedule that differs from the published one.
func parse(doc []byte, sched *rotation.Schedule, o *options, fix func(setting string) string) (*Set, error) {
	if len(doc) > MaxDocumentSize {
		return nil, fmt.Errorf("%w: %d bytes, over %d", ErrDocument, len(doc), MaxDocumentSize)
	}
	var d struct {
		Keys   []json.RawMessage `json:"keys"`
		Jwtrot json.RawMessage   `json:"jwtrot"`
	}
	if err := json.Unmarshal(doc, &d); err != nil || d.Keys == nil {
		// encoding/json's text may quote the document: say only what is wrong.
		return nil, fmt.Errorf(`%w: not a JSON object with a "keys" array`, ErrDocument)
	}
	if len(d.Keys) > MaxKeys {
		return nil, fmt.Errorf("%w: %d keys, over %d", ErrDocument, len(d.Keys), MaxKeys)
	}
	purpose := o.purpose
	var fleet rotation.Fleet
	hasFleet := d.Jwtrot != nil && string(d.Jwtrot) != "null"
	if d.Jwtrot != nil && !hasFleet {
		return nil, fmt.Errorf(`%w: the "jwtrot" member: not a JSON object`, ErrDocument)
	}
	if hasFleet {
		f, err := parseFleet(d.Jwtrot)
		if err != nil {
			return nil, err
		}
		if err := agree(f, sched, o.purpose, o.purposeSet, fix); err != nil {
			return nil, err
		}
		if sched == nil {
			clk := o.clock
			if clk == nil {
				clk = rotation.SystemClock
			}
			if sched, err = rotation.NewSchedule(rotation.WithWindow(f.Window), rotation.WithSkew(f.Skew), rotation.WithClock(clk)); err != nil {
				return nil, fmt.Errorf("%w: the \"jwtrot\" member: %w", ErrDocument, err)
			}
		}
		fleet, purpose = f, f.Purposes[0]
	}
	if sched == nil {
		return nil, errNeedSchedule
	}
	s := &Set{sched: sched, purpose: purpose, keys: make(map[keyName]*rotation.PublicKey, len(d.Keys)), fleet: fleet, hasFleet: hasFleet}
	for i, raw := range d.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			return nil, fmt.Errorf("%w: key %d is not a JSON object of strings", ErrDocument, i)
		}
		if k.D != nil {
			return nil, fmt.Errorf(`%w: key %d has a private member "d": publish public keys only, and treat that private key as leaked`, ErrDocument, i)
		}
		if k.Kty != "OKP" || k.Crv != "Ed25519" || (k.Alg != "" && k.Alg != "EdDSA") ||
			(k.Use != "" && k.Use != "sig") || (k.KeyOps != nil && !slices.Contains(k.KeyOps, "verify")) {
			continue // another verifier's key
		}
		rootID, index, err := rotation.ParseKeyID(k.Kid)
		if err != nil {
			continue // not a jwtrot window key
		}
		x, err := base64.RawURLEncoding.Strict().DecodeString(k.X)
		if err != nil || base64.RawURLEncoding.EncodeToString(x) != k.X {
			return nil, fmt.Errorf("%w: key %d: x is not canonical base64url", ErrDocument, i)
		}
		pk, err := sched.PublicKey(k.Kid, x)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %w", ErrDocument, i, err)
		}
		name := keyName{rootID, index}
		if old, ok := s.keys[name]; ok {
			if !bytes.Equal(old.Bytes(), x) {
				return nil, fmt.Errorf("%w: key %d: two keys for one kid", ErrDocument, i)
			}
			continue
		}
		s.keys[name] = pk
		s.list = append(s.list, pk)
		if !slices.Contains(s.roots, rootID) {
			s.roots = append(s.roots, rootID)
		}
	}
	if len(s.list) == 0 {
		return nil, fmt.Errorf("%w: no Ed25519 key with a jwtrot kid", ErrDocument)
	}
	return s, nil
}

// Keys returns the set's keys, in the document's order.
func (s *Set) Keys() []*rotation.PublicKey { return slices.Clone(s.list) }

// Horizon returns the last window of the root for which the set holds a key,
// and false if it holds none: a verifier of a file stops accepting the
// root's tokens when that window ends.
func (s *Set) Horizon(rootID string) (rotation.Window, bool) {
	var last *rotation.PublicKey
	for _, k := range s.list {
		if k.RootID() == rootID && (last == nil || k.Window().Index() > last.Window().Index()) {
			last = k
		}
	}
	if last == nil {
		return rotation.Window{}, false
	}
	return last.Window(), true
}

// Info implements [github.com/jwtrot/jwtrot/jwtrot.KeySource]: the
// algorithm, [rotation.EdDSA]; the purpose the document publishes, else the
// label given with [WithPurpose] (default rotation.DefaultPurpose); the
// schedule the set was read with; the ids of the roots the set has keys
// of, in the order they first appear in the document (the issuer writes
// the issuing root first); and the fleet the document states in its
// "jwtrot" member, nil if it has none.
func (s *Set) Info() jwtrot.SourceInfo {
	info := jwtrot.SourceInfo{Algorithm: rotation.EdDSA, Purpose: s.purpose, Schedule: s.sched, Roots: slices.Clone(s.roots)}
	if s.hasFleet {
		f := s.fleet
		f.Purposes = slices.Clone(f.Purposes)
		info.Fleet = &f
	}
	return info
}

// Key returns the key of the root's window: rotation.ErrKeyID for a root the
// set has no key of, rotation.ErrKeyUnavailable for a window it lacks.
func (s *Set) Key(rootID string, w rotation.Window) (rotation.VerifyingKey, error) {
	if k, ok := s.keys[keyName{rootID, w.Index()}]; ok {
		return k, nil
	}
	if !slices.Contains(s.roots, rootID) {
		return nil, rotation.ErrKeyID
	}
	return nil, fmt.Errorf("%w: the JWKS has no key for window %d of root %s; export a longer horizon", rotation.ErrKeyUnavailable, w.Index(), rootID)
}

// Version is always 0: a Set does not change.
func (s *Set) Version() int64 { return 0 }
