package jwtrototel_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jwtrot/jwtrot/extra/jwtrototel"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/rotation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestStateObserver(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	o, err := jwtrototel.NewStateObserver(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	if err != nil {
		t.Fatal(err)
	}
	o.ObserveKeyring(rotation.KeyringEvent{Changed: true, Serial: 3, Roots: 2, Deferred: []string{"b"}})
	o.ObserveKeyring(rotation.KeyringEvent{Err: errors.New("rotation: keyring: bad"), Serial: 3, Roots: 2})
	o.ReadyObserver()(jwks.FetchEvent{Ready: true})
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[m.Name] += p.Value
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					got[m.Name] = p.Value
				}
			}
		}
	}
	for name, want := range map[string]int64{"jwtrot.keyring.reads": 2, "jwtrot.keyring.deferred_roots": 1, "jwtrot.keyring.serial": 3,
		"jwtrot.keyring.verifying_roots": 2, "jwtrot.keyring.refused": 1, "jwtrot.jwks.ready": 1} {
		if got[name] != want {
			t.Errorf("%s = %d, want %d", name, got[name], want)
		}
	}
}
