package rotation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// A Keyring is the roots of a deployment with their schedule, and the
// [Fleet] parameters every instance shares: one document (SPEC §11), the
// same file on every instance, from which each derives at any instant which
// root issues and which roots verify, with no coordination.
//
// Each root has an instant from which it issues, optionally an instant from
// which its tokens are refused (it retires), and may be revoked: a revoked
// or removed root verifies nothing from the moment an instance reads the
// edit. The root that issues at t is the one with the latest issue instant
// at or before t among those neither revoked nor retired at t (ties: the id
// first in byte order). A root verifies from two windows before it issues
// until it retires.
//
// A Keyring is immutable. Build one with [ParseKeyring] (which also checks
// a document before it is deployed); a [Deriver] over a changing keyring is
// [NewKeyringDeriver], and it answers which root issues and which verify at
// an instant ([Deriver.Issuer], [Deriver.Roots], [Deriver.Verifies],
// [Deriver.NextChange]). The demo's keyring schedule command prints a
// keyring's whole timeline.
type Keyring struct {
	fleet  Fleet
	reload time.Duration
	serial int64
	roots  []ringRoot // in the document's order
}

// A ringRoot is one root of a [Keyring]: its schedule, and where its secret
// is (never the secret itself, which stays in the keyring's Root).
type ringRoot struct {
	ID string
	// Issues is the instant from which the root signs new tokens; zero for
	// a revoked root listed without one.
	Issues time.Time
	// Retires is the instant from which its tokens are refused; zero if it
	// does not retire.
	Retires time.Time
	// Revoked roots verify nothing and never issue.
	Revoked bool
	// Emergency marks a root an instance may issue with as soon as it reads
	// it, without waiting for every instance to have read it (SPEC §11.3).
	Emergency bool
	// Ref names a root held outside the process, for the resolver given
	// with [WithRootResolver]; "" for a root whose secret is in the keyring.
	Ref string

	root *Root // nil for a revoked root or an unresolved reference
}

// Bounds of a keyring document.
const (
	maxKeyringSize  = 1 << 20
	maxKeyringRoots = 256
	maxRefLen       = 1024
	// defaultReload is how often a keyring is read again when it does not
	// say (its "reload" member, SPEC §11).
	defaultReload = 30 * time.Second
)

// errKeyring wraps every reason a keyring document is refused. The messages
// name the member and never show a secret. Nothing outside tells one
// refusal from another: a Deriver reports them (its error, a log line, a
// [KeyringEvent]) and keeps the last good keyring.
var errKeyring = errors.New("rotation: keyring")

// ErrNoIssuingRoot is returned for signing at an instant at which no root of
// the keyring issues.
var ErrNoIssuingRoot = errors.New("rotation: no root of the keyring issues at this instant")

func keyringErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errKeyring}, args...)...)
}

