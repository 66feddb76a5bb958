package jwtrot

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"
)

// TestClaimsTextVectors reads every payload of testdata/text_vectors.json
// (SPEC §5.3 by example) with the claims reader, which must accept exactly
// those marked accepted. An independent Python implementation checks the
// same vectors (rotation's TestTextVectorsPython).
func TestClaimsTextVectors(t *testing.T) {
	b, err := os.ReadFile("../testdata/text_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Payloads []struct {
			Name       string
			PayloadB64 string `json:"payload_b64"`
			Accept     bool
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Payloads) < 30 {
		t.Fatalf("only %d payload vectors", len(doc.Payloads))
	}
	for _, v := range doc.Payloads {
		p, err := base64.StdEncoding.DecodeString(v.PayloadB64)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		_, err = scanClaims(p)
		if (err == nil) != v.Accept {
			t.Errorf("%s: scanClaims = %v; want accepted=%v", v.Name, err, v.Accept)
		}
	}
}
