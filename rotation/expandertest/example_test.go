package expandertest_test

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"

	"github.com/jwtrot/jwtrot/rotation"
	"github.com/jwtrot/jwtrot/rotation/expandertest"
)

// An Expander computing HKDF-Expand itself, as a module would, under a PRK
// it holds.
type prkHolder struct{ prk []byte }

func (h prkHolder) Expand(ctx context.Context, info []byte, n int) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return hkdf.Expand(sha256.New, h.prk, string(info), n)
}

func ExampleCheck() {
	root, _ := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	prk, _ := root.ExportPRK()
	fmt.Println(expandertest.Check(prkHolder{prk}, prk))
	// Output: <nil>
}
