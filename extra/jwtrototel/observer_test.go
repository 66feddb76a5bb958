package jwtrototel_test

import (
	"context"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/extra/jwtrototel"
	"github.com/jwtrot/jwtrot/internal/scripted"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// collect reads every data point of an Int64 sum.
func sums(t *testing.T, reader *sdkmetric.ManualReader, name string) []metricdata.DataPoint[int64] {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != jwtrototel.ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m.Data.(metricdata.Sum[int64]).DataPoints
			}
		}
	}
	return nil
}

func total(points []metricdata.DataPoint[int64], match map[string]string) int {
	n := 0
points:
	for _, p := range points {
		for k, v := range match {
			got, ok := p.Attributes.Value(attribute.Key(k))
			if v == "" && ok || v != "" && (!ok || got.AsString() != v) {
				continue points
			}
		}
		n += int(p.Value)
	}
	return n
}

// TestScriptedCounts reads the in-memory reader after a scripted sequence
// of accepts, refreshes and every refusal reason, and compares each count
// with what the script caused.
func TestScriptedCounts(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	obs, err := jwtrototel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	if err != nil {
		t.Fatal(err)
	}
	want := scripted.Run(t, obs.Observe)

	v := sums(t, reader, "jwtrot.verifications")
	for _, code := range jwtrot.Codes() {
		if got := total(v, map[string]string{"error.type": code}); got != want.ByCode[code] || got == 0 {
			t.Errorf("error.type=%s: %d; want %d", code, got, want.ByCode[code])
		}
	}
	for pos, n := range want.Accepted {
		if got := total(v, map[string]string{"jwtrot.window.position": pos, "error.type": ""}); got != n {
			t.Errorf("accepted %s: %d; want %d", pos, got, n)
		}
	}
	if got := total(v, nil); got != want.Total {
		t.Errorf("verifications %d; want %d", got, want.Total)
	}
	if got := total(sums(t, reader, "jwtrot.resigned"), map[string]string{"jwtrot.root": "main"}); got != want.Resigned {
		t.Errorf("resigned %d; want %d", got, want.Resigned)
	}
	store := sums(t, reader, "jwtrot.store.checks")
	if got := total(store, map[string]string{"error.type": "store_error"}); got != want.StoreFailures {
		t.Errorf("store errors %d; want %d", got, want.StoreFailures)
	}
	if got := total(store, nil); got != want.StoreChecks {
		t.Errorf("store checks %d; want %d", got, want.StoreChecks)
	}
	if got := total(sums(t, reader, "jwtrot.key_source.failures"), nil); got != want.KeySourceFailures {
		t.Errorf("key source failures %d; want %d", got, want.KeySourceFailures)
	}

	var rm metricdata.ResourceMetrics
	reader.Collect(context.Background(), &rm)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "jwtrot.verification.duration" {
				n := 0
				for _, p := range h.DataPoints {
					n += int(p.Count)
				}
				if n != want.Total || m.Unit != "s" {
					t.Errorf("duration histogram: %d points in %q; want %d in s", n, m.Unit, want.Total)
				}
			}
			// No attribute names a window, a subject or a token.
			if s, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, p := range s.DataPoints {
					for _, kv := range p.Attributes.ToSlice() {
						if val := kv.Value.AsString(); val == "alice" || len(val) > 40 {
							t.Errorf("%s has attribute %s=%q", m.Name, kv.Key, val)
						}
					}
				}
			}
		}
	}
}

func TestNilProvider(t *testing.T) {
	if _, err := jwtrototel.New(nil); err == nil {
		t.Fatal("a nil MeterProvider was accepted")
	}
}

// TestObserveAllocatesNothing: after the first outcome of a kind, Observe
// allocates nothing.
func TestObserveAllocatesNothing(t *testing.T) {
	obs, _ := jwtrototel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())))
	o := jwtrot.Outcome{Position: rotation.Current, Purpose: "access", RootID: "main", Duration: 3 * time.Microsecond}
	obs.Observe(o)
	if n := testing.AllocsPerRun(100, func() { obs.Observe(o) }); n != 0 {
		t.Fatalf("Observe allocates %v times", n)
	}
}
