// Package expandertest is the conformance suite of [rotation.Expander]: run
// it on any implementation (a security module's, your own) to check that it
// computes exactly the HKDF-Expand that SPEC.md §8 states, under the PRK it
// was given, for every length a window key needs, concurrently, and that it
// gives up when its context ends.
package expandertest

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jwtrot/jwtrot/rotation"
)

// Run checks e, which must hold prk (imported, say, from
// [rotation.Root.ExportPRK]), with [Check], and fails t if it does not
// conform.
func Run(t testing.TB, e rotation.Expander, prk []byte) {
	t.Helper()
	if err := Check(e, prk); err != nil {
		t.Fatal(err)
	}
}

// Check compares e with HKDF-Expand (crypto/hkdf.Expand) under prk for several info
// strings and every length from 1 to 64 bytes a key needs, from 16
// goroutines at once, and checks that e fails when its context is
// cancelled. It returns the first difference. Its errors never contain key
// material: a mismatch is reported by length and info only.
func Check(e rotation.Expander, prk []byte) error {
	ctx := context.Background()
	infos := [][]byte{nil, []byte("x"), bytes.Repeat([]byte{0xff, 0}, 50)}
	infos = append(infos, windowInfo("HS512", "access", 600, -3))
	for _, info := range infos {
		for _, n := range []int{1, 16, 32, 33, 48, 64} {
			want, _ := hkdf.Expand(sha256.New, prk, string(info), n)
			got, err := e.Expand(ctx, info, n)
			if err != nil {
				return fmt.Errorf("expandertest: n=%d info=%s: %w", n, short(info), err)
			}
			if !bytes.Equal(got, want) {
				return fmt.Errorf("expandertest: n=%d info=%s: wrong output (%d bytes)", n, short(info), len(got))
			}
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			info := []byte(fmt.Sprint("goroutine ", g))
			want, _ := hkdf.Expand(sha256.New, prk, string(info), 48)
			for range 8 {
				got, err := e.Expand(ctx, info, 48)
				if err != nil || !bytes.Equal(got, want) {
					errs <- fmt.Errorf("expandertest: concurrent call in goroutine %d: wrong output or %v", g, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := errors.Join(collect(errs)...); err != nil {
		return err
	}
	c, cancel := context.WithCancel(ctx)
	cancel()
	if out, err := e.Expand(c, []byte("x"), 32); err == nil {
		return fmt.Errorf("expandertest: Expand with a cancelled context returned %d bytes and no error", len(out))
	}
	return nil
}

func collect(ch <-chan error) (errs []error) {
	for err := range ch {
		errs = append(errs, err)
	}
	return errs
}

func short(b []byte) string {
	if len(b) > 8 {
		return hex.EncodeToString(b[:8]) + "…"
	}
	return hex.EncodeToString(b)
}

// windowInfo is the HKDF info string of a window key, as SPEC.md states it:
// each of the label, alg and purpose preceded by its length (u16), then the
// window length in seconds (u64) and the window index (i64), big-endian.
func windowInfo(alg, purpose string, seconds, index int64) []byte {
	var b []byte
	for _, field := range []string{"jwtrot/v1 window key", alg, purpose} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(field)))
		b = append(b, field...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(seconds))
	return binary.BigEndian.AppendUint64(b, uint64(index))
}
