package jwks_test

import (
	"context"
	"fmt"
	"net/http"
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
	doc, err := jwks.Export(context.Background(), d, d.Schedule().Now(), 24*time.Hour)
	if err != nil {
		panic(err)
	}
	token, _ := issuer.Sign(jwt.RegisteredClaims{Subject: "alice"})

	// On the verifier: the document (a file, say) and the window length.
	sched, _ := rotation.NewSchedule(rotation.WithWindow(10 * time.Minute))
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

// A verifier reads the issuer's JWKS URL, and nothing else: the document
// states the window schedule. The Client fetches again when the issuer's
// Cache-Control says, and keeps the last good document if the issuer is
// down.
func ExampleNewClient() {
	root, _ := rotation.NewRoot("main", []byte("example root: 32 bytes or more, never use it"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA))
	issuer, _ := jwtrot.New(d)
	pub, _ := jwks.NewHandler(d, time.Hour)
	srv := httptest.NewServer(pub) // the issuer's https://…/.well-known/jwks.json
	defer srv.Close()

	keys, err := jwks.NewClient(srv.URL)
	if err != nil {
		panic(err) // a URL that is not https, or an issuer that contradicts a local setting
	}
	defer keys.Close()
	// Not ready until the issuer answers; a readiness probe can serve
	// keys.ReadyHandler().
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := keys.WaitReady(ctx); err != nil {
		panic(err)
	}
	v, _ := jwtrot.NewVerifier(keys)

	token, _ := issuer.Sign(jwt.RegisteredClaims{Subject: "bob"})
	res, err := v.Verify(context.Background(), token, nil)
	fmt.Println(err, res.Position)
	// Output: <nil> current
}

// An issuer whose document states its fleet (MarshalFleet): the verifier
// needs only the URL, and takes the window, skew, purpose, maximum age and
// issuer from it.
func ExampleMarshalFleet() {
	root, _ := rotation.NewRoot("main", []byte("example root: 32 bytes or more, never use it"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA))
	fleet := rotation.Fleet{Algorithm: rotation.EdDSA, Window: d.Schedule().Length(), Skew: d.Schedule().Skew(),
		MaxAge: 8 * time.Hour, Issuer: "auth", Purposes: []string{d.Purpose()}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var keys []*rotation.PublicKey
		for _, w := range []rotation.Window{d.Schedule().WindowAt(d.Schedule().Now()).Prev(), d.Schedule().WindowAt(d.Schedule().Now()), d.Schedule().WindowAt(d.Schedule().Now()).Next()} {
			k, _ := d.PublicKeyAt(r.Context(), "main", w)
			keys = append(keys, k)
		}
		w.Write(jwks.MarshalFleet(keys, fleet))
	}))
	defer srv.Close()

	keys, err := jwks.NewClient(srv.URL)
	if err != nil {
		panic(err)
	}
	defer keys.Close()
	f := keys.Info().Fleet
	fmt.Println(keys.Ready(), f.Window, f.Skew, f.MaxAge, f.Issuer, f.Purposes)
	// Output: true 10m0s 30s 8h0m0s auth [access]
}
