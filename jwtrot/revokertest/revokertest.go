package revokertest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// A Store is a [jwtrot.Revoker] with the writes the suite makes through
// it. It may also be a [jwtrot.UseCounter]; the suite then checks that too.
type Store interface {
	jwtrot.Revoker
	// RevokeSubject revokes every token of subject whose issue instant
	// (TokenInfo.IssuedAt) is before notBefore, compared to the nanosecond
	// (SPEC §12.2). It never lowers a later instant already recorded.
	RevokeSubject(ctx context.Context, subject string, notBefore time.Time) error
	// RevokeID revokes the token whose jti is id until expires, its exp.
	RevokeID(ctx context.Context, id string, expires time.Time) error
}

// Config describes the implementation under test.
type Config struct {
	// New returns a store over fresh state: nothing revoked, no use
	// counted. Required. It may skip or fail t; it should release what it
	// opens with t.Cleanup.
	New func(t *testing.T) Store
	// Peer, if set, returns another instance over the same state as s, as
	// another process would open it (its own client, its own cache). The
	// suite then checks that writes through one instance are seen by the
	// others, and races N-use tokens across instances.
	Peer func(t *testing.T, s Store) Store
	// Propagation is how long a write may take to be seen by the other
	// instances: the trip of a cache invalidation. 0 means at once. The
	// instance that made a write sees it as soon as the write returns.
	Propagation time.Duration
	// Lose, if set, makes the state behind s lose every revocation and
	// use count, as a restart without persistence or a flush would. The
	// suite then checks loss detection (SPEC §12.3): no instance accepts a
	// revoked token, even once; within Propagation every instance refuses
	// every token issued before the loss (jwtrot.ErrRevocationsLost, or
	// ErrRevoked); tokens issued after that are accepted. The stores
	// must use the default policy, [jwtrot.RefuseAfterLoss].
	Lose func(t *testing.T, s Store)
}

// Test checks that the stores cfg makes behave as jwtrot expects of a
// [jwtrot.Revoker] and, if they are one, of a [jwtrot.UseCounter]. It
// runs its checks as subtests of t; every subject and jti it uses is
// random, so a store may be shared with other tests.
func Test(t *testing.T, cfg Config) {
	if cfg.New == nil {
		t.Fatal("revokertest: Config.New is required")
	}
	s := &suite{cfg: cfg}
	t.Run("NothingRevoked", s.nothingRevoked)
	t.Run("RevokeID", s.revokeID)
	t.Run("RevokeSubject", s.revokeSubject)
	t.Run("SubjectNotBeforeIsMonotonic", s.monotonic)
	t.Run("SameSecond", s.sameSecond)
	t.Run("ReadYourWrites", s.readYourWrites)
	t.Run("NamesDoNotCollide", s.namesDoNotCollide)
	t.Run("ConcurrentReadsAndWrites", s.concurrent)
	t.Run("Authority", s.authority)
	t.Run("UseCounter", s.useCounter)
	t.Run("UseCounterRace", s.useCounterRace)
	t.Run("AuthorityUses", s.authorityUses)
	t.Run("Loss", s.loss)
}

type suite struct{ cfg Config }

// instances returns a fresh store and, if the implementation has peers,
// two more over the same state.
func (s *suite) instances(t *testing.T) []Store {
	t.Helper()
	st := s.cfg.New(t)
	out := []Store{st}
	if s.cfg.Peer != nil {
		out = append(out, s.cfg.Peer(t, st), s.cfg.Peer(t, st))
	}
	return out
}

