package jwks_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// TestEdDSAAttacks extends the attack corpus to EdDSA: each token keeps the
// kid of a held key and must be refused with the reason given.
func TestEdDSAAttacks(t *testing.T) {
	c := newClock(epoch)
	d, a := issuer(t, c)
	set, err := jwks.Parse(export(t, d, epoch, 0), c.schedule(t))
	if err != nil {
		t.Fatal(err)
	}
	v := verifier(t, set)
	tok := sign(t, a)
	head, rest, _ := strings.Cut(tok, ".")
	payload, _, _ := strings.Cut(rest, ".")
	input := head + "." + payload
	k, err := d.SigningKey(epoch)
	if err != nil {
		t.Fatal(err)
	}
	kid := k.ID()
	hdr := func(alg string) string { return b64([]byte(`{"alg":"` + alg + `","kid":"` + kid + `","typ":"JWT"}`)) }
	smallR := func(r []byte) string {
		return input + "." + b64(append(append([]byte(nil), r...), make([]byte, 32)...))
	}
	next, err := d.KeyAt("main", epoch.Add(window))
	if err != nil {
		t.Fatal(err)
	}
	prev, err := d.KeyAt("main", epoch.Add(-window))
	if err != nil {
		t.Fatal(err)
	}
	otherKey := ed25519.NewKeyFromSeed(make([]byte, 32))
	for _, tt := range []struct {
		name  string
		token string
		want  error
	}{
		{"HS256 keyed with the public key", hdr("HS256") + "." + payload + "." + b64(hmacSum("HS256", k.Public().Bytes(), hdr("HS256")+"."+payload)), jwtrot.ErrUnsupportedAlgorithm},
		{"alg none, empty signature", hdr("none") + "." + payload + ".", jwtrot.ErrMalformed},
		{"alg none, a signature", hdr("none") + "." + payload + "." + b64(make([]byte, 64)), jwtrot.ErrUnsupportedAlgorithm},
		{"alg NONE", hdr("NONE") + "." + payload + "." + b64(make([]byte, 64)), jwtrot.ErrUnsupportedAlgorithm},
		{"alg ES256 (another curve)", hdr("ES256") + "." + payload + "." + b64(make([]byte, 64)), jwtrot.ErrUnsupportedAlgorithm},
		{"alg Ed448", hdr("Ed448") + "." + payload + "." + b64(make([]byte, 114)), jwtrot.ErrUnsupportedAlgorithm},
		{"all-zero signature", input + "." + b64(make([]byte, 64)), jwtrot.ErrBadSignature},
		{"R the identity, S zero", smallR(append([]byte{1}, make([]byte, 31)...)), jwtrot.ErrBadSignature},
		{"R of order 4, S zero", smallR(make([]byte, 32)), jwtrot.ErrBadSignature},
		{"R of order 8, S zero", smallR([]byte{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a}), jwtrot.ErrBadSignature},
		{"signed by the next window's key", input + "." + b64(next.AppendSignature(nil, []byte(input))), jwtrot.ErrBadSignature},
		{"signed by the previous window's key", input + "." + b64(prev.AppendSignature(nil, []byte(input))), jwtrot.ErrBadSignature},
		{"signed by another key", input + "." + b64(ed25519.Sign(otherKey, []byte(input))), jwtrot.ErrBadSignature},
		{"a 63-byte signature", input + "." + b64(make([]byte, 63)), jwtrot.ErrBadSignature},
		{"a 65-byte signature", input + "." + b64(make([]byte, 65)), jwtrot.ErrBadSignature},
		{"an HMAC-length signature", input + "." + b64(make([]byte, 32)), jwtrot.ErrBadSignature},
		{"a jwk header", b64([]byte(`{"alg":"EdDSA","kid":"`+kid+`","jwk":{"kty":"OKP","crv":"Ed25519","x":"`+b64(otherKey.Public().(ed25519.PublicKey))+`"}}`)) + "." + payload + "." + b64(make([]byte, 64)), jwtrot.ErrUnsupportedHeader},
		{"a jku header", b64([]byte(`{"alg":"EdDSA","kid":"`+kid+`","jku":"https://evil.example/jwks"}`)) + "." + payload + "." + b64(make([]byte, 64)), jwtrot.ErrUnsupportedHeader},
	} {
		if _, err := v.Verify(context.Background(), tt.token, nil); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// The other way: an EdDSA token is refused by an HMAC Authority.
	hd, err := rotation.NewDeriver([]*rotation.Root{mustRoot(t, "main")}, rotation.WithWindow(window), rotation.WithClock(c))
	if err != nil {
		t.Fatal(err)
	}
	ha, err := jwtrot.New(hd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ha.Verify(context.Background(), tok, nil); !errors.Is(err, jwtrot.ErrUnsupportedAlgorithm) {
		t.Errorf("an EdDSA token at an HS256 Authority: %v", err)
	}
	// And the genuine token is accepted, by the Verifier and the issuer.
	if _, err := v.Verify(context.Background(), tok, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(context.Background(), tok, nil); err != nil {
		t.Fatal(err)
	}
}

// FuzzParse: no document makes Parse panic or keep a key that is not a
// usable Ed25519 public key with a canonical kid.
func FuzzParse(f *testing.F) {
	c := newClock(epoch)
	d, err := rotation.NewDeriver([]*rotation.Root{mustRoot(f, "main")}, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithWindow(window), rotation.WithClock(c))
	if err != nil {
		f.Fatal(err)
	}
	doc, err := jwks.Export(context.Background(), d, epoch, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(doc)
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kid":"main:1"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"","kid":"main:1","d":""}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA"},{"kty":"OKP","crv":"Ed25519","kid":"a:-1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","key_ops":["verify"]}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`[]`))
	sched, err := rotation.NewSchedule(rotation.WithWindow(window), rotation.WithClock(c))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		set, err := jwks.Parse(doc, sched)
		if err != nil {
			if !errors.Is(err, jwks.ErrDocument) {
				t.Fatalf("an error that is not ErrDocument: %v", err)
			}
			return
		}
		for _, k := range set.Keys() {
			if _, err := sched.PublicKey(k.ID(), k.Bytes()); err != nil {
				t.Fatalf("kept %s: %v", k.ID(), err)
			}
			if id, _, err := rotation.ParseKeyID(k.ID()); err != nil || id != k.RootID() {
				t.Fatalf("kept kid %q", k.ID())
			}
		}
	})
}
