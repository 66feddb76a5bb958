package jwtrotredis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
)

// BenchmarkFleetLoad runs four instances on one server (or cluster) on
// 127.0.0.1, with verifications and revocations mixed: 0, 1 or 2 goroutines
// per instance (loaders=) verify, in bursts of 200 with a 200 µs pause,
// tokens drawn from the last 256 subjects revoked and the next one to be; each iteration logs one subject
// out everywhere (RevokeSubject through instance i mod 4) and waits until
// the three other instances refuse its token, which gives the
// revocation-to-refusal latency. Bounded by the iteration count (run it
// with -benchtime=2000x) and by a minute. It reports verifications and
// revocations per second, the latency's p50 and p99 in microseconds, and
// how often a revoked token was accepted by a verification that began
// after the instance had refused it once (revoked-accepted, which must be
// 0), after RevokeSubject had returned by the instance that revoked
// (writer-accepted-after-return, which must be 0) and by another
// (accepted-after-return: the invalidation's trip, which Redis sends with,
// not before, its reply).
func BenchmarkFleetLoad(b *testing.B) {
	const burst, pause = 200, 200 * time.Microsecond
	for _, topo := range topologies {
		for _, loaders := range []int{0, 1, 2} {
			b.Run(fmt.Sprintf("%s/loaders=%d", topo.name, loaders), func(b *testing.B) { fleetLoad(b, topo.start, loaders, burst, pause) })
		}
	}
}

func fleetLoad(b *testing.B, startServers func(testing.TB) []*server, loaders, burst int, pause time.Duration) {
	{
		{
			addrs := addrsOf(startServers(b))
			var revs []*Revoker
			var auths []*jwtrot.Authority
			for range fleetSize {
				// A loaded 2-core machine: a check may wait its turn.
				r := open(b, addrs, WithTimeout(2*time.Second))
				revs = append(revs, r)
				auths = append(auths, authority(b, r))
			}
			ctx := context.Background()
			n := b.N
			type slot struct {
				sub, tok string
				returned atomic.Int64           // Unix ns when RevokeSubject returned
				refused  [fleetSize]atomic.Bool // each instance refused it once
			}
			slots := make([]*slot, n+1)
			for i := range slots {
				s := &slot{sub: fmt.Sprintf("load-%d-%d", i, time.Now().UnixNano())}
				s.tok, _ = auths[i%fleetSize].Sign(jwt.RegisteredClaims{Subject: s.sub})
				slots[i] = s
			}
			var cur atomic.Int64 // the next slot to revoke
			var verifications, revokedAccepted, acceptedAfterReturn, writerAccepted atomic.Int64
			var failed atomic.Pointer[error]
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for g := range loaders * fleetSize {
				wg.Add(1)
				go func() {
					defer wg.Done()
					inst := g % fleetSize
					rng := rand.New(rand.NewPCG(uint64(g), 1))
					count := int64(0)
					defer func() { verifications.Add(count) }()
					for {
						select {
						case <-stop:
							return
						default:
						}
						// Bursts, then a pause: four instances share this
						// process's two cores, and a goroutine that never
						// parks keeps the clients' readers (and the
						// invalidations they deliver) waiting for a time
						// slice. The rate is what the machine holds with
						// the readers served.
						if count%int64(burst) == 0 {
							time.Sleep(pause)
						}
						c := cur.Load()
						i := c - int64(rng.IntN(257)) + 1 // the next slot, and the last 256
						if i < 0 || i > int64(n) {
							i = c
						}
						s := slots[i]
						wasRefused := s.refused[inst].Load()
						returned := s.returned.Load()
						_, err := auths[inst].Verify(ctx, s.tok, nil)
						count++
						switch {
						case err == nil:
							if wasRefused {
								revokedAccepted.Add(1)
							}
							switch {
							case returned != 0 && inst == int(i%fleetSize):
								writerAccepted.Add(1)
							case returned != 0:
								acceptedAfterReturn.Add(1)
							}
						case errors.Is(err, jwtrot.ErrRevoked):
							s.refused[inst].Store(true)
						default:
							failed.Store(&err)
						}
					}
				}()
			}
			lat := make([]time.Duration, 0, n)
			b.ResetTimer()
			start := time.Now()
			for i := range n {
				if time.Since(start) > time.Minute {
					b.Fatalf("over a minute for %d revocations: lower -benchtime", n)
				}
				s := slots[i]
				writer := i % fleetSize
				t0 := time.Now()
				if err := revs[writer].RevokeSubject(ctx, s.sub, time.Now()); err != nil {
					b.Fatal(err)
				}
				s.returned.Store(time.Now().UnixNano())
				var last time.Duration
				for k := 1; k < fleetSize; k++ {
					inst := (writer + k) % fleetSize
					for {
						_, err := auths[inst].Verify(ctx, s.tok, nil)
						verifications.Add(1)
						if errors.Is(err, jwtrot.ErrRevoked) {
							s.refused[inst].Store(true)
							last = max(last, time.Since(t0))
							break
						}
						if err != nil {
							var ce *jwtrot.CauseError
							errors.As(err, &ce)
							b.Fatalf("%v: %v", err, ce.Cause)
						}
						if time.Since(t0) > 5*time.Second {
							b.Fatal("a revocation not seen after 5 s")
						}
					}
				}
				lat = append(lat, last)
				cur.Store(int64(i + 1))
			}
			elapsed := time.Since(start)
			b.StopTimer()
			close(stop)
			wg.Wait()
			if err := failed.Load(); err != nil {
				b.Fatalf("a verification failed: %v", *err)
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(verifications.Load())/elapsed.Seconds(), "verifications/s")
			b.ReportMetric(float64(n)/elapsed.Seconds(), "revocations/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(revokedAccepted.Load()), "revoked-accepted")
			b.ReportMetric(float64(acceptedAfterReturn.Load()), "accepted-after-return")
			b.ReportMetric(float64(writerAccepted.Load()), "writer-accepted-after-return")
			if revokedAccepted.Load() != 0 {
				b.Fatalf("a revoked token was accepted %d times after the instance had refused it", revokedAccepted.Load())
			}
			if writerAccepted.Load() != 0 {
				b.Fatalf("a revoked token was accepted %d times by the instance that revoked it, after RevokeSubject returned", writerAccepted.Load())
			}
		}
	}
}
