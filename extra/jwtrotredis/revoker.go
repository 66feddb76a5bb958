package jwtrotredis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/redis/rueidis"
)

// Defaults of a [Revoker].
const (
	DefaultPrefix   = "jwtrot:"
	DefaultTimeout  = 200 * time.Millisecond
	DefaultLocalTTL = 30 * time.Second
	// DefaultCheckInterval is how often a Revoker checks the store for a
	// loss of revocations besides the checks events trigger (a connection
	// ending, a flush, a marker changing): the bound on noticing an
	// eviction.
	DefaultCheckInterval = time.Second
	// ClockMargin is how long entries outlive the tokens they cover, so
	// that a verifier whose clock is behind the server's by up to this
	// much still finds them.
	ClockMargin = time.Minute
)

// A Revoker keeps revocations and the use counts of N-use tokens in Redis,
// shared by every instance that opens one on the same server or cluster.
// It is a [jwtrot.Revoker] and a [jwtrot.UseCounter]: give it to
// [jwtrot.WithRevoker]. See the package guide.
//
// A Revoker is safe for concurrent use. Close it when done.
type Revoker struct {
	client   rueidis.Client
	prefix   string
	maxAge   atomic.Int64 // nanoseconds; 0 until WithMaxAge or an Authority sets it
	ageSet   bool         // WithMaxAge was given
	timeout  time.Duration
	localTTL time.Duration
	local    *localCache
	own      *ownWrites
	stale    *staleCache // nil unless WithServeStale
	log      *slog.Logger
	warnings []string

	waitN       int           // WithWaitReplicas: replicas a write waits for
	waitTimeout time.Duration // and how long
	policy      jwtrot.LossPolicy
	onLoss      func(jwtrot.RevocationLoss)
	interval    time.Duration
	loss        lossState

	stop      chan struct{}
	stopped   sync.WaitGroup
	closeOnce sync.Once
}

// ErrNotDurable: a revocation was applied on the primary but fewer replicas
// than [WithWaitReplicas] asks acknowledged it within its timeout, so a
// failover could lose it. The write is idempotent: retry it.
var ErrNotDurable = errors.New("jwtrotredis: the revocation reached fewer replicas than WithWaitReplicas asks: it may not survive a failover; retry")

var (
	_ jwtrot.Revoker      = (*Revoker)(nil)
	_ jwtrot.UseCounter   = (*Revoker)(nil)
	_ jwtrot.MaxAgeSetter = (*Revoker)(nil)
)

