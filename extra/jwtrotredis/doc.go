// Package jwtrotredis keeps jwtrot's revocations and the use counts of
// N-use tokens in Redis (7 or later, or Valkey), a single server or a
// Redis Cluster, so that every instance of a fleet sees them: log a user
// out on one instance and the others refuse the token within a moment.
//
// It lives in a module of its own so that the library's go.mod never
// requires a Redis client. The client is rueidis
// (github.com/redis/rueidis), chosen for its server-assisted client-side
// caching, also in cluster mode, and its automatic pipelining.
//
// # Using it
//
// [New] connects and returns a [Revoker], which is a [jwtrot.Revoker] and a
// [jwtrot.UseCounter]: give it to [jwtrot.WithRevoker], and use its
// [Revoker.RevokeSubject] (log out everywhere, password changed) and
// [Revoker.RevokeID] (one token) from any instance:
//
//	rev, err := jwtrotredis.New(ctx, rueidis.ClientOption{InitAddress: []string{"redis:6379"}})
//	...
//	defer rev.Close()
//	auth, err := jwtrot.New(deriver, jwtrot.WithRevoker(rev))
//	...
//	err = rev.RevokeSubject(ctx, "alice", time.Now())
//
// With several addresses of a Redis Cluster in InitAddress, the same code
// runs on the cluster.
//
// # The hot path
//
// Every verification asks the Revoker. Warm, it answers from local memory:
// Redis tracks the keys each client has read and pushes an invalidation
// when one changes (CLIENT TRACKING), and the Revoker drops its copy on
// that message, so a revocation reaches every instance in the time of one
// push and one read (well under a millisecond on a local network; see the
// package's benchmarks). "Not revoked" answers are cached as well. Each
// answer is kept at most [WithLocalTTL], and all of them are dropped when a
// connection breaks. A miss reads the subject's and the jti's entries in
// one call; an N-use token costs one round trip, a script that counts one
// use atomically, made only after everything else accepted the token.
//
// # When Redis fails
//
// A check that Redis has not answered within [WithTimeout] fails, and the
// token is refused with [jwtrot.ErrRevocationCheck]: revocation fails
// closed, and the caller waits no longer than the timeout whatever the
// connection is doing. A hung server's connection is given up after the
// timeout plus a second (rueidis's ConnWriteTimeout, which also paces its
// health pings), so the calls still waiting on it in the background (one
// goroutine each) end by then and do not pile up; the client reconnects by itself, and
// correct answers resume when Redis returns, without restarting anything.
// [WithServeStale] trades that for availability, with a risk it documents.
//
// # When Redis forgets
//
// A Redis that loses its data would bring revoked tokens back; the Revoker
// notices and fails safe instead (SPEC §12.3). Every primary holds an epoch
// marker (a key with its creation instant and the last loss recorded), and
// each instance checks every primary (INFO: run id, replication ids,
// evictions; and the marker) at start, when a connection ends or the
// server flushes, when a marker changes, and every [WithCheckInterval]. A
// marker gone (a restart without persistence, FLUSHALL, an older
// snapshot), a primary that is a promoted replica while writes did not wait
// for replicas, or an eviction is a loss: every token issued before it is
// refused with [jwtrot.ErrRevocationsLost] until it could no longer be
// valid (the maximum age), and tokens issued after it are accepted at once,
// so users log in again. The loss is written into every marker, so the
// whole fleet, and instances started later, refuse the same tokens. It is
// logged (error level), passed to [WithLossObserver] and counted by the
// LossObservers of extra/jwtrotprom and extra/jwtrototel.
// [WithLossPolicy](jwtrot.AcceptAfterLoss) reports without refusing. A
// restart that kept its data (appendonly) is no loss. Measured with four
// instances under load: no revoked token accepted across a restart without
// persistence, a FLUSHALL, or a cluster failover to a replica that lacked
// the revocation; a new login accepted everywhere about 20 ms after a
// FLUSHALL, 0.3 s after a kill and restart, 0.7 s after a primary's kill
// with a 1 s node timeout (the package's loss tests log their figures).
//
// [WithWaitReplicas](n, timeout) makes RevokeSubject and RevokeID wait for
// n replicas (WAIT) and return [ErrNotDurable], to retry, when fewer
// acknowledged: an acknowledged revocation then survives a failover, which
// is no longer counted as a loss.
//
// A subject's revocation is exact to the nanosecond (SPEC §12.2): the
// "not before" is kept in Unix nanoseconds and compared with the issue
// instant jwtrot's time-ordered jti carries, so the token signed a moment
// before a log-out is refused and the one signed a moment after accepted.
//
// Until the client gives a connection up, the answers cached through it
// are still served: at once when the server closes it (a crash, a
// restart), but a server that hangs without closing, or a network that
// drops packets, leaves them in use for a few seconds (3.2 s measured
// with a 100 ms timeout). During that time no write reaches that server
// either; a cluster that fails over to a replica meanwhile can take
// writes the cut-off client does not see until then.
//
// # Keys
//
// Keys are the prefix ([WithPrefix], default "jwtrot:"), a letter and the
// subject or jti in base64url: "s:" a subject's "not before" (Unix
// nanoseconds; older versions wrote seconds, still read), "j:" a revoked
// jti, "u:" the uses of an N-use token; "e:{tag}" is a primary's epoch
// marker. A name
// never forms a hash tag, so keys spread over a cluster's slots. Each key
// expires (EXAT) with the last token it covers, plus [ClockMargin]; nothing
// scans keys. A subject's "not before" only rises: a script compares and
// sets it in one step.
//
// # Redis settings
//
// Revocations must not be lost:
//
//   - maxmemory-policy noeviction: under any other policy, memory pressure
//     may evict a revocation, and the revoked tokens are accepted again.
//     With noeviction, writes fail instead (and RevokeSubject reports it).
//   - persistence: appendonly yes (appendfsync everysec or always), or
//     save points at least, and replicas for failover with
//     [WithWaitReplicas]; a restart without them forgets every revocation
//     (detected: every session older than it ends).
//
// [New] reads these settings from every node and logs a warning (kept in
// [Revoker.Warnings]) when the server may evict or persists nothing.
package jwtrotredis
