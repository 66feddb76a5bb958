package jwtrotprom

import (
	"sync"
	"time"

	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/internal/obslabels"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/prometheus/client_golang/prometheus"
)

// FetchBuckets are the bounds, in seconds, of the JWKS fetch duration
// histogram: 5 ms to about 10 s, a fetch's default timeout being 5 s.
var FetchBuckets = prometheus.ExponentialBuckets(0.005, 2, 12)

func (o *Observer) newFetchMetrics(clk Clock) {
	o.fetches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jwtrot_jwks_fetches_total",
		Help: "JWKS fetches by a verifier, by cause (start, schedule, retry, miss, other) and result (changed, unchanged, error).",
	}, []string{"purpose", "cause", "result"})
	o.fetchDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "jwtrot_jwks_fetch_duration_seconds",
		Help:    "How long a JWKS fetch took, failed ones included.",
		Buckets: FetchBuckets,
	}, []string{"purpose"})
	o.jwksKeys = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "jwtrot_jwks_keys",
		Help: "Keys in the JWKS document the verifier serves.",
	}, []string{"purpose"})
	o.jwksStale = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "jwtrot_jwks_stale",
		Help: "1 while the last JWKS fetch failed and the verifier serves the last good document, else 0.",
	}, []string{"purpose"})
	o.jwksAge = &ageCollector{clock: clk, last: map[string]time.Time{}, desc: prometheus.NewDesc(
		"jwtrot_jwks_document_age_seconds",
		"Seconds since the issuer last confirmed the JWKS document the verifier serves (a fetch that succeeded, 304 included).",
		[]string{"purpose"}, nil)}
	o.refreshes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jwtrot_issuer_refreshes_total",
		Help: "Calls to the issuer's refresh handler by a verifier's middleware (httpauth.WithIssuerRefresh), by result (resigned, unneeded, failed).",
	}, []string{"purpose", "result"})
}

// FetchObserver returns the function to pass to jwks.WithObserver for the
// JWKS client of purpose (the one given to jwks.WithPurpose):
//
//	c, err := jwks.NewClient(url, jwks.WithObserver(obs.FetchObserver("access")))
//
// It counts fetches by cause and result, times them, and publishes the
// document's key count, whether it is stale, and its age: how long ago the
// issuer last confirmed it.
func (o *Observer) FetchObserver(purpose string) func(jwks.FetchEvent) {
	o.mu.Lock()
	p := o.labels.Purpose(purpose)
	o.mu.Unlock()
	return func(ev jwks.FetchEvent) {
		cause, result := obslabels.FetchCause(ev), obslabels.FetchResult(ev)
		o.fetches.WithLabelValues(p, cause, result).Inc()
		o.fetchDuration.WithLabelValues(p).Observe(ev.Duration.Seconds())
		o.jwksKeys.WithLabelValues(p).Set(float64(ev.Keys))
		stale := 0.0
		if ev.Stale {
			stale = 1
		}
		o.jwksStale.WithLabelValues(p).Set(stale)
		if ev.Err == nil {
			o.jwksAge.confirmed(p)
		}
	}
}

// ObserveIssuerRefresh counts one call to the issuer's refresh handler;
// pass it to httpauth.WithRefreshObserver on a middleware over a
// jwtrot.Verifier, so that jwtrot_resigned_total counts the re-signs the
// issuer made for it, as it counts an Authority's own:
//
//	mw, err := httpauth.New(verifier, httpauth.WithIssuerRefresh(url, 0),
//		httpauth.WithRefreshObserver(obs.ObserveIssuerRefresh))
func (o *Observer) ObserveIssuerRefresh(ev httpauth.IssuerRefresh) {
	o.mu.Lock()
	purpose, root := o.labels.Purpose(ev.Purpose), o.labels.Root(ev.RootID)
	o.mu.Unlock()
	result := obslabels.RefreshResult(ev)
	o.refreshes.WithLabelValues(purpose, result).Inc()
	if result == "resigned" {
		o.resigned.WithLabelValues(purpose, root).Inc()
	}
}

// ageCollector publishes each purpose's document age at scrape time.
type ageCollector struct {
	clock Clock
	desc  *prometheus.Desc
	mu    sync.Mutex
	last  map[string]time.Time
}

func (a *ageCollector) confirmed(purpose string) {
	now := a.clock.Now()
	a.mu.Lock()
	a.last[purpose] = now
	a.mu.Unlock()
}

func (a *ageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- a.desc }

func (a *ageCollector) Collect(ch chan<- prometheus.Metric) {
	now := a.clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, t := range a.last {
		ch <- prometheus.MustNewConstMetric(a.desc, prometheus.GaugeValue, max(now.Sub(t).Seconds(), 0), p)
	}
}
