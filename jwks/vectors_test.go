package jwks_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/internal/tooltest"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

var update = flag.Bool("update", false, "rewrite ../testdata/eddsa_vectors.json from the vector inputs")

const vectorsPath = "../testdata/eddsa_vectors.json"

// The layout of testdata/eddsa_vectors.json, described in SPEC.md §10.
type vectorFile struct {
	Comment string    `json:"comment"`
	Vectors []vector  `json:"vectors"`
	JWKS    jwksCase  `json:"jwks"`
	Refused []refusal `json:"refused"`
	Fleet   fleetCase `json:"jwks_fleet"`
}

// fleetCase pins the jwks document's keys with the "jwtrot" member of a
// fleet (MarshalFleet), and members a reader must refuse whole.
type fleetCase struct {
	Purpose       string          `json:"purpose"`
	WindowSeconds int64           `json:"window_seconds"`
	SkewSeconds   int64           `json:"skew_seconds"`
	MaxAgeSeconds int64           `json:"max_age_seconds"`
	Issuer        string          `json:"iss"`
	Document      string          `json:"document"`
	Refused       []memberRefusal `json:"refused_members"`
}

// memberRefusal is a "jwtrot" member a reader must refuse, and why.
type memberRefusal struct {
	Name   string `json:"name"`
	Member string `json:"member"`
}

type vector struct {
	Name          string `json:"name"`
	RootID        string `json:"root_id"`
	RootHex       string `json:"root_hex"`
	Purpose       string `json:"purpose"`
	WindowSeconds int64  `json:"window_seconds"`
	WindowIndex   int64  `json:"window_index"`
	Kid           string `json:"kid"`
	InfoHex       string `json:"info_hex"`
	SeedHex       string `json:"seed_hex"`
	PublicHex     string `json:"public_key_hex"`
	JWK           string `json:"jwk"`
	Payload       string `json:"payload"`
	Token         string `json:"token"`
}

// jwksCase pins a whole document: the keys of every root of a Deriver for
// the windows Export covers at an instant with a horizon.
type jwksCase struct {
	Roots         []string `json:"root_ids"`
	Purpose       string   `json:"purpose"`
	WindowSeconds int64    `json:"window_seconds"`
	AtUnix        int64    `json:"at_unix"`
	AheadSeconds  int64    `json:"ahead_seconds"`
	Document      string   `json:"document"`
}

// refusal is a token a verifier of the vector's key must refuse, and why.
type refusal struct {
	Name   string `json:"name"`
	Vector string `json:"vector"` // whose key and window
	Token  string `json:"token"`
	Code   string `json:"code"` // jwtrot.Code of the refusal
}

var vecRoots = map[string][]byte{
	"main":   append(bytes.Repeat([]byte{0x0b}, 31), 0x0c),
	"backup": []byte("jwtrot test vector root B, 32+ bytes long, not secret"),
	"r-2026_x": func() []byte {
		c := make([]byte, 64)
		for i := range c {
			c[i] = byte(i * 7)
		}
		return c
	}(),
}

