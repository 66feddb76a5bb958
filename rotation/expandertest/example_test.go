package expandertest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

	"github.com/jwtrot/jwtrot/rotation"
	"github.com/jwtrot/jwtrot/rotation/expandertest"
)

// An Expander computing HMAC-SHA256 itself, as a module offering only HMAC
// would, through rotation.ExpandHMAC.
type hmacOnly struct{ prk []byte }

func (h hmacOnly) Expand(ctx context.Context, info []byte, n int) ([]byte, error) {
	return rotation.ExpandHMAC(ctx, func(_ context.Context, msg []byte) ([]byte, error) {
		return hmacSHA256(h.prk, msg), nil
	}, info, n)
}

func ExampleCheck() {
	root, _ := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	prk, _ := root.ExportPRK()
	fmt.Println(expandertest.Check(hmacOnly{prk}, prk))
	// Output: <nil>
}

func hmacSHA256(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}
