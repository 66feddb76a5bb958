// Package scripted drives an observer through a fixed sequence of
// verifications, one for each kind of outcome jwtrot reports (accepted in
// every position, re-signed, and every refusal reason it can produce), and
// says how many of each it caused. The metrics adapters' tests compare what
// they count with it.
package scripted

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// Epoch is the script's start: 10:45 on 2026-11-22 UTC, in the middle of
// 10-minute window 2992240.
var Epoch = time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC)

// Purpose is the purpose label of the script's authorities.
const Purpose = "access"

// Counts is what a script caused, by outcome.
type Counts struct {
	// ByCode counts refusals by reason code.
	ByCode map[string]int
	// Accepted counts accepted tokens by position ("previous", "current",
	// "next").
	Accepted map[string]int
	// Resigned counts re-signed tokens.
	Resigned int
	// StoreFailures counts verifications whose revocation store failed;
	// StoreChecks those that consulted it.
	StoreFailures, StoreChecks int
	// KeySourceFailures counts refusals for a key the root's module did not
	// give.
	KeySourceFailures int
	// Total counts every verification.
	Total int
}

type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

// flaky is a root's module that can be made to fail.
type flaky struct {
	root *rotation.Root
	down atomic.Bool
}

func (f *flaky) Expand(ctx context.Context, info []byte, n int) ([]byte, error) {
	if f.down.Load() {
		return nil, errors.New("module unreachable")
	}
	// Stand in for a module holding the root: derive from the in-memory root.
	prk, err := f.root.ExportPRK()
	if err != nil {
		return nil, err
	}
	return hkdf.Expand(sha256.New, prk, string(info), n)
}

