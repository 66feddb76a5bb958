package jwtrot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jwtrot/jwtrot/rotation"
)

// A RevocationList is an in-memory [Revoker] for one process: a per-subject
// "not before" (log out everywhere, password changed) and a per-token
// deny-list by jti. It is also a [UseCounter], counting the uses of N-use
// tokens by jti. Entries expire with the tokens they cover, so memory is
// bounded by the revocations and N-use tokens of the last maximum age.
// Instances do not share it: a fleet needs a shared store behind the same
// interfaces, such as package github.com/jwtrot/jwtrot/extra/jwtrotredis,
// whose writes have the same signatures.
//
// A subject's revocation is exact to the nanosecond (SPEC §12.2): tokens
// issued before the instant are refused, tokens issued at or after it are
// accepted, also within the same second, when jwtrot signed them; a token
// whose jti carries no issue instant counts from the start of its iat's
// second, so one issued in the revocation's own second is refused.
//
// A RevocationList is safe for concurrent use.
type RevocationList struct {
	clock  rotation.Clock
	maxAge time.Duration
	policy LossPolicy
	onLoss func(RevocationLoss)

	mu       sync.RWMutex
	subjects map[string]subjectEntry
	ids      map[string]time.Time // jti → when the entry may go (the token's exp)
	uses     map[string]useEntry  // jti → uses consumed
	swept    int                  // len(uses) after the last sweep
	lostAt   int64                // Unix ns of the last recorded loss; 0: none
}

// SetMaxAge implements [MaxAgeSetter]: it keeps the longest maximum age it
// is given.
func (l *RevocationList) SetMaxAge(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maxAge = max(l.maxAge, d)
}

// lostTill is the end of the last loss's effect: its instant plus the
// maximum age, the zero Time (for ever) while the list does not know it.
func (l *RevocationList) lostTill() time.Time {
	if l.maxAge <= 0 {
		return time.Time{}
	}
	return time.Unix(0, l.lostAt).Add(l.maxAge)
}

type useEntry struct {
	n     int
	until time.Time // the token's exp
}

type subjectEntry struct {
	notBefore int64 // Unix nanoseconds: tokens issued earlier are revoked
}

var (
	_ Revoker      = (*RevocationList)(nil)
	_ UseCounter   = (*RevocationList)(nil)
	_ MaxAgeSetter = (*RevocationList)(nil)
)

// A MaxAgeSetter is a [Revoker] or [UseCounter] whose entries must live as
// long as the tokens they cover. An [Authority] or a [Verifier] given one
// ([WithRevoker]) tells it the maximum age of its tokens, the one setting
// that both must agree on, as soon as it knows it: at [New], or when a
// Verifier becomes ready with the maximum age its issuer publishes. A store
// that serves several keeps the longest.
type MaxAgeSetter interface {
	SetMaxAge(d time.Duration)
}

// A ListOption configures a [RevocationList].
type ListOption func(*RevocationList)

// ListLossPolicy sets what the list does, after [RevocationList.Forget],
// with tokens issued before the loss (default [RefuseAfterLoss]).
func ListLossPolicy(p LossPolicy) ListOption { return func(l *RevocationList) { l.policy = p } }

// ListOnLoss sets a function called with each recorded loss, for a log line
// and a metric. It must be quick.
func ListOnLoss(f func(RevocationLoss)) ListOption {
	return func(l *RevocationList) { l.onLoss = f }
}

// ListMaxAge sets the maximum age of the tokens the list covers, for a list
// used without an [Authority] (which tells it its own: [MaxAgeSetter]).
func ListMaxAge(d time.Duration) ListOption { return func(l *RevocationList) { l.SetMaxAge(d) } }

// NewRevocationList returns an empty list telling the time by clock. The
// Authority it is given to ([WithRevoker]) tells it the maximum age of its
// tokens: a subject's revocation is kept that long. It panics on an unknown
// loss policy, a programming error.
func NewRevocationList(clock rotation.Clock, opts ...ListOption) *RevocationList {
	l := &RevocationList{clock: clock, subjects: map[string]subjectEntry{}, ids: map[string]time.Time{}, uses: map[string]useEntry{}}
	for _, o := range opts {
		o(l)
	}
	if !l.policy.Valid() {
		panic(fmt.Sprintf("jwtrot: NewRevocationList: unknown loss policy %d: use RefuseAfterLoss or AcceptAfterLoss", int(l.policy)))
	}
	return l
}

