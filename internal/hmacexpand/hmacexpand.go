// Package hmacexpand computes HKDF-Expand from an HMAC-SHA256 held
// elsewhere, for the extra modules whose security modules offer an HMAC but
// no HKDF (extra/jwtrotpkcs11, extra/jwtrotawskms). It is not part of the
// API of package rotation: a rotation.Expander only has to compute
// HKDF-Expand, however it does.
package hmacexpand

import (
	"context"
	"crypto/sha256"
	"fmt"
)

// maxExpand bounds n: the longest window key, HS512's 64 bytes.
const maxExpand = 64

// Expand computes HKDF-Expand(PRK, info, n) with SHA-256 (RFC 5869 §2.3)
// from mac, a function returning HMAC-SHA256(PRK, msg) for a PRK it holds:
// one call for n up to 32 bytes, two for up to 64. It lets a module that
// offers HMAC-SHA256 but not HKDF (PKCS#11's CKM_SHA256_HMAC, AWS KMS's
// GenerateMac) implement rotation.Expander.
func Expand(ctx context.Context, mac func(ctx context.Context, msg []byte) ([]byte, error), info []byte, n int) ([]byte, error) {
	if n < 1 || n > maxExpand {
		return nil, fmt.Errorf("rotation: expand length %d is not between 1 and %d", n, maxExpand)
	}
	out := make([]byte, 0, 2*sha256.Size)
	var t []byte
	for i := byte(1); len(out) < n; i++ {
		if err := ctx.Err(); err != nil {
			clear(out)
			return nil, err
		}
		msg := make([]byte, 0, len(t)+len(info)+1)
		msg = append(append(append(msg, t...), info...), i)
		var err error
		t, err = mac(ctx, msg)
		if err != nil {
			clear(out)
			return nil, err
		}
		if len(t) != sha256.Size {
			clear(out)
			return nil, fmt.Errorf("rotation: HMAC-SHA256 returned %d bytes", len(t))
		}
		out = append(out, t...)
	}
	clear(out[n:])
	return out[:n], nil
}
