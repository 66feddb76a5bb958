//go:build !race

package jwtrot

const raceEnabled = false
