package jwtrotprom

import (
	"fmt"

	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/prometheus/client_golang/prometheus"
)

// A LossObserver counts the losses of revocations that Revokers detect
// (a store restarted without persistence, flushed, failed over to a stale
// replica, evicting): pass its ObserveLoss method to
// jwtrot.ListOnLoss or to jwtrotredis.WithLossObserver. Alert on any
// increase of jwtrot_revocation_losses_total: with the default policy,
// every token issued before the loss is refused (code revocations_lost)
// until jwtrot_revocation_loss_until_seconds.
type LossObserver struct {
	losses *prometheus.CounterVec
	until  *prometheus.GaugeVec
}

// NewLossObserver returns a LossObserver whose metrics are registered with
// reg. Use one per process.
func NewLossObserver(reg prometheus.Registerer) (*LossObserver, error) {
	o := &LossObserver{
		losses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtrot_revocation_losses_total",
			Help: "Losses of revocations a Revoker detected, by store, cause (marker_missing, marker_changed, recorded, failover, eviction, reset) and policy (refuse, accept).",
		}, []string{"store", "cause", "policy"}),
		until: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jwtrot_revocation_loss_until_seconds",
			Help: "Unix time until which tokens issued before the last detected loss may be covered by a forgotten revocation (refused under the refuse policy).",
		}, []string{"store"}),
	}
	for _, c := range []prometheus.Collector{o.losses, o.until} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("jwtrotprom: registering the loss metrics: %w", err)
		}
	}
	return o, nil
}

// ObserveLoss records one detected loss.
func (o *LossObserver) ObserveLoss(l jwtrot.RevocationLoss) {
	o.losses.WithLabelValues(l.Store, l.Cause, l.Policy.String()).Inc()
	o.until.WithLabelValues(l.Store).Set(float64(l.Until.UnixNano()) / 1e9)
}
