package obslabels

import (
	"errors"
	"strconv"
	"testing"

	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

func TestValues(t *testing.T) {
	for _, c := range jwtrot.Codes() {
		if got := Code(c); got != c {
			t.Errorf("Code(%q) = %q", c, got)
		}
	}
	tests := []struct{ name, got, want string }{
		{"unknown code", Code("made_up"), "other"},
		{"empty code", Code(""), "other"},
		{"current", Position(rotation.Current), "current"},
		{"previous", Position(rotation.Previous), "previous"},
		{"next", Position(rotation.Next), "next"},
		{"no position", Position(rotation.Position(99)), "none"},
		{"empty", NonEmpty(""), "none"},
		{"non-empty", NonEmpty("x"), "x"},
		{"known cause", FetchCause(jwks.FetchEvent{Cause: "miss"}), "miss"},
		{"unknown cause", FetchCause(jwks.FetchEvent{Cause: "made_up"}), "other"},
		{"error", FetchResult(jwks.FetchEvent{Err: errors.New("x"), Changed: true}), "error"},
		{"changed", FetchResult(jwks.FetchEvent{Changed: true}), "changed"},
		{"unchanged", FetchResult(jwks.FetchEvent{}), "unchanged"},
		{"resigned", RefreshResult(httpauth.IssuerRefresh{Result: "resigned"}), "resigned"},
		{"unknown result", RefreshResult(httpauth.IssuerRefresh{Result: "made_up"}), "failed"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestSetBounds(t *testing.T) {
	var s Set
	if got := s.Purpose(""); got != "none" {
		t.Errorf(`Purpose("") = %q, want "none"`, got)
	}
	if got := s.Root(""); got != "none" {
		t.Errorf(`Root("") = %q, want "none"`, got)
	}
	for _, tt := range []struct {
		prefix string
		limit  int
		admit  func(string) string
	}{{"p", MaxPurposes, s.Purpose}, {"r", MaxRoots, s.Root}} {
		for i := range tt.limit + 2 {
			v := tt.prefix + strconv.Itoa(i)
			want := v
			if i >= tt.limit {
				want = "other"
			}
			if got := tt.admit(v); got != want {
				t.Errorf("admitting %q: got %q, want %q", v, got, want)
			}
		}
	}
	// An admitted value stays itself after the bound is reached.
	if got := s.Purpose("p0"); got != "p0" {
		t.Errorf(`Purpose("p0") after the bound = %q`, got)
	}
	if got := s.Root("r0"); got != "r0" {
		t.Errorf(`Root("r0") after the bound = %q`, got)
	}
}

func TestWith(t *testing.T) {
	m := map[int]string{}
	for i := range MaxCached + 3 {
		prev := m
		m = With(m, i, "v")
		if i < MaxCached {
			if len(m) != i+1 || m[i] != "v" || len(prev) != i {
				t.Fatalf("With at %d: len %d, the old map's %d", i, len(m), len(prev))
			}
		} else if len(m) != MaxCached {
			t.Fatalf("With past the bound: len %d", len(m))
		}
	}
}
