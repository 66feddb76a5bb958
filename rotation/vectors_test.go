package rotation

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite ../testdata/vectors.json from the vector inputs")

const vectorsPath = "../testdata/vectors.json"

// vectorFile is the layout of testdata/vectors.json, described in SPEC.md.
type vectorFile struct {
	Comment string   `json:"comment"`
	Vectors []vector `json:"vectors"`
}

type vector struct {
	Name          string `json:"name"`
	RootID        string `json:"root_id"`
	RootHex       string `json:"root_hex"`
	Alg           string `json:"alg"`
	Purpose       string `json:"purpose"`
	WindowSeconds int64  `json:"window_seconds"`
	Instant       string `json:"instant"` // RFC 3339 with nanoseconds, UTC
	UnixSeconds   int64  `json:"unix_seconds"`
	UnixNanos     int64  `json:"nanos"` // within the second, 0 to 999999999
	WindowIndex   int64  `json:"window_index"`
	WindowStart   int64  `json:"window_start_unix"`
	Kid           string `json:"kid"`
	InfoHex       string `json:"info_hex"`
	KeyHex        string `json:"key_hex"`
}

var (
	vecRootA = bytes.Repeat([]byte{0x0b}, 31)
	vecRootB = []byte("jwtrot test vector root B, 32+ bytes long, not secret")
)

func vecRoots() map[string][]byte {
	a := append(append([]byte(nil), vecRootA...), 0x0c) // 32 bytes, not degenerate
	c := make([]byte, 64)
	for i := range c {
		c[i] = byte(i * 7)
	}
	return map[string][]byte{"main": a, "backup": vecRootB, "r-2026_x": c}
}

// vectorInputs are the vectors' inputs; -update computes the rest.
func vectorInputs() []vector {
	ns := time.Nanosecond
	boundary := time.Date(2026, 11, 22, 10, 40, 0, 0, time.UTC)
	pre := time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)
	in := func(name, root, alg, purpose string, seconds int64, at time.Time) vector {
		return vector{Name: name, RootID: root, Alg: alg, Purpose: purpose, WindowSeconds: seconds, Instant: at.UTC().Format(time.RFC3339Nano)}
	}
	return []vector{
		in("epoch, 1s window", "main", "HS256", "access", 1, time.Unix(0, 0)),
		in("1ns before epoch", "main", "HS256", "access", 1, time.Unix(0, 0).Add(-ns)),
		in("10 min, on a boundary", "main", "HS256", "access", 600, boundary),
		in("10 min, 1ns before a boundary", "main", "HS256", "access", 600, boundary.Add(-ns)),
		in("10 min, 1ns after a boundary", "main", "HS256", "access", 600, boundary.Add(ns)),
		in("refresh purpose", "main", "HS256", "refresh", 600, boundary),
		in("tenant purpose", "main", "HS256", "tenant:42/eu", 600, boundary),
		in("HS384", "main", "HS384", "access", 600, boundary),
		in("HS512", "main", "HS512", "access", 600, boundary),
		in("second root", "backup", "HS256", "access", 600, boundary),
		in("64-byte root", "r-2026_x", "HS256", "access", 600, boundary),
		in("64-byte root, HS512", "r-2026_x", "HS512", "access", 600, boundary),
		in("7 min window", "main", "HS256", "access", 420, time.Unix(420*4273200, 0)),
		in("7 min window, 1ns before", "main", "HS256", "access", 420, time.Unix(420*4273200, 0).Add(-ns)),
		in("25 h window", "main", "HS256", "access", 90000, boundary),
		in("1 day window", "backup", "HS384", "refresh", 86400, boundary),
		in("1 min, mid-window", "main", "HS256", "access", 60, boundary.Add(29*time.Second+123456789)),
		in("before 1970, 10 min", "main", "HS256", "access", 600, pre),
		in("before 1970, 1ns before a boundary", "main", "HS256", "access", 600, pre.Add(-ns)),
		in("before 1970, 1ns after a boundary", "main", "HS256", "access", 600, pre.Add(ns)),
		in("before 1970, HS512, 1h", "r-2026_x", "HS512", "access", 3600, time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)),
		in("year 3000", "backup", "HS256", "access", 600, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)),
		in("1s window, 1ns before a second", "main", "HS256", "access", 1, boundary.Add(-ns)),
		in("max window", "main", "HS256", "access", int64(maxWindow/time.Second), boundary),
	}
}

func computeVector(t *testing.T, v vector) vector {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, v.Instant)
	if err != nil {
		t.Fatal(err)
	}
	secret := vecRoots()[v.RootID]
	root := mustRoot(t, v.RootID, secret)
	alg, err := ParseAlgorithm(v.Alg)
	if err != nil {
		t.Fatal(err)
	}
	length := time.Duration(v.WindowSeconds) * time.Second
	w := windowOf(at, length)
	info, err := windowInfo(alg, v.Purpose, length, w.Index())
	if err != nil {
		t.Fatal(err)
	}
	key, err := deriveKey(root, alg, v.Purpose, length, w.Index())
	if err != nil {
		t.Fatal(err)
	}
	v.RootHex = hex.EncodeToString(secret)
	v.UnixSeconds, v.UnixNanos = at.Unix(), int64(at.Nanosecond())
	v.WindowIndex, v.WindowStart = w.Index(), w.Start().Unix()
	v.Kid = KeyID(v.RootID, w.Index())
	v.InfoHex, v.KeyHex = hex.EncodeToString(info), hex.EncodeToString(key)
	return v
}

func TestVectors(t *testing.T) {
	if *update {
		f := vectorFile{Comment: "jwtrot v1 window-key test vectors; see SPEC.md. Roots are test values, never use them."}
		for _, in := range vectorInputs() {
			f.Vectors = append(f.Vectors, computeVector(t, in))
		}
		b, err := json.MarshalIndent(f, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) < 20 {
		t.Fatalf("%d vectors; want at least 20", len(f.Vectors))
	}
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			if hex.EncodeToString(vecRoots()[v.RootID]) != v.RootHex {
				t.Fatal("root_hex does not match the test root")
			}
			if got := computeVector(t, v); got != v {
				t.Fatalf("computed\n%+v\nfile has\n%+v", got, v)
			}
			// The Deriver, cache and all, agrees with the pure functions.
			at := time.Unix(v.UnixSeconds, v.UnixNanos)
			alg, _ := ParseAlgorithm(v.Alg)
			d, err := NewDeriver([]*Root{mustRoot(t, v.RootID, vecRoots()[v.RootID])},
				WithAlgorithm(alg), WithPurpose(v.Purpose), WithWindow(time.Duration(v.WindowSeconds)*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			k := mustKey(d.SigningKey(at))
			if k.ID() != v.Kid || hex.EncodeToString(k.secret.b) != v.KeyHex {
				t.Fatalf("Deriver gives %s", k.ID())
			}
		})
	}
}
