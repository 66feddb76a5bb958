package jwtrotredis

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
)

// Every entry expires (EXAT) with the last token it covers, plus the
// clock margin.
func TestKeysExpire(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	const maxAge = time.Hour
	r := open(t, []string{srv.addr()}, WithPrefix("app1:"))
	ctx := context.Background()
	nb := time.Now().Truncate(time.Second)
	exp := nb.Add(20 * time.Minute)
	if err := r.RevokeSubject(ctx, "alice", nb); err != nil {
		t.Fatal(err)
	}
	if err := r.RevokeID(ctx, "t-1", exp); err != nil {
		t.Fatal(err)
	}
	if ok, err := r.ConsumeUse(ctx, jwtrot.TokenInfo{ID: "t-2", Expires: exp, MaxUses: 1}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	for _, tc := range []struct {
		key  string
		want time.Time
	}{
		{r.key(kindSubject, "alice"), nb.Add(maxAge + ClockMargin)},
		{r.key(kindID, "t-1"), exp.Add(ClockMargin)},
		{r.key(kindUses, "t-2"), exp.Add(ClockMargin)},
	} {
		if !strings.HasPrefix(tc.key, "app1:") {
			t.Fatalf("key %q lacks the prefix", tc.key)
		}
		reply, err := srv.command("EXPIRETIME", tc.key)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimPrefix(reply, ":"); got != strconv.FormatInt(tc.want.Unix(), 10) {
			t.Errorf("EXPIRETIME %s = %s, want %d", tc.key, got, tc.want.Unix())
		}
	}
	// A later revocation of the subject moves the expiry with it; an
	// older one changes nothing.
	if err := r.RevokeSubject(ctx, "alice", nb.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := r.RevokeSubject(ctx, "alice", nb.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	reply, _ := srv.command("EXPIRETIME", r.key(kindSubject, "alice"))
	if want := ":" + strconv.FormatInt(nb.Add(time.Minute+maxAge+ClockMargin).Unix(), 10); reply != want {
		t.Errorf("after raising: EXPIRETIME %s, want %s", reply, want)
	}
}

// Keys spread over the cluster's masters: no hash tag gathers them.
func TestKeysSpread(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t)
	r := open(t, addrsOf(nodes))
	for i := range 60 {
		if err := r.RevokeSubject(context.Background(), "{user}"+strconv.Itoa(i), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range nodes {
		reply, err := n.command("DBSIZE")
		if err != nil {
			t.Fatal(err)
		}
		if size, _ := strconv.Atoi(strings.TrimPrefix(reply, ":")); size < 5 {
			t.Errorf("node %s holds %d of 60 keys", n.addr(), size)
		}
	}
}
