package jwtrototel

import (
	"slices"

	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// Bounds of the label values an Observer produces. jwtrot's own outcomes
// never come near them: purposes and roots come from the configuration
// (a Deriver's roots, a JWKS document's), never from a token.
const (
	// MaxPurposes is the most distinct purpose label values; later ones
	// are counted as "other".
	MaxPurposes = 16
	// MaxRoots is the most distinct root label values; later ones are
	// counted as "other".
	MaxRoots = 64
	// maxCached is the most kinds of outcome whose series are cached.
	maxCached = 4096
)

// codes are the values of the code label: jwtrot.Codes, "other" and "none".
var codes = append(jwtrot.Codes(), "other")

// codeLabel is code if jwtrot knows it, else "other".
func codeLabel(code string) string {
	if slices.Contains(codes, code) {
		return code
	}
	return "other"
}

// positionLabel is the position's name, "none" for a value that is none
// of the three.
func positionLabel(p rotation.Position) string {
	switch p {
	case rotation.Previous, rotation.Current, rotation.Next:
		return p.String()
	}
	return "none"
}

// nonEmpty is s, or "none" for "": no series has an empty label value.
func nonEmpty(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// labelSet admits purpose and root values up to the bounds.
type labelSet struct {
	purposes, roots []string
}

func (l *labelSet) purpose(p string) string { return admit(&l.purposes, nonEmpty(p), MaxPurposes) }

func (l *labelSet) root(r string) string {
	if r == "" {
		return "none" // refused before a key was chosen
	}
	return admit(&l.roots, r, MaxRoots)
}

func admit(seen *[]string, v string, limit int) string {
	if v == "none" || slices.Contains(*seen, v) {
		return v
	}
	if len(*seen) >= limit {
		return "other"
	}
	*seen = append(*seen, v)
	return v
}
