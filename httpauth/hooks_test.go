package httpauth

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
)

// TestOptional: no token serves the request without claims; a good token
// with them; a bad, expired or ambiguous token is still refused, never
// served as anonymous.
func TestOptional(t *testing.T) {
	mock := newClock(testEpoch)
	a := newAuthority(t, mock)
	mw, _ := New(a, WithCookie("session", http.SameSiteLaxMode))
	served := 0
	h := mw.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served++
		if c, ok := ClaimsFrom[*jwt.RegisteredClaims](r.Context()); ok {
			io.WriteString(w, "hello "+c.Subject)
			return
		}
		io.WriteString(w, "hello stranger")
	}))
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	short, _ := a.Sign(jwt.RegisteredClaims{Subject: "bob", ExpiresAt: jwt.NewNumericDate(testEpoch.Add(time.Minute))})
	for _, c := range []struct {
		name   string
		header http.Header
		status int
		body   string
	}{
		{"no token", nil, 200, "hello stranger"},
		{"Basic is no token", http.Header{"Authorization": {"Basic YTpi"}}, 200, "hello stranger"},
		{"good", bearer(tok), 200, "hello alice"},
		{"good cookie", http.Header{"Cookie": {"session=" + tok}}, 200, "hello alice"},
		{"tampered", bearer(tok[:len(tok)-2] + "AA"), 401, ""},
		{"garbage", bearer("garbage"), 401, ""},
		{"bad cookie", http.Header{"Cookie": {"session=garbage"}}, 401, ""},
		{"two Authorization headers", http.Header{"Authorization": {"Bearer " + tok, "Bearer " + tok}}, 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := served
			w := do(h, c.header)
			if w.Code != c.status || w.Body.String() != c.body {
				t.Fatalf("%d %q, want %d %q", w.Code, w.Body, c.status, c.body)
			}
			if (c.status == 200) != (served == before+1) {
				t.Errorf("handler served: %v", served > before)
			}
			if c.status == 401 && !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("challenge %q", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
	mock.Add(2 * time.Minute)
	if w := do(h, bearer(short)); w.Code != 401 || !strings.Contains(w.Header().Get("WWW-Authenticate"), "token expired") {
		t.Errorf("an expired token: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

// TestRefusalWriter: the writer gets the refusal's status, code, reason,
// challenge and error; the challenge and no-store are on the response
// whatever it writes, unless it deletes them; it cannot turn a refusal
// into a success, nor send nothing.
func TestRefusalWriter(t *testing.T) {
	mock := newClock(testEpoch)
	a := newAuthority(t, mock, jwtrot.WithRevoker(failingRevoker{}))
	good := newAuthority(t, mock)
	tok, _ := good.Sign(jwt.RegisteredClaims{Subject: "alice"})
	short, _ := good.Sign(jwt.RegisteredClaims{Subject: "bob", ExpiresAt: jwt.NewNumericDate(testEpoch.Add(time.Minute))})

	var got []Refusal
	record := func(w http.ResponseWriter, r *http.Request, ref Refusal) {
		got = append(got, ref)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(ref.Status)
		fmt.Fprintf(w, "%d %s", ref.Status, ref.Code)
	}
	mw, err := New(good, WithRefusalWriter(record), WithClaims(func() jwt.Claims { return new(ScopedClaims) }))
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Require(Policy{Scopes: []string{"admin"}})(echo)
	mock.Add(2 * time.Minute) // short has expired
	for _, c := range []struct {
		name      string
		header    http.Header
		status    int
		code      string
		challenge string
		err       error
	}{
		{"no token", nil, 401, "", `Bearer realm="api"`, nil},
		{"expired", bearer(short), 401, "invalid_token", `Bearer realm="api", error="invalid_token", error_description="token expired"`, jwtrot.ErrExpired},
		{"two tokens", http.Header{"Authorization": {"Bearer a", "Bearer b"}}, 400, "invalid_request", `Bearer realm="api", error="invalid_request", error_description="more than one Authorization header"`, nil},
		{"scope", bearer(tok), 403, "insufficient_scope", `Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="admin"`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got = nil
			w := do(h, c.header)
			if len(got) != 1 {
				t.Fatalf("the writer was called %d times", len(got))
			}
			ref := got[0]
			if ref.Status != c.status || ref.Code != c.code || ref.Challenge != c.challenge || (c.err != nil) != (ref.Err != nil) || (c.err != nil && !errors.Is(ref.Err, c.err)) {
				t.Errorf("refusal %+v", ref)
			}
			if w.Code != c.status || w.Body.String() != fmt.Sprintf("%d %s", c.status, c.code) {
				t.Errorf("response %d %q", w.Code, w.Body)
			}
			if w.Header().Get("WWW-Authenticate") != c.challenge || w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("headers %q %q", w.Header().Get("WWW-Authenticate"), w.Header().Get("Cache-Control"))
			}
		})
	}

	// 503: Retry-After, no challenge.
	mw503, _ := New(a, WithRefusalWriter(record))
	got = nil
	tokA, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	w := do(mw503.Handler(echo), bearer(tokA))
	if w.Code != 503 || len(got) != 1 || got[0].Challenge != "" || !errors.Is(got[0].Err, jwtrot.ErrRevocationCheck) || w.Header().Get("Retry-After") != "1" || w.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("503: %d %+v %v", w.Code, got, w.Header())
	}

	// Writers that get it wrong.
	for _, c := range []struct {
		name      string
		write     func(http.ResponseWriter, *http.Request, Refusal)
		status    int
		challenge bool
	}{
		{"writes nothing", func(http.ResponseWriter, *http.Request, Refusal) {}, 401, true},
		{"writes a body only", func(w http.ResponseWriter, _ *http.Request, _ Refusal) { io.WriteString(w, "no") }, 401, true},
		{"writes 200", func(w http.ResponseWriter, _ *http.Request, _ Refusal) { w.WriteHeader(200) }, 401, true},
		{"replaces the headers it knows of", func(w http.ResponseWriter, _ *http.Request, ref Refusal) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(ref.Status)
		}, 401, true},
		{"deletes the challenge explicitly", func(w http.ResponseWriter, _ *http.Request, ref Refusal) {
			w.Header().Del("WWW-Authenticate")
			w.WriteHeader(ref.Status)
		}, 401, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			mw, _ := New(good, WithRefusalWriter(c.write))
			w := do(mw.Handler(echo), nil)
			if w.Code != c.status || (w.Header().Get("WWW-Authenticate") != "") != c.challenge {
				t.Errorf("%d, challenge %q", w.Code, w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

// TestTokenSources: another header, a cookie that is not the session's, a
// WebSocket subprotocol and the session cookie, tried in order; a refresh
// goes back in the cookie only for the session cookie; a source's own
// error is a 400 whose text is not shown.
func TestTokenSources(t *testing.T) {
	mock := newClock(testEpoch)
	a := newAuthority(t, mock, jwtrot.WithTTL(time.Hour))
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	other, _ := a.Sign(jwt.RegisteredClaims{Subject: "bob"})
	secretErr := TokenSourceFunc(func(r *http.Request) (string, error) {
		if r.Header.Get("X-Broken") != "" {
			return "", errors.New("broken source saw " + r.Header.Get("X-Broken"))
		}
		return "", nil
	})
	mw, err := New(a, WithCookie("__Host-session", http.SameSiteLaxMode),
		WithTokenSources(secretErr, HeaderToken("x-api-token"), WebSocketProtocolToken("jwt."), CookieToken("legacy"), SessionCookie, BearerHeader))
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Handler(echo)
	for _, c := range []struct {
		name   string
		header http.Header
		status int
		body   string
	}{
		{"header", http.Header{"X-Api-Token": {tok}}, 200, "hello alice"},
		{"header first", http.Header{"X-Api-Token": {tok}, "Authorization": {"Bearer " + other}}, 200, "hello alice"},
		{"two header values", http.Header{"X-Api-Token": {tok, other}}, 400, ""},
		{"websocket", http.Header{"Sec-Websocket-Protocol": {"chat.v1, jwt." + tok}}, 200, "hello alice"},
		{"websocket twice", http.Header{"Sec-Websocket-Protocol": {"jwt." + tok, "jwt." + other}}, 400, ""},
		{"websocket without the prefix", http.Header{"Sec-Websocket-Protocol": {"chat.v1"}, "Authorization": {"Bearer " + other}}, 200, "hello bob"},
		{"legacy cookie", http.Header{"Cookie": {"legacy=" + tok}}, 200, "hello alice"},
		{"session cookie before Bearer", http.Header{"Cookie": {"__Host-session=" + other}, "Authorization": {"Bearer " + tok}}, 200, "hello bob"},
		{"Bearer last", bearer(tok), 200, "hello alice"},
		{"none", nil, 401, ""},
		{"a source's own error", http.Header{"X-Broken": {"hunter2"}, "X-Api-Token": {tok}}, 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := do(h, c.header)
			if w.Code != c.status || w.Body.String() != c.body {
				t.Fatalf("%d %q, want %d %q", w.Code, w.Body, c.status, c.body)
			}
			if strings.Contains(w.Header().Get("WWW-Authenticate"), "hunter2") {
				t.Error("a source's error text is shown")
			}
		})
	}
	mock.Add(window) // tokens of the previous window: re-signed
	w := do(h, http.Header{"X-Api-Token": {tok}})
	if w.Code != 200 || w.Header().Get(DefaultRefreshHeader) == "" || len(w.Result().Cookies()) != 0 {
		t.Errorf("a header token's refresh: %d %t, %d cookies", w.Code, w.Header().Get(DefaultRefreshHeader) != "", len(w.Result().Cookies()))
	}
	w = do(h, http.Header{"Cookie": {"legacy=" + tok}})
	if w.Code != 200 || w.Header().Get(DefaultRefreshHeader) == "" || len(w.Result().Cookies()) != 0 {
		t.Errorf("a legacy cookie's refresh: %d, %d cookies", w.Code, len(w.Result().Cookies()))
	}
	w = do(h, http.Header{"Cookie": {"__Host-session=" + tok}})
	if cs := w.Result().Cookies(); w.Code != 200 || w.Header().Get(DefaultRefreshHeader) != "" || len(cs) != 1 || cs[0].Name != "__Host-session" {
		t.Errorf("the session cookie's refresh: %d, cookies %d", w.Code, len(cs))
	}
}

// TestHooksMisconfiguration: every wrong combination is an error from New.
func TestHooksMisconfiguration(t *testing.T) {
	a := newAuthority(t, newClock(testEpoch))
	write := func(http.ResponseWriter, *http.Request, Refusal) {}
	for _, c := range []struct {
		name string
		opts []Option
	}{
		{"no sources", []Option{WithTokenSources()}},
		{"nil source", []Option{WithTokenSources(BearerHeader, nil)}},
		{"a source twice", []Option{WithTokenSources(BearerHeader, HeaderToken("X-A"), HeaderToken("x-a"))}},
		{"SessionCookie without WithCookie", []Option{WithTokenSources(SessionCookie)}},
		{"WithCookie without SessionCookie", []Option{WithCookie("s", http.SameSiteLaxMode), WithTokenSources(BearerHeader)}},
		{"nil refusal writer", []Option{WithRefusalWriter(nil)}},
		{"refusal writer and JSON errors", []Option{WithRefusalWriter(write), WithJSONErrors()}},
	} {
		if _, err := New(a, c.opts...); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if _, err := New(a, WithTokenSources(TokenSourceFunc(func(*http.Request) (string, error) { return "", nil }), BearerHeader), WithRefusalWriter(write)); err != nil {
		t.Errorf("a func source and a writer: %v", err)
	}
}
