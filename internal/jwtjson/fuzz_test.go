package jwtjson

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzScanClaims checks the strict claims reader against encoding/json:
// whatever it accepts is valid JSON, and encoding/json reads the same
// registered claims from it (so no value can be read two ways).
func FuzzScanClaims(f *testing.F) {
	for _, s := range []string{
		`{"iss":"a","aud":["x","y"],"exp":1795347600,"iat":1,"nbf":0,"sub":"\u0041","jti":"j"}`,
		`{"exp":1,"EXP":2}`, `{"a":{"b":[1,2.5e3,true,null,"s"]}}`, `{}`, `[]`, `{"exp":1e3}`,
		`{"aud":"x"}`, "{\"x\":\"\xff\"}", `{"\u0065xp":1}`, `{"x":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	// testdata/fuzz/FuzzScanClaims holds, besides what the fuzzer found,
	// every payload of package jwtrot's attack corpus (reasons_test.go).
	f.Fuzz(func(t *testing.T, p []byte) {
		var c Claims
		err := ScanClaims(p, &c)
		if err != nil {
			return
		}
		if !json.Valid(p) {
			t.Fatalf("accepted invalid JSON %q", p)
		}
		// Numbers as json.Number: a custom claim may hold any JSON number,
		// even one beyond float64 (decoding it into MapClaims then fails
		// with ErrInvalidClaims, and no claims are returned).
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(p))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("accepted what encoding/json refuses: %v", err)
		}
		date := func(name string, has bool, v int64) {
			got, ok := m[name]
			if ok != has {
				t.Fatalf("%s presence differs", name)
			}
			if !has {
				return
			}
			n, err := got.(json.Number).Int64()
			if err != nil || n != v {
				t.Fatalf("%s: %d, encoding/json %v", name, v, got)
			}
			if v < 0 || v > MaxNumericDate {
				t.Fatalf("%s out of range: %d", name, v)
			}
		}
		date("exp", c.HasExp, c.Exp)
		date("nbf", c.HasNbf, c.Nbf)
		date("iat", c.HasIat, c.Iat)
		str := func(name string, has bool, sp Span) {
			got, ok := m[name]
			if ok != has || (has && got.(string) != sp.Text(p)) {
				t.Fatalf("%s differs: %q vs %v", name, sp.Text(p), got)
			}
		}
		str("iss", c.HasIss, c.Iss)
		str("sub", c.HasSub, c.Sub)
		str("jti", c.HasJti, c.Jti)
		if c.HasAud {
			var want []string
			switch v := m["aud"].(type) {
			case string:
				want = []string{v}
			case []any:
				for _, e := range v {
					want = append(want, e.(string))
				}
			}
			if len(want) != len(c.Audience()) {
				t.Fatalf("aud has %d entries; encoding/json %d", len(c.Audience()), len(want))
			}
			for i, sp := range c.Audience() {
				if sp.Text(p) != want[i] {
					t.Fatalf("aud[%d] differs", i)
				}
			}
		}
	})
}

// FuzzScanHeader checks the strict header reader against encoding/json:
// whatever it accepts is valid JSON, and encoding/json reads the same alg,
// kid and typ from it and no other parameter unless Other is set.
func FuzzScanHeader(f *testing.F) {
	for _, s := range []string{
		`{"alg":"HS256","kid":"main:2992240"}`, `{"kid":"k","alg":"HS256","typ":"JWT"}`,
		` { "alg" : "HS256" , "kid" : "m\u0061in:1" } `, `{"alg":"HS256","alg":"none"}`,
		`{"alg":"HS256","ALG":"none"}`, `{"alg":"HS256","crit":["exp"],"kid":"k"}`,
		`{"alg":1}`, `{"alg":"HS256"}x`, `[]`, `{"kid":"\ud800"}`, "{\"kid\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, h []byte) {
		hd, err := ScanHeader(h)
		if err != nil {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(h, &m); err != nil {
			t.Fatalf("accepted what encoding/json refuses: %v", err)
		}
		for _, p := range []struct {
			name string
			has  bool
			sp   Span
		}{{"alg", hd.HasAlg, hd.Alg}, {"kid", hd.HasKid, hd.Kid}, {"typ", hd.HasTyp, hd.Typ}} {
			got, ok := m[p.name]
			if ok != p.has || (p.has && got.(string) != p.sp.Text(h)) {
				t.Fatalf("%s differs: %q vs %v", p.name, p.sp.Text(h), got)
			}
			delete(m, p.name)
		}
		if hd.Other != (len(m) > 0) {
			t.Fatalf("Other = %v with %d other parameters", hd.Other, len(m))
		}
	})
}
