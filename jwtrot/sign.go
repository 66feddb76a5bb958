package jwtrot

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrSign wraps the reasons Sign refuses a set of claims.
var ErrSign = errors.New("jwtrot: cannot sign")

// Sign returns a token carrying claims, signed with the current window's key
// of the first root. claims may be a jwt.RegisteredClaims (or a pointer to
// one), a jwt.MapClaims, or any struct embedding jwt.RegisteredClaims: it is
// encoded with encoding/json, then completed with what it lacks: iat (now),
// exp (iat plus the TTL), iss and aud (when configured) and a random 128-bit
// jti (unless disabled). Sign refuses claims without exp when no TTL is
// configured, an exp that is not in the future, an iss or aud that this
// Authority would refuse, and claims its own verifier would not read (such as
// both "exp" and "EXP").
func (a *Authority) Sign(claims jwt.Claims) (string, error) {
	p, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSign, err)
	}
	if claims == nil {
		p = []byte("{}")
	}
	c, err := scanClaims(p)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSign, err)
	}
	now := a.d.Now()
	p, err = a.complete(p, &c, now)
	if err != nil {
		return "", err
	}
	e := &a.windowsAt(now).entries[0] // the first root's current window
	if e.key == nil {
		return "", fmt.Errorf("%w: %w", ErrSign, ErrKeyUnavailable)
	}
	out := e.startToken(base64.RawURLEncoding.EncodedLen(len(p)))
	return e.seal(base64.RawURLEncoding.AppendEncode(out, p)), nil
}

// complete appends the claims p lacks and checks those it has.
func (a *Authority) complete(p []byte, c *claimSet, now time.Time) ([]byte, error) {
	var add []byte
	member := func(name string) {
		if c.members > 0 || len(add) > 0 {
			add = append(add, ',')
		}
		add = append(add, '"')
		add = append(add, name...)
		add = append(add, '"', ':')
	}
	switch {
	case c.hasExp && c.exp <= now.Unix():
		return nil, fmt.Errorf("%w: exp is not in the future", ErrSign)
	case !c.hasExp && a.ttl == 0:
		return nil, fmt.Errorf("%w: no exp and no TTL configured", ErrSign)
	case c.hasIat && time.Unix(c.iat, 0).After(now.Add(a.skew)):
		return nil, fmt.Errorf("%w: iat is in the future", ErrSign)
	case a.issuer != "" && c.hasIss && !spanEqual(p, c.iss, a.issuer):
		return nil, fmt.Errorf("%w: iss is not the configured issuer", ErrSign)
	case a.aud != "" && c.hasAud && !hasAudience(p, c, a.aud):
		return nil, fmt.Errorf("%w: aud does not name the configured audience", ErrSign)
	}
	iat := now.Unix()
	if c.hasIat {
		iat = c.iat
	} else {
		member("iat")
		add = strconv.AppendInt(add, iat, 10)
	}
	if !c.hasExp {
		member("exp")
		add = strconv.AppendInt(add, iat+int64(a.ttl/time.Second), 10)
	}
	if a.issuer != "" && !c.hasIss {
		member("iss")
		add = appendJSONString(add, a.issuer)
	}
	if a.aud != "" && !c.hasAud {
		member("aud")
		add = appendJSONString(add, a.aud)
	}
	if a.ids && !c.hasJti {
		var id [16]byte
		rand.Read(id[:])
		member("jti")
		add = append(add, '"')
		add = base64.RawURLEncoding.AppendEncode(add, id[:])
		add = append(add, '"')
	}
	if len(add) == 0 {
		return p, nil
	}
	out := make([]byte, 0, c.last+len(add)+1)
	out = append(out, p[:c.last]...)
	out = append(out, add...)
	return append(out, '}'), nil
}

func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}
