package main

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestHelpWidth: every command's help fits 80 columns, says what the
// command does and gives an example.
func TestHelpWidth(t *testing.T) {
	for _, cmd := range []string{"", "root", "windows", "sign", "verify", "jwks", "fleet"} {
		args := []string{cmd, "-h"}
		if cmd == "" {
			args = []string{"-h"}
		}
		var out, errOut bytes.Buffer
		if code := run(args, strings.NewReader(""), &out, &errOut); code != 0 || errOut.Len() > 0 {
			t.Errorf("demo %s -h: exit %d, stderr %q", cmd, code, errOut.String())
		}
		for i, line := range strings.Split(out.String(), "\n") {
			if n := utf8.RuneCountInString(line); n > helpWidth || strings.Contains(line, "\t") {
				t.Errorf("demo %s -h, line %d: %d columns or a tab: %q", cmd, i+1, n, line)
			}
		}
		if cmd != "" && (about[cmd] == "" || !strings.Contains(out.String(), "\nExample:\n  demo "+cmd)) {
			t.Errorf("demo %s -h has no description with an example", cmd)
		}
	}
}
