package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestREADMEWalkthrough: README quotes the walkthrough's output as it is.
func TestREADMEWalkthrough(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "`go run ./cmd/demo` walks through the idea on a simulated clock:\n\n```\n"
	_, quoted, ok := strings.Cut(string(readme), marker)
	if !ok {
		t.Fatal("README has no walkthrough sample")
	}
	quoted, _, _ = strings.Cut(quoted, "```\n")
	t.Setenv("NO_COLOR", "1")
	var out, errb bytes.Buffer
	if code := run(nil, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("walkthrough: exit %d: %s", code, errb.String())
	}
	if quoted != out.String() {
		q, o := strings.Split(quoted, "\n"), strings.Split(out.String(), "\n")
		for i := range min(len(q), len(o)) {
			if q[i] != o[i] {
				t.Fatalf("README's walkthrough differs at line %d:\nREADME: %q\noutput: %q", i+1, q[i], o[i])
			}
		}
		t.Fatalf("README's walkthrough has %d lines; the output %d", len(q), len(o))
	}
}
