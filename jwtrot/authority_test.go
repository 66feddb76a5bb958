package jwtrot

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/rotation"
)

var ctx = context.Background()

type appClaims struct {
	jwt.RegisteredClaims
	Role  string `json:"role"`
	Scope string `json:"scope,omitempty"`
}

func TestSignVerifyClaimTypes(t *testing.T) {
	f := newFixture(t, WithIssuer("auth.example"), WithAudience("api"))
	tests := map[string]jwt.Claims{
		"RegisteredClaims":  jwt.RegisteredClaims{Subject: "alice"},
		"*RegisteredClaims": &jwt.RegisteredClaims{Subject: "alice"},
		"MapClaims":         jwt.MapClaims{"sub": "alice", "role": "admin"},
		"struct":            appClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: "alice"}, Role: "admin"},
	}
	for name, claims := range tests {
		t.Run(name, func(t *testing.T) {
			tok, err := f.a.Sign(claims)
			if err != nil {
				t.Fatal(err)
			}
			var rc jwt.RegisteredClaims
			res, err := f.a.Verify(ctx, tok, &rc)
			if err != nil {
				t.Fatal(err)
			}
			if res.Position != rotation.Current || res.Resigned != "" || res.KeyID != "main:2992240" {
				t.Fatalf("result %+v", res)
			}
			if rc.Subject != "alice" || rc.Issuer != "auth.example" || len(rc.Audience) != 1 || rc.Audience[0] != "api" {
				t.Fatalf("claims %+v", rc)
			}
			if !rc.IssuedAt.Time.Equal(testEpoch) || !rc.ExpiresAt.Time.Equal(testEpoch.Add(DefaultTTL)) {
				t.Fatalf("iat %v exp %v", rc.IssuedAt, rc.ExpiresAt)
			}
			if len(rc.ID) != 22 {
				t.Fatalf("jti %q is not 128 random bits in base64url", rc.ID)
			}
			var m jwt.MapClaims = jwt.MapClaims{}
			if _, err := f.a.Verify(ctx, tok, m); err != nil || m["sub"] != "alice" || m["exp"].(float64) != float64(testEpoch.Add(DefaultTTL).Unix()) {
				t.Fatalf("MapClaims %v, %v", m, err)
			}
			var ac appClaims
			if _, err := f.a.Verify(ctx, tok, &ac); err != nil || ac.Subject != "alice" {
				t.Fatalf("struct %+v, %v", ac, err)
			}
		})
	}
}

func TestSignHeaderIsCanonical(t *testing.T) {
	f := newFixture(t)
	tok, err := f.a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := segments(t, tok)
	raw, _ := base64.RawURLEncoding.DecodeString(h)
	if want := `{"alg":"HS256","kid":"main:2992240","typ":"JWT"}`; string(raw) != want {
		t.Fatalf("header %s; want %s", raw, want)
	}
}

