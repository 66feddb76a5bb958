package expandertest_test

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"testing"

	"github.com/jwtrot/jwtrot/rotation/expandertest"
)

// memory is an Expander over a PRK in memory, the reference.
type memory []byte

func (m memory) Expand(ctx context.Context, info []byte, n int) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return hkdf.Expand(sha256.New, m, string(info), n)
}

func TestMemory(t *testing.T) {
	prk := bytes.Repeat([]byte{3, 1, 4, 1, 5, 9, 2, 6}, 4)
	expandertest.Run(t, memory(prk), prk)
}

// TestCheckCatchesWrongExpanders runs the suite against Expanders that
// hold another PRK or ignore their context, and expects it to fail.
func TestCheckCatchesWrongExpanders(t *testing.T) {
	prk := bytes.Repeat([]byte{3, 1, 4, 1, 5, 9, 2, 6}, 4)
	other := append([]byte{0}, prk[1:]...)
	if err := expandertest.Check(memory(other), prk); err == nil {
		t.Fatal("the suite passed an Expander with the wrong PRK")
	}
	if err := expandertest.Check(deaf(prk), prk); err == nil {
		t.Fatal("the suite passed an Expander that ignores its context")
	}
}

type deaf []byte

func (d deaf) Expand(_ context.Context, info []byte, n int) ([]byte, error) {
	return hkdf.Expand(sha256.New, d, string(info), n)
}
