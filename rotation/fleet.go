package rotation

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// A Fleet is what every instance of a deployment must agree on: the
// algorithm, the window length, the clock skew, the purposes, and the
// maximum age and issuer of its tokens. A keyring states it once
// ([Keyring.Fleet]); an EdDSA issuer publishes it beside its keys (package
// jwks), so verifiers take it from there instead of a copy typed by hand.
//
// A zero MaxAge or an empty Issuer means "not stated".
type Fleet struct {
	Algorithm Algorithm
	Window    time.Duration
	Skew      time.Duration
	MaxAge    time.Duration
	Issuer    string
	Purposes  []string
}

// maxIssuerLen bounds the issuer a keyring or a JWKS document may state.
const maxIssuerLen = 256

// Check reports the first thing wrong with f, naming the field and how to
// fix it.
func (f Fleet) Check() error {
	switch {
	case !f.Algorithm.valid():
		return errors.New("rotation: fleet: alg must be HS256, HS384, HS512 or EdDSA")
	case checkWindow(f.Window) != nil:
		return fmt.Errorf("rotation: fleet: window: %w", checkWindow(f.Window))
	case f.Skew < 0 || f.Skew > f.Window/4 || f.Skew%time.Second != 0:
		return fmt.Errorf("rotation: fleet: skew %v must be whole seconds between 0 and a quarter of the %v window", f.Skew, f.Window)
	case f.MaxAge < 0 || f.MaxAge%time.Second != 0:
		return fmt.Errorf("rotation: fleet: max_age %v must be a positive whole number of seconds, or absent", f.MaxAge)
	case len(f.Issuer) > maxIssuerLen:
		return fmt.Errorf("rotation: fleet: iss is longer than %d bytes", maxIssuerLen)
	case len(f.Purposes) == 0:
		return errors.New("rotation: fleet: purposes must name at least one purpose, such as \"access\"")
	}
	for i, p := range f.Purposes {
		if !validPurpose(p) {
			return fmt.Errorf("rotation: fleet: purposes[%d]: %w", i, errPurpose)
		}
		if slices.Contains(f.Purposes[:i], p) {
			return fmt.Errorf("rotation: fleet: purposes[%d] repeats an earlier purpose", i)
		}
	}
	return nil
}

// Agree reports, naming the first setting that differs, whether a value an
// instance sets locally contradicts the fleet's: each non-zero field of
// local (Algorithm, Window, Skew, MaxAge, Issuer; Purposes if non-empty,
// each of which the fleet must have) must equal f's. The error says to
// remove the local setting, which the fleet already states.
func (f Fleet) Agree(local Fleet) error {
	differs := func(name string, local, fleet any) error {
		return fmt.Errorf("rotation: the local %s (%v) differs from the fleet's (%v); remove the local setting: the fleet's configuration states it for every instance", name, local, fleet)
	}
	switch {
	case local.Algorithm != 0 && local.Algorithm != f.Algorithm:
		return differs("algorithm", local.Algorithm, f.Algorithm)
	case local.Window != 0 && local.Window != f.Window:
		return differs("window length", local.Window, f.Window)
	case local.Skew != 0 && local.Skew != f.Skew:
		return differs("skew", local.Skew, f.Skew)
	case local.MaxAge != 0 && f.MaxAge != 0 && local.MaxAge != f.MaxAge:
		return differs("maximum age", local.MaxAge, f.MaxAge)
	case local.Issuer != "" && f.Issuer != "" && local.Issuer != f.Issuer:
		return errors.New("rotation: the local issuer differs from the fleet's (neither is shown, in case a secret was typed there); remove the local setting: the fleet's configuration states it for every instance")
	}
	for _, p := range local.Purposes {
		if !slices.Contains(f.Purposes, p) {
			return fmt.Errorf("rotation: a local purpose is not one of the fleet's %q; use one of those", f.Purposes)
		}
	}
	return nil
}
