// Package jwks publishes the public keys of an EdDSA [rotation.Deriver] as a
// JSON Web Key Set (RFC 7517, with OKP keys per RFC 8037) and reads them
// back, so that services that only verify hold public keys and never the
// root.
//
// The issuer serves its keys with [NewHandler] (or exports them with
// [Export] for a horizon of windows, to a file its verifiers read with
// [Parse]: then they need no network at all). A verifier builds a
// [github.com/jwtrot/jwtrot/jwtrot.Verifier] over a [Set] (a fixed document) or a [Client] (a JWKS
// URL it polls once a window, knowing the window schedule).
//
// SPEC.md §10 states the document and the handler's rules.
package jwks

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

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
	sched   *rotation.Schedule
	purpose string
	roots   []string
	keys    map[keyName]*rotation.PublicKey
	list    []*rotation.PublicKey
}

type keyName struct {
	root  string
	index int64
}

// Parse reads a JWKS document of the windows of sched. It keeps the keys
// jwtrot can verify with: kty "OKP", crv "Ed25519", a jwtrot key id (SPEC
// §4), alg "EdDSA" or absent, use "sig" or absent, key_ops absent or with
// "verify"; it skips the keys of other kinds, which are for other
// verifiers. It refuses the whole document, wrapping [ErrDocument], if it
// is not a JSON object with a "keys" array, is larger than
// [MaxDocumentSize] or holds more than [MaxKeys] keys, if any key has a
// private member "d", if a kept key's x is not a usable Ed25519 public key
// (rotation.ErrPublicKey), if two keys share a kid with different x, or if
// no key is kept.
func Parse(doc []byte, sched *rotation.Schedule, opts ...Option) (*Set, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	return parse(doc, sched, o.purpose)
}

func parse(doc []byte, sched *rotation.Schedule, purpose string) (*Set, error) {
	if sched == nil {
		return nil, errors.New("jwks: nil schedule; make one with rotation.NewSchedule")
	}
	if len(doc) > MaxDocumentSize {
		return nil, fmt.Errorf("%w: %d bytes, over %d", ErrDocument, len(doc), MaxDocumentSize)
	}
	var d struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &d); err != nil || d.Keys == nil {
		// encoding/json's text may quote the document: say only what is wrong.
		return nil, fmt.Errorf(`%w: not a JSON object with a "keys" array`, ErrDocument)
	}
	if len(d.Keys) > MaxKeys {
		return nil, fmt.Errorf("%w: %d keys, over %d", ErrDocument, len(d.Keys), MaxKeys)
	}
	s := &Set{sched: sched, purpose: purpose, keys: make(map[keyName]*rotation.PublicKey, len(d.Keys))}
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

// Algorithm returns [rotation.EdDSA].
func (s *Set) Algorithm() rotation.Algorithm { return rotation.EdDSA }

// Schedule returns the schedule the set was read with.
func (s *Set) Schedule() *rotation.Schedule { return s.sched }

// Purpose returns the label given with [WithPurpose].
func (s *Set) Purpose() string { return s.purpose }

// Roots returns the ids of the roots the set has keys of, in the order they
// first appear in the document (the issuer writes the issuing root first).
func (s *Set) Roots() []string { return slices.Clone(s.roots) }

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

// Fetch answers as Key: a Set cannot obtain keys.
func (s *Set) Fetch(_ context.Context, rootID string, w rotation.Window) (rotation.VerifyingKey, error) {
	return s.Key(rootID, w)
}

// Version is always 0: a Set does not change.
func (s *Set) Version() int64 { return 0 }
