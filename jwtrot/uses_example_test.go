package jwtrot_test

import (
	"context"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// A one-time token, for a password-reset link: the first verification
// accepts it, the next one refuses it. A RevocationList counts the uses in
// one process; for a fleet, use a shared counter such as
// github.com/jwtrot/jwtrot/extra/jwtrotredis.
func ExampleUsesClaim() {
	root, err := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	if err != nil {
		panic(err)
	}
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(mock))
	if err != nil {
		panic(err)
	}
	list := jwtrot.NewRevocationList(mock)
	a, err := jwtrot.New(d, jwtrot.WithRevoker(list), jwtrot.WithTTL(15*time.Minute))
	if err != nil {
		panic(err)
	}

	link, err := a.Sign(jwt.MapClaims{"sub": "alice", "purpose": "password-reset", jwtrot.UsesClaim: 1})
	if err != nil {
		panic(err)
	}
	for range 2 {
		_, err := a.Verify(context.Background(), link, nil)
		fmt.Printf("%q %q\n", jwtrot.Reason(err), jwtrot.Code(err))
	}
	// Output:
	// "" ""
	// "no more uses" "used_up"
}
