package jwtrotprom_test

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/extra/jwtrotprom"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkVerify verifies one token into *jwt.RegisteredClaims with no
// observer and with the Prometheus one: compare the two with benchstat.
func BenchmarkVerify(b *testing.B) {
	root, _ := rotation.NewRoot("main", []byte("benchmark root, not a secret: 0123456789abcdef"))
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(fixedClock(time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC))))
	if err != nil {
		b.Fatal(err)
	}
	obs, _ := jwtrotprom.New(prometheus.NewRegistry())
	for _, bc := range []struct {
		name string
		opts []jwtrot.Option
	}{
		{"observer=none", nil},
		{"observer=prometheus", []jwtrot.Option{jwtrot.WithObserver(obs.Observe)}},
	} {
		a, err := jwtrot.New(d, append(bc.opts, jwtrot.WithIssuer("auth"), jwtrot.WithAudience("api"))...)
		if err != nil {
			b.Fatal(err)
		}
		tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
		b.Run(bc.name, func(b *testing.B) {
			var c jwt.RegisteredClaims
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Verify(ctx, tok, &c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
