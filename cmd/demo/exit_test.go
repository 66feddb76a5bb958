package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodes: 0 accepted or done, 1 refused, 2 a usage or configuration
// error, in every command; -json answers on stdout either way.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	rootFile := filepath.Join(dir, "root.hex")
	os.WriteFile(rootFile, []byte("6a7774726f74207465737473637269707420726f6f742c203332206279746573\n"), 0o600)
	tokFile := filepath.Join(dir, "tok.txt")
	at := "-at=2026-11-22T10:42:00Z"
	var out, errb bytes.Buffer
	if code := run([]string{"sign", "-root-file", rootFile, at}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("sign: %d %s", code, errb.String())
	}
	tok := strings.TrimSpace(out.String())
	os.WriteFile(tokFile, []byte(tok+"\n"), 0o600)
	for _, tt := range []struct {
		name  string
		args  []string
		stdin string
		code  int
	}{
		{"root", []string{"root"}, "", 0},
		{"windows", []string{"windows", at}, "", 0},
		{"sign, no root", []string{"sign"}, "", 2},
		{"sign, bad window", []string{"sign", "-root-file", rootFile, "-window", "10"}, "", 2},
		{"sign, refused claims", []string{"sign", "-root-file", rootFile, at, "-claims", `{"exp":1}`}, "", 1},
		{"verify, accepted", []string{"verify", "-root-file", rootFile, at}, tok, 0},
		{"verify, refused", []string{"verify", "-root-file", rootFile, "-at=2026-11-22T12:00:00Z"}, tok, 1},
		{"verify, no root", []string{"verify"}, tok, 2},
		{"verify, bearer prefix", []string{"verify", "-root-file", rootFile, at}, "Bearer " + tok, 2},
		{"verify, quoted", []string{"verify", "-root-file", rootFile, at}, `"` + tok + `"`, 2},
		{"verify, two lines", []string{"verify", "-root-file", rootFile, at}, tok + "\n" + tok, 2},
		{"verify, a file name as the token", []string{"verify", "-root-file", rootFile, at, tokFile}, "", 2},
		{"fleet, bad flag", []string{"fleet", "-instances", "0"}, "", 2},
		{"unknown command", []string{"frobnicate"}, "", 2},
		{"a token as the command", []string{tok}, "", 2},
		{"help", []string{"-h"}, "", 0},
		{"root -h", []string{"root", "-h"}, "", 0},
	} {
		var out, errb bytes.Buffer
		code := run(tt.args, strings.NewReader(tt.stdin), &out, &errb)
		if code != tt.code {
			t.Errorf("%s: exit %d; want %d (%s)", tt.name, code, tt.code, strings.TrimSpace(errb.String()))
		}
		all := out.String() + errb.String()
		if tt.name != "verify, accepted" && tt.name != "sign, refused claims" && strings.Contains(all, tok[:40]) {
			t.Errorf("%s: the output echoes the token", tt.name)
		}
		if tt.name == "root -h" && strings.Contains(all, "Flags:") {
			t.Errorf("root -h prints an empty Flags section")
		}
	}
	// -json: machine-readable either way, nothing else on stdout.
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"verify", "-json", "-root-file", rootFile, at}, 0},
		{[]string{"verify", "-json", "-root-file", rootFile, "-at=2026-11-22T12:00:00Z"}, 1},
		{[]string{"verify", "-json"}, 2},
		{[]string{"verify", "-json", "-nope"}, 2},
	} {
		var out, errb bytes.Buffer
		code := run(tt.args, strings.NewReader(tok), &out, &errb)
		var v map[string]any
		if code != tt.code || json.Unmarshal(out.Bytes(), &v) != nil || errb.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", tt.args, code, out.String(), errb.String())
		}
	}
}

// TestUsageFits: every command's usage lists its flags and fits 100 columns.
func TestUsageFits(t *testing.T) {
	for _, cmd := range []string{"root", "windows", "sign", "verify", "fleet"} {
		var out bytes.Buffer
		run([]string{cmd, "-h"}, strings.NewReader(""), &out, &out)
		for _, line := range strings.Split(out.String(), "\n") {
			if len([]rune(line)) > 100 {
				t.Errorf("%s -h: a line of %d columns: %q", cmd, len([]rune(line)), line)
			}
		}
		usage, _, _ := strings.Cut(out.String(), "\nFlags:")
		for _, line := range strings.Split(out.String(), "\n") {
			if f, ok := strings.CutPrefix(strings.TrimSpace(line), "-"); ok {
				name, _, _ := strings.Cut(f, " ")
				if !strings.Contains(usage, "-"+name) {
					t.Errorf("%s: usage line lacks -%s", cmd, name)
				}
			}
		}
	}
}

// TestOneDefault: each flag's help shows its default once.
func TestOneDefault(t *testing.T) {
	for _, cmd := range []string{"windows", "sign", "verify", "fleet"} {
		var out bytes.Buffer
		run([]string{cmd, "-h"}, strings.NewReader(""), &out, &out)
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Count(line, "(default") > 1 {
				t.Errorf("%s -h: %q", cmd, line)
			}
		}
	}
}
