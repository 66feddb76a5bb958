package jwtrot

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/rotation"
)

// secretSpellings returns the ways a secret could appear in text: raw,
// hex in both cases, base64 in both alphabets, and the decimal and Go
// syntax fmt uses for a byte slice. Each is cut to a length that cannot
// occur by chance.
func secretSpellings(secret []byte) []string {
	b := secret[len(secret)-12:] // the end: testSecret starts with a readable label
	dec := strings.Trim(fmt.Sprint(b[:6]), "[]")
	var goSyntax strings.Builder
	for _, c := range b[:6] {
		fmt.Fprintf(&goSyntax, "0x%x, ", c)
	}
	return []string{
		string(b), hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
		base64.StdEncoding.EncodeToString(secret)[8:20], base64.RawURLEncoding.EncodeToString(secret)[8:20],
		dec, goSyntax.String(), fmt.Sprintf("%q", b)[1:12],
	}
}

// TestNothingPrintsASecret prints every type that holds a root or a key,
// as a value and as a pointer, with every fmt verb and through log/slog,
// and looks for the root's and the keys' bytes in every spelling.
func TestNothingPrintsASecret(t *testing.T) {
	f := newFixture(t)
	if _, err := f.a.Sign(nil); err != nil { // fill the window set and key caches
		t.Fatal(err)
	}
	root, _ := rotation.NewRoot("main", testSecret)
	key := f.keyAt(testEpoch)
	secrets := append(secretSpellings(testSecret), secretSpellings(key.Bytes())...)
	values := map[string]any{
		"*Root": root, "Root": *root,
		"*Key": key, "Key": *key,
		"*Deriver": f.d, "Deriver": *f.d,
		"*Authority": f.a, "Authority": *f.a,
		"[]*Key in a struct": struct{ Keys []*rotation.Key }{[]*rotation.Key{key}},
		"Key in a struct":    struct{ K rotation.Key }{*key},
	}
	// An EdDSA Deriver's key holds a seed and a private key; its
	// Authority and a Verifier of its public keys print neither.
	ed, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithClock(f.clock))
	if err != nil {
		t.Fatal(err)
	}
	edKey, err := ed.SigningKey(testEpoch)
	if err != nil {
		t.Fatal(err)
	}
	edAuth, err := New(ed)
	if err != nil {
		t.Fatal(err)
	}
	edVerifier, err := NewVerifier(publicKeys{ed})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, secretSpellings(edKey.Bytes())...)
	secrets = append(secrets, secretSpellings(ed25519.NewKeyFromSeed(edKey.Bytes()))...)
	values["EdDSA *Key"], values["EdDSA Key"] = edKey, *edKey
	values["EdDSA *Deriver"], values["EdDSA *Authority"] = ed, edAuth
	values["*Verifier"], values["Verifier"] = edVerifier, *edVerifier
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%b", "%c", "%U", "%e", "%p", "%T", "%20.5v"}
	for name, v := range values {
		var outs []string
		for _, verb := range verbs {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
		outs = append(outs, fmt.Sprint(v), fmt.Sprintln(v))
		for _, h := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		} {
			var buf bytes.Buffer
			slog.New(h(&buf)).Info("x", "v", v, slog.Any("any", v), slog.Group("g", "v", v))
			outs = append(outs, buf.String())
		}
		for i, out := range outs {
			for j, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("%s: output %d (%d bytes) contains key or root material (spelling %d)", name, i, len(out), j)
				}
			}
		}
	}
}

// The claim values below must never reach an error.
const secretClaim = "987654321987"

type levelClaims struct {
	jwt.RegisteredClaims
	Level int8      `json:"level"`
	When  time.Time `json:"when"`
}

