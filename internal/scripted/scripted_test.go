package scripted

import (
	"testing"

	"github.com/jwtrot/jwtrot/jwtrot"
)

// TestScriptCoversEveryCode: the script produces every refusal reason
// jwtrot has, so an adapter tested with it is tested on all of them.
func TestScriptCoversEveryCode(t *testing.T) {
	c := Run(t, func(jwtrot.Outcome) {})
	for _, code := range jwtrot.Codes() {
		if c.ByCode[code] == 0 {
			t.Errorf("the script never produces %q", code)
		}
	}
	if c.Accepted["current"] == 0 || c.Accepted["previous"] == 0 || c.Accepted["next"] == 0 || c.Resigned == 0 {
		t.Errorf("accepted %v, resigned %d", c.Accepted, c.Resigned)
	}
	if c.StoreFailures != 1 || c.KeySourceFailures != 2 { // key_unavailable and not_ready
		t.Errorf("store failures %d, key source failures %d", c.StoreFailures, c.KeySourceFailures)
	}
}
