package httpauth

import (
	"errors"
	"net/http"
	"strings"
)

// A TokenSource finds the token of a request, for [WithTokenSources]: it
// returns "" when the request carries none its way, and an error when it
// carries one ambiguously (two of them, say), which the middleware answers
// 400 invalid_request. The error's text is not shown to the client unless
// it is one of this package's. Implementations must be safe for concurrent
// use and must not keep the request.
type TokenSource interface {
	Token(r *http.Request) (string, error)
}

// TokenSourceFunc adapts a function to a [TokenSource].
type TokenSourceFunc func(r *http.Request) (string, error)

// Token calls f(r).
func (f TokenSourceFunc) Token(r *http.Request) (string, error) { return f(r) }

var (
	// BearerHeader is the Authorization header's Bearer token (RFC 6750
	// §2.1): the scheme in any case, one or more spaces, the token. An
	// Authorization header of another scheme is no token of its (the next
	// source is tried); two Authorization headers are refused.
	BearerHeader TokenSource = bearerSource{}
	// SessionCookie is the cookie of [WithCookie], in a [WithTokenSources]
	// list: the one source whose tokens are re-signed into a fresh cookie
	// (and cleared when refused) rather than sent in the refresh header.
	// Two cookies of its name are refused.
	SessionCookie TokenSource = sessionCookie{}
)

type bearerSource struct{}

func (bearerSource) Token(r *http.Request) (string, error) {
	auth := r.Header["Authorization"] // canonical already: no lookup work
	switch len(auth) {
	case 0:
		return "", nil
	case 1:
		// RFC 6750 §2.1: "Bearer" (any case), one or more spaces, the token.
		v := auth[0]
		if len(v) >= 7 && v[6] == ' ' && strings.EqualFold(v[:6], "Bearer") {
			return strings.TrimLeft(v[7:], " "), nil
		}
		return "", nil
	}
	return "", errTwoTokens
}

// sessionCookie is a marker: the middleware reads its own cookie.
type sessionCookie struct{}

func (sessionCookie) Token(*http.Request) (string, error) {
	return "", errors.New("httpauth: SessionCookie is read by the Middleware it is given to")
}

// HeaderToken is a [TokenSource] of a header that holds the token alone,
// such as X-Api-Token: the header's one value, "" without it; two values
// are refused.
func HeaderToken(name string) TokenSource { return headerSource(http.CanonicalHeaderKey(name)) }

type headerSource string

func (h headerSource) Token(r *http.Request) (string, error) {
	switch vs := r.Header[string(h)]; len(vs) {
	case 0:
		return "", nil
	case 1:
		return strings.TrimSpace(vs[0]), nil
	}
	return "", errTwoTokens
}

// CookieToken is a [TokenSource] of a cookie other than the session
// cookie: its value, "" without it; two cookies of the name are refused. A
// token from it that verified in the previous window is re-signed into the
// refresh header, not into the cookie; for a session cookie the
// middleware keeps fresh, use [WithCookie] and [SessionCookie].
func CookieToken(name string) TokenSource { return cookieSource(name) }

type cookieSource string

func (c cookieSource) Token(r *http.Request) (string, error) { return cookieValue(r, string(c)) }

// cookieValue is the value of the request's one cookie of that name.
func cookieValue(r *http.Request, name string) (string, error) {
	var found []*http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == name {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0].Value, nil
	}
	// Two cookies of one name: one may have been tossed in by a sibling
	// domain; which the browser sent first says nothing.
	return "", errTwoCookies
}

// WebSocketProtocolToken is a [TokenSource] for browsers' WebSockets, which
// cannot set an Authorization header: the token travels as a subprotocol
// of the Sec-WebSocket-Protocol header, prefix followed by the token, as in
// new WebSocket(url, ["chat.v1", "jwt." + token]) with prefix "jwt.". The
// server's handshake must then select another of the offered
// subprotocols ("chat.v1"), never echo the token's. Two offers of a token
// are refused. Tokens in headers of an upgrade request are as exposed as
// Authorization headers are: do not log this header.
func WebSocketProtocolToken(prefix string) TokenSource { return wsSource(prefix) }

type wsSource string

func (p wsSource) Token(r *http.Request) (string, error) {
	tok := ""
	for _, v := range r.Header["Sec-Websocket-Protocol"] {
		for proto := range strings.SplitSeq(v, ",") {
			proto = strings.TrimSpace(proto)
			if rest, ok := strings.CutPrefix(proto, string(p)); ok {
				if tok != "" {
					return "", errTwoTokens
				}
				tok = rest
			}
		}
	}
	return tok, nil
}

