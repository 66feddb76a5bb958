package rotation

import (
	"errors"
	"math"
	"strconv"
	"testing"
)

func TestKeyIDRoundTrip(t *testing.T) {
	for _, idx := range []int64{0, 1, -1, 9, 10, 2946304, -613608, math.MaxInt64, math.MinInt64} {
		kid := KeyID("main", idx)
		root, got, err := parseKeyID(kid)
		if err != nil || root != "main" || got != idx {
			t.Errorf("parseKeyID(%q) = %q, %d, %v", kid, root, got, err)
		}
	}
}

var badKids = []string{
	"", ":", "main", "main:", ":1", "main:+1", "main:-0", "main:01", "main:00", "main:-01",
	"main: 1", "main:1 ", " main:1", "main:1\n", "main:1.0", "main:1e3", "main:0x10",
	"main:١٢", // Arabic-Indic digits
	"main:１",  // fullwidth digit
	"main:9223372036854775808", "main:-9223372036854775809", "main:99999999999999999999",
	"main:1:2", "ma in:1", "../../etc/passwd:1", "main:1;drop", "main:--1", "main:-",
	"main\x00:1", "MAIN:1x",
}

func TestParseKeyIDRefuses(t *testing.T) {
	for _, kid := range badKids {
		if root, idx, err := parseKeyID(kid); !errors.Is(err, ErrKeyID) {
			t.Errorf("parseKeyID(%q) = %q, %d, %v; want ErrKeyID", kid, root, idx, err)
		}
	}
}

func TestVerificationKeyRefusesBeforeDeriving(t *testing.T) {
	d := newTestDeriver(t)
	now := d.Schedule().Now()
	cur := d.Schedule().WindowAt(now).Index()
	kids := append(append([]string(nil), badKids...),
		KeyID("other", cur),                        // unknown root
		KeyID("main", cur-2), KeyID("main", cur+2), // outside the acceptable windows
		KeyID("main", math.MinInt64), KeyID("main", math.MaxInt64),
	)
	for _, kid := range kids {
		if k, _, err := d.verificationKey(kid, now); err == nil {
			t.Errorf("VerificationKey(%q) accepted as %v", kid, k)
		}
	}
	if n := d.derivations.Load(); n != 0 {
		t.Fatalf("refused kids caused %d derivations", n)
	}
}

func FuzzParseKeyID(f *testing.F) {
	for _, kid := range badKids {
		f.Add(kid)
	}
	f.Add("main:2946304")
	f.Add("old:-3")
	f.Fuzz(func(t *testing.T, kid string) {
		root, idx, err := parseKeyID(kid)
		if err != nil {
			return
		}
		// Accepted only in the canonical spelling, which round-trips.
		if KeyID(root, idx) != kid {
			t.Fatalf("parseKeyID accepted a non-canonical kid: %q", kid)
		}
		if want, err := strconv.ParseInt(kid[len(root)+1:], 10, 64); err != nil || want != idx {
			t.Fatalf("index %d disagrees with strconv (%d, %v)", idx, want, err)
		}
	})
}
