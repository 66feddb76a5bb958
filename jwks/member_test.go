package jwks_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// TestMarshalFleet pins the bytes of the "jwtrot" member and reads them back.
func TestMarshalFleet(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	set, err := jwks.Parse(export(t, d, epoch, 0), c.schedule(t))
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Keys()
	full := rotation.Fleet{Algorithm: rotation.EdDSA, Window: window, Skew: 30 * time.Second, MaxAge: 8 * time.Hour, Issuer: `a"u<th>`, Purposes: []string{"access"}}
	doc := string(jwks.MarshalFleet(keys, full))
	want := strings.TrimSuffix(string(jwks.Marshal(keys)), "}") + `,"jwtrot":{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":30,"max_age":28800,"iss":"a\"u<th>"}}`
	if doc != want {
		t.Fatalf("MarshalFleet:\n%s\nwant\n%s", doc, want)
	}
	bare := full
	bare.MaxAge, bare.Issuer = 0, ""
	if got := string(jwks.MarshalFleet(keys, bare)); !strings.HasSuffix(got, `"jwtrot":{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":30}}`) {
		t.Fatalf("without max_age and iss: %s", got)
	}
	// Read back, with no schedule given: the document's, on WithClock's clock.
	got, err := jwks.Parse([]byte(doc), nil, jwks.WithClock(c))
	if err != nil {
		t.Fatal(err)
	}
	f, ok := publishedFleet(got)
	if !ok || f.Window != full.Window || f.Skew != full.Skew || f.MaxAge != full.MaxAge || f.Issuer != full.Issuer || len(f.Purposes) != 1 || f.Purposes[0] != "access" {
		t.Fatalf("read back %+v %v", f, ok)
	}
	if got.Info().Schedule.Length() != window || !got.Info().Schedule.Now().Equal(epoch) || len(got.Keys()) != len(keys) || got.Info().Purpose != "access" {
		t.Fatal("the keys or schedule read back differ")
	}
	if bare, err := jwks.Parse(jwks.Marshal(keys), c.schedule(t)); err != nil {
		t.Fatal(err)
	} else if _, ok := publishedFleet(bare); ok {
		t.Fatal("a document without the member has a fleet")
	}
	for _, bad := range []rotation.Fleet{
		{Algorithm: rotation.HS256, Window: window, Purposes: []string{"access"}},
		{Algorithm: rotation.EdDSA, Window: window, Purposes: []string{"access", "refresh"}},
		{Algorithm: rotation.EdDSA, Window: window, Skew: window, Purposes: []string{"access"}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("MarshalFleet(%+v) did not panic", bad)
				}
			}()
			jwks.MarshalFleet(keys, bad)
		}()
	}
}

// TestParseFleetMember: the member is read strictly; no error quotes the
// document.
func TestParseFleetMember(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	set, err := jwks.Parse(export(t, d, epoch, 0), c.schedule(t))
	if err != nil {
		t.Fatal(err)
	}
	keys := strings.TrimSuffix(string(jwks.Marshal(set.Keys())), "}") // without the member Export writes
	doc := func(member string) []byte { return []byte(keys + `,"jwtrot":` + member + `}`) }
	const good = `{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":30}`
	if _, err := jwks.Parse(doc(good), nil); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ member, want string }{
		{`{"v":2,"alg":"EdDSA","purpose":"access","window":600,"skew":30,"SECRET":{"x":[1]}}`, "version 2, which this jwtrot cannot read: upgrade jwtrot"},
		{`{"v":"1","alg":"EdDSA","purpose":"access","window":600,"skew":30}`, "v is not a number"},
		{`{"alg":"EdDSA","purpose":"access","window":600,"skew":30}`, `no "v"`},
		{`{"v":1,"alg":"HS256","purpose":"access","window":600,"skew":30}`, `alg must be "EdDSA"`},
		{`{"v":1,"alg":"SECRET","purpose":"access","window":600,"skew":30}`, `alg must be "EdDSA"`},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":"600","skew":30}`, "window is not a number"},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":600.5,"skew":30}`, "window is not a whole non-negative number of seconds"},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":6e2,"skew":30}`, "window is not a whole"},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":-600,"skew":30}`, "window is not a whole"},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":0,"skew":0}`, "window length 0s"},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":300}`, "skew 5m0s must be whole seconds between 0 and a quarter"},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":600}`, `no "skew"`},
		{`{"v":1,"alg":"EdDSA","window":600,"skew":30}`, `no "purpose"`},
		{`{"v":1,"alg":"EdDSA","purpose":"","window":600,"skew":30}`, "purposes[0]"},
		{`{"v":1,"alg":"EdDSA","purpose":["access"],"window":600,"skew":30}`, "purpose is not a string"},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":30,"max_age":0}`, "max_age is 0"},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":30,"max_age":true}`, "max_age is not a number"},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":30,"iss":""}`, "iss is empty"},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":30,"iss":null}`, "iss is not a string"},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":30,"iss":"` + strings.Repeat("SECRET", 50) + `"}`, "iss is longer than 256 bytes"},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":30,"SECRET":1}`, "a member version 1 does not define"},
		{`{"v":1,"alg":"EdDSA","purpose":"access","window":600,"window":60,"skew":30}`, "a member appears twice"},
		{`[1]`, "not a JSON object"},
		{`null`, "not a JSON object"},
		{`"SECRET"`, "not a JSON object"},
	} {
		_, err := jwks.Parse(doc(tt.member), nil)
		if !errors.Is(err, jwks.ErrDocument) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s:\n%v\nwant %q", tt.member, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("the error quotes the document: %v", err)
		}
	}
	// A schedule or purpose given locally that differs: ErrMismatch.
	five, _ := rotation.NewSchedule(rotation.WithWindow(5 * time.Minute))
	if _, err := jwks.Parse(doc(good), five); !errors.Is(err, jwks.ErrMismatch) || !strings.Contains(err.Error(), "window length of 10m0s, but this verifier's is 5m0s; pass a nil schedule to jwks.Parse") {
		t.Errorf("another window: %v", err)
	}
	if _, err := jwks.Parse(doc(good), nil, jwks.WithPurpose("refresh")); !errors.Is(err, jwks.ErrMismatch) || !strings.Contains(err.Error(), "purpose") {
		t.Errorf("another purpose: %v", err)
	}
	if _, err := jwks.Parse(doc(good), c.schedule(t), jwks.WithPurpose("access")); err != nil {
		t.Errorf("the same schedule and purpose: %v", err)
	}
	// Without the member, a schedule is needed.
	if _, err := jwks.Parse([]byte(keys+"}"), nil); err == nil || !strings.Contains(err.Error(), "rotation.NewSchedule") {
		t.Errorf("no member, no schedule: %v", err)
	}
}

// publishedFleet returns the fleet a source publishes, as a value.
func publishedFleet(src jwtrot.KeySource) (rotation.Fleet, bool) {
	if f := src.Info().Fleet; f != nil {
		return *f, true
	}
	return rotation.Fleet{}, false
}
