package jwtrotprom_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/extra/jwtrotprom"
	"github.com/jwtrot/jwtrot/internal/scripted"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestScriptedCounts scrapes the registry after a scripted sequence of
// accepts, refreshes and every refusal reason, and compares each series
// with what the script caused.
func TestScriptedCounts(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	obs, err := jwtrotprom.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	want := scripted.Run(t, obs.Observe)

	for _, code := range jwtrot.Codes() {
		got := sumOver(t, reg, "jwtrot_verifications_total", map[string]string{"result": "refused", "code": code, "position": "none"})
		if int(got) != want.ByCode[code] || got == 0 {
			t.Errorf("refused %s: %v; want %d", code, got, want.ByCode[code])
		}
	}
	for pos, n := range want.Accepted {
		if got := sumOver(t, reg, "jwtrot_verifications_total", map[string]string{"result": "accepted", "position": pos, "code": "none"}); int(got) != n {
			t.Errorf("accepted %s: %v; want %d", pos, got, n)
		}
	}
	checks := []struct {
		metric string
		labels map[string]string
		want   int
	}{
		{"jwtrot_resigned_total", map[string]string{"purpose": "access", "root": "main"}, want.Resigned},
		{"jwtrot_store_checks_total", map[string]string{"result": "error"}, want.StoreFailures},
		{"jwtrot_store_checks_total", nil, want.StoreChecks},
		{"jwtrot_key_source_failures_total", nil, want.KeySourceFailures},
		{"jwtrot_verifications_total", nil, want.Total},
	}
	for _, c := range checks {
		if got := sumOver(t, reg, c.metric, c.labels); int(got) != c.want {
			t.Errorf("%s%v = %v; want %d", c.metric, c.labels, got, c.want)
		}
	}
	if got := histogramCount(t, reg, "jwtrot_verification_duration_seconds"); got != uint64(want.Total) {
		t.Errorf("duration histogram counted %d; want %d", got, want.Total)
	}
	// No label names a window, a subject or a token.
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v := lp.GetValue(); strings.Contains(v, ":") || strings.HasPrefix(v, "eyJ") || v == "alice" {
					t.Errorf("%s has label %s=%q", mf.GetName(), lp.GetName(), v)
				}
			}
		}
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(""), "jwtrot_root_info"); err != nil {
		t.Errorf("root info before ObserveRoots: %v", err)
	}
}

// sumOver adds the values of every series of metric whose labels include
// labels.
func sumOver(t *testing.T, reg *prometheus.Registry, metric string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != metric {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue series
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

func histogramCount(t *testing.T, reg *prometheus.Registry, metric string) uint64 {
	t.Helper()
	mfs, _ := reg.Gather()
	var n uint64
	for _, mf := range mfs {
		if mf.GetName() == metric {
			for _, m := range mf.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}

// TestRootInfo publishes the fingerprints of two roots; the registry shows
// ids and fingerprints, never the roots.
func TestRootInfo(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	obs, err := jwtrotprom.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	newRoot, _ := rotation.NewRoot("new", []byte("the new root of the metrics test, 32 bytes+"))
	oldRoot, _ := rotation.NewRoot("old", []byte("the old root of the metrics test, 32 bytes+"))
	if err := obs.ObserveRoots(context.Background(), "access", []*rotation.Root{newRoot, oldRoot}); err != nil {
		t.Fatal(err)
	}
	fpNew, _ := newRoot.Fingerprint(context.Background())
	fpOld, _ := oldRoot.Fingerprint(context.Background())
	want := `
# HELP jwtrot_root_info 1 for each root this process holds, with its public fingerprint (SPEC.md §8): every instance of a fleet should report the same set.
# TYPE jwtrot_root_info gauge
jwtrot_root_info{fingerprint="` + fpNew + `",position="issuing",purpose="access",root="new"} 1
jwtrot_root_info{fingerprint="` + fpOld + `",position="verifying",purpose="access",root="old"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "jwtrot_root_info"); err != nil {
		t.Fatal(err)
	}
	if _, err := jwtrotprom.New(reg); err == nil {
		t.Fatal("a second Observer on one registry was not refused")
	}
	if _, err := jwtrotprom.New(prometheus.NewRegistry(), jwtrotprom.WithBuckets(nil)); err == nil {
		t.Fatal("empty buckets were not refused")
	}
}

// TestObserveAllocatesNothing: after the first outcome of a kind, Observe
// allocates nothing.
func TestObserveAllocatesNothing(t *testing.T) {
	obs, _ := jwtrotprom.New(prometheus.NewRegistry())
	o := jwtrot.Outcome{Position: rotation.Current, Purpose: "access", RootID: "main", Duration: 3 * time.Microsecond}
	obs.Observe(o)
	if n := testing.AllocsPerRun(100, func() { obs.Observe(o) }); n != 0 {
		t.Fatalf("Observe allocates %v times", n)
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// gaugeOf returns the one series of a gauge family as a Collector for
// testutil.ToFloat64.
func gaugeOf(t *testing.T, reg *prometheus.Registry, metric string) prometheus.Collector {
	t.Helper()
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == metric && len(mf.GetMetric()) == 1 {
			g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "copy"})
			g.Set(mf.GetMetric()[0].GetGauge().GetValue())
			return g
		}
	}
	t.Fatalf("no single series of %s", metric)
	return nil
}
