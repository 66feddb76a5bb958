package rotation

import (
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
)

// An Algorithm is a JWS HMAC algorithm (RFC 7518 §3.2). The zero value is
// not an algorithm.
type Algorithm uint8

// The HMAC algorithms, each with a key as long as its hash output.
const (
	HS256 Algorithm = iota + 1 // HMAC-SHA-256, 32-byte keys
	HS384                      // HMAC-SHA-384, 48-byte keys
	HS512                      // HMAC-SHA-512, 64-byte keys
)

// ParseAlgorithm returns the algorithm named by its JWS "alg" value, spelled
// exactly ("HS256", "HS384" or "HS512").
func ParseAlgorithm(name string) (Algorithm, error) {
	for _, a := range []Algorithm{HS256, HS384, HS512} {
		if a.String() == name {
			return a, nil
		}
	}
	return 0, fmt.Errorf("rotation: unsupported algorithm %q", clip(name))
}

// String returns the algorithm's JWS "alg" value.
func (a Algorithm) String() string {
	switch a {
	case HS256:
		return "HS256"
	case HS384:
		return "HS384"
	case HS512:
		return "HS512"
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// KeySize returns the length in bytes of the algorithm's keys and MACs.
func (a Algorithm) KeySize() int {
	switch a {
	case HS256:
		return 32
	case HS384:
		return 48
	case HS512:
		return 64
	}
	return 0
}

// Hash returns the constructor of the algorithm's hash function.
func (a Algorithm) Hash() func() hash.Hash {
	switch a {
	case HS256:
		return sha256.New
	case HS384:
		return sha512.New384
	case HS512:
		return sha512.New
	}
	return nil
}

func (a Algorithm) valid() bool { return a.KeySize() != 0 }

// clip shortens untrusted text before it goes into an error message.
func clip(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
