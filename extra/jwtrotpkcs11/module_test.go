package jwtrotpkcs11

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/rotation"
	"github.com/jwtrot/jwtrot/rotation/expandertest"
	"github.com/miekg/pkcs11"
)

type vector struct {
	Name          string `json:"name"`
	RootID        string `json:"root_id"`
	RootHex       string `json:"root_hex"`
	Alg           string `json:"alg"`
	Purpose       string `json:"purpose"`
	WindowSeconds int64  `json:"window_seconds"`
	WindowIndex   int64  `json:"window_index"`
	KeyHex        string `json:"key_hex"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	b, err := os.ReadFile("../../testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Vectors []vector }
	if err := json.Unmarshal(b, &f); err != nil || len(f.Vectors) < 20 {
		t.Fatalf("vectors: %v", err)
	}
	return f.Vectors
}

func openModule(t testing.TB, cfg Config) *Module {
	t.Helper()
	m, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestVectorsThroughModule imports each vector root's PRK into a token and
// derives every vector's key through the token.
func TestVectorsThroughModule(t *testing.T) {
	cfg := newToken(t, "")
	vs := loadVectors(t)
	modules := map[string]*rotation.Root{}
	for _, v := range vs {
		if modules[v.RootID] != nil {
			continue
		}
		secret, _ := hex.DecodeString(v.RootHex)
		mem, err := rotation.NewRoot(v.RootID, secret)
		if err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.Key = "prk-" + v.RootID
		if err := Import(c, mem); err != nil {
			t.Fatal(err)
		}
		ext, err := rotation.NewExternalRoot(v.RootID, openModule(t, c))
		if err != nil {
			t.Fatal(err)
		}
		modules[v.RootID] = ext
		fm, _ := mem.Fingerprint(context.Background())
		fe, err := ext.Fingerprint(context.Background())
		if err != nil || fe != fm {
			t.Fatalf("root %s: the module's fingerprint %q differs from the file's %q (%v)", v.RootID, fe, fm, err)
		}
	}
	n := 0
	for _, v := range vs {
		alg, err := rotation.ParseAlgorithm(v.Alg)
		if err != nil {
			continue // not an HMAC vector
		}
		key, err := windowKey(modules[v.RootID], alg, v.Purpose, time.Duration(v.WindowSeconds)*time.Second, v.WindowIndex)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if hex.EncodeToString(key) != v.KeyHex {
			t.Fatalf("%s: the module derives a different key", v.Name)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d HMAC vectors checked", n)
	}
}

// TestKeyCannotBeReadBack tries every way PKCS#11 offers to read a key's
// value, on a generated and on an imported key.
func TestKeyCannotBeReadBack(t *testing.T) {
	cfg := newToken(t, "generated")
	if err := Generate(cfg); err != nil {
		t.Fatal(err)
	}
	root, _ := rotation.NewRoot("main", []byte("0123456789abcdef0123456789abcdef-import"))
	imp := cfg
	imp.Key = "imported"
	if err := Import(imp, root); err != nil {
		t.Fatal(err)
	}
	prk, _ := root.ExportPRK()
	for _, label := range []string{"generated", "imported"} {
		c := cfg
		c.Key = label
		m := openModule(t, c)
		s, err := m.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		m.mu.Lock()
		key := m.key
		m.mu.Unlock()
		attrs, err := m.ctx.GetAttributeValue(s.h, key, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
		if !isCode(err, pkcs11.CKR_ATTRIBUTE_SENSITIVE) {
			t.Errorf("%s: reading CKA_VALUE gave %v (%d attributes), want CKR_ATTRIBUTE_SENSITIVE", label, err, len(attrs))
		}
		for _, a := range attrs {
			if len(a.Value) > 0 && bytes.Contains(a.Value, prk[:8]) {
				t.Errorf("%s: the PRK came back", label)
			}
		}
		err = m.ctx.SetAttributeValue(s.h, key, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true)})
		if err == nil {
			t.Errorf("%s: CKA_EXTRACTABLE could be set", label)
		}
		err = m.ctx.SetAttributeValue(s.h, key, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, false)})
		if err == nil {
			t.Errorf("%s: CKA_SENSITIVE could be cleared", label)
		}
		m.release(s, nil)
		if _, err := m.Expand(context.Background(), []byte("info"), 64); err != nil {
			t.Fatalf("%s: the key does not HMAC: %v", label, err)
		}
	}
	// The generated key is not the imported one, and Generate refuses to
	// replace a key.
	if err := Generate(cfg); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("Generate over an existing key: %v", err)
	}
}

// TestOpenRefuses checks each configuration error names its cause and never
// the PIN.
func TestOpenRefuses(t *testing.T) {
	cfg := newToken(t, "k")
	if err := Generate(cfg); err != nil {
		t.Fatal(err)
	}
	pin := readPIN(t, cfg)
	wrongPIN := cfg
	wrongPIN.PINFile = t.TempDir() + "/wrong"
	os.WriteFile(wrongPIN.PINFile, []byte("0000"+pin), 0o600)
	noKey := cfg
	noKey.Key = "absent"
	noToken := cfg
	noToken.Token = "absent"
	noPIN := cfg
	noPIN.PINFile, noPIN.PINEnv = "", "JWTROTPKCS11_TEST_UNSET_PIN"
	both := cfg
	both.PINEnv = "X"
	for name, tc := range map[string]struct {
		cfg  Config
		want error
		code uint
	}{
		"wrong PIN": {cfg: wrongPIN, code: pkcs11.CKR_PIN_INCORRECT},
		"no key":    {cfg: noKey, want: ErrNoKey},
		"no token":  {cfg: noToken, want: ErrNoToken},
		"no PIN":    {cfg: noPIN, want: ErrPINSource},
		"two PINs":  {cfg: both, want: ErrConfig},
	} {
		m, err := Open(tc.cfg)
		if err == nil {
			m.Close()
			t.Errorf("%s: accepted", name)
			continue
		}
		if tc.want != nil && !errors.Is(err, tc.want) || tc.code != 0 && !isCode(err, tc.code) {
			t.Errorf("%s: %v", name, err)
		}
		if strings.Contains(err.Error(), pin) || strings.Contains(fmt.Sprintf("%+v %#v", err, tc.cfg), pin) {
			t.Errorf("%s: the PIN shows", name)
		}
	}
	t.Setenv("JWTROTPKCS11_TEST_PIN", pin)
	env := cfg
	env.PINFile, env.PINEnv = "", "JWTROTPKCS11_TEST_PIN"
	m := openModule(t, env)
	if s := fmt.Sprintf("%v %+v %#v", m, m, env); strings.Contains(s, pin) {
		t.Fatal("the PIN shows in a printed Module or Config")
	}
}

// TestConformance runs rotation's Expander suite on a module holding an
// imported PRK.
func TestConformance(t *testing.T) {
	cfg := newToken(t, "main")
	root, _ := rotation.NewRoot("main", []byte("0123456789abcdef0123456789abcdef-conformance"))
	if err := Import(cfg, root); err != nil {
		t.Fatal(err)
	}
	prk, _ := root.ExportPRK()
	expandertest.Run(t, openModule(t, cfg), prk)
}

// windowKey returns a root's key of one window as a Deriver derives it, the
// Deriver's clock standing in that window (so that a Deriver over an
// external root derives it before NewDeriver returns).
func windowKey(root *rotation.Root, alg rotation.Algorithm, purpose string, length time.Duration, index int64) ([]byte, error) {
	at := time.Unix(index*int64(length/time.Second), 0)
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(alg), rotation.WithPurpose(purpose),
		rotation.WithWindow(length), rotation.WithClock(stoppedClock(at)))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	k, err := d.KeyAt(root.ID(), at)
	if err != nil {
		return nil, err
	}
	return k.Bytes(), nil
}

// stoppedClock is a clock that always tells the same instant.
type stoppedClock time.Time

func (c stoppedClock) Now() time.Time { return time.Time(c) }
