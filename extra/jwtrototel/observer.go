package jwtrototel

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtrot/jwtrot/internal/obslabels"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ScopeName is the instrumentation scope of the meter an Observer uses.
const ScopeName = "github.com/jwtrot/jwtrot/extra/jwtrototel"

// DefaultBoundaries are the bucket bounds, in seconds, of the duration
// histogram: 1 µs to about 262 ms in steps of four.
var DefaultBoundaries = []float64{1e-6, 4e-6, 16e-6, 64e-6, 256e-6, 1.024e-3, 4.096e-3, 16.384e-3, 65.536e-3, 262.144e-3}

// An Observer records jwtrot's verifications with OpenTelemetry metric
// instruments. Pass its Observe method to jwtrot.WithObserver. It is safe
// for concurrent use; after the first outcome of each kind it takes no lock
// and builds no attribute set.
type Observer struct {
	verifications metric.Int64Counter
	resigned      metric.Int64Counter
	duration      metric.Float64Histogram
	store         metric.Int64Counter
	keySource     metric.Int64Counter

	// JWKS fetches (FetchObserver) and the issuer's re-signs
	// (ObserveIssuerRefresh).
	fetches       metric.Int64Counter
	fetchDuration metric.Float64Histogram
	jwksKeys      metric.Int64Gauge
	jwksStale     metric.Int64Gauge
	refreshes     metric.Int64Counter
	clock         Clock
	ages          map[string]time.Time // guarded by mu: purpose → last confirmed

	sets   atomic.Pointer[map[setKey]*sets] // copied on write
	mu     sync.Mutex
	labels obslabels.Set // guarded by mu
}

// An Option configures an [Observer].
type Option func(*Observer)

// A Clock tells the time; *clock.Mock of github.com/benbjohnson/clock is
// one.
type Clock interface{ Now() time.Time }

// WithClock sets the clock the JWKS document's age is measured on (default
// the system's).
func WithClock(c Clock) Option { return func(o *Observer) { o.clock = c } }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

type setKey struct {
	code, purpose, root string
	pos                 rotation.Position
}

// sets holds the precomputed options of one kind of outcome.
type sets struct {
	outcome  []metric.AddOption
	duration []metric.RecordOption
	root     []metric.AddOption
	storeOK  []metric.AddOption
	storeErr []metric.AddOption
}

// New returns an Observer recording with a meter of mp (for example
// otel.GetMeterProvider()).
func New(mp metric.MeterProvider, opts ...Option) (*Observer, error) {
	if mp == nil {
		return nil, fmt.Errorf("jwtrototel: nil MeterProvider; pass otel.GetMeterProvider() for the global one")
	}
	m := mp.Meter(ScopeName)
	o := &Observer{clock: systemClock{}, ages: map[string]time.Time{}}
	for _, opt := range opts {
		opt(o)
	}
	if o.clock == nil {
		return nil, fmt.Errorf("jwtrototel: WithClock(nil); leave it out for the system clock")
	}
	var err error
	if o.verifications, err = m.Int64Counter("jwtrot.verifications", metric.WithUnit("{verification}"),
		metric.WithDescription("Token verifications; error.type is the refusal's code, absent when accepted.")); err != nil {
		return nil, err
	}
	if o.resigned, err = m.Int64Counter("jwtrot.resigned", metric.WithUnit("{token}"),
		metric.WithDescription("Previous-window tokens re-signed and handed back.")); err != nil {
		return nil, err
	}
	if o.duration, err = m.Float64Histogram("jwtrot.verification.duration", metric.WithUnit("s"),
		metric.WithDescription("How long a verification took, revocation store included."),
		metric.WithExplicitBucketBoundaries(DefaultBoundaries...)); err != nil {
		return nil, err
	}
	if o.store, err = m.Int64Counter("jwtrot.store.checks", metric.WithUnit("{check}"),
		metric.WithDescription("Revocation store and use counter checks; error.type is set when the store failed.")); err != nil {
		return nil, err
	}
	if o.keySource, err = m.Int64Counter("jwtrot.key_source.failures", metric.WithUnit("{failure}"),
		metric.WithDescription("Verifications refused because the root's module did not give the window's key.")); err != nil {
		return nil, err
	}
	if err := o.newFetchInstruments(m); err != nil {
		return nil, err
	}
	o.sets.Store(&map[setKey]*sets{})
	return o, nil
}

// Observe records one outcome. It never sees a token, a subject or a jti,
// and records nothing by window index.
func (o *Observer) Observe(out jwtrot.Outcome) {
	k := setKey{code: out.Code, purpose: out.Purpose, root: out.RootID, pos: out.Position}
	if out.Code != "" {
		k.pos = 0
	}
	s, ok := (*o.sets.Load())[k]
	if !ok {
		s = o.add(k)
	}
	ctx := context.Background()
	o.verifications.Add(ctx, 1, s.outcome...)
	o.duration.Record(ctx, out.Duration.Seconds(), s.duration...)
	if out.Resigned {
		o.resigned.Add(ctx, 1, s.root...)
	}
	if out.StoreConsulted {
		if out.StoreFailed {
			o.store.Add(ctx, 1, s.storeErr...)
		} else {
			o.store.Add(ctx, 1, s.storeOK...)
		}
	}
	if out.KeySourceFailed {
		o.keySource.Add(ctx, 1, s.root...)
	}
}

func (o *Observer) add(k setKey) *sets {
	o.mu.Lock()
	defer o.mu.Unlock()
	old := *o.sets.Load()
	if s, ok := old[k]; ok {
		return s
	}
	purpose := attribute.String("jwtrot.purpose", o.labels.Purpose(k.purpose))
	// A refusal before any key was chosen has no root: no jwtrot.root
	// attribute, rather than an empty one.
	rootAttrs := []attribute.KeyValue{purpose}
	if k.root != "" {
		rootAttrs = append(rootAttrs, attribute.String("jwtrot.root", o.labels.Root(k.root)))
	}
	outcome := slices.Clone(rootAttrs)
	dur := []attribute.KeyValue{purpose}
	if k.code != "" {
		outcome = append(outcome, attribute.String("error.type", obslabels.Code(k.code)))
		dur = append(dur, attribute.String("error.type", obslabels.Code(k.code)))
	} else {
		outcome = append(outcome, attribute.String("jwtrot.window.position", obslabels.Position(k.pos)))
	}
	s := &sets{
		outcome:  []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(outcome...))},
		duration: []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(dur...))},
		root:     []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(rootAttrs...))},
		storeOK:  []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(purpose))},
		storeErr: []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(purpose, attribute.String("error.type", "store_error")))},
	}
	next := obslabels.With(old, k, s)
	o.sets.Store(&next)
	return s
}