// TestDecodeErrorsQuoteNoValue: encoding/json's messages quote the value
// that did not fit; jwtrot's say only its kind and the Go type.
func TestDecodeErrorsQuoteNoValue(t *testing.T) {
	var seen []Outcome
	f := newFixture(t, WithObserver(func(o Outcome) { seen = append(seen, o) }))
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		claims map[string]any
		into   func() jwt.Claims
		says   string
	}{
		{"int8 overflow", map[string]any{"level": json987()}, func() jwt.Claims { return &levelClaims{} }, "a JSON number does not fit the Go type int8"},
		{"time.Time from a word", map[string]any{"when": "sekrit-" + secretClaim}, func() jwt.Claims { return &levelClaims{} }, "do not decode"},
		{"MapClaims huge exponent", map[string]any{"x": jsonRaw("1" + secretClaim + "e400")}, func() jwt.Claims { return jwt.MapClaims{} }, "a JSON number does not fit the Go type float64"},
		{"string into int8", map[string]any{"level": "x" + secretClaim}, func() jwt.Claims { return &levelClaims{} }, "a JSON string does not fit the Go type int8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok := signRaw(t, f, tt.claims)
			_, err := f.a.Verify(ctx, tok, tt.into())
			if !errors.Is(err, ErrInvalidClaims) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Verify = %v; want ErrInvalidClaims saying %q", err, tt.says)
			}
			for _, msg := range []string{err.Error(), fmt.Sprintf("%+v", seen[len(seen)-1].Err)} {
				if strings.Contains(msg, secretClaim) || strings.Contains(msg, "sekrit") {
					t.Fatalf("the error quotes a claim value: %q", msg)
				}
			}
		})
	}
}

type jsonRaw string

func (r jsonRaw) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func json987() jsonRaw { return jsonRaw(secretClaim) }

// signRaw signs claims (a map, encoded as is) with f's authority.
func signRaw(t *testing.T, f *fixture, claims map[string]any) string {
	t.Helper()
	mc := jwt.MapClaims{}
	for k, v := range claims {
		mc[k] = v
	}
	tok, err := f.a.Sign(mc)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestClaimsValuesNeverPanic: every typed nil, a nil interface and every
// non-pointer claims value gives a clear error or (nil interface) decodes
// nothing, for an accepted token and a refused one.
func TestClaimsValuesNeverPanic(t *testing.T) {
	f := newFixture(t)
	good, _ := f.a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	bad := good[:len(good)-2] + "AA"
	for _, tt := range []struct {
		name   string
		claims jwt.Claims
	}{
		{"nil *RegisteredClaims", (*jwt.RegisteredClaims)(nil)},
		{"nil user struct pointer", (*levelClaims)(nil)},
		{"nil *MapClaims", (*jwt.MapClaims)(nil)},
		{"nil MapClaims", jwt.MapClaims(nil)},
		{"RegisteredClaims by value", jwt.RegisteredClaims{}},
		{"user struct by value", levelClaims{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, tok := range []string{good, bad} {
				_, err := f.a.Verify(context.Background(), tok, tt.claims)
				if !errors.Is(err, ErrInvalidClaims) {
					t.Fatalf("Verify = %v; want ErrInvalidClaims", err)
				}
			}
		})
	}
	if _, err := f.a.Verify(context.Background(), good, nil); err != nil {
		t.Fatalf("nil interface: %v", err)
	}
}

// TestOneReasonWhateverTheCause: a Validate method or a Revoker returning
// one of golang-jwt's sentinels does not make the refusal match a second
// reason; the cause stays reachable through *CauseError.
func TestOneReasonWhateverTheCause(t *testing.T) {
	cause := fmt.Errorf("role check: %w", jwt.ErrTokenExpired)
	f := newFixture(t, WithRevoker(revokerFunc(func(context.Context, TokenInfo) (bool, error) { return false, cause })))
	tok, _ := f.a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	_, err := f.a.Verify(context.Background(), tok, nil)
	assertOneReason(t, err, ErrRevocationCheck)
	var ce *CauseError
	if !errors.As(err, &ce) || ce.Cause != cause || strings.Contains(err.Error(), "role check") {
		t.Fatalf("revoker cause: %v", err)
	}

	g := newFixture(t)
	tok, _ = g.a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	_, err = g.a.Verify(context.Background(), tok, &sentinelValidated{})
	assertOneReason(t, err, ErrInvalidClaims)
	if !errors.As(err, &ce) || ce.Cause == nil {
		t.Fatalf("Validate cause: %v", err)
	}
}

// sentinelValidated's Validate refuses with one of golang-jwt's sentinels.
type sentinelValidated struct{ jwt.RegisteredClaims }

func (sentinelValidated) Validate() error { return fmt.Errorf("custom: %w", jwt.ErrTokenNotValidYet) }

func assertOneReason(t *testing.T, err, want error) {
	t.Helper()
	var matched []string
	for _, r := range reasons {
		if errors.Is(err, r) {
			matched = append(matched, r.code)
		}
	}
	if len(matched) != 1 || !errors.Is(err, want) {
		t.Fatalf("%v matches %v; want exactly %v", err, matched, want)
	}
}

// TestStep2BeforeStep3 follows SPEC §6: a segment that is not canonical
// base64url is malformed, whatever its kid or MAC would say.
func TestStep2BeforeStep3(t *testing.T) {
	f := newFixture(t)
	good, _ := f.a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	h, p, s := segments(t, good)
	retired := f.keyAt(testEpoch.Add(-30 * time.Minute))
	hr, pr, sr := segments(t, craft(canonical(retired), `{"exp":1,"iat":1}`, retired))
	bump := func(seg string) string { // set unused trailing bits
		if len(seg)%4 == 0 {
			t.Fatalf("segment of length %d has no unused bits", len(seg))
		}
		last := base64urlValue[seg[len(seg)-1]] | 1
		return seg[:len(seg)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last])
	}
	// Lengths of 1 mod 4: one extra character.
	for name, tok := range map[string]string{
		"payload trailing bits, valid kid":   h + "." + bumpIfPossible(p, bump) + "." + s,
		"signature trailing bits, valid kid": h + "." + p + "." + bump(s),
		"payload trailing bits, retired kid": hr + "." + bumpIfPossible(pr, bump) + "." + sr,
		"signature 1 mod 4, retired kid":     hr + "." + pr + "." + sr + pad1mod4(sr),
		"payload 1 mod 4, retired kid":       hr + "." + pr + pad1mod4(pr) + "." + sr,
		"header 1 mod 4":                     h + pad1mod4(h) + "." + p + "." + s,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.a.Verify(context.Background(), tok, nil)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Verify = %v; want ErrMalformed (SPEC §6 step 2)", err)
			}
		})
	}
}

