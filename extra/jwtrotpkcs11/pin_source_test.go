package jwtrotpkcs11

import (
	"errors"
	"strings"
	"testing"
)

// TestPINSourceNotEchoed: a PIN typed where the PIN file's path or the
// variable's name belongs is not printed back.
func TestPINSourceNotEchoed(t *testing.T) {
	const pin = "s3cret-4711"
	for name, c := range map[string]Config{
		"as the file": {PINFile: pin},
		"as the name": {PINEnv: pin},
	} {
		_, err := c.pin()
		if !errors.Is(err, ErrPINSource) || strings.Contains(err.Error(), pin) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
