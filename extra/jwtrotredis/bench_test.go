package jwtrotredis

import (
	"context"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// BenchmarkVerify compares, in one run, verifying a typical token with no
// revoker, with jwtrot's in-memory RevocationList, with this Revoker on a
// warm cache (the ratio to "none" is the cost of fleet-wide revocation on
// the hot path), and an N-use token, whose use costs a round trip.
func BenchmarkVerify(b *testing.B) {
	srv := startServer(b)
	r := open(b, []string{srv.addr()})
	root, err := rotation.NewRoot("bench", []byte("jwtrotredis bench root, 32 bytes or more......"))
	if err != nil {
		b.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root})
	if err != nil {
		b.Fatal(err)
	}
	newAuth := func(opts ...jwtrot.Option) *jwtrot.Authority {
		a, err := jwtrot.New(d, append([]jwtrot.Option{jwtrot.WithIssuer("auth.example"), jwtrot.WithAudience("api")}, opts...)...)
		if err != nil {
			b.Fatal(err)
		}
		return a
	}
	claims := jwt.MapClaims{"sub": "u-12345678", "role": "editor", "tenant": "acme"}
	run := func(b *testing.B, a *jwtrot.Authority, tok string) {
		b.ReportAllocs()
		ctx := context.Background()
		for b.Loop() {
			var rc jwt.RegisteredClaims
			if _, err := a.Verify(ctx, tok, &rc); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, bc := range []struct {
		name string
		a    *jwtrot.Authority
	}{
		{"none", newAuth()},
		{"memory", newAuth(jwtrot.WithRevoker(jwtrot.NewRevocationList(rotation.SystemClock)))},
		{"redis-warm", newAuth(jwtrot.WithRevoker(r))},
	} {
		tok, err := bc.a.Sign(claims)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) { run(b, bc.a, tok) })
	}
	parallel := func(a *jwtrot.Authority) func(*testing.B) {
		return func(b *testing.B) {
			tok, _ := a.Sign(claims)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					var rc jwt.RegisteredClaims
					if _, err := a.Verify(ctx, tok, &rc); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	b.Run("redis-warm-parallel", parallel(newAuth(jwtrot.WithRevoker(r))))
	b.Run("none-parallel", parallel(newAuth()))
	b.Run("redis-nuse", func(b *testing.B) {
		a := newAuth(jwtrot.WithRevoker(r))
		b.ReportAllocs()
		ctx := context.Background()
		var tok string
		i := 0
		for b.Loop() {
			if i%jwtrot.MaxUses == 0 {
				c := jwt.MapClaims{jwtrot.UsesClaim: jwtrot.MaxUses}
				for k, v := range claims {
					c[k] = v
				}
				b.StopTimer()
				tok, _ = a.Sign(c)
				b.StartTimer()
			}
			i++
			var rc jwt.RegisteredClaims
			if _, err := a.Verify(ctx, tok, &rc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
