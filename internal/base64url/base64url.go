// Package base64url holds the one strict reading of the unpadded base64url
// alphabet (RFC 4648 §5) that every jwtrot package applies to untrusted
// token text: the verifier's segments, and what httpauth hands back to a
// client.
package base64url

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// value holds each base64url character's 6-bit value plus one, 0 for any
// other byte.
var value = func() (t [256]byte) {
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i) + 1
	}
	return t
}()

// Valid reports whether s holds only base64url characters: no padding, no
// '+' or '/', no white space (which Go's decoder would skip).
func Valid(s string) bool {
	for i := 0; i < len(s); i++ {
		if value[s[i]] == 0 {
			return false
		}
	}
	return true
}

// Canonical reports whether s, made only of base64url characters, is the
// one unpadded encoding of some bytes: its length is not 1 mod 4 and the
// bits of its final character that encode no byte are zero.
func Canonical(s string) bool {
	switch len(s) % 4 {
	case 1:
		return false
	case 2:
		return (value[s[len(s)-1]]-1)&0x0f == 0
	case 3:
		return (value[s[len(s)-1]]-1)&0x03 == 0
	}
	return true
}

// Segments reports whether s is n non-empty segments of base64url
// characters separated by single dots.
func Segments(s string, n int) bool {
	dots := 0
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			if value[s[i]] == 0 {
				return false
			}
			continue
		}
		if i == start {
			return false // an empty segment
		}
		if i < len(s) {
			dots++
		}
		start = i + 1
	}
	return dots == n-1
}
