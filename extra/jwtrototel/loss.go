package jwtrototel

import (
	"context"
	"fmt"

	"github.com/jwtrot/jwtrot/jwtrot"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// A LossObserver records the losses of revocations that Revokers detect
// (a store restarted without persistence, flushed, failed over to a stale
// replica, evicting): pass its ObserveLoss method to jwtrot.ListOnLoss or
// to jwtrotredis.WithLossObserver. Alert on any increase of
// jwtrot.revocation.losses: with the default policy, every token issued
// before the loss is refused (error.type revocations_lost) for the maximum
// age.
type LossObserver struct {
	losses metric.Int64Counter
}

// NewLossObserver returns a LossObserver recording with a meter of mp.
func NewLossObserver(mp metric.MeterProvider) (*LossObserver, error) {
	if mp == nil {
		return nil, fmt.Errorf("jwtrototel: nil MeterProvider; pass otel.GetMeterProvider() for the global one")
	}
	c, err := mp.Meter(ScopeName).Int64Counter("jwtrot.revocation.losses", metric.WithUnit("{loss}"),
		metric.WithDescription("Losses of revocations a Revoker detected; jwtrot.loss.cause says what was detected, jwtrot.loss.policy what is done with earlier tokens."))
	if err != nil {
		return nil, err
	}
	return &LossObserver{losses: c}, nil
}

// ObserveLoss records one detected loss.
func (o *LossObserver) ObserveLoss(l jwtrot.RevocationLoss) {
	o.losses.Add(context.Background(), 1, metric.WithAttributes(
		attribute.String("jwtrot.store", l.Store),
		attribute.String("jwtrot.loss.cause", l.Cause),
		attribute.String("jwtrot.loss.policy", l.Policy.String()),
	))
}
