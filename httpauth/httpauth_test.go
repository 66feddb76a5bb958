package httpauth

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

var testEpoch = time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC)

var testSecret = []byte("httpauth test root: 0123456789abcdef0123456789abcdef")

const (
	window = 10 * time.Minute
	skew   = 30 * time.Second
)

// newAuthority builds one instance: its own Deriver and Authority from the
// shared test root, on its own simulated clock.
func newAuthority(t testing.TB, mock *clock.Mock, opts ...jwtrot.Option) *jwtrot.Authority {
	t.Helper()
	root, err := rotation.NewRoot("main", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithWindow(window), rotation.WithSkew(skew), rotation.WithClock(mock))
	if err != nil {
		t.Fatal(err)
	}
	a, err := jwtrot.New(d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newClock(at time.Time) *clock.Mock {
	m := clock.NewMock()
	m.Set(at)
	return m
}

// echo writes the subject it finds in the context.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := ClaimsFrom[*jwt.RegisteredClaims](r.Context())
	if !ok {
		http.Error(w, "no claims", http.StatusInternalServerError)
		return
	}
	io.WriteString(w, "hello "+c.Subject)
})

func do(h http.Handler, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/", nil)
	for k, vs := range header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// assertClean fails if tok, or a part of it, appears in the response's
// headers or body. It never prints tok.
func assertClean(t *testing.T, w *httptest.ResponseRecorder, tok string, allowHeader string) {
	t.Helper()
	for k, vs := range w.Header() {
		if k == allowHeader {
			continue
		}
		for _, v := range vs {
			for _, part := range strings.Split(tok, ".") {
				if len(part) >= 8 && strings.Contains(v, part) {
					t.Fatalf("header %s holds part of the token", k)
				}
			}
		}
	}
	for _, part := range strings.Split(tok, ".") {
		if len(part) >= 8 && strings.Contains(w.Body.String(), part) {
			t.Fatal("body holds part of the token")
		}
	}
}

func TestRefusals(t *testing.T) {
	mock := newClock(testEpoch)
	a := newAuthority(t, mock)
	mw, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Handler(echo)
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	tampered := tok[:len(tok)-2] + "AA"
	if tampered == tok {
		tampered = tok[:len(tok)-2] + "BA"
	}
	mock.Add(time.Minute)
	tests := []struct {
		name      string
		header    http.Header
		status    int
		challenge string
	}{
		{"no token", nil, 401, `Bearer realm="api"`},
		{"other scheme", http.Header{"Authorization": {"Basic YWxpY2U6cHc="}}, 401, `Bearer realm="api"`},
		{"empty bearer", http.Header{"Authorization": {"Bearer "}}, 401, `Bearer realm="api"`},
		{"two headers", http.Header{"Authorization": {"Bearer " + tok, "Bearer " + tok}}, 400,
			`Bearer realm="api", error="invalid_request", error_description="more than one Authorization header"`},
		{"garbage", bearer("not-a-token"), 401, `Bearer realm="api", error="invalid_token", error_description="malformed token"`},
		{"bad signature", bearer(tampered), 401, `Bearer realm="api", error="invalid_token", error_description="bad signature"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(h, tt.header)
			if w.Code != tt.status || w.Header().Get("WWW-Authenticate") != tt.challenge {
				t.Fatalf("%d %q; want %d %q", w.Code, w.Header().Get("WWW-Authenticate"), tt.status, tt.challenge)
			}
			if w.Body.Len() != 0 || w.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("body %q, Cache-Control %q", w.Body, w.Header().Get("Cache-Control"))
			}
			assertClean(t, w, tok, "")
		})
	}
	// Reasons that depend on time.
	mock.Add(2 * window)
	w := do(h, bearer(tok))
	if got := w.Header().Get("WWW-Authenticate"); got != `Bearer realm="api", error="invalid_token", error_description="key window retired"` {
		t.Fatalf("retired: %q", got)
	}
	short, _ := a.Sign(jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(mock.Now().Add(time.Minute))})
	mock.Add(time.Minute)
	w = do(h, bearer(short))
	if got := w.Header().Get("WWW-Authenticate"); got != `Bearer realm="api", error="invalid_token", error_description="token expired"` {
		t.Fatalf("expired: %q", got)
	}
}

func TestAcceptAndRefresh(t *testing.T) {
	mock := newClock(testEpoch)
	a := newAuthority(t, mock)
	mw, _ := New(a, WithRefreshHeader("X-New-Token"))
	// A handler that writes its status first: the refreshed token must
	// already be in the headers.
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		c, _ := ClaimsFrom[*jwt.RegisteredClaims](r.Context())
		io.WriteString(w, c.Subject)
	}))
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	w := do(h, bearer(tok))
	if w.Code != http.StatusTeapot || w.Body.String() != "alice" || w.Header().Get("X-New-Token") != "" || w.Header().Get("Cache-Control") != "" {
		t.Fatalf("current window: %d %q %v", w.Code, w.Body, w.Header())
	}
	mock.Add(window)
	w = do(h, http.Header{"Authorization": {"bearer " + tok}}) // the scheme is case-insensitive
	fresh := w.Header().Get("X-New-Token")
	if w.Code != http.StatusTeapot || fresh == "" || fresh == tok || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("previous window: %d, refreshed %t", w.Code, fresh != "")
	}
	res, err := a.Verify(context.Background(), fresh, nil)
	if err != nil || res.KeyID != "main:2992241" {
		t.Fatalf("refreshed token: %v", err)
	}
}

func TestCookie(t *testing.T) {
	mock := newClock(testEpoch)
	a := newAuthority(t, mock, jwtrot.WithTTL(time.Hour))
	mw, _ := New(a, WithCookie("session", http.SameSiteStrictMode))
	h := mw.Handler(echo)
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	w := do(h, http.Header{"Cookie": {"session=" + tok}})
	if w.Code != 200 || w.Body.String() != "hello alice" || w.Header().Get("Set-Cookie") != "" {
		t.Fatalf("cookie, current: %d %q", w.Code, w.Body)
	}
	mock.Add(window) // 10:55; exp is 11:45
	w = do(h, http.Header{"Cookie": {"session=" + tok}})
	cookies := w.Result().Cookies()
	if w.Code != 200 || len(cookies) != 1 {
		t.Fatalf("cookie, previous: %d, %d cookies", w.Code, len(cookies))
	}
	c := cookies[0]
	if c.Name != "session" || c.Value == tok || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != 50*60 {
		t.Fatalf("refreshed cookie: name %s HttpOnly %t Secure %t SameSite %v Path %s MaxAge %d", c.Name, c.HttpOnly, c.Secure, c.SameSite, c.Path, c.MaxAge)
	}
	if w.Header().Get(DefaultRefreshHeader) != "" {
		t.Fatal("cookie mode also sent the header")
	}
	// The Authorization header still wins when present.
	w = do(h, http.Header{"Cookie": {"session=garbage"}, "Authorization": {"Bearer " + c.Value}})
	if w.Code != 200 {
		t.Fatalf("bearer with a bad cookie: %d", w.Code)
	}
}

func TestPolicy(t *testing.T) {
	mock := newClock(testEpoch)
	a := newAuthority(t, mock)
	mw, _ := New(a, WithClaims(func() jwt.Claims { return new(ScopedClaims) }), WithJSONErrors())
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	tok, _ := a.Sign(ScopedClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: "alice", Audience: jwt.ClaimStrings{"billing"}}, Scope: "read write"})
	mock.Add(2 * time.Minute)
	tests := []struct {
		name   string
		policy Policy
		status int
		body   string
	}{
		{"none", Policy{}, 200, "ok"},
		{"fresh enough", Policy{AuthAge: 5 * time.Minute}, 200, "ok"},
		{"too old", Policy{AuthAge: time.Minute}, 401, `{"error":"insufficient_user_authentication","error_description":"a more recent authentication is required"}` + "\n"},
		{"audience", Policy{Audience: "billing"}, 200, "ok"},
		{"other audience", Policy{Audience: "admin"}, 401, `{"error":"invalid_token","error_description":"wrong audience"}` + "\n"},
		{"scopes", Policy{Scopes: []string{"write", "read"}}, 200, "ok"},
		{"missing scope", Policy{Scopes: []string{"admin"}}, 403, `{"error":"insufficient_scope","error_description":"insufficient scope"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(mw.Require(tt.policy)(ok), bearer(tok))
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Fatalf("%d %q; want %d %q", w.Code, w.Body, tt.status, tt.body)
			}
			if tt.status != 200 && w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("Content-Type %q", w.Header().Get("Content-Type"))
			}
			if tt.status == 403 && w.Header().Get("WWW-Authenticate") != `Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="admin"` {
				t.Fatalf("challenge %q", w.Header().Get("WWW-Authenticate"))
			}
			if tt.name == "too old" && w.Header().Get("WWW-Authenticate") != `Bearer realm="api", error="insufficient_user_authentication", error_description="a more recent authentication is required", max_age="60"` {
				t.Fatalf("challenge %q", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestRequestNotMutated(t *testing.T) {
	mock := newClock(testEpoch)
	a := newAuthority(t, mock)
	mw, _ := New(a)
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	before := r.Context()
	mw.Handler(echo).ServeHTTP(httptest.NewRecorder(), r)
	if r.Context() != before {
		t.Fatal("the middleware changed the caller's request")
	}
	if _, ok := ClaimsFrom[*jwt.RegisteredClaims](r.Context()); ok {
		t.Fatal("claims leaked into the caller's request")
	}
}

func TestNewRefuses(t *testing.T) {
	a := newAuthority(t, newClock(testEpoch))
	for name, opts := range map[string][]Option{
		"quote in realm":   {WithRealm(`a"b`)},
		"bad header name":  {WithRefreshHeader("X Token")},
		"empty header":     {WithRefreshHeader("")},
		"bad cookie name":  {WithCookie("a;b", http.SameSiteLaxMode)},
		"nil claims maker": {WithClaims(nil)},
	} {
		if _, err := New(a, opts...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(nil); err == nil {
		t.Error("nil Authority accepted")
	}
}

func BenchmarkOverhead(b *testing.B) {
	mock := newClock(testEpoch)
	a := newAuthority(b, mock, jwtrot.WithIssuer("auth.example"), jwtrot.WithAudience("api"))
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "u-12345678", NotBefore: jwt.NewNumericDate(testEpoch)})
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := a.Verify(context.Background(), tok, new(jwt.RegisteredClaims)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("middleware", func(b *testing.B) {
		mw, _ := New(a)
		h := mw.Handler(noop)
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := &discard{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, r)
		}
		if w.status != 0 {
			b.Fatalf("status %d", w.status)
		}
	})
}

// discard is a ResponseWriter that keeps only the status.
type discard struct {
	h      http.Header
	status int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(s int)           { d.status = s }