// SetMaxAge implements [jwtrot.MaxAgeSetter]: every Authority or Verifier
// given the Revoker tells it the maximum age of its tokens, and it keeps
// the longest.
func (r *Revoker) SetMaxAge(d time.Duration) {
	for {
		cur := r.maxAge.Load()
		if int64(d) <= cur || r.maxAge.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

// errNoMaxAge refuses a subject's revocation before the Revoker knows how
// long to keep it.
var errNoMaxAge = errors.New("jwtrotredis: RevokeSubject before the Revoker knows the maximum age of the tokens: give it to an Authority (jwtrot.WithRevoker) first, or set WithMaxAge in a process that has none")

// An Option configures a [Revoker].
type Option func(*Revoker)

// WithPrefix sets the prefix of every key the Revoker reads and writes
// (default [DefaultPrefix]), to share a server with other data or keep
// several Authorities apart. It must not contain '{' or '}': a hash tag
// would put every key in one cluster slot.
func WithPrefix(p string) Option { return func(r *Revoker) { r.prefix = p } }

// WithTimeout bounds each check (default [DefaultTimeout]): a check that
// Redis has not answered by then fails, and the token is refused with
// [jwtrot.ErrRevocationCheck]. A caller's context with an earlier
// deadline bounds it sooner.
func WithTimeout(d time.Duration) Option { return func(r *Revoker) { r.timeout = d } }

// WithLocalTTL bounds how long an answer is kept in local memory (default
// [DefaultLocalTTL]). Redis invalidates cached answers as soon as an entry
// changes (server-assisted client-side caching), and the cache is dropped
// when the connection breaks; the TTL is the bound should an invalidation
// be lost some other way.
func WithLocalTTL(d time.Duration) Option { return func(r *Revoker) { r.localTTL = d } }

// WithServeStale makes a check that Redis fails answer from the last state
// read from Redis for that subject and jti, if it was read at most d ago,
// instead of refusing the token. It is off by default, and it is a risk: a
// token revoked during the outage (or less than d before it, on another
// instance) is accepted for up to d, and an N-use token is never served
// stale. Use it only where availability outweighs a revocation taking
// effect up to d late.
func WithServeStale(d time.Duration) Option {
	return func(r *Revoker) { r.stale = &staleCache{maxAge: d} }
}

// WithWaitReplicas makes every revocation wait, after its write, until n
// replicas of the primary acknowledged it (Redis's WAIT), for at most
// timeout: RevokeSubject and RevokeID return nil only then, else an error
// wrapping [ErrNotDurable] the caller can retry. Off by default (n = 0),
// right for a single server. With it set to the number of replicas of each
// primary, a failover is not counted as a loss (every replica held every
// acknowledged revocation); without it, a failover is one (SPEC §12.3).
func WithWaitReplicas(n int, timeout time.Duration) Option {
	return func(r *Revoker) { r.waitN, r.waitTimeout = n, timeout }
}

// WithLossPolicy sets what the Revoker does with a token issued before a
// loss of revocations it detected (default [jwtrot.RefuseAfterLoss]).
func WithLossPolicy(p jwtrot.LossPolicy) Option { return func(r *Revoker) { r.policy = p } }

// WithLossObserver sets a function called with every loss the Revoker
// detects (besides its log line), for a metric or an alert: for example
// the ObserveLoss method of package
// github.com/jwtrot/jwtrot/extra/jwtrotprom's LossObserver. It must be quick.
func WithLossObserver(f func(jwtrot.RevocationLoss)) Option {
	return func(r *Revoker) { r.onLoss = f }
}

// WithCheckInterval sets how often the Revoker checks the store for a loss
// besides the checks events trigger (default [DefaultCheckInterval]).
func WithCheckInterval(d time.Duration) Option { return func(r *Revoker) { r.interval = d } }

// WithMaxAge sets the maximum age of the tokens the Revoker covers (a
// subject's revocation is kept that long), for a process that revokes
// without an Authority, such as an admin tool. An Authority given the
// Revoker ([jwtrot.WithRevoker]) tells it its own ([Revoker.SetMaxAge]).
func WithMaxAge(d time.Duration) Option {
	return func(r *Revoker) { r.maxAge.Store(int64(d)); r.ageSet = true }
}

// WithLogger sets where start-up warnings go (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(r *Revoker) { r.log = l } }

// New connects to Redis with opt and returns a Revoker. The Authority it is
// given to ([jwtrot.WithRevoker]) tells it the maximum age of its tokens
// (see [Revoker.SetMaxAge]); a process that revokes without one sets it
// with [WithMaxAge]. In opt, InitAddress is required; New sets, where they
// are zero, the dial timeout to the check timeout and ConnWriteTimeout to
// it plus a margin, so that a hung server is given up on and its
// connection (with its cache) dropped.
//
// New checks the server's settings and logs a warning, also kept in
// [Revoker.Warnings], if the server may evict keys (maxmemory-policy other
// than noeviction: an evicted revocation is forgotten) or persists nothing
// (a restart forgets every revocation).
func New(ctx context.Context, opt rueidis.ClientOption, opts ...Option) (*Revoker, error) {
	r := &Revoker{prefix: DefaultPrefix, timeout: DefaultTimeout, localTTL: DefaultLocalTTL, log: slog.Default(), interval: DefaultCheckInterval}
	for _, o := range opts {
		o(r)
	}
	switch {
	case len(opt.InitAddress) == 0:
		return nil, errors.New("jwtrotredis: no Redis address: set InitAddress in the rueidis.ClientOption")
	case r.ageSet && r.maxAge.Load() <= 0:
		return nil, fmt.Errorf("jwtrotredis: WithMaxAge(%v) is not positive: give the Authority's maximum age, or leave it out and let the Authority tell it", time.Duration(r.maxAge.Load()))
	case strings.ContainsAny(r.prefix, "{}"):
		return nil, errors.New("jwtrotredis: the key prefix holds '{' or '}': a hash tag would put every key in one cluster slot; choose a prefix without braces")
	case r.timeout <= 0:
		return nil, fmt.Errorf("jwtrotredis: timeout %v is not positive: checks must be bounded", r.timeout)
	case r.localTTL <= 0:
		return nil, fmt.Errorf("jwtrotredis: local TTL %v is not positive", r.localTTL)
	case r.stale != nil && r.stale.maxAge <= 0:
		return nil, fmt.Errorf("jwtrotredis: serve-stale duration %v is not positive", r.stale.maxAge)
	case r.waitN < 0 || r.waitN > 0 && r.waitTimeout <= 0:
		return nil, fmt.Errorf("jwtrotredis: WithWaitReplicas(%d, %v): give a replica count of 0 or more and, with replicas, a positive timeout", r.waitN, r.waitTimeout)
	case !r.policy.Valid():
		return nil, fmt.Errorf("jwtrotredis: unknown loss policy %d: use jwtrot.RefuseAfterLoss or jwtrot.AcceptAfterLoss", int(r.policy))
	case r.interval <= 0:
		return nil, fmt.Errorf("jwtrotredis: check interval %v is not positive", r.interval)
	}
	r.loss.nodes, r.loss.tags, r.loss.replids = map[string]nodeState{}, map[string]string{}, map[string]bool{}
	r.local = &localCache{prefix: r.prefix, ttl: r.localTTL, max: DefaultLocalEntries}
	r.own = &ownWrites{ttl: r.localTTL, max: DefaultLocalEntries}
	if r.stale != nil {
		r.local.onDrop = r.stale.dropped
	}
	if opt.OnInvalidations != nil {
		return nil, errors.New("jwtrotredis: the rueidis.ClientOption sets OnInvalidations, which the Revoker needs for its own cache; leave it unset")
	}
	opt.OnInvalidations = r.invalidate
	if opt.Dialer.Timeout == 0 {
		opt.Dialer.Timeout = r.timeout
	}
	if opt.ConnWriteTimeout == 0 {
		opt.ConnWriteTimeout = r.timeout + time.Second
	}
	c, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, fmt.Errorf("jwtrotredis: connecting: %w", err)
	}
	r.client = c
	r.warnings = r.checkServer(ctx)
	for _, w := range r.warnings {
		r.log.Warn("jwtrotredis: " + w)
	}
	// The first check: the markers, and any loss already recorded. If it
	// fails, the first verification runs it.
	r.needCheck()
	cctx, cancel := context.WithTimeout(ctx, r.timeout+time.Second)
	r.check(cctx, true)
	cancel()
	r.stop = make(chan struct{})
	r.stopped.Add(1)
	go func() {
		defer r.stopped.Done()
		r.run(r.interval, r.stop)
	}()
	return r, nil
}

// invalidate follows rueidis's invalidations: the local cache's, and a
// check of the store when the connection ended or the server flushed (nil)
// or an epoch marker changed.
func (r *Revoker) invalidate(keys []rueidis.RedisMessage) {
	if keys == nil {
		r.needCheck()
	} else {
		for _, m := range keys {
			if s, err := m.ToString(); err == nil && r.isMarker(s) {
				r.needCheck()
				break
			}
		}
	}
	r.local.invalidate(keys)
}

// Warnings returns the problems New found in the server's settings.
func (r *Revoker) Warnings() []string { return append([]string(nil), r.warnings...) }

// Close closes the connections and stops every goroutine the Revoker
// started. Checks made after Close fail.
func (r *Revoker) Close() error {
	r.closeOnce.Do(func() {
		close(r.stop)
		r.stopped.Wait()
		r.client.Close()
	})
	return nil
}

// checkServer reads the eviction and persistence settings of every node.
// A server that refuses CONFIG (some managed services) is not warned about.
func (r *Revoker) checkServer(ctx context.Context) []string {
	var out []string
	for addr, node := range r.client.Nodes() {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conf, err := node.Do(ctx, node.B().ConfigGet().Parameter("maxmemory-policy", "save", "appendonly").Build()).AsStrMap()
		cancel()
		if err != nil {
			continue
		}
		if p := conf["maxmemory-policy"]; p != "noeviction" {
			out = append(out, fmt.Sprintf("%s has maxmemory-policy %s: under memory pressure it may evict revocations, which are then forgotten; set maxmemory-policy noeviction", addr, p))
		}
		if conf["save"] == "" && conf["appendonly"] == "no" {
			out = append(out, addr+" persists nothing (no save points, appendonly no): a restart forgets every revocation (detected: tokens issued before it are refused); enable appendonly or save points")
		}
		ctx, cancel = context.WithTimeout(ctx, 2*time.Second)
		info, err := node.Do(ctx, node.B().Info().Section("replication").Build()).ToString()
		cancel()
		if err != nil {
			continue
		}
		repl := parseInfo(info)
		if n, _ := strconv.Atoi(repl["connected_slaves"]); repl["role"] == "master" && n > r.waitN {
			out = append(out, fmt.Sprintf("%s has %d replicas and writes wait for %d (WithWaitReplicas): a failover may lose revocations, and is treated as a loss; set WithWaitReplicas(%d, timeout)", addr, n, r.waitN, n))
		}
	}
	return out
}
