package jwtrototel_test

import (
	"context"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/extra/jwtrototel"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func Example() {
	reader := sdkmetric.NewManualReader() // a periodic exporter in a server
	obs, err := jwtrototel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	if err != nil {
		panic(err)
	}
	root, _ := rotation.NewRoot("main", []byte("example root, never use a readable one: 0123456789"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(fixedClock(time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC))))
	auth, _ := jwtrot.New(d, jwtrot.WithObserver(obs.Observe))

	tok, _ := auth.Sign(jwt.RegisteredClaims{Subject: "alice"})
	auth.Verify(context.Background(), tok, nil)
	auth.Verify(context.Background(), tok[:len(tok)-2]+"AA", nil)

	var rm metricdata.ResourceMetrics
	reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name != "jwtrot.verifications" {
			continue
		}
		for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
			if e, ok := p.Attributes.Value("error.type"); ok {
				fmt.Println("refused, error.type =", e.AsString(), p.Value)
			} else {
				pos, _ := p.Attributes.Value("jwtrot.window.position")
				fmt.Println("accepted, position =", pos.AsString(), p.Value)
			}
		}
	}
	// Unordered output:
	// accepted, position = current 1
	// refused, error.type = bad_signature 1
}
