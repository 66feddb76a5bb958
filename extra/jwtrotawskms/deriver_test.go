package jwtrotawskms

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/extra/jwtrotawskms/internal/kmstest"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

var (
	testEpoch  = time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC)
	testSecret = []byte("0123456789abcdef0123456789abcdef-aws-kms-root")
)

// twins are two Authorities on one mock clock over the same root, one held
// in memory and one whose PRK is in the emulator.
type twins struct {
	mem, kms *jwtrot.Authority
	dk       *rotation.Deriver
	mock     *clock.Mock
	emu      *kmstest.Emulator
	calls    *counter
	log      *logBuffer
}

func newTwins(t testing.TB, alg rotation.Algorithm) *twins {
	t.Helper()
	roots, keys := seedRoots(t, map[string][]byte{"main": testSecret})
	emu := kmstest.Start(t, kmstest.Seed(keys...))
	calls := newCounter()
	tw := twinsOver(t, alg, roots["main"].mem, emu.Client(calls, fastRetries), roots["main"].alias)
	tw.emu, tw.calls = emu, calls
	return tw
}

// twinsOver returns twins whose KMS side is the key keyID, holding mem's
// PRK, through c.
func twinsOver(t testing.TB, alg rotation.Algorithm, mem *rotation.Root, c *kms.Client, keyID string) *twins {
	t.Helper()
	prk, _ := mem.ExportPRK()
	addSecret(prk)
	tw := &twins{log: &logBuffer{}, mock: clock.NewMock()}
	tw.mock.Set(testEpoch)
	ext, err := rotation.NewExternalRoot("main", newExpander(t, c, keyID))
	if err != nil {
		t.Fatal(err)
	}
	dm, err := rotation.NewDeriver([]*rotation.Root{mem}, rotation.WithClock(tw.mock), rotation.WithAlgorithm(alg))
	if err != nil {
		t.Fatal(err)
	}
	tw.dk, err = rotation.NewDeriver([]*rotation.Root{ext}, rotation.WithClock(tw.mock), rotation.WithAlgorithm(alg),
		rotation.WithLogger(tw.log.logger()), rotation.WithDeriveTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tw.dk.Close() })
	if tw.mem, err = jwtrot.New(dm); err != nil {
		t.Fatal(err)
	}
	if tw.kms, err = jwtrot.New(tw.dk); err != nil {
		t.Fatal(err)
	}
	return tw
}

// TestKMSAndMemoryVerifyEachOther: tokens cross both ways between a root
// in KMS and the same root in memory, HMAC and EdDSA, and a
// previous-window token is re-signed identically by both.
func TestKMSAndMemoryVerifyEachOther(t *testing.T) {
	for _, alg := range []rotation.Algorithm{rotation.HS256, rotation.HS512, rotation.EdDSA} {
		t.Run(alg.String(), func(t *testing.T) {
			tw := newTwins(t, alg)
			for _, pair := range []struct {
				name           string
				signer, verify *jwtrot.Authority
			}{{"memory→kms", tw.mem, tw.kms}, {"kms→memory", tw.kms, tw.mem}} {
				tw.mock.Set(testEpoch)
				tok, err := pair.signer.Sign(jwt.RegisteredClaims{Subject: "alice", ExpiresAt: jwt.NewNumericDate(testEpoch.Add(time.Hour))})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := pair.verify.Verify(context.Background(), tok, nil); err != nil {
					t.Fatalf("%s: %v", pair.name, err)
				}
				tw.mock.Add(10 * time.Minute)
				awaitNextKeys(t, tw.dk, tw.mock.Now())
				r1, err1 := pair.verify.Verify(context.Background(), tok, nil)
				r2, err2 := pair.signer.Verify(context.Background(), tok, nil)
				if err1 != nil || err2 != nil || r1.Resigned == "" || r1.Resigned != r2.Resigned {
					t.Fatalf("%s: previous-window token: %v, %v", pair.name, err1, err2)
				}
			}
			assertNoSecrets(t, tw.log.String())
		})
	}
}

