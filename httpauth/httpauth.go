// Package httpauth is net/http middleware that verifies jwtrot tokens,
// hands re-signed tokens back to the client, and explains refusals the way
// RFC 6750 and RFC 9470 say to.
//
// # Use
//
// Build a [Middleware] from a [jwtrot.Authority] (or, on a service that
// holds no secret, a [jwtrot.Verifier]) and wrap handlers with
// [Middleware.Handler], of the standard shape func(http.Handler) http.Handler,
// so it fits net/http's ServeMux, chi, gorilla/mux or anything that takes a
// handler:
//
//	mw, err := httpauth.New(auth, httpauth.WithClaims(func() jwt.Claims { return new(httpauth.ScopedClaims) }))
//	mux.Handle("GET /api/", mw.Handler(api))
//	mux.Handle("POST /api/transfer", mw.Require(httpauth.Policy{AuthAge: 5 * time.Minute, Scopes: []string{"transfer"}})(transfer))
//
// Handlers read the verified claims with [ClaimsFrom]. A route that also
// serves anonymous users takes [Middleware.Optional]: without a token the
// handler runs with no claims; a bad token is refused all the same. Mistakes are caught
// when the middleware or the route is built, not on every request: New
// refuses a WithClaims that does not return a new pointer; Require panics,
// as http.ServeMux does for a bad pattern, on a negative AuthAge or on
// Scopes with a claims type that has none.
//
// # Tokens in, tokens out
//
// The token comes from the Authorization header as a Bearer token (RFC 6750
// §2.1) or, with [WithCookie], from a cookie for browser sessions (an
// Authorization header of another scheme, such as Basic, does not hide the
// cookie; two cookies of the session's name are refused, since one may have
// been tossed in by a sibling domain). When a token verified in the
// previous window, the re-signed token goes back the way the token came,
// before the handler writes anything and whatever the route's policy then
// decides: in the [DefaultRefreshHeader] response header (see
// [WithRefreshHeader]) for a Bearer token, as a fresh cookie (HttpOnly,
// Secure, SameSite, Max-Age until the token's exp) for a cookie. Such
// responses also get Cache-Control: no-store. A browser client on another
// origin can read the header only if CORS exposes it: add it to
// Access-Control-Expose-Headers. CORS preflight requests pass through
// unauthenticated ([WithPreflight]). [WithTokenSources] changes where a
// token is looked for and in what order: another header ([HeaderToken]), a
// cookie of another name ([CookieToken]), a WebSocket subprotocol
// ([WebSocketProtocolToken]) for browsers, or a [TokenSource] of the
// application's own.
//
// # Refusals
//
// A request with no token gets 401 and WWW-Authenticate: Bearer realm="..."
// with no error code (RFC 6750 §3.1). A refused token gets 401 with
// error="invalid_token" and an error_description naming the reason ("token
// expired", "key window retired", "bad signature", ...; see
// [jwtrot.Reason]), never the token; a refused session cookie is cleared.
// A route demanding a fresher login than the token's gets 401 with RFC
// 9470's error="insufficient_user_authentication" and max_age; a token
// without a route's scopes gets 403 with error="insufficient_scope" and the
// scope needed (RFC 6750 §3). When the revocation store or the root's
// module fails, the server is at fault, not the token: 503 with
// Retry-After, so clients keep their token. [WithJSONErrors] adds a JSON
// body to every refusal; [WithRefusalWriter] writes refusals in the
// application's own format (RFC 9457 problem details, say) after the
// challenge has been set. Nothing about the token is logged.
//
// # Issuing tokens
//
// [NewClientCredentialsHandler] is an OAuth 2.0 token endpoint (RFC 6749
// §4.4) that standard clients talk to, the application deciding who a
// client is and what it gets through [Clients] ([ClientSecrets] for a fixed
// set). [NewTokenHandler] signs batches of claims for a caller the
// application authenticates its own way; [NewRefreshHandler] re-signs
// tokens for verifiers that hold no secret ([WithIssuerRefresh]).
package httpauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// DefaultRefreshHeader is the response header that carries a re-signed token.
const DefaultRefreshHeader = "Refreshed-Token"

// A Middleware verifies the tokens of incoming requests. It is safe for
// concurrent use.
type Middleware struct {
	auth      TokenVerifier
	realm     string
	header    string
	cookie    *http.Cookie // template; nil for Bearer tokens only
	jsonBody  bool
	preflight bool // pass CORS preflight requests through
	newClaims func() jwt.Claims
	scoped    bool // newClaims' type has a Scopes method
	refresher *refresher

	sources         []TokenSource // nil: the Bearer header, then the cookie
	sourcesSet      bool
	writeRefusal    func(http.ResponseWriter, *http.Request, Refusal)
	writeRefusalSet bool

	refreshObserver    func(IssuerRefresh)
	refreshObserverSet bool
}

