package base64url

import (
	"encoding/base64"
	"testing"
)

func TestValidAndCanonical(t *testing.T) {
	strict := base64.RawURLEncoding.Strict()
	for _, s := range []string{"", "A", "AA", "AB", "AAA", "AAB", "AAAA", "eyJhbGciOiJIUzI1NiJ9", "a+b", "a/b", "a=", "a b", "a\n", "-_", "\xff"} {
		valid := Valid(s)
		_, err := strict.DecodeString(s)
		if got, want := valid && Canonical(s), err == nil; got != want {
			t.Errorf("%q: Valid && Canonical = %v, strict decoding succeeds = %v", s, got, want)
		}
	}
	// Every single-byte and two-byte value: the canonical encoding is
	// accepted, every other final character refused.
	for n := 1; n <= 2; n++ {
		for v := 0; v < 256; v++ {
			b := make([]byte, n)
			b[n-1] = byte(v)
			enc := base64.RawURLEncoding.EncodeToString(b)
			if !Valid(enc) || !Canonical(enc) {
				t.Fatalf("%q (of %x) refused", enc, b)
			}
			for i := 0; i < len(alphabet); i++ {
				alt := enc[:len(enc)-1] + alphabet[i:i+1]
				_, err := strict.DecodeString(alt)
				if Canonical(alt) != (err == nil) {
					t.Fatalf("%q: Canonical = %v, strict decoding err = %v", alt, Canonical(alt), err)
				}
			}
		}
	}
}

func TestSegments(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"a.b.c", true}, {"aa-_.b.C9", true}, {"a.b", false}, {"a.b.c.d", false}, {"", false},
		{".b.c", false}, {"a..c", false}, {"a.b.", false}, {"a.b.c=", false}, {"a.b.c d", false}, {"a.+.c", false},
	} {
		if got := Segments(tt.s, 3); got != tt.want {
			t.Errorf("Segments(%q, 3) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
