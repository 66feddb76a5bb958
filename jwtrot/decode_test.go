package jwtrot

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type plainUser struct {
	jwt.RegisteredClaims
	Role   string          `json:"role"`
	Level  int             `json:"level"`
	Tags   []string        `json:"tags"`
	Nested struct{ A int } `json:"nested"`
	Extra  map[string]any  `json:"extra"`
	Uses   int             `json:"github.com/jwtrot/uses"`
	Note   string
}

type ownSub struct {
	jwt.RegisteredClaims
	Sub string // encoding/json gives "sub" to this field, not the embedded one
}

type ownExp struct {
	jwt.RegisteredClaims
	Expiry json.Number `json:"exp"`
}

type pointerEmbed struct {
	*jwt.RegisteredClaims
	Role string `json:"role"`
}

type inner struct{ Aud []string }

type promotedAud struct {
	jwt.RegisteredClaims
	inner
}

type customJSON struct {
	jwt.RegisteredClaims
	Role string `json:"role"`
}

func (c *customJSON) UnmarshalJSON(b []byte) error {
	type plain customJSON
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	p.Role = "custom:" + p.Role
	*c = customJSON(p)
	return nil
}

// TestDecodeOnceMatchesEncodingJSON decodes the same payloads into each
// claims shape through Verify and through encoding/json alone, and
// requires the same result: the direct path (registered claims from the
// scan, the rest to encoding/json) where it applies, encoding/json whole
// where a type could take a registered claim elsewhere (which path each
// shape takes is internal/jwtjson's TestPlanDirect).
func TestDecodeOnceMatchesEncodingJSON(t *testing.T) {
	f := newFixture(t, WithRevoker(NewRevocationList(clockOf(t))))
	payloads := []jwt.MapClaims{
		{"sub": "alice", "role": "admin", "level": 3, "tags": []string{"a", "b"}, "nested": map[string]int{"A": 7}, "extra": map[string]any{"x": 1.5}, "Note": "n"},
		{"sub": "bob", "ROLE": "case-insensitive", "aud": []string{"api", "web"}, "nbf": 1795000000, "jti": "j1"},
		{"aud": "single", "Role": "upper", "level": -1},
		{"role": "r", UsesClaim: 100, "jti": "j2"},
		{},
	}
	shapes := []struct {
		name string
		new  func() jwt.Claims
	}{
		{"plain", func() jwt.Claims { return new(plainUser) }},
		{"own Sub field", func() jwt.Claims { return new(ownSub) }},
		{"own exp field", func() jwt.Claims { return new(ownExp) }},
		{"pointer embed", func() jwt.Claims { return &pointerEmbed{RegisteredClaims: new(jwt.RegisteredClaims)} }},
		{"promoted Aud", func() jwt.Claims { return new(promotedAud) }},
		{"UnmarshalJSON", func() jwt.Claims { return new(customJSON) }},
	}
	compared := 0
	for _, sh := range shapes {
		for i, mc := range payloads {
			tok, err := f.a.Sign(mc)
			if err != nil {
				t.Fatalf("payload %d: %v", i, err)
			}
			got := sh.new()
			_, verr := f.a.Verify(context.Background(), tok, got)
			want := sh.new()
			raw := payloadOf(t, tok)
			jerr := json.Unmarshal(raw, want)
			if (verr != nil) != (jerr != nil) {
				t.Errorf("%s, payload %d: Verify %v, encoding/json %v", sh.name, i, verr, jerr)
				continue
			}
			if verr != nil {
				continue
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("%s, payload %d:\n got %s\nwant %s", sh.name, i, g, w)
			}
			compared++
		}
	}
	if compared != len(shapes)*len(payloads) {
		t.Fatalf("compared %d of %d decodings", compared, len(shapes)*len(payloads))
	}
}

func clockOf(t *testing.T) interface{ Now() time.Time } {
	t.Helper()
	return fixedTestClock{}
}