// A TokenVerifier verifies tokens for a [Middleware]: a [jwtrot.Authority],
// which holds the root and re-signs previous-window tokens itself, or a
// [jwtrot.Verifier], which holds public keys only (see [WithIssuerRefresh]).
type TokenVerifier interface {
	Verify(ctx context.Context, token string, claims jwt.Claims) (jwtrot.Result, error)
	Schedule() *rotation.Schedule
}

// An Option configures a [Middleware].
type Option func(*Middleware)

// WithRealm sets the realm named in WWW-Authenticate (default "api").
func WithRealm(realm string) Option { return func(m *Middleware) { m.realm = realm } }

// WithRefreshHeader sets the response header that carries a re-signed token
// (default [DefaultRefreshHeader]).
func WithRefreshHeader(name string) Option { return func(m *Middleware) { m.header = name } }

// WithCookie makes the middleware read the token from the cookie name when
// the request has no Bearer Authorization header, and send re-signed tokens
// as that cookie: HttpOnly, Secure, with the given SameSite mode, Path "/"
// and no Domain, and a Max-Age that ends at the token's exp. Name it with
// the "__Host-" prefix ("__Host-session"): browsers then refuse the cookie
// unless it is Secure, for Path "/" and for this host only, so a sibling
// subdomain cannot plant one. Prefer http.SameSiteLaxMode or Strict;
// SameSiteNoneMode sends the cookie on cross-site requests and is refused
// unless the name has that prefix (and then needs CSRF protection).
// [Middleware.SetSessionCookie] and [Middleware.ClearSessionCookie] set and
// clear it at login and logout.
func WithCookie(name string, sameSite http.SameSite) Option {
	return func(m *Middleware) {
		m.cookie = &http.Cookie{Name: name, Path: "/", HttpOnly: true, Secure: true, SameSite: sameSite}
	}
}

// WithJSONErrors adds a JSON body to refusals:
// {"error":"invalid_token","error_description":"token expired"}.
func WithJSONErrors() Option { return func(m *Middleware) { m.jsonBody = true } }

// WithPreflight sets whether CORS preflight requests (OPTIONS with an
// Access-Control-Request-Method header, which browsers send without
// credentials) pass through to the handler unauthenticated (default true),
// so a CORS handler behind the middleware can answer them. With false they
// are refused like any request without a token.
func WithPreflight(pass bool) Option { return func(m *Middleware) { m.preflight = pass } }

// WithClaims sets the claims type handlers receive: newClaims returns a new
// pointer (default: a new *jwt.RegisteredClaims, the fastest to decode).
// Routes that require scopes need a type with a Scopes method, such as
// [ScopedClaims].
func WithClaims(newClaims func() jwt.Claims) Option {
	return func(m *Middleware) { m.newClaims = newClaims }
}

