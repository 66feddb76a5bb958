package rotation

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// windowLabel is the version label that opens every HKDF info string. A
// change to the derivation gets a new label, so keys of two versions never
// collide.
const windowLabel = "jwtrot/v1 window key"

// maxPurposeLen bounds a purpose label.
const maxPurposeLen = 64

// errPurpose is returned for a purpose label that is empty, too long, or not
// printable ASCII.
var errPurpose = errors.New("rotation: purpose must be 1 to 64 printable ASCII characters")

// deriveKey returns the key of one window: HKDF-SHA256 (RFC 5869) with the
// root secret as input keying material, an empty salt, and the info string
// that windowInfo returns, expanded to alg.keySize() bytes. It is the pure
// function behind [Deriver], which caches its results; SPEC.md states it
// byte by byte, and the vector tests call it directly. For an external root
// ([NewExternalRoot]) it asks the module, and fails with [ErrKeyUnavailable]
// when the module does.
func deriveKey(root *Root, alg Algorithm, purpose string, length time.Duration, index int64) ([]byte, error) {
	info, err := windowInfo(alg, purpose, length, index)
	if err != nil {
		return nil, err
	}
	return root.expand(context.Background(), info, alg.keySize())
}

// windowInfo returns the HKDF info string for one window key (SPEC.md):
//
//	u16(len(label))   || label      ("jwtrot/v1 window key")
//	u16(len(alg))     || alg        ("HS256", "HS384", "HS512" or "EdDSA")
//	u16(len(purpose)) || purpose    (1 to 64 bytes of printable ASCII)
//	u64(window length in seconds)
//	i64(window index)               (two's complement)
//
// with every integer big-endian. Each variable field carries its length, so
// no two different inputs share an info string.
func windowInfo(alg Algorithm, purpose string, length time.Duration, index int64) ([]byte, error) {
	if !alg.valid() {
		return nil, fmt.Errorf("rotation: unsupported algorithm %v", alg)
	}
	if !validPurpose(purpose) {
		return nil, errPurpose
	}
	if err := checkWindow(length); err != nil {
		return nil, err
	}
	return binary.BigEndian.AppendUint64(infoPrefix(alg, purpose, int64(length/time.Second)), uint64(index)), nil
}

// infoPrefix returns the info string without its final index.
func infoPrefix(alg Algorithm, purpose string, seconds int64) []byte {
	b := make([]byte, 0, 2+len(windowLabel)+2+5+2+len(purpose)+8+8)
	for _, field := range []string{windowLabel, alg.String(), purpose} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(field)))
		b = append(b, field...)
	}
	return binary.BigEndian.AppendUint64(b, uint64(seconds))
}

func validPurpose(p string) bool {
	if len(p) == 0 || len(p) > maxPurposeLen {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x21 || p[i] > 0x7e {
			return false
		}
	}
	return true
}
