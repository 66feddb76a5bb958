package rotation

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
)

var errModuleDown = errors.New("module unreachable")

// flakyExpander wraps an Expander and fails on demand, counting calls: the
// fault-injection double for a module.
type flakyExpander struct {
	inner Expander
	down  atomic.Bool
	calls atomic.Int64
}

func (f *flakyExpander) Expand(ctx context.Context, info []byte, n int) ([]byte, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return nil, errModuleDown
	}
	return f.inner.Expand(ctx, info, n)
}

// prkExpander is an Expander over a PRK in memory.
type prkExpander []byte

func (p prkExpander) Expand(_ context.Context, info []byte, n int) ([]byte, error) {
	return hkdf.Expand(sha256.New, p, string(info), n)
}

var _ Expander = prkExpander(nil)

func externalTwin(t testing.TB, id string, secret []byte) (*Root, *flakyExpander) {
	t.Helper()
	prk, err := mustRoot(t, id, secret).ExportPRK()
	if err != nil {
		t.Fatal(err)
	}
	f := &flakyExpander{inner: prkExpander(prk)}
	r, err := NewExternalRoot(id, f)
	if err != nil {
		t.Fatal(err)
	}
	return r, f
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestExternalRootMatchesMemoryRoot(t *testing.T) {
	for _, v := range loadVectorsForTest(t) {
		alg, _ := ParseAlgorithm(v.Alg)
		ext, _ := externalTwin(t, v.RootID, vecRoots()[v.RootID])
		key, err := deriveKey(ext, alg, v.Purpose, time.Duration(v.WindowSeconds)*time.Second, v.WindowIndex)
		if err != nil {
			t.Fatal(err)
		}
		if got := hexString(key); got != v.KeyHex {
			t.Fatalf("%s: the external root derives %s…; the vector says %s…", v.Name, got[:8], v.KeyHex[:8])
		}
	}
	mem := mustRoot(t, "main", testSecret)
	ext, _ := externalTwin(t, "main", testSecret)
	fm, err1 := mem.Fingerprint(context.Background())
	fe, err2 := ext.Fingerprint(context.Background())
	if err1 != nil || err2 != nil || fm != fe || len(fm) != 16 {
		t.Fatalf("fingerprints %q and %q (%v, %v)", fm, fe, err1, err2)
	}
	other, _ := mustRoot(t, "main", append([]byte("x"), testSecret[1:]...)).Fingerprint(context.Background())
	if other == fm {
		t.Fatal("two roots share a fingerprint")
	}
	if _, err := ext.ExportPRK(); err == nil {
		t.Fatal("an external root exported its PRK")
	}
	if _, err := NewExternalRoot("main", nil); err == nil {
		t.Fatal("nil Expander accepted")
	}
	if _, err := NewExternalRoot("bad id", prkExpander(nil)); !errors.Is(err, errRootID) {
		t.Fatalf("bad id: %v", err)
	}
	assertNoSecret(t, ext.String(), testSecret)
}

// newExternalDeriver returns a Deriver over an external root on a mock clock
// at testEpoch, 10-minute windows, 30 s skew.
func newExternalDeriver(t *testing.T, opts ...Option) (*Deriver, *flakyExpander, *clock.Mock) {
	t.Helper()
	root, f := externalTwin(t, "main", testSecret)
	mock := clock.NewMock()
	mock.Set(testEpoch)
	d, err := NewDeriver([]*Root{root}, append([]Option{WithClock(mock), WithLogger(quietLogger())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, f, mock
}

func TestExternalDeriverServesWithinHorizonAndFailsClosedAfter(t *testing.T) {
	d, f, mock := newExternalDeriver(t)
	mem, _ := NewDeriver([]*Root{mustRoot(t, "main", testSecret)}, WithClock(mock))
	cur := d.Schedule().WindowAt(testEpoch)
	// NewDeriver derived previous, current and next before returning.
	for _, w := range []Window{cur.Prev(), cur, cur.Next()} {
		k, err := d.KeyAt("main", w.Start())
		if err != nil {
			t.Fatalf("window %d not pre-derived: %v", w.Index(), err)
		}
		want, _ := mem.KeyAt("main", w.Start())
		if !bytes.Equal(k.secret.b, want.secret.b) {
			t.Fatal("external and in-memory roots derive different keys")
		}
	}
	// The module goes down just before the boundary: everything within the
	// pre-derived horizon is still served, with no call to the module.
	f.down.Store(true)
	calls := f.calls.Load()
	mock.Set(cur.End().Add(-time.Second))
	if _, _, err := d.verificationKey(KeyID("main", cur.Next().Index()), mock.Now()); err != nil {
		t.Fatalf("next window within the skew: %v", err)
	}
	mock.Set(cur.End())
	for _, w := range []Window{cur, cur.Next()} {
		if _, _, err := d.verificationKey(KeyID("main", w.Index()), mock.Now()); err != nil {
			t.Fatalf("window %d after the boundary: %v", w.Index(), err)
		}
	}
	if _, err := d.SigningKey(mock.Now()); err != nil {
		t.Fatal(err)
	}
	if f.calls.Load() != calls {
		t.Fatal("a lookup within the horizon called the module")
	}
	// One window later, with the module still down, the new window's key is
	// missing: refused at once, by name, without calling the module.
	mock.Set(cur.Next().End())
	start := time.Now()
	for range 1000 {
		if _, err := d.SigningKey(mock.Now()); !errors.Is(err, ErrKeyUnavailable) {
			t.Fatalf("missing key: %v", err)
		}
		if _, _, err := d.verificationKey(KeyID("main", cur.Next().Next().Index()), mock.Now()); !errors.Is(err, ErrKeyUnavailable) {
			t.Fatalf("missing key: %v", err)
		}
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("2000 refusals took %v: a refusal waits for something", el)
	}
	// The previous window's key (derived before the outage) still verifies.
	if _, _, err := d.verificationKey(KeyID("main", cur.Next().Index()), mock.Now()); err != nil {
		t.Fatalf("previous window during the outage: %v", err)
	}
	if err := d.prefetch(context.Background()); !errors.Is(err, ErrKeyUnavailable) || !errors.Is(err, errModuleDown) {
		t.Fatalf("Prefetch during the outage: %v", err)
	}
	// The module comes back: recovery without a restart.
	before := d.derivations.Load()
	f.down.Store(false)
	waitFor(t, func() bool {
		_, err := d.SigningKey(mock.Now())
		return err == nil
	})
	if d.derivations.Load() == before {
		t.Fatal("Derivations did not change after a key was derived")
	}
}

func TestExternalDeriverRefusesToStartWithoutModule(t *testing.T) {
	root, f := externalTwin(t, "main", testSecret)
	f.down.Store(true)
	d, err := NewDeriver([]*Root{root}, WithLogger(quietLogger()), WithDeriveTimeout(time.Second))
	if err == nil || !errors.Is(err, ErrKeyUnavailable) {
		d.Close()
		t.Fatalf("NewDeriver with the module down: %v", err)
	}
	for _, bad := range []Option{withPrefetchLead(time.Second), withPrefetchLead(time.Hour), WithDeriveTimeout(0)} {
		if d, err := NewDeriver([]*Root{root}, bad); err == nil {
			d.Close()
			t.Fatal("bad prefetch option accepted")
		}
	}
}

func TestExternalDeriverHotPathDoesNotAllocate(t *testing.T) {
	d, _, _ := newExternalDeriver(t)
	kid := KeyID("main", d.Schedule().WindowAt(testEpoch).Index())
	allocs := testing.AllocsPerRun(1000, func() {
		if _, _, err := d.verificationKey(kid, testEpoch); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SigningKey(testEpoch); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per cached lookup", allocs)
	}
}

// TestPrefetchRunsAheadOnTheRealClock lets the goroutine work on the real
// clock with 1-second windows: within about a second it derives a window
// it was not given at construction. Then Close stops it, leaving no
// goroutine behind.
func TestPrefetchRunsAheadOnTheRealClock(t *testing.T) {
	base := runtime.NumGoroutine()
	root, f := externalTwin(t, "main", testSecret)
	d, err := NewDeriver([]*Root{root}, WithWindow(time.Second), WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	start := d.derivations.Load()
	next := d.Schedule().WindowAt(time.Now()).Next()
	// Fail the first attempts: the goroutine must retry.
	f.down.Store(true)
	time.AfterFunc(200*time.Millisecond, func() { f.down.Store(false) })
	waitFor(t, func() bool {
		_, err := d.KeyAt("main", next.Next().Start())
		return err == nil
	})
	if d.derivations.Load() <= start {
		t.Fatal("no derivation counted")
	}
	d.Close()
	d.Close()
	waitFor(t, func() bool { return runtime.NumGoroutine() <= base })
}

// waitFor polls cond for up to 10 s (the real-clock tests' budget).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached within 10s")
}

func BenchmarkVerificationKeyCachedExternal(b *testing.B) {
	root, _ := externalTwin(b, "main", testSecret)
	mock := clock.NewMock()
	mock.Set(testEpoch)
	d, err := NewDeriver([]*Root{root}, WithClock(mock), WithLogger(quietLogger()))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	kid := KeyID("main", d.Schedule().WindowAt(testEpoch).Index())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := d.verificationKey(kid, testEpoch); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func loadVectorsForTest(t *testing.T) []vector {
	t.Helper()
	b, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(b, &f); err != nil || len(f.Vectors) < 20 {
		t.Fatalf("vectors: %v", err)
	}
	return f.Vectors
}

func hexString(b []byte) string { return hex.EncodeToString(b) }

// TestFingerprintVectors pins the fingerprints SPEC.md §8 gives (checked
// independently with Python's hmac module while writing it).
func TestFingerprintVectors(t *testing.T) {
	for id, want := range map[string]string{"main": "71d3ddd0d187c907", "r-2026_x": "f5ae68f155db915a"} {
		for _, r := range []*Root{mustRoot(t, id, vecRoots()[id]), func() *Root { r, _ := externalTwin(t, id, vecRoots()[id]); return r }()} {
			if got, err := r.Fingerprint(context.Background()); err != nil || got != want {
				t.Fatalf("%s (external %v): fingerprint %s, SPEC says %s (%v)", id, r.ext != nil, got, want, err)
			}
		}
	}
}
