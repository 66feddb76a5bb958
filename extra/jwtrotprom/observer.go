package jwtrotprom

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtrot/jwtrot/internal/obslabels"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultBuckets are the bounds, in seconds, of the verification duration
// histogram: 1 µs to about 262 ms in steps of four, from a cached HMAC
// verification to a revocation store's round trip and its timeout.
var DefaultBuckets = prometheus.ExponentialBuckets(1e-6, 4, 10)

// An Observer counts jwtrot's verifications in Prometheus metrics. Pass its
// Observe method to jwtrot.WithObserver. It is safe for concurrent use, and
// after the first outcome of each kind it neither locks nor allocates.
type Observer struct {
	verifications *prometheus.CounterVec
	resigned      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	store         *prometheus.CounterVec
	keySource     *prometheus.CounterVec
	roots         *prometheus.GaugeVec

	// JWKS fetches (FetchObserver) and the issuer's re-signs
	// (ObserveIssuerRefresh).
	fetches       *prometheus.CounterVec
	fetchDuration *prometheus.HistogramVec
	jwksKeys      *prometheus.GaugeVec
	jwksStale     *prometheus.GaugeVec
	jwksAge       *ageCollector
	refreshes     *prometheus.CounterVec

	series atomic.Pointer[map[seriesKey]*series] // copied on write
	mu     sync.Mutex                            // serialises writers of series
	labels obslabels.Set                         // guarded by mu
}

type seriesKey struct {
	code, purpose, root string
	pos                 rotation.Position
}

type series struct {
	verifications prometheus.Counter
	duration      prometheus.Observer
	resigned      prometheus.Counter
	storeOK       prometheus.Counter
	storeError    prometheus.Counter
	keySource     prometheus.Counter
}

// An Option configures an [Observer].
type Option func(*config)

type config struct {
	buckets []float64
	clock   Clock
}

// WithBuckets sets the bounds of the duration histogram, in seconds
// (default [DefaultBuckets]).
func WithBuckets(b []float64) Option { return func(c *config) { c.buckets = b } }

// A Clock tells the time; *clock.Mock of github.com/benbjohnson/clock is
// one.
type Clock interface{ Now() time.Time }

// WithClock sets the clock the JWKS document's age is measured on (default
// the system's).
func WithClock(c Clock) Option { return func(cfg *config) { cfg.clock = c } }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// New returns an Observer whose metrics are registered with reg (for
// example prometheus.DefaultRegisterer). It fails if reg refuses them, for
// instance because another Observer registered them already: use one
// Observer for every Authority of a process.
func New(reg prometheus.Registerer, opts ...Option) (*Observer, error) {
	c := config{buckets: DefaultBuckets, clock: systemClock{}}
	for _, o := range opts {
		o(&c)
	}
	if len(c.buckets) == 0 {
		return nil, fmt.Errorf("jwtrotprom: WithBuckets needs at least one bound")
	}
	if c.clock == nil {
		return nil, fmt.Errorf("jwtrotprom: WithClock(nil); leave it out for the system clock")
	}
	o := &Observer{
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtrot_verifications_total",
			Help: "Token verifications, by result (accepted, refused), refusal code (none when accepted), key window position (none when refused), purpose and root.",
		}, []string{"result", "code", "position", "purpose", "root"}),
		resigned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtrot_resigned_total",
			Help: "Previous-window tokens re-signed and handed back: clients keeping their sessions alive.",
		}, []string{"purpose", "root"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jwtrot_verification_duration_seconds",
			Help:    "How long a verification took, revocation store included.",
			Buckets: c.buckets,
		}, []string{"result", "purpose"}),
		store: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtrot_store_checks_total",
			Help: "Revocation store and use counter checks, by result (ok, error). Errors refuse the token.",
		}, []string{"result", "purpose"}),
		keySource: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtrot_key_source_failures_total",
			Help: "Verifications refused because the root's module did not give the window's key.",
		}, []string{"purpose", "root"}),
		roots: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jwtrot_root_info",
			Help: "1 for each root this process holds, with its public fingerprint (SPEC.md §8): every instance of a fleet should report the same set.",
		}, []string{"purpose", "root", "fingerprint", "position"}),
	}
	o.newFetchMetrics(c.clock)
	for _, col := range []prometheus.Collector{o.verifications, o.resigned, o.duration, o.store, o.keySource, o.roots,
		o.fetches, o.fetchDuration, o.jwksKeys, o.jwksStale, o.jwksAge, o.refreshes} {
		if err := reg.Register(col); err != nil {
			return nil, fmt.Errorf("jwtrotprom: registering metrics: %w", err)
		}
	}
	o.series.Store(&map[seriesKey]*series{})
	return o, nil
}

// Observe counts one outcome. It never sees a token, a subject or a jti,
// and labels nothing by window index.
func (o *Observer) Observe(out jwtrot.Outcome) {
	k := seriesKey{code: out.Code, purpose: out.Purpose, root: out.RootID, pos: out.Position}
	if out.Code != "" {
		k.pos = 0 // meaningless on a refusal
	}
	s, ok := (*o.series.Load())[k]
	if !ok {
		s = o.add(k)
	}
	s.verifications.Inc()
	s.duration.Observe(out.Duration.Seconds())
	if out.Resigned {
		s.resigned.Inc()
	}
	if out.StoreConsulted {
		if out.StoreFailed {
			s.storeError.Inc()
		} else {
			s.storeOK.Inc()
		}
	}
	if out.KeySourceFailed {
		s.keySource.Inc()
	}
}

// add resolves the series of a new kind of outcome. Its labels come from
// fixed sets (obslabels.Set); past obslabels.MaxCached kinds of outcome (which only
// outcomes built by hand, not by jwtrot, could reach) it resolves them on
// every call instead of caching them.
func (o *Observer) add(k seriesKey) *series {
	o.mu.Lock()
	defer o.mu.Unlock()
	old := *o.series.Load()
	if s, ok := old[k]; ok {
		return s
	}
	purpose, root := o.labels.Purpose(k.purpose), o.labels.Root(k.root)
	result, code, pos := "accepted", "none", obslabels.Position(k.pos)
	if k.code != "" {
		result, code, pos = "refused", obslabels.Code(k.code), "none"
	}
	s := &series{
		verifications: o.verifications.WithLabelValues(result, code, pos, purpose, root),
		duration:      o.duration.WithLabelValues(result, purpose),
		resigned:      o.resigned.WithLabelValues(purpose, root),
		storeOK:       o.store.WithLabelValues("ok", purpose),
		storeError:    o.store.WithLabelValues("error", purpose),
		keySource:     o.keySource.WithLabelValues(purpose, root),
	}
	next := obslabels.With(old, k, s)
	o.series.Store(&next)
	return s
}

// ObserveRoots publishes jwtrot_root_info for the roots of one purpose, the
// issuing root first: position "issuing" for roots[0], "verifying" for the
// others, with each root's fingerprint (rotation.Root.Fingerprint, which a
// root held in a module computes there). An alert comparing the
// fingerprints across instances finds an instance holding another root
// without revealing any.
func (o *Observer) ObserveRoots(ctx context.Context, purpose string, roots []*rotation.Root) error {
	for i, r := range roots {
		fp, err := r.Fingerprint(ctx)
		if err != nil {
			return fmt.Errorf("jwtrotprom: fingerprint of root %s: %w", r.ID(), err)
		}
		pos := "verifying"
		if i == 0 {
			pos = "issuing"
		}
		o.roots.WithLabelValues(obslabels.NonEmpty(purpose), obslabels.NonEmpty(r.ID()), fp, pos).Set(1)
	}
	return nil
}