// ParseKeyring reads a keyring document (SPEC §11): a JSON object, every
// member spelled exactly, none repeated, none unknown, every instant an RFC
// 3339 time in whole seconds. A root's "secret" is read as [ParseRoot]
// reads a root's text; a root with "ref" instead is held outside the
// process and is resolved by a [Deriver]'s [WithRootResolver].
//
// Besides each member's form it checks the schedule as a whole: distinct
// ids, a retirement after the root's issue instant and no earlier than its
// tokens can live (the earliest retirement: the successor's issue instant plus the reload
// interval, the skew and the maximum age), and at least one root
// that is not revoked.
func ParseKeyring(doc []byte) (*Keyring, error) {
	if len(doc) > maxKeyringSize {
		return nil, keyringErr("the document is %d bytes, over %d", len(doc), maxKeyringSize)
	}
	if err := checkJSONObjects(doc); err != nil {
		return nil, err
	}
	top, err := members(doc, "the document", "jwtrot_keyring", "alg", "window", "skew", "max_age", "iss", "purposes", "reload", "serial", "roots")
	if err != nil {
		return nil, err
	}
	var k Keyring
	var version int64
	if err := required(top, "jwtrot_keyring", &version); err != nil {
		return nil, err
	}
	if version != 1 {
		return nil, keyringErr("jwtrot_keyring is %d; this jwtrot reads version 1 (upgrade jwtrot to read a newer keyring)", version)
	}
	var alg string
	if err := required(top, "alg", &alg); err != nil {
		return nil, err
	}
	if k.fleet.Algorithm, err = ParseAlgorithm(alg); err != nil {
		return nil, keyringErr("alg must be HS256, HS384, HS512 or EdDSA")
	}
	var window, skew, maxAge, reload int64
	if err := required(top, "window", &window); err != nil {
		return nil, err
	}
	k.fleet.Window, err = seconds("window", window)
	if err != nil {
		return nil, err
	}
	k.fleet.Skew = min(defaultSkew, k.fleet.Window/4/time.Second*time.Second)
	if ok, err := optional(top, "skew", &skew); err != nil {
		return nil, err
	} else if ok {
		if skew < 0 || skew > int64(k.fleet.Window/time.Second) {
			return nil, keyringErr("skew must be a whole number of seconds from 0 to a quarter of the window")
		}
		k.fleet.Skew = time.Duration(skew) * time.Second
	}
	if ok, err := optional(top, "max_age", &maxAge); err != nil {
		return nil, err
	} else if ok {
		if k.fleet.MaxAge, err = seconds("max_age", maxAge); err != nil {
			return nil, err
		}
	}
	if _, err := optional(top, "iss", &k.fleet.Issuer); err != nil {
		return nil, err
	}
	if err := required(top, "purposes", &k.fleet.Purposes); err != nil {
		return nil, err
	}
	k.reload = defaultReload
	if ok, err := optional(top, "reload", &reload); err != nil {
		return nil, err
	} else if ok {
		if k.reload, err = seconds("reload", reload); err != nil {
			return nil, err
		}
	}
	if _, err := optional(top, "serial", &k.serial); err != nil {
		return nil, err
	}
	if k.serial < 0 {
		return nil, keyringErr("serial is negative; it counts edits from 0 up")
	}
	if err := k.fleet.Check(); err != nil {
		return nil, keyringErr("%s", strings.TrimPrefix(err.Error(), "rotation: fleet: "))
	}
	var raws []json.RawMessage
	if err := required(top, "roots", &raws); err != nil {
		return nil, err
	}
	if len(raws) > maxKeyringRoots {
		return nil, keyringErr("roots has %d entries, over %d; remove retired and revoked roots whose tokens are long expired", len(raws), maxKeyringRoots)
	}
	for i, raw := range raws {
		r, err := parseRingRoot(raw, i)
		if err != nil {
			return nil, err
		}
		for _, s := range k.roots {
			if s.ID == r.ID {
				return nil, keyringErr("roots[%d]: id %q appears twice; every root needs an id of its own", i, r.ID)
			}
		}
		k.roots = append(k.roots, r)
	}
	if err := k.checkSchedule(); err != nil {
		return nil, err
	}
	return &k, nil
}

func parseRingRoot(raw json.RawMessage, i int) (ringRoot, error) {
	where := fmt.Sprintf("roots[%d]", i)
	m, err := members(raw, where, "id", "secret", "ref", "issues", "retires", "revoked", "emergency")
	if err != nil {
		return ringRoot{}, err
	}
	var r ringRoot
	if err := required(m, "id", &r.ID); err != nil {
		return ringRoot{}, fmt.Errorf("%w (in %s)", err, where)
	}
	if !validRootID(r.ID) {
		return ringRoot{}, keyringErr("%s: id must be 1 to 16 characters of [A-Za-z0-9_-]", where)
	}
	where = fmt.Sprintf("roots[%d] (%s)", i, r.ID)
	if _, err := optional(m, "revoked", &r.Revoked); err != nil {
		return ringRoot{}, fmt.Errorf("%w (in %s)", err, where)
	}
	if _, err := optional(m, "emergency", &r.Emergency); err != nil {
		return ringRoot{}, fmt.Errorf("%w (in %s)", err, where)
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"issues", &r.Issues}, {"retires", &r.Retires}} {
		var s string
		ok, err := optional(m, t.name, &s)
		if err != nil {
			return ringRoot{}, fmt.Errorf("%w (in %s)", err, where)
		}
		if !ok {
			continue
		}
		if *t.dst, err = parseInstant(s); err != nil {
			return ringRoot{}, keyringErr("%s: %s: %v", where, t.name, err)
		}
	}
	var secret string
	hasSecret, err := optional(m, "secret", &secret)
	if err != nil {
		return ringRoot{}, keyringErr("%s: secret must be a string (hex or base64)", where)
	}
	hasRef, err := optional(m, "ref", &r.Ref)
	if err != nil {
		return ringRoot{}, fmt.Errorf("%w (in %s)", err, where)
	}
	switch {
	case hasSecret && hasRef:
		return ringRoot{}, keyringErr("%s: has both secret and ref; a root is held in the keyring or outside it, not both", where)
	case hasRef && (r.Ref == "" || len(r.Ref) > maxRefLen):
		return ringRoot{}, keyringErr("%s: ref must be 1 to %d bytes", where, maxRefLen)
	case r.Revoked:
		// A revoked root needs nothing else: it verifies nothing.
	case !hasSecret && !hasRef:
		return ringRoot{}, keyringErr("%s: has neither secret nor ref; give its secret (openssl rand -hex 32) or a ref to a root held in a module, or mark it \"revoked\": true", where)
	case r.Issues.IsZero():
		return ringRoot{}, keyringErr("%s: issues is missing; give the instant from which it signs, e.g. %q", where, "2026-12-08T00:00:00Z")
	}
	if hasSecret && !r.Revoked {
		if r.root, err = ParseRoot(r.ID, []byte(secret)); err != nil {
			return ringRoot{}, keyringErr("%s: secret: %s", where, strings.TrimPrefix(err.Error(), "rotation: "))
		}
	}
	return r, nil
}

