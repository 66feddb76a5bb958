package jwks_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

const window = 10 * time.Minute

// epoch is mid-window: 10:45 in [10:40, 10:50).
var epoch = time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC)

// clock is a settable clock that takes no lock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := new(clock); c.ns.Store(t.UnixNano()); return c }

func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) Set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *clock) schedule(t *testing.T) *rotation.Schedule {
	t.Helper()
	s, err := rotation.NewSchedule(rotation.WithWindow(window), rotation.WithClock(c))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func issuer(t *testing.T, c rotation.Clock, roots ...string) (*rotation.Deriver, *jwtrot.Authority) {
	t.Helper()
	if len(roots) == 0 {
		roots = []string{"main"}
	}
	var rs []*rotation.Root
	for _, id := range roots {
		rs = append(rs, mustRoot(t, id))
	}
	d, err := rotation.NewDeriver(rs, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithWindow(window), rotation.WithClock(c))
	if err != nil {
		t.Fatal(err)
	}
	a, err := jwtrot.New(d)
	if err != nil {
		t.Fatal(err)
	}
	return d, a
}

func export(t *testing.T, d *rotation.Deriver, at time.Time, ahead time.Duration) []byte {
	t.Helper()
	doc, err := jwks.Export(context.Background(), d, at, ahead)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func sign(t *testing.T, a *jwtrot.Authority) string {
	t.Helper()
	tok, err := a.Sign(nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestExportWindows(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c, "main", "old")
	cur := d.Schedule().WindowAt(epoch).Index()
	for _, tt := range []struct {
		ahead time.Duration
		last  int64
	}{{0, cur + 1}, {window, cur + 1}, {window + 5*time.Minute, cur + 2}, {7 * 24 * time.Hour, cur + 7*24*6}} {
		set, err := jwks.Parse(export(t, d, epoch, tt.ahead), c.schedule(t))
		if err != nil {
			t.Fatal(err)
		}
		keys := set.Keys()
		per := int(tt.last - (cur - 1) + 1)
		if len(keys) != 2*per {
			t.Fatalf("ahead %v: %d keys, want %d", tt.ahead, len(keys), 2*per)
		}
		if keys[0].ID() != rotation.KeyID("main", cur-1) || keys[per].ID() != rotation.KeyID("old", cur-1) {
			t.Fatalf("ahead %v: order %s, %s", tt.ahead, keys[0].ID(), keys[per].ID())
		}
		if w, _ := set.Horizon("main"); w.Index() != tt.last {
			t.Fatalf("ahead %v: horizon %d, want %d", tt.ahead, w.Index(), tt.last)
		}
		// Each is the public half of the Deriver's own key.
		k, err := d.KeyAt("old", epoch)
		if err != nil {
			t.Fatal(err)
		}
		if !keys[per+1].Equal(k.Public()) {
			t.Fatalf("ahead %v: the current key of old differs from the Deriver's", tt.ahead)
		}
	}
	if _, err := jwks.Export(context.Background(), d, epoch, 200*24*time.Hour); err == nil || !strings.Contains(err.Error(), "shorten") {
		t.Fatalf("a horizon over MaxKeys: %v", err)
	}
	hs, err := rotation.NewDeriver([]*rotation.Root{mustRoot(t, "main")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwks.Export(context.Background(), hs, epoch, 0); err == nil || !strings.Contains(err.Error(), "EdDSA") {
		t.Fatalf("an HMAC Deriver: %v", err)
	}
}

// mustRoot is the tests' root of that id: a fixed secret of its own.
func mustRoot(t testing.TB, id string) *rotation.Root {
	t.Helper()
	r, err := rotation.NewRoot(id, []byte("jwks test root "+id+", 32 bytes or more, not secret"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestParse checks each rule of SPEC §10.1.
func TestParse(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	good := string(export(t, d, epoch, 0))
	k0 := strings.TrimSuffix(strings.TrimPrefix(good, `{"keys":[`), "]}")
	k0 = k0[:strings.Index(k0, "},")+1]
	var m map[string]string
	if err := json.Unmarshal([]byte(k0), &m); err != nil {
		t.Fatal(err)
	}
	with := func(change func(map[string]any)) string {
		var k map[string]any
		json.Unmarshal([]byte(k0), &k)
		change(k)
		b, _ := json.Marshal(k)
		return `{"keys":[` + string(b) + `]}`
	}
	x := func(b []byte) func(map[string]any) {
		return func(k map[string]any) { k["x"] = b64(b) }
	}
	order2 := append(make([]byte, 0, 32), 0xec)
	for range 30 {
		order2 = append(order2, 0xff)
	}
	order2 = append(order2, 0x7f)
	nonCanonical := append([]byte{0xee}, order2[1:]...) // y = p + 1
	for _, tt := range []struct {
		name, doc string
		keys      int    // kept, when accepted
		refused   string // a part of the error, when refused
	}{
		{"the exported document", good, 3, ""},
		{"not JSON", `{"keys":`, 0, `"keys" array`},
		{"no keys member", `{"kids":[]}`, 0, `"keys" array`},
		{"keys not an array", `{"keys":{}}`, 0, `"keys" array`},
		{"a private member", with(func(k map[string]any) { k["d"] = b64(make([]byte, 32)) }), 0, `private member "d"`},
		{"a private member, null", with(func(k map[string]any) { k["d"] = nil }), 0, `private member "d"`},
		{"x not base64url", with(func(k map[string]any) { k["x"] = "++" }), 0, "canonical base64url"},
		{"x padded", with(func(k map[string]any) { k["x"] = k["x"].(string) + "=" }), 0, "canonical base64url"},
		{"x non-canonical final character", with(func(k map[string]any) { s := k["x"].(string); k["x"] = s[:42] + "B" }), 0, ""},
		{"x 31 bytes", with(x(make([]byte, 31))), 0, "31 bytes"},
		{"x the identity", with(x(append([]byte{1}, make([]byte, 31)...))), 0, "small order"},
		{"x of order 2", with(x(order2)), 0, "small order"},
		{"x of order 4", with(x(make([]byte, 32))), 0, "small order"},
		{"x not reduced", with(x(nonCanonical)), 0, "non-canonical"},
		{"an RSA key is skipped", `{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"main:1"},` + k0 + `]}`, 1, ""},
		{"another curve is skipped", `{"keys":[{"kty":"OKP","crv":"Ed448","x":"AA","kid":"main:1"},` + k0 + `]}`, 1, ""},
		{"another alg is skipped", `{"keys":[` + strings.Replace(k0, `"EdDSA"`, `"Ed25519"`, 1) + `,` + k0 + `]}`, 1, ""},
		{"use enc is skipped", `{"keys":[` + strings.Replace(k0, `"sig"`, `"enc"`, 1) + `]}`, 0, "no Ed25519 key"},
		{"key_ops without verify is skipped", with(func(k map[string]any) { k["key_ops"] = []string{"sign"} }), 0, "no Ed25519 key"},
		{"key_ops with verify", with(func(k map[string]any) { k["key_ops"] = []string{"verify"} }), 1, ""},
		{"alg absent", with(func(k map[string]any) { delete(k, "alg") }), 1, ""},
		{"a foreign kid is skipped", with(func(k map[string]any) { k["kid"] = "2024-key-1" }), 0, "no Ed25519 key"},
		{"a non-canonical kid is skipped", with(func(k map[string]any) { k["kid"] = m["kid"][:5] + "0" + m["kid"][5:] }), 0, "no Ed25519 key"},
		{"the same key twice", `{"keys":[` + k0 + `,` + k0 + `]}`, 1, ""},
		{"two keys for one kid", `{"keys":[` + k0 + `,` + with(x(ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)))[9:], 0, "two keys for one kid"},
		{"a member of the wrong type", with(func(k map[string]any) { k["x"] = 1 }), 0, "not a JSON object of strings"},
		{"empty", `{"keys":[]}`, 0, "no Ed25519 key"},
		{"too many keys", `{"keys":[` + strings.Repeat("{},", jwks.MaxKeys) + `{}]}`, 0, "keys, over"},
		{"too large", `{"keys":[],"pad":"` + strings.Repeat("a", jwks.MaxDocumentSize) + `"}`, 0, "bytes, over"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			set, err := jwks.Parse([]byte(tt.doc), c.schedule(t))
			if tt.name == "x non-canonical final character" {
				// The last character must encode zero unused bits.
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if tt.refused != "" {
				if err == nil || !errors.Is(err, jwks.ErrDocument) || !strings.Contains(err.Error(), tt.refused) {
					t.Fatalf("got %v, want ErrDocument with %q", err, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := len(set.Keys()); n != tt.keys {
				t.Fatalf("%d keys kept, want %d", n, tt.keys)
			}
		})
	}
}

// TestParseErrorsQuoteNothing: a document's content never reaches an error.
func TestParseErrorsQuoteNothing(t *testing.T) {
	c := newClock(epoch)
	secret := "SECRETVALUE0123456789"
	for _, doc := range []string{
		`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"main:1","x":"` + secret + `"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"main:1","d":"` + secret + `","x":"AA"}]}`,
		`{"keys":"` + secret + `"}`,
		secret,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"main:1","x":` + strconv.Quote(secret) + `,"x":1}]}`,
	} {
		_, err := jwks.Parse([]byte(doc), c.schedule(t))
		if err == nil {
			t.Fatalf("accepted %s", doc)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "SECRET") {
			t.Fatalf("the error quotes the document: %v", err)
		}
	}
}

// TestVerifierHoldsNoSecret walks a Verifier over a Set and finds nothing
// that can sign: no rotation.Key, no rotation.Root, no private key.
func TestVerifierHoldsNoSecret(t *testing.T) {
	c := newClock(epoch)
	d, a := issuer(t, c)
	set, err := jwks.Parse(export(t, d, epoch, time.Hour), c.schedule(t))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jwtrot.NewVerifier(set)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), sign(t, a), nil); err != nil {
		t.Fatal(err)
	}
	for _, found := range walk(v) {
		switch found {
		case "*rotation.Key", "rotation.Key", "*rotation.Root", "rotation.Root", "*rotation.Deriver", "ed25519.PrivateKey", "*jwtrot.Authority":
			t.Errorf("a Verifier holds a %s", found)
		}
	}
}

func TestNewVerifierMisconfiguration(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	set, err := jwks.Parse(export(t, d, epoch, 0), c.schedule(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		src  jwtrot.KeySource
		opts []jwtrot.Option
		want string
	}{
		{"nil", nil, nil, "nil KeySource"},
		{"WithTTL", set, []jwtrot.Option{jwtrot.WithTTL(time.Hour)}, "WithTTL configures signing"},
		{"WithRandomID", set, []jwtrot.Option{jwtrot.WithRandomID(false)}, "WithRandomID configures signing"},
		{"WithMaxAge 0", set, []jwtrot.Option{jwtrot.WithMaxAge(0)}, "WithMaxAge"},
		{"HMAC", hmacSource{set}, nil, "use jwtrot.New"},
	} {
		if _, err := jwtrot.NewVerifier(tt.src, tt.opts...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

type hmacSource struct{ *jwks.Set }

func (s hmacSource) Info() jwtrot.SourceInfo {
	info := s.Set.Info()
	info.Algorithm = rotation.HS256
	return info
}

func TestHandler(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	h, err := jwks.NewHandler(d, window)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(method string, hdr ...string) *http.Response {
		req, _ := http.NewRequest(method, srv.URL, nil)
		for i := 0; i < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := get("GET")
	body := readAll(t, resp)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/jwk-set+json" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if string(body) != string(export(t, d, epoch, window)) {
		t.Fatal("the handler's document is not Export's")
	}
	if strings.Contains(string(body), `"d"`) {
		t.Fatal("a private member is served")
	}
	// The document holds windows up to c+1 (10:55 is in it); c+2 is first
	// needed at its start less twice the skew: 11:00 - 1 min = 10:59, 14
	// min after 10:45.
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=840" {
		t.Fatalf("Cache-Control %q", cc)
	}
	etag := resp.Header.Get("ETag")
	if r := get("GET", "If-None-Match", etag); r.StatusCode != 304 || len(readAll(t, r)) != 0 {
		t.Fatalf("If-None-Match: %d", r.StatusCode)
	}
	if r := get("GET", "If-None-Match", `"x", W/`+etag); r.StatusCode != 304 {
		t.Fatalf("If-None-Match list with a weak tag: %d", r.StatusCode)
	}
	if r := get("GET", "If-None-Match", `"other"`); r.StatusCode != 200 {
		t.Fatalf("another ETag: %d", r.StatusCode)
	}
	if r := get("HEAD"); r.StatusCode != 200 || len(readAll(t, r)) != 0 || r.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Fatalf("HEAD: %d", r.StatusCode)
	}
	if r := get("POST"); r.StatusCode != 405 || r.Header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST: %d", r.StatusCode)
	}
	// The next window: a new document, a new ETag, the max-age counted again.
	c.Add(10 * time.Minute)
	r := get("GET", "If-None-Match", etag)
	if r.StatusCode != 200 || r.Header.Get("ETag") == etag || r.Header.Get("Cache-Control") != "public, max-age=840" {
		t.Fatalf("next window: %d %s %s", r.StatusCode, r.Header.Get("ETag"), r.Header.Get("Cache-Control"))
	}
	// Late in a window the horizon reaches the window after next: at
	// 11:09:59 the document holds up to 11:10-11:20, needed until 11:19.
	c.Set(time.Date(2026, 11, 22, 11, 9, 59, 0, time.UTC))
	if cc := get("GET").Header.Get("Cache-Control"); cc != "public, max-age=541" {
		t.Fatalf("late in the window: %q", cc)
	}
}

func readAll(t *testing.T, r *http.Response) []byte {
	t.Helper()
	defer r.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return []byte(b.String())
}

// walk lists the type of every value reachable from v, following pointers,
// interfaces, slices, maps and the pointers inside sync/atomic.Pointer.
func walk(v any) []string {
	var out []string
	seen := map[uintptr]bool{}
	var visit func(rv reflect.Value, depth int)
	visit = func(rv reflect.Value, depth int) {
		if !rv.IsValid() || depth > 64 {
			return
		}
		out = append(out, rv.Type().String())
		switch rv.Kind() {
		case reflect.Pointer:
			if rv.IsNil() || seen[rv.Pointer()] {
				return
			}
			seen[rv.Pointer()] = true
			visit(rv.Elem(), depth+1)
		case reflect.Interface:
			visit(rv.Elem(), depth+1)
		case reflect.Slice, reflect.Array:
			for i := 0; i < rv.Len() && i < 64; i++ {
				visit(rv.Index(i), depth+1)
			}
		case reflect.Map:
			it := rv.MapRange()
			for it.Next() {
				visit(it.Value(), depth+1)
			}
		case reflect.Struct:
			if strings.HasPrefix(rv.Type().String(), "atomic.Pointer[") {
				p := rv.FieldByName("v").UnsafePointer()
				if p != nil {
					visit(reflect.NewAt(rv.Field(0).Type().Elem().Elem(), p), depth+1)
				}
				return
			}
			for i := 0; i < rv.NumField(); i++ {
				visit(rv.Field(i), depth+1)
			}
		}
	}
	visit(reflect.ValueOf(v), 0)
	return out
}
