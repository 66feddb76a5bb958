package jwtrot

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/internal/base64url"
	"github.com/jwtrot/jwtrot/internal/jwtjson"
	"github.com/jwtrot/jwtrot/rotation"
)

// A Result describes an accepted token.
type Result struct {
	// KeyID is the kid the token verified under.
	KeyID string
	// Window is the window of that key.
	Window rotation.Window
	// Position places Window relative to the verifier's current window.
	Position rotation.Position
	// Resigned, for a token that verified in the previous window, is the
	// same token re-signed with the current window's key of the same root:
	// the payload byte for byte, with a new kid and signature. Hand it back
	// to the client. It is "" otherwise.
	Resigned string
	// IssuedAt and Expires are the token's iat and exp.
	IssuedAt, Expires time.Time
}

var rawURL = base64.RawURLEncoding.Strict()

// Verify checks token and, if it is accepted, decodes its claims into claims
// (a non-nil pointer such as *jwt.RegisteredClaims, *jwt.MapClaims or a
// pointer to a struct embedding jwt.RegisteredClaims, or a non-nil
// jwt.MapClaims; a nil interface to decode nothing). A claims value it
// cannot decode into (a typed nil, a struct by value) is refused with
// [ErrInvalidClaims] before any other check. On any error claims is left
// empty and the error wraps exactly one of the reasons in this package's Err
// variables.
//
// The checks, in the order of SPEC §6: the size cap; three non-empty
// segments of strict, canonical base64url; the header (only the configured alg; a kid naming a configured
// root and the previous, the current or, within the skew, the next window;
// no crit or other parameter beyond alg, kid, typ); one signature check
// under the kid's key; the claims (strict JSON; exp and iat required; exp after now; nbf and
// iat not after now plus the skew; iat within the maximum age; iss and aud
// when configured); the revocation check; the claims' own Validate method;
// last, for an N-use token ([UsesClaim]), one use consumed.
//
// Claims are read once. RegisteredClaims, MapClaims, and the plain fields of
// a struct embedding RegisteredClaims (strings, bools, numbers, []string,
// any, []any, map[string]any) are filled from jwtrot's own reading of the
// payload, with the values encoding/json would give; other fields go to
// encoding/json. Decoded strings share one buffer, the decoded payload (at
// most the size cap): keeping any of them keeps that buffer.
func (a *Authority) Verify(ctx context.Context, token string, claims jwt.Claims) (Result, error) {
	return a.run(ctx, token, claims, trace{resign: true})
}

// Refresh checks token as Verify does, decoding no claims and consuming no
// use of an N-use token, and returns the token's [Result]: for a token of
// the previous window, Resigned holds it re-signed under the current
// window's key of the same root (SPEC §7). It is what the issuer's refresh
// handler serves to verifiers that hold no secret and cannot re-sign
// (httpauth.NewRefreshHandler).
func (a *Authority) Refresh(ctx context.Context, token string) (Result, error) {
	return a.run(ctx, token, nil, trace{resign: true, refresh: true})
}

// run verifies a token and tells the observer. tr says what the caller
// asks beyond verification: an Authority's re-signing, a refresh (which
// consumes no use).
func (a *pipeline) run(ctx context.Context, token string, claims jwt.Claims, tr trace) (Result, error) {
	var start time.Time
	if a.observe != nil {
		start = time.Now() // monotonic; only when someone looks
	}
	res, err := a.verify(ctx, token, claims, &tr)
	if err != nil {
		zeroClaims(claims)
		res = Result{}
	}
	if a.observe == nil {
		return res, err
	}
	a.observe(Outcome{
		Code:            Code(err),
		Position:        res.Position,
		Purpose:         a.purpose,
		RootID:          tr.rootID,
		KeyID:           res.KeyID,
		Resigned:        res.Resigned != "",
		Duration:        time.Since(start),
		StoreConsulted:  tr.store,
		StoreFailed:     tr.store && errors.Is(err, ErrRevocationCheck),
		KeySourceFailed: errors.Is(err, ErrKeyUnavailable) || errors.Is(err, ErrNotReady),
		Err:             err,
	})
	return res, err
}

