package bench

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/lestrrat-go/jwx/v3/jwa"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"
)

// edWorld is an EdDSA issuer, a Verifier holding only the JWKS of its public
// keys, the typical token signed at epoch, and that window's public key for
// the static-key peers. Every benchmark verifies the same token.
type edWorld struct {
	clock    fixedClock
	issuer   *jwtrot.Authority
	verifier *jwtrot.Verifier
	token    string
	pub      ed25519.PublicKey
}

func newEdWorld(b testing.TB) *edWorld {
	root, err := rotation.NewRoot("main", []byte("bench root: 32 bytes or more, not a secret"))
	if err != nil {
		b.Fatal(err)
	}
	clk := fixedClock(epoch)
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithWindow(window), rotation.WithClock(clk))
	if err != nil {
		b.Fatal(err)
	}
	a, err := jwtrot.New(d, jwtrot.WithIssuer("auth.example"), jwtrot.WithAudience("api"))
	if err != nil {
		b.Fatal(err)
	}
	tok, err := a.Sign(claims())
	if err != nil {
		b.Fatal(err)
	}
	doc, err := jwks.Export(context.Background(), d, epoch, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	sched, err := rotation.NewSchedule(rotation.WithWindow(window), rotation.WithClock(clk))
	if err != nil {
		b.Fatal(err)
	}
	set, err := jwks.Parse(doc, sched)
	if err != nil {
		b.Fatal(err)
	}
	v, err := jwtrot.NewVerifier(set, jwtrot.WithIssuer("auth.example"), jwtrot.WithAudience("api"))
	if err != nil {
		b.Fatal(err)
	}
	k, err := d.SigningKey(epoch)
	if err != nil {
		b.Fatal(err)
	}
	return &edWorld{clock: clk, issuer: a, verifier: v, token: tok, pub: k.Public().Bytes()}
}

// BenchmarkEdDSA verifies one EdDSA token of the typical claims (into
// RegisteredClaims where the library decodes claims): crypto/ed25519.Verify
// alone (the floor), jwtrot's Verifier (public keys from a JWKS) and
// Authority, and golang-jwt, jwx and go-jose with a static public key.
func BenchmarkEdDSA(b *testing.B) {
	w := newEdWorld(b)
	ctx := context.Background()
	b.Run("ed25519-verify", func(b *testing.B) {
		i := strings.LastIndexByte(w.token, '.')
		input := []byte(w.token[:i])
		sig, err := base64.RawURLEncoding.DecodeString(w.token[i+1:])
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if !ed25519.Verify(w.pub, input, sig) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("jwtrot-verifier", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var rc jwt.RegisteredClaims
			if _, err := w.verifier.Verify(ctx, w.token, &rc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jwtrot-authority", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var rc jwt.RegisteredClaims
			if _, err := w.issuer.Verify(ctx, w.token, &rc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("golang-jwt", func(b *testing.B) {
		p := jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithTimeFunc(w.clock.Now),
			jwt.WithIssuer("auth.example"), jwt.WithAudience("api"))
		key := func(*jwt.Token) (any, error) { return w.pub, nil }
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.ParseWithClaims(w.token, &jwt.RegisteredClaims{}, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jwx", func(b *testing.B) {
		clk := jwxjwt.ClockFunc(w.clock.Now)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jwxjwt.ParseString(w.token, jwxjwt.WithKey(jwa.EdDSA(), w.pub), jwxjwt.WithClock(clk),
				jwxjwt.WithIssuer("auth.example"), jwxjwt.WithAudience("api")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-jose", func(b *testing.B) {
		algs := []jose.SignatureAlgorithm{jose.EdDSA}
		b.ReportAllocs()
		for b.Loop() {
			t, err := josejwt.ParseSigned(w.token, algs)
			if err != nil {
				b.Fatal(err)
			}
			var c josejwt.Claims
			if err := t.Claims(w.pub, &c); err != nil {
				b.Fatal(err)
			}
			if err := c.ValidateWithLeeway(josejwt.Expected{Issuer: "auth.example", AnyAudience: []string{"api"}, Time: w.clock.Now()}, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestVerifierAddsNoAllocation: a Verifier over a JWKS allocates no more
// per verification than the HMAC Authority for the same claims type: the
// key is found in the window set, an atomic pointer's read, with no lock
// and no allocation.
func TestVerifierAddsNoAllocation(t *testing.T) {
	ew := newEdWorld(t)
	hw := newWorld(t)
	ctx := context.Background()
	ed := testing.AllocsPerRun(100, func() { ew.verifier.Verify(ctx, ew.token, nil) })
	hs := testing.AllocsPerRun(100, func() { hw.a.Verify(ctx, hw.token, nil) })
	if ed > hs {
		t.Fatalf("a Verifier over a JWKS allocates %v per verification, the HMAC Authority %v", ed, hs)
	}
	t.Logf("allocations per verification, no claims decoded: EdDSA Verifier %v, HMAC Authority %v", ed, hs)
}
