package jwtrotredis

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
)

// A fleet is four verifying instances, each with its own Revoker (its own
// client and cache) on the same servers, and Authorities sharing a root.
type fleet struct {
	revs   []*Revoker
	auths  []*jwtrot.Authority
	losses atomic.Int32 // loss events observed, over the fleet
}

const fleetSize = 4

func newFleet(t *testing.T, addrs []string, opts ...Option) *fleet {
	t.Helper()
	f := &fleet{}
	for range fleetSize {
		r := open(t, addrs, append([]Option{WithTimeout(300 * time.Millisecond), WithLossObserver(func(jwtrot.RevocationLoss) { f.losses.Add(1) })}, opts...)...)
		f.revs = append(f.revs, r)
		f.auths = append(f.auths, authority(t, r))
	}
	return f
}

// victims signs, on instance 0, a token whose subject is then revoked, one
// whose jti is, and one left alone, and checks every instance refuses the
// first two and accepts the third.
func (f *fleet) victims(t *testing.T, subject string) (bySub, byID, good string) {
	t.Helper()
	ctx := context.Background()
	bySub, _ = f.auths[0].Sign(jwt.RegisteredClaims{Subject: subject})
	byID, _ = f.auths[0].Sign(jwt.RegisteredClaims{Subject: "id-" + subject})
	good, _ = f.auths[0].Sign(jwt.RegisteredClaims{Subject: "good-" + subject})
	var rc jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(byID, &rc); err != nil {
		t.Fatal(err)
	}
	if err := f.revs[1].RevokeSubject(ctx, subject, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := f.revs[2].RevokeID(ctx, rc.ID, rc.ExpiresAt.Time); err != nil {
		t.Fatal(err)
	}
	// A replicated cluster just started on a loaded machine (the race
	// detector, other tests) may take seconds to settle: checks fail
	// (fail closed) until it does.
	deadline := time.Now().Add(10 * time.Second)
	for i, a := range f.auths {
		for _, tok := range []string{bySub, byID} {
			for {
				_, err := a.Verify(ctx, tok, nil)
				if errors.Is(err, jwtrot.ErrRevoked) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("instance %d: a revoked token before the loss: %v", i, err)
				}
				time.Sleep(time.Millisecond)
			}
		}
		if _, err := a.Verify(ctx, good, nil); err != nil {
			t.Fatalf("instance %d: before the loss: %v", i, err)
		}
	}
	return bySub, byID, good
}

// hammer verifies the revoked tokens on every instance from two goroutines
// each until stop is closed, and returns the count of acceptances (the
// failures this whole file is about) and the refusals by code.
func (f *fleet) hammer(revoked []string, stop <-chan struct{}) func() (int, map[string]int) {
	var accepted atomic.Int32
	var mu sync.Mutex
	codes := map[string]int{}
	var wg sync.WaitGroup
	for i := range fleetSize * 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[string]int{}
			for n := 0; ; n++ {
				select {
				case <-stop:
					mu.Lock()
					for k, v := range local {
						codes[k] += v
					}
					mu.Unlock()
					return
				default:
				}
				_, err := f.auths[i%fleetSize].Verify(context.Background(), revoked[n%len(revoked)], nil)
				if err == nil {
					accepted.Add(1)
				}
				local[jwtrot.Code(err)]++
				time.Sleep(200 * time.Microsecond)
			}
		}()
	}
	return func() (int, map[string]int) {
		wg.Wait()
		return int(accepted.Load()), codes
	}
}

