// Package rootcmd is what the commands that put a jwtrot root into a
// security module share (jwtrot-pkcs11 in extra/jwtrotpkcs11, jwtrot-awskms
// in extra/jwtrotawskms): the shape of their command line, "TOOL COMMAND
// -flags", with [Run], and the root file they read, with [RootFile].
// Nothing here prints a secret: a root is shown by its fingerprint only.
package rootcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/jwtrot/jwtrot/rotation"
)

// ErrUnknownCommand is what a command's function returns for a command it
// does not have; [Run] then prints the usage.
var ErrUnknownCommand = errors.New("unknown command")

// Run runs the command args[0] of the tool name: it declares the flags
// with declare, parses the rest of args, and calls do with the command. It
// returns the exit code: 0 for a request of help ("-h", "-help", "--help"
// or "help" as the command, or -h after one: the usage or the command's
// flags go to stderr, as the flag package does), 2 for a command line it
// cannot parse or a command do does not have (the usage goes to stderr), 1
// when do fails (its error goes to stderr, after the tool's and command's
// names), else 0.
func Run(name, usage string, args []string, stderr io.Writer, declare func(*flag.FlagSet), do func(cmd string) error) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd := args[0]
	switch cmd {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, usage)
		return 0
	}
	fs := flag.NewFlagSet(name+" "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	declare(fs)
	if err := fs.Parse(args[1:]); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "%s %s: unexpected argument %q\n%s", name, cmd, fs.Arg(0), usage)
		return 2
	}
	err := do(cmd)
	if errors.Is(err, ErrUnknownCommand) {
		fmt.Fprintf(stderr, "%s %s: unknown command %q\n%s", name, cmd, cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s %s: %v\n", name, cmd, err)
		return 1
	}
	return 0
}

// RootFile is a root file given on the command line: -root-file and
// -root-id.
type RootFile struct {
	// Path is the file's path, "" when none was given.
	Path string
	// ID is the root's id, "main" by default.
	ID string
}

// Declare declares -root-file and -root-id on fs.
func (r *RootFile) Declare(fs *flag.FlagSet) {
	fs.StringVar(&r.Path, "root-file", "", "root file, in any encoding rotation.ParseRoot reads (import, fingerprint)")
	fs.StringVar(&r.ID, "root-id", "main", "root id, for reading the root file")
}

// Load reads the root; cmd names the command that needs it, for the error
// when no -root-file was given.
func (r *RootFile) Load(cmd string) (*rotation.Root, error) {
	if r.Path == "" {
		return nil, fmt.Errorf("%s needs -root-file", cmd)
	}
	return rotation.RootFromFile(r.ID, r.Path)
}

// PrintFingerprint reads the root and prints its fingerprint.
func (r *RootFile) PrintFingerprint(ctx context.Context, w io.Writer) error {
	root, err := r.Load("fingerprint")
	if err != nil {
		return err
	}
	fp, err := root.Fingerprint(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "fingerprint:", fp)
	return nil
}

// PrintImported prints, after an import of root into holder (the token,
// KMS), the root file's fingerprint with what was checked of it (that the
// module's is equal, or that it must be), and that every other copy of the
// root must now go.
func (r *RootFile) PrintImported(ctx context.Context, w io.Writer, root *rotation.Root, checked, holder string) {
	fp, _ := root.Fingerprint(ctx)
	fmt.Fprintf(w, "root file fingerprint: %s (%s)\n", fp, checked)
	fmt.Fprintf(w, "now destroy every other copy of the root (%s, secret-store versions, backups): until then %s protects nothing\n", r.Path, holder)
}
