package jwtrotprom_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/extra/jwtrotprom"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fixedClock stops the clock at one instant, so that the token is verified
// in the window it was signed in.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func Example() {
	reg := prometheus.NewRegistry() // prometheus.DefaultRegisterer in a server
	obs, err := jwtrotprom.New(reg)
	if err != nil {
		panic(err)
	}
	root, _ := rotation.NewRoot("main", []byte("example root, never use a readable one: 0123456789"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(fixedClock(time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC))))
	auth, _ := jwtrot.New(d, jwtrot.WithObserver(obs.Observe))

	tok, _ := auth.Sign(jwt.RegisteredClaims{Subject: "alice"})
	auth.Verify(context.Background(), tok, nil)
	auth.Verify(context.Background(), tok[:len(tok)-2]+"AA", nil)

	n, _ := testutil.GatherAndCount(reg, "jwtrot_verifications_total")
	fmt.Println("series:", n)
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "jwtrot_verifications_total" {
			for _, m := range mf.GetMetric() {
				var labels []string
				for _, l := range m.GetLabel() {
					labels = append(labels, l.GetName()+"="+l.GetValue())
				}
				fmt.Println(strings.Join(labels, " "), m.GetCounter().GetValue())
			}
		}
	}
	// Output:
	// series: 2
	// code=bad_signature position=none purpose=access result=refused root=main 1
	// code=none position=current purpose=access result=accepted root=main 1
}
