package rotation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestEdDSAAlgorithm(t *testing.T) {
	a, err := ParseAlgorithm("EdDSA")
	if err != nil || a != EdDSA || a.String() != "EdDSA" || a.keySize() != 32 || a.SignatureSize() != 64 || a.hashFunc() != nil {
		t.Fatalf("EdDSA: %v %v", a, err)
	}
	for _, name := range []string{"eddsa", "Ed25519", "EDDSA", "ES256"} {
		if _, err := ParseAlgorithm(name); err == nil {
			t.Errorf("%q parsed", name)
		}
	}
	if HS256.hashFunc() == nil || HS384.SignatureSize() != 48 {
		t.Error("HMAC sizes")
	}
}

// TestEdDSAKey: the key of a window is the key pair of the §3 seed; it
// signs what its public half verifies and nothing else.
func TestEdDSAKey(t *testing.T) {
	root := mustRoot(t, "main", []byte("rotation test root, 32 bytes or more, not secret"))
	at := time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC)
	d, err := NewDeriver([]*Root{root}, WithAlgorithm(EdDSA), WithClock(fixedClock(at)))
	if err != nil {
		t.Fatal(err)
	}
	k, err := d.SigningKey(at)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := deriveKey(root, EdDSA, DefaultPurpose, defaultWindow, d.Schedule().WindowAt(at).Index())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.Bytes(), seed) {
		t.Fatal("Bytes is not the derived seed")
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if !bytes.Equal(k.Public().Bytes(), priv.Public().(ed25519.PublicKey)) {
		t.Fatal("the public key is not the seed's")
	}
	msg := []byte("header.payload")
	sig := k.AppendSignature(nil, msg)
	if !bytes.Equal(sig, ed25519.Sign(priv, msg)) || !bytes.Equal(k.AppendSignature(nil, msg), sig) {
		t.Fatal("the signature is not Ed25519's")
	}
	if !k.Verify(msg, sig) || !k.Public().Verify(msg, sig) {
		t.Fatal("a good signature refused")
	}
	bad := append([]byte(nil), sig...)
	bad[5] ^= 1
	if k.Verify(msg, bad) || k.Public().Verify(msg, sig[:63]) || k.Public().Verify([]byte("other"), sig) {
		t.Fatal("a bad signature accepted")
	}
	// Published keys are the same whether cached or derived afresh.
	for _, w := range []Window{d.Schedule().WindowAt(at), d.Schedule().WindowAt(at).Next().Next().Next()} {
		pk, err := d.PublicKeyAt(context.Background(), "main", w)
		if err != nil {
			t.Fatal(err)
		}
		seed, _ := deriveKey(root, EdDSA, DefaultPurpose, defaultWindow, w.Index())
		if !bytes.Equal(pk.Bytes(), ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)) || pk.ID() != KeyID("main", w.Index()) {
			t.Fatalf("window %d: PublicKeyAt differs from the derivation", w.Index())
		}
	}
	if _, err := d.PublicKeyAt(context.Background(), "nope", d.Schedule().WindowAt(at)); !errors.Is(err, ErrKeyID) {
		t.Fatalf("unknown root: %v", err)
	}
	hs, _ := NewDeriver([]*Root{root})
	if _, err := hs.PublicKeyAt(context.Background(), "main", d.Schedule().WindowAt(at)); err == nil || !strings.Contains(err.Error(), "EdDSA") {
		t.Fatalf("an HMAC Deriver: %v", err)
	}
	if k2, _ := hs.SigningKey(at); k2.Public() != nil {
		t.Fatal("an HMAC key has a public half")
	}
	if s := k.Public().String(); strings.Contains(s, strconv.Quote(string(k.Public().Bytes()))) || !strings.Contains(s, k.ID()) {
		t.Fatalf("String: %s", s)
	}
}

// TestPublicKeyChecks: the small-order list holds points of small order
// (checked by forging: under such a key, R = identity and S = 0 verify for
// some message), and each of them, and every non-canonical y, is refused.
func TestPublicKeyChecks(t *testing.T) {
	s, err := NewSchedule()
	if err != nil {
		t.Fatal(err)
	}
	identitySig := append([]byte{1}, make([]byte, 63)...)
	for i, p := range smallOrder {
		if _, err := s.PublicKey("main:1", p[:]); !errors.Is(err, errPublicKey) {
			t.Errorf("small-order point %d accepted", i)
		}
		forged := false
		for m := 0; m < 256 && !forged; m++ {
			forged = ed25519.Verify(p[:], []byte{byte(m)}, identitySig)
		}
		// The encodings of x = 0 with the sign bit set do not decode at
		// all (RFC 8032 §5.1.3); every other one must forge.
		if !forged && i < 8 {
			t.Errorf("point %d: no forgery verifies, so it is not of small order", i)
		}
	}
	for _, low := range []byte{0xed, 0xee, 0xff} {
		for _, top := range []byte{0x7f, 0xff} {
			y := append([]byte{low}, bytes.Repeat([]byte{0xff}, 30)...)
			y = append(y, top)
			if _, err := s.PublicKey("main:1", y); !errors.Is(err, errPublicKey) {
				t.Errorf("y = %x… accepted", y[:2])
			}
		}
	}
	good := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	if _, err := s.PublicKey("main:1", good); err != nil {
		t.Fatal(err)
	}
	for _, kid := range []string{"main:01", "main", ":1", "main:+1"} {
		if _, err := s.PublicKey(kid, good); !errors.Is(err, ErrKeyID) {
			t.Errorf("kid %q: %v", kid, err)
		}
	}
	if _, err := s.PublicKey("main:1", good[:31]); !errors.Is(err, errPublicKey) {
		t.Error("31 bytes accepted")
	}
}

func TestNewSchedule(t *testing.T) {
	s, err := NewSchedule(WithWindow(time.Minute), WithSkew(5*time.Second))
	if err != nil || s.Length() != time.Minute || s.Skew() != 5*time.Second {
		t.Fatalf("%v %v", s, err)
	}
	if s, _ := NewSchedule(WithWindow(8 * time.Second)); s.Skew() != 2*time.Second {
		t.Fatalf("default skew %v", s.Skew())
	}
	for _, tt := range []struct {
		opts []Option
		want string
	}{
		{[]Option{WithAlgorithm(EdDSA)}, "only WithWindow"},
		{[]Option{WithPurpose("x")}, "only WithWindow"},
		{[]Option{WithWindow(1500 * time.Millisecond)}, "WithWindow"},
		{[]Option{WithSkew(time.Hour)}, "lower WithSkew"},
		{[]Option{WithClock(nil)}, "nil clock"},
	} {
		if _, err := NewSchedule(tt.opts...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v, want %q", err, tt.want)
		}
	}
	at := time.Date(2026, 11, 22, 10, 49, 40, 0, time.UTC)
	s, _ = NewSchedule(WithClock(fixedClock(at)))
	cur := s.WindowAt(at).Index()
	for _, tt := range []struct {
		index int64
		pos   Position
		err   error
	}{{cur, Current, nil}, {cur - 1, Previous, nil}, {cur + 1, Next, nil}, {cur - 2, 0, ErrWindowRetired}, {cur + 2, 0, ErrWindowNotOpen}} {
		pos, err := s.Position(tt.index, at)
		if pos != tt.pos || !errors.Is(err, tt.err) {
			t.Errorf("index %d: %v %v", tt.index-cur, pos, err)
		}
	}
	if _, err := s.Position(cur+1, at.Add(-11*time.Second)); !errors.Is(err, ErrWindowNotOpen) {
		t.Errorf("next window 31 s early: %v", err)
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }
