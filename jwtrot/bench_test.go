package jwtrot

import (
	"context"
	"github.com/jwtrot/jwtrot/rotation"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// benchClaims is a typical access token: iss, sub, aud, exp, iat, nbf, jti
// and two custom claims, about 330 bytes signed.
type benchClaims struct {
	jwt.RegisteredClaims
	Role   string `json:"role"`
	Tenant string `json:"tenant"`
}

func newBenchClaims() benchClaims {
	return benchClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    "auth.example",
			Subject:   "u-12345678",
			Audience:  jwt.ClaimStrings{"api"},
			ExpiresAt: jwt.NewNumericDate(testEpoch.Add(time.Hour)),
			IssuedAt:  jwt.NewNumericDate(testEpoch),
			NotBefore: jwt.NewNumericDate(testEpoch),
			ID:        "Tb6dK2x0RfW9qLm3ZpA7cQ",
		},
		Role:   "editor",
		Tenant: "acme",
	}
}

func benchFixture(b *testing.B) (*fixture, string) {
	f := newFixture(b, WithIssuer("auth.example"), WithAudience("api"))
	tok, err := f.a.Sign(newBenchClaims())
	if err != nil {
		b.Fatal(err)
	}
	return f, tok
}

func benchVerify(b *testing.B, f *fixture, tok string, wantResign bool) {
	b.Helper()
	b.ReportAllocs()
	b.SetBytes(int64(len(tok)))
	for b.Loop() {
		var rc jwt.RegisteredClaims
		res, err := f.a.Verify(ctx, tok, &rc)
		if err != nil || (res.Resigned != "") != wantResign {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is jwtrot's verification into jwt.RegisteredClaims: the
// current window, the previous one with the re-signed token, and the next
// one within the skew.
func BenchmarkVerify(b *testing.B) {
	b.Run("current", func(b *testing.B) {
		f, tok := benchFixture(b)
		benchVerify(b, f, tok, false)
	})
	b.Run("previous+resign", func(b *testing.B) {
		f, tok := benchFixture(b)
		f.clock.Add(10 * time.Minute)
		benchVerify(b, f, tok, true)
	})
	b.Run("current-fixed-clock", func(b *testing.B) {
		f := newFixtureWith(b, []rotation.Option{rotation.WithClock(fixedClock(testEpoch))},
			WithIssuer("auth.example"), WithAudience("api"))
		tok, _ := f.a.Sign(newBenchClaims())
		benchVerify(b, f, tok, false)
	})
	b.Run("next", func(b *testing.B) {
		f, _ := benchFixture(b)
		end := f.d.Schedule().WindowAt(testEpoch).End()
		f.clock.Set(end.Add(time.Second)) // a signer whose clock is ahead
		tok, _ := f.a.Sign(newBenchClaims())
		f.clock.Set(end.Add(-time.Second)) // verified just before the boundary
		benchVerify(b, f, tok, false)
	})
	b.Run("current/MapClaims", func(b *testing.B) {
		f, tok := benchFixture(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.a.Verify(ctx, tok, jwt.MapClaims{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("current/struct", func(b *testing.B) {
		f, tok := benchFixture(b)
		b.ReportAllocs()
		for b.Loop() {
			var c benchClaims
			if _, err := f.a.Verify(ctx, tok, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGolangJWT is the reference: golang-jwt v5 with the same token and
// a static key, as the issue states it: Parse into MapClaims with
// WithValidMethods HS256; ParseWithClaims into RegisteredClaims.
func BenchmarkGolangJWT(b *testing.B) {
	f, tok := benchFixture(b)
	key := f.keyAt(testEpoch).Bytes()
	keyfunc := func(*jwt.Token) (any, error) { return key, nil }
	b.Run("Parse/MapClaims", func(b *testing.B) {
		p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(f.clock.Now))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Parse(tok, keyfunc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ParseWithClaims/RegisteredClaims", func(b *testing.B) {
		p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(f.clock.Now))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.ParseWithClaims(tok, &jwt.RegisteredClaims{}, keyfunc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ParseWithClaims/struct", func(b *testing.B) {
		p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(f.clock.Now))
		b.ReportAllocs()
		for b.Loop() {
			var c benchClaims
			if _, err := p.ParseWithClaims(tok, &c, keyfunc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SignedString", func(b *testing.B) {
		c := newBenchClaims()
		b.ReportAllocs()
		for b.Loop() {
			t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
			t.Header["kid"] = "main:2992240"
			if _, err := t.SignedString(key); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSign(b *testing.B) {
	f, _ := benchFixture(b)
	c := newBenchClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.a.Sign(c); err != nil {
			b.Fatal(err)
		}
	}
}

// fixedClock always says the same instant. Unlike clock.Mock it takes no
// lock, so, like the real clock, it lets parallel benchmarks scale.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// BenchmarkVerifyParallel shows verification scales with cores: no lock on
// the hot path. Compare with BenchmarkVerify/current-fixed-clock.
func BenchmarkVerifyParallel(b *testing.B) {
	b.Run("jwtrot", func(b *testing.B) {
		f := newFixtureWith(b, []rotation.Option{rotation.WithClock(fixedClock(testEpoch))},
			WithIssuer("auth.example"), WithAudience("api"))
		tok, _ := f.a.Sign(newBenchClaims())
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				var rc jwt.RegisteredClaims
				if _, err := f.a.Verify(ctx, tok, &rc); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("golang-jwt", func(b *testing.B) {
		f, tok := benchFixture(b)
		key := f.keyAt(testEpoch).Bytes()
		p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(fixedClock(testEpoch).Now))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := p.Parse(tok, func(*jwt.Token) (any, error) { return key, nil }); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkFirstOfWindow verifies, in each iteration, the first token of a
// new window (the next window's set prepared within the skew, as a live
// server's traffic would); compare with "steady", a second verification in
// the same window.
func BenchmarkFirstOfWindow(b *testing.B) {
	for _, first := range []bool{true, false} {
		name := "steady"
		if first {
			name = "first"
		}
		b.Run(name, func(b *testing.B) {
			clk := newSimClock(testEpoch)
			root, _ := rotation.NewRoot("main", testSecret)
			d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(clk), rotation.WithWindow(10*time.Minute), rotation.WithSkew(30*time.Second))
			a, _ := New(d, WithTTL(24*time.Hour), WithMaxAge(24*time.Hour))
			ctx := context.Background()
			w := d.Schedule().WindowAt(testEpoch)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				clk.set(w.End().Add(-10 * time.Second))
				tok, _ := a.Sign(nil)
				a.Verify(ctx, tok, nil) // within the skew: prepares the next set
				for a.next.Load() == nil || a.next.Load().index != w.Index()+1 {
					time.Sleep(10 * time.Microsecond)
				}
				w = w.Next()
				clk.set(w.Start().Add(time.Second))
				if !first {
					a.Verify(ctx, tok, nil)
				}
				b.StartTimer()
				if _, err := a.Verify(ctx, tok, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
