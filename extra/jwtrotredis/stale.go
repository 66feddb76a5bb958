package jwtrotredis

import (
	"sync"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
)

// staleCache remembers the last entries read from Redis, for
// [WithServeStale]. Its own map, not the client's cache: that one is
// dropped with the connection, when it would be needed.
type staleCache struct {
	maxAge time.Duration

	mu    sync.Mutex
	seen  map[string]staleEntry
	swept int
}

type staleEntry struct {
	entry
	at time.Time
}

// remember records what keys held now. An unchanged entry is rewritten
// only once it is half as old as maxAge, to keep the lock short.
func (s *staleCache) remember(keys []string, values []entry) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]staleEntry{}
	}
	for i, k := range keys {
		if old, ok := s.seen[k]; ok && old.entry == values[i] && now.Sub(old.at) < s.maxAge/2 {
			continue
		}
		s.seen[k] = staleEntry{entry: values[i], at: now}
	}
	if len(s.seen) > 2*s.swept+1024 {
		for k, e := range s.seen {
			if now.Sub(e.at) > s.maxAge {
				delete(s.seen, k)
			}
		}
		s.swept = len(s.seen)
	}
}

// lookup returns what keys held when last read, if every one was read at
// most maxAge ago.
func (s *staleCache) lookup(keys []string, values []entry) bool {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, k := range keys {
		e, ok := s.seen[k]
		if !ok || now.Sub(e.at) > s.maxAge {
			return false
		}
		values[i] = e.entry
	}
	return true
}

// staleError refuses a check Redis failed when no recent state is known.
type staleError struct{}

func (staleError) Error() string {
	return "jwtrotredis: Redis failed and no state read recently enough to serve stale"
}

// staleAnswer answers a check Redis failed from the last known state.
func (r *Revoker) staleAnswer(keys []string, t jwtrot.TokenInfo) (bool, error) {
	var values [2]entry
	if !r.stale.lookup(keys, values[:len(keys)]) {
		return false, staleError{}
	}
	return answer(keys, values[:len(keys)], t)
}