// parseInstant reads an RFC 3339 instant in whole seconds.
func parseInstant(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Nanosecond() != 0 || t.Year() < 1 {
		return time.Time{}, fmt.Errorf("not an RFC 3339 instant in whole seconds such as %q", "2026-12-08T00:00:00Z")
	}
	return t.UTC(), nil
}

// seconds turns a whole number of seconds into a positive Duration.
func seconds(name string, n int64) (time.Duration, error) {
	if n <= 0 || n > math.MaxInt64/int64(time.Second) {
		return 0, keyringErr("%s must be a positive whole number of seconds", name)
	}
	return time.Duration(n) * time.Second, nil
}

// checkSchedule checks the roots' instants together.
func (k *Keyring) checkSchedule() error {
	live := 0
	for i, r := range k.roots {
		if r.Revoked {
			continue
		}
		live++
		if r.Retires.IsZero() {
			continue
		}
		if !r.Retires.After(r.Issues) {
			return keyringErr("roots[%d] (%s): retires (%s) is not after issues (%s)", i, r.ID, r.Retires.Format(time.RFC3339), r.Issues.Format(time.RFC3339))
		}
		if k.fleet.MaxAge == 0 {
			return keyringErr("roots[%d] (%s): retires, but the keyring states no max_age; add max_age, so that the retirement can be held to the tokens' lifetime", i, r.ID)
		}
		earliest, ok := k.earliestRetirement(r.ID)
		if !ok {
			return keyringErr("roots[%d] (%s): retires, but no later root issues after it; add its successor first, with an issues instant before the retirement", i, r.ID)
		}
		if r.Retires.Before(earliest) {
			return keyringErr("roots[%d] (%s): retires at %s, before the tokens it issues can expire; the earliest retirement is %s (its successor's issue instant plus reload, skew and max_age), or mark it \"revoked\": true to refuse its tokens now",
				i, r.ID, r.Retires.Format(time.RFC3339), earliest.Format(time.RFC3339))
		}
	}
	if live == 0 {
		return keyringErr("roots has no root that is not revoked; add one (demo keyring new makes a keyring with a fresh root)")
	}
	return nil
}

// earliestRetirement returns the earliest instant the root named id may
// retire without refusing a token it issued before its maximum age: its
// successor's issue instant (the first later one, among roots not revoked),
// plus the reload interval and the skew (an instance that read the keyring
// late, or whose clock is behind, may still issue with it until then), plus
// the maximum age. Re-signing keeps a token's root (SPEC §7), so its tokens
// live that long whatever re-signing does. It reports false if no later
// root issues, or the keyring states no maximum age.
func (k *Keyring) earliestRetirement(id string) (time.Time, bool) {
	r, ok := k.root(id)
	if !ok || r.Revoked || k.fleet.MaxAge == 0 {
		return time.Time{}, false
	}
	var next time.Time
	for _, s := range k.roots {
		if s.Revoked || !s.Issues.After(r.Issues) && !(s.Issues.Equal(r.Issues) && s.ID < r.ID) {
			continue
		}
		if next.IsZero() || s.Issues.Before(next) {
			next = s.Issues
		}
	}
	if next.IsZero() {
		return time.Time{}, false
	}
	return next.Add(k.reload + k.fleet.Skew + k.fleet.MaxAge), true
}

func (k *Keyring) root(id string) (ringRoot, bool) {
	for _, r := range k.roots {
		if r.ID == id {
			return r, true
		}
	}
	return ringRoot{}, false
}

// Fleet returns the parameters every instance shares.
func (k *Keyring) Fleet() Fleet {
	f := k.fleet
	f.Purposes = slices.Clone(f.Purposes)
	return f
}

