// Package demoserver is the example server of the httpauth docs and the demo:
// a login route that issues tokens, a protected route, and a sensitive route
// with a stricter policy.
package demoserver

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/jwtrot"
)

// SensitiveMaxAge is how recent a login /transfer demands.
const SensitiveMaxAge = 5 * time.Minute

// New returns the server's routes:
//
//	POST /login     user=NAME: issues a token with scopes "read transfer"
//	GET  /me        any valid token: {"subject": ...}
//	POST /transfer  a token issued within SensitiveMaxAge with scope "transfer"
//
// /login checks no password: it is an example.
func New(auth *jwtrot.Authority, opts ...httpauth.Option) (http.Handler, error) {
	mw, err := httpauth.New(auth, append([]httpauth.Option{httpauth.WithClaims(func() jwt.Claims { return new(httpauth.ScopedClaims) })}, opts...)...)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		user := r.FormValue("user")
		if user == "" {
			http.Error(w, "user required", http.StatusBadRequest)
			return
		}
		tok, err := auth.Sign(httpauth.ScopedClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: user}, Scope: "read transfer"})
		if err != nil {
			http.Error(w, "cannot issue a token", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, map[string]string{"token": tok})
	})
	mux.Handle("GET /me", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := httpauth.ClaimsFrom[*httpauth.ScopedClaims](r.Context())
		writeJSON(w, map[string]string{"subject": c.Subject})
	})))
	sensitive := httpauth.Policy{AuthAge: SensitiveMaxAge, Scopes: []string{"transfer"}}
	mux.Handle("POST /transfer", mw.Require(sensitive)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := httpauth.ClaimsFrom[*httpauth.ScopedClaims](r.Context())
		writeJSON(w, map[string]string{"transferred_by": c.Subject})
	})))
	return mux, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