// recovered signs a new token (a user logging in again) every 5 ms, on
// each instance in turn, until one is accepted by every instance, and
// returns how long after since that was.
func (f *fleet) recovered(t *testing.T, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	for n := 0; ; n++ {
		tok, err := f.auths[n%fleetSize].Sign(jwt.RegisteredClaims{Subject: fmt.Sprintf("login-%d", n)})
		if err != nil {
			t.Fatal(err)
		}
		all := true
		var last error
		for _, a := range f.auths {
			if _, err := a.Verify(context.Background(), tok, nil); err != nil {
				all, last = false, err
				break
			}
		}
		if all {
			return time.Since(since)
		}
		if time.Since(since) > limit {
			t.Fatalf("no new login accepted by every instance %v after the loss: %v", limit, last)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// afterLoss checks the end state: the revoked tokens refused, the token
// issued before the loss refused as possibly covered by a lost
// revocation, on every instance, and every instance saw the loss.
func (f *fleet) afterLoss(t *testing.T, bySub, byID, good string, loss time.Time) {
	t.Helper()
	for i, a := range f.auths {
		for _, tok := range []string{bySub, byID, good} {
			if _, err := a.Verify(context.Background(), tok, nil); !errors.Is(err, jwtrot.ErrRevocationsLost) && !errors.Is(err, jwtrot.ErrRevoked) {
				t.Fatalf("instance %d: a token issued before the loss: %v", i, err)
			}
		}
		if _, err := a.Verify(context.Background(), good, nil); !errors.Is(err, jwtrot.ErrRevocationsLost) {
			t.Fatalf("instance %d: the good token issued before the loss: %v, want ErrRevocationsLost", i, err)
		}
		if at := f.revs[i].LostAt(); at.Before(loss) {
			t.Fatalf("instance %d: loss recorded at %v, before the loss at %v", i, at, loss)
		}
	}
}

// lossScenario runs a loss under load on the fleet and reports what it
// measured.
func lossScenario(t *testing.T, f *fleet, subject string, lose func() time.Time) {
	bySub, byID, good := f.victims(t, subject)
	stop := make(chan struct{})
	wait := f.hammer([]string{bySub, byID}, stop)
	time.Sleep(50 * time.Millisecond)
	loss := lose()
	took := f.recovered(t, loss, 15*time.Second)
	time.Sleep(100 * time.Millisecond)
	close(stop)
	accepted, codes := wait()
	f.afterLoss(t, bySub, byID, good, loss.Add(-time.Second))
	t.Logf("%d instances: revoked tokens accepted %d times (refusals %v); a new login accepted by all %v after the loss; %d loss events", fleetSize, accepted, codes, took.Round(time.Millisecond), f.losses.Load())
	if accepted != 0 {
		t.Fatalf("revoked tokens accepted %d times across the loss", accepted)
	}
	if f.losses.Load() < fleetSize {
		t.Fatalf("%d loss events over %d instances", f.losses.Load(), fleetSize)
	}
}

// redis-server restarted without persistence: everything is forgotten,
// the epoch marker with it.
func TestLossRestartWithoutPersistence(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	f := newFleet(t, []string{srv.addr()})
	lossScenario(t, f, "restart", func() time.Time {
		srv.kill()
		at := time.Now()
		srv.start()
		return at
	})
}

// FLUSHALL, from another client.
func TestLossFlushAll(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	f := newFleet(t, []string{srv.addr()})
	lossScenario(t, f, "flush", func() time.Time {
		at := time.Now()
		if reply, err := srv.command("FLUSHALL"); err != nil || reply != "+OK" {
			t.Fatalf("FLUSHALL: %q, %v", reply, err)
		}
		return at
	})
}

// A server restarted with its data (appendonly) lost nothing: no loss, and
// the token issued before the restart is accepted again.
func TestNoLossRestartWithPersistence(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--appendonly", "yes", "--appendfsync", "always")
	f := newFleet(t, []string{srv.addr()})
	bySub, byID, good := f.victims(t, "persisted")
	srv.kill()
	srv.start()
	deadline := time.Now().Add(10 * time.Second)
	for i, a := range f.auths {
		for {
			_, err := a.Verify(context.Background(), good, nil)
			if err == nil {
				break
			}
			if !errors.Is(err, jwtrot.ErrRevocationCheck) || time.Now().After(deadline) {
				t.Fatalf("instance %d: after a restart with persistence: %v", i, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		for _, tok := range []string{bySub, byID} {
			if _, err := a.Verify(context.Background(), tok, nil); !errors.Is(err, jwtrot.ErrRevoked) {
				t.Fatalf("instance %d: a revoked token after the restart: %v", i, err)
			}
		}
	}
	if n := f.losses.Load(); n != 0 {
		t.Fatalf("%d loss events for a restart that lost nothing", n)
	}
}

// An eviction (maxmemory-policy allkeys-random, a small maxmemory filled
// by another application's keys) is a loss.
func TestLossEviction(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--maxmemory", "4mb", "--maxmemory-policy", "allkeys-random")
	f := newFleet(t, []string{srv.addr()}, WithCheckInterval(100*time.Millisecond))
	bySub, byID, good := f.victims(t, "evicted")
	// Another application fills the memory.
	c := open(t, []string{srv.addr()})
	val := strings.Repeat("x", 4096)
	for i := 0; srv.info("stats", "evicted_keys") == "0"; i++ {
		c.client.Do(context.Background(), c.client.B().Set().Key(fmt.Sprintf("other:%d", i)).Value(val).Build())
		if i > 100000 {
			t.Fatal("nothing evicted")
		}
	}
	at := time.Now() // the first eviction seen
	deadline := time.Now().Add(5 * time.Second)
	for i, a := range f.auths {
		for {
			_, err := a.Verify(context.Background(), good, nil)
			if errors.Is(err, jwtrot.ErrRevocationsLost) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance %d: no loss noticed after an eviction: %v", i, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	took := f.recovered(t, at, 5*time.Second)
	f.afterLoss(t, bySub, byID, good, at.Add(-time.Second))
	t.Logf("eviction noticed by every instance; a new login accepted by all %v after the first eviction was seen (check interval 100 ms)", took.Round(time.Millisecond))
}

// WithLossPolicy(AcceptAfterLoss): the loss is reported, the token issued
// before it accepted.
func TestLossPolicyAccept(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	f := newFleet(t, []string{srv.addr()}, WithLossPolicy(jwtrot.AcceptAfterLoss))
	_, _, good := f.victims(t, "accept")
	if reply, err := srv.command("FLUSHALL"); err != nil || reply != "+OK" {
		t.Fatalf("FLUSHALL: %q, %v", reply, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.losses.Load() < fleetSize {
		for _, a := range f.auths {
			if _, err := a.Verify(context.Background(), good, nil); err != nil {
				t.Fatalf("accept policy: %v", err)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d loss events", f.losses.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The same-second case on a fleet (the conformance suite has it on three
// instances): sign, log out, verify everywhere (refused); sign again,
// verify everywhere (accepted); a hundred times.
func TestSameSecondFleet(t *testing.T) {
	t.Parallel()
	for _, topo := range topologies {
		t.Run(topo.name, func(t *testing.T) {
			t.Parallel()
			f := newFleet(t, addrsOf(topo.start(t)))
			ctx := context.Background()
			const rounds = 100
			sameSecond := 0
			for i := range rounds {
				sub := fmt.Sprintf("same-%d", i)
				old, _ := f.auths[i%fleetSize].Sign(jwt.RegisteredClaims{Subject: sub})
				at := time.Now()
				if err := f.revs[(i+1)%fleetSize].RevokeSubject(ctx, sub, at); err != nil {
					t.Fatal(err)
				}
				for j, a := range f.auths {
					deadline := time.Now().Add(time.Second)
					for {
						_, err := a.Verify(ctx, old, nil)
						if errors.Is(err, jwtrot.ErrRevoked) {
							break
						}
						if time.Now().After(deadline) {
							t.Fatalf("round %d: instance %d: the token signed before the log-out: %v", i, j, err)
						}
						time.Sleep(100 * time.Microsecond)
					}
				}
				fresh, _ := f.auths[(i+2)%fleetSize].Sign(jwt.RegisteredClaims{Subject: sub})
				var rc jwt.RegisteredClaims
				jwt.NewParser().ParseUnverified(fresh, &rc)
				if rc.IssuedAt.Unix() == at.Unix() {
					sameSecond++
				}
				for j, a := range f.auths {
					if _, err := a.Verify(ctx, fresh, nil); err != nil {
						t.Fatalf("round %d: instance %d: the token signed after the log-out: %v", i, j, err)
					}
				}
			}
			t.Logf("%d rounds, %d with the new token in the log-out's second", rounds, sameSecond)
			if sameSecond < rounds/2 {
				t.Fatalf("only %d of %d rounds within one second: the test did not test the same second", sameSecond, rounds)
			}
		})
	}
}

// startReplicatedCluster starts three primaries with a replica each.
func startReplicatedCluster(t testing.TB) []*server {
	t.Helper()
	requireTool(t, "redis-cli")
	nodes := make([]*server, 6)
	addrs := make([]string, 6)
	for i := range nodes {
		nodes[i] = startServer(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000")
		addrs[i] = nodes[i].addr()
	}
	out, err := exec.Command("redis-cli", append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "1", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range nodes {
		for !clusterOK(n) || (n.info("replication", "role") == "slave" && n.info("replication", "master_link_status") != "up") {
			if time.Now().After(deadline) {
				t.Fatalf("the cluster did not become ready")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nodes
}

// primaryOf returns the primary serving key's slot and its replica.
func primaryOf(t *testing.T, nodes []*server, key string) (primary, replica *server) {
	t.Helper()
	slot, err := nodes[0].command("CLUSTER", "KEYSLOT", key)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.info("replication", "role") != "master" {
			continue
		}
		// A primary answers a key of its own slots, others redirect.
		if reply, _ := n.command("EXISTS", key); !strings.HasPrefix(reply, "-MOVED") {
			primary = n
		}
	}
	if primary == nil {
		t.Fatalf("no primary for slot %s", slot)
	}
	for _, n := range nodes {
		if n.info("replication", "role") == "slave" && n.info("replication", "master_port") == fmt.Sprint(primary.port) {
			replica = n
		}
	}
	if replica == nil {
		t.Fatalf("no replica of %s", primary.addr())
	}
	return primary, replica
}

// A Redis Cluster primary is killed while its replica lags (stopped, so
// that the revocations never reach it), and the replica takes over: the
// revocations are truly lost. Four instances under load: no revoked token
// is accepted; tokens issued after the failover are.
func TestLossFailoverStaleReplica(t *testing.T) {
	t.Parallel()
	nodes := startReplicatedCluster(t)
	f := newFleet(t, addrsOf(nodes))
	const subject = "failover"
	primary, replica := primaryOf(t, nodes, f.revs[0].key(kindSubject, subject))
	// The replica stops receiving: it will lack the revocations. Stopped,
	// it cannot reconnect once the primary drops its link.
	replica.cmd.Process.Signal(syscall.SIGSTOP)
	t.Cleanup(func() {
		if replica.cmd != nil {
			replica.cmd.Process.Signal(syscall.SIGCONT)
		}
	})
	if _, err := primary.command("CLIENT", "KILL", "TYPE", "replica"); err != nil {
		t.Fatal(err)
	}
	bySub, _, good := f.victims(t, subject)
	stop := make(chan struct{})
	wait := f.hammer([]string{bySub}, stop)
	time.Sleep(50 * time.Millisecond)
	loss := time.Now()
	primary.kill()
	replica.cmd.Process.Signal(syscall.SIGCONT)
	// The replica is promoted once the others see the primary fail (the
	// node timeout, 1 s) and vote; force it so the test does not wait on
	// the election's random delay.
	deadline := time.Now().Add(15 * time.Second)
	for replica.info("replication", "role") != "master" {
		replica.command("CLUSTER", "FAILOVER", "FORCE")
		if time.Now().After(deadline) {
			t.Fatal("the replica was not promoted")
		}
		time.Sleep(200 * time.Millisecond)
	}
	promoted := time.Since(loss)
	// The revocation is gone from the new primary.
	if n, _ := replica.command("EXISTS", f.revs[0].key(kindSubject, subject)); n != ":0" {
		t.Fatalf("the promoted replica has the revocation (%s): nothing was lost", n)
	}
	took := f.recovered(t, loss, 20*time.Second)
	time.Sleep(100 * time.Millisecond)
	close(stop)
	accepted, codes := wait()
	for i, a := range f.auths {
		// The instance that revoked bySub still knows it: revoked or lost,
		// either refuses. good was never revoked: only the loss refuses it.
		if _, err := a.Verify(context.Background(), bySub, nil); !errors.Is(err, jwtrot.ErrRevocationsLost) && !errors.Is(err, jwtrot.ErrRevoked) {
			t.Fatalf("instance %d: the revoked token issued before the failover: %v, want ErrRevocationsLost or ErrRevoked", i, err)
		}
		if _, err := a.Verify(context.Background(), good, nil); !errors.Is(err, jwtrot.ErrRevocationsLost) {
			t.Fatalf("instance %d: a token issued before the failover: %v, want ErrRevocationsLost", i, err)
		}
	}
	t.Logf("%d instances: replica promoted %v after the kill; revoked token accepted %d times (refusals %v); a new login accepted by all %v after the kill; %d loss events", fleetSize, promoted.Round(time.Millisecond), accepted, codes, took.Round(time.Millisecond), f.losses.Load())
	if accepted != 0 {
		t.Fatalf("the revoked token was accepted %d times across the failover", accepted)
	}
}

// With WithWaitReplicas, a revocation the replica did not acknowledge is
// an error the caller retries; one it did survives a failover, which is
// then no loss.
func TestWaitReplicas(t *testing.T) {
	t.Parallel()
	nodes := startReplicatedCluster(t)
	f := newFleet(t, addrsOf(nodes), WithWaitReplicas(1, 300*time.Millisecond))
	for i, r := range f.revs {
		for _, w := range r.Warnings() {
			if strings.Contains(w, "replicas") {
				t.Fatalf("instance %d: a warning with a replica per primary and WAIT 1: %q", i, w)
			}
		}
	}
	const subject = "durable"
	primary, replica := primaryOf(t, nodes, f.revs[0].key(kindSubject, subject))
	ctx := context.Background()

	replica.cmd.Process.Signal(syscall.SIGSTOP)
	err := f.revs[0].RevokeSubject(ctx, subject, time.Now())
	replica.cmd.Process.Signal(syscall.SIGCONT)
	if !errors.Is(err, ErrNotDurable) {
		t.Fatalf("a revocation no replica acknowledged: %v, want ErrNotDurable", err)
	}
	// The caller retries; now it is acknowledged.
	old, _ := f.auths[0].Sign(jwt.RegisteredClaims{Subject: subject})
	var rc jwt.RegisteredClaims
	jwt.NewParser().ParseUnverified(old, &rc)
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := f.revs[0].RevokeSubject(ctx, subject, time.Now())
		if err == nil {
			break
		}
		if !errors.Is(err, ErrNotDurable) || time.Now().After(deadline) {
			t.Fatalf("retrying the revocation: %v", err)
		}
	}
	good, _ := f.auths[0].Sign(jwt.RegisteredClaims{Subject: "bystander"})
	for _, a := range f.auths {
		a.Verify(ctx, good, nil)
	}
	primary.kill()
	deadline = time.Now().Add(15 * time.Second)
	for replica.info("replication", "role") != "master" {
		replica.command("CLUSTER", "FAILOVER", "FORCE")
		if time.Now().After(deadline) {
			t.Fatal("the replica was not promoted")
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i, a := range f.auths {
		for {
			_, err := a.Verify(ctx, good, nil)
			if err == nil {
				break
			}
			if !errors.Is(err, jwtrot.ErrRevocationCheck) || time.Now().After(deadline) {
				t.Fatalf("instance %d: a token after a failover that lost nothing: %v", i, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := a.Verify(ctx, old, nil); !errors.Is(err, jwtrot.ErrRevoked) {
			t.Fatalf("instance %d: the acknowledged revocation after the failover: %v", i, err)
		}
	}
	if n := f.losses.Load(); n != 0 {
		t.Fatalf("%d loss events for a failover with every revocation acknowledged", n)
	}
}