// bumpIfPossible sets unused bits, lengthening a segment of length 0 mod 4
// by a character first is not possible without changing its length class,
// so such a segment gets one JSON space appended instead.
func bumpIfPossible(seg string, bump func(string) string) string {
	for len(seg)%4 == 0 {
		raw, _ := base64.RawURLEncoding.DecodeString(seg)
		seg = base64.RawURLEncoding.EncodeToString(append(raw, ' '))
	}
	return bump(seg)
}

// pad1mod4 returns characters that make len(seg)+n ≡ 1 mod 4.
func pad1mod4(seg string) string {
	return strings.Repeat("A", (5-len(seg)%4)%4)
}

// TestIJSONEverywhere: RFC 7493 at every depth of the claims and the
// header: duplicate names (also as case variants), lone surrogates, and
// the depth limit counted as SPEC §5.3 says.
func TestIJSONEverywhere(t *testing.T) {
	f := newFixture(t)
	k := f.keyAt(testEpoch)
	now := testEpoch.Unix()
	claims := func(extra string) string {
		return `{"exp":` + strconv.FormatInt(now+60, 10) + `,"iat":` + strconv.FormatInt(now, 10) + extra + `}`
	}
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	accept := map[string]string{
		"31 arrays inside the object (depth 32)": claims(`,"a":` + nest(31)),
		"surrogate pair":                         claims(`,"a":"\ud83d\ude00"`),
		"U+FFFD and U+FDCF, U+FDF0":              claims(",\"a\":\"\uFFFD\uFDCF\uFDF0\\ufffd\""),
		"same name in two objects":               claims(`,"a":{"x":1},"b":{"x":1}`),
		"names differing beyond case":            claims(`,"a":{"x":1,"y":2}`),
	}
	refuse := map[string]string{
		"32 arrays inside the object (depth 33)": claims(`,"a":` + nest(32)),
		"nested objects beyond 32":               claims(`,"a":` + strings.Repeat(`{"a":`, 32) + "1" + strings.Repeat("}", 32)),
		"nested duplicate":                       claims(`,"a":{"x":1,"x":2}`),
		"nested case variant":                    claims(`,"a":{"role":1,"ROLE":2}`),
		"nested duplicate by escape":             claims(`,"a":{"x":1,"\u0078":2}`),
		"nested duplicate in an array":           claims(`,"a":[{"k":1,"\u212a":2}]`),
		"lone high surrogate":                    claims(`,"sub":"\ud800"`),
		"lone low surrogate":                     claims(`,"a":"\udc00"`),
		"high surrogate then a letter":           claims(`,"a":"\ud800\u0041"`),
		"two high surrogates":                    claims(`,"a":"\ud800\ud800"`),
		"lone surrogate in a name":               claims(`,"\ud800":1`),
		"escaped noncharacter U+FFFF":            claims(`,"a":"\uffff"`),
		"escaped noncharacter U+FDD0":            claims(`,"a":"\ufdd0"`),
		"noncharacter U+10FFFE as a pair":        claims(`,"a":"\udbff\udffe"`),
		"raw noncharacter U+FFFE":                claims(",\"a\":\"\uFFFE\""),
		"raw noncharacter U+1FFFF in a name":     claims(",\"\U0001FFFF\":1"),
	}
	for name, payload := range accept {
		if _, err := f.a.Verify(context.Background(), craft(canonical(k), payload, k), nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, payload := range refuse {
		if _, err := f.a.Verify(context.Background(), craft(canonical(k), payload, k), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v; want ErrMalformed", name, err)
		}
	}
	// The §5.2 header path reads the same way.
	for name, header := range map[string]string{
		"nested duplicate in an unknown parameter": `{"kid":"` + k.ID() + `","alg":"HS256","x":{"a":1,"A":2}}`,
		"lone surrogate in kid":                    `{"kid":"\ud800","alg":"HS256"}`,
		"duplicate alg":                            `{"alg":"HS256","kid":"` + k.ID() + `","alg":"HS256"}`,
	} {
		if _, err := f.a.Verify(context.Background(), craft(header, claims(""), k), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("header %s: %v; want ErrMalformed", name, err)
		}
	}
	long := `{"alg":"HS256","kid":"` + k.ID() + `","typ":"JWT"` + strings.Repeat(" ", 400) + `}`
	_, err := f.a.Verify(context.Background(), craft(long, claims(""), k), nil)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "header longer than") {
		t.Errorf("long header: %v", err)
	}
}

// TestWindowIdleRule shows what the window length means: a token is
// accepted until the end of the window after the one it was (last) signed
// in, so one to two window lengths after signing, depending on where in its
// window it was signed.
func TestWindowIdleRule(t *testing.T) {
	base := time.Date(2026, 11, 22, 10, 40, 0, 0, time.UTC) // a window start
	for _, tt := range []struct {
		signed, used time.Time
		ok           bool
	}{
		{base.Add(time.Second), base.Add(19*time.Minute + 59*time.Second), true},      // 19m58s idle: accepted
		{base.Add(9*time.Minute + 59*time.Second), base.Add(20 * time.Minute), false}, // 10m01s idle: refused
		{base.Add(9*time.Minute + 59*time.Second), base.Add(20*time.Minute - time.Nanosecond), true},
		{base, base.Add(20 * time.Minute), false}, // exactly two windows
	} {
		f := newFixture(t, WithTTL(8*time.Hour))
		f.clock.Set(tt.signed)
		tok, err := f.a.Sign(jwt.RegisteredClaims{})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Set(tt.used)
		_, err = f.a.Verify(context.Background(), tok, nil)
		if (err == nil) != tt.ok || !tt.ok && !errors.Is(err, ErrWindowRetired) {
			t.Errorf("signed %s, used %s: %v; want accepted=%v", tt.signed.Format("15:04:05"), tt.used.Format("15:04:05.999999999"), err, tt.ok)
		}
	}
}

// TestSignRefusesWhatVerifyWould: the cases of the rule "Sign never issues
// a token its own Verify refuses", one by one.
func TestSignRefusesWhatVerifyWould(t *testing.T) {
	f := newFixture(t, WithTTL(time.Hour))
	now := testEpoch.Unix()
	many := jwt.MapClaims{}
	for i := range 62 {
		many["c"+strconv.Itoa(i)] = i
	}
	for name, claims := range map[string]jwt.Claims{
		"62 claims plus the iat, exp and jti added": many,
		"over the size cap":                         jwt.MapClaims{"blob": strings.Repeat("x", 9000)},
		"iat two hours old, one-hour TTL":           jwt.MapClaims{"iat": now - 7200},
		"iat older than the maximum age, exp ahead": jwt.MapClaims{"iat": now - 3601, "exp": now + 60},
		"nbf beyond the skew":                       jwt.MapClaims{"nbf": now + 3600},
		"empty jti":                                 jwt.MapClaims{"jti": ""},
		"exp beyond 9999":                           jwt.MapClaims{"exp": int64(253402300800)},
		"nested duplicate":                          jwt.MapClaims{"a": jsonRaw(`{"x":1,"X":2}`)},
	} {
		if tok, err := f.a.Sign(claims); !errors.Is(err, ErrSign) {
			_, verr := f.a.Verify(context.Background(), tok, nil)
			t.Errorf("%s: Sign = %v (Verify says %v); want ErrSign", name, err, verr)
		}
	}
	// The end of year 9999 and a clock before 1970.
	f.clock.Set(time.Date(9999, 12, 31, 23, 30, 0, 0, time.UTC))
	if _, err := f.a.Sign(nil); !errors.Is(err, ErrSign) {
		t.Errorf("late in 9999: %v", err)
	}
	f.clock.Set(time.Date(1969, 12, 31, 12, 0, 0, 0, time.UTC))
	if _, err := f.a.Sign(nil); !errors.Is(err, ErrSign) {
		t.Errorf("before 1970: %v", err)
	}
}

// TestSignVerifyProperty drives Sign with random claims and instants: every
// token Sign issues, Verify accepts at the same instant.
func TestSignVerifyProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	clk := newSimClock(testEpoch) // clock.Mock sleeps a millisecond on every Set
	root, _ := rotation.NewRoot("main", testSecret)
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(d, WithTTL(time.Hour), WithIssuer("auth"), WithAudience("api"))
	if err != nil {
		t.Fatal(err)
	}
	signed, refused := 0, 0
	for i := range 3000 {
		now := testEpoch.Add(time.Duration(rng.Int64N(int64(48*time.Hour))) - 24*time.Hour)
		clk.set(now)
		claims := randomClaims(rng, now)
		tok, err := a.Sign(claims)
		if err != nil {
			if !errors.Is(err, ErrSign) {
				t.Fatalf("case %d: Sign error does not wrap ErrSign: %v", i, err)
			}
			refused++
			continue
		}
		signed++
		if _, err := a.Verify(context.Background(), tok, jwt.MapClaims{}); err != nil {
			t.Fatalf("case %d: Sign issued a token Verify refuses at the same instant: %v", i, err)
		}
	}
	if signed < 500 || refused < 500 {
		t.Fatalf("the generator is lopsided: %d signed, %d refused", signed, refused)
	}
}

