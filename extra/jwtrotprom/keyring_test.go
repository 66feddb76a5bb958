package jwtrotprom_test

import (
	"errors"
	"testing"

	"github.com/jwtrot/jwtrot/extra/jwtrotprom"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestStateObserver(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	o, err := jwtrotprom.NewStateObserver(reg)
	if err != nil {
		t.Fatal(err)
	}
	o.ObserveKeyring(rotation.KeyringEvent{Changed: true, Serial: 3, Roots: 2, Issuing: "b", Deferred: []string{"b"}})
	o.ObserveKeyring(rotation.KeyringEvent{Err: errors.New("rotation: keyring: bad"), Serial: 3, Roots: 2})
	ready := o.ReadyObserver("access")
	ready(jwks.FetchEvent{Ready: false})
	if got := gaugeValue(t, reg, "jwtrot_jwks_ready"); got != 0 {
		t.Errorf("ready %v before the first document", got)
	}
	ready(jwks.FetchEvent{Ready: true})
	for name, want := range map[string]float64{
		"jwtrot_keyring_serial": 3, "jwtrot_keyring_verifying_roots": 2, "jwtrot_keyring_refused": 1,
		"jwtrot_keyring_deferred_roots_total": 1, "jwtrot_jwks_ready": 1,
	} {
		if got := gaugeValue(t, reg, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if n, err := testutil.GatherAndCount(reg, "jwtrot_keyring_reads_total"); err != nil || n != 2 {
		t.Errorf("reads series %d, %v; want changed and refused", n, err)
	}
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if m.Gauge != nil {
				return m.Gauge.GetValue()
			}
			return m.Counter.GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
