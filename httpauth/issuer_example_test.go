package httpauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// edIssuer returns an EdDSA Authority (the issuer, which holds the root) and
// a Verifier that holds only the issuer's public keys, both on mock, which
// starts at 10:42 on 2026-11-22 so the output is stable.
func edIssuer() (*jwtrot.Authority, *jwtrot.Verifier, *clock.Mock) {
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	root, err := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	if err != nil {
		panic(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA),
		rotation.WithWindow(10*time.Minute), rotation.WithClock(mock))
	if err != nil {
		panic(err)
	}
	issuer, err := jwtrot.New(d, jwtrot.WithTTL(time.Hour))
	if err != nil {
		panic(err)
	}
	// The public keys for two hours of windows, as a verifier would read
	// them from a file or from the issuer's jwks.NewHandler.
	doc, err := jwks.Export(context.Background(), d, mock.Now(), 2*time.Hour)
	if err != nil {
		panic(err)
	}
	sched, err := rotation.NewSchedule(rotation.WithWindow(10*time.Minute), rotation.WithClock(mock))
	if err != nil {
		panic(err)
	}
	set, err := jwks.Parse(doc, sched)
	if err != nil {
		panic(err)
	}
	verifier, err := jwtrot.NewVerifier(set)
	if err != nil {
		panic(err)
	}
	return issuer, verifier, mock
}

// kidOf returns the kid of a token's header.
func kidOf(tok string) string {
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	var h struct{ Kid string }
	json.Unmarshal(header, &h)
	return h.Kid
}

// bearer sends a request with a Bearer token and returns the response, its
// body read.
func bearer(method, url, tok string) (*http.Response, string) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, strings.TrimSpace(string(body))
}

// The issuer's refresh handler re-signs a token of the previous window,
// has nothing to do for a current one, and refuses one too old.
func ExampleNewRefreshHandler() {
	issuer, _, mock := edIssuer()
	refresh, err := httpauth.NewRefreshHandler(issuer, httpauth.WithJSONErrors())
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(refresh) // on 127.0.0.1
	defer srv.Close()

	tok, _ := issuer.Sign(jwt.MapClaims{"sub": "alice"}) // at 10:42
	fmt.Println("signed:", kidOf(tok))

	resp, _ := bearer("POST", srv.URL, tok)
	fmt.Println("10:42, current window:", resp.StatusCode)

	mock.Set(time.Date(2026, 11, 22, 10, 53, 0, 0, time.UTC))
	resp, _ = bearer("POST", srv.URL, tok)
	fmt.Println("10:53, previous window:", resp.StatusCode, "re-signed:", kidOf(resp.Header.Get(httpauth.DefaultRefreshHeader)))

	mock.Set(time.Date(2026, 11, 22, 11, 5, 0, 0, time.UTC))
	resp, body := bearer("POST", srv.URL, tok)
	fmt.Println("11:05, two windows on:", resp.StatusCode, body)
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
	issuer, verifier, mock := edIssuer()
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
	api := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})))
	defer api.Close()

	tok, _ := issuer.Sign(jwt.MapClaims{"sub": "alice"}) // at 10:42

	resp, body := bearer("GET", api.URL, tok)
	fmt.Println("10:42:", resp.StatusCode, body, "refreshed:", resp.Header.Get("Refreshed-Token") != "")

	mock.Set(time.Date(2026, 11, 22, 10, 53, 0, 0, time.UTC))
	resp, body = bearer("GET", api.URL, tok)
	fresh := resp.Header.Get("Refreshed-Token")
	fmt.Println("10:53:", resp.StatusCode, body, "refreshed:", kidOf(fresh))

	mock.Set(time.Date(2026, 11, 22, 11, 5, 0, 0, time.UTC))
	resp, _ = bearer("GET", api.URL, tok)
	fmt.Println("11:05, the old token:", resp.StatusCode)
	resp, body = bearer("GET", api.URL, fresh)
	fmt.Println("11:05, the re-signed one:", resp.StatusCode, body)
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
	issuer, _, _ := edIssuer()
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
			fmt.Printf(" %s", kidOf(t))
		}
		if out.Error != "" {
			fmt.Printf(" %s", out.Error)
		}
		fmt.Println()
	}
	ask("alice", `{"claims":[{"scope":"read"},{"scope":"write"},{"scope":"admin"}]}`)
	ask("mallory", `{"claims":[{"scope":"read"}]}`)
	// Output:
	// alice: 200 main:2992240 main:2992240
	// mallory: 403 access_denied
}
