package jwtrotprom_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/extra/jwtrotprom"
	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/internal/scripted"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"sync"
)

// labelValues gathers, per metric and label name, the set of values seen,
// and fails on an empty one.
func labelValues(t *testing.T, reg *prometheus.Registry) (map[string]map[string]map[string]bool, map[string]int) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]map[string]map[string]bool{}
	series := map[string]int{}
	for _, mf := range mfs {
		values[mf.GetName()] = map[string]map[string]bool{}
		series[mf.GetName()] = len(mf.GetMetric())
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetValue() == "" {
					t.Errorf("%s has %s=\"\"", mf.GetName(), lp.GetName())
				}
				if values[mf.GetName()][lp.GetName()] == nil {
					values[mf.GetName()][lp.GetName()] = map[string]bool{}
				}
				values[mf.GetName()][lp.GetName()][lp.GetValue()] = true
			}
		}
	}
	return values, series
}

// TestNoEmptyLabel: a refusal before any key was chosen (a malformed
// token, a kid of no known root) has root="none", never root="".
func TestNoEmptyLabel(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	obs, _ := jwtrotprom.New(reg)
	scripted.Run(t, obs.Observe)
	root, _ := rotation.NewRoot("main", []byte("the root of the metrics test, 32 bytes or more"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root})
	a, _ := jwtrot.New(d, jwtrot.WithObserver(obs.Observe))
	a.Verify(context.Background(), "not.a.token", nil)
	obs.Observe(jwtrot.Outcome{Code: "malformed", Purpose: ""})
	values, _ := labelValues(t, reg)
	if !values["jwtrot_verifications_total"]["root"]["none"] || !values["jwtrot_verifications_total"]["purpose"]["none"] {
		t.Errorf("root values %v, purpose values %v: want none among them", values["jwtrot_verifications_total"]["root"], values["jwtrot_verifications_total"]["purpose"])
	}
}

// TestCardinalityBound floods the Observer with what no configuration
// gives (tokens naming two hundred roots, made-up codes and positions, a
// hundred purposes, unknown fetch causes and refresh results) and checks
// that every label takes values from its fixed set and that the series
// stay within the bound the sets give.
func TestCardinalityBound(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	obs, _ := jwtrotprom.New(reg)
	root, _ := rotation.NewRoot("main", []byte("the root of the metrics test, 32 bytes or more"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root})
	a, _ := jwtrot.New(d, jwtrot.WithObserver(obs.Observe))
	// Attackers' tokens: kids of two hundred roots nobody holds.
	for i := range 200 {
		evil, _ := rotation.NewRoot(fmt.Sprintf("evil%d", i), []byte("an attacker's root, 32 bytes or more......"))
		ed, _ := rotation.NewDeriver([]*rotation.Root{evil})
		ea, _ := jwtrot.New(ed)
		tok, _ := ea.Sign(jwt.RegisteredClaims{Subject: "x"})
		a.Verify(context.Background(), tok, nil)
	}
	// Outcomes built by hand, beyond what jwtrot produces.
	for i := range 500 {
		obs.Observe(jwtrot.Outcome{Code: fmt.Sprintf("made-up-%d", i%7), Purpose: fmt.Sprintf("p%d", i%100), RootID: fmt.Sprintf("r%d", i)})
		obs.Observe(jwtrot.Outcome{Position: rotation.Position(i%9 - 4), Purpose: fmt.Sprintf("p%d", i%100), RootID: fmt.Sprintf("r%d", i)})
		obs.FetchObserver(fmt.Sprintf("p%d", i%100))(jwks.FetchEvent{Cause: fmt.Sprintf("c%d", i)})
		obs.ObserveIssuerRefresh(httpauth.IssuerRefresh{Purpose: fmt.Sprintf("p%d", i%100), RootID: fmt.Sprintf("r%d", i), Result: fmt.Sprintf("x%d", i)})
	}
	values, series := labelValues(t, reg)
	codes := append(jwtrot.Codes(), "other", "none")
	fixed := map[string][]string{
		"result":   {"accepted", "refused", "ok", "error", "changed", "unchanged", "resigned", "unneeded", "failed"},
		"code":     codes,
		"position": {"previous", "current", "next", "none"},
		"cause":    {"start", "schedule", "retry", "miss", "other"},
	}
	for metric, labels := range values {
		for name, vs := range labels {
			if set, ok := fixed[name]; ok {
				for v := range vs {
					if !slices.Contains(set, v) {
						t.Errorf("%s{%s=%q}: not in the fixed set", metric, name, v)
					}
				}
			}
			limit := map[string]int{"purpose": jwtrotprom.MaxPurposes + 2, "root": jwtrotprom.MaxRoots + 2}[name]
			if limit > 0 && len(vs) > limit {
				t.Errorf("%s has %d values of %s, over %d", metric, len(vs), name, limit)
			}
		}
	}
	// The bound: per purpose and root, accepted in 3 positions plus every
	// code refused.
	purposes, roots := jwtrotprom.MaxPurposes+2, jwtrotprom.MaxRoots+2
	bound := (3 + len(jwtrot.Codes()) + 1) * purposes * roots
	if n := series["jwtrot_verifications_total"]; n > bound || n == 0 {
		t.Errorf("jwtrot_verifications_total has %d series; the bound is %d", n, bound)
	}
	if n := series["jwtrot_jwks_fetches_total"]; n > purposes*5*3 {
		t.Errorf("jwtrot_jwks_fetches_total has %d series", n)
	}
	if n := series["jwtrot_issuer_refreshes_total"]; n > purposes*3 {
		t.Errorf("jwtrot_issuer_refreshes_total has %d series", n)
	}
	t.Logf("series: verifications %d (bound %d), fetches %d, refreshes %d, resigned %d",
		series["jwtrot_verifications_total"], bound, series["jwtrot_jwks_fetches_total"], series["jwtrot_issuer_refreshes_total"], series["jwtrot_resigned_total"])
	// The attackers' roots made one series: root="none".
	if vs := values["jwtrot_verifications_total"]["root"]; vs["evil1"] || !vs["none"] {
		t.Errorf("a token's unknown root became a label value")
	}
}

