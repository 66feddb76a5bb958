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

// Log out everywhere, within one second: the token signed before the
// log-out is refused, the one signed after it accepted (SPEC §12.2).
func ExampleRevocationList_RevokeSubject() {
	root, err := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	if err != nil {
		panic(err)
	}
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 11, 22, 10, 42, 0, 200_000_000, time.UTC))
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(mock))
	if err != nil {
		panic(err)
	}
	list := jwtrot.NewRevocationList(mock)
	a, err := jwtrot.New(d, jwtrot.WithRevoker(list))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	stolen, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"}) // 10:42:00.2
	mock.Add(300 * time.Millisecond)
	list.RevokeSubject(ctx, "alice", mock.Now()) // 10:42:00.5
	mock.Add(200 * time.Millisecond)
	fresh, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"}) // 10:42:00.7

	for _, tok := range []string{stolen, fresh} {
		_, err := a.Verify(ctx, tok, nil)
		fmt.Printf("%q\n", jwtrot.Code(err))
	}
	// Output:
	// "revoked"
	// ""
}

// A process that lost its revocations (restarted, say) records the loss:
// tokens issued before it are refused with their own reason, tokens issued
// after it accepted (SPEC §12.3).
func ExampleRevocationList_Forget() {
	now := time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC)
	mock := clock.NewMock()
	mock.Set(now)
	// Used on its own, not through an Authority: it is told the maximum
	// age of the tokens it covers.
	list := jwtrot.NewRevocationList(mock, jwtrot.ListMaxAge(time.Hour), jwtrot.ListOnLoss(func(l jwtrot.RevocationLoss) {
		fmt.Println("loss:", l.Cause, l.Policy, "until", l.Until.Format(time.TimeOnly))
	}))
	list.Forget(now)
	ctx := context.Background()
	for _, iat := range []time.Time{now.Add(-time.Minute), now.Add(time.Second)} {
		_, err := list.Revoked(ctx, jwtrot.TokenInfo{Subject: "alice", IssuedAt: iat})
		fmt.Printf("issued %s: %q\n", iat.Format(time.TimeOnly), jwtrot.Code(err))
	}
	// Output:
	// loss: reset refuse until 11:42:00
	// issued 10:41:00: "revocations_lost"
	// issued 10:42:01: ""
}

// A one-time token, for a password-reset link: the first verification
// accepts it, the next one refuses it. A RevocationList counts the uses in
// one process; for a fleet, use a shared counter such as
// github.com/jwtrot/jwtrot/extra/jwtrotredis.
func ExampleUsesClaim() {
	root, err := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	if err != nil {
		panic(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root})
	if err != nil {
		panic(err)
	}
	list := jwtrot.NewRevocationList(rotation.SystemClock)
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
