package jwks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jwtrot/jwtrot/rotation"
)

// FleetVersion is the version of the "jwtrot" member [MarshalFleet] writes
// and [Parse] reads (SPEC §10).
const FleetVersion = 1

// MarshalFleet returns the JWKS document of keys, as [Marshal] does, with
// the member "jwtrot" after "keys": what every verifier of the keys must
// agree on, so that a verifier needs only the URL (SPEC §10):
//
//	"jwtrot":{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":30,"max_age":28800,"iss":"auth"}
//
// members in that order, window, skew and max_age in whole seconds, max_age
// and iss left out when f does not state them, no white space. f must pass
// [rotation.Fleet.Check], be of [rotation.EdDSA] (the only algorithm with
// public keys) and have exactly one purpose, the keys'; MarshalFleet panics
// otherwise, as it is the issuer's own configuration, checked when the
// issuer was built.
func MarshalFleet(keys []*rotation.PublicKey, f rotation.Fleet) []byte {
	if err := f.Check(); err != nil {
		panic("jwks: MarshalFleet: " + err.Error())
	}
	if f.Algorithm != rotation.EdDSA || len(f.Purposes) != 1 {
		panic("jwks: MarshalFleet: a JWKS is of one EdDSA purpose; give a Fleet with Algorithm rotation.EdDSA and exactly one purpose")
	}
	b := Marshal(keys)
	b = append(b[:len(b)-1], `,"jwtrot":{"v":1,"alg":"EdDSA","purpose":`...)
	b = appendJSONString(b, f.Purposes[0])
	b = append(b, `,"window":`...)
	b = strconv.AppendInt(b, int64(f.Window/time.Second), 10)
	b = append(b, `,"skew":`...)
	b = strconv.AppendInt(b, int64(f.Skew/time.Second), 10)
	if f.MaxAge != 0 {
		b = append(b, `,"max_age":`...)
		b = strconv.AppendInt(b, int64(f.MaxAge/time.Second), 10)
	}
	if f.Issuer != "" {
		b = append(b, `,"iss":`...)
		b = appendJSONString(b, f.Issuer)
	}
	return append(b, "}}"...)
}

// appendJSONString appends s as a JSON string, escaping what JSON requires
// and nothing more (no HTML escapes), so other languages write the same
// bytes.
func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// fleetFields are the members of "jwtrot": its name and whether it is a
// number (whole seconds, or the version) or a string.
var fleetFields = map[string]bool{ // name -> is a number
	"v": true, "alg": false, "purpose": false, "window": true, "skew": true, "max_age": true, "iss": false,
}

// parseFleet reads the "jwtrot" member strictly: a JSON object of the
// members above, each once, of its type; "v" must be 1, "alg" "EdDSA",
// "purpose", "window" and "skew" present; the fleet must pass
// [rotation.Fleet.Check]. Its errors never quote the document.
func parseFleet(raw json.RawMessage) (rotation.Fleet, error) {
	bad := func(format string, args ...any) (rotation.Fleet, error) {
		return rotation.Fleet{}, fmt.Errorf("%w: the \"jwtrot\" member: "+format, append([]any{ErrDocument}, args...)...)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return bad("not a JSON object")
	}
	nums := map[string]int64{}
	strs := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad("not a JSON object")
		}
		name := tok.(string) // a key inside an object is always a string
		isNum, known := fleetFields[name]
		_, seenN := nums[name]
		_, seenS := strs[name]
		if seenN || seenS {
			return bad("a member appears twice")
		}
		val, err := dec.Token()
		if err != nil {
			return bad("not a JSON object")
		}
		if _, ok := val.(json.Delim); ok { // an object or an array: skip it whole
			if !known {
				if err := skipValue(dec); err != nil {
					return bad("not a JSON object")
				}
				continue
			}
			return bad("%s is not a %s", name, map[bool]string{true: "number", false: "string"}[isNum])
		}
		if !known {
			continue // checked below, once "v" is known
		}
		switch v := val.(type) {
		case json.Number:
			if !isNum {
				return bad("%s is not a string", name)
			}
			n, err := strconv.ParseInt(v.String(), 10, 64)
			if err != nil || n < 0 || n > 1<<40 {
				return bad("%s is not a whole non-negative number of seconds", name)
			}
			nums[name] = n
		case string:
			if isNum {
				return bad("%s is not a number", name)
			}
			strs[name] = v
		default:
			return bad("%s is not a %s", name, map[bool]string{true: "number", false: "string"}[isNum])
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return bad("not a JSON object")
	}
	v, ok := nums["v"]
	switch {
	case !ok:
		return bad(`no "v"`)
	case v != FleetVersion:
		return rotation.Fleet{}, fmt.Errorf(`%w: the "jwtrot" member is of version %d, which this jwtrot cannot read: upgrade jwtrot on this verifier`, ErrDocument, v)
	}
	// Version 1 has exactly the members above.
	if err := onlyKnown(raw); err != nil {
		return rotation.Fleet{}, err
	}
	for _, name := range []string{"alg", "purpose"} {
		if _, ok := strs[name]; !ok {
			return bad("no %q", name)
		}
	}
	for _, name := range []string{"window", "skew"} {
		if _, ok := nums[name]; !ok {
			return bad("no %q", name)
		}
	}
	if strs["alg"] != "EdDSA" {
		return bad(`alg must be "EdDSA", the only algorithm a JWKS has public keys of`)
	}
	if iss, ok := strs["iss"]; ok && iss == "" {
		return bad("iss is empty; leave it out when no issuer is stated")
	}
	if m, ok := nums["max_age"]; ok && m == 0 {
		return bad("max_age is 0; leave it out when no maximum age is stated")
	}
	f := rotation.Fleet{
		Algorithm: rotation.EdDSA,
		Window:    time.Duration(nums["window"]) * time.Second,
		Skew:      time.Duration(nums["skew"]) * time.Second,
		MaxAge:    time.Duration(nums["max_age"]) * time.Second,
		Issuer:    strs["iss"],
		Purposes:  []string{strs["purpose"]},
	}
	if err := f.Check(); err != nil {
		return bad("%s", strings.TrimPrefix(err.Error(), "rotation: fleet: "))
	}
	return f, nil
}

// onlyKnown refuses a version-1 member with a member it does not define.
func onlyKnown(raw json.RawMessage) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf(`%w: the "jwtrot" member is not a JSON object`, ErrDocument)
	}
	for name := range m {
		if _, ok := fleetFields[name]; !ok {
			return fmt.Errorf(`%w: the "jwtrot" member has a member version 1 does not define`, ErrDocument)
		}
	}
	return nil
}

// skipValue consumes the rest of the array or object just opened.
func skipValue(dec *json.Decoder) error {
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err == io.EOF {
			return errors.New("truncated")
		}
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}
