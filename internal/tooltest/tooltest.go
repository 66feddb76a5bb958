// Package tooltest finds the outside programs that interop tests run.
package tooltest

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the path of the program name. When it is missing the test
// is skipped with a message, unless the environment variable CI is set: then
// it fails, so a CI run proves that every interop test ran.
func Require(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is required when CI is set, and is not installed: %v", name, err)
	}
	t.Skipf("%s is not installed; skipping (set CI to make this a failure)", name)
	return ""
}
