package jwtrototel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/extra/jwtrototel"
	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/internal/scripted"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// attrSets returns, per instrument, every data point's attribute set.
func attrSets(t *testing.T, reader *sdkmetric.ManualReader) map[string][]attribute.Set {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string][]attribute.Set{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[m.Name] = append(out[m.Name], p.Attributes)
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					out[m.Name] = append(out[m.Name], p.Attributes)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					out[m.Name] = append(out[m.Name], p.Attributes)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out[m.Name] = append(out[m.Name], p.Attributes)
				}
			}
		}
	}
	return out
}

// TestNoEmptyAttribute: a refusal before any key was chosen has no
// jwtrot.root attribute, never an empty one; no attribute is empty.
func TestNoEmptyAttribute(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	obs, _ := jwtrototel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	scripted.Run(t, obs.Observe)
	obs.Observe(jwtrot.Outcome{Code: "malformed", Purpose: ""})
	noRoot := false
	for name, sets := range attrSets(t, reader) {
		for _, s := range sets {
			for _, kv := range s.ToSlice() {
				if kv.Value.AsString() == "" {
					t.Errorf("%s has %s=\"\"", name, kv.Key)
				}
			}
			if _, ok := s.Value("jwtrot.root"); !ok && name == "jwtrot.verifications" {
				noRoot = true
			}
		}
	}
	if !noRoot {
		t.Error("no verification without jwtrot.root: the malformed tokens have a root?")
	}
}

// TestCardinalityBound: as in jwtrotprom, outcomes and events no
// configuration gives leave every attribute within its fixed set.
func TestCardinalityBound(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	obs, _ := jwtrototel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	root, _ := rotation.NewRoot("main", []byte("the root of the metrics test, 32 bytes or more"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root})
	a, _ := jwtrot.New(d, jwtrot.WithObserver(obs.Observe))
	for i := range 100 {
		evil, _ := rotation.NewRoot(fmt.Sprintf("evil%d", i), []byte("an attacker's root, 32 bytes or more......"))
		ed, _ := rotation.NewDeriver([]*rotation.Root{evil})
		ea, _ := jwtrot.New(ed)
		tok, _ := ea.Sign(jwt.RegisteredClaims{Subject: "x"})
		a.Verify(context.Background(), tok, nil)
	}
	for i := range 500 {
		p := fmt.Sprintf("p%d", i%100)
		obs.Observe(jwtrot.Outcome{Code: fmt.Sprintf("made-up-%d", i%7), Purpose: p, RootID: fmt.Sprintf("r%d", i)})
		obs.Observe(jwtrot.Outcome{Position: rotation.Position(i%9 - 4), Purpose: p, RootID: fmt.Sprintf("r%d", i)})
		obs.FetchObserver(p)(jwks.FetchEvent{Cause: fmt.Sprintf("c%d", i)})
		obs.ObserveIssuerRefresh(httpauth.IssuerRefresh{Purpose: p, RootID: fmt.Sprintf("r%d", i), Result: fmt.Sprintf("x%d", i)})
	}
	fixed := map[attribute.Key][]string{
		"error.type":                   append(jwtrot.Codes(), "other", "store_error"),
		"jwtrot.window.position":       {"previous", "current", "next", "none"},
		"jwtrot.jwks.cause":            {"start", "schedule", "retry", "miss", "other"},
		"jwtrot.jwks.result":           {"changed", "unchanged", "error"},
		"jwtrot.issuer.refresh.result": {"resigned", "unneeded", "failed"},
	}
	limits := map[attribute.Key]int{"jwtrot.purpose": jwtrototel.MaxPurposes + 2, "jwtrot.root": jwtrototel.MaxRoots + 2}
	for name, sets := range attrSets(t, reader) {
		seen := map[attribute.Key]map[string]bool{}
		for _, s := range sets {
			for _, kv := range s.ToSlice() {
				v := kv.Value.AsString()
				if set, ok := fixed[kv.Key]; ok && !slices.Contains(set, v) {
					t.Errorf("%s{%s=%q}: not in the fixed set", name, kv.Key, v)
				}
				if seen[kv.Key] == nil {
					seen[kv.Key] = map[string]bool{}
				}
				seen[kv.Key][v] = true
			}
		}
		for k, limit := range limits {
			if len(seen[k]) > limit {
				t.Errorf("%s has %d values of %s, over %d", name, len(seen[k]), k, limit)
			}
		}
		if name == "jwtrot.verifications" {
			bound := (3 + len(jwtrot.Codes()) + 1) * (jwtrototel.MaxPurposes + 2) * (jwtrototel.MaxRoots + 2)
			if len(sets) > bound {
				t.Errorf("%d verification series, over %d", len(sets), bound)
			}
			t.Logf("verification series: %d (bound %d)", len(sets), bound)
		}
	}
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func gaugeValue(t *testing.T, reader *sdkmetric.ManualReader, name string) float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	reader.Collect(context.Background(), &rm)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Gauge[int64]:
				return float64(d.DataPoints[0].Value)
			case metricdata.Gauge[float64]:
				return d.DataPoints[0].Value
			}
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}

