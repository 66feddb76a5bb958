package bench

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// sized is a user's claims type: RegisteredClaims embedded, two custom
// claims and a list that grows the token to the size under test.
type sized struct {
	jwt.RegisteredClaims
	Role   string   `json:"role,omitempty"`
	Tenant string   `json:"tenant,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// sizes are the token sizes of the series: about 200 B, 1 KiB, 4 KiB and
// 8 KiB (just under jwtrot's default cap of 8192 bytes).
var sizes = []struct {
	name   string
	target int
}{{"200B", 200}, {"1KiB", 1024}, {"4KiB", 4096}, {"8KiB", 8150}}

// sizedWorld is a token of about target bytes, signed by jwtrot at epoch,
// the Authority that verifies it (no issuer or audience configured, as the
// golang-jwt parser checks none) and the window key for golang-jwt.
type sizedWorld struct {
	a     *jwtrot.Authority
	token string
	key   []byte
	clock fixedClock
}

func newSizedWorld(tb testing.TB, target int) *sizedWorld {
	root, err := rotation.NewRoot("main", []byte("bench root: 32 bytes or more, not a secret"))
	if err != nil {
		tb.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithWindow(window), rotation.WithClock(fixedClock(epoch)))
	if err != nil {
		tb.Fatal(err)
	}
	a, err := jwtrot.New(d)
	if err != nil {
		tb.Fatal(err)
	}
	c := sized{RegisteredClaims: jwt.RegisteredClaims{
		Subject:   "u-12345678",
		ExpiresAt: jwt.NewNumericDate(epoch.Add(time.Hour)),
		IssuedAt:  jwt.NewNumericDate(epoch),
		ID:        "Tb6dK2x0RfW9qLm3ZpA7cQ",
	}}
	if target > 300 {
		c.Issuer, c.Audience, c.NotBefore = "auth.example", jwt.ClaimStrings{"api"}, jwt.NewNumericDate(epoch)
		c.Role, c.Tenant = "editor", "acme"
	}
	var tok string
	for {
		if tok, err = a.Sign(c); err != nil {
			tb.Fatal(err)
		}
		if len(tok) > target-48 {
			break
		}
		c.Groups = append(c.Groups, "group-"+strconv.Itoa(len(c.Groups)))
	}
	if len(tok) > target+48 {
		tb.Fatalf("the %d-byte target gave a %d-byte token", target, len(tok))
	}
	k, err := d.SigningKey(epoch)
	if err != nil {
		tb.Fatal(err)
	}
	return &sizedWorld{a: a, token: tok, key: k.Bytes(), clock: fixedClock(epoch)}
}

// BenchmarkSize verifies, at each size, one token into a user's struct
// embedding RegisteredClaims and into MapClaims, with jwtrot and with
// golang-jwt (static key, HS256 only): the same token and claims type for
// both, so each pair compares like with like.
func BenchmarkSize(b *testing.B) {
	ctx := context.Background()
	for _, sz := range sizes {
		w := newSizedWorld(b, sz.target)
		p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(w.clock.Now))
		key := func(*jwt.Token) (any, error) { return w.key, nil }
		b.Run("user/"+sz.name+"/jwtrot", func(b *testing.B) {
			b.SetBytes(int64(len(w.token)))
			b.ReportAllocs()
			for b.Loop() {
				var c sized
				if _, err := w.a.Verify(ctx, w.token, &c); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("user/"+sz.name+"/golang-jwt", func(b *testing.B) {
			b.SetBytes(int64(len(w.token)))
			b.ReportAllocs()
			for b.Loop() {
				var c sized
				if _, err := p.ParseWithClaims(w.token, &c, key); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("map/"+sz.name+"/jwtrot", func(b *testing.B) {
			b.SetBytes(int64(len(w.token)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.a.Verify(ctx, w.token, jwt.MapClaims{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("map/"+sz.name+"/golang-jwt", func(b *testing.B) {
			b.SetBytes(int64(len(w.token)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Parse(w.token, key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUserStruct is the series' user struct at the typical token's
// size (335 bytes, the typical claims), for the headline ratio.
func BenchmarkUserStruct(b *testing.B) {
	w := newWorld(b)
	ctx := context.Background()
	p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(w.clock.Now))
	b.Run("jwtrot", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c typical
			if _, err := w.a.Verify(ctx, w.token, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("golang-jwt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c typical
			if _, err := p.ParseWithClaims(w.token, &c, w.keyfunc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCPUPerOp reports the CPU time each verification costs
// (cpu-ns/op), serial and on every core with RunParallel: on a shared
// machine wall time per op in parallel says more about the neighbours than
// about the code, CPU time does not. Equal figures mean the work scales
// with the cores, with no lock or shared line to fight over.
func BenchmarkCPUPerOp(b *testing.B) {
	w := newWorld(b)
	ctx := context.Background()
	p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(w.clock.Now))
	verify := map[string]func() error{
		"jwtrot": func() error {
			var rc jwt.RegisteredClaims
			_, err := w.a.Verify(ctx, w.token, &rc)
			return err
		},
		"golang-jwt": func() error {
			_, err := p.ParseWithClaims(w.token, &jwt.RegisteredClaims{}, w.keyfunc)
			return err
		},
	}
	for _, lib := range []string{"jwtrot", "golang-jwt"} {
		f := verify[lib]
		b.Run(lib+"/serial", func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				if err := f(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
		b.Run(lib+"/parallel", func(b *testing.B) {
			start := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := f(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// TestSizedTokens pins the series' token sizes.
func TestSizedTokens(t *testing.T) {
	for _, sz := range sizes {
		w := newSizedWorld(t, sz.target)
		t.Logf("%s: %d bytes", sz.name, len(w.token))
		if n := len(w.token); n < sz.target-48 || n > sz.target+48 || n > jwtrot.DefaultMaxSize {
			t.Errorf("%s: a %d-byte token", sz.name, n)
		}
	}
}
