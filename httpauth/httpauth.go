// Package httpauth is net/http middleware that verifies jwtrot tokens,
// hands re-signed tokens back to the client, and explains refusals the way
// RFC 6750 says to.
//
// # Use
//
// Build a [Middleware] from a [jwtrot.Authority] and wrap handlers with
// [Middleware.Handler], of the standard shape func(http.Handler) http.Handler,
// so it fits net/http's ServeMux, chi, gorilla/mux or anything that takes a
// handler:
//
//	mw, err := httpauth.New(auth)
//	mux.Handle("GET /api/", mw.Handler(api))
//	mux.Handle("POST /api/transfer", mw.Require(httpauth.Policy{MaxAge: 5 * time.Minute, Scopes: []string{"transfer"}})(transfer))
//
// Handlers read the verified claims with [ClaimsFrom].
//
// # Tokens in, tokens out
//
// The token comes from the Authorization header as a Bearer token (RFC 6750
// §2.1) or, with [WithCookie], from a cookie for browser sessions. When a
// token verified in the previous window, the re-signed token goes back before
// the handler writes anything: in the [DefaultRefreshHeader] response header
// (see [WithRefreshHeader]) or, in cookie mode, as a fresh cookie (HttpOnly,
// Secure, SameSite, Max-Age until the token's exp). Such responses also get
// Cache-Control: no-store. A browser client on another origin can read the
// header only if CORS exposes it: add it to Access-Control-Expose-Headers.
//
// # Refusals
//
// A request with no token gets 401 and WWW-Authenticate: Bearer realm="..."
// with no error code (RFC 6750 §3.1). A refused token gets 401 with
// error="invalid_token" and an error_description naming the reason ("token
// expired", "key window retired", "bad signature", ...; see
// [jwtrot.Reason]), never the token. A token that does not meet a route's
// scopes gets 403 with error="insufficient_scope". [WithJSONErrors] adds a
// JSON body. Nothing about the token is logged.
package httpauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
)

// DefaultRefreshHeader is the response header that carries a re-signed token.
const DefaultRefreshHeader = "Refreshed-Token"

// A Middleware verifies the tokens of incoming requests. It is safe for
// concurrent use.
type Middleware struct {
	auth      *jwtrot.Authority
	realm     string
	header    string
	cookie    *http.Cookie // template; nil for Bearer tokens only
	jsonBody  bool
	newClaims func() jwt.Claims
}

// An Option configures a [Middleware].
type Option func(*Middleware)

// WithRealm sets the realm named in WWW-Authenticate (default "api").
func WithRealm(realm string) Option { return func(m *Middleware) { m.realm = realm } }

// WithRefreshHeader sets the response header that carries a re-signed token
// (default [DefaultRefreshHeader]).
func WithRefreshHeader(name string) Option { return func(m *Middleware) { m.header = name } }

// WithCookie makes the middleware read the token from the cookie name when
// the request has no Authorization header, and send re-signed tokens as that
// cookie: HttpOnly, Secure, with the given SameSite mode and Path "/", and a
// Max-Age that ends at the token's exp.
func WithCookie(name string, sameSite http.SameSite) Option {
	return func(m *Middleware) {
		m.cookie = &http.Cookie{Name: name, Path: "/", HttpOnly: true, Secure: true, SameSite: sameSite}
	}
}

// WithJSONErrors adds a JSON body to refusals:
// {"error":"invalid_token","error_description":"token expired"}.
func WithJSONErrors() Option { return func(m *Middleware) { m.jsonBody = true } }

// WithClaims sets the claims type handlers receive: newClaims returns a new
// pointer (default: a new *jwt.RegisteredClaims, the fastest to decode).
// Routes that require scopes need a type with a Scopes method, such as
// [ScopedClaims].
func WithClaims(newClaims func() jwt.Claims) Option {
	return func(m *Middleware) { m.newClaims = newClaims }
}

// New returns a Middleware that verifies tokens with auth.
func New(auth *jwtrot.Authority, opts ...Option) (*Middleware, error) {
	if auth == nil {
		return nil, errors.New("httpauth: nil Authority")
	}
	m := &Middleware{auth: auth, realm: "api", header: DefaultRefreshHeader,
		newClaims: func() jwt.Claims { return new(jwt.RegisteredClaims) }}
	for _, o := range opts {
		o(m)
	}
	if strings.ContainsAny(m.realm, "\"\\\r\n") {
		return nil, errors.New("httpauth: realm must not contain quotes, backslashes or line breaks")
	}
	if m.header == "" || !validToken(m.header) {
		return nil, fmt.Errorf("httpauth: %q is not a valid header name", m.header)
	}
	if m.cookie != nil && !validToken(m.cookie.Name) {
		return nil, fmt.Errorf("httpauth: %q is not a valid cookie name", m.cookie.Name)
	}
	if m.newClaims == nil {
		return nil, errors.New("httpauth: nil claims constructor")
	}
	return m, nil
}

