package jwtrot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/rotation"
)

// An attack is a malicious or malformed token and the reason it must get.
type attack struct {
	name string
	tok  string
	want error
}

// attackCorpus returns the attack corpus, built for a verifier at testEpoch
// configured as in TestAttackCorpus (issuer "auth", audience "api", maximum
// age 2h). It covers the RFC 8725 checklist and the known JWT-library CVEs:
// framing, encodings, algorithms, header parameters, key ids, signatures and
// claims. Its tokens also seed FuzzVerify.
func attackCorpus(tb testing.TB, f *fixture) []attack {
	key := f.keyAt(testEpoch)
	hdr := canonical(key)
	claims := func(extra string) string {
		return `{"iss":"auth","aud":"api","sub":"alice","iat":1795344000,"exp":1795347600` + extra + `}`
	}
	good := claims("")
	enc := base64.RawURLEncoding.EncodeToString
	goodTok := corpusGood(f)
	gh, gp, gs := segments(tb, goodTok)
	return []attack{
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
		// More from RFC 8725, RFC 7515 and the known JWT-library CVEs.
		{"alg nOnE", craft(`{"alg":"nOnE","kid":"`+key.ID()+`"}`, good, nil), ErrUnsupportedAlgorithm},
		{"alg none, empty signature", enc([]byte(`{"alg":"none","kid":"`+key.ID()+`"}`)) + "." + gp + ".", ErrMalformed},
		{"alg HS512 MACed with the right key", craft(`{"alg":"HS512","kid":"`+key.ID()+`","typ":"JWT"}`, good, key), ErrUnsupportedAlgorithm},
		{"alg ES256", craft(`{"alg":"ES256","kid":"`+key.ID()+`"}`, good, key), ErrUnsupportedAlgorithm},
		{"alg PS256", craft(`{"alg":"PS256","kid":"`+key.ID()+`"}`, good, key), ErrUnsupportedAlgorithm},
		{"alg EdDSA", craft(`{"alg":"EdDSA","kid":"`+key.ID()+`"}`, good, key), ErrUnsupportedAlgorithm},
		{"alg null", craft(`{"alg":null,"kid":"`+key.ID()+`"}`, good, key), ErrMalformed},
		{"x5u", craft(`{"alg":"HS256","kid":"`+key.ID()+`","x5u":"https://evil.example/c"}`, good, key), ErrUnsupportedHeader},
		{"x5c", craft(`{"alg":"HS256","kid":"`+key.ID()+`","x5c":["MIIB"]}`, good, key), ErrUnsupportedHeader},
		{"cty JWT (nested)", craft(`{"alg":"HS256","kid":"`+key.ID()+`","cty":"JWT"}`, good, key), ErrUnsupportedHeader},
		{"b64 false (RFC 7797)", craft(`{"alg":"HS256","kid":"`+key.ID()+`","b64":false,"crit":["b64"]}`, good, key), ErrUnsupportedHeader},
		{"RFC 7515 A.1 (no kid)", "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ErrUnknownKeyID},
		{"RFC 7515 E (crit exp)", craft(`{"alg":"ES256","crit":["exp"],"exp":1363284000}`, good, nil), ErrUnsupportedAlgorithm},
		{"BOM before header", craft("\ufeff"+hdr, good, key), ErrMalformed},
		{"invalid UTF-8 in header", craft("{\"alg\":\"HS256\",\"kid\":\"\xff\"}", good, key), ErrMalformed},
		{"header with trailing comma", craft(`{"alg":"HS256","kid":"`+key.ID()+`",}`, good, key), ErrMalformed},
		{"kid empty", craft(`{"alg":"HS256","kid":""}`, good, key), ErrUnknownKeyID},
		{"kid far future", craft(`{"alg":"HS256","kid":"main:9223372036854775807"}`, good, key), ErrWindowNotOpen},
		{"kid lowest index", craft(`{"alg":"HS256","kid":"main:-9223372036854775808"}`, good, key), ErrWindowRetired},
		{"kid minus zero", craft(`{"alg":"HS256","kid":"main:-0"}`, good, key), ErrUnknownKeyID},
		{"kid fullwidth digit", craft(`{"alg":"HS256","kid":"main:２992240"}`, good, key), ErrUnknownKeyID},
		{"kid with NUL", craft(`{"alg":"HS256","kid":"main:2992240\u0000"}`, good, key), ErrUnknownKeyID},
		{"kid URL", craft(`{"alg":"HS256","kid":"https://evil.example/key"}`, good, key), ErrUnknownKeyID},
		{"MAC from the next window's key", craft(hdr, good, f.keyAt(testEpoch.Add(10*time.Minute))), ErrBadSignature},
		{"MAC with an empty key", craftMAC(hdr, good, nil), ErrBadSignature},
		{"MAC with the root itself", craftMAC(hdr, good, testSecret), ErrBadSignature},
		{"signature of another token", gh + "." + enc([]byte(claims(`,"x":1`))) + "." + gs, ErrBadSignature},
		{"expired and badly signed (CVE-2024-51744)", craft(hdr, `{"iss":"auth","aud":"api","iat":1795340000,"exp":1795340001}`, nil), ErrBadSignature},
		{"1 MiB of dots (CVE-2025-30204)", strings.Repeat(".", 1<<20), ErrTooLarge},
		{"8 KiB of dots", strings.Repeat(".", 8<<10), ErrMalformed},
		{"NUL bytes", strings.Repeat("\x00", 100), ErrMalformed},
		{"spaces around", " " + goodTok + " ", ErrMalformed},
		{"iat null", craft(hdr, `{"iss":"auth","aud":"api","iat":null,"exp":1795347600}`, key), ErrMalformed},
		{"nbf string", craft(hdr, claims(`,"nbf":"0"`), key), ErrMalformed},
		{"sub number", craft(hdr, claims(`,"sub":7`), key), ErrMalformed},
		{"jti object", craft(hdr, claims(`,"jti":{}`), key), ErrMalformed},
		{"aud null", craft(hdr, `{"iss":"auth","aud":null,"iat":1795344000,"exp":1795347600}`, key), ErrMalformed},
		{"aud empty array entry", craft(hdr, `{"iss":"auth","aud":[""],"iat":1795344000,"exp":1795347600}`, key), ErrAudience},
		{"aud case differs", craft(hdr, `{"iss":"auth","aud":"API","iat":1795344000,"exp":1795347600}`, key), ErrAudience},
		{"iss case differs", craft(hdr, `{"iss":"Auth","aud":"api","iat":1795344000,"exp":1795347600}`, key), ErrIssuer},
		{"iss with trailing space", craft(hdr, `{"iss":"auth ","aud":"api","iat":1795344000,"exp":1795347600}`, key), ErrIssuer},
		{"Iss case variant", craft(hdr, claims(`,"ISS":"evil"`), key), ErrMalformed},
		{"Kelvin sign in a name", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000,"exp":1795347600,"\u212aid":1,"kid":2}`, key), ErrMalformed},
		{"too many claims", craft(hdr, claims(manyClaims(70)), key), ErrMalformed},
		{"exp leading zero", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000,"exp":01795347600}`, key), ErrMalformed},
		{"exp plus sign", craft(hdr, `{"iss":"auth","aud":"api","iat":1795344000,"exp":+1795347600}`, key), ErrMalformed},
	}
}

