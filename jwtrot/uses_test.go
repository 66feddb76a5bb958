package jwtrot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/internal/jwtjson"
)

// countingCounter wraps a UseCounter and records the calls it gets.
type countingCounter struct {
	mu    sync.Mutex
	calls []TokenInfo
	inner UseCounter
	err   error
}

func (c *countingCounter) ConsumeUse(ctx context.Context, t TokenInfo) (bool, error) {
	c.mu.Lock()
	c.calls = append(c.calls, t)
	c.mu.Unlock()
	if c.err != nil {
		return false, c.err
	}
	return c.inner.ConsumeUse(ctx, t)
}

func (c *countingCounter) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

func TestUsesClaimScan(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int64 // 0: refused as malformed
	}{
		{"1", 1}, {"5", 5}, {"1000000", MaxUses}, {" 7 ", 7},
		{"0", 0}, {"-1", 0}, {"1.0", 0}, {"1e3", 0}, {"01", 0}, {"1000001", 0},
		{"99999999999999999999999", 0}, {`"1"`, 0}, {"true", 0}, {"null", 0}, {"[1]", 0},
	} {
		p := `{"exp":1,"` + UsesClaim + `":` + tc.value + `}`
		c, err := scanClaims([]byte(p))
		switch {
		case tc.want == 0 && !errors.Is(err, ErrMalformed):
			t.Errorf("cap %s: err = %v, want ErrMalformed", tc.value, err)
		case tc.want != 0 && (err != nil || !c.HasUses || c.Uses != tc.want):
			t.Errorf("cap %s: %v, %v, %d", tc.value, err, c.HasUses, c.Uses)
		}
	}
	// Case variants of the name are refused, as for the registered claims,
	// escaped or not; other names of the same length are just members.
	for _, name := range []string{"GitHub.com/jwtrot/uses", "github.com/jwtrot/Uses", "github.com/jwtrot/u\u017fes", `github.com\/jwtrot\/USES`} {
		if _, err := scanClaims([]byte(`{"` + name + `":1}`)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", name, err)
		}
	}
	if c, err := scanClaims([]byte(`{"github.com\/jwtrot\/uses":3}`)); err != nil || c.Uses != 3 {
		t.Errorf("escaped name: %v, %d", err, c.Uses)
	}
	if c, err := scanClaims([]byte(`{"github.com/jwtrot/usex":"x"}`)); err != nil || c.HasUses {
		t.Errorf("another name: %v, %v", err, c.HasUses)
	}
}

func TestSignUses(t *testing.T) {
	f := newFixture(t)
	list := NewRevocationList(f.clock)
	withList, _ := New(f.d, WithRevoker(list))
	noIDs, _ := New(f.d, WithUseCounter(list), WithRandomID(false))
	noCounter := f.a

	if _, err := withList.Sign(jwt.MapClaims{UsesClaim: 1}); err != nil {
		t.Fatalf("a one-time token: %v", err)
	}
	if _, err := noIDs.Sign(jwt.MapClaims{UsesClaim: 1, "jti": "reset-42"}); err != nil {
		t.Fatalf("with its own jti: %v", err)
	}
	for name, tc := range map[string]struct {
		a      *Authority
		claims jwt.Claims
		says   string
	}{
		"no jti":     {noIDs, jwt.MapClaims{UsesClaim: 1}, "needs a jti"},
		"no counter": {noCounter, jwt.MapClaims{UsesClaim: 1}, "needs a UseCounter"},
		"zero":       {withList, jwt.MapClaims{UsesClaim: 0}, "out of range"},
		"too many":   {withList, jwt.MapClaims{UsesClaim: MaxUses + 1}, "out of range"},
		"fraction":   {withList, jwt.MapClaims{UsesClaim: 1.5}, "not a positive integer"},
		"a string":   {withList, jwt.MapClaims{UsesClaim: "3"}, "not a number"},
	} {
		_, err := tc.a.Sign(tc.claims)
		if !errors.Is(err, ErrSign) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want ErrSign saying %q", name, err, tc.says)
		}
	}
}

