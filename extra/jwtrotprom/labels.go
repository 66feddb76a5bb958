package jwtrotprom

import "github.com/jwtrot/jwtrot/internal/obslabels"

// Bounds of the label values an Observer produces. jwtrot's own outcomes
// never come near them: purposes and roots come from the configuration
// (a Deriver's roots, a JWKS document's), never from a token.
const (
	// MaxPurposes is the most distinct purpose label values; later ones
	// are counted as "other".
	MaxPurposes = obslabels.MaxPurposes
	// MaxRoots is the most distinct root label values; later ones are
	// counted as "other".
	MaxRoots = obslabels.MaxRoots
)
