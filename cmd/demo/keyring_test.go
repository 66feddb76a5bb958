package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The keyring commands' and serve's help: a usage line naming every flag,
// an example, and nothing wider than 80 columns.
func TestKeyringUsage(t *testing.T) {
	for _, args := range [][]string{
		{"keyring", "-h"}, {"keyring", "new", "-h"}, {"keyring", "add", "-h"}, {"keyring", "retire", "-h"},
		{"keyring", "revoke", "-h"}, {"keyring", "schedule", "-h"}, {"serve", "-h"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, strings.NewReader(""), &out, &errb); code != 0 || errb.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
		text := out.String()
		if !strings.Contains(text, "\nExample:\n  demo ") {
			t.Errorf("%v: no example", args)
		}
		for _, line := range strings.Split(text, "\n") {
			// A tab after the flag's name is at most 8 columns.
			if n := len([]rune(strings.ReplaceAll(line, "\t", "        "))); n > 80 {
				t.Errorf("%v: a line of %d columns: %q", args, n, line)
			}
		}
		usage, flagsPart, _ := strings.Cut(text, "\nFlags:")
		for _, line := range strings.Split(flagsPart, "\n") {
			if f, ok := strings.CutPrefix(strings.TrimSpace(line), "-"); ok {
				name, _, _ := strings.Cut(f, " ")
				if !strings.Contains(usage, "-"+name) {
					t.Errorf("%v: the usage line lacks -%s", args, name)
				}
			}
		}
	}
}

// Every keyring command that fails exits 2 with one line, and no command
// prints a secret on stderr.
func TestKeyringErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.json")
	var out, errb bytes.Buffer
	if code := run([]string{"keyring", "new", "-at", "2026-12-01T00:00:00Z", "-o", path}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("keyring new: %d %s", code, errb.String())
	}
	doc, _, err := loadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	secret := doc.Roots[0].Secret
	if strings.Contains(out.String()+errb.String(), secret) {
		t.Fatal("keyring new -o printed the secret")
	}
	for _, args := range [][]string{
		{"keyring"},
		{"keyring", "add", "-keyring", path, "-at", "2026-12-01T00:00:00Z"},
		{"keyring", "add", "-keyring", path, "-id", "a"},
		{"keyring", "add", "-keyring", path, "-id", "not an id"},
		{"keyring", "retire", "-keyring", path, "-root", "a"},
		{"keyring", "retire", "-keyring", path},
		{"keyring", "revoke", "-keyring", path, "-root", "a"},
		{"keyring", "revoke", "-keyring", path, "-root", secret},
		{"keyring", "schedule", "-keyring", path, "-from", secret},
		{"keyring", "new", "-o", path},
		{"keyring", "new", "-id", secret},
		{"keyring", "new", "-iss", secret, "-purposes", ""},
		{"serve", "-keyring", filepath.Join(dir, "missing.json")},
		{"serve"},
	} {
		var out, errb bytes.Buffer
		code := run(args, strings.NewReader(""), &out, &errb)
		if code != 2 {
			t.Errorf("%v: exit %d; want 2 (%s)", args, code, errb.String())
		}
		if strings.Contains(errb.String(), secret) || strings.Contains(out.String(), secret) {
			t.Errorf("%v: the output shows the secret", args)
		}
		if msg := strings.TrimSpace(errb.String()); len(args) > 1 && (msg == "" || strings.Contains(msg, "\n")) {
			t.Errorf("%v: not one line on stderr: %q", args, msg)
		}
	}
	after, _ := os.ReadFile(path)
	if !strings.Contains(string(after), `"serial": 0`) {
		t.Error("a refused edit changed the file")
	}
}

// A ringFile and its roots hold secrets and never format them.
func TestRingFileRedacts(t *testing.T) {
	doc := ringFile{Serial: 3, Roots: []ringRoot{{ID: "a", Secret: "6a7774726f74207465737473637269707420726f6f742c203332206279746573"}}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for _, v := range []any{doc, &doc, doc.Roots[0], doc.Roots, &doc.Roots[0]} {
			if s := fmt.Sprintf(verb, v); strings.Contains(s, "6a777472") || strings.Contains(s, "366137") {
				t.Errorf("%s of %T shows the secret: %s", verb, v, s)
			}
		}
	}
}
