// Package softhsmtest runs tests against a real SoftHSM2 (Debian's
// softhsm2): [Main] points SOFTHSM2_CONF at a configuration whose token
// directory is a temporary directory, removed at the end, and [NewToken]
// initialises a token of the test's own there. Without SoftHSM2 the tests
// skip, or fail when the environment variable CI is set.
package softhsmtest

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

var (
	lib      string // the SoftHSM2 library, "" if missing
	missing  string // why the SoftHSM2 tests cannot run
	tokenSeq atomic.Int64
	dir      string
)

// Main sets SoftHSM2 up in a temporary directory, runs the tests and removes
// the directory: call it from TestMain as os.Exit(softhsmtest.Main(m)).
func Main(m *testing.M) int {
	var err error
	dir, err = os.MkdirTemp("", "jwtrotpkcs11-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	lib, missing = find()
	if missing == "" {
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
	return m.Run()
}

func find() (lib, missing string) {
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

// Need skips the test without SoftHSM2, and fails it instead when CI is set.
func Need(t testing.TB) {
	t.Helper()
	if missing == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set and SoftHSM2 is missing: %s", missing)
	}
	t.Skipf("SoftHSM2 is missing: %s", missing)
}

// A Token is a freshly initialised SoftHSM2 token.
type Token struct {
	Library string // path of libsofthsm2.so
	Label   string // the token's label
	PINFile string // a file holding its user PIN
}

// NewToken initialises a token with a random user PIN, written to a file,
// and deletes it when the test ends.
func NewToken(t testing.TB) Token {
	t.Helper()
	Need(t)
	label := fmt.Sprintf("jwtrot-test-%d", tokenSeq.Add(1))
	pin, so := randomPIN(), randomPIN()
	pinFile := filepath.Join(t.TempDir(), "pin")
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
	return Token{Library: lib, Label: label, PINFile: pinFile}
}

func randomPIN() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