// New returns a Middleware that verifies tokens with auth.
func New(auth TokenVerifier, opts ...Option) (*Middleware, error) {
	if v := reflect.ValueOf(auth); auth == nil || (v.Kind() == reflect.Pointer && v.IsNil()) {
		return nil, errors.New("httpauth: nil Authority or Verifier")
	}
	m := &Middleware{auth: auth, realm: "api", header: DefaultRefreshHeader, preflight: true,
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
	if m.cookie != nil && m.cookie.SameSite == http.SameSiteNoneMode && !strings.HasPrefix(m.cookie.Name, "__Host-") {
		return nil, fmt.Errorf("httpauth: WithCookie(%q, http.SameSiteNoneMode) sends the session on cross-site requests: name it __Host-%s, and protect state-changing routes against CSRF (SECURITY.md)", m.cookie.Name, m.cookie.Name)
	}
	if m.newClaims == nil {
		return nil, errors.New("httpauth: WithClaims(nil): give a function returning a new claims pointer, such as func() jwt.Claims { return new(MyClaims) }")
	}
	sample := m.newClaims()
	if v := reflect.ValueOf(sample); sample == nil || v.Kind() != reflect.Pointer || v.IsNil() {
		return nil, fmt.Errorf("httpauth: WithClaims returns %T, not a new non-nil pointer: return new(T) or &T{}, so that each request decodes into its own claims", sample)
	}
	_, m.scoped = sample.(interface{ Scopes() []string })
	if m.refresher != nil {
		if err := m.refresher.check(auth); err != nil {
			return nil, err
		}
	}
	switch {
	case m.refreshObserverSet && m.refreshObserver == nil:
		return nil, errors.New("httpauth: WithRefreshObserver(nil): give a function, or leave the option out")
	case m.refreshObserverSet && m.refresher == nil:
		return nil, errors.New("httpauth: WithRefreshObserver without WithIssuerRefresh would never be called: an Authority's re-signs reach its jwtrot.WithObserver")
	case m.refresher != nil:
		m.refresher.observe = m.refreshObserver
	}
	if err := m.checkSources(); err != nil {
		return nil, err
	}
	switch {
	case m.writeRefusalSet && m.writeRefusal == nil:
		return nil, errors.New("httpauth: WithRefusalWriter(nil): give a function, or leave the option out for RFC 6750's bare refusals")
	case m.writeRefusal != nil && m.jsonBody:
		return nil, errors.New("httpauth: WithJSONErrors and WithRefusalWriter both write refusal bodies: keep one")
	}
	return m, nil
}

// A Policy is what a route demands beyond a valid token.
type Policy struct {
	// AuthAge, if set, refuses tokens issued longer ago than this, the age
	// of the authentication (a sensitive route wants a recent login; RFC
	// 9470's max_age). It is not the Authority's maximum age
	// (jwtrot.WithMaxAge), which bounds every token.
	AuthAge time.Duration
	// Audience, if set, must be named in the token's aud.
	Audience string
	// Scopes must all be in the token's scopes (403 insufficient_scope if
	// not). The claims type must have a Scopes() []string method.
	Scopes []string
}

// Handler verifies each request's token before calling next.
func (m *Middleware) Handler(next http.Handler) http.Handler { return m.Require(Policy{})(next) }

// Require returns middleware that verifies each request's token and applies p.
// It panics, as http.ServeMux does for a bad pattern, on a policy no token
// could meet or that would be ignored: a negative AuthAge, or Scopes with a
// claims type that has no Scopes method (use WithClaims with a type such as
// [ScopedClaims]).
func (m *Middleware) Require(p Policy) func(http.Handler) http.Handler {
	if p.AuthAge < 0 {
		panic(fmt.Sprintf("httpauth: Policy.AuthAge %v is negative; use 0 for no limit", p.AuthAge))
	}
	if len(p.Scopes) > 0 && !m.scoped {
		panic("httpauth: Policy.Scopes needs a claims type with a Scopes() []string method: add httpauth.WithClaims(func() jwt.Claims { return new(httpauth.ScopedClaims) }) to New")
	}
	for _, s := range p.Scopes {
		if s == "" || strings.ContainsAny(s, " \"\\") {
			panic(fmt.Sprintf("httpauth: Policy.Scopes has %q, which is not a scope token (RFC 6749 §3.3)", s))
		}
	}
	p.Scopes = slices.Clone(p.Scopes)
	rt := &route{Policy: p}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.serve(w, r, next, rt)
		})
	}
}

// A route is what one handler of the middleware demands.
type route struct {
	Policy
	optional bool // no token: serve without claims
}

func (m *Middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler, rt *route) {
	if m.preflight && r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		next.ServeHTTP(w, r) // a CORS preflight carries no credentials
		return
	}
	tok, fromCookie, err := m.token(r)
	if err != nil {
		m.refuse(w, r, Refusal{Status: http.StatusBadRequest, Code: "invalid_request", Reason: err.Error()}, "")
		return
	}
	if tok == "" {
		if rt.optional {
			next.ServeHTTP(w, r) // anonymous: no claims in the context
			return
		}
		m.refuse(w, r, Refusal{Status: http.StatusUnauthorized}, "")
		return
	}
	p := &rt.Policy
	claims := m.newClaims()
	res, err := m.auth.Verify(r.Context(), tok, claims)
	if err != nil {
		m.refuseVerify(w, r, err, fromCookie)
		return
	}
	// The token itself verified: its refresh goes back whatever the route
	// decides, the way the token came, or the session would be retired.
	if res.Resigned == "" && res.Position == rotation.Previous && m.refresher != nil {
		res.Resigned = m.refresher.refresh(r.Context(), tok, res.KeyID)
	}
	if res.Resigned != "" {
		m.sendRefreshed(w, res, fromCookie)
	}
	if p.AuthAge > 0 && m.auth.Schedule().Now().Sub(res.IssuedAt) > p.AuthAge {
		// RFC 9470: the token is fine, the authentication too old here.
		m.refuse(w, r, Refusal{Status: http.StatusUnauthorized, Code: "insufficient_user_authentication", Reason: "a more recent authentication is required"},
			`, max_age="`+strconv.FormatInt(int64(p.AuthAge/time.Second), 10)+`"`)
		return
	}
	if p.Audience != "" {
		aud, _ := claims.GetAudience()
		if !slices.Contains(aud, p.Audience) {
			m.refuse(w, r, Refusal{Status: http.StatusUnauthorized, Code: "invalid_token", Reason: "wrong audience"}, "")
			return
		}
	}
	if len(p.Scopes) > 0 {
		sc := claims.(interface{ Scopes() []string }) // checked by Require
		if !containsAll(sc.Scopes(), p.Scopes) {
			m.refuse(w, r, Refusal{Status: http.StatusForbidden, Code: "insufficient_scope", Reason: "insufficient scope"}, `, scope="`+strings.Join(p.Scopes, " ")+`"`)
			return
		}
	}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
}

