package bench

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// TestKeyfuncReadsJWKS: golang-jwt with MicahParks/keyfunc, a widely used
// JWKS client, reads jwtrot's JWKS handler on 127.0.0.1 and verifies
// jwtrot's EdDSA tokens, refusing a tampered one and one of a kid the JWKS
// does not hold.
func TestKeyfuncReadsJWKS(t *testing.T) {
	root, err := rotation.NewRoot("main", []byte("bench root: 32 bytes or more, not a secret"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA))
	if err != nil {
		t.Fatal(err)
	}
	a, err := jwtrot.New(d)
	if err != nil {
		t.Fatal(err)
	}
	h, err := jwks.NewHandler(d, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k, err := keyfunc.NewDefaultCtx(ctx, []string{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	parse := func(tok string) (*jwt.Token, error) {
		return jwt.Parse(tok, k.Keyfunc, jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	}
	tok, err := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := parse(tok)
	if err != nil {
		t.Fatalf("keyfunc and golang-jwt refuse a jwtrot token: %v", err)
	}
	if sub, _ := parsed.Claims.GetSubject(); sub != "alice" {
		t.Fatalf("sub %q", sub)
	}
	tampered := tok[:strings.LastIndexByte(tok, '.')+1] + strings.Repeat("A", 86)
	if _, err := parse(tampered); err == nil {
		t.Fatal("a tampered token accepted")
	}
	other, _ := rotation.NewRoot("evil", []byte("another root: 32 bytes or more, not a secret"))
	od, _ := rotation.NewDeriver([]*rotation.Root{other}, rotation.WithAlgorithm(rotation.EdDSA))
	oa, _ := jwtrot.New(od)
	evil, _ := oa.Sign(jwt.RegisteredClaims{Subject: "mallory"})
	if _, err := parse(evil); err == nil {
		t.Fatal("a token of a kid the JWKS lacks accepted")
	}
}
