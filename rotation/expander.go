package rotation

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// fingerprintLabel is the info string of a root's fingerprint (SPEC.md,
// "Roots held as a PRK"). Its length differs from the window key label's, so
// no window key's info string equals it.
const fingerprintLabel = "jwtrot/v1 root fingerprint"

// ErrKeyUnavailable is returned for a window whose key could not be derived:
// the root is held in an external module ([NewExternalRoot]) that has not
// (yet) answered for that window. Tokens of that window are refused until
// the Deriver's background derivation succeeds.
var ErrKeyUnavailable = errors.New("rotation: window key unavailable")

// An Expander computes HKDF-Expand (RFC 5869 §2.3) with SHA-256 under a
// pseudorandom key it holds: the first n bytes of T(1) || T(2) || ... where
// T(i) = HMAC-SHA256(PRK, T(i-1) || info || byte(i)). n is at most 64.
//
// It is how a root held outside the process, in a hardware or cloud security
// module, takes part in key derivation: the module holds the root's PRK
// (HKDF-Extract(salt = 32 zero bytes, root)) as a non-extractable HMAC key
// and the process only ever sees window keys. Expand must be safe for
// concurrent use, honour ctx's deadline, and never put key material in its
// errors.
type Expander interface {
	Expand(ctx context.Context, info []byte, n int) ([]byte, error)
}

// NewExternalRoot returns a root named id whose PRK is held by e, so that no
// secret from which window keys follow is in this process's memory. A
// [Deriver] over such a root derives keys ahead of need in the background
// and must be closed ([Deriver.Close]).
func NewExternalRoot(id string, e Expander) (*Root, error) {
	if !validRootID(id) {
		return nil, errRootID
	}
	if e == nil {
		return nil, errors.New("rotation: external root " + id + " has a nil Expander")
	}
	return &Root{id: id, ext: e}, nil
}

// ExportPRK returns the root's pseudorandom key, HKDF-Extract(salt = 32 zero
// bytes, IKM = root secret): the 32 bytes to import into a security module
// so that it can stand in for this root. It is as secret as the root itself
// and exists only for that import; clear it after use. It fails for an
// external root, whose PRK cannot leave its module.
func (r *Root) ExportPRK() ([]byte, error) {
	if r.ext != nil {
		return nil, errors.New("rotation: root " + r.id + " is held in an external module; its PRK cannot be exported")
	}
	return hkdf.Extract(sha256.New, r.secret.b, nil)
}

// Fingerprint returns a public identifier of the root's secret: the first
// 8 bytes, in hex, of HKDF-Expand(PRK, info, 32) where info is u16(26) ||
// "jwtrot/v1 root fingerprint" (SPEC.md). It reveals nothing of the
// root or of any window key, and it is the same whether the root is held in
// memory or in a module, so it shows which root a process runs with (in a
// log, a metric label) and that an imported PRK matches its file. For an
// external root it asks the module, hence ctx and the error.
func (r *Root) Fingerprint(ctx context.Context) (string, error) {
	info := binary.BigEndian.AppendUint16(nil, uint16(len(fingerprintLabel)))
	info = append(info, fingerprintLabel...)
	b, err := r.expand(ctx, info, 32)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:8]), nil
}

// expand computes HKDF-Expand(PRK, info, n) for the root, in memory or
// through its module. For an in-memory root it cannot fail.
func (r *Root) expand(ctx context.Context, info []byte, n int) ([]byte, error) {
	if r.ext == nil {
		key, err := hkdf.Key(sha256.New, r.secret.b, nil, string(info), n)
		if err != nil {
			// hkdf.Key fails only for a key longer than 255 hash outputs.
			panic("rotation: " + err.Error())
		}
		return key, nil
	}
	key, err := r.ext.Expand(ctx, info, n)
	if err != nil {
		return nil, fmt.Errorf("%w: root %s: %w", ErrKeyUnavailable, r.id, err)
	}
	if len(key) != n {
		clear(key)
		return nil, fmt.Errorf("%w: root %s: the module returned %d bytes, want %d", ErrKeyUnavailable, r.id, len(key), n)
	}
	return key, nil
}
