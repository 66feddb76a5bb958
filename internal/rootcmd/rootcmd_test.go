package rootcmd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	const usage = "usage: tool cmd\n"
	var seen string
	declare := func(fs *flag.FlagSet) { fs.String("x", "", "") }
	do := func(cmd string) error {
		seen = cmd
		switch cmd {
		case "ok":
			return nil
		case "fail":
			return errors.New("it failed")
		}
		return ErrUnknownCommand
	}
	tests := []struct {
		args       []string
		code       int
		cmd, inErr string
	}{
		{nil, 2, "", "usage: tool cmd"},
		{[]string{"ok", "-x", "1"}, 0, "ok", ""},
		{[]string{"ok", "-y"}, 2, "", "-y"},
		{[]string{"ok", "extra"}, 2, "", `tool ok: unexpected argument "extra"`},
		{[]string{"fail"}, 1, "fail", "tool fail: it failed"},
		{[]string{"what"}, 2, "what", "tool what: unknown command \"what\"\nusage: tool cmd"},
		{[]string{"-h"}, 0, "", "usage: tool cmd"},
		{[]string{"--help"}, 0, "", "usage: tool cmd"},
		{[]string{"help"}, 0, "", "usage: tool cmd"},
		{[]string{"ok", "-h"}, 0, "", "Usage of tool ok"},
	}
	for _, tt := range tests {
		seen = ""
		var stderr bytes.Buffer
		if code := Run("tool", usage, tt.args, &stderr, declare, do); code != tt.code || seen != tt.cmd || !strings.Contains(stderr.String(), tt.inErr) {
			t.Errorf("Run(%q) = %d, ran %q, stderr %q; want %d, %q, containing %q", tt.args, code, seen, stderr.String(), tt.code, tt.cmd, tt.inErr)
		}
	}
}

func TestRootFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root")
	if err := os.WriteFile(path, []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	var rf RootFile
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	rf.Declare(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := rf.Load("import"); err == nil || err.Error() != "import needs -root-file" {
		t.Errorf("no -root-file: %v", err)
	}
	if err := fs.Parse([]string{"-root-file", path}); err != nil {
		t.Fatal(err)
	}
	root, err := rf.Load("import")
	if err != nil {
		t.Fatal(err)
	}
	if root.ID() != "main" {
		t.Errorf("root id %q, want the default main", root.ID())
	}
	fp, _ := root.Fingerprint(context.Background())
	var out bytes.Buffer
	if err := rf.PrintFingerprint(context.Background(), &out); err != nil || out.String() != "fingerprint: "+fp+"\n" {
		t.Errorf("PrintFingerprint: %q, %v", out.String(), err)
	}
	out.Reset()
	rf.PrintImported(context.Background(), &out, root, "must be equal", "the token")
	if got := out.String(); !strings.Contains(got, "root file fingerprint: "+fp+" (must be equal)") || !strings.Contains(got, "until then the token protects nothing") || strings.Contains(got, "0123456789abcdef") {
		t.Errorf("PrintImported: %q", got)
	}
}
