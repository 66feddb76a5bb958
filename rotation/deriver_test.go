package rotation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
)

// testEpoch is a fixed instant in the middle of a 10-minute window.
var testEpoch = time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC)

func newTestDeriver(t testing.TB, opts ...Option) *Deriver {
	t.Helper()
	mock := clock.NewMock()
	mock.Set(testEpoch)
	d, err := NewDeriver([]*Root{mustRoot(t, "main", testSecret)}, append([]Option{WithClock(mock)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestIndependentDeriversAgree(t *testing.T) {
	secret := bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8}, 4)
	a, _ := NewDeriver([]*Root{mustRoot(t, "main", secret)})
	b, _ := NewDeriver([]*Root{mustRoot(t, "main", append([]byte(nil), secret...))})
	at := testEpoch
	ka, kb := mustKey(a.SigningKey(at)), mustKey(b.SigningKey(at))
	if !bytes.Equal(ka.secret.b, kb.secret.b) || ka.ID() != kb.ID() {
		t.Fatal("two derivers from one root disagree")
	}
	want, err := deriveKey(mustRoot(t, "main", secret), HS256, DefaultPurpose, defaultWindow, a.Schedule().WindowAt(at).Index())
	if err != nil || !bytes.Equal(want, ka.secret.b) {
		t.Fatalf("Deriver and DeriveKey disagree (%v)", err)
	}
}

func TestEveryInputChangesTheKey(t *testing.T) {
	root := mustRoot(t, "main", testSecret)
	other := mustRoot(t, "main", append([]byte("x"), testSecret[1:]...))
	base := func() (*Root, Algorithm, string, time.Duration, int64) {
		return root, HS256, "access", 10 * time.Minute, 100
	}
	variants := map[string]func() (*Root, Algorithm, string, time.Duration, int64){
		"base": base,
		"root": func() (*Root, Algorithm, string, time.Duration, int64) {
			return other, HS256, "access", 10 * time.Minute, 100
		},
		"purpose": func() (*Root, Algorithm, string, time.Duration, int64) {
			return root, HS256, "refresh", 10 * time.Minute, 100
		},
		"alg": func() (*Root, Algorithm, string, time.Duration, int64) {
			return root, HS384, "access", 10 * time.Minute, 100
		},
		"length": func() (*Root, Algorithm, string, time.Duration, int64) {
			return root, HS256, "access", 11 * time.Minute, 100
		},
		"index": func() (*Root, Algorithm, string, time.Duration, int64) {
			return root, HS256, "access", 10 * time.Minute, 101
		},
		"neg": func() (*Root, Algorithm, string, time.Duration, int64) {
			return root, HS256, "access", 10 * time.Minute, -100
		},
	}
	seen := map[string]string{}
	for name, v := range variants {
		key, err := deriveKey(v())
		if err != nil {
			t.Fatal(err)
		}
		prefix := string(key[:32]) // HS384 extends, so compare the first 32 bytes too
		if prev, ok := seen[prefix]; ok {
			t.Errorf("%s and %s derive the same key", name, prev)
		}
		seen[prefix] = name
	}
}

func TestInfoIsUnambiguous(t *testing.T) {
	// Purposes that a naive concatenation would confuse with their neighbours.
	a, _ := windowInfo(HS256, "ab", time.Minute, 1)
	b, _ := windowInfo(HS256, "a", time.Minute, 1)
	if bytes.HasPrefix(a, b[:len(b)-16]) && len(a) == len(b) {
		t.Fatal("info strings of different purposes overlap")
	}
	for _, bad := range []string{"", "has space", "tab\t", "é", string(make([]byte, 65))} {
		if _, err := windowInfo(HS256, bad, time.Minute, 1); !errors.Is(err, errPurpose) {
			t.Errorf("windowInfo(purpose %q) = %v; want errPurpose", bad, err)
		}
	}
	if _, err := windowInfo(0, "access", time.Minute, 1); err == nil {
		t.Error("Info accepted algorithm 0")
	}
}

func TestNewDeriverRefuses(t *testing.T) {
	root := mustRoot(t, "main", testSecret)
	dup := mustRoot(t, "main", bytes.Repeat([]byte("0123456789"), 4))
	tests := map[string]struct {
		roots []*Root
		opts  []Option
	}{
		"no roots":         {nil, nil},
		"nil root":         {[]*Root{nil}, nil},
		"duplicate id":     {[]*Root{root, dup}, nil},
		"zero window":      {[]*Root{root}, []Option{WithWindow(0)}},
		"half second":      {[]*Root{root}, []Option{WithWindow(1500 * time.Millisecond)}},
		"bad algorithm":    {[]*Root{root}, []Option{WithAlgorithm(9)}},
		"bad purpose":      {[]*Root{root}, []Option{WithPurpose("a b")}},
		"skew too large":   {[]*Root{root}, []Option{WithWindow(time.Minute), WithSkew(16 * time.Second)}},
		"negative skew":    {[]*Root{root}, []Option{WithSkew(-time.Second)}},
		"nil clock":        {[]*Root{root}, []Option{WithClock(nil)}},
		"root resolver":    {[]*Root{root}, []Option{WithRootResolver(func(context.Context, string, string) (Expander, error) { return nil, nil })}},
		"keyring observer": {[]*Root{root}, []Option{WithKeyringObserver(func(KeyringEvent) {})}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if d, err := NewDeriver(tt.roots, tt.opts...); err == nil {
				t.Fatalf("NewDeriver accepted: %v", d.Roots())
			}
		})
	}
	d, err := NewDeriver([]*Root{root}, WithWindow(time.Second))
	if err != nil || d.Schedule().Skew() != time.Second/4 {
		t.Fatalf("default skew for a 1s window = %v, %v; want 250ms", d.Schedule().Skew(), err)
	}
}

func TestVerificationKeyPositions(t *testing.T) {
	d := newTestDeriver(t, WithSkew(30*time.Second))
	w := d.Schedule().WindowAt(testEpoch)
	start, end := w.Start(), w.End()
	ns := time.Nanosecond
	tests := []struct {
		name  string
		at    time.Time
		index int64
		pos   Position
		err   error
	}{
		{"current", testEpoch, w.Index(), Current, nil},
		{"previous", testEpoch, w.Index() - 1, Previous, nil},
		{"N-2", testEpoch, w.Index() - 2, 0, ErrWindowRetired},
		{"N+2", end.Add(-ns), w.Index() + 2, 0, ErrWindowNotOpen},
		{"next, outside skew", end.Add(-30*time.Second - ns), w.Index() + 1, 0, ErrWindowNotOpen},
		{"next, at skew", end.Add(-30 * time.Second), w.Index() + 1, Next, nil},
		{"next, 1ns before", end.Add(-ns), w.Index() + 1, Next, nil},
		{"previous at first ns", start, w.Index() - 1, Previous, nil},
		{"signed 1ns before the boundary, verified 1ns after", end.Add(ns), w.Index(), Previous, nil},
		{"previous retires at the boundary", end, w.Index() - 1, 0, ErrWindowRetired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, pos, err := d.verificationKey(KeyID("main", tt.index), tt.at)
			if !errors.Is(err, tt.err) || pos != tt.pos {
				t.Fatalf("= %v, %v; want %v, %v", pos, err, tt.pos, tt.err)
			}
			if err == nil && (k.Window().Index() != tt.index || k.ID() != KeyID("main", tt.index)) {
				t.Fatalf("key %v for index %d", k, tt.index)
			}
		})
	}
}

