package jwtrotawskms

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/extra/jwtrotawskms/internal/fakekms"
	"github.com/jwtrot/jwtrot/extra/jwtrotawskms/internal/kmstest"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// benchClaims are the claims every benchmark token carries.
func benchClaims(now time.Time) jwt.RegisteredClaims {
	return jwt.RegisteredClaims{
		Issuer: "https://auth.example.com", Subject: "u-12345678", Audience: jwt.ClaimStrings{"api"},
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)), IssuedAt: jwt.NewNumericDate(now), ID: "8c1f0e2a",
	}
}

// BenchmarkVerify compares steady-state verification with a root in memory
// and the same root in KMS (the emulator): once the keys are derived,
// nothing on the request path touches KMS, so the two should be equal. The
// memory case runs again last, to show how much the order alone moves the
// figures on a noisy machine.
func BenchmarkVerify(b *testing.B) {
	tw := newTwins(b, rotation.HS256)
	tok, err := tw.mem.Sign(benchClaims(tw.mock.Now()))
	if err != nil {
		b.Fatal(err)
	}
	before := tw.calls.get("GenerateMac")
	for _, bc := range []struct {
		name string
		a    *jwtrot.Authority
	}{{"root=memory", tw.mem}, {"root=kms", tw.kms}, {"root=memory-again", tw.mem}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.a.Verify(context.Background(), tok, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	if n := tw.calls.get("GenerateMac") - before; n != 0 {
		b.Fatalf("%d KMS calls during verification", n)
	}
}

// BenchmarkVerifyStandIn is BenchmarkVerify with the in-process stand-in
// for KMS instead of the emulator, whose exit signal crashes callgrind: the
// pair to count instructions of (BENCHMARKS.md). The request path is the
// same: a Deriver over an external root, no KMS call per token.
func BenchmarkVerifyStandIn(b *testing.B) {
	f := fakekms.Start()
	b.Cleanup(f.Close)
	c := kmstest.NewClient(f.URL, nil)
	mem, _ := rotation.NewRoot("main", testSecret)
	prk, _ := mem.ExportPRK()
	arn := f.AddKey(prk)
	tw := twinsOver(b, rotation.HS256, mem, c, arn)
	tok, err := tw.mem.Sign(benchClaims(tw.mock.Now()))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		a    *jwtrot.Authority
	}{{"root=memory", tw.mem}, {"root=kms", tw.kms}, {"root=memory-again", tw.mem}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.a.Verify(context.Background(), tok, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// articleIssuer is the founding article's scheme: every token signed by an
// asymmetric KMS key (ECC_NIST_P256, ECDSA_SHA_256: one Sign call per
// token), verified with the key's public half.
type articleIssuer struct {
	client *kms.Client
	keyID  string
	pub    *ecdsa.PublicKey
	header string // base64url of the JOSE header
}

var errSignature = errors.New("KMS returned a malformed ECDSA signature")

func newArticleIssuer(tb testing.TB, c *kms.Client) *articleIssuer {
	tb.Helper()
	ctx := context.Background()
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeSignVerify})
	if err != nil {
		tb.Fatal(err)
	}
	id := aws.ToString(out.KeyMetadata.KeyId)
	pk, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: &id})
	if err != nil {
		tb.Fatal(err)
	}
	k, err := x509.ParsePKIXPublicKey(pk.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	h, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": id})
	return &articleIssuer{client: c, keyID: id, pub: k.(*ecdsa.PublicKey), header: base64.RawURLEncoding.EncodeToString(h)}
}

// sign issues one token: one KMS Sign call over the SHA-256 digest of the
// signing input, the DER signature turned into JOSE's r || s.
func (a *articleIssuer) sign(ctx context.Context, claims jwt.Claims) (string, error) {
	p, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := a.header + "." + base64.RawURLEncoding.EncodeToString(p)
	digest := sha256.Sum256([]byte(input))
	out, err := a.client.Sign(ctx, &kms.SignInput{
		KeyId: &a.keyID, Message: digest[:], MessageType: types.MessageTypeDigest,
		SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256,
	})
	if err != nil {
		return "", err
	}
	var sig struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(out.Signature, &sig); err != nil || len(rest) != 0 {
		return "", errSignature
	}
	var rs [64]byte
	sig.R.FillBytes(rs[:32])
	sig.S.FillBytes(rs[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(rs[:]), nil
}

// TestArticleScheme checks the benchmark's ES256 tokens: golang-jwt
// verifies them with the KMS key's public key.
func TestArticleScheme(t *testing.T) {
	emu := kmstest.Start(t, "")
	a := newArticleIssuer(t, emu.Client(nil))
	tok, err := a.sign(context.Background(), benchClaims(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	var claims jwt.RegisteredClaims
	if _, err := jwt.ParseWithClaims(tok, &claims, func(*jwt.Token) (any, error) { return a.pub, nil }, jwt.WithValidMethods([]string{"ES256"})); err != nil || claims.Subject != "u-12345678" {
		t.Fatalf("%v", err)
	}
}

// BenchmarkIssue issues one token with the article's scheme (one KMS Sign
// per token) and with jwtrot over a root in KMS (no KMS call per token: one
// GenerateMac per window, derived ahead), both against the emulator on
// this machine, serially (the latency of one token) and from 16 goroutines
// (what one issuer sustains). kms-calls/op counts the requests the
// emulator received.
func BenchmarkIssue(b *testing.B) {
	tw := newTwins(b, rotation.HS256)
	calls := newCounter()
	art := newArticleIssuer(b, tw.emu.Client(calls))
	ctx := context.Background()
	claims := benchClaims(tw.mock.Now())
	for _, bc := range []struct {
		name  string
		calls *counter
		sign  func() (string, error)
	}{
		{"scheme=kms-sign-es256", calls, func() (string, error) { return art.sign(ctx, claims) }},
		{"scheme=jwtrot-kms-root", tw.calls, func() (string, error) { return tw.kms.Sign(claims) }},
	} {
		for _, par := range []bool{false, true} {
			name := bc.name + "/serial"
			if par {
				name = bc.name + "/parallel-16"
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				before := bc.calls.get("Sign") + bc.calls.get("GenerateMac")
				if par {
					b.SetParallelism(8) // 16 goroutines on 2 cores
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if _, err := bc.sign(); err != nil {
								b.Error(err)
								return
							}
						}
					})
				} else {
					for b.Loop() {
						if _, err := bc.sign(); err != nil {
							b.Fatal(err)
						}
					}
				}
				n := bc.calls.get("Sign") + bc.calls.get("GenerateMac") - before
				b.ReportMetric(float64(n)/float64(b.N), "kms-calls/op")
			})
		}
	}
}

// BenchmarkVerifyArticle verifies an article-scheme token with the KMS
// key's public key (golang-jwt, ES256), beside jwtrot's HS256 verification
// with the root in KMS.
func BenchmarkVerifyArticle(b *testing.B) {
	tw := newTwins(b, rotation.HS256)
	art := newArticleIssuer(b, tw.emu.Client(nil))
	claims := benchClaims(tw.mock.Now())
	es, err := art.sign(context.Background(), claims)
	if err != nil {
		b.Fatal(err)
	}
	hs, _ := tw.kms.Sign(claims)
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(tw.mock.Now))
	keyFunc := func(*jwt.Token) (any, error) { return art.pub, nil }
	b.Run("scheme=kms-es256-public-key", func(b *testing.B) {
		b.ReportAllocs()
		var c jwt.RegisteredClaims
		for b.Loop() {
			if _, err := parser.ParseWithClaims(es, &c, keyFunc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scheme=jwtrot-kms-root", func(b *testing.B) {
		b.ReportAllocs()
		var c jwt.RegisteredClaims
		for b.Loop() {
			if _, err := tw.kms.Verify(context.Background(), hs, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