// random returns a fresh name, never seen by the store.
func random(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// info returns the TokenInfo of a token of subject issued at iat (to the
// nanosecond: truncate it for a token with no sub-second issue instant).
func info(subject, id string, iat time.Time) jwtrot.TokenInfo {
	return jwtrot.TokenInfo{Subject: subject, ID: id, IssuedAt: iat, Expires: iat.Add(time.Hour)}
}

// expect checks that every store answers want for ti, waiting at most the
// propagation time (plus a margin for a loaded machine) for them to agree.
func (s *suite) expect(t *testing.T, stores []Store, ti jwtrot.TokenInfo, want bool, what string) {
	t.Helper()
	deadline := time.Now().Add(s.cfg.Propagation + s.cfg.Propagation/2 + 50*time.Millisecond)
	for i, st := range stores {
		for {
			got, err := st.Revoked(ctx(t), ti)
			if err != nil {
				t.Fatalf("%s: instance %d: Revoked: %v", what, i, err)
			}
			if got == want {
				break
			}
			if s.cfg.Propagation == 0 || time.Now().After(deadline) {
				t.Fatalf("%s: instance %d: Revoked = %v, want %v (waited %v)", what, i, got, want, s.cfg.Propagation)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// readYourWrites checks that the instance that revoked sees it as soon as
// the write returns, its cache warm with the answer before, many times
// over: a cache that waits for its own invalidation refuses late now and
// then, the log-out whose next request is still accepted.
func (s *suite) readYourWrites(t *testing.T) {
	st := s.cfg.New(t)
	now := time.Now()
	const rounds = 200
	late := 0
	for i := range rounds {
		tok := info(random("sub-"), random("jti-"), now)
		if got, err := st.Revoked(ctx(t), tok); err != nil || got {
			t.Fatalf("before the write: Revoked = %v, %v; want false, nil", got, err)
		}
		var err error
		if i%2 == 0 {
			err = st.RevokeID(ctx(t), tok.ID, tok.Expires)
		} else {
			err = st.RevokeSubject(ctx(t), tok.Subject, now.Add(time.Nanosecond))
		}
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		got, err := st.Revoked(ctx(t), tok)
		if err != nil {
			t.Fatalf("right after the write: Revoked: %v", err)
		}
		if !got {
			late++
		}
	}
	if late > 0 {
		t.Fatalf("%d of %d revocations were not seen by the instance that made them right after the write returned", late, rounds)
	}
}

// settle waits out the propagation time, for checks that something
// stays as it is.
func (s *suite) settle() { time.Sleep(s.cfg.Propagation + s.cfg.Propagation/2) }

func (s *suite) nothingRevoked(t *testing.T) {
	stores := s.instances(t)
	now := time.Now()
	for _, ti := range []jwtrot.TokenInfo{
		info(random("sub-"), random("jti-"), now),
		info("", random("jti-"), now),
		info(random("sub-"), "", now),
		info("", "", now),
	} {
		s.expect(t, stores, ti, false, "a fresh store")
	}
}

func (s *suite) revokeID(t *testing.T) {
	stores := s.instances(t)
	now := time.Now()
	sub, id := random("sub-"), random("jti-")
	tok := info(sub, id, now)
	s.expect(t, stores, tok, false, "before RevokeID") // warms any cache
	if err := stores[0].RevokeID(ctx(t), id, tok.Expires); err != nil {
		t.Fatalf("RevokeID: %v", err)
	}
	s.expect(t, stores, tok, true, "the revoked jti")
	s.expect(t, stores, info("", id, now.Add(-time.Minute)), true, "the revoked jti without a subject")
	s.expect(t, stores, info(sub, random("jti-"), now), false, "another jti of the same subject")
	s.expect(t, stores, info(sub, "", now), false, "a token of the same subject without jti")
}

func (s *suite) revokeSubject(t *testing.T) {
	stores := s.instances(t)
	sub := random("sub-")
	// An instant with a sub-second part, 0.3 s into its second.
	sec := time.Now().Truncate(time.Second)
	nb := sec.Add(300*time.Millisecond + 123)
	before, at, after := info(sub, random("jti-"), nb.Add(-time.Nanosecond)), info(sub, random("jti-"), nb), info(sub, random("jti-"), nb.Add(time.Nanosecond))
	whole, next := info(sub, random("jti-"), sec), info(sub, random("jti-"), sec.Add(time.Second))
	for _, ti := range []jwtrot.TokenInfo{before, at, after, whole, next} {
		s.expect(t, stores, ti, false, "before RevokeSubject")
	}
	if err := stores[0].RevokeSubject(ctx(t), sub, nb); err != nil {
		t.Fatalf("RevokeSubject: %v", err)
	}
	s.expect(t, stores, before, true, "a token issued a nanosecond before")
	s.expect(t, stores, info(sub, "", nb.Add(-30*time.Minute)), true, "an older token without jti")
	s.expect(t, stores, at, false, "a token issued at the instant")
	s.expect(t, stores, after, false, "a token issued a nanosecond after")
	// A whole-second issue instant counts from the start of its second:
	// in the revocation's own second it is refused (SPEC §12.2).
	s.expect(t, stores, whole, true, "a whole-second token of the revocation's second")
	s.expect(t, stores, next, false, "a whole-second token of the next second")
	s.expect(t, stores, info(random("sub-"), random("jti-"), nb.Add(-time.Second)), false, "another subject's token")
	s.expect(t, stores, info("", random("jti-"), nb.Add(-time.Second)), false, "a token without subject")

	// A revocation on a whole second refuses nothing of that second.
	sub2 := random("sub-")
	if err := stores[0].RevokeSubject(ctx(t), sub2, sec); err != nil {
		t.Fatalf("RevokeSubject: %v", err)
	}
	s.expect(t, stores, info(sub2, "", sec.Add(-time.Nanosecond)), true, "a token issued a nanosecond before a whole second")
	s.expect(t, stores, info(sub2, "", sec), false, "a whole-second token of a whole-second revocation")
}

func (s *suite) monotonic(t *testing.T) {
	stores := s.instances(t)
	sub := random("sub-")
	t2 := time.Now()
	t1 := t2.Add(-10 * time.Second)
	between := info(sub, random("jti-"), t2.Add(-5*time.Second))
	if err := stores[0].RevokeSubject(ctx(t), sub, t1); err != nil {
		t.Fatalf("RevokeSubject: %v", err)
	}
	s.expect(t, stores, between, false, "a token issued after the first instant")
	if err := stores[len(stores)-1].RevokeSubject(ctx(t), sub, t2); err != nil {
		t.Fatalf("RevokeSubject: %v", err)
	}
	s.expect(t, stores, between, true, "a token issued before the raised instant")
	// An older instant, written through any instance, lowers nothing.
	for _, st := range stores {
		if err := st.RevokeSubject(ctx(t), sub, t1); err != nil {
			t.Fatalf("RevokeSubject: %v", err)
		}
	}
	s.settle()
	s.expect(t, stores, between, true, "after an older instant was written")
	s.expect(t, stores, info(sub, "", t2), false, "a token issued at the raised instant")
	// Instants a nanosecond apart are told apart.
	if err := stores[0].RevokeSubject(ctx(t), sub, t2.Add(time.Nanosecond)); err != nil {
		t.Fatalf("RevokeSubject: %v", err)
	}
	s.expect(t, stores, info(sub, "", t2), true, "a token issued a nanosecond before the raised instant")
	s.expect(t, stores, info(sub, "", t2.Add(time.Nanosecond)), false, "a token issued at it")
}

// sameSecond: through Authorities, sign, log out everywhere at once,
// verify (refused); sign again, verify (accepted); over and over, each
// round within one second.
func (s *suite) sameSecond(t *testing.T) {
	stores := s.instances(t)
	auths := authorities(t, stores)
	const rounds = 20
	for i := range rounds {
		sub := random("sub-")
		old, err := auths[i%len(auths)].Sign(jwt.RegisteredClaims{Subject: sub})
		if err != nil {
			t.Fatal(err)
		}
		if err := stores[(i+1)%len(stores)].RevokeSubject(ctx(t), sub, time.Now()); err != nil {
			t.Fatal(err)
		}
		s.expectRefused(t, auths, old, jwtrot.ErrRevoked)
		fresh, err := auths[(i+2)%len(auths)].Sign(jwt.RegisteredClaims{Subject: sub})
		if err != nil {
			t.Fatal(err)
		}
		for j, a := range auths {
			if _, err := a.Verify(ctx(t), fresh, nil); err != nil {
				t.Fatalf("round %d: instance %d: a token signed after the log-out: %v", i, j, err)
			}
		}
	}
}

// loss: the state behind the stores is lost; revoked tokens are never
// accepted, every token issued before the loss is refused everywhere
// within the propagation time, and tokens issued after that are accepted.
func (s *suite) loss(t *testing.T) {
	if s.cfg.Lose == nil {
		t.Skip("Config.Lose is not set")
	}
	stores := s.instances(t)
	auths := authorities(t, stores)
	sub, victim := random("sub-"), random("sub-")
	good, _ := auths[0].Sign(jwt.RegisteredClaims{Subject: sub})
	byID, _ := auths[0].Sign(jwt.RegisteredClaims{Subject: sub})
	bySub, _ := auths[0].Sign(jwt.RegisteredClaims{Subject: victim})
	var rc jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(byID, &rc); err != nil {
		t.Fatal(err)
	}
	if err := stores[0].RevokeID(ctx(t), rc.ID, rc.ExpiresAt.Time); err != nil {
		t.Fatal(err)
	}
	if err := stores[0].RevokeSubject(ctx(t), victim, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.expectRefused(t, auths, byID, jwtrot.ErrRevoked)
	s.expectRefused(t, auths, bySub, jwtrot.ErrRevoked)
	for _, a := range auths {
		if _, err := a.Verify(ctx(t), good, nil); err != nil {
			t.Fatalf("before the loss: %v", err)
		}
	}

	lost := time.Now()
	s.cfg.Lose(t, stores[0])
	// No instance ever accepts a revoked token; within the propagation
	// time (an answer cached before the loss is still true until the
	// store's notice arrives), every one refuses the tokens issued before.
	for _, tok := range []string{byID, bySub} {
		s.expectLost(t, auths, tok)
	}
	s.expectRefused(t, auths, good, jwtrot.ErrRevocationsLost)
	for _, tok := range []string{byID, bySub} {
		s.expectLost(t, auths, tok)
	}
	fresh, err := auths[1%len(auths)].Sign(jwt.RegisteredClaims{Subject: victim})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range auths {
		if _, err := a.Verify(ctx(t), fresh, nil); err != nil {
			t.Fatalf("instance %d: a token issued after the loss was noticed: %v", i, err)
		}
	}
	s.settle()
	for _, tok := range []string{good, byID, bySub} {
		s.expectLost(t, auths, tok)
	}
	// No revocation can name a token with neither sub nor jti: no lost
	// one covers it.
	s.expect(t, stores, info("", "", lost.Add(-time.Minute)), false, "a token with neither sub nor jti, issued before the loss")
}

// expectLost checks that every instance refuses tok as revoked or as
// possibly covered by a lost revocation, at once: accepting it even once
// after the loss is a failure.
func (s *suite) expectLost(t *testing.T, auths []*jwtrot.Authority, tok string) {
	t.Helper()
	for i, a := range auths {
		_, err := a.Verify(ctx(t), tok, nil)
		if !errors.Is(err, jwtrot.ErrRevocationsLost) && !errors.Is(err, jwtrot.ErrRevoked) {
			t.Fatalf("instance %d: a token issued before the loss: %v, want ErrRevocationsLost", i, err)
		}
	}
}

// namesDoNotCollide: subjects and jtis are separate name spaces, and odd
// names (separators, hash-tag braces, non-ASCII, long) are stored as they
// are.
func (s *suite) namesDoNotCollide(t *testing.T) {
	stores := s.instances(t)
	now := time.Now().Truncate(time.Second)
	base := random("n")
	names := []string{base, base + ":", base + ":x", "{" + base + "}", "{" + base + "}x", base + "é", base + "\x00", base + string(make([]byte, 600))}
	for i, name := range names {
		if err := stores[0].RevokeID(ctx(t), name, now.Add(time.Hour)); err != nil {
			t.Fatalf("RevokeID: %v", err)
		}
		s.expect(t, stores, info("", name, now), true, fmt.Sprintf("odd jti %d", i))
		for _, other := range names[i+1:] {
			s.expect(t, stores, info("", other, now), false, fmt.Sprintf("an odd jti not yet revoked, after %d", i))
		}
		s.expect(t, stores, info(name, random("jti-"), now.Add(-time.Minute)), false, fmt.Sprintf("the subject named like jti %d", i))
	}
	sub := random("s")
	if err := stores[0].RevokeSubject(ctx(t), sub, now); err != nil {
		t.Fatalf("RevokeSubject: %v", err)
	}
	s.expect(t, stores, info(sub, random("jti-"), now.Add(-time.Minute)), true, "the revoked subject")
	s.expect(t, stores, info("", sub, now.Add(-time.Minute)), false, "a jti named like the revoked subject")
}

func (s *suite) concurrent(t *testing.T) {
	stores := s.instances(t)
	now := time.Now().Truncate(time.Second)
	const n = 32
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	ids := make([]string, n)
	for i := range ids {
		ids[i] = random("jti-")
	}
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := stores[i%len(stores)].RevokeID(context.Background(), ids[i], now.Add(time.Hour)); err != nil {
				failed.Store(&err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := stores[(i+1)%len(stores)].Revoked(context.Background(), info(random("sub-"), ids[(i+7)%n], now)); err != nil {
				failed.Store(&err)
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		t.Fatalf("concurrent use: %v", *err)
	}
	for i := range n {
		s.expect(t, stores, info("", ids[i], now), true, "a jti revoked concurrently")
	}
}

// authority checks the store behind an Authority: revocations refuse
// tokens with ErrRevoked on every instance.
func (s *suite) authority(t *testing.T) {
	stores := s.instances(t)
	auths := authorities(t, stores)
	sub := random("sub-")
	tok, err := auths[0].Sign(jwt.RegisteredClaims{Subject: sub})
	if err != nil {
		t.Fatal(err)
	}
	var rc jwt.RegisteredClaims
	for i, a := range auths {
		if _, err := a.Verify(ctx(t), tok, &rc); err != nil {
			t.Fatalf("instance %d: before revocation: %v", i, err)
		}
	}
	if err := stores[len(stores)-1].RevokeID(ctx(t), rc.ID, rc.ExpiresAt.Time); err != nil {
		t.Fatal(err)
	}
	s.expectRefused(t, auths, tok, jwtrot.ErrRevoked)

	// Logging out everywhere refuses earlier tokens, not a new login.
	old, _ := auths[0].Sign(jwt.RegisteredClaims{Subject: sub, IssuedAt: jwt.NewNumericDate(time.Now().Add(-2 * time.Second))})
	if err := stores[0].RevokeSubject(ctx(t), sub, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.expectRefused(t, auths, old, jwtrot.ErrRevoked)
	fresh, _ := auths[1%len(auths)].Sign(jwt.RegisteredClaims{Subject: sub, IssuedAt: jwt.NewNumericDate(time.Now().Add(2 * time.Second))})
	for i, a := range auths {
		if _, err := a.Verify(ctx(t), fresh, nil); err != nil {
			t.Fatalf("instance %d: a token issued after the revocation: %v", i, err)
		}
	}
}

func (s *suite) expectRefused(t *testing.T, auths []*jwtrot.Authority, tok string, want error) {
	t.Helper()
	deadline := time.Now().Add(s.cfg.Propagation + s.cfg.Propagation/2 + 50*time.Millisecond)
	for i, a := range auths {
		for {
			_, err := a.Verify(ctx(t), tok, nil)
			if errors.Is(err, want) {
				break
			}
			if err != nil || s.cfg.Propagation == 0 || time.Now().After(deadline) {
				t.Fatalf("instance %d: Verify: %v, want %v", i, err, want)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// authorities returns an Authority on each store, all sharing one root.
func authorities(t *testing.T, stores []Store) []*jwtrot.Authority {
	t.Helper()
	var secret [32]byte
	rand.Read(secret[:])
	root, err := rotation.NewRoot("test", secret[:])
	if err != nil {
		t.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithSkew(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*jwtrot.Authority, len(stores))
	for i, st := range stores {
		if out[i], err = jwtrot.New(d, jwtrot.WithRevoker(st)); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// counters returns the stores as UseCounters, skipping t if they are not.
func counters(t *testing.T, stores []Store) []jwtrot.UseCounter {
	t.Helper()
	out := make([]jwtrot.UseCounter, len(stores))
	for i, st := range stores {
		u, ok := st.(jwtrot.UseCounter)
		if !ok {
			t.Skip("the store is not a jwtrot.UseCounter")
		}
		out[i] = u
	}
	return out
}

func (s *suite) useCounter(t *testing.T) {
	us := counters(t, s.instances(t))
	now := time.Now()
	for _, max := range []int{1, 2, 5} {
		ti := info(random("sub-"), random("jti-"), now)
		ti.MaxUses = max
		for i := range max + 3 {
			ok, err := us[i%len(us)].ConsumeUse(ctx(t), ti)
			if err != nil {
				t.Fatalf("ConsumeUse: %v", err)
			}
			if want := i < max; ok != want {
				t.Fatalf("N=%d: use %d: ConsumeUse = %v, want %v", max, i+1, ok, want)
			}
		}
	}
	// Counts are per jti, whatever the subject.
	a, b := info("x", random("jti-"), now), info("x", random("jti-"), now)
	a.MaxUses, b.MaxUses = 1, 1
	for _, ti := range []jwtrot.TokenInfo{a, b} {
		if ok, err := us[0].ConsumeUse(ctx(t), ti); !ok || err != nil {
			t.Fatalf("first use of a fresh jti: %v, %v", ok, err)
		}
	}
}

// useCounterRace: many goroutines on every instance race on one token; it
// is accepted exactly N times.
func (s *suite) useCounterRace(t *testing.T) {
	us := counters(t, s.instances(t))
	const trials, goroutines, max = 20, 16, 5
	for trial := range trials {
		ti := info(random("sub-"), random("jti-"), time.Now())
		ti.MaxUses = max
		var accepted atomic.Int32
		var failed atomic.Pointer[error]
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ok, err := us[g%len(us)].ConsumeUse(context.Background(), ti)
				if err != nil {
					failed.Store(&err)
				}
				if ok {
					accepted.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if err := failed.Load(); err != nil {
			t.Fatalf("ConsumeUse: %v", *err)
		}
		if n := accepted.Load(); n != max {
			t.Fatalf("trial %d: %d goroutines racing on a %d-use token: accepted %d times", trial, goroutines, max, n)
		}
	}
}

// authorityUses: through Authorities, an N-use token is accepted N times
// across the instances, and a token refused for another reason consumes
// no use.
func (s *suite) authorityUses(t *testing.T) {
	stores := s.instances(t)
	counters(t, stores)
	auths := authorities(t, stores)
	sub := random("sub-")
	tok, err := auths[0].Sign(jwt.MapClaims{"sub": sub, jwtrot.UsesClaim: 2})
	if err != nil {
		t.Fatal(err)
	}
	// A forged signature on the same payload is refused and uses nothing.
	forged := tok[:len(tok)-4] + "AAAA"
	if forged == tok {
		forged = tok[:len(tok)-4] + "BBBA"
	}
	for _, a := range auths {
		if _, err := a.Verify(ctx(t), forged, nil); !errors.Is(err, jwtrot.ErrBadSignature) {
			t.Fatalf("forged token: %v, want ErrBadSignature", err)
		}
	}
	for i := range 2 {
		if _, err := auths[i%len(auths)].Verify(ctx(t), tok, nil); err != nil {
			t.Fatalf("use %d of 2: %v", i+1, err)
		}
	}
	for i, a := range auths {
		if _, err := a.Verify(ctx(t), tok, nil); !errors.Is(err, jwtrot.ErrUsedUp) {
			t.Fatalf("instance %d: a third use: %v, want ErrUsedUp", i, err)
		}
	}

	// A revoked N-use token is refused as revoked and uses nothing.
	once, err := auths[0].Sign(jwt.MapClaims{"sub": sub, jwtrot.UsesClaim: 1})
	if err != nil {
		t.Fatal(err)
	}
	var rc jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(once, &rc); err != nil {
		t.Fatal(err)
	}
	if err := stores[0].RevokeSubject(ctx(t), sub, time.Now().Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	ti := info(sub, rc.ID, rc.IssuedAt.Time)
	// Wait until every instance has seen the revocation: before that, an
	// instance may rightly accept the token.
	s.expect(t, stores, ti, true, "a revoked N-use token")
	s.expectRefused(t, auths, once, jwtrot.ErrRevoked)
	ti.MaxUses = 1
	if ok, err := stores[0].(jwtrot.UseCounter).ConsumeUse(ctx(t), ti); !ok || err != nil {
		t.Fatalf("the one use of a token refused as revoked was consumed: %v, %v", ok, err)
	}
}
