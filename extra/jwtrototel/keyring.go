package jwtrototel

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/rotation"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// A StateObserver records the keyring's readings
// ([rotation.WithKeyringObserver]) and whether a JWKS client is ready
// ([jwks.WithObserver]), as jwtrotprom's StateObserver does.
type StateObserver struct {
	reads    metric.Int64Counter
	deferred metric.Int64Counter
	serial   atomic.Int64
	roots    atomic.Int64
	refused  atomic.Int64
	ready    atomic.Int64
}

// NewStateObserver returns a StateObserver recording with a meter of mp.
func NewStateObserver(mp metric.MeterProvider) (*StateObserver, error) {
	if mp == nil {
		return nil, fmt.Errorf("jwtrototel: nil MeterProvider; pass otel.GetMeterProvider() for the global one")
	}
	m := mp.Meter(ScopeName)
	o := &StateObserver{}
	var err error
	if o.reads, err = m.Int64Counter("jwtrot.keyring.reads", metric.WithUnit("{read}"),
		metric.WithDescription("Readings of the keyring; jwtrot.result: changed, unchanged, refused (the last good keyring stays in use).")); err != nil {
		return nil, err
	}
	if o.deferred, err = m.Int64Counter("jwtrot.keyring.deferred_roots", metric.WithUnit("{root}"),
		metric.WithDescription("Roots read too late to sign with at their issue instant (SPEC §11.3).")); err != nil {
		return nil, err
	}
	gauges := []struct {
		name, desc string
		v          *atomic.Int64
	}{
		{"jwtrot.keyring.serial", "The serial of the keyring in use.", &o.serial},
		{"jwtrot.keyring.verifying_roots", "Roots of the keyring in use that verify.", &o.roots},
		{"jwtrot.keyring.refused", "1 while the last reading of the keyring was refused, else 0.", &o.refused},
		{"jwtrot.jwks.ready", "1 once the JWKS client holds a usable document, 0 before.", &o.ready},
	}
	for _, g := range gauges {
		v := g.v
		if _, err := m.Int64ObservableGauge(g.name, metric.WithDescription(g.desc),
			metric.WithInt64Callback(func(_ context.Context, obs metric.Int64Observer) error {
				obs.Observe(v.Load())
				return nil
			})); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// ObserveKeyring records one reading of the keyring.
func (o *StateObserver) ObserveKeyring(ev rotation.KeyringEvent) {
	result, refused := "unchanged", int64(0)
	switch {
	case ev.Err != nil:
		result, refused = "refused", 1
	case ev.Changed:
		result = "changed"
	}
	o.reads.Add(context.Background(), 1, metric.WithAttributes(attribute.String("jwtrot.result", result)))
	o.deferred.Add(context.Background(), int64(len(ev.Deferred)))
	o.refused.Store(refused)
	o.serial.Store(ev.Serial)
	o.roots.Store(int64(ev.Roots))
}

// ReadyObserver returns a function for jwks.WithObserver that records
// whether the client is ready.
func (o *StateObserver) ReadyObserver() func(jwks.FetchEvent) {
	return func(ev jwks.FetchEvent) {
		if ev.Ready {
			o.ready.Store(1)
		} else {
			o.ready.Store(0)
		}
	}
}