// TestFetchObserver: a real JWKS client's first fetch, then a failure and
// a recovery.
func TestFetchObserver(t *testing.T) {
	clk := &testClock{t: time.Now()}
	reader := sdkmetric.NewManualReader()
	obs, err := jwtrototel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), jwtrototel.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	root, _ := rotation.NewRoot("main", []byte("the root of the metrics test, 32 bytes or more"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA))
	h, _ := jwks.NewHandler(d, time.Hour)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	sched, _ := rotation.NewSchedule()
	c, err := jwks.NewClient(srv.URL, jwks.WithSchedule(sched), jwks.WithObserver(obs.FetchObserver("access")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	clk.Add(90 * time.Second)
	if got := total(sums(t, reader, "jwtrot.jwks.fetches"), map[string]string{"jwtrot.jwks.cause": "start", "jwtrot.jwks.result": "changed"}); got != 1 {
		t.Errorf("start fetches %d", got)
	}
	if age := gaugeValue(t, reader, "jwtrot.jwks.document.age"); age != 90 {
		t.Errorf("age %v, want 90", age)
	}
	if keys := gaugeValue(t, reader, "jwtrot.jwks.keys"); keys < 3 {
		t.Errorf("keys %v", keys)
	}
	f := obs.FetchObserver("access")
	f(jwks.FetchEvent{Cause: "schedule", Err: fmt.Errorf("cannot reach the issuer"), Stale: true, Keys: 5})
	clk.Add(10 * time.Minute)
	if stale, age := gaugeValue(t, reader, "jwtrot.jwks.stale"), gaugeValue(t, reader, "jwtrot.jwks.document.age"); stale != 1 || age != 690 {
		t.Errorf("stale %v age %v, want 1 690", stale, age)
	}
	f(jwks.FetchEvent{Cause: "retry", Status: 304, Keys: 5})
	if stale, age := gaugeValue(t, reader, "jwtrot.jwks.stale"), gaugeValue(t, reader, "jwtrot.jwks.document.age"); stale != 0 || age != 0 {
		t.Errorf("stale %v age %v, want 0 0", stale, age)
	}
}

// TestIssuerRefreshCounted: the issuer's re-signs for a Verifier's
// middleware count in jwtrot.resigned.
func TestIssuerRefreshCounted(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC)}
	root, _ := rotation.NewRoot("main", []byte("the root of the metrics test, 32 bytes or more"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithClock(clk))
	a, _ := jwtrot.New(d)
	refresh, _ := httpauth.NewRefreshHandler(a)
	issuer := httptest.NewServer(refresh)
	t.Cleanup(issuer.Close)
	doc, _ := jwks.Export(context.Background(), d, clk.Now(), 2*time.Hour)
	sched, _ := rotation.NewSchedule(rotation.WithClock(clk))
	set, _ := jwks.Parse(doc, sched)
	reader := sdkmetric.NewManualReader()
	obs, _ := jwtrototel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	v, _ := jwtrot.NewVerifier(set, jwtrot.WithObserver(obs.Observe))
	mw, err := httpauth.New(v, httpauth.WithIssuerRefresh(issuer.URL, time.Second), httpauth.WithRefreshObserver(obs.ObserveIssuerRefresh))
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "u-1"})
	clk.Add(10 * time.Minute) // a window
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(w, r)
	if w.Header().Get(httpauth.DefaultRefreshHeader) == "" {
		t.Fatal("no refresh")
	}
	if got := total(sums(t, reader, "jwtrot.resigned"), map[string]string{"jwtrot.root": "main", "jwtrot.purpose": "access"}); got != 1 {
		t.Errorf("jwtrot.resigned %d, want 1", got)
	}
	if got := total(sums(t, reader, "jwtrot.issuer.refreshes"), map[string]string{"jwtrot.issuer.refresh.result": "resigned"}); got != 1 {
		t.Errorf("jwtrot.issuer.refreshes %d, want 1", got)
	}
}