// TestFetchObserver: a real JWKS client's first fetch, and then a failure
// and a recovery, as the metrics show them.
func TestFetchObserver(t *testing.T) {
	mock := &testClock{t: time.Now()}
	reg := prometheus.NewPedanticRegistry()
	obs, err := jwtrotprom.New(reg, jwtrotprom.WithClock(mock))
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
	mock.Add(90 * time.Second)
	want := func(stage, text string) {
		t.Helper()
		if err := testutil.GatherAndCompare(reg, stringsReader(text), "jwtrot_jwks_fetches_total", "jwtrot_jwks_stale", "jwtrot_jwks_document_age_seconds"); err != nil {
			t.Errorf("%s: %v", stage, err)
		}
	}
	const help = `
# HELP jwtrot_jwks_document_age_seconds Seconds since the issuer last confirmed the JWKS document the verifier serves (a fetch that succeeded, 304 included).
# TYPE jwtrot_jwks_document_age_seconds gauge
# HELP jwtrot_jwks_fetches_total JWKS fetches by a verifier, by cause (start, schedule, retry, miss, other) and result (changed, unchanged, error).
# TYPE jwtrot_jwks_fetches_total counter
# HELP jwtrot_jwks_stale 1 while the last JWKS fetch failed and the verifier serves the last good document, else 0.
# TYPE jwtrot_jwks_stale gauge
`
	want("start", help+`
jwtrot_jwks_document_age_seconds{purpose="access"} 90
jwtrot_jwks_fetches_total{cause="start",purpose="access",result="changed"} 1
jwtrot_jwks_stale{purpose="access"} 0
`)
	if keys := testutil.ToFloat64(gaugeOf(t, reg, "jwtrot_jwks_keys")); keys < 3 {
		t.Errorf("jwtrot_jwks_keys %v", keys)
	}
	if n := histogramCount(t, reg, "jwtrot_jwks_fetch_duration_seconds"); n != 1 {
		t.Errorf("fetch durations %d", n)
	}
	// The issuer goes away for a scheduled fetch, then comes back.
	f := obs.FetchObserver("access")
	f(jwks.FetchEvent{Cause: "schedule", Err: fmt.Errorf("cannot reach the issuer"), Stale: true, Keys: 5, Duration: time.Second})
	mock.Add(10 * time.Minute)
	want("stale", help+`
jwtrot_jwks_document_age_seconds{purpose="access"} 690
jwtrot_jwks_fetches_total{cause="schedule",purpose="access",result="error"} 1
jwtrot_jwks_fetches_total{cause="start",purpose="access",result="changed"} 1
jwtrot_jwks_stale{purpose="access"} 1
`)
	f(jwks.FetchEvent{Cause: "retry", Status: 304, Keys: 5, Duration: time.Millisecond})
	want("recovered", help+`
jwtrot_jwks_document_age_seconds{purpose="access"} 0
jwtrot_jwks_fetches_total{cause="retry",purpose="access",result="unchanged"} 1
jwtrot_jwks_fetches_total{cause="schedule",purpose="access",result="error"} 1
jwtrot_jwks_fetches_total{cause="start",purpose="access",result="changed"} 1
jwtrot_jwks_stale{purpose="access"} 0
`)
}

// TestIssuerRefreshCounted: a middleware over a Verifier whose refreshes
// go through the issuer counts the issuer's re-signs in
// jwtrot_resigned_total, as an Authority counts its own.
func TestIssuerRefreshCounted(t *testing.T) {
	mock := &testClock{t: time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC)}
	root, _ := rotation.NewRoot("main", []byte("the root of the metrics test, 32 bytes or more"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithClock(mock))
	a, _ := jwtrot.New(d)
	refresh, _ := httpauth.NewRefreshHandler(a)
	issuer := httptest.NewServer(refresh)
	t.Cleanup(issuer.Close)
	doc, _ := jwks.Export(context.Background(), d, mock.Now(), 2*time.Hour)
	sched, _ := rotation.NewSchedule(rotation.WithClock(mock))
	set, _ := jwks.Parse(doc, sched)

	reg := prometheus.NewPedanticRegistry()
	obs, _ := jwtrotprom.New(reg)
	v, _ := jwtrot.NewVerifier(set, jwtrot.WithObserver(obs.Observe))
	mw, err := httpauth.New(v, httpauth.WithIssuerRefresh(issuer.URL, time.Second), httpauth.WithRefreshObserver(obs.ObserveIssuerRefresh))
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "u-1"})
	mock.Add(10 * time.Minute) // a window
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Header().Get(httpauth.DefaultRefreshHeader) == "" {
		t.Fatal("no refresh")
	}
	if got := sumOver(t, reg, "jwtrot_resigned_total", map[string]string{"purpose": "access", "root": "main"}); got != 1 {
		t.Errorf("jwtrot_resigned_total %v, want 1", got)
	}
	if got := sumOver(t, reg, "jwtrot_issuer_refreshes_total", map[string]string{"result": "resigned"}); got != 1 {
		t.Errorf("jwtrot_issuer_refreshes_total{result=resigned} %v, want 1", got)
	}
	if got := sumOver(t, reg, "jwtrot_verifications_total", map[string]string{"position": "previous"}); got != 1 {
		t.Errorf("previous-window verifications %v", got)
	}
}

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