// WithTokenSources sets where the middleware looks for a request's token,
// in order: the first source that finds one wins (default: [BearerHeader],
// then [SessionCookie] with [WithCookie]). New refuses an empty list, a
// nil or repeated source, SessionCookie without WithCookie, and WithCookie
// without SessionCookie in the list (its cookie would never be read).
func WithTokenSources(sources ...TokenSource) Option {
	return func(m *Middleware) { m.sources, m.sourcesSet = append([]TokenSource(nil), sources...), true }
}

// checkSources validates WithTokenSources at New.
func (m *Middleware) checkSources() error {
	if !m.sourcesSet {
		return nil
	}
	if len(m.sources) == 0 {
		return errors.New("httpauth: WithTokenSources() with no source: no request would carry a token; leave it out for the Bearer header")
	}
	session := false
	for i, s := range m.sources {
		if s == nil {
			return errors.New("httpauth: WithTokenSources has a nil source")
		}
		for _, t := range m.sources[:i] {
			if sameSource(s, t) {
				return errors.New("httpauth: WithTokenSources names a source twice")
			}
		}
		if s == SessionCookie {
			session = true
		}
	}
	switch {
	case session && m.cookie == nil:
		return errors.New("httpauth: WithTokenSources has SessionCookie but no WithCookie names the cookie")
	case !session && m.cookie != nil:
		return errors.New("httpauth: WithCookie's cookie is not among WithTokenSources: add httpauth.SessionCookie where it should be tried")
	}
	return nil
}

// sameSource compares sources that can be compared (funcs cannot).
func sameSource(a, b TokenSource) (same bool) {
	defer func() { recover() }() // an uncomparable dynamic type: not the same
	return a == b
}

// sourceToken finds the token with the configured sources.
func (m *Middleware) sourceToken(r *http.Request) (tok string, fromCookie bool, err error) {
	for _, s := range m.sources {
		if s == SessionCookie {
			tok, err = cookieValue(r, m.cookie.Name)
			fromCookie = true
		} else {
			tok, err = s.Token(r)
			fromCookie = false
		}
		if err != nil {
			if !errors.Is(err, errTwoTokens) && !errors.Is(err, errTwoCookies) {
				err = errBadSource
			}
			return "", false, err
		}
		if tok != "" {
			return tok, fromCookie, nil
		}
	}
	return "", false, nil
}

// errBadSource stands for a TokenSource's own error, whose text might hold
// what the client sent.
var errBadSource = errors.New("the request carries its token in a malformed way")

// A Refusal is what the middleware refuses a request with, handed to a
// [WithRefusalWriter] writer.
type Refusal struct {
	// Status is the HTTP status: 400, 401, 403 or 503.
	Status int
	// Code is the error code: "invalid_request", "invalid_token",
	// "insufficient_scope", "insufficient_user_authentication",
	// "temporarily_unavailable"; "" for a request with no token.
	Code string
	// Reason is the error_description: jwtrot.Reason of a refused token
	// ("token expired", ...), "" for a request with no token. It never
	// holds the token.
	Reason string
	// Challenge is the WWW-Authenticate value, already set on the
	// response; "" for a 503, which has none.
	Challenge string
	// Err is the verifier's error for a refused token (errors.Is it with
	// jwtrot's Err variables), nil otherwise.
	Err error
}

// WithRefusalWriter sets the function that writes refusals in the
// application's own format (RFC 9457 problem details, say): it must write
// the status and a body. Before it is called, the response already has
// the WWW-Authenticate challenge (RFC 6750 §3 requires it on a 401), and
// Cache-Control: no-store (and Retry-After on a 503), so a writer keeps
// them unless it deletes them explicitly. A writer that writes nothing
// still sends ref.Status, and one that writes a status below 400 has it
// replaced by ref.Status: a refusal never becomes a success. New refuses
// it with [WithJSONErrors], which it replaces.
func WithRefusalWriter(write func(w http.ResponseWriter, r *http.Request, ref Refusal)) Option {
	return func(m *Middleware) { m.writeRefusal, m.writeRefusalSet = write, true }
}

// refusalWriter holds a refusal writer to the refusal's status.
type refusalWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *refusalWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if code < 400 {
		code = w.status
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *refusalWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(w.status)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *refusalWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Optional returns a handler that serves requests with and without a
// token: with none, next runs with no claims ([ClaimsFrom] returns false);
// with one, it is verified as [Middleware.Handler] does and a bad one is
// refused (401), never served as anonymous; an ambiguous one (two
// Authorization headers) gets 400. A CORS preflight passes as with
// Handler.
func (m *Middleware) Optional(next http.Handler) http.Handler {
	rt := &route{optional: true}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.serve(w, r, next, rt)
	})
}
