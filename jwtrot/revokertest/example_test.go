package revokertest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/jwtrot/revokertest"
)

// A RevocationList in the shape the suite drives: in a test, pass a
// Config whose New returns it to revokertest.Test.
func ExampleListStore() {
	now := time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC)
	s := revokertest.ListStore(jwtrot.NewRevocationList(fixedClock(now), jwtrot.ListMaxAge(time.Hour)))
	ctx := context.Background()

	_ = s.RevokeSubject(ctx, "alice", now)
	before, _ := s.Revoked(ctx, jwtrot.TokenInfo{Subject: "alice", IssuedAt: now.Add(-time.Minute)})
	after, _ := s.Revoked(ctx, jwtrot.TokenInfo{Subject: "alice", IssuedAt: now})
	fmt.Println("issued before:", before, "issued at:", after)

	once := jwtrot.TokenInfo{ID: "reset-1", Expires: now.Add(time.Hour), MaxUses: 1}
	first, _ := s.(jwtrot.UseCounter).ConsumeUse(ctx, once)
	second, _ := s.(jwtrot.UseCounter).ConsumeUse(ctx, once)
	fmt.Println("first use:", first, "second use:", second)
	// Output:
	// issued before: true issued at: false
	// first use: true second use: false
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }
