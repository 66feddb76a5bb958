package jwtrotpkcs11

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

var (
	testEpoch  = time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC)
	testSecret = []byte("0123456789abcdef0123456789abcdef-pkcs11-root")
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// twinAuthorities returns two Authorities on one mock clock over the same
// root, one held in memory and one imported into a SoftHSM2 token.
func twinAuthorities(t testing.TB) (mem, hsm *jwtrot.Authority, mock *clock.Mock, cfg Config) {
	t.Helper()
	cfg = newToken(t, "main-prk")
	root, err := rotation.NewRoot("main", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if err := Import(cfg, root); err != nil {
		t.Fatal(err)
	}
	ext, err := rotation.NewExternalRoot("main", openModule(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	mock = clock.NewMock()
	mock.Set(testEpoch)
	dm, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(mock))
	if err != nil {
		t.Fatal(err)
	}
	dh, err := rotation.NewDeriver([]*rotation.Root{ext}, rotation.WithClock(mock), rotation.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dh.Close() })
	if mem, err = jwtrot.New(dm); err != nil {
		t.Fatal(err)
	}
	if hsm, err = jwtrot.New(dh); err != nil {
		t.Fatal(err)
	}
	return mem, hsm, mock, cfg
}

func TestModuleAndMemoryVerifyEachOther(t *testing.T) {
	mem, hsm, mock, _ := twinAuthorities(t)
	for _, pair := range []struct {
		name           string
		signer, verify *jwtrot.Authority
	}{{"memory→module", mem, hsm}, {"module→memory", hsm, mem}} {
		mock.Set(testEpoch)
		tok, err := pair.signer.Sign(jwt.RegisteredClaims{Subject: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pair.verify.Verify(context.Background(), tok, nil); err != nil {
			t.Fatalf("%s: %v", pair.name, err)
		}
		// One window later the token is re-signed, identically on both sides.
		mock.Add(10 * time.Minute)
		r1, err1 := pair.verify.Verify(context.Background(), tok, nil)
		r2, err2 := pair.signer.Verify(context.Background(), tok, nil)
		if err1 != nil || err2 != nil || r1.Resigned == "" || r1.Resigned != r2.Resigned {
			t.Fatalf("%s: previous-window token: %v, %v", pair.name, err1, err2)
		}
	}
}

// TestLockedTokenAtBoundary locks the real token just before a window
// boundary: it is logged out (by another session of the same application,
// as an operator's tool or a token reset would) and its PIN can no longer be
// read. Traffic within the pre-derived horizon is served; afterwards tokens
// of the new window are refused at once with ErrKeyUnavailable; when the PIN
// is back the Deriver recovers by itself.
func TestLockedTokenAtBoundary(t *testing.T) {
	mem, hsm, mock, cfg := twinAuthorities(t)
	cur := windowOf(testEpoch, 10*time.Minute)
	// Tokens signed (by the in-memory twin) in the current and next windows.
	tokCur, _ := mem.Sign(jwt.RegisteredClaims{Subject: "a", ExpiresAt: jwt.NewNumericDate(testEpoch.Add(time.Hour))})
	mock.Set(cur.End().Add(5 * time.Second))
	tokNext, _ := mem.Sign(jwt.RegisteredClaims{Subject: "b", ExpiresAt: jwt.NewNumericDate(testEpoch.Add(time.Hour))})
	mock.Set(cur.End().Add(-10 * time.Second))

	lock(t, cfg)
	pin := readPINBytes(t, cfg)
	os.Remove(cfg.PINFile)

	for _, at := range []time.Time{cur.End().Add(-10 * time.Second), cur.End(), cur.Next().End().Add(-time.Second)} {
		mock.Set(at)
		for _, tok := range []string{tokCur, tokNext} {
			if _, err := hsm.Verify(context.Background(), tok, nil); err != nil && !(tok == tokCur && at.After(cur.Next().Start()) && errors.Is(err, jwtrot.ErrWindowRetired)) {
				t.Fatalf("at %s within the horizon: %v", at.Format(time.TimeOnly), err)
			}
		}
		if _, err := hsm.Sign(jwt.RegisteredClaims{Subject: "c"}); err != nil {
			t.Fatalf("signing within the horizon: %v", err)
		}
	}
	// Past the horizon: the window after next has no key.
	mock.Set(cur.Next().End().Add(time.Second))
	tokLate, _ := mem.Sign(jwt.RegisteredClaims{Subject: "d", ExpiresAt: jwt.NewNumericDate(mock.Now().Add(time.Hour))})
	start := time.Now()
	for range 100 {
		_, err := hsm.Verify(context.Background(), tokLate, nil)
		if !errors.Is(err, jwtrot.ErrKeyUnavailable) || jwtrot.Reason(err) != "signing key unavailable" {
			t.Fatalf("past the horizon: %v (%q)", err, jwtrot.Reason(err))
		}
		if _, err := hsm.Sign(jwt.RegisteredClaims{Subject: "e"}); !errors.Is(err, jwtrot.ErrKeyUnavailable) {
			t.Fatalf("signing past the horizon: %v", err)
		}
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("200 refusals took %v", el)
	}
	// The previous window (derived before the lock) still verifies.
	if _, err := hsm.Verify(context.Background(), tokNext, nil); err != nil {
		t.Fatalf("previous window during the outage: %v", err)
	}
	// The PIN is back: the Deriver logs in again and recovers, no restart.
	if err := os.WriteFile(cfg.PINFile, pin, 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := hsm.Verify(context.Background(), tokLate, nil)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery within 10s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lock logs the application out of the token from a session of its own.
func lock(t *testing.T, cfg Config) {
	t.Helper()
	ctx, slot, err := load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer unloadLibrary(cfg.Library)
	h, err := ctx.OpenSession(slot, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.CloseSession(h)
	if err := ctx.Logout(h); err != nil {
		t.Fatal(err)
	}
}

func readPINBytes(t *testing.T, cfg Config) []byte {
	b, err := os.ReadFile(cfg.PINFile)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkVerify compares steady-state verification with a root in memory
// and the same root in SoftHSM2: once the keys are derived nothing on the
// request path touches the module, so the two should be equal. The memory
// case runs again last, to show how much the order alone moves the figures
// on a noisy machine.
func BenchmarkVerify(b *testing.B) {
	mem, hsm, _, _ := twinAuthorities(b)
	tok, err := mem.Sign(jwt.RegisteredClaims{Subject: "alice"})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		a    *jwtrot.Authority
	}{{"root=memory", mem}, {"root=softhsm2", hsm}, {"root=memory-again", mem}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.a.Verify(context.Background(), tok, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDerive is the cost of deriving one window key through SoftHSM2
// (one C_SignInit and C_Sign with CKM_SHA256_HMAC for HS256, two for HS512),
// next to the same HKDF-Expand in memory: what a Deriver asks of its root
// for each new window.
func BenchmarkDerive(b *testing.B) {
	cfg := newToken(b, "prk")
	root, _ := rotation.NewRoot("main", testSecret)
	if err := Import(cfg, root); err != nil {
		b.Fatal(err)
	}
	prk, _ := root.ExportPRK()
	memory := func(_ context.Context, info []byte, n int) ([]byte, error) {
		return hkdf.Expand(sha256.New, prk, string(info), n)
	}
	for _, alg := range []struct {
		name string
		size int
	}{{"HS256", 32}, {"HS512", 64}} {
		for _, r := range []struct {
			name   string
			expand func(context.Context, []byte, int) ([]byte, error)
		}{{"memory", memory}, {"softhsm2", openModule(b, cfg).Expand}} {
			b.Run(alg.name+"/root="+r.name, func(b *testing.B) {
				b.ReportAllocs()
				info := []byte("jwtrot/v1 window key, window 0")
				for i := 0; b.Loop(); i++ {
					info[len(info)-1] = byte(i) // a new window each time
					if _, err := r.expand(context.Background(), info, alg.size); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
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
