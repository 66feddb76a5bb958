package jwtrotprom

import (
	"fmt"

	"github.com/jwtrot/jwtrot/internal/obslabels"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/prometheus/client_golang/prometheus"
)

// A StateObserver records the states an operator alerts on outside single
// verifications: the readings of a keyring ([rotation.WithKeyringObserver])
// and whether a JWKS client is ready ([jwks.WithObserver], beside
// [Observer.FetchObserver]). Every label value comes from a fixed set.
type StateObserver struct {
	reloads  *prometheus.CounterVec
	serial   prometheus.Gauge
	roots    prometheus.Gauge
	refused  prometheus.Gauge
	deferred prometheus.Counter
	ready    *prometheus.GaugeVec
}

// NewStateObserver registers the keyring and readiness metrics with reg.
func NewStateObserver(reg prometheus.Registerer) (*StateObserver, error) {
	o := &StateObserver{
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtrot_keyring_reads_total",
			Help: "Readings of the keyring, by result: changed (a new keyring took effect), unchanged, refused (the last good keyring stays in use).",
		}, []string{"result"}),
		serial: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jwtrot_keyring_serial",
			Help: "The serial of the keyring in use.",
		}),
		roots: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jwtrot_keyring_verifying_roots",
			Help: "Roots of the keyring in use that verify at the last reading.",
		}),
		refused: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jwtrot_keyring_refused",
			Help: "1 while the last reading of the keyring was refused (the fleet does not run the keyring as written), else 0.",
		}),
		deferred: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jwtrot_keyring_deferred_roots_total",
			Help: "Roots read too late to sign with at their issue instant, held back until every instance can have read them (SPEC §11.3).",
		}),
		ready: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jwtrot_jwks_ready",
			Help: "1 once the JWKS client holds a usable document of its issuer, 0 before (tokens are refused with not_ready).",
		}, []string{"purpose"}),
	}
	for _, c := range []prometheus.Collector{o.reloads, o.serial, o.roots, o.refused, o.deferred, o.ready} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("jwtrotprom: registering the keyring and readiness metrics: %w", err)
		}
	}
	return o, nil
}

// ObserveKeyring records one reading of the keyring: pass it to
// rotation.WithKeyringObserver.
func (o *StateObserver) ObserveKeyring(ev rotation.KeyringEvent) {
	result, refused := "unchanged", 0.0
	switch {
	case ev.Err != nil:
		result, refused = "refused", 1
	case ev.Changed:
		result = "changed"
	}
	o.reloads.WithLabelValues(result).Inc()
	o.refused.Set(refused)
	o.serial.Set(float64(ev.Serial))
	o.roots.Set(float64(ev.Roots))
	o.deferred.Add(float64(len(ev.Deferred)))
}

// ReadyObserver returns a function for jwks.WithObserver that publishes
// whether the client of purpose is ready. A client takes one observer: call
// it and Observer.FetchObserver's from one function.
func (o *StateObserver) ReadyObserver(purpose string) func(jwks.FetchEvent) {
	g := o.ready.WithLabelValues(obslabels.NonEmpty(purpose))
	return func(ev jwks.FetchEvent) {
		if ev.Ready {
			g.Set(1)
		} else {
			g.Set(0)
		}
	}
}
