package jwtrotpkcs11

import (
	"os"
	"testing"

	"github.com/jwtrot/jwtrot/extra/jwtrotpkcs11/internal/softhsmtest"
)

func TestMain(m *testing.M) { os.Exit(softhsmtest.Main(m)) }

// newToken initialises a fresh SoftHSM2 token and returns a Config for it
// with the given key label.
func newToken(t testing.TB, key string) Config {
	t.Helper()
	tok := softhsmtest.NewToken(t)
	return Config{Library: tok.Library, Token: tok.Label, Key: key, PINFile: tok.PINFile}
}

func readPIN(t testing.TB, cfg Config) string {
	t.Helper()
	pin, err := cfg.pin()
	if err != nil {
		t.Fatal(err)
	}
	return pin
}
