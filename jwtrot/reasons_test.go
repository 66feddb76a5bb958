package jwtrot

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/rotation"
)

// TestReasons gives every refusal reason at least one token and checks the
// exact sentinel, that no claims come back, and that the message holds no
// part of the token.
func TestReasons(t *testing.T) {
	f := newFixture(t, WithIssuer("auth"), WithAudience("api"), WithMaxAge(2*time.Hour))
	key := f.keyAt(testEpoch)
	hdr := canonical(key)
	now := testEpoch.Unix()
	claims := func(extra string) string {
		return `{"iss":"auth","aud":"api","sub":"alice","iat":1795344000,"exp":1795347600` + extra + `}`
	}
	good := claims("")
	enc := base64.RawURLEncoding.EncodeToString
	goodTok := craft(hdr, good, key)
	gh, gp, gs := segments(t, goodTok)
	_ = now

	tests := []struct {
		name string
		tok  string
		want error
	}{
		// Size and framing.
		{"too large", craft(hdr, claims(`,"pad":"`+strings.Repeat("x", 9000)+`"`), key), ErrTooLarge},
		{"empty", "", ErrMalformed},
		{"one segment", gh, ErrMalformed},
		{"two segments", gh + "." + gp, ErrMalformed},
		{"four segments", goodTok + ".x", ErrMalformed},
		{"trailing dot", goodTok + ".", ErrMalformed},
		{"only dots", "..", ErrMalformed},
		{"empty signature", gh + "." + gp + ".", ErrMalformed},
		// Encodings.
		{"padded signature", goodTok + "=", ErrMalformed},
		{"padded payload", gh + "." + gp + "==." + gs, ErrMalformed},
		{"std alphabet", gh + "." + gp + "." + strings.NewReplacer("-", "+", "_", "/").Replace(gs) + "+", ErrMalformed},
		{"CRLF in signature", gh + "." + gp + "." + gs[:10] + "\r\n" + gs[10:], ErrMalformed},
		{"space in payload", gh + "." + gp[:5] + " " + gp[5:] + "." + gs, ErrMalformed},
		{"non-canonical trailing bits", gh + "." + gp + "." + gs[:len(gs)-1] + nonCanonical(gs[len(gs)-1]), ErrMalformed},
		// Algorithm and header.
		{"alg none", craft(`{"alg":"none","kid":"`+key.ID()+`"}`, good, nil), ErrUnsupportedAlgorithm},
		{"alg None", craft(`{"alg":"None","kid":"`+key.ID()+`"}`, good, nil), ErrUnsupportedAlgorithm},
		{"alg NONE unsigned", enc([]byte(`{"alg":"NONE","kid":"`+key.ID()+`"}`)) + "." + enc([]byte(good)) + ".", ErrMalformed},
		{"alg HS384 MACed with the right key", craft(`{"alg":"HS384","kid":"`+key.ID()+`","typ":"JWT"}`, good, key), ErrUnsupportedAlgorithm},
		{"alg hs256", craft(`{"alg":"hs256","kid":"`+key.ID()+`","typ":"JWT"}`, good, key), ErrUnsupportedAlgorithm},
		{"alg RS256", craft(`{"alg":"RS256","kid":"`+key.ID()+`"}`, good, key), ErrUnsupportedAlgorithm},
		{"alg missing", craft(`{"kid":"`+key.ID()+`"}`, good, key), ErrMalformed},
		{"alg numeric", craft(`{"alg":256,"kid":"`+key.ID()+`"}`, good, key), ErrMalformed},
		{"alg twice", craft(`{"alg":"HS256","alg":"none","kid":"`+key.ID()+`"}`, good, key), ErrMalformed},
		{"crit", craft(`{"alg":"HS256","crit":["exp"],"exp":1,"kid":"`+key.ID()+`"}`, good, key), ErrUnsupportedHeader},
		{"jku", craft(`{"alg":"HS256","jku":"https://evil.example/k","kid":"`+key.ID()+`"}`, good, key), ErrUnsupportedHeader},
		{"jwk", craft(`{"alg":"HS256","jwk":{"kty":"oct","k":"AAAA"},"kid":"`+key.ID()+`"}`, good, key), ErrUnsupportedHeader},
		{"typ at+jwt", craft(`{"alg":"HS256","kid":"`+key.ID()+`","typ":"at+jwt"}`, good, key), ErrUnsupportedHeader},
		{"header not JSON", craft(`{"alg":"HS256",`, good, key), ErrMalformed},
		{"header array", craft(`["HS256"]`, good, key), ErrMalformed},
		// Key ids.
		{"no kid", craft(`{"alg":"HS256","typ":"JWT"}`, good, key), ErrUnknownKeyID},
		{"kid number", craft(`{"alg":"HS256","kid":2992240}`, good, key), ErrMalformed},
		{"kid leading zero", craft(`{"alg":"HS256","kid":"main:02992240"}`, good, key), ErrUnknownKeyID},
		{"kid plus", craft(`{"alg":"HS256","kid":"main:+2992240"}`, good, key), ErrUnknownKeyID},
		{"kid overflow", craft(`{"alg":"HS256","kid":"main:99999999999999999999"}`, good, key), ErrUnknownKeyID},
		{"kid unknown root", craft(`{"alg":"HS256","kid":"other:2992240"}`, good, key), ErrUnknownKeyID},
		{"kid path traversal", craft(`{"alg":"HS256","kid":"../../dev/null"}`, good, key), ErrUnknownKeyID},
		{"kid SQL", craft(`{"alg":"HS256","kid":"x' OR '1'='1"}`, good, key), ErrUnknownKeyID},
		{"kid N-2", craft(canonical(f.keyAt(testEpoch.Add(-20*time.Minute))), good, f.keyAt(testEpoch.Add(-20*time.Minute))), ErrWindowRetired},
		{"kid N+2", craft(canonical(f.keyAt(testEpoch.Add(20*time.Minute))), good, f.keyAt(testEpoch.Add(20*time.Minute))), ErrWindowNotOpen},
		{"kid N+1 outside skew", craft(canonical(f.keyAt(testEpoch.Add(10*time.Minute))), good, f.keyAt(testEpoch.Add(10*time.Minute))), ErrWindowNotOpen},
		{"kid far past", craft(`{"alg":"HS256","kid":"main:-5"}`, good, key), ErrWindowRetired},
		// Signatures.
		{"bad signature", craft(hdr, good, nil), ErrBadSignature},
		{"MAC from the previous window's key", craft(hdr, good, f.keyAt(testEpoch.Add(-10*time.Minute))), ErrBadSignature},
		{"short signature", gh + "." + gp + "." + gs[:40], ErrBadSignature},
		{"payload swapped", gh + "." + enc([]byte(claims(`,"admin":true`))) + "." + gs, ErrBadSignature},
		// Claims.
		{"exp missing", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000}`, key), ErrMissingClaim},
		{"iat missing", craft(hdr, `{"iss":"auth","aud":"api","exp":1795347600}`, key), ErrMissingClaim},
		{"exp zero", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000,"exp":0}`, key), ErrExpired},
		{"exp now", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000,"exp":1795344300}`, key), ErrExpired},
		{"exp string", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000,"exp":"9999999999"}`, key), ErrMalformed},
		{"exp null", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000,"exp":null}`, key), ErrMalformed},
		{"exp float", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000,"exp":1795347600.5}`, key), ErrMalformed},
		{"exp exponent", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000,"exp":1.7e9}`, key), ErrMalformed},
		{"exp huge", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000,"exp":1e19}`, key), ErrMalformed},
		{"exp beyond 9999", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000,"exp":253402300800}`, key), ErrMalformed},
		{"exp negative", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000,"exp":-1}`, key), ErrMalformed},
		{"nbf overflow", craft(hdr, claims(`,"nbf":10000000000000000000`), key), ErrMalformed},
		{"iat overflow", craft(hdr, `{"iss":"auth","aud":"api","iat":1e19,"exp":1795347600}`, key), ErrMalformed},
		{"exp duplicate", craft(hdr, claims(`,"exp":1`), key), ErrMalformed},
		{"exp case variant", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000,"exp":1,"EXP":1795347600}`, key), ErrMalformed},
		{"exp escaped duplicate", craft(hdr, claims(`,"\u0065xp":1`), key), ErrMalformed},
		{"sub Unicode fold", craft(hdr, claims(`,"ſub":"bob"`), key), ErrMalformed},
		{"custom duplicate", craft(hdr, claims(`,"role":"user","role":"admin"`), key), ErrMalformed},
		{"invalid UTF-8", craft(hdr, claims(",\"x\":\"\xff\""), key), ErrMalformed},
		{"BOM before payload", craft(hdr, "\ufeff"+good, key), ErrMalformed},
		{"payload not an object", craft(hdr, `["exp"]`, key), ErrMalformed},
		{"payload trailing data", craft(hdr, good+"{}", key), ErrMalformed},
		{"deep nesting", craft(hdr, claims(`,"x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)), key), ErrMalformed},
		{"nbf in future", craft(hdr, claims(`,"nbf":1795344400`), key), ErrNotYetValid},
		{"iat in future", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344400,"exp":1795347600}`, key), ErrIssuedInFuture},
		{"too old", craft(hdr, `{"iss":"auth","aud":"api","iat":1795337000,"exp":1795347600}`, key), ErrTooOld},
		{"wrong iss", craft(hdr, `{"iss":"evil","aud":"api","iat":1795344000,"exp":1795347600}`, key), ErrIssuer},
		{"iss missing", craft(hdr, `{"aud":"api","iat":1795344000,"exp":1795347600}`, key), ErrMissingClaim},
		{"iss number", craft(hdr, `{"iss":1,"aud":"api","iat":1795344000,"exp":1795347600}`, key), ErrMalformed},
		{"aud missing", craft(hdr, `{"iss":"auth","iat":1795344000,"exp":1795347600}`, key), ErrMissingClaim},
		{"aud empty string", craft(hdr, `{"iss":"auth","aud":"","iat":1795344000,"exp":1795347600}`, key), ErrAudience},
		{"aud empty array", craft(hdr, `{"iss":"auth","aud":[],"iat":1795344000,"exp":1795347600}`, key), ErrAudience},
		{"aud other", craft(hdr, `{"iss":"auth","aud":["web","apix"],"iat":1795344000,"exp":1795347600}`, key), ErrAudience},
		{"aud number", craft(hdr, `{"iss":"auth","aud":1,"iat":1795344000,"exp":1795347600}`, key), ErrMalformed},
		{"aud array with number", craft(hdr, `{"iss":"auth","aud":["api",1],"iat":1795344000,"exp":1795347600}`, key), ErrMalformed},
		{"aud object", craft(hdr, `{"iss":"auth","aud":{"api":true},"iat":1795344000,"exp":1795347600}`, key), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := jwt.MapClaims{}
			res, err := f.a.Verify(ctx, tt.tok, m)
			if err == nil {
				t.Fatalf("accepted; want %v", tt.want)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %q; want %v", err, tt.want)
			}
			if res != (Result{}) || len(m) != 0 {
				t.Fatal("a refusal returned a result or claims")
			}
			assertNotLeaked(t, err.Error(), tt.tok)
		})
	}
	// The same claims in an array aud, and escaped strings, are fine.
	for _, p := range []string{
		`{"iss":"auth","aud":["web","api"],"iat":1795344000,"exp":1795347600}`,
		`{"iss":"\u0061uth","aud":"\u0061pi","iat":1795344000,"exp":1795347600, "nbf" : 1795344330}`,
	} {
		if _, err := f.a.Verify(ctx, craft(hdr, p, key), nil); err != nil {
			t.Errorf("valid payload refused: %v", err)
		}
	}
}

// nonCanonical returns another base64url character that decodes to the same
// bytes as c when c is the last character of an unpadded 32-byte MAC (43
// characters: the last holds 4 data bits and 2 bits that must be zero).
func nonCanonical(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return string(alphabet[i|1])
}

// TestNonCanonicalTrailingBitsPremise checks the helper above really makes
// a different spelling of the same bytes, which Go's lax decoder accepts.
func TestNonCanonicalTrailingBitsPremise(t *testing.T) {
	sig := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	alt := sig[:42] + nonCanonical(sig[42])
	a, err1 := base64.RawURLEncoding.DecodeString(sig)
	b, err2 := base64.RawURLEncoding.DecodeString(alt)
	if alt == sig || err1 != nil || err2 != nil || string(a) != string(b) {
		t.Fatal("nonCanonical does not make an alternative spelling")
	}
}

// TestManyDotsBoundedWork feeds a megabyte of dots: refused for size before
// anything else, and with a larger cap still in linear time.
func TestManyDotsBoundedWork(t *testing.T) {
	f := newFixture(t)
	dots := strings.Repeat(".", 1<<20)
	if _, err := f.a.Verify(ctx, dots, nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("1 MiB of dots: %v", err)
	}
	big, _ := New(f.d, WithMaxSize(2<<20))
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := big.Verify(ctx, dots, nil); !errors.Is(err, ErrMalformed) {
			t.Fatalf("1 MiB of dots, large cap: %v", err)
		}
	})
	if allocs > 3 {
		t.Fatalf("%v allocations for a token of dots", allocs)
	}
}

// TestInteropGolangJWT shows a jwtrot token is an ordinary HS256 JWT for
// golang-jwt given the window key, and the reverse.
func TestInteropGolangJWT(t *testing.T) {
	f := newFixture(t)
	key := f.keyAt(testEpoch)
	tok, _ := f.a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	parsed, err := jwt.Parse(tok, func(tk *jwt.Token) (any, error) {
		if tk.Header["kid"] != key.ID() {
			t.Errorf("kid %v", tk.Header["kid"])
		}
		return key.Bytes(), nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithTimeFunc(f.clock.Now))
	if err != nil || !parsed.Valid {
		t.Fatalf("golang-jwt refuses a jwtrot token: %v", err)
	}

	// golang-jwt, given the key and kid, mints a token jwtrot accepts.
	g := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject:   "bob",
		IssuedAt:  jwt.NewNumericDate(testEpoch),
		ExpiresAt: jwt.NewNumericDate(testEpoch.Add(time.Hour)),
	})
	g.Header["kid"] = key.ID()
	minted, err := g.SignedString(key.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var rc jwt.RegisteredClaims
	res, err := f.a.Verify(ctx, minted, &rc)
	if err != nil || rc.Subject != "bob" || res.Position != rotation.Current {
		t.Fatalf("jwtrot refuses a golang-jwt token: %v", err)
	}
	// Other libraries may spell the header differently: the strict slow
	// path accepts the same parameters in any order and spacing.
	for _, spelled := range []string{
		`{"typ":"JWT","kid":"` + key.ID() + `","alg":"HS256"}`,
		"{ \"alg\" : \"HS256\",\n \"kid\":\"" + key.ID() + "\" }",
		`{"alg":"HS256","kid":"main:\u0032992240","typ":"jwt"}`,
	} {
		if _, err := f.a.Verify(ctx, craft(spelled, `{"iat":1795344000,"exp":1795347600}`, key), nil); err != nil {
			t.Errorf("header spelled %q refused: %v", spelled, err)
		}
	}
}