// A Policy is what a route demands beyond a valid token.
type Policy struct {
	// MaxAge, if set, refuses tokens issued longer ago than this: sensitive
	// routes accept only fresh tokens (a recent login).
	MaxAge time.Duration
	// Audience, if set, must be named in the token's aud.
	Audience string
	// Scopes must all be in the token's scopes (403 insufficient_scope if
	// not). The claims type must have a Scopes() []string method.
	Scopes []string
}

// Handler verifies each request's token before calling next.
func (m *Middleware) Handler(next http.Handler) http.Handler { return m.Require(Policy{})(next) }

// Require returns middleware that verifies each request's token and applies p.
func (m *Middleware) Require(p Policy) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.serve(w, r, next, &p)
		})
	}
}

func (m *Middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler, p *Policy) {
	tok, err := m.token(r)
	if err != nil {
		m.refuse(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if tok == "" {
		m.refuse(w, http.StatusUnauthorized, "", "")
		return
	}
	claims := m.newClaims()
	res, err := m.auth.Verify(r.Context(), tok, claims)
	if err != nil {
		m.refuse(w, http.StatusUnauthorized, "invalid_token", jwtrot.Reason(err))
		return
	}
	if p.MaxAge > 0 && m.auth.Deriver().Now().Sub(res.IssuedAt) > p.MaxAge {
		m.refuse(w, http.StatusUnauthorized, "invalid_token", "token too old for this resource")
		return
	}
	if p.Audience != "" {
		aud, _ := claims.GetAudience()
		if !slices.Contains(aud, p.Audience) {
			m.refuse(w, http.StatusUnauthorized, "invalid_token", "wrong audience")
			return
		}
	}
	if len(p.Scopes) > 0 {
		sc, ok := claims.(interface{ Scopes() []string })
		if !ok || !containsAll(sc.Scopes(), p.Scopes) {
			m.refuse(w, http.StatusForbidden, "insufficient_scope", "insufficient scope")
			return
		}
	}
	if res.Resigned != "" {
		m.sendRefreshed(w, res)
	}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
}

var errTwoTokens = errors.New("more than one Authorization header")

// token finds the request's token: "" when there is none.
func (m *Middleware) token(r *http.Request) (string, error) {
	auth := r.Header["Authorization"] // canonical already: no lookup work
	switch len(auth) {
	case 0:
		if m.cookie != nil {
			if c, err := r.Cookie(m.cookie.Name); err == nil {
				return c.Value, nil
			}
		}
		return "", nil
	case 1:
	default:
		return "", errTwoTokens
	}
	// RFC 6750 §2.1: "Bearer" (any case), one or more spaces, the token.
	v := auth[0]
	if len(v) < 7 || v[6] != ' ' || !strings.EqualFold(v[:6], "Bearer") {
		return "", nil // another scheme: no Bearer token here
	}
	return strings.TrimLeft(v[7:], " "), nil
}

func (m *Middleware) sendRefreshed(w http.ResponseWriter, res jwtrot.Result) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if m.cookie == nil {
		h.Set(m.header, res.Resigned)
		return
	}
	c := *m.cookie
	c.Value = res.Resigned
	c.MaxAge = max(int(res.Expires.Sub(m.auth.Deriver().Now())/time.Second), 1)
	http.SetCookie(w, &c)
}

// refuse writes a 400, 401 or 403 with its WWW-Authenticate challenge.
func (m *Middleware) refuse(w http.ResponseWriter, status int, code, description string) {
	challenge := `Bearer realm="` + m.realm + `"`
	if code != "" {
		challenge += `, error="` + code + `", error_description="` + description + `"`
	}
	h := w.Header()
	h.Set("WWW-Authenticate", challenge)
	h.Set("Cache-Control", "no-store")
	if !m.jsonBody || code == "" {
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, description})
}

type claimsKey struct{}

// ClaimsFrom returns the verified claims the middleware put in ctx, as the
// type the middleware decodes into (*jwt.RegisteredClaims by default).
func ClaimsFrom[C jwt.Claims](ctx context.Context) (C, bool) {
	c, ok := ctx.Value(claimsKey{}).(C)
	return c, ok
}

// ScopedClaims are registered claims with a space-separated scope claim
// (RFC 8693 §4.2), for routes whose Policy requires scopes.
type ScopedClaims struct {
	jwt.RegisteredClaims
	Scope string `json:"scope,omitempty"`
}

// Scopes returns the scope claim split on spaces.
func (c *ScopedClaims) Scopes() []string { return strings.Fields(c.Scope) }

func containsAll(have, want []string) bool {
	for _, s := range want {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}

// validToken reports whether s is an RFC 9110 token (header or cookie name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}