// trace is what verify tells the observer beyond its result.
type trace struct {
	rootID string // the root whose key was chosen
	store  bool   // the revocation store or use counter was asked
	// resign: an Authority's, whose keys sign, re-signing a token of the
	// previous window; refresh: Authority.Refresh, which consumes no use.
	resign, refresh bool
}

func (a *pipeline) verify(ctx context.Context, token string, claims jwt.Claims, tr *trace) (Result, error) {
	if err := checkClaimsValue(claims); err != nil {
		return Result{}, err
	}
	// Step 1 and 2 of SPEC §6: size, three segments, strict and canonical
	// base64url, all before anything looks at the header.
	if len(token) > a.maxSize {
		return Result{}, ErrTooLarge
	}
	d1 := strings.IndexByte(token, '.')
	if d1 < 0 {
		return Result{}, errTooFewSegments
	}
	d2 := strings.IndexByte(token[d1+1:], '.')
	if d2 < 0 {
		return Result{}, errTooFewSegments
	}
	d2 += d1 + 1
	if strings.IndexByte(token[d2+1:], '.') >= 0 {
		return Result{}, errTooFewSegments
	}
	header, payload, sig := token[:d1], token[d1+1:d2], token[d2+1:]
	if header == "" || payload == "" || sig == "" {
		return Result{}, errEmptySegment
	}
	for _, seg := range [...]string{header, payload, sig} {
		if !base64url.Valid(seg) {
			return Result{}, errNotBase64
		}
		if !base64url.Canonical(seg) {
			return Result{}, errNotCanonical
		}
	}

	if !a.ready.Load() {
		if err := a.becomeReady(); err != nil {
			return Result{}, err
		}
	}
	now := a.sched.Now()
	ws := a.windowsAt(now)
	e, err := a.matchHeader(ctx, ws, header, now)
	if err != nil {
		return Result{}, err
	}
	tr.rootID = e.rootID

	if len(sig) != base64.RawURLEncoding.EncodedLen(a.alg.SignatureSize()) {
		return Result{}, errSigLength
	}
	// The signature (an HMAC or an Ed25519 signature) is checked over the
	// token's own bytes, not a copy: bytesOf gives a read-only view that
	// the hash reads and does not keep.
	var signature [64]byte
	n, err := rawURL.Decode(signature[:], bytesOf(sig))
	if err != nil {
		return Result{}, errNotBase64 // checked before: step 2
	}
	if !verifySignature(e.key, bytesOf(token[:d2]), signature[:n]) {
		return Result{}, ErrBadSignature
	}

	p := make([]byte, base64.RawURLEncoding.DecodedLen(len(payload)))
	n, err = rawURL.Decode(p, bytesOf(payload))
	if err != nil {
		return Result{}, errNotBase64 // checked before: step 2
	}
	p = p[:n]
	var c jwtjson.Claims
	if err := jwtjson.ScanClaims(p, &c); err != nil {
		return Result{}, malformed(err)
	}
	if err := a.checkClaims(p, &c, now); err != nil {
		return Result{}, err
	}
	res := Result{
		KeyID:    e.key.ID(),
		Window:   e.key.Window(),
		Position: e.pos,
		IssuedAt: time.Unix(c.Iat, 0),
		Expires:  time.Unix(c.Exp, 0),
	}
	var info TokenInfo
	if a.revoker != nil || c.HasUses {
		info = TokenInfo{IssuedAt: issuedAt(p, &c), Expires: res.Expires, MaxUses: int(c.Uses)}
		if c.HasSub {
			info.Subject = c.Sub.Text(p)
		}
		if c.HasJti {
			info.ID = c.Jti.Text(p)
		}
	}
	if a.revoker != nil {
		tr.store = true
		revoked, err := a.revoker.Revoked(ctx, info)
		if err != nil {
			if errors.Is(err, ErrRevocationsLost) {
				return Result{}, errLost
			}
			return Result{}, &CauseError{Reason: ErrRevocationCheck, Cause: err}
		}
		if revoked {
			return Result{}, ErrRevoked
		}
	}
	if err := decodeClaims(p, &c, claims); err != nil {
		return Result{}, err
	}
	if c.HasUses && !tr.refresh {
		tr.store = tr.store || a.uses != nil
		if err := a.consumeUse(ctx, info); err != nil {
			return Result{}, err
		}
	}
	if tr.resign && e.pos == rotation.Previous && e.current != nil {
		if sk, ok := e.current.key.(*rotation.Key); ok {
			res.Resigned = resign(e.current, sk, payload)
		}
	}
	return res, nil
}

