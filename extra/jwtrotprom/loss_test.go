package jwtrotprom_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/extra/jwtrotprom"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A RevocationList's Forget is counted, with the instant until which
// earlier tokens are refused.
func TestLossObserver(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	obs, err := jwtrotprom.NewLossObserver(reg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	list := jwtrot.NewRevocationList(fixed(now), jwtrot.ListOnLoss(obs.ObserveLoss), jwtrot.ListMaxAge(time.Hour))
	list.Forget(now)
	if _, err := list.Revoked(context.Background(), jwtrot.TokenInfo{Subject: "a", IssuedAt: now.Add(-time.Minute)}); !errors.Is(err, jwtrot.ErrRevocationsLost) {
		t.Fatalf("a token issued before the loss: %v", err)
	}
	// Until: 04:00 UTC, the loss plus the maximum age, 1796616000.
	want := `
# HELP jwtrot_revocation_loss_until_seconds Unix time until which tokens issued before the last detected loss may be covered by a forgotten revocation (refused under the refuse policy).
# TYPE jwtrot_revocation_loss_until_seconds gauge
jwtrot_revocation_loss_until_seconds{store="memory"} 1.796616e+09
# HELP jwtrot_revocation_losses_total Losses of revocations a Revoker detected, by store, cause (marker_missing, marker_changed, recorded, failover, eviction, reset) and policy (refuse, accept).
# TYPE jwtrot_revocation_losses_total counter
jwtrot_revocation_losses_total{cause="reset",policy="refuse",store="memory"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	if _, err := jwtrotprom.NewLossObserver(reg); err == nil {
		t.Fatal("registered twice")
	}
}

type fixed time.Time

func (c fixed) Now() time.Time { return time.Time(c) }
