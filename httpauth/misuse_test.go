package httpauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
)

// TestRefreshSurvivesPolicyRefusal: a previous-window token refused by a
// route's policy still gets its refresh, for every kind of policy, or the
// client's session would be retired everywhere a window later.
func TestRefreshSurvivesPolicyRefusal(t *testing.T) {
	mock := newClock(testEpoch)
	var outcomes []jwtrot.Outcome
	a := newAuthority(t, mock, jwtrot.WithObserver(func(o jwtrot.Outcome) { outcomes = append(outcomes, o) }))
	mw, _ := New(a, WithClaims(func() jwt.Claims { return new(ScopedClaims) }))
	tok, _ := a.Sign(ScopedClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: "alice", Audience: jwt.ClaimStrings{"billing"}}, Scope: "read"})
	mock.Add(10 * time.Minute) // the token is now from the previous window
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	for name, p := range map[string]Policy{
		"auth age": {AuthAge: time.Minute},
		"audience": {Audience: "admin"},
		"scopes":   {Scopes: []string{"admin"}},
	} {
		w := do(mw.Require(p)(ok), bearer(tok))
		if w.Code == 200 {
			t.Fatalf("%s: the policy did not refuse", name)
		}
		fresh := w.Header().Get(DefaultRefreshHeader)
		if fresh == "" || fresh == tok {
			t.Fatalf("%s: %d without a refreshed token", name, w.Code)
		}
		if _, err := a.Verify(context.Background(), fresh, nil); err != nil {
			t.Fatalf("%s: the refreshed token does not verify: %v", name, err)
		}
		if last := outcomes[len(outcomes)-2]; !last.Resigned { // before our own Verify
			t.Fatalf("%s: the observer says not re-signed", name)
		}
	}
}

// TestRefreshGoesBackTheWayItCame: in cookie mode, a Bearer token is
// refreshed in the header, a cookie token as a cookie.
func TestRefreshGoesBackTheWayItCame(t *testing.T) {
	mock := newClock(testEpoch)
	a := newAuthority(t, mock)
	mw, _ := New(a, WithCookie("session", http.SameSiteLaxMode))
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	mock.Add(10 * time.Minute)
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	w := do(h, bearer(tok))
	if w.Header().Get(DefaultRefreshHeader) == "" || w.Header().Get("Set-Cookie") != "" {
		t.Fatalf("bearer in cookie mode: header %v, cookie %v", w.Header().Get(DefaultRefreshHeader) != "", w.Header().Get("Set-Cookie") != "")
	}
	w = do(h, http.Header{"Cookie": {"session=" + tok}})
	if w.Header().Get(DefaultRefreshHeader) != "" || !strings.HasPrefix(w.Header().Get("Set-Cookie"), "session=") {
		t.Fatalf("cookie: header set %v, cookie set %v", w.Header().Get(DefaultRefreshHeader) != "", w.Header().Get("Set-Cookie") != "")
	}
	// Two cookies of one name (cookie tossing) are refused.
	w = do(h, http.Header{"Cookie": {"session=" + tok + "; session=x"}})
	if w.Code != http.StatusBadRequest {
		t.Fatalf("two session cookies: %d", w.Code)
	}
	// A refused cookie is cleared.
	mock.Add(30 * time.Minute)
	w = do(h, http.Header{"Cookie": {"session=" + tok}})
	if w.Code != 401 || !strings.Contains(w.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("retired cookie: %d, Set-Cookie %q", w.Code, w.Header().Get("Set-Cookie"))
	}
	// A Basic Authorization header does not hide the cookie.
	tok2, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	w = do(h, http.Header{"Cookie": {"session=" + tok2}, "Authorization": {"Basic YTpi"}})
	if w.Code != 200 {
		t.Fatalf("Basic plus cookie: %d", w.Code)
	}
}

// TestMisconfigurationAtConstruction: mistakes fail when the route or the
// middleware is built, with a message that says how to fix them, not as a
// refusal of every request.
func TestMisconfigurationAtConstruction(t *testing.T) {
	a := newAuthority(t, newClock(testEpoch))
	for name, claims := range map[string]func() jwt.Claims{
		"non-pointer": func() jwt.Claims { return jwt.RegisteredClaims{} },
		"nil pointer": func() jwt.Claims { return (*ScopedClaims)(nil) },
		"nil":         func() jwt.Claims { return nil },
	} {
		if _, err := New(a, WithClaims(claims)); err == nil || !strings.Contains(err.Error(), "return new(T)") {
			t.Errorf("WithClaims %s: %v", name, err)
		}
	}
	plain, _ := New(a)
	scoped, _ := New(a, WithClaims(func() jwt.Claims { return new(ScopedClaims) }))
	for name, f := range map[string]func(){
		"scopes without a Scopes method": func() { plain.Require(Policy{Scopes: []string{"read"}}) },
		"negative AuthAge":               func() { scoped.Require(Policy{AuthAge: -time.Minute}) },
		"a scope with a space":           func() { scoped.Require(Policy{Scopes: []string{"read write"}}) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "httpauth: ") {
					t.Errorf("%s: recovered %v", name, r)
				}
			}()
			f()
		}()
	}
}

