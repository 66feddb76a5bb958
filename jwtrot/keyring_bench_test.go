package jwtrot

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/rotation"
)

// keyringDoc is a keyring of n roots over testSecret's root "main", which
// issues; the others verify (they issue later).
func keyringDoc(n int, serial int) []byte {
	roots := []map[string]any{{"id": "main", "secret": hex.EncodeToString(testSecret), "issues": testEpoch.Add(-24 * time.Hour).Format(time.RFC3339)}}
	for i := 1; i < n; i++ {
		roots = append(roots, map[string]any{"id": fmt.Sprintf("r%d", i), "secret": hex.EncodeToString([]byte(fmt.Sprintf("bench root %03d 0123456789abcdef0123456789", i))),
			"issues": testEpoch.Add(time.Duration(i) * time.Hour).Format(time.RFC3339)})
	}
	b, _ := json.Marshal(map[string]any{"jwtrot_keyring": 1, "alg": "HS256", "window": 600, "skew": 30, "purposes": []string{"access"},
		"reload": 30, "serial": serial, "roots": roots})
	return b
}

func keyringFixture(b *testing.B, src rotation.KeyringSource, opts ...Option) *Authority {
	mock := clock.NewMock()
	mock.Set(testEpoch)
	d, err := rotation.NewKeyringDeriver(src, rotation.WithClock(mock))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	a, err := New(d, opts...)
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkKeyringVerify compares verification into jwt.RegisteredClaims
// of the same token by an Authority over fixed roots, over a keyring, and
// over a keyring that another goroutine reloads without pause (each reload
// reads, parses and compares the document: the hot path only loads the
// source's version). The ratios keyring/fixed and reloading/fixed are
// the cost of the keyring on the verification path.
func BenchmarkKeyringVerify(b *testing.B) {
	fixed, tok := benchFixture(b)
	doc := keyringDoc(1, 0)
	src := func(context.Context) ([]byte, error) { return append([]byte(nil), doc...), nil }
	ring := keyringFixture(b, src, WithIssuer("auth.example"), WithAudience("api"))
	run := func(b *testing.B, a *Authority) {
		b.ReportAllocs()
		for b.Loop() {
			var rc jwt.RegisteredClaims
			if _, err := a.Verify(ctx, tok, &rc); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("fixed", func(b *testing.B) { run(b, fixed.a) })
	b.Run("keyring", func(b *testing.B) { run(b, ring) })
	b.Run("keyring-reloading", func(b *testing.B) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
					ring.Deriver().Reload(context.Background())
				}
			}
		}()
		run(b, ring)
		close(stop)
		wg.Wait()
	})
}

// BenchmarkKeyringReload is one reading of a 100-root keyring that changed
// (its serial): read, parse, check against the one in use, swap. It runs
// on the Deriver's goroutine, never on a request.
func BenchmarkKeyringReload(b *testing.B) {
	docs := [2][]byte{keyringDoc(100, 0), keyringDoc(100, 0)}
	var mu sync.Mutex
	serial := 0
	src := func(context.Context) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		return append([]byte(nil), docs[serial%2]...), nil
	}
	a := keyringFixture(b, src)
	d := a.Deriver()
	b.ReportAllocs()
	for b.Loop() {
		mu.Lock()
		serial++
		docs[serial%2] = keyringDoc(100, serial)
		mu.Unlock()
		if err := d.Reload(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
