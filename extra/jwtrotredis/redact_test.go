package jwtrotredis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/redis/rueidis"
)

// The Revoker prints and logs no credential, and its errors name no
// subject, jti or key.
func TestRedaction(t *testing.T) {
	t.Parallel()
	const password = "s3cret-redis-password"
	srv := startServer(t, "--requirepass", password)
	r, err := New(context.Background(), rueidis.ClientOption{InitAddress: []string{srv.addr()}, Password: password}, WithMaxAge(time.Hour), WithLogger(quiet), WithTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("revoker", "r", r)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		if out := fmt.Sprintf(verb, r); strings.Contains(out, password) {
			t.Errorf("%s shows the password", verb)
		}
	}
	if strings.Contains(logged.String(), password) {
		t.Error("slog shows the password")
	}

	a := authority(t, r)
	tok, _ := a.Sign(jwt.RegisteredClaims{Subject: "subject-alice@example.com"})
	var rc jwt.RegisteredClaims
	if _, err := a.Verify(context.Background(), tok, &rc); err != nil {
		t.Fatal(err)
	}
	srv.kill()
	once, _ := a.Sign(jwt.MapClaims{"sub": "subject-alice@example.com", jwtrot.UsesClaim: 1})
	for _, tk := range []string{tok, once} {
		var err error
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			if _, err = a.Verify(context.Background(), tk, nil); err != nil {
				break
			}
		}
		var ce *jwtrot.CauseError
		if !errors.As(err, &ce) {
			t.Fatalf("during the outage: %v", err)
		}
		for _, text := range []string{err.Error(), ce.Cause.Error()} {
			for _, secret := range []string{"alice", rc.ID, r.key(kindSubject, rc.Subject), password} {
				if strings.Contains(text, secret) {
					t.Errorf("the error %q names %q", text, secret)
				}
			}
		}
	}
}
