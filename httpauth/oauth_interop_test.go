package httpauth

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/internal/tooltest"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// TestClientCredentialsPython: a client written with Python's requests
// gets tokens from the endpoint (Basic and form authentication), verifies
// them with PyJWT through the issuer's JWKS, and calls an API behind the
// middleware with them; a wrong secret gets 401 with a Basic challenge.
// Everything listens on 127.0.0.1.
func TestClientCredentialsPython(t *testing.T) {
	python := tooltest.RequirePython(t, "jwt, requests, cryptography")
	root, err := rotation.NewRoot("main", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA))
	if err != nil {
		t.Fatal(err)
	}
	a, err := jwtrot.New(d, jwtrot.WithTTL(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	token, err := NewClientCredentialsHandler(a, testClients(t))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := jwks.NewHandler(d, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	mw, err := New(a, WithClaims(func() jwt.Claims { return new(ScopedClaims) }))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /token", token)
	mux.Handle("GET /jwks", keys)
	mux.Handle("GET /api", mw.Require(Policy{Audience: "api", Scopes: []string{"read"}})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := ClaimsFrom[*ScopedClaims](r.Context())
		w.Write([]byte(c.Subject))
	})))
	srv := httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(srv.Close)

	cmd := exec.Command(python, "../testdata/interop/oauth_client.py", srv.URL+"/token", srv.URL+"/jwks", srv.URL+"/api")
	cmd.Env = append(os.Environ(), "OAUTH_CLIENT_ID="+oauthID, "OAUTH_CLIENT_SECRET="+oauthSecret)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if strings.Contains(out.String()+errOut.String(), oauthSecret) {
		t.Fatal("the client printed the secret")
	}
	if err != nil {
		t.Fatalf("the Python client: %v\n%s%s", err, out.String(), errOut.String())
	}
	want := "basic: token verified by PyJWT, expires_in 600\napi: 200\nform: token\nwrong secret: 401 invalid_client\n"
	if out.String() != want {
		t.Fatalf("the Python client printed\n%s\nwant\n%s", out.String(), want)
	}
}
