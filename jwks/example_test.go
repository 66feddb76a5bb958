package jwks_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// An issuer exports a day of public keys; a verifier with no network and no
// secret reads them and verifies the issuer's tokens.
func ExampleParse() {
	root, _ := rotation.NewRoot("main", []byte("example root: 32 bytes or more, never use it"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA))
	issuer, _ := jwtrot.New(d)
	doc, err := jwks.Export(context.Background(), d, d.Now(), 24*time.Hour)
	if err != nil {
		panic(err)
	}
	token, _ := issuer.Sign(jwt.RegisteredClaims{Subject: "alice"})

	// On the verifier: the document (a file, say) and the window length.
	sched, _ := rotation.NewSchedule(rotation.WithWindow(rotation.DefaultWindow))
	keys, err := jwks.Parse(doc, sched)
	if err != nil {
		panic(err)
	}
	v, _ := jwtrot.NewVerifier(keys)
	var claims jwt.RegisteredClaims
	if _, err := v.Verify(context.Background(), token, &claims); err != nil {
		panic(err)
	}
	fmt.Println(claims.Subject)
	// Output: alice
}

// A verifier reads the issuer's JWKS URL; the Client fetches ahead of each
// window and keeps the last good document if the issuer is down.
func ExampleNewClient() {
	root, _ := rotation.NewRoot("main", []byte("example root: 32 bytes or more, never use it"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA))
	issuer, _ := jwtrot.New(d)
	pub, _ := jwks.NewHandler(d, time.Hour)
	srv := httptest.NewServer(pub) // the issuer's https://…/.well-known/jwks.json
	defer srv.Close()

	sched, _ := rotation.NewSchedule(rotation.WithWindow(rotation.DefaultWindow))
	keys, err := jwks.NewClient(srv.URL, sched)
	if err != nil {
		panic(err) // a wrong URL or an unreachable issuer, found at start-up
	}
	defer keys.Close()
	v, _ := jwtrot.NewVerifier(keys)

	token, _ := issuer.Sign(jwt.RegisteredClaims{Subject: "bob"})
	res, err := v.Verify(context.Background(), token, nil)
	fmt.Println(err, res.Position)
	// Output: <nil> current
}
