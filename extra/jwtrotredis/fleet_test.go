package jwtrotredis

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
)

// topologies are the servers the fleet tests run against.
var topologies = []struct {
	name  string
	start func(testing.TB) []*server
}{
	{"single", func(t testing.TB) []*server { return []*server{startServer(t)} }},
	{"cluster", func(t testing.TB) []*server { return startCluster(t) }},
}

// Eight instances, each with its own client, race on one N-use token with
// N = 5, verifying through their Authorities: it is accepted exactly five
// times, trial after trial.
func TestUsesRaceFleet(t *testing.T) {
	t.Parallel()
	for _, topo := range topologies {
		t.Run(topo.name, func(t *testing.T) {
			t.Parallel()
			addrs := addrsOf(topo.start(t))
			const instances, perInstance, uses, trials = 8, 2, 5, 200
			auths := make([]*jwtrot.Authority, instances)
			for i := range auths {
				// A loaded 2-core machine running 8 instances against a
				// cluster: a use may wait its turn past the default timeout,
				// which refuses the token (fail closed) and is not what
				// this test is about.
				auths[i] = authority(t, open(t, addrs, WithTimeout(2*time.Second)))
			}
			for trial := range trials {
				tok, err := auths[trial%instances].Sign(jwt.MapClaims{"sub": "racer", jwtrot.UsesClaim: uses})
				if err != nil {
					t.Fatal(err)
				}
				var accepted, usedUp atomic.Int32
				var other atomic.Pointer[error]
				var wg sync.WaitGroup
				start := make(chan struct{})
				for g := range instances * perInstance {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						_, err := auths[g%instances].Verify(context.Background(), tok, nil)
						switch {
						case err == nil:
							accepted.Add(1)
						case errors.Is(err, jwtrot.ErrUsedUp):
							usedUp.Add(1)
						default:
							other.Store(&err)
						}
					}()
				}
				close(start)
				wg.Wait()
				if err := other.Load(); err != nil {
					t.Fatalf("trial %d: %v", trial, *err)
				}
				if accepted.Load() != uses || usedUp.Load() != instances*perInstance-uses {
					t.Fatalf("trial %d: accepted %d, used up %d; want %d and %d", trial, accepted.Load(), usedUp.Load(), uses, instances*perInstance-uses)
				}
			}
			t.Logf("%d trials: %d instances × %d goroutines on a %d-use token: accepted exactly %d times each trial", trials, instances, perInstance, uses, uses)
		})
	}
}

// BenchmarkPropagation measures how long a revocation made through
// instance A takes to be refused by instances B, C and D (each its own
// client with a warm cache): from the start of A's RevokeID to the last of
// B, C, D answering "revoked". One revocation per iteration; run it with
// -benchtime=1000x for 1000 revocations. It reports the median and the
// 99th percentile in microseconds.
func BenchmarkPropagation(b *testing.B) {
	for _, topo := range topologies {
		b.Run(topo.name, func(b *testing.B) {
			addrs := addrsOf(topo.start(b))
			a := open(b, addrs)
			peers := []*Revoker{open(b, addrs), open(b, addrs), open(b, addrs)}
			ctx := context.Background()
			var lat []time.Duration
			i := 0
			for b.Loop() {
				i++
				ti := jwtrot.TokenInfo{ID: "prop-" + itoa(int64(i)) + "-" + itoa(time.Now().UnixNano()), IssuedAt: time.Now(), Expires: time.Now().Add(time.Hour)}
				for _, p := range peers { // warm: "not revoked" cached
					if revoked, err := p.Revoked(ctx, ti); err != nil || revoked {
						b.Fatal(revoked, err)
					}
				}
				var wg sync.WaitGroup
				seen := make([]time.Duration, len(peers))
				start := time.Now()
				go func() {
					if err := a.RevokeID(ctx, ti.ID, ti.Expires); err != nil {
						panic(err)
					}
				}()
				for j, p := range peers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							revoked, err := p.Revoked(ctx, ti)
							if err != nil {
								panic(err)
							}
							if revoked {
								seen[j] = time.Since(start)
								return
							}
							if time.Since(start) > 5*time.Second {
								panic("a revocation not seen after 5 s")
							}
							time.Sleep(50 * time.Microsecond)
						}
					}()
				}
				wg.Wait()
				lat = append(lat, max(seen[0], seen[1], seen[2]))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
		})
	}
}
