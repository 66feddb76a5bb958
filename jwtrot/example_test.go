package jwtrot_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// Issue a token and verify it.
func Example() {
	// In production: rotation.RootFromFile("main", "/run/secrets/jwt-root"),
	// the same root on every instance.
	root, err := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	if err != nil {
		panic(err)
	}
	// A simulated clock at a fixed date, so the output is stable; in
	// production, leave rotation.WithClock out.
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, err := rotation.NewDeriver([]*rotation.Root{root},
		rotation.WithWindow(10*time.Minute), rotation.WithClock(mock))
	if err != nil {
		panic(err)
	}
	a, err := jwtrot.New(d, jwtrot.WithTTL(time.Hour), jwtrot.WithIssuer("auth.example"), jwtrot.WithAudience("api"))
	if err != nil {
		panic(err)
	}

	token, err := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	if err != nil {
		panic(err)
	}

	var claims jwt.RegisteredClaims
	res, err := a.Verify(context.Background(), token, &claims)
	if err != nil {
		panic(err)
	}
	fmt.Println("subject:", claims.Subject, "audience:", claims.Audience)
	fmt.Println("expires:", claims.ExpiresAt.UTC().Format(time.RFC3339))
	fmt.Println("verified by:", res.KeyID, "in the", res.Position, "window")
	// Output:
	// subject: alice audience: [api]
	// expires: 2026-11-22T11:42:00Z
	// verified by: main:2992240 in the current window
}

// A token used in the window after the one it was signed in is re-signed:
// hand Result.Resigned back to the client (a response header, a cookie). A
// token left unused for a whole window is refused.
func Example_resign() {
	root, _ := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(mock)) // 10-minute windows
	a, _ := jwtrot.New(d)
	token, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})

	mock.Add(10 * time.Minute) // the next window
	res, err := a.Verify(context.Background(), token, nil)
	fmt.Println(res.Position, res.KeyID, err)
	fresh := res.Resigned

	mock.Add(10 * time.Minute) // and the one after
	_, err = a.Verify(context.Background(), token, nil)
	fmt.Println("old token:", err)
	res, err = a.Verify(context.Background(), fresh, nil)
	fmt.Println("re-signed token:", res.Position, res.KeyID, err)
	// Output:
	// previous main:2992240 <nil>
	// old token: jwtrot: key window retired
	// re-signed token: previous main:2992241 <nil>
}

// Every refusal wraps one sentinel; switch on them with errors.Is, and show
// clients jwtrot.Reason, which never echoes the token.
func Example_errors() {
	root, _ := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(mock))
	a, _ := jwtrot.New(d, jwtrot.WithTTL(time.Hour))
	token, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	mock.Add(2 * time.Hour)

	_, err := a.Verify(context.Background(), token, nil)
	switch {
	case errors.Is(err, jwtrot.ErrWindowRetired):
		fmt.Println("session idle too long:", jwtrot.Reason(err))
	case errors.Is(err, jwtrot.ErrExpired):
		fmt.Println("session over:", jwtrot.Reason(err))
	case errors.Is(err, jwtrot.ErrBadSignature), errors.Is(err, jwtrot.ErrMalformed):
		fmt.Println("forged or damaged:", jwtrot.Reason(err))
	case err != nil:
		fmt.Println("refused:", jwtrot.Reason(err))
	}
	// Output: session idle too long: key window retired
}
