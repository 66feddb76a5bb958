package jwtrotredis

import (
	"encoding/base64"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/redis/rueidis"
)

// DefaultLocalEntries bounds the answers kept in local memory.
const DefaultLocalEntries = 1 << 18

// localCache holds the answers the hot path needs without a round trip.
//
// Redis tracks every key this client reads (server-assisted client-side
// caching, CLIENT TRACKING; rueidis sends the reads with CLIENT CACHING
// YES) and pushes an invalidation when one changes. rueidis keeps its own
// per-connection cache, dropped with the connection; this map sits in
// front of it so that a warm check is a map lookup keyed by the subject or
// jti as jwtrot hands them over, with no key to build, no context, no lock
// and no allocation. It follows rueidis's invalidations (OnInvalidations):
// a key's invalidation deletes its entry, and the connection's end (a nil
// invalidation) drops them all.
//
// A fetch records the epoch before reading; any invalidation bumps it, and
// a fetch whose epoch moved discards what it read, so an answer read
// before an invalidation is never kept after it.
type localCache struct {
	prefix string
	ttl    time.Duration
	max    int64

	m     sync.Map // localKey → localEntry
	n     atomic.Int64
	epoch atomic.Uint64

	// onDrop, if set, receives the entries when the connection ends (for
	// WithServeStale).
	onDrop func(map[localKey]entry)
}

type localKey struct {
	kind byte
	name string
}

type localEntry struct {
	entry
	expires int64 // Unix nanoseconds: the bounded local lifetime
}

func (c *localCache) get(k localKey, now int64) (entry, bool) {
	v, ok := c.m.Load(k)
	if !ok {
		return entry{}, false
	}
	e := v.(localEntry)
	if now >= e.expires {
		return entry{}, false
	}
	return e.entry, true
}

// put keeps an answer read by a fetch that began at epoch e0.
func (c *localCache) put(k localKey, e entry, e0 uint64, now int64) {
	if c.epoch.Load() != e0 {
		return
	}
	if c.n.Add(1) > c.max {
		c.clear()
		return
	}
	v := localEntry{entry: e, expires: now + int64(c.ttl)}
	c.m.Store(k, v)
	// An invalidation between the check above and the Store bumped the
	// epoch; its delete may have run before the Store: undo it.
	if c.epoch.Load() != e0 {
		c.m.CompareAndDelete(k, v)
	}
}

func (c *localCache) clear() {
	c.epoch.Add(1)
	c.m.Clear()
	c.n.Store(0)
}

// invalidate follows one invalidation push: the keys that changed, or nil
// when the connection ended or the server flushed.
func (c *localCache) invalidate(keys []rueidis.RedisMessage) {
	c.epoch.Add(1)
	if keys == nil {
		if c.onDrop != nil {
			snap := map[localKey]entry{}
			c.m.Range(func(k, v any) bool {
				snap[k.(localKey)] = v.(localEntry).entry
				return true
			})
			c.onDrop(snap)
		}
		c.clear()
		return
	}
	for _, m := range keys {
		s, err := m.ToString()
		if err != nil {
			continue
		}
		if k, ok := c.parseKey(s); ok {
			c.m.Delete(k)
		}
	}
}

// parseKey turns a Redis key back into the local key, reporting false for
// a key this Revoker does not write.
func (c *localCache) parseKey(s string) (localKey, bool) {
	rest, ok := strings.CutPrefix(s, c.prefix)
	if !ok || len(rest) < 2 || rest[1] != ':' {
		return localKey{}, false
	}
	name, err := base64.RawURLEncoding.DecodeString(rest[2:])
	if err != nil {
		return localKey{}, false
	}
	return localKey{kind: rest[0], name: string(name)}, true
}

// ownWrites holds the revocations this Revoker wrote, for the time its
// caches may not show them yet. Redis sends a client the invalidation of
// its own write after the write's reply (and on another connection with
// WithWaitReplicas), so a check right after RevokeID returns could find the
// answer read before it, in local memory or in rueidis's cache: the
// log-out whose next request is still accepted. Revocations only grow (a
// jti stays revoked, a "not before" only rises), so what this Revoker wrote
// is a lower bound of what Redis holds, always safe to add to an answer.
// An entry stays for the local TTL, which bounds every cached answer read
// before the write, whatever the order in which invalidations arrive.
type ownWrites struct {
	ttl time.Duration
	max int64

	m sync.Map // localKey → localEntry
	n atomic.Int64
}

// add records a write that returned.
func (o *ownWrites) add(k localKey, e entry, now int64) {
	if o.n.Load() >= o.max {
		o.sweep(now)
	}
	if _, loaded := o.m.Swap(k, localEntry{entry: e, expires: now + int64(o.ttl)}); !loaded {
		o.n.Add(1)
	}
}

// get returns the entry written for k, if any is still needed.
func (o *ownWrites) get(k localKey, now int64) entry {
	v, ok := o.m.Load(k)
	if !ok {
		return entry{}
	}
	e := v.(localEntry)
	if now >= e.expires {
		o.remove(k)
		return entry{}
	}
	return e.entry
}

func (o *ownWrites) remove(k localKey) {
	if _, ok := o.m.LoadAndDelete(k); ok {
		o.n.Add(-1)
	}
}

// sweep drops the expired entries.
func (o *ownWrites) sweep(now int64) {
	o.m.Range(func(k, v any) bool {
		if now >= v.(localEntry).expires {
			o.remove(k.(localKey))
		}
		return true
	})
}

// revoked reports whether a write of this Revoker revokes t. With none
// held, the common case, it is one atomic load: no clock read.
func (o *ownWrites) revoked(t jwtrot.TokenInfo) bool {
	if o.n.Load() == 0 {
		return false
	}
	now := time.Now().UnixNano()
	var sub, id entry
	if t.Subject != "" {
		sub = o.get(localKey{kindSubject, t.Subject}, now)
	}
	if t.ID != "" {
		id = o.get(localKey{kindID, t.ID}, now)
	}
	revoked, err := answer(sub, id, t)
	return err == nil && revoked
}
