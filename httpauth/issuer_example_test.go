package httpauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// The issuer's refresh handler re-signs a token of the previous window,
// has nothing to do for a current one, and refuses one too old.
func ExampleNewRefreshHandler() {
	// The issuer holds the root; a simulated clock keeps the output stable.
	root, _ := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithClock(mock))
	issuer, _ := jwtrot.New(d)
	refresh, err := httpauth.NewRefreshHandler(issuer, httpauth.WithJSONErrors())
	if err != nil {
		panic(err)
	}
	post := func(tok string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/refresh", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		refresh.ServeHTTP(w, r)
		return w
	}

	tok, _ := issuer.Sign(jwt.MapClaims{"sub": "alice"}) // at 10:42
	res, _ := issuer.Verify(context.Background(), tok, nil)
	fmt.Println("signed:", res.KeyID)

	fmt.Println("10:42, current window:", post(tok).Code)

	mock.Set(time.Date(2026, 11, 22, 10, 53, 0, 0, time.UTC))
	w := post(tok)
	res, _ = issuer.Verify(context.Background(), w.Header().Get(httpauth.DefaultRefreshHeader), nil)
	fmt.Println("10:53, previous window:", w.Code, "re-signed:", res.KeyID)

	mock.Set(time.Date(2026, 11, 22, 11, 5, 0, 0, time.UTC))
	w = post(tok)
	fmt.Println("11:05, two windows on:", w.Code, strings.TrimSpace(w.Body.String()))
	// Output:
	// signed: main:2992240
	// 10:42, current window: 204
	// 10:53, previous window: 200 re-signed: main:2992241
	// 11:05, two windows on: 401 {"error":"invalid_token","error_description":"key window retired"}
}

// A service that holds only the issuer's public keys verifies tokens itself
// and has the issuer re-sign those of the previous window: its clients get
// the re-signed token in the Refreshed-Token header, as from an issuer.
func ExampleWithIssuerRefresh() {
	// The issuer holds the root; a simulated clock keeps the output stable.
	root, _ := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithClock(mock))
	issuer, _ := jwtrot.New(d)
	// The service reads the issuer's public keys (jwks.NewClient in
	// production) and verifies with them alone.
	doc, _ := jwks.Export(context.Background(), d, mock.Now(), 2*time.Hour)
	sched, _ := rotation.NewSchedule(rotation.WithClock(mock))
	set, _ := jwks.Parse(doc, sched)
	verifier, _ := jwtrot.NewVerifier(set)

	refresh, err := httpauth.NewRefreshHandler(issuer)
	if err != nil {
		panic(err)
	}
	issuerSrv := httptest.NewServer(refresh)
	defer issuerSrv.Close()

	mw, err := httpauth.New(verifier, httpauth.WithIssuerRefresh(issuerSrv.URL, time.Second))
	if err != nil {
		panic(err)
	}
	api := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello")
	}))
	get := func(tok string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		return w
	}

	tok, _ := issuer.Sign(jwt.MapClaims{"sub": "alice"}) // at 10:42

	w := get(tok)
	fmt.Println("10:42:", w.Code, w.Body, "refreshed:", w.Header().Get("Refreshed-Token") != "")

	mock.Set(time.Date(2026, 11, 22, 10, 53, 0, 0, time.UTC))
	w = get(tok)
	fresh := w.Header().Get("Refreshed-Token")
	res, _ := verifier.Verify(context.Background(), fresh, nil)
	fmt.Println("10:53:", w.Code, w.Body, "refreshed:", res.KeyID)

	mock.Set(time.Date(2026, 11, 22, 11, 5, 0, 0, time.UTC))
	fmt.Println("11:05, the old token:", get(tok).Code)
	w = get(fresh)
	fmt.Println("11:05, the re-signed one:", w.Code, w.Body)
	// Output:
	// 10:42: 200 hello refreshed: false
	// 10:53: 200 hello refreshed: main:2992241
	// 11:05, the old token: 401
	// 11:05, the re-signed one: 200 hello
}

// The token endpoint signs what the application's Authorizer returns, never
// what the caller asked for unchecked. Here a caller authenticated by a
// (toy) session header gets one token per requested scope it may have.
func ExampleNewTokenHandler() {
	root, _ := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA))
	issuer, _ := jwtrot.New(d)
	allowed := map[string][]string{"alice": {"read", "write"}} // user -> scopes
	authorize := func(r *http.Request, requested []json.RawMessage) ([]jwt.Claims, error) {
		user := r.Header.Get("X-Session-User") // stands for a real session check
		scopes, ok := allowed[user]
		if !ok {
			return nil, errors.New("no session")
		}
		var out []jwt.Claims
		for _, raw := range requested {
			var req struct{ Scope string }
			if err := json.Unmarshal(raw, &req); err != nil {
				return nil, err
			}
			for _, s := range scopes {
				if s == req.Scope {
					out = append(out, jwt.MapClaims{"sub": user, "scope": s})
				}
			}
		}
		return out, nil
	}
	h, err := httpauth.NewTokenHandler(issuer, authorize)
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	ask := func(user, body string) {
		req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(body))
		if user != "" {
			req.Header.Set("X-Session-User", user)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var out struct {
			Tokens []string `json:"tokens"`
			Error  string   `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&out)
		fmt.Printf("%s: %d", user, resp.StatusCode)
		for _, t := range out.Tokens {
			var c struct {
				jwt.RegisteredClaims
				Scope string `json:"scope"`
			}
			_, err := issuer.Verify(context.Background(), t, &c)
			fmt.Printf(" %s:%s:%v", c.Subject, c.Scope, err == nil)
		}
		if out.Error != "" {
			fmt.Printf(" %s", out.Error)
		}
		fmt.Println()
	}
	ask("alice", `{"claims":[{"scope":"read"},{"scope":"write"},{"scope":"admin"}]}`)
	ask("mallory", `{"claims":[{"scope":"read"}]}`)
	// Output:
	// alice: 200 alice:read:true alice:write:true
	// mallory: 403 access_denied
}
