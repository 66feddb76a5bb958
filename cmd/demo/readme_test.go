package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The README's samples of this program, checked against what it prints, so
// they cannot drift: the walkthrough (a block that starts "jwtrot
// walkthrough:"), usage text (a block that starts "usage: demo"), and every
// `go run ./cmd/demo ...` line of a sh or console block, run in order, with
// the lines a console block shows after a "$ " command as its output.

// readmeBlock is a fenced block of README.md.
type readmeBlock struct {
	line  int    // of the opening fence, 1-based
	lang  string // the info string: "", "sh", "console", "go", ...
	lines []string
}

func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	var cur *readmeBlock
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "```") {
			if cur == nil {
				cur = &readmeBlock{line: i + 1, lang: strings.TrimSpace(strings.TrimPrefix(l, "```"))}
			} else {
				blocks = append(blocks, *cur)
				cur = nil
			}
			continue
		}
		if cur != nil {
			cur.lines = append(cur.lines, l)
		}
	}
	if cur != nil {
		t.Fatalf("README.md:%d: unterminated code block", cur.line)
	}
	return blocks
}

// runDemo runs the program in dir with args, stdin from the file in (when
// not empty), and returns what it wrote to stdout and stderr, and its status.
func runDemo(t *testing.T, dir string, args []string, in string) (stdout, stderr string, code int) {
	t.Helper()
	var stdin bytes.Reader
	if in != "" {
		data, err := os.ReadFile(filepath.Join(dir, in))
		if err != nil {
			t.Fatal(err)
		}
		stdin.Reset(data)
	}
	var o, e bytes.Buffer
	code = run(args, &stdin, &o, &e)
	return o.String(), e.String(), code
}

func TestREADMEWalkthrough(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	found := false
	for _, b := range readmeBlocks(t) {
		if len(b.lines) == 0 || !strings.HasPrefix(b.lines[0], "jwtrot walkthrough:") {
			continue
		}
		found = true
		out, errOut, code := runDemo(t, t.TempDir(), nil, "")
		if code != 0 || errOut != "" {
			t.Fatalf("the walkthrough: exit %d, stderr %q", code, errOut)
		}
		compareLines(t, b, b.lines, strings.Split(strings.TrimSuffix(out, "\n"), "\n"))
	}
	if !found {
		t.Fatal(`README.md has no walkthrough sample (a code block starting "jwtrot walkthrough:")`)
	}
}