// matchHeader finds the acceptable key whose canonical header is exactly
// header, or else reads header strictly to find the key or the reason. A key
// the source does not hold yet is fetched (a source that cannot fetch
// answers at once).
func (a *pipeline) matchHeader(ctx context.Context, ws *windowSet, header string, now time.Time) (*windowEntry, error) {
	for i := range ws.entries {
		e := &ws.entries[i]
		if e.header != header {
			continue
		}
		if e.pos == rotation.Next {
			// The set holds the next window from the skew before its
			// start; the schedule says from when it is accepted.
			if _, err := a.sched.Position(ws.index+1, now); err != nil {
				return nil, fromRotation(err)
			}
		}
		if e.key != nil {
			return e, nil
		}
		return a.fetch(ctx, ws, e.rootID, ws.index+int64(e.pos), e.pos, true)
	}
	rootID, index, err := a.readHeader(ws, header)
	if err != nil {
		return nil, err
	}
	held := ws.holds(rootID)
	pos, err := a.sched.Position(index, now)
	if err != nil {
		// A window that is not acceptable is refused here, never fetched;
		// a root that is not held is the first thing wrong with it.
		if !held {
			return nil, ErrUnknownKeyID
		}
		return nil, fromRotation(err)
	}
	for i := range ws.entries {
		if e := &ws.entries[i]; e.key != nil && e.rootID == rootID && ws.index+int64(e.pos) == index {
			return e, nil
		}
	}
	return a.fetch(ctx, ws, rootID, index, pos, held)
}

// fetch finds the key of an acceptable window that the window set lacks: a
// key the source has obtained since the set was built, or one it fetches
// now. A source fetches at most a few times per window however many tokens
// ask, so a flood of kids naming unheld roots costs nothing remote.
func (a *pipeline) fetch(ctx context.Context, ws *windowSet, rootID string, index int64, pos rotation.Position, held bool) (*windowEntry, error) {
	w := a.sched.Window(index)
	k, err := a.src.Key(rootID, w)
	if f, ok := a.src.(Fetcher); ok && err != nil {
		k, err = f.Fetch(ctx, rootID, w)
	}
	if err != nil {
		if !held && !errors.Is(err, rotation.ErrKeyUnavailable) {
			return nil, ErrUnknownKeyID
		}
		return nil, fromRotation(err)
	}
	return &windowEntry{key: k, rootID: rootID, pos: pos, current: ws.currentOf(rootID)}, nil
}

// verifySignature calls the key's own Verify directly for the key types of
// package rotation, so that sig, on the caller's stack, does not escape
// through an interface call; another VerifyingKey gets a copy.
func verifySignature(k rotation.VerifyingKey, msg, sig []byte) bool {
	switch k := k.(type) {
	case *rotation.Key:
		return k.Verify(msg, sig)
	case *rotation.PublicKey:
		return k.Verify(msg, sig)
	}
	return k.Verify(msg, append([]byte(nil), sig...))
}

// fromRotation turns an error of package rotation about a kid into this
// package's reason, which errors.Is also matches with the rotation one.
func fromRotation(err error) error {
	for _, r := range [...]error{ErrUnknownKeyID, ErrWindowRetired, ErrWindowNotOpen, ErrKeyUnavailable} {
		if errors.Is(err, r.(*reason).alias) {
			return r
		}
	}
	return ErrUnknownKeyID
}

