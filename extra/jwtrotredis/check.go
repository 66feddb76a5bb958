package jwtrotredis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/redis/rueidis"
)

// errCorrupt reports an entry that is not what this package writes.
var errCorrupt = errors.New("jwtrotredis: an entry holds a value this package does not write")

// Revoked implements [jwtrot.Revoker]: the token is revoked if its jti is,
// or if its issue instant is before its subject's "not before" (to the
// nanosecond, SPEC §12.2). Warm, it answers from local memory; a miss reads
// both entries in one call (one round trip per cluster node holding them).
// A token issued before a loss of revocations the Revoker detected is
// refused with an error wrapping [jwtrot.ErrRevocationsLost] (see
// [WithLossPolicy]); when a check for a loss is pending (the connection
// ended, the server flushed), it waits for it. It fails after the timeout
// (see [WithTimeout]); an error refuses the token.
func (r *Revoker) Revoked(ctx context.Context, t jwtrot.TokenInfo) (bool, error) {
	if t.Subject == "" && t.ID == "" {
		return false, nil // no revocation could name it
	}
	for attempt := 0; ; attempt++ {
		if r.pending() {
			if err := r.settle(ctx); err != nil {
				if r.stale != nil {
					return r.staleAnswer(t)
				}
				return false, err
			}
		}
		now := time.Now().UnixNano()
		var sub, id entry
		okSub, okID := true, true
		if t.Subject != "" {
			sub, okSub = r.local.get(localKey{kindSubject, t.Subject}, now)
		}
		if t.ID != "" {
			id, okID = r.local.get(localKey{kindID, t.ID}, now)
		}
		if okSub && okID {
			return r.decide(sub, id, t)
		}
		want := r.loss.want.Load()
		sub, id, err := r.fetch(ctx, t)
		if err != nil {
			if r.stale != nil {
				return r.staleAnswer(t)
			}
			return false, err
		}
		// A connection that ended or a flush while the entries were read:
		// they may come from a store that lost revocations. Check, then
		// read again.
		if r.loss.want.Load() == want {
			return r.decide(sub, id, t)
		}
		if attempt == 1 {
			return false, errUnsettled
		}
	}
}

// errUnsettled refuses a check during which the store kept changing.
var errUnsettled = errors.New("jwtrotredis: the store changed during the check; try again")

// decide answers from the entries of t's subject and jti, then from the
// last loss detected.
func (r *Revoker) decide(sub, id entry, t jwtrot.TokenInfo) (bool, error) {
	revoked, err := answer(sub, id, t)
	if err != nil || revoked {
		return revoked, err
	}
	if r.own.revoked(t) {
		return true, nil
	}
	if r.lossIn(t.IssuedAt) {
		return false, jwtrot.ErrRevocationsLost
	}
	return false, nil
}

// fetch reads a token's entries from Redis and keeps them locally.
func (r *Revoker) fetch(ctx context.Context, t jwtrot.TokenInfo) (sub, id entry, err error) {
	var cmds [2]rueidis.CacheableTTL
	var keys [2]localKey
	n := 0
	if t.Subject != "" {
		keys[n] = localKey{kindSubject, t.Subject}
		n++
	}
	if t.ID != "" {
		keys[n] = localKey{kindID, t.ID}
		n++
	}
	for i, k := range keys[:n] {
		cmds[i] = rueidis.CT(r.client.B().Get().Key(r.key(k.kind, k.name)).Cache(), r.localTTL)
	}
	e0 := r.local.epoch.Load()
	var res []rueidis.RedisResult
	if err := r.within(ctx, func(ctx context.Context) { res = r.client.DoMultiCache(ctx, cmds[:n]...) }); err != nil {
		return entry{}, entry{}, err
	}
	var values [2]entry
	for i := range n {
		v, err := res[i].ToString()
		switch {
		case rueidis.IsRedisNil(err):
		case err != nil:
			return entry{}, entry{}, err
		default:
			values[i] = entry{set: true, value: v}
		}
	}
	now := time.Now().UnixNano()
	for i, k := range keys[:n] {
		r.local.put(k, values[i], e0, now)
	}
	if t.Subject == "" {
		return entry{}, values[0], nil
	}
	return values[0], values[1], nil
}

// legacySeconds: a "not before" below it was written in Unix seconds by an
// older version (10^12 seconds is year 33658; in nanoseconds, 1970).
const legacySeconds = 1e12

// An entry is what a key held: absent, or a value.
type entry struct {
	set   bool
	value string
}

// answer decides from the entries of t's subject and jti.
func answer(sub, id entry, t jwtrot.TokenInfo) (bool, error) {
	var notBefore time.Time
	if t.Subject != "" && sub.set {
		nb, err := strconv.ParseInt(sub.value, 10, 64)
		if err != nil || nb < 0 {
			return false, errCorrupt
		}
		if nb < legacySeconds {
			nb *= 1e9 // written by an older version, in seconds
		}
		notBefore = time.Unix(0, nb)
	}
	return t.RevokedBy(notBefore, id.set), nil
}

