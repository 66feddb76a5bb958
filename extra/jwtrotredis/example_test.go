package jwtrotredis_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/extra/jwtrotredis"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/redis/rueidis"
)

// A fleet's revocations in Redis: every instance builds its Authority with
// the same Revoker settings, and a token revoked on one is refused by all.
// (The package's tests run this against a redis-server they start, whose
// address they put in REDIS_ADDR.)
func ExampleRevoker() {
	ctx := context.Background()
	rev, err := jwtrotredis.New(ctx, rueidis.ClientOption{InitAddress: []string{os.Getenv("REDIS_ADDR")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rev.Close()

	root, _ := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	d, _ := rotation.NewDeriver([]*rotation.Root{root})
	// The Authority tells the Revoker its maximum age, the TTL here: how
	// long a subject's revocation is kept.
	auth, err := jwtrot.New(d, jwtrot.WithTTL(time.Hour), jwtrot.WithRevoker(rev))
	if err != nil {
		fmt.Println(err)
		return
	}
	verify := func(what, tok string) {
		_, err := auth.Verify(ctx, tok, &jwt.RegisteredClaims{})
		switch {
		case err == nil:
			fmt.Println(what + ": accepted")
		case errors.Is(err, jwtrot.ErrRevoked):
			fmt.Println(what + ": refused, revoked")
		default:
			fmt.Println(what+":", err)
		}
	}

	session1, _ := auth.Sign(jwt.MapClaims{"sub": "alice", "jti": "session-1"})
	session2, _ := auth.Sign(jwt.MapClaims{"sub": "alice", "jti": "session-2"})
	verify("session 1", session1)

	// Log out of one session: revoke its jti until the token expires.
	rev.RevokeID(ctx, "session-1", time.Now().Add(time.Hour))
	verify("session 1 after logout", session1)
	verify("session 2", session2)

	// Password changed: every token of alice issued so far.
	rev.RevokeSubject(ctx, "alice", time.Now().Add(time.Second))
	verify("session 2 after the password change", session2)
	// Output:
	// session 1: accepted
	// session 1 after logout: refused, revoked
	// session 2: accepted
	// session 2 after the password change: refused, revoked
}

// Misconfiguration is refused at construction, with how to fix it: here a
// key prefix holding a hash tag, which would put every key in one cluster
// slot.
func ExampleNew_refused() {
	_, err := jwtrotredis.New(context.Background(),
		rueidis.ClientOption{InitAddress: []string{"127.0.0.1:6379"}},
		jwtrotredis.WithPrefix("{auth}:"))
	fmt.Println(err)
	// Output:
	// jwtrotredis: the key prefix holds '{' or '}': a hash tag would put every key in one cluster slot; choose a prefix without braces
}