func TestSeveralRoots(t *testing.T) {
	primary := mustRoot(t, "new", bytes.Repeat([]byte("abcdefgh"), 4))
	fallback := mustRoot(t, "old", testSecret)
	d, err := NewDeriver([]*Root{primary, fallback})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustKey(d.SigningKey(testEpoch)).RootID(); got != "new" {
		t.Fatalf("signing root = %q; want the first, %q", got, "new")
	}
	idx := d.Schedule().WindowAt(testEpoch).Index()
	old, _, err := d.verificationKey(KeyID("old", idx), testEpoch)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := deriveKey(fallback, HS256, DefaultPurpose, defaultWindow, idx)
	if !bytes.Equal(old.secret.b, want) {
		t.Fatal("fallback root's key is not derived from the fallback root")
	}
	if k, err := d.KeyAt("old", testEpoch); k != old || err != nil {
		t.Fatal("KeyAt does not find the root by id")
	}
	if k, err := d.KeyAt("gone", testEpoch); k != nil || !errors.Is(err, ErrKeyID) {
		t.Fatal("KeyAt does not find the root by id")
	}
	// Removing the old root kills its keys.
	d2, _ := NewDeriver([]*Root{primary})
	if _, _, err := d2.verificationKey(KeyID("old", idx), testEpoch); !errors.Is(err, ErrKeyID) {
		t.Fatalf("removed root still verifies: %v", err)
	}
}

