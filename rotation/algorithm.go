package rotation

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
)

// An Algorithm is a JWS algorithm: one of the HMAC algorithms of RFC 7518
// §3.2, or EdDSA with Ed25519 (RFC 8037). The zero value is not an
// algorithm.
type Algorithm uint8

// The algorithms. Each HMAC key is as long as its hash output.
const (
	HS256 Algorithm = iota + 1 // HMAC-SHA-256, 32-byte keys
	HS384                      // HMAC-SHA-384, 48-byte keys
	HS512                      // HMAC-SHA-512, 64-byte keys

	// EdDSA signs with Ed25519 (RFC 8037 §3.1, the "alg" value PyJWT, Node
	// jose and golang-jwt all verify). The derived 32 bytes are the seed of
	// the window's key pair; verifiers need only its public key.
	EdDSA
)

// ParseAlgorithm returns the algorithm named by its JWS "alg" value, spelled
// exactly ("HS256", "HS384", "HS512" or "EdDSA").
func ParseAlgorithm(name string) (Algorithm, error) {
	for _, a := range []Algorithm{HS256, HS384, HS512, EdDSA} {
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
	case EdDSA:
		return "EdDSA"
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// keySize returns the length in bytes of the secret derived for each window:
// the HMAC key, or the Ed25519 seed.
func (a Algorithm) keySize() int {
	switch a {
	case HS256:
		return 32
	case HS384:
		return 48
	case HS512:
		return 64
	case EdDSA:
		return ed25519.SeedSize
	}
	return 0
}

// SignatureSize returns the length in bytes of the algorithm's MACs or
// signatures.
func (a Algorithm) SignatureSize() int {
	if a == EdDSA {
		return ed25519.SignatureSize
	}
	return a.keySize()
}

// hashFunc returns the constructor of the HMAC algorithm's hash function,
// nil for EdDSA.
func (a Algorithm) hashFunc() func() hash.Hash {
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

func (a Algorithm) valid() bool { return a.keySize() != 0 }

// clip shortens untrusted text before it goes into an error message.
func clip(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
