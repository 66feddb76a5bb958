package jwtrotredis

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot/revokertest"
	"github.com/redis/rueidis"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// open returns a Revoker on addrs, closed when the test ends.
func open(t testing.TB, addrs []string, opts ...Option) *Revoker {
	t.Helper()
	r, err := New(context.Background(), rueidis.ClientOption{InitAddress: addrs}, append([]Option{WithMaxAge(time.Hour), WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func addrsOf(servers []*server) []string {
	out := make([]string, len(servers))
	for i, s := range servers {
		out[i] = s.addr()
	}
	return out
}

// conformance runs the suite against the servers, each instance with its
// own client and cache; a prefix per store keeps stores apart on one server.
func conformance(t *testing.T, servers []*server) {
	addrs := addrsOf(servers)
	n := 0
	revokertest.Test(t, revokertest.Config{
		New: func(t *testing.T) revokertest.Store {
			n++
			return open(t, addrs, WithPrefix("conformance"+itoa(int64(n))+":"))
		},
		Peer: func(t *testing.T, s revokertest.Store) revokertest.Store {
			return open(t, addrs, WithPrefix(s.(*Revoker).prefix))
		},
		// An invalidation's trip to the other clients.
		Propagation: 100 * time.Millisecond,
		// Every primary forgets everything, as a restart without
		// persistence would.
		Lose: func(t *testing.T, _ revokertest.Store) {
			for _, srv := range servers {
				if reply, err := srv.command("FLUSHALL"); err != nil || reply != "+OK" {
					if !strings.HasPrefix(reply, "-READONLY") {
						t.Fatalf("FLUSHALL on %s: %q, %v", srv.addr(), reply, err)
					}
				}
			}
		},
	})
}

func TestConformanceSingle(t *testing.T) {
	t.Parallel()
	conformance(t, []*server{startServer(t)})
}

func TestConformanceCluster(t *testing.T) {
	t.Parallel()
	conformance(t, startCluster(t))
}