// Run verifies the script's tokens with authorities that report to observe,
// checking each outcome as it goes, and returns what it caused.
func Run(t testing.TB, observe func(jwtrot.Outcome)) Counts {
	t.Helper()
	var mu sync.Mutex
	counts := Counts{ByCode: map[string]int{}, Accepted: map[string]int{}}
	var last jwtrot.Outcome
	record := func(o jwtrot.Outcome) {
		mu.Lock()
		last = o
		counts.Total++
		switch {
		case o.Err != nil:
			counts.ByCode[o.Code]++
		default:
			counts.Accepted[o.Position.String()]++
		}
		if o.Resigned {
			counts.Resigned++
		}
		if o.StoreConsulted {
			counts.StoreChecks++
		}
		if o.StoreFailed {
			counts.StoreFailures++
		}
		if o.KeySourceFailed {
			counts.KeySourceFailures++
		}
		mu.Unlock()
		observe(o)
	}

	clk := &clock{}
	clk.set(Epoch)
	secret := []byte("scripted test root, not a secret: 0123456789abcdef")
	root, err := rotation.NewRoot("main", secret)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(clk), rotation.WithWindow(10*time.Minute), rotation.WithSkew(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	list := jwtrot.NewRevocationList(clk)
	a, err := jwtrot.New(d, jwtrot.WithIssuer("auth"), jwtrot.WithAudience("api"), jwtrot.WithRevoker(list), jwtrot.WithObserver(record))
	if err != nil {
		t.Fatal(err)
	}
	failing, err := jwtrot.New(d, jwtrot.WithIssuer("auth"), jwtrot.WithAudience("api"), jwtrot.WithObserver(record),
		jwtrot.WithRevoker(revokerFunc(func(context.Context, jwtrot.TokenInfo) (bool, error) { return false, errors.New("store down") })))
	if err != nil {
		t.Fatal(err)
	}
	lost, err := jwtrot.New(d, jwtrot.WithIssuer("auth"), jwtrot.WithAudience("api"), jwtrot.WithObserver(record),
		jwtrot.WithRevoker(revokerFunc(func(context.Context, jwtrot.TokenInfo) (bool, error) { return false, jwtrot.ErrRevocationsLost })))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := func(at time.Time) *rotation.Key {
		k, err := d.KeyAt("main", at)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := func() int64 { return clk.Now().Unix() }
	craft := func(k *rotation.Key, header, payload string) string {
		if header == "" {
			header = jwtrot.Header(k.Algorithm(), k.ID())
		}
		in := b64(header) + "." + b64(payload)
		return in + "." + base64.RawURLEncoding.EncodeToString(k.AppendSignature(nil, []byte(in)))
	}
	claims := func(extra string) string {
		return `{"iss":"auth","aud":"api","exp":` + strconv.FormatInt(now()+600, 10) + `,"iat":` + strconv.FormatInt(now(), 10) + extra + `}`
	}
	sign := func(c jwt.Claims) string {
		tok, err := a.Sign(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	expect := func(name string, auth *jwtrot.Authority, tok string, into jwt.Claims, code string) {
		t.Helper()
		auth.Verify(ctx, tok, into)
		mu.Lock()
		got := last
		mu.Unlock()
		if got.Code != code {
			t.Fatalf("%s: outcome code %q (%v); want %q", name, got.Code, got.Err, code)
		}
	}
	cur := key(clk.Now())

	// Accepted: current, previous (re-signed), next.
	tok := sign(jwt.RegisteredClaims{Subject: "alice"})
	expect("current", a, tok, nil, "")
	expect("current again", a, tok, nil, "")
	clk.add(10 * time.Minute)
	expect("previous", a, tok, nil, "")
	clk.set(Epoch.Add(5*time.Minute - 10*time.Second)) // 10 s before the next window
	expect("next", a, craft(key(clk.Now().Add(time.Minute)), "", claims("")), nil, "")
	clk.set(Epoch)

	// Every refusal the script can produce.
	expect("too_large", a, strings.Repeat("a", 9000), nil, "too_large")
	expect("malformed", a, "not.a.token!", nil, "malformed")
	expect("unsupported_algorithm", a, craft(cur, `{"alg":"HS512","kid":"`+cur.ID()+`"}`, claims("")), nil, "unsupported_algorithm")
	expect("unsupported_header", a, craft(cur, `{"alg":"HS256","kid":"`+cur.ID()+`","jku":"https://x"}`, claims("")), nil, "unsupported_header")
	expect("unknown_key_id", a, craft(cur, `{"alg":"HS256","kid":"other:1"}`, claims("")), nil, "unknown_key_id")
	expect("window_retired", a, craft(key(Epoch.Add(-30*time.Minute)), "", claims("")), nil, "window_retired")
	expect("window_not_open", a, craft(key(Epoch.Add(30*time.Minute)), "", claims("")), nil, "window_not_open")
	expect("bad_signature", a, tok[:len(tok)-2]+"AA", nil, "bad_signature")
	expect("missing_claim", a, craft(cur, "", `{"iss":"auth","aud":"api","exp":`+strconv.FormatInt(now()+60, 10)+`}`), nil, "missing_claim")
	expect("expired", a, craft(cur, "", `{"iss":"auth","aud":"api","exp":`+strconv.FormatInt(now()-1, 10)+`,"iat":`+strconv.FormatInt(now()-60, 10)+`}`), nil, "expired")
	expect("not_yet_valid", a, craft(cur, "", claims(`,"nbf":`+strconv.FormatInt(now()+300, 10))), nil, "not_yet_valid")
	expect("issued_in_future", a, craft(cur, "", `{"iss":"auth","aud":"api","exp":`+strconv.FormatInt(now()+900, 10)+`,"iat":`+strconv.FormatInt(now()+300, 10)+`}`), nil, "issued_in_future")
	expect("too_old", a, craft(cur, "", `{"iss":"auth","aud":"api","exp":`+strconv.FormatInt(now()+60, 10)+`,"iat":`+strconv.FormatInt(now()-7200, 10)+`}`), nil, "too_old")
	expect("wrong_issuer", a, craft(cur, "", `{"iss":"evil","aud":"api","exp":`+strconv.FormatInt(now()+60, 10)+`,"iat":`+strconv.FormatInt(now(), 10)+`}`), nil, "wrong_issuer")
	expect("wrong_audience", a, craft(cur, "", `{"iss":"auth","aud":"web","exp":`+strconv.FormatInt(now()+60, 10)+`,"iat":`+strconv.FormatInt(now(), 10)+`}`), nil, "wrong_audience")
	revoked := sign(jwt.RegisteredClaims{Subject: "bob", ID: "revoked-1"})
	list.RevokeID(context.Background(), "revoked-1", clk.Now().Add(time.Hour))
	expect("revoked", a, revoked, nil, "revoked")
	expect("revocation_check_failed", failing, tok, nil, "revocation_check_failed")
	expect("revocations_lost", lost, tok, nil, "revocations_lost")
	expect("invalid_claims", a, sign(jwt.RegisteredClaims{Subject: "carol"}), (*jwt.RegisteredClaims)(nil), "invalid_claims")
	once := sign(jwt.MapClaims{jwtrot.UsesClaim: 1, "sub": "dave"})
	expect("one use", a, once, nil, "")
	expect("used_up", a, once, nil, "used_up")

	// A root held in a module that stops answering: the next windows' keys
	// cannot be had.
	mod := &flaky{root: root}
	ext, err := rotation.NewExternalRoot("hsm", mod)
	if err != nil {
		t.Fatal(err)
	}
	de, err := rotation.NewDeriver([]*rotation.Root{ext}, rotation.WithClock(clk), rotation.WithWindow(10*time.Minute), rotation.WithSkew(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { de.Close() })
	ae, err := jwtrot.New(de, jwtrot.WithObserver(record))
	if err != nil {
		t.Fatal(err)
	}
	mod.down.Store(true)
	clk.add(30 * time.Minute)
	k := key(clk.Now()) // the in-memory root gives the same MAC key only for root "main": any MAC will do
	expect("key_unavailable", ae, craft(k, jwtrot.Header(rotation.HS256, "hsm:"+strconv.FormatInt(de.Schedule().WindowAt(clk.Now()).Index(), 10)), claims("")), nil, "key_unavailable")

	// A Verifier whose key source has not reached its issuer yet.
	v, err := jwtrot.NewVerifier(unreached{}, jwtrot.WithObserver(record))
	if err != nil {
		t.Fatal(err)
	}
	v.Verify(ctx, craft(k, jwtrot.Header(rotation.EdDSA, "main:1"), claims("")), nil)
	mu.Lock()
	got := last
	mu.Unlock()
	if got.Code != "not_ready" || !got.KeySourceFailed {
		t.Fatalf("not_ready: outcome code %q (%v)", got.Code, got.Err)
	}
	return counts
}

// unreached is a key source that has not reached its issuer: no schedule,
// no key.
type unreached struct{}

func (unreached) Info() jwtrot.SourceInfo {
	return jwtrot.SourceInfo{Algorithm: rotation.EdDSA, Purpose: rotation.DefaultPurpose}
}
func (unreached) Version() int64 { return 0 }
func (unreached) Key(string, rotation.Window) (rotation.VerifyingKey, error) {
	return nil, rotation.ErrKeyUnavailable
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

type revokerFunc func(context.Context, jwtrot.TokenInfo) (bool, error)

func (f revokerFunc) Revoked(ctx context.Context, t jwtrot.TokenInfo) (bool, error) { return f(ctx, t) }
