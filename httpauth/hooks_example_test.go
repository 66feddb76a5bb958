package httpauth_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// A refusal writer that answers in RFC 9457 problem details. The
// WWW-Authenticate challenge is already on the response when it is called.
func Example_problemDetails() {
	// Once at start: the root (rotation.RootFromFile in production), the
	// Deriver and the Authority; a simulated clock keeps the output stable.
	root, _ := rotation.NewRoot("main", []byte("example root: use 32+ random bytes, never text"))
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(clk))
	auth, _ := jwtrot.New(d, jwtrot.WithIssuer("auth"), jwtrot.WithAudience("api"))
	problem := func(w http.ResponseWriter, r *http.Request, ref httpauth.Refusal) {
		code := ref.Code
		if code == "" {
			code = "missing_token"
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(ref.Status)
		json.NewEncoder(w).Encode(struct {
			Type   string `json:"type"`
			Title  string `json:"title"`
			Status int    `json:"status"`
			Detail string `json:"detail,omitempty"`
		}{"https://api.example/problems/" + code, http.StatusText(ref.Status), ref.Status, ref.Reason})
	}
	mw, err := httpauth.New(auth, httpauth.WithRefusalWriter(problem))
	if err != nil {
		panic(err)
	}
	api := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))

	tok, _ := auth.Sign(jwt.RegisteredClaims{Subject: "alice", ExpiresAt: jwt.NewNumericDate(clk.Now().Add(time.Minute))})
	clk.Add(2 * time.Minute)
	for _, authz := range []string{"", "Bearer " + tok} {
		r := httptest.NewRequest("GET", "/orders", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("Content-Type"))
		fmt.Println(" ", w.Header().Get("WWW-Authenticate"))
		fmt.Print("  ", w.Body.String())
	}
	// Output:
	// 401 application/problem+json
	//   Bearer realm="api"
	//   {"type":"https://api.example/problems/missing_token","title":"Unauthorized","status":401}
	// 401 application/problem+json
	//   Bearer realm="api", error="invalid_token", error_description="token expired"
	//   {"type":"https://api.example/problems/invalid_token","title":"Unauthorized","status":401,"detail":"token expired"}
}

// A route that serves anonymous users, and reads the claims when a token
// is there. A bad token is still refused.
func ExampleMiddleware_Optional() {
	// Once at start: the root (rotation.RootFromFile in production), the
	// Deriver and the Authority; a simulated clock keeps the output stable.
	root, _ := rotation.NewRoot("main", []byte("example root: use 32+ random bytes, never text"))
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(clk))
	auth, _ := jwtrot.New(d, jwtrot.WithIssuer("auth"), jwtrot.WithAudience("api"))
	mw, err := httpauth.New(auth)
	if err != nil {
		panic(err)
	}
	home := mw.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := httpauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context()); ok {
			fmt.Fprintln(w, "welcome back,", c.Subject)
			return
		}
		fmt.Fprintln(w, "welcome, stranger")
	}))
	tok, _ := auth.Sign(jwt.RegisteredClaims{Subject: "alice"})
	for _, authz := range []string{"", "Bearer " + tok, "Bearer not-a-token"} {
		r := httptest.NewRequest("GET", "/", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		home.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body.String())
		if w.Code != 200 {
			fmt.Println(w.Header().Get("WWW-Authenticate"))
		}
	}
	// Output:
	// 200 welcome, stranger
	// 200 welcome back, alice
	// 401 Bearer realm="api", error="invalid_token", error_description="malformed token"
}

// An OAuth 2.0 token endpoint for services (the client credentials grant):
// golang.org/x/oauth2/clientcredentials and other standard clients get
// jwtrot tokens from it.
func ExampleNewClientCredentialsHandler() {
	// Once at start: the root (rotation.RootFromFile in production), the
	// Deriver and the Authority; a simulated clock keeps the output stable.
	root, _ := rotation.NewRoot("main", []byte("example root: use 32+ random bytes, never text"))
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(clk))
	auth, _ := jwtrot.New(d, jwtrot.WithIssuer("auth"), jwtrot.WithAudience("api"))
	clients, err := httpauth.NewClientSecrets(httpauth.RegisteredClient{
		ID: "reports", Secret: "use-a-long-random-secret-from-your-vault",
		Scopes: []string{"orders:read", "orders:write"}, Audience: []string{"api"},
	})
	if err != nil {
		panic(err)
	}
	token, err := httpauth.NewClientCredentialsHandler(auth, clients)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /oauth/token", token)

	// What a client sends (RFC 6749 §4.4.2).
	r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader("grant_type=client_credentials&scope=orders:read"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(url.QueryEscape("reports"), url.QueryEscape("use-a-long-random-secret-from-your-vault"))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	var resp struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		Scope       string `json:"scope"`
	}
	json.NewDecoder(w.Body).Decode(&resp)
	fmt.Println(w.Code, w.Header().Get("Cache-Control"), resp.TokenType, resp.ExpiresIn, resp.Scope)

	var c httpauth.ScopedClaims
	_, err = auth.Verify(r.Context(), resp.AccessToken, &c)
	fmt.Println(err, c.Subject, c.Scope)
	// Output:
	// 200 no-store Bearer 3600 orders:read
	// <nil> reports orders:read
}
