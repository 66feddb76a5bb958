package jwtrototel

import (
	"context"

	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/internal/obslabels"
	"github.com/jwtrot/jwtrot/jwks"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// FetchBoundaries are the bucket bounds, in seconds, of the JWKS fetch
// duration histogram: 5 ms to about 10 s.
var FetchBoundaries = []float64{0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24}

func (o *Observer) newFetchInstruments(m metric.Meter) error {
	var err error
	if o.fetches, err = m.Int64Counter("jwtrot.jwks.fetches", metric.WithUnit("{fetch}"),
		metric.WithDescription("JWKS fetches by a verifier; jwtrot.jwks.cause is start, schedule, retry, miss or other, jwtrot.jwks.result changed, unchanged or error.")); err != nil {
		return err
	}
	if o.fetchDuration, err = m.Float64Histogram("jwtrot.jwks.fetch.duration", metric.WithUnit("s"),
		metric.WithDescription("How long a JWKS fetch took, failed ones included."),
		metric.WithExplicitBucketBoundaries(FetchBoundaries...)); err != nil {
		return err
	}
	if o.jwksKeys, err = m.Int64Gauge("jwtrot.jwks.keys", metric.WithUnit("{key}"),
		metric.WithDescription("Keys in the JWKS document the verifier serves.")); err != nil {
		return err
	}
	if o.jwksStale, err = m.Int64Gauge("jwtrot.jwks.stale", metric.WithUnit("1"),
		metric.WithDescription("1 while the last JWKS fetch failed and the verifier serves the last good document, else 0.")); err != nil {
		return err
	}
	if o.refreshes, err = m.Int64Counter("jwtrot.issuer.refreshes", metric.WithUnit("{call}"),
		metric.WithDescription("Calls to the issuer's refresh handler by a verifier's middleware; jwtrot.issuer.refresh.result is resigned, unneeded or failed.")); err != nil {
		return err
	}
	_, err = m.Float64ObservableGauge("jwtrot.jwks.document.age", metric.WithUnit("s"),
		metric.WithDescription("Seconds since the issuer last confirmed the JWKS document the verifier serves (a fetch that succeeded, 304 included)."),
		metric.WithFloat64Callback(func(_ context.Context, obs metric.Float64Observer) error {
			now := o.clock.Now()
			o.mu.Lock()
			defer o.mu.Unlock()
			for p, t := range o.ages {
				obs.Observe(max(now.Sub(t).Seconds(), 0), metric.WithAttributes(attribute.String("jwtrot.purpose", p)))
			}
			return nil
		}))
	return err
}

// FetchObserver returns the function to pass to jwks.WithObserver for the
// JWKS client of purpose (the one given to jwks.WithPurpose):
//
//	c, err := jwks.NewClient(url, jwks.WithObserver(obs.FetchObserver("access")))
//
// It counts fetches by cause and result, times them, and records the
// document's key count, whether it is stale, and its age: how long ago the
// issuer last confirmed it.
func (o *Observer) FetchObserver(purpose string) func(jwks.FetchEvent) {
	o.mu.Lock()
	p := attribute.String("jwtrot.purpose", o.labels.Purpose(purpose))
	o.mu.Unlock()
	only := metric.WithAttributeSet(attribute.NewSet(p))
	return func(ev jwks.FetchEvent) {
		cause, result := obslabels.FetchCause(ev), obslabels.FetchResult(ev)
		ctx := context.Background()
		o.fetches.Add(ctx, 1, metric.WithAttributes(p, attribute.String("jwtrot.jwks.cause", cause), attribute.String("jwtrot.jwks.result", result)))
		o.fetchDuration.Record(ctx, ev.Duration.Seconds(), only)
		o.jwksKeys.Record(ctx, int64(ev.Keys), only)
		stale := int64(0)
		if ev.Stale {
			stale = 1
		}
		o.jwksStale.Record(ctx, stale, only)
		if ev.Err == nil {
			now := o.clock.Now()
			o.mu.Lock()
			o.ages[p.Value.AsString()] = now
			o.mu.Unlock()
		}
	}
}

// ObserveIssuerRefresh records one call to the issuer's refresh handler;
// pass it to httpauth.WithRefreshObserver on a middleware over a
// jwtrot.Verifier, so that jwtrot.resigned counts the re-signs the issuer
// made for it, as it counts an Authority's own.
func (o *Observer) ObserveIssuerRefresh(ev httpauth.IssuerRefresh) {
	o.mu.Lock()
	attrs := []attribute.KeyValue{attribute.String("jwtrot.purpose", o.labels.Purpose(ev.Purpose))}
	if ev.RootID != "" {
		attrs = append(attrs, attribute.String("jwtrot.root", o.labels.Root(ev.RootID)))
	}
	o.mu.Unlock()
	result := obslabels.RefreshResult(ev)
	ctx := context.Background()
	o.refreshes.Add(ctx, 1, metric.WithAttributes(attrs[0], attribute.String("jwtrot.issuer.refresh.result", result)))
	if result == "resigned" {
		o.resigned.Add(ctx, 1, metric.WithAttributes(attrs...))
	}
}