func TestREADMEUsage(t *testing.T) {
	blocks := readmeBlocks(t)
	found := false
	for _, b := range blocks {
		if len(b.lines) == 0 || !strings.HasPrefix(b.lines[0], "usage: demo") {
			continue
		}
		found = true
		// "usage: demo [COMMAND]..." is the program's; "usage: demo sign ..." a command's.
		args := []string{"-h"}
		if f := strings.Fields(b.lines[0]); len(f) > 2 && !strings.HasPrefix(f[2], "[") && !strings.HasPrefix(f[2], "(") {
			args = []string{f[2], "-h"}
		}
		out, errOut, code := runDemo(t, t.TempDir(), args, "")
		if code != 0 && code != 2 {
			t.Fatalf("demo %s: exit %d", strings.Join(args, " "), code)
		}
		compareLines(t, b, b.lines, strings.Split(strings.TrimSuffix(out+errOut, "\n"), "\n"))
	}
	if !found {
		t.Fatal(`README.md has no usage sample (a code block starting "usage: demo")`)
	}

	// Every command the program lists is named in the README.
	out, _, _ := runDemo(t, t.TempDir(), []string{"-h"}, "")
	_, list, ok := strings.Cut(out, "Commands:\n")
	if !ok {
		t.Fatalf("demo -h lists no commands:\n%s", out)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(list, "\n") {
		if !strings.HasPrefix(l, "  ") {
			break
		}
		name := strings.Fields(l)[0]
		n++
		if !bytes.Contains(readme, []byte("`"+name+"`")) && !bytes.Contains(readme, []byte("./cmd/demo "+name+" ")) {
			t.Errorf("README.md does not mention the command %s", name)
		}
	}
	if n == 0 {
		t.Fatal("demo -h lists no commands")
	}
}

// The README's commands run in a directory holding what they read:
// jwt-root (for /run/secrets/jwt-root) and token.txt, alice's token signed at
// 10:42 on 2026-11-22 (the instant the samples' claims show).
func readmeFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	root := "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n" // a fixed test root
	if err := os.WriteFile(filepath.Join(dir, "jwt-root"), []byte(root), 0o600); err != nil {
		t.Fatal(err)
	}
	tok, errOut, code := runDemo(t, dir, []string{"sign", "-root-file", filepath.Join(dir, "jwt-root"), "-window", "10m",
		"-at", "2026-11-22T10:42:00Z", "-claims", `{"sub":"alice","jti":"t1"}`}, "")
	if code != 0 {
		t.Fatalf("signing the fixture token: exit %d: %s", code, errOut)
	}
	if err := os.WriteFile(filepath.Join(dir, "token.txt"), []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestREADMECommands(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	ran := 0
	for _, b := range readmeBlocks(t) {
		if b.lang != "sh" && b.lang != "console" {
			continue
		}
		dir := readmeFixture(t)
		t.Chdir(dir) // the commands name files relative to where they run
		for i := 0; i < len(b.lines); i++ {
			l := b.lines[i]
			if b.lang == "console" {
				if !strings.HasPrefix(l, "$ ") {
					continue
				}
				l = strings.TrimPrefix(l, "$ ")
			}
			if !strings.HasPrefix(l, "go run ./cmd/demo") {
				continue
			}
			args, in, outFile := parseCommand(t, b, i, l, dir)
			var want []string
			if b.lang == "console" {
				for i+1 < len(b.lines) && !strings.HasPrefix(b.lines[i+1], "$ ") {
					i++
					want = append(want, b.lines[i])
				}
			}
			stdout, stderr, code := runDemo(t, dir, args, in)
			ran++
			refused := len(want) > 0 && strings.HasPrefix(want[len(want)-1], "refused")
			if wantCode := map[bool]int{false: 0, true: 1}[refused]; code != wantCode {
				t.Errorf("README.md:%d: %s: exit %d, want %d; stderr: %s", b.line+1+i, l, code, wantCode, stderr)
				continue
			}
			if outFile != "" {
				if err := os.WriteFile(filepath.Join(dir, outFile), []byte(stdout), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if b.lang == "console" {
				got := strings.Split(strings.TrimSuffix(stdout+stderr, "\n"), "\n")
				compareLines(t, readmeBlock{line: b.line + 1 + i - len(want), lang: b.lang}, want, got)
			}
		}
	}
	if ran == 0 {
		t.Fatal("README.md has no `go run ./cmd/demo` command in a sh or console block")
	}
}

// parseCommand splits a README command line the way sh would for the few
// forms the README uses: words, "quoted words", "$(cat FILE)", "< FILE",
// "> FILE" and a trailing "# comment". Anything else fails the test, so a
// new form is either supported here or kept out of the checked blocks.
func parseCommand(t *testing.T, b readmeBlock, i int, l, dir string) (args []string, in, out string) {
	t.Helper()
	where := func() string { return "README.md:" + strconv.Itoa(b.line+1+i) }
	if strings.ContainsAny(l, "|&;`") {
		t.Fatalf("%s: %q: pipes, &&, ; and backquotes are not supported here", where(), l)
	}
	var words []string
	for rest := strings.TrimSpace(l); rest != ""; rest = strings.TrimSpace(rest) {
		var w string
		switch {
		case rest[0] == '#':
			rest = ""
			continue
		case rest[0] == '"':
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				t.Fatalf("%s: unterminated quote", where())
			}
			w, rest = rest[1:1+end], rest[2+end:]
			if f, ok := strings.CutPrefix(w, "$(cat "); ok && strings.HasSuffix(f, ")") {
				data, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(f, ")")))
				if err != nil {
					t.Fatalf("%s: %v", where(), err)
				}
				w = strings.TrimRight(string(data), "\n")
			} else if strings.ContainsAny(w, "$\\") {
				t.Fatalf("%s: %q: only \"$(cat FILE)\" is expanded", where(), w)
			}
		case rest[0] == '\'':
			end := strings.IndexByte(rest[1:], '\'')
			if end < 0 {
				t.Fatalf("%s: unterminated quote", where())
			}
			w, rest = rest[1:1+end], rest[2+end:]
		default:
			end := strings.IndexAny(rest, " \t")
			if end < 0 {
				end = len(rest)
			}
			w, rest = rest[:end], rest[end:]
			if strings.ContainsAny(w, "$*?\"'") {
				t.Fatalf("%s: %q: unsupported shell syntax", where(), w)
			}
		}
		words = append(words, w)
	}
	if len(words) < 3 || words[0] != "go" || words[1] != "run" || words[2] != "./cmd/demo" {
		t.Fatalf("%s: %q is not `go run ./cmd/demo ...`", where(), l)
	}
	for k := 3; k < len(words); k++ {
		switch w := words[k]; {
		case (w == "<" || w == ">") && k+1 < len(words):
			if w == "<" {
				in = words[k+1]
			} else {
				out = words[k+1]
			}
			k++
		case strings.HasPrefix(w, "/run/secrets/"):
			// A secret store's path in the README; the fixture's file here.
			args = append(args, filepath.Join(dir, filepath.Base(w)))
		default:
			args = append(args, w)
		}
	}
	return args, in, out
}

// compareLines fails the test with the first difference between a README
// block's lines and the program's. A README line that ends in "..." stands
// for every line that starts with what precedes it (a token, elided).
func compareLines(t *testing.T, b readmeBlock, want, got []string) {
	t.Helper()
	for k := 0; k < len(want) || k < len(got); k++ {
		var w, g string
		if k < len(want) {
			w = want[k]
		}
		if k < len(got) {
			g = got[k]
		}
		ok := w == g
		if p, elided := strings.CutSuffix(w, "..."); elided && k < len(got) {
			ok = strings.HasPrefix(g, p)
		}
		if !ok || k >= len(want) || k >= len(got) {
			t.Errorf("README.md:%d: the sample differs from what the program prints, at line %d:\nREADME:  %q\nprogram: %q\n(the program's whole output:)\n%s",
				b.line+1+k, k+1, w, g, strings.Join(got, "\n"))
			return
		}
	}
}