func randomClaims(rng *rand.Rand, now time.Time) jwt.MapClaims {
	m := jwt.MapClaims{}
	pick := func(p float64) bool { return rng.Float64() < p }
	date := func() any {
		offsets := []time.Duration{-3 * time.Hour, -time.Hour - time.Second, -time.Hour, -time.Minute, -time.Second, 0, time.Second, 29 * time.Second, 31 * time.Second, time.Minute, time.Hour, 48 * time.Hour}
		return now.Add(offsets[rng.IntN(len(offsets))]).Unix()
	}
	if pick(0.4) {
		m["iat"] = date()
	}
	if pick(0.4) {
		m["exp"] = date()
	}
	if pick(0.3) {
		m["nbf"] = date()
	}
	if pick(0.2) {
		m["iss"] = []string{"auth", "other"}[rng.IntN(2)]
	}
	if pick(0.2) {
		m["aud"] = [][]string{{"api"}, {"web"}, {"web", "api"}, {}}[rng.IntN(4)]
	}
	if pick(0.2) {
		m["jti"] = []string{"", "t1"}[rng.IntN(2)]
	}
	for range rng.IntN(70) {
		m["c"+strconv.Itoa(rng.IntN(1000))] = rng.IntN(10)
	}
	if pick(0.1) {
		m["blob"] = strings.Repeat("b", rng.IntN(9000))
	}
	return m
}

