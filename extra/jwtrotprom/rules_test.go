package jwtrotprom_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/extra/jwtrotprom"
	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/internal/scripted"
	"github.com/jwtrot/jwtrot/internal/tooltest"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

const (
	rulesFile     = "alerts/jwtrot.rules.yml"
	rulesTestFile = "alerts/jwtrot.rules_test.yml"
	dashboardFile = "dashboards/jwtrot.json"
)

func promtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	bin := tooltest.Require(t, "promtool")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestRulesPromtool: the alert rules pass promtool check rules, and their
// unit tests promtool test rules.
func TestRulesPromtool(t *testing.T) {
	promtool(t, "alerts", "check", "rules", filepath.Base(rulesFile))
	promtool(t, "alerts", "test", "rules", filepath.Base(rulesTestFile))
}

// dashboardExprs returns every PromQL query of the dashboard: its panels'
// targets and its variables' queries.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	var out []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			out = append(out, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Definition != "" {
			out = append(out, v.Definition)
		}
	}
	return out
}

// TestDashboardPromtool: every query of the dashboard parses as PromQL
// (promtool checks them as recording rules, Grafana's variables replaced).
func TestDashboardPromtool(t *testing.T) {
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	labelValues := regexp.MustCompile(`^label_values\((.*), *[a-z_]+\)$`)
	for i, e := range dashboardExprs(t) {
		if m := labelValues.FindStringSubmatch(e); m != nil {
			e = m[1] // Grafana's function; its argument is PromQL
		}
		e = strings.NewReplacer("$__rate_interval", "5m", "$job", ".*", "$instance", ".*").Replace(e)
		q, _ := json.Marshal(e)
		rules.WriteString("      - record: dashboard:query_" + strconv.Itoa(i) + "\n        expr: " + string(q) + "\n")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dashboard.rules.yml"), []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	promtool(t, dir, "check", "rules", "dashboard.rules.yml")
}

var metricName = regexp.MustCompile(`\bjwtrot_[a-z0-9_]+`)

// exported returns the names of every series the adapter exports once each
// kind of event has been seen, histograms' _bucket, _sum and _count
// included.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	obs, err := jwtrotprom.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	scripted.Run(t, obs.Observe)
	obs.FetchObserver("access")(jwks.FetchEvent{Cause: "start", Changed: true, Keys: 3})
	obs.ObserveIssuerRefresh(httpauth.IssuerRefresh{Purpose: "access", RootID: "main", Result: "resigned"})
	root, _ := rotation.NewRoot("main", []byte("the root of the metrics test, 32 bytes or more"))
	if err := obs.ObserveRoots(context.Background(), "access", []*rotation.Root{root}); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[mf.GetName()+s] = true
			}
		}
	}
	return names
}

// TestQueriesNameExportedMetrics: every metric the alert rules, their unit
// tests and the dashboard name is one the adapter exports, so no panel
// stays empty and no alert waits on a series that never comes.
func TestQueriesNameExportedMetrics(t *testing.T) {
	have := exported(t)
	rules, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{
		rulesFile:     string(rules),
		rulesTestFile: string(tests),
		dashboardFile: strings.Join(dashboardExprs(t), "\n"),
	}
	for file, text := range sources {
		names := metricName.FindAllString(text, -1)
		if len(names) == 0 {
			t.Errorf("%s names no jwtrot metric", file)
		}
		var missing []string
		for _, n := range names {
			if !have[n] {
				missing = append(missing, n)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s names metrics the adapter does not export: %s", file, strings.Join(missing, ", "))
		}
	}
}