// requireToken finds the request's token, or answers the request: 400 for
// an ambiguous one, 401 with a bare challenge for none.
func (m *Middleware) requireToken(w http.ResponseWriter, r *http.Request) (tok string, fromCookie, ok bool) {
	tok, fromCookie, err := m.token(r)
	if err != nil {
		m.refuse(w, r, Refusal{Status: http.StatusBadRequest, Code: "invalid_request", Reason: err.Error()}, "")
		return "", false, false
	}
	if tok == "" {
		m.refuse(w, r, Refusal{Status: http.StatusUnauthorized}, "")
		return "", false, false
	}
	return tok, fromCookie, true
}

var errTwoTokens = errors.New("more than one Authorization header")

var errTwoCookies = errors.New("more than one session cookie")

// token finds the request's token, "" when there is none, and whether it
// came from the session cookie: with the sources of WithTokenSources, or
// else a Bearer Authorization header, then the cookie (another scheme,
// Basic say, does not hide the cookie).
func (m *Middleware) token(r *http.Request) (tok string, fromCookie bool, err error) {
	if m.sources != nil {
		return m.sourceToken(r)
	}
	if tok, err = (bearerSource{}).Token(r); tok != "" || err != nil || m.cookie == nil {
		return tok, false, err
	}
	tok, err = cookieValue(r, m.cookie.Name)
	return tok, tok != "", err
}

// sendRefreshed hands the re-signed token back the way the token came: the
// refresh header for a Bearer token, the cookie for a cookie.
func (m *Middleware) sendRefreshed(w http.ResponseWriter, res jwtrot.Result, fromCookie bool) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if !fromCookie || m.cookie == nil {
		h.Set(m.header, res.Resigned)
		return
	}
	c := *m.cookie
	c.Value = res.Resigned
	c.MaxAge = max(int(res.Expires.Sub(m.auth.Schedule().Now())/time.Second), 1)
	http.SetCookie(w, &c)
}

// SetSessionCookie sets the session cookie to token, at login, with the
// attributes the middleware uses (HttpOnly, Secure, SameSite, Path "/") and
// a Max-Age that ends at the token's exp. It verifies the token first, so a
// browser never holds one the middleware would refuse. It needs
// [WithCookie].
func (m *Middleware) SetSessionCookie(w http.ResponseWriter, r *http.Request, token string) error {
	if m.cookie == nil {
		return errors.New("httpauth: SetSessionCookie needs WithCookie")
	}
	res, err := m.auth.Verify(r.Context(), token, nil)
	if err != nil {
		return fmt.Errorf("httpauth: the session token is refused: %w", err)
	}
	m.sendRefreshed(w, jwtrot.Result{Resigned: token, Expires: res.Expires}, true)
	return nil
}

// ClearSessionCookie tells the browser to drop the session cookie, at
// logout. Revoking the token too (a jwtrot.Revoker) ends it everywhere,
// not only in this browser.
func (m *Middleware) ClearSessionCookie(w http.ResponseWriter) {
	if m.cookie != nil {
		m.clearCookie(w)
	}
}

// clearCookie tells the browser to drop the session cookie.
func (m *Middleware) clearCookie(w http.ResponseWriter) {
	c := *m.cookie
	c.Value, c.MaxAge = "", -1
	http.SetCookie(w, &c)
}

