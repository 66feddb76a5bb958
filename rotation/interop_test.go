package rotation

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/jwtrot/jwtrot/internal/tooltest"
)

// TestVectorsPython recomputes every vector with an independent Python
// implementation written from SPEC.md, so the vectors pin the specification
// and not only this package's reading of it.
func TestVectorsPython(t *testing.T) {
	python := tooltest.Require(t, "python3")
	out, err := exec.Command(python, "../testdata/interop/check_vectors.py", vectorsPath).CombinedOutput()
	if err != nil {
		t.Fatalf("check_vectors.py: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), " passed, 0 failed") {
		t.Fatalf("unexpected output:\n%s", out)
	}
}

// TestKeyringVectorsPython recomputes the keyring vectors (SPEC §11.6) with
// an independent Python reading of SPEC §11: the strict document reader,
// which root issues and which verify, the earliest retirements.
func TestKeyringVectorsPython(t *testing.T) {
	python := tooltest.Require(t, "python3")
	out, err := exec.Command(python, "../testdata/interop/check_keyring_vectors.py", "../testdata/keyring_vectors.json").CombinedOutput()
	if err != nil {
		t.Fatalf("check_keyring_vectors.py: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), " passed, 0 failed") {
		t.Fatalf("unexpected output:\n%s", out)
	}
}
