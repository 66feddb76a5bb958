package jwtrotredis

import (
	"sync"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
)

// staleCache holds, for [WithServeStale], the answers the local cache held
// when the connection ended, valid then (Redis had invalidated every one
// that changed) and served, while Redis fails, until maxAge after it.
type staleCache struct {
	maxAge time.Duration

	mu      sync.Mutex
	at      time.Time // when the connection ended
	entries map[localKey]entry
}

// dropped records the local cache's entries as the connection ends. A
// later drop (a reconnection that failed again) keeps the older snapshot:
// nothing newer was read from Redis in between, or it would be there too.
func (s *staleCache) dropped(snap map[localKey]entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(snap) == 0 && s.entries != nil && time.Since(s.at) <= s.maxAge {
		return
	}
	s.at, s.entries = time.Now(), snap
}

// lookup returns the entries of keys, if all are known and recent enough.
func (s *staleCache) lookup(keys []localKey, values []entry) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil || time.Since(s.at) > s.maxAge {
		return false
	}
	for i, k := range keys {
		e, ok := s.entries[k]
		if !ok {
			return false
		}
		values[i] = e
	}
	return true
}

// staleError refuses a check Redis failed when no recent state is known.
type staleError struct{}

func (staleError) Error() string {
	return "jwtrotredis: Redis failed and no state read recently enough to serve stale"
}

// staleAnswer answers a check Redis failed from the last known state.
func (r *Revoker) staleAnswer(t jwtrot.TokenInfo) (bool, error) {
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
	var values [2]entry
	if !r.stale.lookup(keys[:n], values[:n]) {
		return false, staleError{}
	}
	if t.Subject == "" {
		return r.decide(entry{}, values[0], t)
	}
	return r.decide(values[0], values[1], t)
}
