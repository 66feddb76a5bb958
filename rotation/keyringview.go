package rotation

import (
	"time"

	"github.com/jwtrot/jwtrot/internal/keyringview"
)

// The rest of what a keyring states (its serial, reload interval, roots and
// their schedule) is for this repository's tools, through package
// internal/keyringview: a service asks its Deriver instead.
func init() {
	keyringview.Of = func(k any) keyringview.Keyring {
		if k, _ := k.(*Keyring); k != nil {
			return ringView{k}
		}
		return nil
	}
}

type ringView struct{ k *Keyring }

func (v ringView) Serial() int64         { return v.k.serial }
func (v ringView) Reload() time.Duration { return v.k.reload }

func (v ringView) Roots() []keyringview.Root {
	rs := make([]keyringview.Root, len(v.k.roots))
	for i, r := range v.k.roots {
		rs[i] = keyringview.Root{ID: r.ID, Issues: r.Issues, Retires: r.Retires, Revoked: r.Revoked, Emergency: r.Emergency, Ref: r.Ref}
	}
	return rs
}

func (v ringView) IssuerAt(t time.Time) (string, bool)      { return v.k.issuerAt(t, nil) }
func (v ringView) VerifyingAt(t time.Time) []string         { return v.k.verifyingAt(t) }
func (v ringView) NextChange(t time.Time) (time.Time, bool) { return v.k.nextChange(t) }
func (v ringView) EarliestRetirement(id string) (time.Time, bool) {
	return v.k.earliestRetirement(id)
}
