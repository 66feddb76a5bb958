package jwtrot

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRefusalAllocations: refusing a bad MAC, what an attacker can send
// without a key, allocates nothing; a retired window (read on the strict
// header path) at most three times today: the decoded header, the scanner's
// name table and the kid.
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
	}{"bad MAC": {badMAC, ErrBadSignature, 0}, "retired window": {retired, ErrWindowRetired, 3}} {
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
