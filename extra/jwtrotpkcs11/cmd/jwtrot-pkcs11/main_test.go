package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtrot/jwtrot/extra/jwtrotpkcs11/internal/softhsmtest"
)

func TestMain(m *testing.M) { os.Exit(softhsmtest.Main(m)) }

func jwtrotPKCS11(t *testing.T, wantCode int, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(args, &out, &errOut); code != wantCode {
		t.Fatalf("jwtrot-pkcs11 %s: exit %d, want %d; stderr: %s", strings.Join(args, " "), code, wantCode, errOut.String())
	}
	return out.String() + errOut.String()
}

func fingerprintOf(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if fp, ok := strings.CutPrefix(line, "fingerprint: "); ok {
			return fp
		}
	}
	t.Fatalf("no fingerprint in %q", out)
	return ""
}

// TestImportAndGenerate follows the two documented procedures.
func TestImportAndGenerate(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	pin, _ := os.ReadFile(tok.PINFile)
	module := []string{"-library", tok.Library, "-token", tok.Label, "-pin-file", tok.PINFile}

	// Import: the module's fingerprint equals the root file's.
	rootFile := filepath.Join(t.TempDir(), "root")
	os.WriteFile(rootFile, []byte("3f9a0c1b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8\n"), 0o600)
	fileFP := fingerprintOf(t, jwtrotPKCS11(t, 0, "fingerprint", "-root-file", rootFile))
	out := jwtrotPKCS11(t, 0, append([]string{"import", "-key", "main", "-root-file", rootFile}, module...)...)
	if fingerprintOf(t, out) != fileFP || !strings.Contains(out, "destroy every other copy") {
		t.Fatalf("import: %s", out)
	}
	if got := fingerprintOf(t, jwtrotPKCS11(t, 0, append([]string{"fingerprint", "-key", "main"}, module...)...)); got != fileFP {
		t.Fatalf("module fingerprint %s, file %s", got, fileFP)
	}
	// A second import under the same label is refused.
	if out := jwtrotPKCS11(t, 1, append([]string{"import", "-key", "main", "-root-file", rootFile}, module...)...); !strings.Contains(out, "already exists") {
		t.Fatalf("second import: %s", out)
	}

	// Generate: a different root, its fingerprint stable across openings.
	gen := fingerprintOf(t, jwtrotPKCS11(t, 0, append([]string{"generate", "-key", "fresh"}, module...)...))
	if gen == fileFP || fingerprintOf(t, jwtrotPKCS11(t, 0, append([]string{"fingerprint", "-key", "fresh"}, module...)...)) != gen {
		t.Fatal("generated key's fingerprint")
	}

	// The PIN from the environment; a wrong one is refused without showing it.
	t.Setenv("TEST_PIN", "999999"+strings.TrimSpace(string(pin)))
	out = jwtrotPKCS11(t, 1, "fingerprint", "-library", tok.Library, "-token", tok.Label, "-key", "main", "-pin-env", "TEST_PIN")
	if !strings.Contains(out, "CKR_PIN_INCORRECT") || strings.Contains(out, strings.TrimSpace(string(pin))) {
		t.Fatalf("wrong PIN: %s", out)
	}
	jwtrotPKCS11(t, 2, "generate", "-pin", "1234")
	jwtrotPKCS11(t, 2)
}
