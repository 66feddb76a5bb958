package jwtrot

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/rotation"
)

// TestFirstOfWindowAllocations: the first verification of a new window
// allocates no more than a steady one: the window set, the keys and their
// HMAC states (the pool's table included) were prepared within the skew.
func TestFirstOfWindowAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	debug.SetGCPercent(-1)
	defer debug.SetGCPercent(100)
	clk := newSimClock(testEpoch)
	root, _ := rotation.NewRoot("main", testSecret)
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(clk), rotation.WithWindow(10*time.Minute), rotation.WithSkew(30*time.Second))
	a, _ := New(d, WithTTL(24*time.Hour), WithMaxAge(24*time.Hour))
	ctx := context.Background()
	w := d.Schedule().WindowAt(testEpoch)
	var total, steady uint64
	var ms runtime.MemStats
	for i := 0; i < 200; i++ {
		clk.set(w.End().Add(-10 * time.Second))
		tok, _ := a.Sign(nil)
		a.Verify(ctx, tok, nil)
		for a.next.Load() == nil || a.next.Load().index != w.Index()+1 {
			time.Sleep(10 * time.Microsecond)
		}
		w = w.Next()
		clk.set(w.Start().Add(time.Second))
		runtime.ReadMemStats(&ms)
		before := ms.Mallocs
		a.Verify(ctx, tok, nil)
		runtime.ReadMemStats(&ms)
		total += ms.Mallocs - before
		before = ms.Mallocs
		a.Verify(ctx, tok, nil)
		runtime.ReadMemStats(&ms)
		steady += ms.Mallocs - before
	}
	t.Logf("allocations per verification: first of a window %.2f, steady %.2f", float64(total)/200, float64(steady)/200)
	if total > steady {
		t.Errorf("the first verification of a window allocates more (%d over 200 windows) than a steady one (%d)", total, steady)
	}
}
