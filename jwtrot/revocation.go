package jwtrot

import (
	"context"
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
// interfaces, such as package github.com/jwtrot/jwtrot/extra/jwtrotredis.
//
// A RevocationList is safe for concurrent use.
type RevocationList struct {
	clock  rotation.Clock
	maxAge time.Duration

	mu       sync.RWMutex
	subjects map[string]subjectEntry
	ids      map[string]time.Time // jti → when the entry may go (the token's exp)
	uses     map[string]useEntry  // jti → uses consumed
	swept    int                  // len(uses) after the last sweep
}

type useEntry struct {
	n     int
	until time.Time // the token's exp
}

type subjectEntry struct {
	notBefore int64     // Unix seconds: tokens issued earlier are revoked
	until     time.Time // when the entry may go
}

var (
	_ Revoker    = (*RevocationList)(nil)
	_ UseCounter = (*RevocationList)(nil)
)

// NewRevocationList returns an empty list for tokens that live at most
// maxAge (the Authority's maximum age), telling the time by clock.
func NewRevocationList(maxAge time.Duration, clock rotation.Clock) *RevocationList {
	return &RevocationList{clock: clock, maxAge: maxAge, subjects: map[string]subjectEntry{}, ids: map[string]time.Time{}, uses: map[string]useEntry{}}
}

// RevokeSubject revokes every token of subject issued before notBefore. A
// token's iat counts in whole seconds, so tokens issued in the same second as
// notBefore (truncated) stay valid: a user who logs out everywhere and logs in
// again at once keeps the new session. The entry is kept for the maximum age
// after notBefore, when every token it covers has expired.
func (l *RevocationList) RevokeSubject(subject string, notBefore time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	nb := notBefore.Unix()
	if old, ok := l.subjects[subject]; ok && old.notBefore > nb {
		return
	}
	l.subjects[subject] = subjectEntry{notBefore: nb, until: notBefore.Add(l.maxAge)}
	l.sweep()
}

// RevokeID revokes the token whose jti is id until expires, its exp.
func (l *RevocationList) RevokeID(id string, expires time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids[id] = expires
	l.sweep()
}

// Revoked implements [Revoker].
func (l *RevocationList) Revoked(_ context.Context, t TokenInfo) (bool, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if e, ok := l.subjects[t.Subject]; ok && t.Subject != "" && t.IssuedAt.Unix() < e.notBefore {
		return true, nil
	}
	if _, ok := l.ids[t.ID]; ok && t.ID != "" {
		return true, nil
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
		if !now.Before(e.until) {
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
