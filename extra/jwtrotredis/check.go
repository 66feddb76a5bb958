package jwtrotredis

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/redis/rueidis"
)

// errCorrupt reports an entry that is not what this package writes.
var errCorrupt = errors.New("jwtrotredis: an entry holds a value this package does not write")

// Revoked implements [jwtrot.Revoker]: the token is revoked if its jti is,
// or if its iat is before its subject's "not before". Warm, it answers from
// local memory; a miss reads both entries in one call (one round trip per
// cluster node holding them). It fails after the timeout (see
// [WithTimeout]); an error refuses the token.
func (r *Revoker) Revoked(ctx context.Context, t jwtrot.TokenInfo) (bool, error) {
	if t.Subject == "" && t.ID == "" {
		return false, nil
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
		return answer(sub, id, t)
	}
	return r.fetch(ctx, t)
}

// fetch reads a token's entries from Redis and keeps them locally.
func (r *Revoker) fetch(ctx context.Context, t jwtrot.TokenInfo) (bool, error) {
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
		if r.stale != nil {
			return r.staleAnswer(keys[:n], t)
		}
		return false, err
	}
	var values [2]entry
	for i := range n {
		v, err := res[i].ToString()
		switch {
		case rueidis.IsRedisNil(err):
		case err != nil:
			if r.stale != nil {
				return r.staleAnswer(keys[:n], t)
			}
			return false, err
		default:
			values[i] = entry{set: true, value: v}
		}
	}
	now := time.Now().UnixNano()
	for i, k := range keys[:n] {
		r.local.put(k, values[i], e0, now)
	}
	if t.Subject == "" {
		return answer(entry{}, values[0], t)
	}
	return answer(values[0], values[1], t)
}

// An entry is what a key held: absent, or a value.
type entry struct {
	set   bool
	value string
}

// answer decides from the entries of t's subject and jti.
func answer(sub, id entry, t jwtrot.TokenInfo) (bool, error) {
	if t.Subject != "" && sub.set {
		nb, err := strconv.ParseInt(sub.value, 10, 64)
		if err != nil {
			return false, errCorrupt
		}
		if t.IssuedAt.Unix() < nb {
			return true, nil
		}
	}
	return t.ID != "" && id.set, nil
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

// RevokeSubject revokes every token of subject issued before notBefore
// (whole seconds: a token issued in the same second stays valid, so a user
// who logs out everywhere and logs in again at once keeps the new
// session). It never lowers a later instant already recorded. The entry
// expires when every token it covers has: the maximum age after
// notBefore, plus [ClockMargin]. It honours ctx, unbounded by the timeout.
func (r *Revoker) RevokeSubject(ctx context.Context, subject string, notBefore time.Time) error {
	if subject == "" {
		return errors.New("jwtrotredis: RevokeSubject with an empty subject")
	}
	nb := notBefore.Unix()
	until := notBefore.Add(r.maxAge + ClockMargin).Unix()
	return raiseNotBefore.Exec(ctx, r.client, []string{r.key(kindSubject, subject)}, []string{itoa(nb), itoa(until)}).Error()
}

// RevokeID revokes the token whose jti is id. The entry expires at
// expires (the token's exp) plus [ClockMargin]. It honours ctx, unbounded
// by the timeout.
func (r *Revoker) RevokeID(ctx context.Context, id string, expires time.Time) error {
	if id == "" {
		return errors.New("jwtrotredis: RevokeID with an empty jti")
	}
	cmd := r.client.B().Set().Key(r.key(kindID, id)).Value("1").ExatTimestamp(expires.Add(ClockMargin).Unix()).Build()
	return r.client.Do(ctx, cmd).Error()
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