// corpusGood is the valid token the corpus's attacks are made from.
func corpusGood(f *fixture) string {
	key := f.keyAt(testEpoch)
	return craft(canonical(key), `{"iss":"auth","aud":"api","sub":"alice","iat":1795344000,"exp":1795347600}`, key)
}

// TestAttackCorpus checks every corpus token gets exactly its reason, that
// no claims come back, and that the message holds no part of the token. A
// corpus token that is accepted fails the test.
func TestAttackCorpus(t *testing.T) {
	f := newFixture(t, WithIssuer("auth"), WithAudience("api"), WithMaxAge(2*time.Hour))
	tests := attackCorpus(t, f)
	if len(tests) < 40 {
		t.Fatalf("%d corpus cases; want at least 40", len(tests))
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
	key := f.keyAt(testEpoch)
	hdr := canonical(key)
	for _, p := range []string{
		`{"iss":"auth","aud":["web","api"],"iat":1795344000,"exp":1795347600}`,
		`{"iss":"\u0061uth","aud":"\u0061pi","iat":1795344000,"exp":1795347600, "nbf" : 1795344330}`,
	} {
		if _, err := f.a.Verify(ctx, craft(hdr, p, key), nil); err != nil {
			t.Errorf("valid payload refused: %v", err)
		}
	}
}

// craftMAC builds a token MACed with raw key bytes (an empty key included).
func craftMAC(header, payload string, key []byte) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(input))
	return input + "." + enc.EncodeToString(m.Sum(nil))
}

// manyClaims returns n extra members, to append to a claims object.
func manyClaims(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `,"c%d":%d`, i, i)
	}
	return b.String()
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

// TestManyDotsBoundedWork feeds a megabyte of dots (CVE-2025-30204): refused
// for its size before anything else, and with a cap large enough to let it
// in, refused with no allocation that grows with the number of dots: a few
// hundred bytes either way, where a split would allocate megabytes.
func TestManyDotsBoundedWork(t *testing.T) {
	f := newFixture(t)
	dots := strings.Repeat(".", 1<<20)
	if _, err := f.a.Verify(ctx, dots, nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("1 MiB of dots: %v", err)
	}
	big, _ := New(f.d, WithMaxSize(2<<20))
	measure := func(tok string) (allocs float64, bytes uint64) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		allocs = testing.AllocsPerRun(5, func() {
			if _, err := big.Verify(ctx, tok, nil); !errors.Is(err, ErrMalformed) {
				t.Fatalf("dots, large cap: %v", err)
			}
		})
		runtime.ReadMemStats(&after)
		return allocs, (after.TotalAlloc - before.TotalAlloc) / 6
	}
	smallAllocs, smallBytes := measure(strings.Repeat(".", 1<<10))
	bigAllocs, bigBytes := measure(dots)
	if bigBytes > smallBytes+4<<10 || bigAllocs > smallAllocs+2 {
		t.Fatalf("1 MiB of dots: %v allocations, %d bytes; 1 KiB: %v, %d", bigAllocs, bigBytes, smallAllocs, smallBytes)
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
