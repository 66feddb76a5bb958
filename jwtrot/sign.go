package jwtrot

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/internal/jwtjson"
	"github.com/jwtrot/jwtrot/rotation"
)

// ErrSign wraps the reasons Sign refuses a set of claims.
var ErrSign = errors.New("jwtrot: cannot sign")

// Sign returns a token carrying claims, signed with the current window's key
// of the root that issues (the first root, or the one a keyring says issues
// now). claims may be a jwt.RegisteredClaims (or a pointer to
// one), a jwt.MapClaims, or any struct embedding jwt.RegisteredClaims: it is
// encoded with encoding/json, then completed with what it lacks: iat (now),
// exp (iat plus the TTL), iss and aud (when configured) and a 128-bit jti
// (unless disabled) that holds the signing instant to the nanosecond and 64
// random bits (SPEC §12.1), so that a subject's revocation is exact to the
// nanosecond.
//
// Sign never issues a token that [Authority.Verify] at the same instant
// would refuse for a reason the signer caused. It refuses, wrapping
// [ErrSign]: claims its verifier would not read (such as both "exp" and
// "EXP", or more than 64 members once completed); a token longer than the
// size cap; no exp and no TTL; an exp that is not in the future, or beyond
// year 9999; an iat in the future, older than the maximum age, or before
// 1970 (a clock set before 1970 included); an nbf later than now plus the
// skew; an empty jti, which no revocation by id could reach; an iss or aud
// this Authority would refuse.
func (a *Authority) Sign(claims jwt.Claims) (string, error) {
	var p []byte
	if claims == nil {
		p = []byte("{}")
	} else {
		var err error
		if p, err = json.Marshal(claims); err != nil {
			// encoding/json's text may quote a value: say only the type.
			return "", fmt.Errorf("%w: the claims (%T) do not encode as JSON", ErrSign, claims)
		}
	}
	var c jwtjson.Claims
	if err := jwtjson.ScanClaims(p, &c); err != nil {
		return "", &signError{malformed(err)}
	}
	if err := a.checkUses(&c); err != nil {
		return "", err
	}
	now := a.sched.Now()
	p, err := a.complete(p, &c, now)
	if err != nil {
		return "", err
	}
	ws := a.windowsAt(now)
	if !ws.issuing {
		return "", fmt.Errorf("%w: %w", ErrSign, rotation.ErrNoIssuingRoot)
	}
	e := &ws.entries[0]             // the issuing root's current window
	sk, ok := e.key.(*rotation.Key) // nil when the key is unavailable
	if !ok {
		return "", fmt.Errorf("%w: %w", ErrSign, ErrKeyUnavailable)
	}
	n := base64.RawURLEncoding.EncodedLen(len(p))
	if size := len(e.header) + 1 + n + 1 + base64.RawURLEncoding.EncodedLen(a.alg.SignatureSize()); size > a.maxSize {
		return "", fmt.Errorf("%w: the token would be %d bytes, over the size cap of %d (WithMaxSize)", ErrSign, size, a.maxSize)
	}
	out := e.startToken(n)
	return seal(sk, base64.RawURLEncoding.AppendEncode(out, p)), nil
}

// complete appends the claims p lacks and checks those it has, so that the
// token's claims pass checkClaims at now.
func (a *Authority) complete(p []byte, c *jwtjson.Claims, now time.Time) ([]byte, error) {
	var add []byte
	added := 0
	member := func(name string) {
		if c.Members > 0 || len(add) > 0 {
			add = append(add, ',')
		}
		add = append(add, '"')
		add = append(add, name...)
		add = append(add, '"', ':')
		added++
	}
	iat := now.Unix()
	if c.HasIat {
		iat = c.Iat
	}
	exp := c.Exp
	if !c.HasExp {
		exp = iat + int64(a.ttl/time.Second)
	}
	switch {
	case iat < 0:
		return nil, fmt.Errorf("%w: the clock is before 1970; iat would be negative", ErrSign)
	case !c.HasExp && a.ttl == 0:
		return nil, fmt.Errorf("%w: no exp and no TTL configured", ErrSign)
	case exp <= now.Unix():
		return nil, fmt.Errorf("%w: exp is not in the future", ErrSign)
	case exp > jwtjson.MaxNumericDate:
		return nil, fmt.Errorf("%w: exp would be after 9999-12-31", ErrSign)
	case c.HasIat && time.Unix(c.Iat, 0).After(now.Add(a.sched.Skew())):
		return nil, fmt.Errorf("%w: iat is in the future", ErrSign)
	case now.Sub(time.Unix(iat, 0)) > a.maxAge:
		return nil, fmt.Errorf("%w: iat is older than the maximum age", ErrSign)
	case c.HasNbf && time.Unix(c.Nbf, 0).After(now.Add(a.sched.Skew())):
		return nil, fmt.Errorf("%w: nbf is later than now plus the skew: the token would be refused until then", ErrSign)
	case c.HasJti && c.Jti.Start == c.Jti.End:
		return nil, fmt.Errorf("%w: jti is empty: no revocation by id could reach the token", ErrSign)
	case a.issuer != "" && c.HasIss && !c.Iss.Equal(p, a.issuer):
		return nil, fmt.Errorf("%w: iss is not the configured issuer", ErrSign)
	case a.aud != "" && c.HasAud && !hasAudience(p, c, a.aud):
		return nil, fmt.Errorf("%w: aud does not name the configured audience", ErrSign)
	}
	if !c.HasIat {
		member("iat")
		add = strconv.AppendInt(add, iat, 10)
	}
	if !c.HasExp {
		member("exp")
		add = strconv.AppendInt(add, exp, 10)
	}
	if a.issuer != "" && !c.HasIss {
		member("iss")
		add = appendJSONString(add, a.issuer)
	}
	if a.aud != "" && !c.HasAud {
		member("aud")
		add = appendJSONString(add, a.aud)
	}
	if a.ids && !c.HasJti {
		// A time-ordered jti (SPEC §12.1): the signing instant in Unix
		// nanoseconds, then 64 random bits. With iat it gives the token's
		// issue instant to the nanosecond, for exact subject revocation.
		var id [16]byte
		binary.BigEndian.PutUint64(id[:8], uint64(now.UnixNano()))
		rand.Read(id[8:])
		member("jti")
		add = append(add, '"')
		add = base64.RawURLEncoding.AppendEncode(add, id[:])
		add = append(add, '"')
	}
	if c.Members+added > jwtjson.MaxMembers {
		return nil, fmt.Errorf("%w: %d claims with the %d Sign adds are more than the 64 a verifier reads", ErrSign, c.Members, added)
	}
	if len(add) == 0 {
		return p, nil
	}
	out := make([]byte, 0, c.Last+len(add)+1)
	out = append(out, p[:c.Last]...)
	out = append(out, add...)
	return append(out, '}'), nil
}

// A signError is Sign's refusal of claims its verifier would not read: it
// matches ErrSign and the reason, with one "jwtrot:" prefix.
type signError struct{ reason error }

func (e *signError) Error() string {
	return ErrSign.Error() + ": " + strings.TrimPrefix(e.reason.Error(), "jwtrot: ")
}

func (e *signError) Unwrap() []error { return []error{ErrSign, e.reason} }

func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}
