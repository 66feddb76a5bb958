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

	"github.com/jwtrot/jwtrot/internal/keyringview"
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
				k.reload != time.Duration(want.Reload)*time.Second || k.serial != want.Serial {
				t.Errorf("fleet %+v reload %v serial %d, want %+v", f, k.reload, k.serial, want)
			}
			for _, c := range doc.Checks {
				at := instant(t, c.At)
				id, ok := k.issuerAt(at, nil)
				if c.Issuer == nil && ok || c.Issuer != nil && (!ok || id != *c.Issuer) {
					t.Errorf("%s: IssuerAt = %q, %v; want %v", c.At, id, ok, c.Issuer)
				}
				if got := k.verifyingAt(at); !slices.Equal(got, c.Verifying) && !(len(got) == 0 && len(c.Verifying) == 0) {
					t.Errorf("%s: VerifyingAt = %q, want %q", c.At, got, c.Verifying)
				}
				for _, r := range k.roots {
					if got, want := k.verifiesID(r.ID, at), slices.Contains(c.Verifying, r.ID); got != want {
						t.Errorf("%s: Verifies(%s) = %v, want %v", c.At, r.ID, got, want)
					}
				}
			}
			for id, want := range doc.EarliestRetirement {
				got, ok := k.earliestRetirement(id)
				if want == nil && ok || want != nil && (!ok || !got.Equal(instant(t, *want))) {
					t.Errorf("EarliestRetirement(%s) = %v, %v; want %v", id, got, ok, want)
				}
			}
			for _, c := range doc.NextChange {
				got, ok := k.nextChange(instant(t, c.After))
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
			if !errors.Is(err, errKeyring) {
				t.Errorf("error %q does not wrap errKeyring", err)
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
			got, ok := k.issuerAt(at, nil)
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
		assertNoRingSecret(t, fmt.Sprintf(verb, keyringview.Of(k).Roots()), v.Documents[0].Keyring)
	}
	for i, r := range keyringview.Of(k).Roots() {
		if r.ID != k.roots[i].ID || r.Issues != k.roots[i].Issues || r.Revoked != k.roots[i].Revoked {
			t.Fatalf("the view's root %d is %+v, not the keyring's", i, r)
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
			if !errors.Is(err, errKeyring) {
				t.Fatalf("error %q does not wrap errKeyring", err)
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
				if id, ok := k.issuerAt(at, nil); ok && !k.verifiesID(id, at) {
					t.Fatalf("root %s issues at %v but does not verify", id, at)
				}
				k.verifyingAt(at)
				k.nextChange(at)
			}
		}
	})
}

// TestKeyringTimeline walks a succession from the keyring alone, as demo
// keyring schedule prints it: every change, who issues and who verifies.
func TestKeyringTimeline(t *testing.T) {
	k, err := ParseKeyring([]byte(`{"jwtrot_keyring":1,"alg":"HS256","window":600,"max_age":3600,"purposes":["access"],"roots":[
	  {"id":"a","secret":"5f0c6e1d8a2b4c7e9f1a3b5d7c9e0f2a4b6c8d0e1f3a5b7c9d0e2f4a6b8c0d1e","issues":"2026-11-01T00:00:00Z","retires":"2026-12-08T02:00:00Z"},
	  {"id":"b","secret":"8e1f3a5b7c9d0e2f4a6b8c0d1e5f0c6e1d8a2b4c7e9f1a3b5d7c9e0f2a4b6c8d","issues":"2026-12-08T00:00:00Z"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	v := keyringview.Of(k)
	earliest, _ := v.EarliestRetirement("a")
	out := []string{"a may retire from " + earliest.Format(time.RFC3339)}
	for at, ok := time.Date(2026, 12, 7, 23, 0, 0, 0, time.UTC), true; ok; at, ok = v.NextChange(at) {
		issuer, _ := v.IssuerAt(at)
		out = append(out, fmt.Sprint(at.Format(time.RFC3339), " issues: ", issuer, " verify: ", v.VerifyingAt(at)))
	}
	want := []string{
		"a may retire from 2026-12-08T01:01:00Z",
		"2026-12-07T23:00:00Z issues: a verify: [a]",
		"2026-12-07T23:40:00Z issues: a verify: [a b]",
		"2026-12-08T00:00:00Z issues: b verify: [b a]",
		"2026-12-08T02:00:00Z issues: b verify: [b]",
	}
	if !slices.Equal(out, want) {
		t.Fatalf("timeline\n%q\nwant\n%q", out, want)
	}
	if v.Serial() != 0 || v.Reload() != defaultReload || len(v.Roots()) != 2 {
		t.Fatalf("serial %d reload %v roots %d", v.Serial(), v.Reload(), len(v.Roots()))
	}
}
