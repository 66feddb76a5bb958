// Command testsummary reads `go test -json` on stdin and prints what go test
// prints without -v (each package's result line, the output of the tests
// that failed, and what a package's TestMain printed), then a summary of
// every test that skipped, with its reason: without -v, go test shows no
// skip at all, so a suite that skipped for want of a tool (node, python3,
// redis-server, ...) would pass unnoticed.
//
//	go test -json ./... | testsummary
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

type skip struct{ pkg, test, reason string }

func main() {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	buffered := map[string][]string{} // package + " " + test -> output lines
	var skips []skip
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	for in.Scan() {
		line := in.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(out, "%s\n", line) // not an event: say it as it came
			continue
		}
		key := e.Package + " " + e.Test
		switch {
		case e.Action == "output" && e.Test == "":
			// The package's own lines: TestMain's, the result line, build
			// errors. "PASS" alone is what -v adds.
			if e.Output != "PASS\n" {
				out.WriteString(e.Output)
			}
		case e.Action == "output":
			if !strings.HasPrefix(e.Output, "=== ") {
				buffered[key] = append(buffered[key], e.Output)
			}
		case e.Action == "build-output":
			out.WriteString(e.Output)
		case e.Action == "fail" && e.Test != "":
			for _, l := range buffered[key] {
				out.WriteString(l)
			}
			delete(buffered, key)
		case e.Action == "skip" && e.Test != "":
			skips = append(skips, skip{e.Package, e.Test, reason(buffered[key])})
			delete(buffered, key)
		case e.Action == "pass":
			delete(buffered, key)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(out, "testsummary:", err)
		out.Flush()
		os.Exit(1)
	}
	if len(skips) == 0 {
		fmt.Fprintln(out, "skipped: none")
		return
	}
	fmt.Fprintf(out, "skipped: %d tests\n", len(skips))
	for _, s := range skips {
		fmt.Fprintf(out, "  SKIP %s %s: %s\n", s.pkg, s.test, s.reason)
	}
}

// reason returns a skipped test's message: its last line of output other
// than the "--- SKIP" line, without the file:line prefix.
func reason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		if _, msg, ok := strings.Cut(l, ": "); ok && strings.Contains(l[:len(l)-len(msg)], ".go:") {
			return msg
		}
		return l
	}
	return "(no reason given)"
}
