// Package obslabels holds the label values that jwtrot's metrics modules
// (extra/jwtrotprom and extra/jwtrototel) give their series, so that the two
// count the same outcomes under the same bounded set of values: a code
// jwtrot knows or "other", a position or "none", a purpose or root from the
// configuration up to [MaxPurposes] and [MaxRoots], then "other".
//
// Nothing here comes from a token: purposes and roots come from the
// configuration (a Deriver's roots, a JWKS document's).
package obslabels

import (
	"maps"
	"slices"

	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

const (
	// MaxPurposes is the most distinct purpose values a [Set] admits;
	// later ones are "other".
	MaxPurposes = 16
	// MaxRoots is the most distinct root values a [Set] admits; later
	// ones are "other".
	MaxRoots = 64
	// MaxCached is the most kinds of outcome whose series an observer
	// caches; only outcomes built by hand, not by jwtrot, reach it.
	MaxCached = 4096
)

// codes are the values of the code label: jwtrot.Codes and "other".
var codes = append(jwtrot.Codes(), "other")

// Code is code if jwtrot knows it, else "other".
func Code(code string) string {
	if slices.Contains(codes, code) {
		return code
	}
	return "other"
}

// Position is the position's name, "none" for a value that is none of the
// three.
func Position(p rotation.Position) string {
	switch p {
	case rotation.Previous, rotation.Current, rotation.Next:
		return p.String()
	}
	return "none"
}

// NonEmpty is s, or "none" for "": no series has an empty label value.
func NonEmpty(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// fetchCauses are the causes of a JWKS fetch that jwks reports.
var fetchCauses = []string{"start", "schedule", "retry", "miss"}

// FetchCause is the event's cause if jwks reports it, else "other".
func FetchCause(ev jwks.FetchEvent) string {
	if slices.Contains(fetchCauses, ev.Cause) {
		return ev.Cause
	}
	return "other"
}

// FetchResult is "error", "changed" or "unchanged".
func FetchResult(ev jwks.FetchEvent) string {
	switch {
	case ev.Err != nil:
		return "error"
	case ev.Changed:
		return "changed"
	}
	return "unchanged"
}

// refreshResults are the values of httpauth.IssuerRefresh.Result.
var refreshResults = []string{"resigned", "unneeded", "failed"}

// RefreshResult is the event's result if httpauth reports it, else
// "failed".
func RefreshResult(ev httpauth.IssuerRefresh) string {
	if slices.Contains(refreshResults, ev.Result) {
		return ev.Result
	}
	return "failed"
}

// Set admits purpose and root values up to [MaxPurposes] and [MaxRoots].
// The zero value is empty and ready to use; it is not safe for concurrent
// use.
type Set struct {
	purposes, roots []string
}

// Purpose is p ("none" for ""), or "other" once MaxPurposes others are
// admitted.
func (s *Set) Purpose(p string) string { return admit(&s.purposes, NonEmpty(p), MaxPurposes) }

// Root is r, "none" for "" (refused before a key was chosen), or "other"
// once MaxRoots others are admitted.
func (s *Set) Root(r string) string {
	if r == "" {
		return "none"
	}
	return admit(&s.roots, r, MaxRoots)
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

// With is m with k set to v, in a copy that the caller publishes (an
// observer's readers load the map without a lock and never see it change),
// or m itself once it holds MaxCached entries: past that, the caller
// resolves such series on every call instead of caching them.
func With[K comparable, V any](m map[K]V, k K, v V) map[K]V {
	if len(m) >= MaxCached {
		return m
	}
	next := make(map[K]V, len(m)+1)
	maps.Copy(next, m)
	next[k] = v
	return next
}