// within calls f with ctx limited to the timeout, and returns when f does
// or when that time is up, whichever comes first. rueidis honours the
// context on most paths but not all (a call that finds its connection
// being set up waits for the handshake, bounded only by ConnWriteTimeout),
// so the bound is kept here: f runs in a goroutine of its own, which ends
// when rueidis returns, at the latest ConnWriteTimeout later.
func (r *Revoker) within(ctx context.Context, f func(context.Context)) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(ctx)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RevokeSubject revokes every token of subject issued before notBefore, to
// the nanosecond (SPEC §12.2): a token jwtrot signs after it, even in the
// same second, stays valid, so a user who logs out everywhere and logs in
// again at once keeps the new session, and the token that prompted the
// log-out does not. It never lowers a later instant already recorded. The
// entry expires when every token it covers has: the maximum age after
// notBefore, plus [ClockMargin]; before the Revoker knows the maximum age
// (see [Revoker.SetMaxAge]) it fails. Once it returns, this Revoker refuses the
// tokens it covers; the other instances do as soon as Redis's invalidation
// reaches them. With [WithWaitReplicas] it returns nil only once the
// replicas acknowledged the write. It honours ctx,
// unbounded by the timeout.
func (r *Revoker) RevokeSubject(ctx context.Context, subject string, notBefore time.Time) error {
	if subject == "" {
		return errors.New("jwtrotredis: RevokeSubject with an empty subject")
	}
	maxAge := time.Duration(r.maxAge.Load())
	if maxAge <= 0 {
		return errNoMaxAge
	}
	key := r.key(kindSubject, subject)
	args := []string{itoa(notBefore.UnixNano()), itoa(notBefore.Add(maxAge + ClockMargin).Unix())}
	var err error
	if r.waitN == 0 {
		err = raiseNotBefore.Exec(ctx, r.client, []string{key}, args).Error()
	} else {
		err = r.durably(ctx, r.client.B().Eval().Script(raiseNotBeforeSource).Numkeys(1).Key(key).Arg(args...).Build())
	}
	r.wrote(localKey{kindSubject, subject}, args[0], err)
	return err
}

// wrote records a revocation this Revoker wrote, once Redis applied it
// (ErrNotDurable: applied on the primary), so that its own checks see it
// at once.
func (r *Revoker) wrote(k localKey, value string, err error) {
	if err == nil || errors.Is(err, ErrNotDurable) {
		r.own.add(k, entry{set: true, value: value}, time.Now().UnixNano())
	}
}

// RevokeID revokes the token whose jti is id. The entry expires at
// expires (the token's exp) plus [ClockMargin]. Once it returns, this
// Revoker refuses the token; the other instances do as soon as Redis's
// invalidation reaches them. With [WithWaitReplicas] it returns nil only
// once the replicas acknowledged the write. It honours
// ctx, unbounded by the timeout.
func (r *Revoker) RevokeID(ctx context.Context, id string, expires time.Time) error {
	if id == "" {
		return errors.New("jwtrotredis: RevokeID with an empty jti")
	}
	cmd := r.client.B().Set().Key(r.key(kindID, id)).Value("1").ExatTimestamp(expires.Add(ClockMargin).Unix()).Build()
	var err error
	if r.waitN == 0 {
		err = r.client.Do(ctx, cmd).Error()
	} else {
		err = r.durably(ctx, cmd)
	}
	r.wrote(localKey{kindID, id}, "1", err)
	return err
}

// durably runs a write and WAIT on one connection to the key's primary,
// and reports [ErrNotDurable] if fewer replicas than asked acknowledged.
func (r *Revoker) durably(ctx context.Context, write rueidis.Completed) error {
	return r.client.Dedicated(func(c rueidis.DedicatedClient) error {
		res := c.DoMulti(ctx, write, c.B().Wait().Numreplicas(int64(r.waitN)).Timeout(r.waitTimeout.Milliseconds()).Build())
		if err := res[0].Error(); err != nil {
			return err
		}
		n, err := res[1].AsInt64()
		if err != nil {
			return err
		}
		if n < int64(r.waitN) {
			return fmt.Errorf("%w (%d of %d within %v)", ErrNotDurable, n, r.waitN, r.waitTimeout)
		}
		return nil
	})
}

// ConsumeUse implements [jwtrot.UseCounter]: one round trip, a script
// that counts one use of t.ID if fewer than t.MaxUses were counted. The
// count expires with the token plus [ClockMargin]. It is bounded by the
// timeout and never served stale.
func (r *Revoker) ConsumeUse(ctx context.Context, t jwtrot.TokenInfo) (bool, error) {
	if t.ID == "" || t.MaxUses < 1 {
		return false, nil
	}
	until := t.Expires.Add(ClockMargin).Unix()
	var n int64
	var err error
	if werr := r.within(ctx, func(ctx context.Context) {
		n, err = consumeUse.Exec(ctx, r.client, []string{r.key(kindUses, t.ID)}, []string{itoa(int64(t.MaxUses)), itoa(until)}).AsInt64()
	}); werr != nil {
		return false, werr
	}
	if err != nil {
		return false, err
	}
	return n == 1, nil
}
