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

// RequirePython returns a Python 3 interpreter that can import module,
// trying Debian's /usr/bin/python3 (where apt installs python3-jwt) before
// the python3 on PATH. It skips or fails as Require does.
func RequirePython(t testing.TB, module string) string {
	t.Helper()
	for _, cand := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(cand)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import "+module).Run() == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("python3 with the %s module is required when CI is set (apt-get install python3-jwt)", module)
	}
	t.Skipf("no python3 with the %s module; skipping (set CI to make this a failure)", module)
	return ""
}
