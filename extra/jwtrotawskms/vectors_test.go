package jwtrotawskms

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/extra/jwtrotawskms/internal/kmstest"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/jwtrot/jwtrot/rotation/expandertest"
)

// TestVectorsThroughKMS seeds every vector root's PRK into the emulator and
// reproduces every SPEC vector through it: each HMAC window key, and each
// Ed25519 seed, public key and (Ed25519 being deterministic) token
// signature; and the fingerprints SPEC.md §8 gives.
func TestVectorsThroughKMS(t *testing.T) {
	hv := loadVectors(t, "vectors.json", 20)
	ev := loadVectors(t, "eddsa_vectors.json", 4)
	roots, keys := seedRoots(t, vectorSecrets(t, hv, ev))
	emu := kmstest.Start(t, kmstest.Seed(keys...))
	client := emu.Client(nil)
	ext := map[string]*rotation.Root{}
	for id, r := range roots {
		// Half the roots by alias, half by key id.
		keyID := r.alias
		if id == "main" {
			keyID = r.key.ID
		}
		e := newExpander(t, client, keyID)
		if e.KeyARN() != kmstest.ARN(r.key.ID) {
			t.Fatalf("root %s: ARN %s, want %s", id, e.KeyARN(), kmstest.ARN(r.key.ID))
		}
		x, err := rotation.NewExternalRoot(id, e)
		if err != nil {
			t.Fatal(err)
		}
		ext[id] = x
		fm, _ := r.mem.Fingerprint(context.Background())
		fk, err := x.Fingerprint(context.Background())
		if err != nil || fk != fm {
			t.Fatalf("root %s: KMS fingerprint %q, in memory %q (%v)", id, fk, fm, err)
		}
	}
	for id, want := range map[string]string{"main": "71d3ddd0d187c907", "r-2026_x": "f5ae68f155db915a"} {
		if fp, _ := ext[id].Fingerprint(context.Background()); fp != want {
			t.Fatalf("root %s: fingerprint %s, SPEC.md §8 says %s", id, fp, want)
		}
	}
	n := 0
	for _, v := range hv {
		alg, err := rotation.ParseAlgorithm(v.Alg)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		key, err := windowKey(ext[v.RootID], alg, v.Purpose, time.Duration(v.WindowSeconds)*time.Second, v.WindowIndex)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if hex.EncodeToString(key) != v.KeyHex {
			t.Fatalf("%s: KMS derives a different key", v.Name)
		}
		n++
	}
	for _, v := range ev {
		seed, err := windowKey(ext[v.RootID], rotation.EdDSA, v.Purpose, time.Duration(v.WindowSeconds)*time.Second, v.WindowIndex)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if hex.EncodeToString(seed) != v.SeedHex {
			t.Fatalf("%s: KMS derives a different Ed25519 seed", v.Name)
		}
		priv := ed25519.NewKeyFromSeed(seed)
		if hex.EncodeToString(priv.Public().(ed25519.PublicKey)) != v.PublicKeyHex {
			t.Fatalf("%s: different public key", v.Name)
		}
		if v.Token == "" {
			n++
			continue // a vector with no token
		}
		i := strings.LastIndexByte(v.Token, '.')
		if got := base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, []byte(v.Token[:i]))); got != v.Token[i+1:] {
			t.Fatalf("%s: the token's signature differs", v.Name)
		}
		n++
	}
	if n != len(hv)+len(ev) || n < 30 {
		t.Fatalf("%d vectors reproduced", n)
	}
}

// TestConformance runs the Expander through rotation's conformance suite.
func TestConformance(t *testing.T) {
	prk := bytes.Repeat([]byte{2, 7, 1, 8, 2, 8, 1, 8}, 4)
	emu := kmstest.Start(t, kmstest.Seed(kmstest.HMACKey{ID: "11111111-2222-4333-8444-555555555555", PRK: prk}))
	e := newExpander(t, emu.Client(nil), "11111111-2222-4333-8444-555555555555")
	expandertest.Run(t, e, prk)
	// And the suite notices a KMS key holding another PRK.
	if err := expandertest.Check(e, append([]byte{0}, prk[1:]...)); err == nil {
		t.Fatal("the suite passed an Expander against the wrong PRK")
	}
}

// TestPrivateNetwork checks that the emulator, which listens on every
// interface, runs where loopback is the only one.
func TestPrivateNetwork(t *testing.T) {
	kmstest.Need(t)
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 {
			t.Fatalf("interface %s is not loopback: the tests are not in a private network namespace", i.Name)
		}
	}
	if len(ifs) == 0 {
		t.Fatal("no interface at all")
	}
}