func TestVerifyUses(t *testing.T) {
	f := newFixture(t)
	list := NewRevocationList(f.clock)
	cc := &countingCounter{inner: list}
	a, _ := New(f.d, WithRevoker(list), WithUseCounter(cc))

	tok, err := a.Sign(jwt.MapClaims{"sub": "alice", UsesClaim: 3})
	if err != nil {
		t.Fatal(err)
	}
	mc := jwt.MapClaims{}
	if _, err := a.Verify(ctx, tok, mc); err != nil {
		t.Fatalf("use 1: %v", err)
	}
	if len(cc.calls) != 1 || cc.calls[0].MaxUses != 3 || cc.calls[0].ID != mc["jti"] || cc.calls[0].Subject != "alice" || cc.calls[0].Expires.IsZero() {
		t.Fatalf("the counter was told %+v", cc.calls)
	}
	// The previous window's token is re-signed with the same jti: the two
	// share the count.
	f.clock.Add(10 * time.Minute)
	res, err := a.Verify(ctx, tok, nil)
	if err != nil || res.Resigned == "" {
		t.Fatalf("use 2 in the next window: %v, resigned %q", err, res.Resigned)
	}
	if _, err := a.Verify(ctx, res.Resigned, nil); err != nil {
		t.Fatalf("use 3, the re-signed token: %v", err)
	}
	mc = jwt.MapClaims{}
	for _, tk := range []string{tok, res.Resigned} {
		_, err := a.Verify(ctx, tk, mc)
		if !errors.Is(err, ErrUsedUp) || Code(err) != "used_up" || Reason(err) != "no more uses" {
			t.Fatalf("use 4: %v, want ErrUsedUp", err)
		}
		if len(mc) != 0 {
			t.Fatal("claims left filled after ErrUsedUp")
		}
	}
	if cc.n() != 5 {
		t.Fatalf("%d calls to the counter for 5 verifications", cc.n())
	}
}

// validating refuses claims whose "ok" is false.
type validating struct {
	jwt.RegisteredClaims
	OK bool `json:"ok"`
}

func (v *validating) Validate() error {
	if !v.OK {
		return errors.New("not ok")
	}
	return nil
}

// wrongType cannot hold the "ok" of the tokens below.
type wrongType struct {
	jwt.RegisteredClaims
	OK int `json:"ok"`
}

// Only a token that passed everything else consumes a use.
func TestUsesConsumedLast(t *testing.T) {
	f := newFixture(t)
	list := NewRevocationList(f.clock)
	cc := &countingCounter{inner: list}
	a, _ := New(f.d, WithRevoker(list), WithUseCounter(cc), WithIssuer("https://issuer.example"))
	other, _ := New(f.d, WithRevoker(list), WithUseCounter(cc), WithIssuer("https://other.example"))

	good, _ := a.Sign(jwt.MapClaims{"sub": "alice", UsesClaim: 1, "ok": true})
	notOK, _ := a.Sign(jwt.MapClaims{"sub": "alice", UsesClaim: 1, "ok": false})
	wrongIss, _ := other.Sign(jwt.MapClaims{"sub": "alice", UsesClaim: 1})
	revoked, _ := a.Sign(jwt.MapClaims{"sub": "bob", UsesClaim: 1})
	expiring, _ := a.Sign(jwt.MapClaims{"sub": "carol", UsesClaim: 1, "exp": f.clock.Now().Add(time.Minute).Unix()})
	list.RevokeSubject(context.Background(), "bob", f.clock.Now().Add(time.Second))

	cases := []struct {
		tok    string
		claims jwt.Claims
		want   error
	}{
		{good[:len(good)-2] + "AA", nil, ErrBadSignature},
		{wrongIss, nil, ErrIssuer},
		{revoked, nil, ErrRevoked},
		{notOK, &validating{}, ErrInvalidClaims},
		{good, &wrongType{}, ErrInvalidClaims},
	}
	for i, tc := range cases {
		if _, err := a.Verify(ctx, tc.tok, tc.claims); !errors.Is(err, tc.want) {
			t.Fatalf("case %d: %v, want %v", i, err, tc.want)
		}
	}
	f.clock.Add(2 * time.Minute)
	if _, err := a.Verify(ctx, expiring, nil); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	if cc.n() != 0 {
		t.Fatalf("refused tokens consumed %d uses", cc.n())
	}
	v := &validating{}
	if _, err := a.Verify(ctx, good, v); err != nil || !v.OK {
		t.Fatalf("the good token: %v", err)
	}
	if cc.n() != 1 {
		t.Fatalf("%d calls for one accepted token", cc.n())
	}
}

