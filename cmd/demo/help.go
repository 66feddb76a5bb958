package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// helpWidth is the widest line a help text has.
const helpWidth = 80

// about says what each command does, with an example; "demo COMMAND -h"
// prints it between the usage line and the flags.
var about = map[string]string{
	"root": `Prints a new random 32-byte root, hex, on standard output: the secret every
issuer of a fleet shares. Store it in a secret store or a file only its
service reads; never in a repository.

Example:
  demo root > root.hex
  demo sign -root-file root.hex`,

	"windows": `Lists the key windows around an instant: each window's index, start, end
and the kid its tokens carry. The current window is marked *. Windows start
at multiples of the window length since the Unix epoch.

Example:
  demo windows -window 10m -at 2026-11-22T10:42:00Z -n 3`,

	"sign": `Signs a token with the current window's key of the first root and prints
it. Claims it lacks are added: iat, exp (iat + -ttl), a random jti, and iss
and aud when given. Exit status 1 if the claims cannot be signed.

Example:
  demo sign -root-file root.hex -claims '{"sub":"alice"}' > token.txt
  demo sign -alg EdDSA -root-file root.hex -window 10m > token.txt`,

	"verify": `Verifies a token (an argument, or standard input) with the root, or with an
issuer's public keys only (-jwks, a file or an http(s) URL), and prints its
window and claims: exit status 0 accepted, 1 refused (the reason on
stderr), 2 a usage error. A token of the previous window is printed
re-signed, as a server would hand it back.

Example:
  demo verify -root-file root.hex -window 10m < token.txt
  demo verify -jwks jwks.json -window 10m -json < token.txt`,

	"jwks": `Prints the JWKS document (RFC 7517) of an EdDSA root's public window keys:
the previous, current and next windows, or up to -ahead. Verifiers that hold
no secret read it ('demo verify -jwks', or any JWKS client). It holds
nothing secret; the keys are always EdDSA.

Example:
  demo jwks -root-file root.hex -window 10m -ahead 24h > jwks.json`,

	"fleet": `Starts instances of the HTTP middleware on 127.0.0.1 with a fresh random
root, clocks spread across the skew, and walks a client's session across
them on the real clock, swapping in each re-signed token. Exit status 1 if
the fleet refuses the session. -alg EdDSA: one issuer holds the root and the
verifiers only its JWKS URL.

Example:
  demo fleet -instances 3 -window 2s -duration 10s
  demo fleet -metrics -duration 5s`,
}

// printHelp writes the command's help: usage, what it does, its flags,
// every line at most helpWidth columns.
func (f *flags) printHelp(out io.Writer) {
	name := f.fs.Name()
	fmt.Fprintln(out, strings.TrimSpace("usage: demo "+name+" "+f.synopsis))
	if text := about[name]; text != "" {
		fmt.Fprintf(out, "\n%s\n", text)
	}
	n := 0
	f.fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(out, "\nFlags:")
	f.fs.VisitAll(func(fl *flag.Flag) {
		arg, usage := flag.UnquoteUsage(fl)
		line := "  -" + fl.Name
		if arg != "" {
			line += " " + arg
		}
		fmt.Fprintln(out, line)
		if fl.DefValue != "" && fl.DefValue != "false" && !strings.Contains(usage, "(default") {
			usage += " (default " + fl.DefValue + ")"
		}
		for _, l := range wrap(usage, helpWidth-8) {
			fmt.Fprintln(out, "        "+l)
		}
	})
}

// wrap breaks s into lines of at most width columns, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(w)) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
