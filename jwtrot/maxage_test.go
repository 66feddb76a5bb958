package jwtrot

import (
	"context"
	"testing"
	"time"
)

// An Authority tells its revocation list the maximum age of its tokens:
// a subject's revocation is kept exactly that long, and a list shared by
// two Authorities keeps the longer one's.
func TestListLearnsMaxAge(t *testing.T) {
	f := newFixture(t)
	list := NewRevocationList(f.clock)
	ctx := context.Background()
	if err := list.RevokeSubject(ctx, "alice", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	// Not yet told: the entry stays however late it is.
	f.clock.Add(30 * 24 * time.Hour)
	list.RevokeID(ctx, "sweep", f.clock.Now().Add(time.Minute)) // a write sweeps
	if list.Len() != 2 {
		t.Fatalf("%d entries before the list knows the maximum age; want 2 (kept)", list.Len())
	}
	if _, err := New(f.d, WithTTL(time.Hour), WithMaxAge(2*time.Hour), WithRevoker(list)); err != nil {
		t.Fatal(err)
	}
	if _, err := New(f.d, WithTTL(time.Hour), WithMaxAge(time.Hour), WithRevoker(list)); err != nil {
		t.Fatal(err)
	}
	if got := list.maxAge; got != 2*time.Hour {
		t.Fatalf("the list keeps entries %v; want 2h, the longer of its Authorities' maximum ages", got)
	}
	nb := f.clock.Now()
	list.RevokeSubject(ctx, "bob", nb)
	f.clock.Add(2*time.Hour - time.Second)
	list.RevokeID(ctx, "sweep2", f.clock.Now().Add(time.Minute))
	if revoked, _ := list.Revoked(ctx, TokenInfo{Subject: "bob", IssuedAt: nb.Add(-time.Second)}); !revoked {
		t.Fatal("bob's revocation was dropped before the maximum age")
	}
	f.clock.Add(2 * time.Second)
	list.RevokeID(ctx, "sweep3", f.clock.Now().Add(time.Minute))
	if _, ok := list.subjects["bob"]; ok {
		t.Fatal("bob's revocation outlived the maximum age of every token it covers")
	}
}
