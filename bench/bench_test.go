// Package bench compares what verifying a JWT costs with jwtrot, golang-jwt,
// lestrrat-go/jwx, go-jose, the naive rotating scheme of the article jwtrot
// started from, and the floor (strict base64 and one keyed HMAC). It is its
// own module so the peers stay out of the library's go.mod. Run ./run.sh.
package bench

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/lestrrat-go/jwx/v3/jwa"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"
)

// epoch is mid-window: 10:45 in the 10-minute window [10:40, 10:50).
var epoch = time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC)

const window = 10 * time.Minute

// typical is a typical access token's claims: iss, sub, aud, exp, iat, nbf,
// jti and two custom claims.
type typical struct {
	jwt.RegisteredClaims
	Role   string `json:"role"`
	Tenant string `json:"tenant"`
}

func claims() typical { return claimsAt(epoch) }

func claimsAt(epoch time.Time) typical {
	return typical{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    "auth.example",
			Subject:   "u-12345678",
			Audience:  jwt.ClaimStrings{"api"},
			ExpiresAt: jwt.NewNumericDate(epoch.Add(time.Hour)),
			IssuedAt:  jwt.NewNumericDate(epoch),
			NotBefore: jwt.NewNumericDate(epoch),
			ID:        "Tb6dK2x0RfW9qLm3ZpA7cQ",
		},
		Role:   "editor",
		Tenant: "acme",
	}
}

// fixedClock always says the same instant. Unlike clock.Mock it takes no
// lock, so, like the real clock, it lets parallel benchmarks scale.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// world is one jwtrot instance whose clock says `at`, the typical token
// signed at epoch, and epoch's window key for the static-key peers.
type world struct {
	clock fixedClock
	d     *rotation.Deriver
	a     *jwtrot.Authority
	token string
	key   []byte
}

func newWorld(b testing.TB) *world { return newWorldAt(b, epoch, epoch) }

func newWorldAt(b testing.TB, signAt, at time.Time) *world {
	root, err := rotation.NewRoot("main", []byte("bench root: 32 bytes or more, not a secret"))
	if err != nil {
		b.Fatal(err)
	}
	authority := func(c rotation.Clock) (*rotation.Deriver, *jwtrot.Authority) {
		d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithWindow(window), rotation.WithClock(c))
		if err != nil {
			b.Fatal(err)
		}
		a, err := jwtrot.New(d, jwtrot.WithIssuer("auth.example"), jwtrot.WithAudience("api"))
		if err != nil {
			b.Fatal(err)
		}
		return d, a
	}
	signD, signer := authority(fixedClock(signAt))
	tok, err := signer.Sign(claimsAt(signAt))
	if err != nil {
		b.Fatal(err)
	}
	d, a := authority(fixedClock(at))
	sk, err := signD.SigningKey(signAt)
	if err != nil {
		b.Fatal(err)
	}
	return &world{clock: fixedClock(at), d: d, a: a, token: tok, key: sk.Bytes()}
}

func (w *world) keyfunc(*jwt.Token) (any, error) { return w.key, nil }

func BenchmarkJwtrot(b *testing.B) {
	b.Run("verify/current", func(b *testing.B) {
		w := newWorld(b)
		jwtrotLoop(b, w, false)
	})
	b.Run("verify/previous+resign", func(b *testing.B) {
		w := newWorldAt(b, epoch, epoch.Add(window))
		jwtrotLoop(b, w, true)
	})
	b.Run("verify/next", func(b *testing.B) {
		// Signed just after a boundary by a clock a little ahead of this
		// verifier's, which is still in the window before.
		boundary := windowOf(epoch, window).Start()
		w := newWorldAt(b, boundary.Add(time.Second), boundary.Add(-time.Second))
		jwtrotLoop(b, w, false)
	})
	b.Run("sign", func(b *testing.B) {
		w := newWorld(b)
		c := claims()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := w.a.Sign(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// jwtrotLoop verifies into one RegisteredClaims, reset by every Verify, so
// that allocs/op counts jwtrot's own allocations (a new claims value per
// call would add one, the caller's, escaping through the jwt.Claims
// interface; golang-jwt's benchmark below reuses its value the same way).
func jwtrotLoop(b *testing.B, w *world, resign bool) {
	var rc jwt.RegisteredClaims
	b.ReportAllocs()
	for b.Loop() {
		res, err := w.a.Verify(context.Background(), w.token, &rc)
		if err != nil || (res.Resigned != "") != resign {
			b.Fatal(err)
		}
	}
}

func BenchmarkGolangJWT(b *testing.B) {
	w := newWorld(b)
	p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(w.clock.Now))
	b.Run("Parse/MapClaims", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Parse(w.token, w.keyfunc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ParseWithClaims/RegisteredClaims", func(b *testing.B) {
		rc := new(jwt.RegisteredClaims)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.ParseWithClaims(w.token, rc, w.keyfunc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SignedString", func(b *testing.B) {
		c := claims()
		b.ReportAllocs()
		for b.Loop() {
			t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
			t.Header["kid"] = "main:2992240"
			if _, err := t.SignedString(w.key); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkNaive is the article's scheme done naively: the secret is
// "my_big_bang" plus the time truncated to the window, in milliseconds,
// rebuilt on every call; golang-jwt tries the current key, then the previous.
func BenchmarkNaive(b *testing.B) {
	w := newWorld(b)
	const bigBang = "my_big_bang"
	naiveKey := func(t time.Time) []byte {
		ms := window.Milliseconds()
		return []byte(bigBang + strconv.FormatInt(t.UnixMilli()/ms*ms, 10))
	}
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims()).SignedString(naiveKey(epoch))
	// verify rebuilds the current key, then the previous one, and tries each.
	verify := func(p *jwt.Parser, now time.Time) error {
		for _, t := range []time.Time{now, now.Add(-window)} {
			key := naiveKey(t)
			if _, err := p.Parse(tok, func(*jwt.Token) (any, error) { return key, nil }); err == nil {
				return nil
			}
		}
		return errors.New("refused")
	}
	b.Run("current", func(b *testing.B) {
		p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(w.clock.Now))
		b.ReportAllocs()
		for b.Loop() {
			if err := verify(p, epoch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("previous", func(b *testing.B) {
		w := newWorldAt(b, epoch, epoch.Add(window))
		p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(w.clock.Now))
		b.ReportAllocs()
		for b.Loop() {
			if err := verify(p, epoch.Add(window)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkJWX(b *testing.B) {
	w := newWorld(b)
	clk := jwxjwt.ClockFunc(w.clock.Now)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jwxjwt.ParseString(w.token, jwxjwt.WithKey(jwa.HS256(), w.key), jwxjwt.WithClock(clk),
			jwxjwt.WithIssuer("auth.example"), jwxjwt.WithAudience("api")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoJose(b *testing.B) {
	w := newWorld(b)
	algs := []jose.SignatureAlgorithm{jose.HS256}
	b.ReportAllocs()
	for b.Loop() {
		t, err := josejwt.ParseSigned(w.token, algs)
		if err != nil {
			b.Fatal(err)
		}
		var c josejwt.Claims
		if err := t.Claims(w.key, &c); err != nil {
			b.Fatal(err)
		}
		if err := c.ValidateWithLeeway(josejwt.Expected{Issuer: "auth.example", AnyAudience: []string{"api"}, Time: w.clock.Now()}, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloor is the least any HS256 verifier does, and it does not
// allocate: split, strictly decode the signature into a stack buffer, one
// keyed HMAC over the token's own bytes (state and sum buffer reused). Then
// "hmac+claims" also decodes the claims, with encoding/json, into a small
// plain struct (not golang-jwt's RegisteredClaims and its NumericDate
// decoder), the least a verifier that reads claims does.
func BenchmarkFloor(b *testing.B) {
	w := newWorld(b)
	st := &floorMAC{h: hmac.New(sha256.New, w.key)}
	enc := base64.RawURLEncoding.Strict()
	verifyMAC := func() (string, bool) {
		dot := strings.LastIndexByte(w.token, '.')
		var sig [32]byte
		if n, err := enc.Decode(sig[:], unsafe.Slice(unsafe.StringData(w.token[dot+1:]), len(w.token)-dot-1)); err != nil || n != 32 {
			return "", false
		}
		st.h.Reset()
		st.h.Write(unsafe.Slice(unsafe.StringData(w.token), dot))
		return w.token[strings.IndexByte(w.token, '.')+1 : dot], hmac.Equal(st.h.Sum(st.sum[:0]), sig[:])
	}
	b.Run("hmac", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := verifyMAC(); !ok {
				b.Fatal("bad MAC")
			}
		}
	})
	b.Run("hmac+claims", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			payload, ok := verifyMAC()
			if !ok {
				b.Fatal("bad MAC")
			}
			p, err := enc.DecodeString(payload)
			if err != nil {
				b.Fatal(err)
			}
			var c plainClaims
			if err := json.Unmarshal(p, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// floorMAC is a keyed HMAC and its sum buffer, allocated once, so that the
// floor's Sum has a destination that does not escape per call.
type floorMAC struct {
	h   hash.Hash
	sum [32]byte
}

// plainClaims is the token's claims as a plain struct: strings and int64s.
type plainClaims struct {
	Iss    string   `json:"iss"`
	Sub    string   `json:"sub"`
	Aud    []string `json:"aud"`
	Exp    int64    `json:"exp"`
	Iat    int64    `json:"iat"`
	Nbf    int64    `json:"nbf"`
	Jti    string   `json:"jti"`
	Role   string   `json:"role"`
	Tenant string   `json:"tenant"`
}

// BenchmarkParallel runs the verifies on every core (GOMAXPROCS); compare its
// ns/op with the serial ones for the scaling.
func BenchmarkParallel(b *testing.B) {
	b.Run("jwtrot", func(b *testing.B) {
		w := newWorld(b)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				var rc jwt.RegisteredClaims
				if _, err := w.a.Verify(context.Background(), w.token, &rc); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("golang-jwt", func(b *testing.B) {
		w := newWorld(b)
		p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(w.clock.Now))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := p.Parse(w.token, w.keyfunc); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// TestTokenSize pins the benchmark token to the typical size the comparison
// claims (about 330 bytes).
func TestTokenSize(t *testing.T) {
	w := newWorld(t)
	if n := len(w.token); n < 300 || n > 360 {
		t.Fatalf("benchmark token is %d bytes; want about 330", n)
	}
}

// windowOf returns the window of the given length that contains t.
func windowOf(t time.Time, length time.Duration) rotation.Window {
	s, err := rotation.NewSchedule(rotation.WithWindow(length))
	if err != nil {
		panic(err)
	}
	return s.WindowAt(t)
}
