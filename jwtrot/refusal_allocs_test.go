package jwtrot

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRefusalAllocations: refusing a bad MAC, what an attacker can send
// without a key, allocates nothing; a retired window (read on the strict
// header path) at most once (none with Go 1.26: the header is decoded into
// a stack buffer, the scanner's name table stays on the stack and the kid's
// root id is the window set's own string).
func TestRefusalAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector (sync.Pool drops at random); the plain run checks them")
	}
	f := newFixture(t)
	good, _ := f.a.Sign(nil)
	badMAC := good[:len(good)-2] + "AA"
	old := f.keyAt(testEpoch.Add(-30 * time.Minute))
	retired := craft(canonical(old), `{"exp":1,"iat":1}`, old)
	ctx := context.Background()
	for name, c := range map[string]struct {
		tok  string
		want error
		max  float64
	}{"bad MAC": {badMAC, ErrBadSignature, 0}, "retired window": {retired, ErrWindowRetired, 1}} {
		if _, err := f.a.Verify(ctx, c.tok, nil); !errors.Is(err, c.want) {
			t.Fatalf("%s: %v", name, err)
		}
		n := testing.AllocsPerRun(200, func() { f.a.Verify(ctx, c.tok, nil) })
		t.Logf("%s: %v allocations", name, n)
		if n > c.max {
			t.Errorf("%s: %v allocations; want at most %v", name, n, c.max)
		}
	}
}
