package rotation

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jwtrot/jwtrot/internal/tooltest"
)

const textVectorsPath = "../testdata/text_vectors.json"

// rootTextRefusals maps the rule names of testdata/text_vectors.json to the
// error ParseRoot wraps for them.
var rootTextRefusals = map[string]error{
	"empty": errRootEncoding, "bom": errRootEncoding, "quoted": errRootEncoding,
	"line_break": errRootEncoding, "0x_prefix": errRootEncoding, "odd_hex": errRootEncoding,
	"not_an_encoding": errRootEncoding, "bad_base64": errRootEncoding,
	"too_short": errRootTooShort, "degenerate": errRootDegenerate,
}

// TestRootTextVectors reads every root text of testdata/text_vectors.json
// (SPEC §1 by example) and checks the root or the refusal.
func TestRootTextVectors(t *testing.T) {
	b, err := os.ReadFile(textVectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Roots []struct {
			Name, Text, Refused string
			RootHex             string `json:"root_hex"`
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Roots) < 20 {
		t.Fatalf("only %d root vectors", len(doc.Roots))
	}
	for _, v := range doc.Roots {
		r, err := ParseRoot("main", []byte(v.Text))
		switch {
		case v.RootHex != "":
			secret, _ := hex.DecodeString(v.RootHex)
			want, _ := NewRoot("main", secret)
			if err != nil {
				t.Errorf("%s: %v", v.Name, err)
				continue
			}
			got, _ := deriveKey(r, HS256, "access", defaultWindow, 1)
			exp, _ := deriveKey(want, HS256, "access", defaultWindow, 1)
			if hex.EncodeToString(got) != hex.EncodeToString(exp) {
				t.Errorf("%s: read as another root", v.Name)
			}
		default:
			want, known := rootTextRefusals[v.Refused]
			if !known || !errors.Is(err, want) {
				t.Errorf("%s: %v; want %v (rule %s)", v.Name, err, want, v.Refused)
			}
		}
	}
}

// TestTextVectorsPython checks the same vectors, and the claims ones, with
// an independent Python implementation of SPEC §1 and §5.3.
func TestTextVectorsPython(t *testing.T) {
	python := tooltest.Require(t, "python3")
	out, err := exec.Command(python, "../testdata/interop/check_text_vectors.py", textVectorsPath).CombinedOutput()
	if err != nil {
		t.Fatalf("check_text_vectors.py: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), " passed, 0 failed") {
		t.Fatalf("unexpected output:\n%s", out)
	}
}
