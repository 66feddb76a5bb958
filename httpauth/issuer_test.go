package httpauth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// edIssuer is an EdDSA Authority and a Verifier of its public keys, each on
// its own clock.
func edIssuer(t *testing.T, issuerClock, verifierClock *clock.Mock, opts ...jwtrot.Option) (*jwtrot.Authority, *jwtrot.Verifier) {
	t.Helper()
	root, err := rotation.NewRoot("main", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithWindow(window), rotation.WithSkew(skew), rotation.WithClock(issuerClock))
	if err != nil {
		t.Fatal(err)
	}
	a, err := jwtrot.New(d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jwks.Export(context.Background(), d, issuerClock.Now(), 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sched, err := rotation.NewSchedule(rotation.WithWindow(window), rotation.WithSkew(skew), rotation.WithClock(verifierClock))
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwks.Parse(doc, sched)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jwtrot.NewVerifier(set)
	if err != nil {
		t.Fatal(err)
	}
	return a, v
}

func post(h http.Handler, tok string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/refresh", nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestRefreshHandler: the issuer re-signs a previous-window token byte for
// byte under the current window and answers every other case per SPEC §10.3.
func TestRefreshHandler(t *testing.T) {
	mock := newClock(testEpoch)
	a, _ := edIssuer(t, mock, mock)
	h, err := NewRefreshHandler(a, WithJSONErrors())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.Sign(jwt.MapClaims{"sub": "u-1"})
	if err != nil {
		t.Fatal(err)
	}
	if w := post(h, tok); w.Code != http.StatusNoContent || w.Header().Get(DefaultRefreshHeader) != "" {
		t.Fatalf("current window: %d", w.Code)
	}
	mock.Add(window)
	w := post(h, tok)
	fresh := w.Header().Get(DefaultRefreshHeader)
	if w.Code != http.StatusOK || fresh == "" || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("previous window: %d %q", w.Code, fresh)
	}
	if strings.Split(fresh, ".")[1] != strings.Split(tok, ".")[1] {
		t.Fatal("the payload changed")
	}
	res, err := a.Verify(context.Background(), fresh, nil)
	if err != nil || res.Position != rotation.Current {
		t.Fatalf("the refreshed token: %v %v", res.Position, err)
	}
	mock.Add(window)
	if w := post(h, tok); w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error_description="key window retired"`) {
		t.Fatalf("retired: %d %s", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if w := post(h, tok[:len(tok)-4]+"AAAA"); w.Code != http.StatusUnauthorized {
		t.Fatalf("tampered: %d", w.Code)
	}
	if w := post(h, ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", w.Code)
	}
	r := httptest.NewRequest("GET", "/refresh", nil)
	rw := httptest.NewRecorder()
	h.ServeHTTP(rw, r)
	if rw.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", rw.Code)
	}
}

// TestRefreshConsumesNoUse: refreshing an N-use token leaves its uses.
func TestRefreshConsumesNoUse(t *testing.T) {
	mock := newClock(testEpoch)
	a, _ := edIssuer(t, mock, mock, jwtrot.WithUseCounter(jwtrot.NewRevocationList(mock)))
	tok, err := a.Sign(jwt.MapClaims{jwtrot.UsesClaim: 1})
	if err != nil {
		t.Fatal(err)
	}
	mock.Add(window)
	h, _ := NewRefreshHandler(a)
	for range 3 {
		if w := post(h, tok); w.Code != http.StatusOK {
			t.Fatalf("refresh: %d", w.Code)
		}
	}
	if _, err := a.Verify(context.Background(), tok, nil); err != nil {
		t.Fatalf("the one use is gone after refreshes: %v", err)
	}
	if _, err := a.Verify(context.Background(), tok, nil); !errors.Is(err, jwtrot.ErrUsedUp) {
		t.Fatalf("a second use: %v", err)
	}
}

// TestVerifierMiddlewareRefresh: a Verifier's middleware hands back the
// token the issuer re-signed, as an Authority's would; when the issuer
// fails or is slow, the request goes on without a refresh.
func TestVerifierMiddlewareRefresh(t *testing.T) {
	mock := newClock(testEpoch)
	a, v := edIssuer(t, mock, mock)
	refresh, err := NewRefreshHandler(a)
	if err != nil {
		t.Fatal(err)
	}
	var mode atomic.Int32 // 0 serve, 1 fail, 2 hang
	var calls atomic.Int32
	issuer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch mode.Load() {
		case 1:
			http.Error(w, "down", http.StatusBadGateway)
		case 2:
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		default:
			refresh.ServeHTTP(w, r)
		}
	}))
	defer issuer.Close()
	mw, err := New(v, WithIssuerRefresh(issuer.URL, 200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 { // New's probe
		t.Fatalf("%d calls by New, want its probe", calls.Load())
	}
	calls.Store(0)
	h := mw.Handler(echo)
	tok, err := a.Sign(jwt.RegisteredClaims{Subject: "u-1"})
	if err != nil {
		t.Fatal(err)
	}
	if w := do(h, bearer(tok)); w.Code != 200 || w.Header().Get(DefaultRefreshHeader) != "" || calls.Load() != 0 {
		t.Fatalf("current window: %d, %d calls", w.Code, calls.Load())
	}
	mock.Add(window)
	w := do(h, bearer(tok))
	fresh := w.Header().Get(DefaultRefreshHeader)
	if w.Code != 200 || fresh == "" || w.Body.String() != "hello u-1" {
		t.Fatalf("previous window: %d %q", w.Code, fresh)
	}
	if res, err := v.Verify(context.Background(), fresh, nil); err != nil || res.Position != rotation.Current {
		t.Fatalf("the refreshed token at the verifier: %v", err)
	}
	for _, m := range []int32{1, 2} {
		mode.Store(m)
		start := time.Now()
		w := do(h, bearer(tok))
		if w.Code != 200 || w.Header().Get(DefaultRefreshHeader) != "" || time.Since(start) > 2*time.Second {
			t.Fatalf("issuer mode %d: %d, %v", m, w.Code, time.Since(start))
		}
	}
	for _, tt := range []struct {
		auth TokenVerifier
		url  string
		want string
	}{
		{a, issuer.URL, "an Authority re-signs tokens itself"},
		{v, "http://issuer.example/refresh", "use https"},
		{v, "/refresh", "absolute http(s) URL"},
	} {
		if _, err := New(tt.auth, WithIssuerRefresh(tt.url, 0)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.url, err, tt.want)
		}
	}
	var nilVerifier *jwtrot.Verifier
	if _, err := New(nilVerifier); err == nil {
		t.Error("a nil *Verifier accepted")
	}
}

func TestTokenHandler(t *testing.T) {
	mock := newClock(testEpoch)
	a, v := edIssuer(t, mock, mock)
	authorize := func(r *http.Request, requested []json.RawMessage) ([]jwt.Claims, error) {
		if r.Header.Get("X-Service") != "billing" {
			return nil, errors.New("unknown caller SECRETDETAIL")
		}
		var out []jwt.Claims
		for _, raw := range requested {
			var c jwt.MapClaims
			if err := json.Unmarshal(raw, &c); err != nil {
				return nil, err
			}
			c["aud"] = "billing" // the application decides
			out = append(out, c)
		}
		return out, nil
	}
	h, err := NewTokenHandler(a, authorize)
	if err != nil {
		t.Fatal(err)
	}
	call := func(body, service string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/token", strings.NewReader(body))
		r.Header.Set("X-Service", service)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := call(`{"claims":[{"sub":"u-1"},{"sub":"u-2"}]}`, "billing")
	var resp struct{ Tokens []string }
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != 200 || len(resp.Tokens) != 2 || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	for i, tok := range resp.Tokens {
		var c jwt.RegisteredClaims
		if _, err := v.Verify(context.Background(), tok, &c); err != nil || c.Subject != []string{"u-1", "u-2"}[i] || c.Audience[0] != "billing" {
			t.Fatalf("token %d: %v %+v", i, err, c)
		}
	}
	if w := call(`{"claims":[{"sub":"u-1"}]}`, "intruder"); w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), "SECRETDETAIL") {
		t.Fatalf("unauthorised: %d %s", w.Code, w.Body)
	}
	if w := call(`{"claims":[{"exp":1}]}`, "billing"); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("claims Sign refuses: %d %s", w.Code, w.Body)
	}
	if w := call(`{"claims":`+strings.Repeat(" ", 70<<10)+`[]}`, "billing"); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("too large: %d", w.Code)
	}
	if w := call(`{"claims":[`+strings.Repeat(`{},`, 100)+`{}]}`, "billing"); w.Code != http.StatusBadRequest {
		t.Fatalf("101 sets: %d", w.Code)
	}
	if w := call(`not json`, "billing"); w.Code != http.StatusBadRequest {
		t.Fatalf("not JSON: %d", w.Code)
	}
	if _, err := NewTokenHandler(a, nil); err == nil || !strings.Contains(err.Error(), "mint tokens for anyone") {
		t.Fatalf("nil authorizer: %v", err)
	}
}

// TestRefreshObserver: each call WithIssuerRefresh makes is told, with the
// verifier's purpose, the token's root and the result.
func TestRefreshObserver(t *testing.T) {
	issuerClock, verifierClock := newClock(testEpoch), newClock(testEpoch)
	a, v := edIssuer(t, issuerClock, verifierClock)
	refresh, err := NewRefreshHandler(a)
	if err != nil {
		t.Fatal(err)
	}
	var fail atomic.Bool
	issuer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		refresh.ServeHTTP(w, r)
	}))
	defer issuer.Close()
	var mu sync.Mutex
	var seen []IssuerRefresh
	mw, err := New(v, WithIssuerRefresh(issuer.URL, time.Second), WithRefreshObserver(func(ev IssuerRefresh) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, ev)
	}))
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Handler(echo)
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "u-1"})
	do(h, bearer(tok)) // current: no call
	verifierClock.Add(window)
	do(h, bearer(tok)) // the issuer's clock is a window behind: 204
	issuerClock.Add(window)
	do(h, bearer(tok)) // resigned
	fail.Store(true)
	do(h, bearer(tok)) // failed
	var got []string
	for _, ev := range seen {
		if ev.Purpose != rotation.DefaultPurpose || ev.RootID != "main" || ev.Duration <= 0 {
			t.Errorf("event %+v", ev)
		}
		got = append(got, ev.Result)
	}
	if want := "unneeded resigned failed"; strings.Join(got, " ") != want {
		t.Errorf("results %q, want %q", got, want)
	}
	if _, err := New(v, WithRefreshObserver(func(IssuerRefresh) {})); err == nil {
		t.Error("WithRefreshObserver without WithIssuerRefresh accepted")
	}
	if _, err := New(v, WithIssuerRefresh(issuer.URL, 0), WithRefreshObserver(nil)); err == nil {
		t.Error("WithRefreshObserver(nil) accepted")
	}
}

// TestIssuerRefreshProbe: New probes the refresh URL: a URL that is not the
// issuer's refresh handler is an error saying so; an issuer that cannot be
// reached or fails is a warning in the log, and the middleware works.
func TestIssuerRefreshProbe(t *testing.T) {
	mock := newClock(testEpoch)
	a, v := edIssuer(t, mock, mock)
	refresh, err := NewRefreshHandler(a, WithRealm("issuer"), WithJSONErrors())
	if err != nil {
		t.Fatal(err)
	}
	jwksLike := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
	mux := http.NewServeMux()
	mux.Handle("POST /refresh", refresh)
	mux.Handle("/.well-known/jwks.json", jwksLike)
	mux.Handle("POST /ok", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	mux.Handle("POST /basic", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	mux.Handle("POST /moved", http.RedirectHandler("/refresh", http.StatusTemporaryRedirect))
	mux.Handle("POST /down", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var log strings.Builder
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	for _, tt := range []struct{ path, want string }{
		{"/refresh", ""},
		{"/refresh?key=SECRETVALUE", ""},
		{"/nothing", "answered HTTP 404 to a POST without a token, where the issuer's refresh handler (httpauth.NewRefreshHandler) answers 401"},
		{"/.well-known/jwks.json", "answered HTTP 405"},
		{"/ok", "answered HTTP 200"},
		{"/basic", "401 without a Bearer challenge"},
		{"/moved", "a redirect (HTTP 307)"},
		{"/down", ""},
	} {
		_, err := New(v, WithIssuerRefresh(srv.URL+tt.path, time.Second))
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.path, err, tt.want)
		}
	}
	if !strings.Contains(log.String(), "refresh handler fails at start") || !strings.Contains(log.String(), "status=503") {
		t.Errorf("no warning for an issuer that fails:\n%s", log.String())
	}

	// Unreachable: a warning, and the middleware verifies.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/refresh?key=SECRETVALUE"
	ln.Close()
	log.Reset()
	mw, err := New(v, WithIssuerRefresh(dead, 500*time.Millisecond))
	if err != nil {
		t.Fatalf("an unreachable issuer at start: %v", err)
	}
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "cannot be reached at start") {
		t.Errorf("no warning for an unreachable issuer:\n%s", log.String())
	}
	if strings.Contains(log.String(), "SECRETVALUE") {
		t.Errorf("the log repeats the URL's query:\n%s", log.String())
	}
	tok, err := a.Sign(jwt.RegisteredClaims{Subject: "u-1"})
	if err != nil {
		t.Fatal(err)
	}
	if w := do(mw.Handler(echo), bearer(tok)); w.Code != 200 {
		t.Fatalf("the middleware over an unreachable issuer: %d", w.Code)
	}
}

func TestRefreshHandlerRefusesMiddlewareOptions(t *testing.T) {
	mock := newClock(testEpoch)
	a, _ := edIssuer(t, mock, mock)
	for _, ok := range [][]Option{nil, {WithRealm("api")}, {WithJSONErrors()}, {WithRealm("api"), WithJSONErrors()}} {
		if _, err := NewRefreshHandler(a, ok...); err != nil {
			t.Errorf("NewRefreshHandler(%d options) refused: %v", len(ok), err)
		}
	}
	for name, o := range map[string]Option{
		"WithCookie":       WithCookie("session", http.SameSiteStrictMode),
		"WithPreflight":    WithPreflight(false),
		"WithTokenSources": WithTokenSources(BearerHeader),
	} {
		if _, err := NewRefreshHandler(a, o); err == nil || !strings.Contains(err.Error(), "takes WithRealm and WithJSONErrors only") {
			t.Errorf("NewRefreshHandler(%s) = %v, want a refusal naming the options it takes", name, err)
		}
	}
}