type fixedTestClock struct{}

func (fixedTestClock) Now() time.Time { return testEpoch }

// TestDecodeOnceResetsRegistered: a reused claims value keeps no registered
// claim from an earlier token.
func TestDecodeOnceResetsRegistered(t *testing.T) {
	f := newFixture(t)
	first, _ := f.a.Sign(jwt.MapClaims{"sub": "alice", "nbf": 1795000000})
	second, _ := f.a.Sign(jwt.MapClaims{"role": "r"})
	var c plainUser
	if _, err := f.a.Verify(context.Background(), first, &c); err != nil || c.NotBefore == nil {
		t.Fatal(err)
	}
	if _, err := f.a.Verify(context.Background(), second, &c); err != nil || c.Subject != "" || c.NotBefore != nil || c.Role != "r" {
		t.Fatalf("reused value: %+v, %v", c, err)
	}
}

func payloadOf(t *testing.T, tok string) []byte {
	t.Helper()
	_, p, _ := segments(t, tok)
	raw, err := rawURL.DecodeString(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestDecodeMapMatchesEncodingJSON: MapClaims built from the scan equal
// what encoding/json gives for the whole payload, escapes, arrays and
// numbers included.
func TestDecodeMapMatchesEncodingJSON(t *testing.T) {
	f := newFixture(t)
	k := f.keyAt(testEpoch)
	now := testEpoch.Unix()
	base := `"exp":` + itoa(now+60) + `,"iat":` + itoa(now)
	for _, extra := range []string{
		``,
		`,"iss":"a\u00e9\"b","sub":"\ud83d\ude00x","jti":"j","aud":"one"`,
		`,"aud":["x","y\n"],"nbf":` + itoa(now-10) + `,"n":1.5,"big":12345678901234567890,"o":{"a":[1,"2",null,true]}`,
		`,"aud":[],"role":"r","x":"\/"`,
		` , "o2" : { "k" : [ 1 , 2 ,[ ] ] , "e":{} , "a":[ ] , "\u0041\n":-0 } ,"f":false,"t":true,"z":null`,
		`,"n1":-0.0,"n2":1e308,"n3":1E-400,"n4":-12.5e+3,"n5":0,"n6":123456789012345678901234567890`,
		`,"deep":[[[[{"a":[{"b":{"c":["\u00e9\ud83d\ude00"]}}]}]]]],"s":"tab\tquote\"back\\"`,
	} {
		tok := craft(canonical(k), "{"+base+extra+"}", k)
		got := jwt.MapClaims{"stale": 1}
		if _, err := f.a.Verify(context.Background(), tok, got); err != nil {
			t.Fatalf("%s: %v", extra, err)
		}
		want := jwt.MapClaims{"stale": 1}
		if err := json.Unmarshal(payloadOf(t, tok), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", extra, got, want)
		}
	}
}

// TestDecodeMapNumberOutOfRange: a number beyond float64 is refused as
// encoding/json refuses it, naming the kind and type only.
func TestDecodeMapNumberOutOfRange(t *testing.T) {
	f := newFixture(t)
	k := f.keyAt(testEpoch)
	now := testEpoch.Unix()
	for _, v := range []string{`1e400`, `-1e309`, `{"a":[1e999]}`} {
		payload := `{"exp":` + itoa(now+60) + `,"iat":` + itoa(now) + `,"x":` + v + `}`
		var want jwt.MapClaims
		if json.Unmarshal([]byte(payload), &want) == nil {
			t.Fatalf("encoding/json accepts %s", v)
		}
		_, err := f.a.Verify(context.Background(), craft(canonical(k), payload, k), jwt.MapClaims{})
		if !errors.Is(err, ErrInvalidClaims) || !strings.Contains(err.Error(), "a JSON number does not fit the Go type float64") {
			t.Errorf("%s: %v", v, err)
		}
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