func TestOneDerivationPerWindow(t *testing.T) {
	d := newTestDeriver(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				at := testEpoch.Add(time.Duration(i) * time.Millisecond)
				d.SigningKey(at)
				if _, _, err := d.verificationKey(KeyID("main", d.Schedule().WindowAt(at).Index()), at); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := d.derivations.Load(); n != 1 {
		t.Fatalf("16000 lookups in one window caused %d derivations; want 1", n)
	}
	// Walking forward through 20 windows derives each once, whatever the
	// number of lookups, and the cache never holds more than its slots.
	for w := 1; w <= 20; w++ {
		for i := 0; i < 50; i++ {
			at := testEpoch.Add(time.Duration(w) * defaultWindow)
			d.SigningKey(at)
			d.verificationKey(KeyID("main", d.Schedule().WindowAt(at).Index()-1), at)
		}
	}
	if n := d.derivations.Load(); n != 21 {
		t.Fatalf("21 windows caused %d derivations; want 21", n)
	}
}

func TestKeyRedacts(t *testing.T) {
	d := newTestDeriver(t)
	k := mustKey(d.SigningKey(testEpoch))
	out := fmt.Sprintf("%v %+v %#v %s %x %q", k, k, k, k, k, k) + k.String()
	assertNoSecret(t, out, k.secret.b)
	b := k.Bytes()
	b[0] ^= 1
	if bytes.Equal(b, k.secret.b) {
		t.Fatal("Bytes returned the key itself, not a copy")
	}
}

func TestKeyMAC(t *testing.T) {
	k := mustKey(newTestDeriver(t).SigningKey(testEpoch))
	msg := []byte("header.payload")
	mac := k.AppendSignature(nil, msg)
	if len(mac) != 32 || !k.Verify(msg, mac) {
		t.Fatal("a key does not verify its own MAC")
	}
	mac[31] ^= 1
	if k.Verify(msg, mac) || k.Verify(msg, mac[:31]) || k.Verify(append(msg, '.'), k.AppendSignature(nil, msg)) {
		t.Fatal("a wrong MAC verified")
	}
}

func BenchmarkSigningKeyCached(b *testing.B) {
	d := newTestDeriver(b)
	d.SigningKey(testEpoch)
	b.ReportAllocs()
	for b.Loop() {
		d.SigningKey(testEpoch)
	}
}

func BenchmarkVerificationKeyCached(b *testing.B) {
	d := newTestDeriver(b)
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

func BenchmarkDerive(b *testing.B) {
	d := newTestDeriver(b)
	b.ReportAllocs()
	for b.Loop() {
		s := d.set.Load()
		s.caches[0].slots[12345%cacheSlots].Store(nil)
		d.fill(context.Background(), s, 0, Window{index: 12345, seconds: d.sched.seconds})
	}
}

// mustKey returns k, panicking on err: for roots in memory, which cannot fail.
func mustKey(k *Key, err error) *Key {
	if err != nil {
		panic(err)
	}
	return k
}
