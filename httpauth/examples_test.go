package httpauth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// A login handler issues a token; a protected route reads the claims with
// the accessor NewFor returns; the client swaps in Refreshed-Token when it
// comes.
func Example_bearer() {
	// Once at start: the root (rotation.RootFromFile in production), the
	// Deriver and the Authority; a simulated clock keeps the output stable.
	root, _ := rotation.NewRoot("main", []byte("example root: use 32+ random bytes, never text"))
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(clk))
	auth, _ := jwtrot.New(d, jwtrot.WithIssuer("auth"), jwtrot.WithAudience("api"))
	mw, claimsOf, err := httpauth.NewFor[httpauth.ScopedClaims](auth)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		// ... check the user's password or SSO assertion first ...
		tok, err := auth.Sign(httpauth.ScopedClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: "alice"}, Scope: "read"})
		if err != nil {
			http.Error(w, "cannot sign", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, tok)
	})
	mux.Handle("GET /me", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := claimsOf(r.Context())
		fmt.Fprintf(w, "hello %s, scopes %v", c.Subject, c.Scopes())
	})))

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("POST", "/login", nil))
	token := w.Body.String()

	call := func() {
		r := httptest.NewRequest("GET", "/me", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
		if fresh := w.Header().Get(httpauth.DefaultRefreshHeader); fresh != "" {
			fmt.Println("swapping in the refreshed token")
			token = fresh
		}
	}
	call()
	clk.Add(10 * time.Minute) // the next window
	call()
	clk.Add(10 * time.Minute)
	call()
	// Output:
	// 200 hello alice, scopes [read]
	// 200 hello alice, scopes [read]
	// swapping in the refreshed token
	// 200 hello alice, scopes [read]
	// swapping in the refreshed token
}

// A strict route demands a recent login and a scope; a token that does not
// meet them gets the RFC 9470 or RFC 6750 challenge.
func Example_policy() {
	// Once at start: the root (rotation.RootFromFile in production), the
	// Deriver and the Authority; a simulated clock keeps the output stable.
	root, _ := rotation.NewRoot("main", []byte("example root: use 32+ random bytes, never text"))
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(clk))
	auth, _ := jwtrot.New(d, jwtrot.WithIssuer("auth"), jwtrot.WithAudience("api"))
	mw, _, err := httpauth.NewFor[httpauth.ScopedClaims](auth)
	if err != nil {
		panic(err)
	}
	transfer := mw.Require(httpauth.Policy{AuthAge: 5 * time.Minute, Scopes: []string{"transfer"}})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "transferred") }))

	try := func(scope string, age time.Duration) {
		tok, _ := auth.Sign(httpauth.ScopedClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: "alice"}, Scope: scope})
		clk.Add(age)
		defer func() { clk.Add(-age) }()
		r := httptest.NewRequest("POST", "/transfer", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		transfer.ServeHTTP(w, r)
		fmt.Println(strings.TrimSpace(fmt.Sprint(w.Code, " ", w.Body.String(), " ", w.Header().Get("WWW-Authenticate"))))
	}
	try("read transfer", time.Minute)
	try("read", time.Minute)
	try("read transfer", 6*time.Minute)
	// Output:
	// 200 transferred
	// 403  Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="transfer"
	// 401  Bearer realm="api", error="insufficient_user_authentication", error_description="a more recent authentication is required", max_age="300"
}

// Cookie mode for browsers: the login handler sets the session cookie, the
// middleware reads and refreshes it, the logout handler clears it.
func Example_cookie() {
	// Once at start: the root (rotation.RootFromFile in production), the
	// Deriver and the Authority; a simulated clock keeps the output stable.
	root, _ := rotation.NewRoot("main", []byte("example root: use 32+ random bytes, never text"))
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(clk))
	auth, _ := jwtrot.New(d, jwtrot.WithIssuer("auth"), jwtrot.WithAudience("api"))
	mw, err := httpauth.New(auth, httpauth.WithCookie("__Host-session", http.SameSiteLaxMode))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		// ... check the user's credentials, and the request's Origin (CSRF) ...
		tok, err := auth.Sign(jwt.RegisteredClaims{Subject: "alice"})
		if err == nil {
			err = mw.SetSessionCookie(w, r, tok)
		}
		if err != nil {
			http.Error(w, "cannot log in", http.StatusInternalServerError)
		}
	})
	mux.Handle("POST /logout", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mw.ClearSessionCookie(w)
	})))
	mux.Handle("GET /me", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := httpauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
		fmt.Fprint(w, "hello ", c.Subject)
	})))

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("POST", "/login", nil))
	cookie := w.Result().Cookies()[0]
	fmt.Println("login:", cookie.Name, "HttpOnly", cookie.HttpOnly, "Secure", cookie.Secure, "Max-Age", cookie.MaxAge)

	r := httptest.NewRequest("GET", "/me", nil)
	r.AddCookie(cookie)
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println("me:", w.Code, w.Body.String())

	r = httptest.NewRequest("POST", "/logout", nil)
	r.AddCookie(cookie)
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println("logout:", strings.Split(w.Header().Get("Set-Cookie"), ";")[0], w.Result().Cookies()[0].MaxAge < 0)
	// Output:
	// login: __Host-session HttpOnly true Secure true Max-Age 3600
	// me: 200 hello alice
	// logout: __Host-session= true
}