// TestHeaderEscapesKid: Header writes any kid as a JSON string.
func TestHeaderEscapesKid(t *testing.T) {
	h := Header(rotation.HS256, "a\"b\\c\n")
	var v struct{ Kid string }
	if err := json.Unmarshal([]byte(h), &v); err != nil || v.Kid != "a\"b\\c\n" {
		t.Fatalf("Header = %s: %v", h, err)
	}
}

// TestMessagesHaveOnePrefix: errors of Sign and Verify start with one
// "jwtrot: ".
func TestMessagesHaveOnePrefix(t *testing.T) {
	f := newFixture(t)
	_, err := f.a.Sign(jwt.MapClaims{"exp": "soon"})
	if !errors.Is(err, ErrSign) || !errors.Is(err, ErrMalformed) || strings.Count(err.Error(), "jwtrot:") != 1 {
		t.Errorf("Sign: %v", err)
	}
	_, err = f.a.Verify(context.Background(), "a.b", nil)
	if !strings.HasPrefix(err.Error(), "jwtrot: ") || strings.Count(err.Error(), "jwtrot:") != 1 {
		t.Errorf("Verify: %v", err)
	}
}

// TestCodesDocumented: SPEC.md §6.1 lists every reason with its code and
// phrase, and nothing else.
func TestCodesDocumented(t *testing.T) {
	spec, err := os.ReadFile("../SPEC.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(spec)
	i, j := strings.Index(s, "### 6.1 Reasons"), strings.Index(s, "## 7. ")
	if i < 0 || j < i {
		t.Fatal("SPEC.md has no §6.1 before §7")
	}
	rows := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| ([^|]+) \\|").FindAllStringSubmatch(s[i:j], -1)
	documented := map[string]string{}
	for _, r := range rows {
		documented[r[1]] = strings.TrimSpace(r[2])
	}
	if len(documented) != len(reasons) {
		t.Errorf("SPEC §6.1 lists %d codes; jwtrot has %d", len(documented), len(reasons))
	}
	for _, r := range reasons {
		if documented[r.code] != r.phrase {
			t.Errorf("code %s: SPEC says %q; jwtrot says %q", r.code, documented[r.code], r.phrase)
		}
	}
}

// TestNextWindowPreparedOnce: requests within the skew of a boundary build
// the next window's set once, off the request path, and the first request
// of the new window uses it instead of building one.
func TestNextWindowPreparedOnce(t *testing.T) {
	clk := newSimClock(testEpoch)
	root, _ := rotation.NewRoot("main", testSecret)
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(clk), rotation.WithWindow(10*time.Minute), rotation.WithSkew(30*time.Second))
	a, _ := New(d)
	tok, _ := a.Sign(nil) // builds the current window's set
	if n := a.builds.Load(); n != 1 {
		t.Fatalf("%d builds after the first sign", n)
	}
	clk.set(testEpoch.Add(5*time.Minute - 10*time.Second)) // 10 s before the boundary
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() { defer wg.Done(); a.Verify(context.Background(), tok, nil) }()
	}
	wg.Wait()
	for deadline := time.Now().Add(5 * time.Second); a.next.Load() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the next window's set was never prepared")
		}
	}
	if n := a.builds.Load(); n != 2 {
		t.Fatalf("%d builds; want 2 (the current set, and the next prepared once)", n)
	}
	clk.set(testEpoch.Add(5*time.Minute + time.Second)) // the next window
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := a.Verify(context.Background(), tok, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := a.builds.Load(); n != 2 {
		t.Fatalf("%d builds after the boundary; want still 2", n)
	}
}

// publicKeys is a KeySource of a Deriver's public keys, for tests that need
// a Verifier without package jwks.
type publicKeys struct{ d *rotation.Deriver }

func (p publicKeys) Algorithm() rotation.Algorithm { return p.d.Algorithm() }
func (p publicKeys) Schedule() *rotation.Schedule  { return p.d.Schedule() }
func (p publicKeys) Purpose() string               { return p.d.Purpose() }
func (p publicKeys) Roots() []string               { return p.d.Roots() }
func (p publicKeys) Version() int64                { return p.d.Version() }

func (p publicKeys) Key(rootID string, w rotation.Window) (rotation.VerifyingKey, error) {
	k, err := p.d.PublicKeyAt(context.Background(), rootID, w)
	if err != nil {
		return nil, err
	}
	return k, nil
}

func (p publicKeys) Fetch(_ context.Context, rootID string, w rotation.Window) (rotation.VerifyingKey, error) {
	return p.Key(rootID, w)
}
