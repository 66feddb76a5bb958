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
