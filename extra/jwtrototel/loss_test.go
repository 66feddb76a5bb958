package jwtrototel_test

import (
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/extra/jwtrototel"
	"github.com/jwtrot/jwtrot/jwtrot"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

type fixed time.Time

func (c fixed) Now() time.Time { return time.Time(c) }

// Each loss a RevocationList records is counted with its cause and policy.
func TestLossObserver(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	obs, err := jwtrototel.NewLossObserver(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	refuse := jwtrot.NewRevocationList(fixed(now), jwtrot.ListOnLoss(obs.ObserveLoss), jwtrot.ListMaxAge(time.Hour))
	accept := jwtrot.NewRevocationList(fixed(now), jwtrot.ListOnLoss(obs.ObserveLoss), jwtrot.ListLossPolicy(jwtrot.AcceptAfterLoss), jwtrot.ListMaxAge(time.Hour))
	refuse.Forget(now)
	refuse.Forget(now.Add(time.Second))
	accept.Forget(now)
	points := sums(t, reader, "jwtrot.revocation.losses")
	if got := total(points, map[string]string{"jwtrot.store": "memory", "jwtrot.loss.cause": "reset", "jwtrot.loss.policy": "refuse"}); got != 2 {
		t.Errorf("refuse: %d losses, want 2", got)
	}
	if got := total(points, map[string]string{"jwtrot.loss.policy": "accept"}); got != 1 {
		t.Errorf("accept: %d losses, want 1", got)
	}
	if _, err := jwtrototel.NewLossObserver(nil); err == nil {
		t.Error("a nil provider was accepted")
	}
}
