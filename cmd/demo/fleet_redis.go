package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/extra/jwtrotredis"
	"github.com/jwtrot/jwtrot/jwtrot"
)

// fleetRedis shows what a shared store gives a fleet: a logout through one
// instance refused by every other within a moment, and a one-time token
// accepted once across the fleet.
func (e *env) fleetRedis(client *http.Client, urls []string, issuer *jwtrot.Authority, store *jwtrotredis.Revoker, tok string) error {
	ctx := context.Background()
	me := func(url, token string) (int, string) {
		req, _ := http.NewRequest("GET", url+"/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		resp.Body.Close()
		_, desc, _ := strings.Cut(resp.Header.Get("WWW-Authenticate"), `error_description="`)
		desc, _, _ = strings.Cut(desc, `"`)
		return resp.StatusCode, desc
	}

	// alice logs out everywhere: her tokens issued before now are revoked.
	time.Sleep(time.Second) // iat counts whole seconds: make "before now" include her token
	start := time.Now()
	if err := store.RevokeSubject(ctx, "alice", start); err != nil {
		return fmt.Errorf("-redis: revoking: %w", err)
	}
	fmt.Fprintf(e.stdout, "logout: alice's sessions revoked through instance 0\n")
	for i, url := range urls {
		deadline := time.Now().Add(2 * time.Second)
		for {
			code, desc := me(url, tok)
			if code == http.StatusUnauthorized && desc == "token revoked" {
				fmt.Fprintf(e.stdout, "  instance %d refuses her token (%s) %v after the logout\n", i, desc, time.Since(start).Round(100*time.Microsecond))
				break
			}
			if time.Now().After(deadline) {
				return refusal{fmt.Errorf("instance %d still accepts a revoked token after 2s (%d %s)", i, code, desc)}
			}
			time.Sleep(time.Millisecond)
		}
	}

	// A one-time token (a password-reset link, say).
	once, err := issuer.Sign(jwt.MapClaims{"sub": "bob", jwtrot.UsesClaim: 1})
	if err != nil {
		return err
	}
	for i := range 2 {
		code, desc := me(urls[(i+1)%len(urls)], once)
		verdict := "accepted"
		if code != http.StatusOK {
			verdict = "refused (" + desc + ")"
		}
		fmt.Fprintf(e.stdout, "one-time token, use %d, on instance %d: %s\n", i+1, (i+1)%len(urls), verdict)
		if want := i == 0; (code == http.StatusOK) != want {
			return refusal{fmt.Errorf("the one-time token's use %d was %s", i+1, verdict)}
		}
	}
	return nil
}
