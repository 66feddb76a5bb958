package rotation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// keyringVectors is testdata/keyring_vectors.json (SPEC §11.5), which
// testdata/interop/check_keyring_vectors.py checks independently.
type keyringVectors struct {
	Documents []struct {
		Name    string `json:"name"`
		Keyring string `json:"keyring"`
		Checks  []struct {
			At        string   `json:"at"`
			Issuer    *string  `json:"issuer"`
			Verifying []string `json:"verifying"`
		} `json:"checks"`
		EarliestRetirement map[string]*string `json:"earliest_retirement"`
		NextChange         []struct {
			After string  `json:"after"`
			Next  *string `json:"next"`
		} `json:"next_change"`
		Fleet struct {
			Alg      string   `json:"alg"`
			Window   int64    `json:"window"`
			Skew     int64    `json:"skew"`
			MaxAge   int64    `json:"max_age"`
			Iss      string   `json:"iss"`
			Purposes []string `json:"purposes"`
			Reload   int64    `json:"reload"`
			Serial   int64    `json:"serial"`
		} `json:"fleet"`
	} `json:"documents"`
	Refused []struct {
		Name    string `json:"name"`
		Keyring string `json:"keyring"`
		Error   string `json:"error"`
	} `json:"refused"`
}

func readKeyringVectors(t testing.TB) keyringVectors {
	t.Helper()
	b, err := os.ReadFile("../testdata/keyring_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v keyringVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func instant(t testing.TB, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestKeyringVectors(t *testing.T) {
	v := readKeyringVectors(t)
	if len(v.Documents) < 2 || len(v.Refused) < 20 {
		t.Fatalf("%d documents and %d refusals: the vectors are incomplete", len(v.Documents), len(v.Refused))
	}
	for _, doc := range v.Documents {
		t.Run(doc.Name, func(t *testing.T) {
			k, err := ParseKeyring([]byte(doc.Keyring))
			if err != nil {
				t.Fatal(err)
			}
			f := k.Fleet()
			want := doc.Fleet
			if f.Algorithm.String() != want.Alg || f.Window != time.Duration(want.Window)*time.Second || f.Skew != time.Duration(want.Skew)*time.Second ||
				f.MaxAge != time.Duration(want.MaxAge)*time.Second || f.Issuer != want.Iss || !slices.Equal(f.Purposes, want.Purposes) ||
				k.Reload() != time.Duration(want.Reload)*time.Second || k.Serial() != want.Serial {
				t.Errorf("fleet %+v reload %v serial %d, want %+v", f, k.Reload(), k.Serial(), want)
			}
			for _, c := range doc.Checks {
				at := instant(t, c.At)
				id, ok := k.IssuerAt(at)
				if c.Issuer == nil && ok || c.Issuer != nil && (!ok || id != *c.Issuer) {
					t.Errorf("%s: IssuerAt = %q, %v; want %v", c.At, id, ok, c.Issuer)
				}
				if got := k.VerifyingAt(at); !slices.Equal(got, c.Verifying) && !(len(got) == 0 && len(c.Verifying) == 0) {
					t.Errorf("%s: VerifyingAt = %q, want %q", c.At, got, c.Verifying)
				}
				for _, r := range k.Roots() {
					if got, want := k.verifiesID(r.ID, at), slices.Contains(c.Verifying, r.ID); got != want {
						t.Errorf("%s: Verifies(%s) = %v, want %v", c.At, r.ID, got, want)
					}
				}
			}
			for id, want := range doc.EarliestRetirement {
				got, ok := k.EarliestRetirement(id)
				if want == nil && ok || want != nil && (!ok || !got.Equal(instant(t, *want))) {
					t.Errorf("EarliestRetirement(%s) = %v, %v; want %v", id, got, ok, want)
				}
			}
			for _, c := range doc.NextChange {
				got, ok := k.NextChange(instant(t, c.After))
				if c.Next == nil && ok || c.Next != nil && (!ok || !got.Equal(instant(t, *c.Next))) {
					t.Errorf("NextChange(%s) = %v, %v; want %v", c.After, got, ok, c.Next)
				}
			}
		})
	}
	for _, r := range v.Refused {
		t.Run("refused/"+r.Name, func(t *testing.T) {
			_, err := ParseKeyring([]byte(r.Keyring))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrKeyring) {
				t.Errorf("error %q does not wrap ErrKeyring", err)
			}
			if !strings.Contains(err.Error(), r.Error) {
				t.Errorf("error %q does not say %q", err, r.Error)
			}
			assertNoRingSecret(t, err.Error(), r.Keyring)
		})
	}
}

