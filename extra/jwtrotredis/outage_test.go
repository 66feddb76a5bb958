package jwtrotredis

import (
	"context"
	"errors"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/redis/rueidis"
)

func authority(t testing.TB, r *Revoker) *jwtrot.Authority {
	t.Helper()
	root, err := rotation.NewRoot("test", []byte("jwtrotredis test root, 32 bytes or more....."))
	if err != nil {
		t.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root})
	if err != nil {
		t.Fatal(err)
	}
	a, err := jwtrot.New(d, jwtrot.WithRevoker(r))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// outageLoad verifies tok from many goroutines for a while and returns the
// errors' reasons and the slowest verification.
func outageLoad(t *testing.T, a *jwtrot.Authority, toks []string, d time.Duration) (map[string]int, time.Duration, int) {
	var mu sync.Mutex
	codes := map[string]int{}
	var slowest time.Duration
	peak := 0
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				start := time.Now()
				_, err := a.Verify(context.Background(), toks[g%len(toks)], nil)
				took := time.Since(start)
				mu.Lock()
				codes[jwtrot.Code(err)]++
				slowest = max(slowest, took)
				peak = max(peak, runtime.NumGoroutine())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return codes, slowest, peak
}

// With the server killed (or hung: SIGSTOP), every verification is refused
// within the timeout and none hangs, goroutines do not pile up; after a
// restart, correct answers resume without a new Revoker, and the
// goroutines return to what they were. On a cluster, every master is
// killed and restarted (from its nodes.conf and append-only file). The
// subtests run one at a time, since they count the process's goroutines;
// they take about 1.5 s each (one second of load during the outage), the
// cluster 4 s (forming it, and its recovery).
func TestOutage(t *testing.T) {
	persist := []string{"--appendonly", "yes", "--appendfsync", "always"}
	t.Run("single", func(t *testing.T) { outage(t, []*server{startServer(t, persist...)}, false) })
	t.Run("single-hung", func(t *testing.T) { outage(t, []*server{startServer(t, persist...)}, true) })
	t.Run("cluster", func(t *testing.T) { outage(t, startCluster(t, persist...), false) })
}