func TestSignRefuses(t *testing.T) {
	f := newFixture(t, WithIssuer("auth"), WithAudience("api"))
	noTTL := newFixture(t, WithTTL(0))
	past := jwt.NewNumericDate(testEpoch.Add(-time.Second))
	tests := map[string]struct {
		a      *Authority
		claims jwt.Claims
	}{
		"no exp, no TTL":   {noTTL.a, jwt.MapClaims{"sub": "x"}},
		"exp in the past":  {f.a, jwt.RegisteredClaims{ExpiresAt: past}},
		"exp now":          {f.a, jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(testEpoch)}},
		"iat in future":    {f.a, jwt.RegisteredClaims{IssuedAt: jwt.NewNumericDate(testEpoch.Add(time.Hour))}},
		"other issuer":     {f.a, jwt.RegisteredClaims{Issuer: "evil"}},
		"other audience":   {f.a, jwt.RegisteredClaims{Audience: jwt.ClaimStrings{"web"}}},
		"case variant":     {f.a, jwt.MapClaims{"exp": 2000000000, "EXP": 1}},
		"exp wrong type":   {f.a, jwt.MapClaims{"exp": "2000000000"}},
		"not serializable": {f.a, jwt.MapClaims{"f": func() {}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if tok, err := tt.a.Sign(tt.claims); !errors.Is(err, ErrSign) {
				t.Fatalf("Sign gave a token of %d bytes, %v; want ErrSign", len(tok), err)
			}
		})
	}
	// With no TTL, claims carrying exp are signed as they are.
	exp := jwt.NewNumericDate(testEpoch.Add(time.Minute))
	if _, err := noTTL.a.Sign(jwt.RegisteredClaims{ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
}

func TestSignKeepsGivenClaims(t *testing.T) {
	f := newFixture(t, WithRandomID(false))
	iat := testEpoch.Add(-time.Minute)
	tok, err := f.a.Sign(jwt.MapClaims{"iat": iat.Unix(), "exp": iat.Add(5 * time.Minute).Unix(), "x": []int{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	_, p, _ := segments(t, tok)
	raw, _ := base64.RawURLEncoding.DecodeString(p)
	want := `{"exp":1795344540,"iat":1795344240,"x":[1,2]}`
	if string(raw) != want {
		t.Fatalf("payload %s; want %s", raw, want)
	}
	empty, _ := f.a.Sign(jwt.MapClaims{})
	_, p, _ = segments(t, empty)
	raw, _ = base64.RawURLEncoding.DecodeString(p)
	if want := `{"iat":1795344300,"exp":1795347900}`; string(raw) != want {
		t.Fatalf("payload %s; want %s", raw, want)
	}
}

func TestNewRefuses(t *testing.T) {
	d := newFixture(t).d
	tests := map[string][]Option{
		"negative TTL":       {WithTTL(-time.Second)},
		"fractional TTL":     {WithTTL(1500 * time.Millisecond)},
		"TTL beyond max age": {WithTTL(2 * time.Hour), WithMaxAge(time.Hour)},
		"negative max age":   {WithMaxAge(-time.Hour)},
		"tiny size cap":      {WithMaxSize(10)},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := New(d, opts...); err == nil {
				t.Fatal("New accepted")
			}
		})
	}
	if _, err := New(nil); err == nil {
		t.Fatal("New(nil) accepted")
	}
}

func TestResign(t *testing.T) {
	f := newFixture(t)
	tok, _ := f.a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	f.clock.Add(10 * time.Minute) // into the next window
	res, err := f.a.Verify(ctx, tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Position != rotation.Previous || res.Resigned == "" || res.KeyID != "main:2992240" {
		t.Fatalf("result %+v", res)
	}
	oh, op, _ := segments(t, tok)
	nh, np, _ := segments(t, res.Resigned)
	if np != op {
		t.Fatal("re-signing changed the payload")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(nh)
	if string(raw) != `{"alg":"HS256","kid":"main:2992241","typ":"JWT"}` || nh == oh {
		t.Fatalf("re-signed header %s", raw)
	}
	again, _ := f.a.Verify(ctx, tok, nil)
	if again.Resigned != res.Resigned {
		t.Fatal("re-signing is not deterministic")
	}
	// The re-signed token verifies as current and keeps exp.
	var rc jwt.RegisteredClaims
	res2, err := f.a.Verify(ctx, res.Resigned, &rc)
	if err != nil || res2.Position != rotation.Current || res2.Resigned != "" {
		t.Fatalf("re-signed token: %+v, %v", res2, err)
	}
	if !rc.ExpiresAt.Time.Equal(testEpoch.Add(DefaultTTL)) {
		t.Fatal("re-signing changed exp")
	}
	// The original, unused for another window, is retired; the re-signed
	// one carries on.
	f.clock.Add(10 * time.Minute)
	if _, err := f.a.Verify(ctx, tok, nil); !errors.Is(err, ErrWindowRetired) {
		t.Fatalf("token idle for two windows: %v; want ErrWindowRetired", err)
	}
	if res3, err := f.a.Verify(ctx, res.Resigned, nil); err != nil || res3.Position != rotation.Previous {
		t.Fatalf("re-signed token a window later: %+v, %v", res3, err)
	}
}

// TestWalkManyWindows keeps one session alive across 17 windows by swapping
// in every re-signed token, then lets exp end it.
func TestWalkManyWindows(t *testing.T) {
	f := newFixture(t, WithTTL(3*time.Hour))
	tok, _ := f.a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	for i := 0; i < 19; i++ {
		f.clock.Add(9 * time.Minute)
		res, err := f.a.Verify(ctx, tok, nil)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if res.Resigned != "" {
			tok = res.Resigned
		}
	}
	f.clock.Set(testEpoch.Add(3 * time.Hour))
	if _, err := f.a.Verify(ctx, tok, nil); !errors.Is(err, ErrExpired) {
		t.Fatalf("at exp: %v; want ErrExpired", err)
	}
}

func TestBoundariesAndSkew(t *testing.T) {
	f := newFixture(t)
	w := f.d.Schedule().WindowAt(testEpoch)
	ns := time.Nanosecond
	sign := func(at time.Time) string {
		f.clock.Set(at)
		tok, err := f.a.Sign(jwt.RegisteredClaims{})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tests := []struct {
		name     string
		signAt   time.Time
		verifyAt time.Time
		pos      rotation.Position
		err      error
	}{
		{"signed 1ns before a boundary, verified 1ns after", w.End().Add(-ns), w.End().Add(ns), rotation.Previous, nil},
		{"signed on a boundary, verified 1ns before it (skew)", w.End(), w.End().Add(-ns), rotation.Next, nil},
		{"signer ahead by the skew", w.End(), w.End().Add(-30 * time.Second), rotation.Next, nil},
		{"signer ahead by more than the skew", w.End(), w.End().Add(-30*time.Second - ns), 0, ErrWindowNotOpen},
		{"verifier ahead by the skew", w.End().Add(-ns), w.End().Add(30 * time.Second), rotation.Previous, nil},
		{"N-2", w.Start(), w.End().Add(10 * time.Minute), 0, ErrWindowRetired},
		{"N+2", w.End().Add(10 * time.Minute), w.End().Add(-ns), 0, ErrWindowNotOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := sign(tt.signAt)
			f.clock.Set(tt.verifyAt)
			res, err := f.a.Verify(ctx, tok, nil)
			if !errors.Is(err, tt.err) || (err == nil && res.Position != tt.pos) {
				t.Fatalf("= %v, %v; want %v, %v", res.Position, err, tt.pos, tt.err)
			}
		})
	}
}

func TestNoClaimsOnError(t *testing.T) {
	f := newFixture(t)
	key := f.keyAt(testEpoch)
	expired := `{"sub":"alice","role":"admin","iat":1795340000,"exp":1795340001}`
	badSig := craft(canonical(key), expired, nil)
	for name, tok := range map[string]string{"expired": craft(canonical(key), expired, key), "expired and bad signature": badSig} {
		t.Run(name, func(t *testing.T) {
			m := jwt.MapClaims{}
			var s appClaims
			var rc jwt.RegisteredClaims
			for _, c := range []jwt.Claims{m, &s, &rc} {
				res, err := f.a.Verify(ctx, tok, c)
				if err == nil || res != (Result{}) {
					t.Fatalf("accepted: %+v", res)
				}
			}
			if len(m) != 0 || s.Role != "" || s.Subject != "" || rc.Subject != "" {
				t.Fatal("claims returned with an error")
			}
		})
	}
	if _, err := f.a.Verify(ctx, badSig, nil); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("expired and badly signed: %v; want ErrBadSignature (CVE-2024-51744)", err)
	}
	// A claims value that cannot be decoded into is refused and left empty.
	tok, _ := f.a.Sign(jwt.MapClaims{"role": 5})
	var s appClaims
	if _, err := f.a.Verify(ctx, tok, &s); !errors.Is(err, ErrInvalidClaims) || s.ExpiresAt != nil {
		t.Fatalf("undecodable claims: %v", err)
	}
	if _, err := f.a.Verify(ctx, tok, appClaims{}); !errors.Is(err, ErrInvalidClaims) {
		t.Fatalf("non-pointer claims: %v", err)
	}
}

type validatedClaims struct {
	jwt.RegisteredClaims
	Scope string `json:"scope"`
}

func (c validatedClaims) Validate() error {
	if c.Scope == "" {
		return errors.New("scope required")
	}
	return nil
}

func TestClaimsValidator(t *testing.T) {
	f := newFixture(t)
	good, _ := f.a.Sign(validatedClaims{Scope: "read"})
	bad, _ := f.a.Sign(validatedClaims{})
	var c validatedClaims
	if _, err := f.a.Verify(ctx, good, &c); err != nil || c.Scope != "read" {
		t.Fatal(err)
	}
	if _, err := f.a.Verify(ctx, bad, &c); !errors.Is(err, ErrInvalidClaims) {
		t.Fatalf("Validate not called: %v", err)
	}
}

func TestObserver(t *testing.T) {
	var got []Outcome
	f := newFixture(t, WithObserver(func(o Outcome) { got = append(got, o) }))
	tok, _ := f.a.Sign(jwt.RegisteredClaims{})
	f.a.Verify(ctx, tok, nil)
	f.clock.Add(10 * time.Minute)
	f.a.Verify(ctx, tok, nil)
	f.a.Verify(ctx, "garbage", nil)
	if len(got) != 3 {
		t.Fatalf("%d outcomes", len(got))
	}
	if got[0].Position != rotation.Current || got[0].Err != nil || got[0].Resigned {
		t.Errorf("first %+v", got[0])
	}
	if got[1].Position != rotation.Previous || !got[1].Resigned || got[1].KeyID != "main:2992240" {
		t.Errorf("second %+v", got[1])
	}
	if !errors.Is(got[2].Err, ErrMalformed) || got[2].KeyID != "" {
		t.Errorf("third %+v", got[2])
	}
	for i, o := range got {
		if o.Purpose != "access" || o.Duration <= 0 || o.StoreConsulted || o.StoreFailed || o.KeySourceFailed {
			t.Errorf("outcome %d: %+v", i, o)
		}
	}
	if got[0].Code != "" || got[0].RootID != "main" || got[2].Code != "malformed" || got[2].RootID != "" {
		t.Errorf("codes and roots: %+v", got)
	}

	// The store: consulted, and failing.
	var last Outcome
	fail := false
	g := newFixture(t, WithObserver(func(o Outcome) { last = o }), WithRevoker(revokerFunc(func(context.Context, TokenInfo) (bool, error) {
		if fail {
			return false, errors.New("down")
		}
		return false, nil
	})))
	tok, _ = g.a.Sign(jwt.RegisteredClaims{})
	g.a.Verify(ctx, tok, nil)
	if !last.StoreConsulted || last.StoreFailed || last.Code != "" {
		t.Errorf("store up: %+v", last)
	}
	fail = true
	g.a.Verify(ctx, tok, nil)
	if !last.StoreConsulted || !last.StoreFailed || last.Code != "revocation_check_failed" {
		t.Errorf("store down: %+v", last)
	}
	g.a.Verify(ctx, tok[:len(tok)-2]+"AA", nil)
	if last.StoreConsulted || last.Code != "bad_signature" || last.RootID != "main" {
		t.Errorf("bad signature: %+v", last)
	}
}

func TestSeveralRootsResignUnderSameRoot(t *testing.T) {
	oldRoot, _ := rotation.NewRoot("old", testSecret)
	newRoot, _ := rotation.NewRoot("new", []byte("the new root, 32 bytes or longer, for tests"))
	f := newFixture(t)
	oldD, _ := rotation.NewDeriver([]*rotation.Root{oldRoot}, rotation.WithClock(f.clock))
	bothD, _ := rotation.NewDeriver([]*rotation.Root{newRoot, oldRoot}, rotation.WithClock(f.clock))
	oldA, _ := New(oldD)
	bothA, _ := New(bothD)
	tok, _ := oldA.Sign(jwt.RegisteredClaims{})
	res, err := bothA.Verify(ctx, tok, nil)
	if err != nil || res.KeyID != "old:2992240" || res.Resigned != "" {
		t.Fatalf("fallback root: %+v, %v", res, err)
	}
	f.clock.Add(10 * time.Minute)
	res, err = bothA.Verify(ctx, tok, nil)
	if err != nil || !strings.Contains(mustHeader(t, res.Resigned), `"kid":"old:2992241"`) {
		t.Fatalf("re-signed under another root: %v", err)
	}
	fresh, _ := bothA.Sign(jwt.RegisteredClaims{})
	if !strings.Contains(mustHeader(t, fresh), `"kid":"new:2992241"`) {
		t.Fatal("new tokens are not signed by the first root")
	}
}

func mustHeader(t *testing.T, tok string) string {
	h, _, _ := segments(t, tok)
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestRevocation(t *testing.T) {
	f := newFixture(t)
	list := NewRevocationList(f.clock)
	a, _ := New(f.d, WithRevoker(list))
	alice, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	bob, _ := a.Sign(jwt.RegisteredClaims{Subject: "bob"})
	var rc jwt.RegisteredClaims
	a.Verify(ctx, bob, &rc)
	list.RevokeID(context.Background(), rc.ID, rc.ExpiresAt.Time)
	f.clock.Add(time.Second)
	list.RevokeSubject(context.Background(), "alice", f.clock.Now())
	if _, err := a.Verify(ctx, alice, nil); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked subject: %v", err)
	}
	if _, err := a.Verify(ctx, bob, nil); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked jti: %v", err)
	}
	// A new session in the same second as the revocation survives.
	again, _ := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	if _, err := a.Verify(ctx, again, nil); err != nil {
		t.Fatalf("new session after revocation: %v", err)
	}
	// Entries go once every token they cover has expired.
	if list.Len() != 2 {
		t.Fatalf("%d entries", list.Len())
	}
	f.clock.Add(DefaultTTL + time.Second)
	list.RevokeID(context.Background(), "other", f.clock.Now().Add(time.Minute))
	if list.Len() != 1 {
		t.Fatalf("%d entries after expiry; want 1", list.Len())
	}
	// A failing checker refuses the token.
	failing, _ := New(f.d, WithRevoker(revokerFunc(func(context.Context, TokenInfo) (bool, error) {
		return false, errors.New("store unreachable")
	})))
	tok, _ := failing.Sign(jwt.RegisteredClaims{})
	if _, err := failing.Verify(ctx, tok, nil); !errors.Is(err, ErrRevocationCheck) {
		t.Fatalf("failing revoker: %v", err)
	}
}

type revokerFunc func(context.Context, TokenInfo) (bool, error)

func (f revokerFunc) Revoked(ctx context.Context, t TokenInfo) (bool, error) { return f(ctx, t) }

func TestReason(t *testing.T) {
	if Reason(nil) != "" || Reason(errors.New("x")) != "invalid token" {
		t.Fatal("Reason of nil or foreign error")
	}
	if Code(nil) != "" || Code(errors.New("x")) != "other" {
		t.Fatal("Code of nil or foreign error")
	}
	codes := map[string]bool{}
	for _, r := range reasons {
		if got := Reason(errors.Join(errors.New("context"), r)); got != r.phrase {
			t.Errorf("Reason(%v) = %q; want %q", r, got, r.phrase)
		}
		if got := Code(fmt.Errorf("wrapped: %w", r)); got != r.code {
			t.Errorf("Code(%v) = %q; want %q", r, got, r.code)
		}
		if codes[r.code] || !regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`).MatchString(r.code) {
			t.Errorf("code %q repeated or not snake_case", r.code)
		}
		codes[r.code] = true
		if !strings.HasPrefix(r.Error(), "jwtrot: ") {
			t.Errorf("%q lacks the package prefix", r.Error())
		}
	}
}
