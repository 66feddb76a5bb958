package jwtrot

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/rotation"
)

// FuzzVerify feeds arbitrary strings, seeded with valid tokens and near
// misses. Properties: Verify never panics; it accepts nothing but the exact
// tokens the fixture signed (any mutation of a valid token is refused); a
// refusal returns no result and no claims; an acceptance names an acceptable
// window whose key verifies the token's MAC.
func FuzzVerify(f *testing.F) {
	// No random jti: every fuzzing worker process must sign the same tokens.
	// Configured as TestAttackCorpus is, so that every corpus token is
	// refused and the only acceptable inputs are the tokens signed here.
	fx := newFixture(f, WithRandomID(false), WithIssuer("auth"), WithAudience("api"), WithMaxAge(2*time.Hour))
	valid := map[string]bool{}
	sign := func(c jwt.Claims) string {
		tok, err := fx.a.Sign(c)
		if err != nil {
			f.Fatal(err)
		}
		valid[tok] = true
		return tok
	}
	key := fx.keyAt(testEpoch)
	seeds := []string{
		sign(jwt.RegisteredClaims{Subject: "alice"}),
		sign(jwt.MapClaims{"role": "admin", "aud": []string{"a", "api"}, "nbf": testEpoch.Unix()}),
		craft(canonical(key), `{"iat":1795344000,"exp":1795347600,"EXP":1}`, key),
		craft(`{"alg":"none","kid":"main:2992240"}`, `{"iat":1795344000,"exp":1795347600}`, nil),
		craft(`{"alg":"HS256","kid":"main:02992240"}`, `{"iat":1795344000,"exp":1795347600}`, key),
		"", ".", "..", "a.b.c", "...",
	}
	// Tokens from the previous window verify too (and are re-signed).
	fx.clock.Add(-10 * time.Minute) // a window
	seeds = append(seeds, sign(jwt.RegisteredClaims{Subject: "bob"}))
	fx.clock.Add(10 * time.Minute)
	for _, s := range seeds {
		f.Add(s)
	}
	valid[corpusGood(fx)] = true // what the attacks are mutations of
	for _, a := range attackCorpus(f, fx) {
		if len(a.tok) <= 16<<10 { // the fuzzer mutates every seed: keep them small
			f.Add(a.tok)
		}
	}
	f.Fuzz(func(t *testing.T, tok string) {
		m := jwt.MapClaims{}
		res, err := fx.a.Verify(ctx, tok, m)
		if err != nil {
			if res != (Result{}) || len(m) != 0 {
				t.Fatal("a refusal returned a result or claims")
			}
			if Reason(err) == "invalid token" {
				t.Fatalf("refusal without a sentinel: %v", err)
			}
			return
		}
		if !valid[tok] {
			t.Fatalf("accepted a token of %d bytes the fixture never signed", len(tok))
		}
		// The kid must name a root's window acceptable now, as a Deriver's
		// schedule places it; its key must verify the MAC.
		rootID, index, err := rotation.ParseKeyID(res.KeyID)
		if err == nil {
			_, err = fx.d.Schedule().Position(index, fx.clock.Now())
		}
		var k *rotation.Key
		if err == nil {
			k, err = fx.d.KeyAt(rootID, fx.d.Schedule().Window(index).Start())
		}
		if err != nil {
			t.Fatalf("accepted under an unacceptable kid %q: %v", res.KeyID, err)
		}
		dot := strings.LastIndexByte(tok, '.')
		mac, _ := base64.RawURLEncoding.DecodeString(tok[dot+1:])
		if !k.Verify([]byte(tok[:dot]), mac) {
			t.Fatal("accepted a token whose MAC does not verify under its kid's key")
		}
	})
}