// refuseVerify answers a token Verify refused: 503 when the server failed
// (the store, the key), not the token, so the client retries and keeps its
// token; else 401 with the reason, clearing a refused session cookie.
func (m *Middleware) refuseVerify(w http.ResponseWriter, r *http.Request, err error, fromCookie bool) {
	if errors.Is(err, jwtrot.ErrRevocationCheck) || errors.Is(err, jwtrot.ErrKeyUnavailable) {
		w.Header().Set("Retry-After", "1")
		m.refuse(w, r, Refusal{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Reason: jwtrot.Reason(err), Err: err}, "")
		return
	}
	if fromCookie && m.cookie != nil {
		m.clearCookie(w) // a refused session cookie is of no more use
	}
	m.refuse(w, r, Refusal{Status: http.StatusUnauthorized, Code: "invalid_token", Reason: jwtrot.Reason(err), Err: err}, "")
}

// refuse writes a 400, 401, 403 or 503; the 4xx with its WWW-Authenticate
// challenge, extra appended to it (", scope=..." or ", max_age=..."). The
// headers are set before a refusal writer is called.
func (m *Middleware) refuse(w http.ResponseWriter, r *http.Request, ref Refusal, extra string) {
	h := w.Header()
	status, code, description := ref.Status, ref.Code, ref.Reason
	if status != http.StatusServiceUnavailable {
		challenge := `Bearer realm="` + m.realm + `"`
		if code != "" {
			challenge += `, error="` + code + `", error_description="` + description + `"` + extra
		}
		h.Set("WWW-Authenticate", challenge)
		ref.Challenge = challenge
	}
	h.Set("Cache-Control", "no-store")
	if m.writeRefusal != nil {
		rw := &refusalWriter{ResponseWriter: w, status: status}
		m.writeRefusal(rw, r, ref)
		if !rw.wrote {
			rw.WriteHeader(status)
		}
		return
	}
	if !m.jsonBody {
		w.WriteHeader(status)
		return
	}
	if code == "" {
		code, description = "missing_token", "no bearer token in the request"
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
// type the middleware decodes into (*jwt.RegisteredClaims by default). It
// returns false when no middleware verified the request, and panics when
// one did but decodes into another type: asking for a type the middleware
// never produces is a programmer error that would otherwise refuse every
// request silently. [NewFor] ties the type to the middleware instead.
func ClaimsFrom[C jwt.Claims](ctx context.Context) (C, bool) {
	v := ctx.Value(claimsKey{})
	if v == nil {
		var zero C
		return zero, false
	}
	c, ok := v.(C)
	if !ok {
		panic(fmt.Sprintf("httpauth: ClaimsFrom[%T] on a request whose middleware decodes into %T", *new(C), v))
	}
	return c, true
}

// NewFor returns a Middleware that decodes each request's claims into a new
// *T, and the function its handlers read them with: the claims type is
// named once, so a handler cannot ask for another. The function returns nil
// for a request the middleware did not verify.
//
//	mw, claimsOf, err := httpauth.NewFor[httpauth.ScopedClaims](auth)
//	mux.Handle("GET /me", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		fmt.Fprintln(w, claimsOf(r.Context()).Subject)
//	})))
func NewFor[T any, PT interface {
	*T
	jwt.Claims
}](auth TokenVerifier, opts ...Option) (*Middleware, func(context.Context) PT, error) {
	opts = append(opts[:len(opts):len(opts)], WithClaims(func() jwt.Claims { return PT(new(T)) }))
	m, err := New(auth, opts...)
	if err != nil {
		return nil, nil, err
	}
	return m, func(ctx context.Context) PT {
		c, _ := ctx.Value(claimsKey{}).(PT)
		return c
	}, nil
}

// ScopedClaims are registered claims with a space-separated scope claim
// (RFC 8693 §4.2), for routes whose Policy requires scopes.
type ScopedClaims struct {
	jwt.RegisteredClaims
	Scope string `json:"scope,omitempty"`
}

// Scopes returns the scope claim split on U+0020 spaces, the only separator
// RFC 6749 §3.3 allows (a tab or another space character is part of a
// scope, which then matches nothing).
func (c *ScopedClaims) Scopes() []string {
	var out []string
	for s := range strings.SplitSeq(c.Scope, " ") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// UnmarshalJSON reads the claims with the scope taken from the member named
// exactly "scope" (RFC 7519 compares names exactly; encoding/json alone
// would also take "Scope", "SCOPE" or "ſcope"), and resets the scope of a
// reused value.
func (c *ScopedClaims) UnmarshalJSON(b []byte) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return err
	}
	c.RegisteredClaims = jwt.RegisteredClaims{}
	if err := json.Unmarshal(b, &c.RegisteredClaims); err != nil {
		return err
	}
	c.Scope = ""
	if raw, ok := members["scope"]; ok {
		return json.Unmarshal(raw, &c.Scope)
	}
	return nil
}

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