// TestScopesReadExactly: only the member named exactly "scope" counts, split
// on U+0020 only, and a reused claims value forgets an earlier scope.
func TestScopesReadExactly(t *testing.T) {
	a := newAuthority(t, newClock(testEpoch))
	for name, claims := range map[string]jwt.MapClaims{
		"Scope": {"Scope": "admin"}, "SCOPE": {"SCOPE": "admin"}, "long s": {"\u017fcope": "admin"},
		"tab separated": {"scope": "read\tadmin"}, "no-break space": {"scope": "read\u00a0admin"},
	} {
		tok, err := a.Sign(claims)
		if err != nil {
			t.Fatal(err)
		}
		var c ScopedClaims
		c.Scope = "admin" // an earlier token's
		if _, err := a.Verify(context.Background(), tok, &c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, s := range c.Scopes() {
			if s == "admin" {
				t.Errorf("%s: scopes %q include admin", name, c.Scopes())
			}
		}
	}
}

// TestChallenges: a server-side failure is a 503 the client retries, not an
// invalid token; JSON errors cover the no-token 401; a CORS preflight
// passes through.
func TestChallenges(t *testing.T) {
	mock := newClock(testEpoch)
	a := newAuthority(t, mock, jwtrot.WithRevoker(failingRevoker{}))
	mw, _ := New(a, WithJSONErrors())
	called := false
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	w := do(h, bearer(tok))
	if w.Code != 503 || w.Header().Get("Retry-After") == "" || w.Header().Get("WWW-Authenticate") != "" {
		t.Fatalf("store down: %d %v", w.Code, w.Header())
	}
	w = do(h, nil)
	if w.Code != 401 || w.Header().Get("Content-Type") != "application/json" || !strings.Contains(w.Body.String(), `"error":"missing_token"`) {
		t.Fatalf("no token: %d %q", w.Code, w.Body)
	}
	r, _ := http.NewRequest(http.MethodOptions, "/", nil)
	r.Header.Set("Access-Control-Request-Method", "POST")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !called {
		t.Fatal("the CORS preflight did not pass through")
	}
	strict, _ := New(a, WithPreflight(false))
	called = false
	strict.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })).ServeHTTP(httptest.NewRecorder(), r)
	if called {
		t.Fatal("WithPreflight(false) let a preflight through")
	}
}

// TestMiddlewarePrintsNoSecret prints the middleware with every verb.
func TestMiddlewarePrintsNoSecret(t *testing.T) {
	a := newAuthority(t, newClock(testEpoch))
	mw, _ := New(a, WithCookie("session", http.SameSiteLaxMode))
	k, _ := a.Deriver().SigningKey(testEpoch)
	key := fmt.Sprintf("%x", k.Bytes()[:8])
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "mw", mw, "v", *mw)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d", "%p", "%q"} {
		for _, out := range []string{fmt.Sprintf(verb, mw), fmt.Sprintf(verb, *mw), buf.String()} {
			if strings.Contains(out, key) || strings.Contains(out, fmt.Sprint(k.Bytes()[:4])[1:10]) {
				t.Errorf("%s prints key material", verb)
			}
		}
	}
}

type failingRevoker struct{}

func (failingRevoker) Revoked(context.Context, jwtrot.TokenInfo) (bool, error) {
	return false, errors.New("store down")
}

// TestClaimsTypeTiedToMiddleware: ClaimsFrom with a type the middleware
// never produces panics instead of answering false forever; NewFor names
// the type once.
func TestClaimsTypeTiedToMiddleware(t *testing.T) {
	a := newAuthority(t, newClock(testEpoch))
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	mw, claimsOf, err := NewFor[ScopedClaims](a)
	if err != nil {
		t.Fatal(err)
	}
	var subject string
	var panicked any
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		subject = claimsOf(r.Context()).Subject
		defer func() { panicked = recover() }()
		ClaimsFrom[*jwt.RegisteredClaims](r.Context())
	}))
	do(h, bearer(tok))
	if subject != "alice" {
		t.Fatalf("NewFor's accessor gave %q", subject)
	}
	if panicked == nil || !strings.Contains(fmt.Sprint(panicked), "decodes into *httpauth.ScopedClaims") {
		t.Fatalf("ClaimsFrom with the wrong type: %v", panicked)
	}
	if _, ok := ClaimsFrom[*ScopedClaims](context.Background()); ok {
		t.Fatal("ClaimsFrom without a middleware said ok")
	}
	if c := claimsOf(context.Background()); c != nil {
		t.Fatal("accessor without a middleware returned claims")
	}
}

// TestCookieSettings: SameSite=None needs the __Host- prefix; the session
// helpers need cookie mode and a token the middleware accepts.
func TestCookieSettings(t *testing.T) {
	a := newAuthority(t, newClock(testEpoch))
	if _, err := New(a, WithCookie("session", http.SameSiteNoneMode)); err == nil || !strings.Contains(err.Error(), "__Host-session") {
		t.Errorf("SameSite=None without __Host-: %v", err)
	}
	if _, err := New(a, WithCookie("__Host-session", http.SameSiteNoneMode)); err != nil {
		t.Errorf("SameSite=None with __Host-: %v", err)
	}
	plain, _ := New(a)
	r := httptest.NewRequest("POST", "/login", nil)
	if err := plain.SetSessionCookie(httptest.NewRecorder(), r, "x"); err == nil {
		t.Error("SetSessionCookie without WithCookie")
	}
	mw, _ := New(a, WithCookie("__Host-session", http.SameSiteStrictMode))
	w := httptest.NewRecorder()
	if err := mw.SetSessionCookie(w, r, "not.a.token"); err == nil || w.Header().Get("Set-Cookie") != "" {
		t.Errorf("SetSessionCookie with a bad token: %v", err)
	}
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	if err := mw.SetSessionCookie(w, r, tok); err != nil {
		t.Fatal(err)
	}
	c := w.Result().Cookies()[0]
	if c.Name != "__Host-session" || !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" || c.SameSite != http.SameSiteStrictMode || c.MaxAge != 3600 {
		t.Errorf("session cookie %+v", c)
	}
}
