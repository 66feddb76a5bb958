package hmacexpand

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"testing"
)

func TestExpandIsHKDFExpand(t *testing.T) {
	prk := bytes.Repeat([]byte{7, 1}, 16)
	mac := func(_ context.Context, msg []byte) ([]byte, error) {
		h := hmac.New(sha256.New, prk)
		h.Write(msg)
		return h.Sum(nil), nil
	}
	for _, n := range []int{1, 31, 32, 33, 48, 64} {
		for _, info := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("info"), 40)} {
			want, _ := hkdf.Expand(sha256.New, prk, string(info), n)
			got, err := Expand(context.Background(), mac, info, n)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("n=%d len(info)=%d: Expand differs from HKDF-Expand (%v)", n, len(info), err)
			}
		}
	}
	for _, n := range []int{0, -1, 65} {
		if _, err := Expand(context.Background(), mac, nil, n); err == nil {
			t.Fatalf("n=%d accepted", n)
		}
	}
}
