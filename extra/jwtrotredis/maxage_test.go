package jwtrotredis

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/redis/rueidis"
)

// A Revoker learns the maximum age from the Authorities it serves: before
// any, a subject's revocation is refused with how to fix it; after, its
// entry lives the longest maximum age plus the clock margin.
func TestLearnsMaxAge(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	r, err := New(context.Background(), rueidis.ClientOption{InitAddress: []string{srv.addr()}}, WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	err = r.RevokeSubject(ctx, "alice", time.Now())
	if !errors.Is(err, errNoMaxAge) || !strings.Contains(err.Error(), "jwtrot.WithRevoker") {
		t.Fatalf("RevokeSubject before any Authority: %v, want the error that says how to fix it", err)
	}
	root, _ := rotation.NewRoot("test", []byte("jwtrotredis test root, 32 bytes or more....."))
	d, _ := rotation.NewDeriver([]*rotation.Root{root})
	for _, maxAge := range []time.Duration{2 * time.Hour, time.Hour} {
		if _, err := jwtrot.New(d, jwtrot.WithMaxAge(maxAge), jwtrot.WithRevoker(r)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.RevokeSubject(ctx, "alice", time.Now()); err != nil {
		t.Fatal(err)
	}
	reply, err := srv.command("TTL", r.key(kindSubject, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	ttl, _ := strconv.Atoi(strings.TrimPrefix(reply, ":"))
	if want := int((2*time.Hour + ClockMargin) / time.Second); ttl < want-5 || ttl > want {
		t.Fatalf("the entry lives %ds; want about %ds (the longer maximum age plus the clock margin)", ttl, want)
	}
}