// checkClaims applies the registered-claim rules to a scanned payload.
func (a *pipeline) checkClaims(p []byte, c *jwtjson.Claims, now time.Time) error {
	switch {
	case !c.HasExp:
		return errNoExp
	case !c.HasIat:
		return errNoIat
	case now.Unix() >= c.Exp:
		return ErrExpired
	}
	late := now.Add(a.sched.Skew())
	if c.HasNbf && time.Unix(c.Nbf, 0).After(late) {
		return ErrNotYetValid
	}
	iat := time.Unix(c.Iat, 0)
	if iat.After(late) {
		return ErrIssuedInFuture
	}
	if now.Sub(iat) > a.maxAge {
		return ErrTooOld
	}
	if a.issuer != "" {
		if !c.HasIss {
			return errNoIss
		}
		if !c.Iss.Equal(p, a.issuer) {
			return ErrIssuer
		}
	}
	if a.aud != "" {
		if !c.HasAud {
			return errNoAud
		}
		if !hasAudience(p, c, a.aud) {
			return ErrAudience
		}
	}
	return nil
}

func hasAudience(p []byte, c *jwtjson.Claims, aud string) bool {
	for _, sp := range c.Audience() {
		if sp.Equal(p, aud) {
			return true
		}
	}
	return false
}

// checkClaimsValue refuses a claims value Verify cannot decode into, before
// any work: a typed nil pointer, a nil MapClaims, or anything that is not a
// pointer (a RegisteredClaims or user struct passed by value). A nil
// interface asks for no claims.
func checkClaimsValue(claims jwt.Claims) error {
	switch dst := claims.(type) {
	case nil:
		return nil
	case *jwt.RegisteredClaims:
		if dst == nil {
			return errNilClaims
		}
		return nil
	case jwt.MapClaims:
		if dst == nil {
			return errNilClaims
		}
		return nil
	}
	if v := reflect.ValueOf(claims); v.Kind() != reflect.Pointer {
		return errClaimsNotPointer
	} else if v.IsNil() {
		return errNilClaims
	}
	return nil
}

// decodeClaims delivers the verified payload into the caller's claims,
// already checked by checkClaimsValue.
func decodeClaims(p []byte, c *jwtjson.Claims, claims jwt.Claims) error {
	if claims == nil {
		return nil
	}
	if err := c.Decode(p, claims); err != nil {
		return decodeError(err)
	}
	if v, ok := claims.(jwt.ClaimsValidator); ok {
		if err := v.Validate(); err != nil {
			return &CauseError{Reason: ErrInvalidClaims, Cause: err}
		}
	}
	return nil
}

// decodeError describes why encoding/json could not decode a payload into
// the claims type without its text, which quotes the offending value
// ("cannot unmarshal number 987654321987 into ..."): only the kind of JSON
// value and the Go type it did not fit, both from the caller's code.
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Type != nil {
		kind, _, _ := strings.Cut(te.Value, " ")
		return fmt.Errorf("%w: a JSON %s does not fit the Go type %s", ErrInvalidClaims, kind, te.Type)
	}
	return errClaimsDecode
}

// zeroClaims empties the caller's claims after a refusal.
func zeroClaims(claims jwt.Claims) {
	switch dst := claims.(type) {
	case nil:
	case jwt.MapClaims:
		clear(dst)
	default:
		if v := reflect.ValueOf(claims); v.Kind() == reflect.Pointer && !v.IsNil() {
			v.Elem().SetZero()
		}
	}
}

// resign signs the unchanged payload segment under cur's header and key sk.
func resign(cur *windowEntry, sk *rotation.Key, payload string) string {
	return seal(sk, append(cur.startToken(len(payload)), payload...))
}

// startToken returns a buffer holding e's header and a dot, with room for
// an encoded payload of n bytes and the signature.
func (e *windowEntry) startToken(n int) []byte {
	out := make([]byte, 0, len(e.header)+1+n+1+base64.RawURLEncoding.EncodedLen(e.key.Algorithm().SignatureSize()))
	return append(append(out, e.header...), '.')
}

// seal appends a dot and the signature of the signing input to it, under
// sk.
func seal(sk *rotation.Key, input []byte) string {
	var buf [64]byte
	m := sk.AppendSignature(buf[:0], input)
	out := base64.RawURLEncoding.AppendEncode(append(input, '.'), m)
	// out is this call's own buffer, never written again: the token views
	// it rather than copying it.
	return unsafe.String(unsafe.SliceData(out), len(out))
}

// bytesOf returns the bytes of s without copying them. The result must only
// be read, and not kept beyond s: hashing and base64 decoding do both.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
