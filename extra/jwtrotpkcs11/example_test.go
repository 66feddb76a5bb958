package jwtrotpkcs11_test

import (
	"errors"
	"fmt"

	"github.com/jwtrot/jwtrot/extra/jwtrotpkcs11"
)

// Open refuses a configuration it cannot use before loading anything, and
// says what to fix. A PIN is never a field: it comes from a file or an
// environment variable.
func ExampleOpen() {
	_, err := jwtrotpkcs11.Open(jwtrotpkcs11.Config{
		Library: "/usr/lib/softhsm/libsofthsm2.so",
		Token:   "jwtrot",
		Key:     "main",
	})
	fmt.Println(errors.Is(err, jwtrotpkcs11.ErrConfig))
	fmt.Println(err)
	// Output:
	// true
	// jwtrotpkcs11: invalid configuration: give exactly one of PINFile and PINEnv
}