// assertNoRingSecret fails if msg holds any root secret of the document, or
// any 16-character run of one.
func assertNoRingSecret(t testing.TB, msg, doc string) {
	t.Helper()
	var m map[string]any
	if json.Unmarshal([]byte(doc), &m) != nil {
		return
	}
	roots, _ := m["roots"].([]any)
	for _, r := range roots {
		obj, _ := r.(map[string]any)
		s, _ := obj["secret"].(string)
		for i := 0; i+16 <= len(s); i += 8 {
			if strings.Contains(msg, s[i:i+16]) {
				t.Fatalf("the message shows part of a root secret")
			}
		}
	}
}

// The rules restated on their own, for a brute-force comparison over a
// grid of instants: independent of IssuerAt and Verifies.
func TestKeyringRulesExhaustive(t *testing.T) {
	v := readKeyringVectors(t)
	for _, doc := range v.Documents {
		k, err := ParseKeyring([]byte(doc.Keyring))
		if err != nil {
			t.Fatal(err)
		}
		start := instant(t, doc.Checks[0].At).Add(-time.Hour)
		end := instant(t, doc.Checks[len(doc.Checks)-1].At).Add(time.Hour)
		step := k.Fleet().Window / 4
		for at := start; at.Before(end); at = at.Add(step) {
			var issuer string
			var best time.Time
			for _, r := range k.roots {
				live := !r.Revoked && !at.Before(r.Issues) && (r.Retires.IsZero() || at.Before(r.Retires))
				if live && (issuer == "" || r.Issues.After(best) || r.Issues.Equal(best) && r.ID < issuer) {
					issuer, best = r.ID, r.Issues
				}
			}
			got, ok := k.IssuerAt(at)
			if got != issuer || ok != (issuer != "") {
				t.Fatalf("%s at %v: IssuerAt = %q, want %q", doc.Name, at, got, issuer)
			}
			for _, r := range k.roots {
				from := r.Issues.Add(-2 * k.Fleet().Window)
				want := !r.Revoked && !at.Before(from) && (r.Retires.IsZero() || at.Before(r.Retires))
				if k.verifiesID(r.ID, at) != want {
					t.Fatalf("%s at %v: Verifies(%s) = %v", doc.Name, at, r.ID, !want)
				}
			}
		}
	}
}

func TestKeyringRedacts(t *testing.T) {
	v := readKeyringVectors(t)
	k, err := ParseKeyring([]byte(v.Documents[0].Keyring))
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		assertNoRingSecret(t, fmt.Sprintf(verb, k), v.Documents[0].Keyring)
		assertNoRingSecret(t, fmt.Sprintf(verb, *k), v.Documents[0].Keyring)
		assertNoRingSecret(t, fmt.Sprintf(verb, k.Roots()), v.Documents[0].Keyring)
	}
	for _, r := range k.Roots() {
		if r.root != nil {
			t.Fatal("Roots hands out a root")
		}
	}
}

func FuzzParseKeyring(f *testing.F) {
	v := readKeyringVectors(f)
	for _, d := range v.Documents {
		f.Add([]byte(d.Keyring))
	}
	for _, r := range v.Refused {
		f.Add([]byte(r.Keyring))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		k, err := ParseKeyring(doc)
		if err != nil {
			if !errors.Is(err, ErrKeyring) {
				t.Fatalf("error %q does not wrap ErrKeyring", err)
			}
			if bytes.Contains(doc, []byte(`"secret"`)) {
				assertNoRingSecret(t, err.Error(), string(doc))
			}
			return
		}
		if err := k.fleet.Check(); err != nil {
			t.Fatalf("accepted a fleet that fails Check: %v", err)
		}
		// Every accepted keyring answers without panicking, and its
		// issuing root verifies.
		for _, r := range k.roots {
			for _, at := range []time.Time{r.Issues, r.Issues.Add(-time.Second), r.Retires} {
				if id, ok := k.IssuerAt(at); ok && !k.verifiesID(id, at) {
					t.Fatalf("root %s issues at %v but does not verify", id, at)
				}
				k.VerifyingAt(at)
				k.NextChange(at)
			}
		}
	})
}
