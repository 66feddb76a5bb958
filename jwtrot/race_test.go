//go:build race

package jwtrot

// raceEnabled: the race runtime drops pooled objects at random, so
// allocation counts are not meaningful under it.
const raceEnabled = true
