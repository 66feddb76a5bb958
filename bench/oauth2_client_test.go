package bench

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestOAuth2ClientCredentials: golang.org/x/oauth2/clientcredentials, the
// Go client services use, gets jwtrot tokens from
// httpauth.NewClientCredentialsHandler with each of its client
// authentication styles (Basic with the id and secret form-urlencoded, form
// parameters, and auto-detection), and its http.Client calls an API behind
// httpauth's middleware with them; a wrong secret is its RetrieveError with
// invalid_client. It lives in the bench module so that the library's go.mod
// never requires x/oauth2.
func TestOAuth2ClientCredentials(t *testing.T) {
	root, err := rotation.NewRoot("main", []byte("bench root: 32 bytes or more, not a secret"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root})
	if err != nil {
		t.Fatal(err)
	}
	a, err := jwtrot.New(d, jwtrot.WithTTL(10*time.Minute), jwtrot.WithIssuer("https://auth.example"))
	if err != nil {
		t.Fatal(err)
	}
	const id, secret = "reports:batch", "a secret+with/chars that=need&encoding 0123456789"
	clients, err := httpauth.NewClientSecrets(httpauth.RegisteredClient{ID: id, Secret: secret, Scopes: []string{"read", "write"}, Audience: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := httpauth.NewClientCredentialsHandler(a, clients)
	if err != nil {
		t.Fatal(err)
	}
	mw, err := httpauth.New(a, httpauth.WithClaims(func() jwt.Claims { return new(httpauth.ScopedClaims) }))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /token", tokens)
	mux.Handle("GET /api", mw.Require(httpauth.Policy{Audience: "api", Scopes: []string{"read"}})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := httpauth.ClaimsFrom[*httpauth.ScopedClaims](r.Context())
		io.WriteString(w, c.Subject+" "+c.Scope)
	})))
	srv := httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(srv.Close)

	for _, style := range []struct {
		name  string
		style oauth2.AuthStyle
	}{{"header", oauth2.AuthStyleInHeader}, {"params", oauth2.AuthStyleInParams}, {"auto", oauth2.AuthStyleAutoDetect}} {
		t.Run(style.name, func(t *testing.T) {
			cfg := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: srv.URL + "/token",
				Scopes: []string{"read"}, AuthStyle: style.style}
			ctx := context.Background()
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			if tok.Type() != "Bearer" || tok.Extra("scope") != "read" {
				t.Errorf("type %q, scope %v", tok.Type(), tok.Extra("scope"))
			}
			if left := time.Until(tok.Expiry); left < 9*time.Minute || left > 10*time.Minute+time.Second {
				t.Errorf("expires in %v, want about 10m", left)
			}
			var c httpauth.ScopedClaims
			if _, err := a.Verify(ctx, tok.AccessToken, &c); err != nil || c.Subject != id || c.Issuer != "https://auth.example" {
				t.Errorf("the token: %v, sub %q iss %q", err, c.Subject, c.Issuer)
			}
			resp, err := cfg.Client(ctx).Get(srv.URL + "/api")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != id+" read" {
				t.Errorf("the API answered %d %q", resp.StatusCode, body)
			}
		})
	}

	wrong := clientcredentials.Config{ClientID: id, ClientSecret: secret + "x", TokenURL: srv.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader}
	_, err = wrong.Token(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != 401 {
		t.Fatalf("a wrong secret: %v", err)
	}
	scope := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: srv.URL + "/token", Scopes: []string{"admin"}}
	if _, err := scope.Token(context.Background()); !errors.As(err, &re) || re.ErrorCode != "invalid_scope" {
		t.Fatalf("a scope not allowed: %v", err)
	}
}
