package jwtrotpkcs11

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// The tests run against a real SoftHSM2 (Debian's softhsm2): TestMain points
// SOFTHSM2_CONF at a configuration whose token directory is a temporary
// directory, removed at the end; each test initialises its own token there.

var (
	hsmLib     string // the SoftHSM2 library, "" if missing
	hsmMissing string // why the SoftHSM2 tests cannot run
	tokenSeq   atomic.Int64
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "jwtrotpkcs11-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	hsmLib, hsmMissing = findSoftHSM()
	if hsmMissing == "" {
		tokens := filepath.Join(dir, "tokens")
		conf := filepath.Join(dir, "softhsm2.conf")
		text := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
		if err := os.Mkdir(tokens, 0o700); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		os.Setenv("SOFTHSM2_CONF", conf)
	}
	os.Setenv("JWTROTPKCS11_TEST_DIR", dir)
	return m.Run()
}

func findSoftHSM() (lib, missing string) {
	if _, err := exec.LookPath("softhsm2-util"); err != nil {
		return "", "softhsm2-util not found (apt-get install softhsm2)"
	}
	for _, p := range []string{os.Getenv("SOFTHSM2_LIB"), "/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p, ""
		}
	}
	return "", "libsofthsm2.so not found (apt-get install softhsm2, or set SOFTHSM2_LIB)"
}

// needHSM skips the test without SoftHSM2, and fails it instead when CI is set.
func needHSM(t testing.TB) {
	t.Helper()
	if hsmMissing == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set and SoftHSM2 is missing: %s", hsmMissing)
	}
	t.Skipf("SoftHSM2 is missing: %s", hsmMissing)
}

// newToken initialises a fresh token with a random user PIN, written to a
// file, and returns a Config for it with the given key label. The token is
// deleted when the test ends.
func newToken(t testing.TB, key string) Config {
	t.Helper()
	needHSM(t)
	label := fmt.Sprintf("jwtrot-test-%d", tokenSeq.Add(1))
	pin, so := randomPIN(t), randomPIN(t)
	dir := t.TempDir()
	pinFile := filepath.Join(dir, "pin")
	if err := os.WriteFile(pinFile, []byte(pin+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", so, "--pin", pin).CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util --init-token: %v: %s", err, out)
	}
	t.Cleanup(func() {
		exec.Command("softhsm2-util", "--delete-token", "--token", label).Run()
	})
	return Config{Library: hsmLib, Token: label, Key: key, PINFile: pinFile}
}

func randomPIN(t testing.TB) string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func readPIN(t testing.TB, cfg Config) string {
	t.Helper()
	pin, err := cfg.pin()
	if err != nil {
		t.Fatal(err)
	}
	return pin
}