func TestUsesFailures(t *testing.T) {
	f := newFixture(t)
	list := NewRevocationList(f.clock)
	a, _ := New(f.d, WithUseCounter(list))
	tok, _ := a.Sign(jwt.MapClaims{"sub": "alice@example.com", UsesClaim: 1})
	var rc jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &rc); err != nil {
		t.Fatal(err)
	}

	// Without a counter the verifier cannot honour the cap: refused.
	if _, err := f.a.Verify(ctx, tok, nil); !errors.Is(err, ErrUsedUp) {
		t.Fatalf("no counter: %v, want ErrUsedUp", err)
	}
	// A failing counter refuses with ErrRevocationCheck; the message names
	// neither the jti nor the subject.
	failing, _ := New(f.d, WithUseCounter(&countingCounter{err: fmt.Errorf("store down while counting %s", rc.ID)}))
	_, err := failing.Verify(ctx, tok, nil)
	var ce *CauseError
	if !errors.Is(err, ErrRevocationCheck) || !errors.As(err, &ce) || ce.Cause == nil {
		t.Fatalf("failing counter: %v", err)
	}
	if msg := err.Error(); strings.Contains(msg, rc.ID) || strings.Contains(msg, "alice") {
		t.Fatalf("the refusal names the token: %q", msg)
	}
	// A token signed elsewhere with a cap but no jti is malformed.
	noJti := craft(Header(f.d.Algorithm(), f.keyAt(f.clock.Now()).ID()),
		fmt.Sprintf(`{"iat":%d,"exp":%d,"%s":1}`, f.clock.Now().Unix(), f.clock.Now().Add(time.Minute).Unix(), UsesClaim), f.keyAt(f.clock.Now()))
	if _, err := a.Verify(ctx, noJti, nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("an N-use token without jti: %v", err)
	}
	// The in-memory counts go once their tokens expire.
	if _, err := a.Verify(ctx, tok, nil); err != nil {
		t.Fatal(err)
	}
	if list.Len() != 1 {
		t.Fatalf("%d entries after one use", list.Len())
	}
	f.clock.Add(DefaultTTL + time.Second)
	list.RevokeID(context.Background(), "other", f.clock.Now().Add(time.Minute))
	if list.Len() != 1 {
		t.Fatalf("%d entries after the N-use token expired; want 1", list.Len())
	}
}

// The vectors of SPEC §5.4, shared with other implementations.
func TestUsesVectors(t *testing.T) {
	raw, err := os.ReadFile("../testdata/uses.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []struct {
			Payload string `json:"payload"`
			Cap     int64  `json:"cap"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) < 10 {
		t.Fatalf("%d vectors", len(file.Vectors))
	}
	for _, v := range file.Vectors {
		c, err := scanClaims([]byte(v.Payload))
		switch {
		case v.Cap == 0:
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: %v, want ErrMalformed", v.Payload, err)
			}
		case v.Cap < 0:
			if err != nil || c.HasUses {
				t.Errorf("%s: %v, %v; want no cap", v.Payload, err, c.HasUses)
			}
		default:
			if err != nil || !c.HasUses || c.Uses != v.Cap {
				t.Errorf("%s: %v, cap %d; want %d", v.Payload, err, c.Uses, v.Cap)
			}
		}
	}
}

// TestUsesClaimAgreesWithReader: the strict reader types the same use-cap
// claim, with the same bound, as the one jwtrot documents.
func TestUsesClaimAgreesWithReader(t *testing.T) {
	if UsesClaim != jwtjson.UsesClaim || MaxUses != jwtjson.MaxUses {
		t.Fatalf("jwtrot has %q up to %d; its reader %q up to %d", UsesClaim, MaxUses, jwtjson.UsesClaim, jwtjson.MaxUses)
	}
}
