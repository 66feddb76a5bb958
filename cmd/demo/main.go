// Command demo shows how jwtrot's windows work and gives operators the
// everyday tools.
//
// Usage:
//
//	demo                     a walkthrough on a simulated clock
//	demo root                print a new random root, hex
//	demo windows             the window schedule around an instant
//	demo sign                sign a token
//	demo jwks                print the JWKS of an EdDSA root's public keys
//	demo verify              verify a token, as of now or -at an instant
//	demo fleet               instances of the HTTP middleware on loopback
//	demo keyring             make and edit a keyring: a rotation is one edit
//	demo serve               one HTTP instance over a keyring file
//
// Run "demo COMMAND -h" for what a command does, an example, and its flags. Flags mean the same in every
// command and default to the library's defaults.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// env is what a command runs with.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// errUsage marks an error whose message the flag package already printed.
var errUsage = errors.New("usage")

const usage = `usage: demo [COMMAND] [FLAGS]

With no command, a walkthrough of jwtrot's windows on a simulated clock.
Exit status: 0 accepted or done, 1 refused, 2 a usage or configuration
error, in every command.

Commands:
  root      print a new random 32-byte root, hex, for a secret store
  windows   the window schedule around an instant
  sign      sign a token (-alg EdDSA: Ed25519, for verifiers without a secret)
  jwks      the JWKS document of an EdDSA root's public keys, for such verifiers
  verify    verify a token (exit 0 accepted, 1 refused); -jwks: public keys only
  fleet     instances of the HTTP middleware on 127.0.0.1, on the real clock
  keyring   make a keyring, add, retire or revoke a root, show the schedule
  serve     one HTTP instance over a keyring file, following its edits

Run "demo COMMAND -h" for what a command does, an example, and its flags.
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	cmd, rest := "", args
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "":
		err = e.walkthrough()
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "root":
		err = e.root(rest)
	case "windows":
		err = e.windows(rest)
	case "sign":
		err = e.sign(rest)
	case "jwks":
		err = e.jwks(rest)
	case "verify":
		return e.verify(rest)
	case "fleet":
		err = e.fleet(rest)
	case "keyring":
		err = e.keyring(rest)
	case "serve":
		err = e.serve(rest)
	default:
		if looksLikeToken(cmd) {
			fmt.Fprintln(stderr, "demo: that looks like a token (not shown); to check one: demo verify -root-file FILE [-window D] < token.txt")
			return 2
		}
		fmt.Fprintf(stderr, "demo: unknown command %s (see 'demo -h')\n", echoable(cmd))
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintln(stderr, "demo:", err)
	var r refusal
	if errors.As(err, &r) {
		return 1
	}
	return 2 // a usage or configuration error
}

// A refusal is an error that means "no" (a token refused, claims Sign will
// not sign, a fleet that refused a session): exit status 1. Every other
// error is a usage or configuration error: exit status 2.
type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }
func (r refusal) Unwrap() error { return r.err }

// flags are the flags shared by the commands; each command registers the
// ones it uses, so they mean the same everywhere.
type flags struct {
	fs       *flag.FlagSet
	env      *env
	synopsis string
	roots    []rootSource // in the order given: the first issues
	rootID   string
	window   time.Duration
	purpose  string
	alg      string
	skew     time.Duration
	at       string
	ttl      time.Duration
	iss, aud string
	jwks     string // verify -jwks: a file or URL of public keys
}

func newFlags(e *env, name, synopsis string) *flags {
	f := &flags{fs: flag.NewFlagSet(name, flag.ContinueOnError), env: e, synopsis: synopsis}
	f.fs.SetOutput(io.Discard) // parse reports errors itself, in one line
	f.fs.Usage = func() {}
	return f
}

// A rootSource is one -root-file or -root-env flag: [ID=]FILE or [ID=]NAME.
type rootSource struct {
	id, from string
	env      bool
}

func (f *flags) rootFlags() {
	add := func(env bool) func(string) error {
		return func(v string) error {
			id, from, named := strings.Cut(v, "=")
			if !named {
				id, from = "", v
			}
			if from == "" {
				return errors.New("empty")
			}
			f.roots = append(f.roots, rootSource{id: id, from: from, env: env})
			return nil
		}
	}
	f.fs.Func("root-file", "read a root from `[ID=]FILE` (hex or base64); repeat for several roots, the first issues", add(false))
	f.fs.Func("root-env", "read a root from the environment variable `[ID=]NAME`; repeatable like -root-file", add(true))
	f.fs.StringVar(&f.rootID, "root-id", "main", "the `id` of a single root given without ID=, named in every kid")
}

func (f *flags) scheduleFlags() {
	f.window = 10 * time.Minute // the library's default
	f.fs.Var(durationFlag{&f.window, false}, "window", "window `length` with a unit, whole seconds")
	f.fs.StringVar(&f.at, "at", "", "act as of this `instant` (RFC 3339) instead of now")
}

func (f *flags) purposeFlag() {
	f.fs.StringVar(&f.purpose, "purpose", rotation.DefaultPurpose, "purpose `label`: independent keys per purpose")
}

// keyFlags are the flags of signing and verifying: the purpose, the
// algorithm, the skew, and the iss and aud claims.
func (f *flags) keyFlags() {
	f.purposeFlag()
	f.fs.StringVar(&f.alg, "alg", "HS256", "`algorithm`: HS256, HS384, HS512, or EdDSA (Ed25519, for -jwks verifiers)")
	f.skew = -1
	f.fs.Var(durationFlag{&f.skew, false}, "skew", "allowed clock `skew` with a unit (default min(30s, window/4))")
	f.fs.StringVar(&f.iss, "iss", "", "`issuer`: set when signing, required when verifying")
	f.fs.StringVar(&f.aud, "aud", "", "`audience`: set when signing, required when verifying")
}

// parse parses args, allowing at most maxArgs positional arguments.
func (f *flags) parse(args []string, maxArgs int) error {
	name := f.fs.Name()
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			f.printHelp(f.env.stdout)
			return err
		}
		fmt.Fprintf(f.env.stderr, "demo %s: %v (see 'demo %s -h')\n", name, err, name)
		return errUsage
	}
	if f.fs.NArg() > maxArgs {
		// Not echoed: it might be a token or a secret.
		fmt.Fprintf(f.env.stderr, "demo %s: %d unexpected arguments (see 'demo %s -h')\n", name, f.fs.NArg()-maxArgs, name)
		return errUsage
	}
	return nil
}

// clock returns a clock fixed at -at, or the real clock.
func (f *flags) clock() (rotation.Clock, error) {
	if f.at == "" {
		return rotation.SystemClock, nil
	}
	t, err := time.Parse(time.RFC3339Nano, f.at)
	if err != nil {
		return nil, fmt.Errorf("-at %q is not an RFC 3339 instant such as 2026-11-22T10:42:00Z", clip(f.at))
	}
	m := clock.NewMock()
	m.Set(t)
	return m, nil
}

// loadRoots loads the roots in the order given: the first issues, all
// verify. Errors name the flag, never its value (it may be a secret typed
// in the wrong place).
func (f *flags) loadRoots() ([]*rotation.Root, error) {
	if len(f.roots) == 0 {
		return nil, errors.New("no root: give -root-file FILE or -root-env NAME (make one with 'demo root')")
	}
	var roots []*rotation.Root
	for i, src := range f.roots {
		id := src.id
		if id == "" {
			if len(f.roots) > 1 {
				return nil, fmt.Errorf("root %d has no id: with several roots, name each one, as -root-file new=FILE -root-file old=FILE", i+1)
			}
			id = f.rootID
		}
		flagName := "-root-file"
		load := rotation.RootFromFile
		if src.env {
			flagName, load = "-root-env", rotation.RootFromEnv
		}
		r, err := load(id, src.from)
		if err != nil {
			return nil, fmt.Errorf("%s (root %d): %w", flagName, i+1, err)
		}
		roots = append(roots, r)
	}
	return roots, nil
}

// A durationFlag is a time.Duration flag whose errors say what is wrong
// ("10" has no unit) rather than "parse error", and that refuses negative
// values unless negative is allowed.
type durationFlag struct {
	d        *time.Duration
	negative bool
}

func (v durationFlag) String() string {
	if v.d == nil || *v.d < 0 {
		return ""
	}
	return v.d.String()
}

func (v durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			return errors.New("needs a unit, such as 10m or 30s")
		}
		return errors.New("is not a duration such as 10m or 30s")
	}
	if d < 0 && !v.negative {
		return errors.New("is negative")
	}
	*v.d = d
	return nil
}

// looksLikeToken reports whether s could be a JWT: three base64url parts, a
// "Bearer " prefix, or the start of a JWS header.
func looksLikeToken(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "eyJ") || strings.HasPrefix(strings.ToLower(s), "bearer ") ||
		strings.HasPrefix(strings.ToLower(s), "authorization:") || strings.Count(s, ".") == 2 && len(s) > 40
}

// authority builds the Deriver and Authority the flags describe.
func (f *flags) authority(extra ...jwtrot.Option) (*jwtrot.Authority, error) {
	roots, err := f.loadRoots()
	if err != nil {
		return nil, err
	}
	clk, err := f.clock()
	if err != nil {
		return nil, err
	}
	alg, err := rotation.ParseAlgorithm(f.alg)
	if err != nil {
		return nil, err
	}
	opts := []rotation.Option{rotation.WithWindow(f.window), rotation.WithPurpose(f.purpose), rotation.WithAlgorithm(alg), rotation.WithClock(clk)}
	if f.skew >= 0 {
		opts = append(opts, rotation.WithSkew(f.skew))
	}
	d, err := rotation.NewDeriver(roots, opts...)
	if err != nil {
		return nil, err
	}
	if f.iss != "" {
		extra = append(extra, jwtrot.WithIssuer(f.iss))
	}
	if f.aud != "" {
		extra = append(extra, jwtrot.WithAudience(f.aud))
	}
	return jwtrot.New(d, extra...)
}

// echoable returns a word quoted for an error message if it looks like a
// mistyped command, and a placeholder otherwise: a token or a secret pasted
// in the wrong place is never echoed.
func echoable(s string) string {
	if len(s) > 20 {
		return "(a long argument)"
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
			return "(an argument)"
		}
	}
	return strconv.Quote(s)
}

// clip shortens user input before it is echoed in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