func vecRoot(t *testing.T, id string) *rotation.Root {
	t.Helper()
	r, err := rotation.NewRoot(id, vecRoots[id])
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type fixed time.Time

func (c fixed) Now() time.Time { return time.Time(c) }

// vectorInputs are the vectors' inputs; -update computes the rest.
func vectorInputs() []vector {
	return []vector{
		{Name: "10 min", RootID: "main", Purpose: "access", WindowSeconds: 600, WindowIndex: 2992240},
		{Name: "10 min, next window", RootID: "main", Purpose: "access", WindowSeconds: 600, WindowIndex: 2992241},
		{Name: "refresh purpose", RootID: "main", Purpose: "refresh", WindowSeconds: 600, WindowIndex: 2992240},
		{Name: "second root", RootID: "backup", Purpose: "access", WindowSeconds: 600, WindowIndex: 2992240},
		{Name: "64-byte root, 1 h", RootID: "r-2026_x", Purpose: "tenant:42/eu", WindowSeconds: 3600, WindowIndex: 498706},
		{Name: "before 1970", RootID: "main", Purpose: "access", WindowSeconds: 600, WindowIndex: -3},
	}
}

func deriver(t *testing.T, roots []string, purpose string, seconds int64, at time.Time) *rotation.Deriver {
	t.Helper()
	var rs []*rotation.Root
	for _, id := range roots {
		rs = append(rs, vecRoot(t, id))
	}
	d, err := rotation.NewDeriver(rs, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithPurpose(purpose),
		rotation.WithWindow(time.Duration(seconds)*time.Second), rotation.WithClock(fixed(at)))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func computeVector(t *testing.T, v vector) vector {
	t.Helper()
	length := time.Duration(v.WindowSeconds) * time.Second
	start := time.Unix(v.WindowIndex*v.WindowSeconds, 0)
	at := start.Add(length / 2)
	// The info string and the seed as SPEC.md states them, computed here,
	// not by package rotation; the Deriver must agree.
	info := windowInfo("EdDSA", v.Purpose, v.WindowSeconds, v.WindowIndex)
	seed, err := hkdf.Key(sha256.New, vecRoots[v.RootID], nil, string(info), ed25519.SeedSize)
	if err != nil {
		t.Fatal(err)
	}
	d := deriver(t, []string{v.RootID}, v.Purpose, v.WindowSeconds, at)
	k, err := d.SigningKey(at)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.Bytes(), seed) {
		t.Fatalf("%s: the Deriver's seed differs from SPEC.md's derivation", v.Name)
	}
	v.RootHex = hex.EncodeToString(vecRoots[v.RootID])
	v.Kid = rotation.KeyID(v.RootID, v.WindowIndex)
	v.InfoHex, v.SeedHex = hex.EncodeToString(info), hex.EncodeToString(seed)
	v.PublicHex = hex.EncodeToString(k.Public().Bytes())
	doc := jwks.Marshal([]*rotation.PublicKey{k.Public()})
	v.JWK = strings.TrimSuffix(strings.TrimPrefix(string(doc), `{"keys":[`), "]}")
	if at.Unix() < 0 {
		return v // no token: iat is never negative (SPEC §5.3)
	}
	a, err := jwtrot.New(d, jwtrot.WithTTL(0), jwtrot.WithRandomID(false))
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{"sub": "u-12345678", "iat": at.Unix(), "exp": at.Add(time.Hour).Unix(), "jti": "v-" + v.Kid}
	if v.Token, err = a.Sign(claims); err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	v.Payload = string(payload)
	return v
}

func jwksInput() jwksCase {
	return jwksCase{Roots: []string{"main", "backup"}, Purpose: "access", WindowSeconds: 600, AtUnix: 2992240*600 + 300, AheadSeconds: 1200}
}

func fleetInput() fleetCase {
	return fleetCase{Purpose: "access", WindowSeconds: 600, SkewSeconds: 30, MaxAgeSeconds: 28800, Issuer: "auth",
		Refused: []memberRefusal{
			{"another version", `{"v":2,"alg":"EdDSA","purpose":"access","window":600,"skew":30}`},
			{"v as a string", `{"v":"1","alg":"EdDSA","purpose":"access","window":600,"skew":30}`},
			{"an HMAC alg", `{"v":1,"alg":"HS256","purpose":"access","window":600,"skew":30}`},
			{"window as a string", `{"v":1,"alg":"EdDSA","purpose":"access","window":"600","skew":30}`},
			{"window not whole", `{"v":1,"alg":"EdDSA","purpose":"access","window":600.5,"skew":30}`},
			{"window as a boolean", `{"v":1,"alg":"EdDSA","purpose":"access","window":true,"skew":30}`},
			{"window 0", `{"v":1,"alg":"EdDSA","purpose":"access","window":0,"skew":0}`},
			{"skew over a quarter of the window", `{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":151}`},
			{"no skew", `{"v":1,"alg":"EdDSA","purpose":"access","window":600}`},
			{"an empty purpose", `{"v":1,"alg":"EdDSA","purpose":"","window":600,"skew":30}`},
			{"max_age 0", `{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":30,"max_age":0}`},
			{"an empty iss", `{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":30,"iss":""}`},
			{"a member version 1 does not define", `{"v":1,"alg":"EdDSA","purpose":"access","window":600,"skew":30,"lead":60}`},
			{"a member twice", `{"v":1,"alg":"EdDSA","purpose":"access","window":600,"window":60,"skew":30}`},
			{"not an object", `[1]`},
		}}
}

// computeFleet is the jwks case's keys with the fleet's member.
func computeFleet(t *testing.T, c fleetCase, keys jwksCase) fleetCase {
	t.Helper()
	sched, err := rotation.NewSchedule(rotation.WithWindow(time.Duration(keys.WindowSeconds) * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwks.Parse([]byte(keys.Document), sched)
	if err != nil {
		t.Fatal(err)
	}
	c.Document = string(jwks.MarshalFleet(set.Keys(), rotation.Fleet{Algorithm: rotation.EdDSA,
		Window: time.Duration(c.WindowSeconds) * time.Second, Skew: time.Duration(c.SkewSeconds) * time.Second,
		MaxAge: time.Duration(c.MaxAgeSeconds) * time.Second, Issuer: c.Issuer, Purposes: []string{c.Purpose}}))
	return c
}

func computeJWKS(t *testing.T, c jwksCase) jwksCase {
	t.Helper()
	at := time.Unix(c.AtUnix, 0)
	d := deriver(t, c.Roots, c.Purpose, c.WindowSeconds, at)
	doc, err := jwks.Export(context.Background(), d, at, time.Duration(c.AheadSeconds)*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Document = string(doc)
	return c
}

// computeRefusals makes, from the first vector, tokens an EdDSA verifier
// must refuse: each keeps the vector's kid.
func computeRefusals(t *testing.T, v vector) []refusal {
	t.Helper()
	head, rest, _ := strings.Cut(v.Token, ".")
	payload, sig, _ := strings.Cut(rest, ".")
	seed, _ := hex.DecodeString(v.SeedHex)
	neighbour := windowSeed(t, v.RootID, v.Purpose, v.WindowSeconds, v.WindowIndex+1)
	input := head + "." + payload
	signed := func(seed []byte) string {
		return input + "." + b64(ed25519.Sign(ed25519.NewKeyFromSeed(seed), []byte(input)))
	}
	pub, _ := hex.DecodeString(v.PublicHex)
	hs := func(alg string, key []byte) string {
		h := b64([]byte(`{"alg":"` + alg + `","kid":"` + v.Kid + `","typ":"JWT"}`))
		return h + "." + payload + "." + b64(hmacSum(alg, key, h+"."+payload))
	}
	rawSig, _ := b64d(sig)
	// S + L: the same signature with a non-canonical S (RFC 8032 §5.1.7).
	nonCanonical := append([]byte(nil), rawSig...)
	addL(nonCanonical[32:])
	return []refusal{
		{Name: "signed by the neighbouring window's key", Vector: v.Name, Token: signed(neighbour), Code: "bad_signature"},
		{Name: "non-canonical S", Vector: v.Name, Token: input + "." + b64(nonCanonical), Code: "bad_signature"},
		{Name: "alg confusion: HS256 keyed with the public key", Vector: v.Name, Token: hs("HS256", pub), Code: "unsupported_algorithm"},
		{Name: "alg none", Vector: v.Name, Token: b64([]byte(`{"alg":"none","kid":"`+v.Kid+`","typ":"JWT"}`)) + "." + payload + ".", Code: "malformed"},
		{Name: "alg Ed25519 (RFC 9864), not the configured name", Vector: v.Name, Token: b64([]byte(`{"alg":"Ed25519","kid":"`+v.Kid+`","typ":"JWT"}`)) + "." + payload + "." + sig, Code: "unsupported_algorithm"},
		{Name: "signature truncated", Vector: v.Name, Token: input + "." + b64(rawSig[:63]), Code: "bad_signature"},
		{Name: "payload changed", Vector: v.Name, Token: head + "." + b64([]byte(strings.Replace(v.Payload, "u-12345678", "u-12345679", 1))) + "." + sig, Code: "bad_signature"},
		{Name: "seed of the right window, other purpose", Vector: v.Name, Token: signed(otherPurpose(t, v)), Code: "bad_signature"},
		{Name: "sanity: the vector's own key", Vector: v.Name, Token: signed(seed), Code: ""},
	}
}

func otherPurpose(t *testing.T, v vector) []byte {
	return windowSeed(t, v.RootID, v.Purpose+"x", v.WindowSeconds, v.WindowIndex)
}

// windowSeed returns the Ed25519 seed of a root's window, as a Deriver
// derives it.
func windowSeed(t *testing.T, rootID, purpose string, seconds, index int64) []byte {
	t.Helper()
	at := time.Unix(index*seconds, 0)
	k, err := deriver(t, []string{rootID}, purpose, seconds, at).KeyAt(rootID, at)
	if err != nil {
		t.Fatal(err)
	}
	return k.Bytes()
}

// windowInfo is the HKDF info string of a window key (SPEC.md): each of the
// label, alg and purpose preceded by its length (u16), then the window
// length in seconds (u64) and the window index (i64), big-endian.
func windowInfo(alg, purpose string, seconds, index int64) []byte {
	var b []byte
	for _, field := range []string{"jwtrot/v1 window key", alg, purpose} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(field)))
		b = append(b, field...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(seconds))
	return binary.BigEndian.AppendUint64(b, uint64(index))
}

func TestVectors(t *testing.T) {
	if *update {
		f := vectorFile{Comment: "jwtrot v1 Ed25519 window-key vectors; see SPEC.md §10. Roots are test values, never use them."}
		for _, v := range vectorInputs() {
			f.Vectors = append(f.Vectors, computeVector(t, v))
		}
		f.JWKS = computeJWKS(t, jwksInput())
		f.Refused = computeRefusals(t, f.Vectors[0])
		f.Fleet = computeFleet(t, fleetInput(), f.JWKS)
		b, err := json.MarshalIndent(f, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := readVectors(t)
	inputs := vectorInputs()
	if len(f.Vectors) != len(inputs) {
		t.Fatalf("%d vectors in the file, %d inputs: run go test -run TestVectors -update", len(f.Vectors), len(inputs))
	}
	for i, in := range inputs {
		want := computeVector(t, in)
		if f.Vectors[i] != want {
			t.Errorf("vector %q:\n got %+v\nwant %+v", in.Name, f.Vectors[i], want)
		}
	}
	if got := computeJWKS(t, jwksInput()); got.Document != f.JWKS.Document {
		t.Errorf("the JWKS document differs from the vector")
	}
	if got := computeFleet(t, fleetInput(), f.JWKS); got.Document != f.Fleet.Document || len(got.Refused) != len(f.Fleet.Refused) {
		t.Errorf("the JWKS document with the fleet member differs from the vector")
	}
	// The document reads back as its fleet; every refused member is refused.
	set, err := jwks.Parse([]byte(f.Fleet.Document), nil)
	if err != nil {
		t.Fatal(err)
	}
	if fl, ok := publishedFleet(set); !ok || fl.Window != 600*time.Second || fl.Skew != 30*time.Second || fl.MaxAge != 8*time.Hour || fl.Issuer != "auth" {
		t.Errorf("the fleet vector reads back as %+v", fl)
	}
	keys := strings.TrimSuffix(f.JWKS.Document, "}") // the keys, without a member
	if i := strings.Index(keys, `],"jwtrot":`); i >= 0 {
		keys = keys[:i+1]
	}
	for _, r := range f.Fleet.Refused {
		if _, err := jwks.Parse([]byte(keys+`,"jwtrot":`+r.Member+`}`), nil); !errors.Is(err, jwks.ErrDocument) {
			t.Errorf("refused member %q: %v", r.Name, err)
		}
	}
}

func readVectors(t *testing.T) vectorFile {
	t.Helper()
	b, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestVectorsVerify verifies each vector's token with a Verifier that holds
// only the vector's JWK, at an instant in its window, and refuses each of
// the refused tokens with its code.
func TestVectorsVerify(t *testing.T) {
	f := readVectors(t)
	byName := map[string]vector{}
	for _, v := range f.Vectors {
		byName[v.Name] = v
		if v.Token == "" {
			continue
		}
		ver := verifierOf(t, v)
		res, err := ver.Verify(context.Background(), v.Token, nil)
		if err != nil || res.KeyID != v.Kid {
			t.Errorf("vector %q: %v (kid %q)", v.Name, err, res.KeyID)
		}
	}
	for _, r := range f.Refused {
		_, err := verifierOf(t, byName[r.Vector]).Verify(context.Background(), r.Token, nil)
		if got := jwtrot.Code(err); got != r.Code {
			t.Errorf("%s: code %q (%v), want %q", r.Name, got, err, r.Code)
		}
	}
}

func verifierOf(t *testing.T, v vector) *jwtrot.Verifier {
	t.Helper()
	length := time.Duration(v.WindowSeconds) * time.Second
	sched, err := rotation.NewSchedule(rotation.WithWindow(length), rotation.WithClock(fixed(time.Unix(v.WindowIndex*v.WindowSeconds, 0).Add(length/2))))
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwks.Parse([]byte(`{"keys":[`+v.JWK+`]}`), sched)
	if err != nil {
		t.Fatal(err)
	}
	ver, err := jwtrot.NewVerifier(set, jwtrot.WithMaxAge(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return ver
}

// TestVectorsPython recomputes every vector, the JWKS document and the
// refusals with an independent Python implementation of SPEC.md.
func TestVectorsPython(t *testing.T) {
	python := tooltest.RequirePython(t, "cryptography")
	out, err := exec.Command(python, "../testdata/interop/check_eddsa_vectors.py", vectorsPath).CombinedOutput()
	if err != nil {
		t.Fatalf("check_eddsa_vectors.py: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), " passed, 0 failed") {
		t.Fatalf("unexpected output:\n%s", out)
	}
}