// RevokeSubject revokes every token of subject issued before notBefore, to
// the nanosecond (SPEC §12.2): a token jwtrot signed after it, even in the
// same second, stays valid, so a user who logs out everywhere and logs in
// again at once keeps the new session, and the token that prompted the
// log-out does not. An older instant never lowers a later one. The entry is
// kept for the maximum age after notBefore, when every token it covers has
// expired (until the list learns it, for ever). It never fails: the error is for the signature shared with
// other stores.
func (l *RevocationList) RevokeSubject(_ context.Context, subject string, notBefore time.Time) error {
	if subject == "" {
		return errors.New("jwtrot: RevokeSubject with an empty subject")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	nb := notBefore.UnixNano()
	if old, ok := l.subjects[subject]; ok && old.notBefore >= nb {
		return nil
	}
	l.subjects[subject] = subjectEntry{notBefore: nb}
	l.sweep()
	return nil
}

// RevokeID revokes the token whose jti is id until expires, its exp. It
// never fails but for an empty id.
func (l *RevocationList) RevokeID(_ context.Context, id string, expires time.Time) error {
	if id == "" {
		return errors.New("jwtrot: RevokeID with an empty jti")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids[id] = expires
	l.sweep()
	return nil
}

// Forget drops every revocation and use count, as a restart of the process
// does, and records the loss at the instant at (SPEC §12.3): until at plus
// the maximum age, a token issued before at and not revoked is refused with
// [ErrRevocationsLost] (or, with [AcceptAfterLoss], accepted), and tokens
// issued at or after it are judged as usual; a token with neither sub nor
// jti, which no revocation can name, is not concerned. It is what a process that
// replaces a list it lost (a restart, a restore from an old snapshot)
// calls to fail safe, and what the conformance suite
// (package [github.com/jwtrot/jwtrot/jwtrot/revokertest]) uses to hold every
// store to the same semantics.
func (l *RevocationList) Forget(at time.Time) {
	l.mu.Lock()
	clear(l.subjects)
	clear(l.ids)
	clear(l.uses)
	l.swept = 0
	if ns := at.UnixNano(); ns > l.lostAt {
		l.lostAt = ns
	}
	ev := RevocationLoss{Store: "memory", Cause: "reset", At: time.Unix(0, l.lostAt), Until: l.lostTill(), Policy: l.policy}
	l.mu.Unlock()
	if l.onLoss != nil {
		l.onLoss(ev)
	}
}

// Revoked implements [Revoker].
func (l *RevocationList) Revoked(_ context.Context, t TokenInfo) (bool, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var notBefore time.Time
	if e, ok := l.subjects[t.Subject]; ok {
		notBefore = time.Unix(0, e.notBefore)
	}
	if _, ok := l.ids[t.ID]; t.RevokedBy(notBefore, ok) {
		return true, nil
	}
	if l.lostAt != 0 && l.policy == RefuseAfterLoss && (t.Subject != "" || t.ID != "") && t.IssuedAt.UnixNano() < l.lostAt && (l.maxAge <= 0 || l.clock.Now().Before(l.lostTill())) {
		return false, ErrRevocationsLost
	}
	return false, nil
}

// ConsumeUse implements [UseCounter]: it counts one use of the token t.ID
// and reports whether at most t.MaxUses have been counted. The count is
// kept until t.Expires. It counts in this process only: in a fleet where
// every instance has its own list, an N-use token is accepted N times by
// each instance.
func (l *RevocationList) ConsumeUse(_ context.Context, t TokenInfo) (bool, error) {
	if t.ID == "" || t.MaxUses < 1 {
		return false, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.uses[t.ID]
	if e.n >= t.MaxUses {
		return false, nil
	}
	l.uses[t.ID] = useEntry{n: e.n + 1, until: t.Expires}
	// N-use tokens may be verified often: sweep when the map has doubled,
	// so the cost per use stays constant.
	if len(l.uses) > 2*l.swept+64 {
		l.sweepUses(l.clock.Now())
	}
	return true, nil
}

// Len returns the number of entries held.
func (l *RevocationList) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.subjects) + len(l.ids) + len(l.uses)
}

// sweep drops the entries whose tokens have all expired. Revocations are
// rare, so a sweep on every write costs little and bounds the memory.
func (l *RevocationList) sweep() {
	now := l.clock.Now()
	for k, e := range l.subjects {
		if l.maxAge > 0 && !now.Before(time.Unix(0, e.notBefore).Add(l.maxAge)) {
			delete(l.subjects, k)
		}
	}
	for k, until := range l.ids {
		if !now.Before(until) {
			delete(l.ids, k)
		}
	}
	l.sweepUses(now)
}

func (l *RevocationList) sweepUses(now time.Time) {
	for k, e := range l.uses {
		if !now.Before(e.until) {
			delete(l.uses, k)
		}
	}
	l.swept = len(l.uses)
}