// TestEmulatorKilled kills the emulator mid-run, under traffic: requests in
// the windows already derived are all served; past them, tokens of the new
// window are refused at once with key_unavailable; when KMS is back the
// Deriver recovers by itself.
func TestEmulatorKilled(t *testing.T) {
	tw := newTwins(t, rotation.HS256)
	cur := windowOf(testEpoch, 10*time.Minute)
	exp := jwt.NewNumericDate(testEpoch.Add(time.Hour))
	tokCur, _ := tw.mem.Sign(jwt.RegisteredClaims{Subject: "a", ExpiresAt: exp})
	tw.mock.Set(cur.End().Add(5 * time.Second))
	tokNext, _ := tw.mem.Sign(jwt.RegisteredClaims{Subject: "b", ExpiresAt: exp})
	tw.mock.Set(cur.End().Add(-10 * time.Second))

	// Traffic from 4 goroutines while the emulator is killed.
	var served, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				tok, err := tw.kms.Sign(jwt.RegisteredClaims{Subject: "c", ExpiresAt: exp})
				if err == nil {
					_, err = tw.kms.Verify(context.Background(), tok, nil)
				}
				if err == nil {
					_, err = tw.kms.Verify(context.Background(), tokCur, nil)
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				served.Add(1)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	before := served.Load()
	tw.emu.Stop()
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || served.Load() <= before || before == 0 {
		t.Fatalf("under traffic, emulator killed: %d served (%d before), %d failed: %v", served.Load(), before, failed.Load(), firstErr.Load())
	}

	// Still within the derived horizon: the next window too.
	for _, at := range []time.Time{cur.End().Add(-10 * time.Second), cur.End(), cur.Next().End().Add(-time.Second)} {
		tw.mock.Set(at)
		for _, tok := range []string{tokCur, tokNext} {
			if _, err := tw.kms.Verify(context.Background(), tok, nil); err != nil && !(tok == tokCur && at.After(cur.Next().Start()) && errors.Is(err, jwtrot.ErrWindowRetired)) {
				t.Fatalf("at %s within the horizon: %v", at.Format(time.TimeOnly), err)
			}
		}
		if _, err := tw.kms.Sign(jwt.RegisteredClaims{Subject: "c"}); err != nil {
			t.Fatalf("signing within the horizon: %v", err)
		}
	}
	// Past the horizon: the window after next has no key.
	tw.mock.Set(cur.Next().End().Add(time.Second))
	tokLate, _ := tw.mem.Sign(jwt.RegisteredClaims{Subject: "d", ExpiresAt: jwt.NewNumericDate(tw.mock.Now().Add(time.Hour))})
	start := time.Now()
	for range 100 {
		_, err := tw.kms.Verify(context.Background(), tokLate, nil)
		if !errors.Is(err, jwtrot.ErrKeyUnavailable) || jwtrot.Reason(err) != "signing key unavailable" {
			t.Fatalf("past the horizon: %v (%q)", err, jwtrot.Reason(err))
		}
		if _, err := tw.kms.Sign(jwt.RegisteredClaims{Subject: "e"}); !errors.Is(err, jwtrot.ErrKeyUnavailable) {
			t.Fatalf("signing past the horizon: %v", err)
		}
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("200 refusals took %v: a request waited on KMS", el)
	}
	// The previous window, derived before the outage, still verifies.
	if _, err := tw.kms.Verify(context.Background(), tokNext, nil); err != nil {
		t.Fatalf("previous window during the outage: %v", err)
	}
	// KMS back: recovery without a restart of the service.
	time.Sleep(300 * time.Millisecond) // let a few attempts fail
	tw.emu.Restart()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := tw.kms.Verify(context.Background(), tokLate, nil)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery within 15s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The round that derived tokLate's key logs the recovery once it has
	// derived the round's other windows too: wait for the line.
	logs := tw.log.String()
	for !contains(logs, "succeeded again") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		logs = tw.log.String()
	}
	if !contains(logs, "deriving window keys through the module failed") || !contains(logs, "succeeded again") {
		t.Fatalf("the outage and the recovery were not logged: %s", logs)
	}
	assertNoSecrets(t, logs)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// windowOf returns the window of the given length that contains t.
func windowOf(t time.Time, length time.Duration) rotation.Window {
	s, err := rotation.NewSchedule(rotation.WithWindow(length))
	if err != nil {
		panic(err)
	}
	return s.WindowAt(t)
}