// issuerAt returns the id of the root that issues at t (SPEC §11.2),
// leaving out the roots named in skip: among the roots neither revoked nor
// retired at t whose issue instant is at or before t, the one with the
// latest, ties going to the id first in byte order. It reports false if no
// root issues at t.
func (k *Keyring) issuerAt(t time.Time, skip []string) (string, bool) {
	best := -1
	for i, r := range k.roots {
		if r.Revoked || slices.Contains(skip, r.ID) || r.Issues.After(t) || !r.Retires.IsZero() && !t.Before(r.Retires) {
			continue
		}
		if best < 0 || r.Issues.After(k.roots[best].Issues) || r.Issues.Equal(k.roots[best].Issues) && r.ID < k.roots[best].ID {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	return k.roots[best].ID, true
}

// verifiesID reports whether tokens of the root named id are accepted at t
// (SPEC §11.2): it is in the keyring, not revoked, t is no earlier than two
// windows before it issues, and it has not retired.
func (k *Keyring) verifiesID(id string, t time.Time) bool {
	r, ok := k.root(id)
	return ok && k.verifies(r, t)
}

func (k *Keyring) verifies(r ringRoot, t time.Time) bool {
	return !r.Revoked && !t.Before(r.Issues.Add(-2*k.fleet.Window)) && (r.Retires.IsZero() || t.Before(r.Retires))
}

// verifyingAt returns the ids of the roots that verify at t, the one that
// issues first, then in the document's order.
func (k *Keyring) verifyingAt(t time.Time) []string {
	var ids []string
	first, ok := k.issuerAt(t, nil)
	if ok {
		ids = append(ids, first)
	}
	for _, r := range k.roots {
		if r.ID != first && k.verifies(r, t) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// nextChange returns the first instant after t at which issuerAt or
// verifyingAt may answer differently, and false if none does.
func (k *Keyring) nextChange(t time.Time) (time.Time, bool) {
	var next time.Time
	consider := func(c time.Time) {
		if !c.IsZero() && c.After(t) && (next.IsZero() || c.Before(next)) {
			next = c
		}
	}
	for _, r := range k.roots {
		if r.Revoked {
			continue
		}
		consider(r.Issues.Add(-2 * k.fleet.Window))
		consider(r.Issues)
		consider(r.Retires)
	}
	return next, !next.IsZero()
}

// checkJSONObjects refuses a document that is not one JSON value, or that
// repeats a member name in any object: encoding/json would keep the last.
func checkJSONObjects(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	type frame struct {
		object bool
		names  map[string]bool
		key    bool // the next token of an object is a member name
	}
	var stack []frame
	for values := 0; ; {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) && len(stack) == 0 && values == 1 {
				break
			}
			return keyringErr("not one valid JSON object (the text is not shown, in case it holds a secret)")
		}
		if len(stack) == 0 {
			if values++; values > 1 {
				return keyringErr("text after the JSON object")
			}
		}
		if len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].key {
			top := &stack[len(stack)-1]
			name, ok := tok.(string)
			if ok {
				if top.names[name] {
					return keyringErr("a member is named twice in one object (%q); keep one", clip(name))
				}
				top.names[name] = true
				top.key = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, names: map[string]bool{}, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].key = true
		}
		if len(stack) > 16 {
			return keyringErr("nested too deeply")
		}
	}
	return nil
}

// members decodes an object into its members, refusing any name not in
// allowed (names match exactly, not case-insensitively).
func members(raw []byte, where string, allowed ...string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, keyringErr("%s is not a JSON object", where)
	}
	for name := range m {
		if !slices.Contains(allowed, name) {
			return nil, keyringErr("%s has an unknown member %q; the members are %s", where, clip(name), strings.Join(allowed, ", "))
		}
	}
	return m, nil
}

func required(m map[string]json.RawMessage, name string, dst any) error {
	ok, err := optional(m, name, dst)
	if err == nil && !ok {
		return keyringErr("%s is missing", name)
	}
	return err
}

// optional decodes member name into dst if present, refusing null and a
// value of another JSON type (a number for a string, a fraction for an
// integer).
func optional(m map[string]json.RawMessage, name string, dst any) (bool, error) {
	raw, ok := m[name]
	if !ok {
		return false, nil
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) || json.Unmarshal(raw, dst) != nil {
		return true, keyringErr("%s must be %s", name, kindOf(dst))
	}
	return true, nil
}

func kindOf(dst any) string {
	switch dst.(type) {
	case *string:
		return "a string"
	case *int64:
		return "a whole number"
	case *bool:
		return "true or false"
	case *[]string:
		return "an array of strings"
	}
	return "an array"
}