func outage(t *testing.T, servers []*server, hang bool) {
	const timeout = 100 * time.Millisecond
	r := open(t, addrsOf(servers), WithTimeout(timeout))
	a := authority(t, r)
	good, _ := a.Sign(jwt.RegisteredClaims{Subject: "good"})
	bad, _ := a.Sign(jwt.RegisteredClaims{Subject: "bad"})
	if err := r.RevokeSubject(context.Background(), "bad", time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{good, bad} {
		a.Verify(context.Background(), tok, nil) // warm the cache
	}
	baseline := runtime.NumGoroutine()

	for _, srv := range servers {
		if hang {
			srv.cmd.Process.Signal(syscall.SIGSTOP)
			t.Cleanup(func() { srv.cmd.Process.Signal(syscall.SIGCONT) })
		} else {
			srv.kill()
		}
	}
	// Until the client gives the connection up (at once when the server
	// closed it; after ConnWriteTimeout when it hangs), answers cached
	// before the outage (still true: nobody can write meanwhile) may be
	// served; then the cache is gone.
	killed := time.Now()
	for {
		if _, err := a.Verify(context.Background(), good, nil); err != nil {
			break
		}
		if time.Since(killed) > 5*time.Second {
			t.Fatal("still answering 5 s into the outage")
		}
		time.Sleep(time.Millisecond)
	}
	noticed := time.Since(killed)
	codes, slowest, peak := outageLoad(t, a, []string{good, bad}, time.Second)
	t.Logf("outage noticed after %v; then %v, slowest %v, goroutines %d → peak %d", noticed, codes, slowest, baseline, peak)
	if len(codes) != 1 || codes["revocation_check_failed"] == 0 {
		t.Fatalf("during the outage: %v, want only revocation_check_failed", codes)
	}
	// The bound, plus room for a loaded 2-core machine.
	if slowest > timeout+100*time.Millisecond {
		t.Fatalf("a verification took %v with a %v timeout", slowest, timeout)
	}
	// 32 verifying goroutines; each call given up may leave a goroutine
	// waiting in rueidis until the connection is dropped (ConnWriteTimeout,
	// the timeout plus a second): at most 32 × 12 in flight, however long
	// the outage lasts.
	if limit := baseline + 32 + 32*12; peak > limit {
		t.Fatalf("goroutines piled up: %d before, %d during the outage (limit %d)", baseline, peak, limit)
	}

	for _, srv := range servers {
		if hang {
			srv.cmd.Process.Signal(syscall.SIGCONT)
		} else {
			srv.start()
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := a.Verify(context.Background(), good, nil)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery 15 s after the restart: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The revocation was persisted (appendonly) and is still enforced.
	if _, err := a.Verify(context.Background(), bad, nil); !errors.Is(err, jwtrot.ErrRevoked) {
		t.Fatalf("after the restart, the revoked token: %v", err)
	}
	// What the outage started has ended.
	for runtime.NumGoroutine() > baseline+4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines before the outage, %d after the recovery", baseline, runtime.NumGoroutine())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The local cache goes with the connection: after the server is replaced,
// an answer cached from the old one is not served.
func TestCacheDroppedWithConnection(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	r := open(t, []string{srv.addr()})
	a := authority(t, r)
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "mallory"})
	if _, err := a.Verify(context.Background(), tok, nil); err != nil {
		t.Fatal(err)
	}
	srv.kill()
	srv.start() // empty: nothing persisted, and no client tracks anything
	// Written around the Revoker: no invalidation will ever reach it.
	key := r.key(kindSubject, "mallory")
	if reply, err := srv.command("SET", key, itoa(time.Now().Add(time.Minute).Unix())); err != nil || reply != "+OK" {
		t.Fatalf("SET: %q, %v", reply, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := a.Verify(context.Background(), tok, nil)
		if errors.Is(err, jwtrot.ErrRevoked) {
			return
		}
		if err == nil || time.Now().After(deadline) {
			t.Fatalf("after reconnecting, the check answered from the old cache: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WithServeStale answers from the last state read, for at most d, and
// never for an unknown token or an N-use one.
func TestServeStale(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	const d = 600 * time.Millisecond
	r := open(t, []string{srv.addr()}, WithTimeout(50*time.Millisecond), WithServeStale(d))
	a := authority(t, r)
	good, _ := a.Sign(jwt.RegisteredClaims{Subject: "good"})
	bad, _ := a.Sign(jwt.RegisteredClaims{Subject: "bad"})
	unknown, _ := a.Sign(jwt.RegisteredClaims{Subject: "unknown"})
	once, _ := a.Sign(jwt.MapClaims{"sub": "good", jwtrot.UsesClaim: 5})
	r.RevokeSubject(context.Background(), "bad", time.Now().Add(time.Second))
	for _, tok := range []string{good, bad, once} {
		a.Verify(context.Background(), tok, nil)
	}
	srv.kill()
	for _, tc := range []struct {
		tok  string
		want error
	}{
		{good, nil}, {bad, jwtrot.ErrRevoked}, {unknown, jwtrot.ErrRevocationCheck}, {once, jwtrot.ErrRevocationCheck},
	} {
		if _, err := a.Verify(context.Background(), tc.tok, nil); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Fatalf("within %v of the last read: %v, want %v", d, err, tc.want)
		}
	}
	time.Sleep(d + 50*time.Millisecond)
	if _, err := a.Verify(context.Background(), good, nil); !errors.Is(err, jwtrot.ErrRevocationCheck) {
		t.Fatalf("after %v: %v, want ErrRevocationCheck", d, err)
	}
}

// Close stops every goroutine and connection the Revoker started.
func TestCloseLeavesNothing(t *testing.T) {
	srv := startServer(t)
	before := runtime.NumGoroutine()
	for range 3 {
		r, err := New(context.Background(), rueidis.ClientOption{InitAddress: []string{srv.addr()}}, WithMaxAge(time.Hour), WithLogger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		a := authority(t, r)
		tok, _ := a.Sign(jwt.MapClaims{"sub": "x", jwtrot.UsesClaim: 3})
		for range 10 {
			a.Verify(context.Background(), tok, nil)
		}
		r.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.info("clients", "connected_clients"); n != "1" { // the INFO connection itself
		t.Fatalf("%s clients connected after Close", n)
	}
}

func TestNewRefuses(t *testing.T) {
	opt := rueidis.ClientOption{InitAddress: []string{"127.0.0.1:1"}}
	for name, tc := range map[string]struct {
		opt  rueidis.ClientOption
		opts []Option
	}{
		"no address":   {rueidis.ClientOption{}, nil},
		"max age 0":    {opt, []Option{WithMaxAge(0)}},
		"max age < 0":  {opt, []Option{WithMaxAge(-time.Hour)}},
		"hash tag":     {opt, []Option{WithPrefix("app{1}:")}},
		"no timeout":   {opt, []Option{WithTimeout(0)}},
		"no local TTL": {opt, []Option{WithLocalTTL(-time.Second)}},
		"stale 0":      {opt, []Option{WithServeStale(0)}},
	} {
		if _, err := New(context.Background(), tc.opt, tc.opts...); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

// New warns about a server that may evict entries or persists nothing.
func TestWarnings(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--maxmemory-policy", "volatile-lru")
	r := open(t, []string{srv.addr()})
	w := r.Warnings()
	sort.Strings(w)
	if len(w) != 2 {
		t.Fatalf("warnings: %q", w)
	}
	good := startServer(t, "--appendonly", "yes")
	if w := open(t, []string{good.addr()}).Warnings(); len(w) != 0 {
		t.Fatalf("warnings for a well-configured server: %q", w)
	}
}

// Warm checks are answered locally: a thousand verifications of a cached
// token send no command to the server.
func TestWarmChecksStayLocal(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	// No periodic loss check in the middle of the count.
	a := authority(t, open(t, []string{srv.addr()}, WithCheckInterval(time.Hour)))
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "warm"})
	if _, err := a.Verify(context.Background(), tok, nil); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n, _ := strconv.Atoi(srv.info("stats", "total_commands_processed"))
		return n
	}
	// Reading the count costs commands of its own: measure them first.
	c0 := count()
	c1 := count()
	for range 1000 {
		if _, err := a.Verify(context.Background(), tok, nil); err != nil {
			t.Fatal(err)
		}
	}
	c2 := count()
	if sent := (c2 - c1) - (c1 - c0); sent != 0 {
		t.Fatalf("1000 warm verifications sent %d commands", sent)
	}
}
