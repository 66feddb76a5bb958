// Command jwtrot-pkcs11 puts a jwtrot root into a PKCS#11 token (an HSM, a
// cloud KMS's PKCS#11 library, SoftHSM2) and checks it.
//
//	jwtrot-pkcs11 generate    -library LIB -token LABEL -key LABEL -pin-file FILE
//	jwtrot-pkcs11 import      -library LIB -token LABEL -key LABEL -pin-file FILE -root-file FILE [-root-id ID]
//	jwtrot-pkcs11 fingerprint -library LIB -token LABEL -key LABEL -pin-file FILE
//	jwtrot-pkcs11 fingerprint -root-file FILE
//
// generate creates a random PRK inside the token, sensitive and never
// extractable: a root that never exists outside it. import stores the PRK of
// an existing root file, so that tokens issued under it keep verifying;
// destroy every other copy of the root afterwards. fingerprint prints the
// root's public fingerprint (SPEC.md, "Roots held as a PRK"), the same for a
// root file and for the module it was imported into. The PIN comes from a
// file (-pin-file) or an environment variable (-pin-env), never from a flag
// value, so it never shows in ps. See the package documentation of
// github.com/jwtrot/jwtrot/extra/jwtrotpkcs11 for the steps.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/jwtrot/jwtrot/extra/jwtrotpkcs11"
	"github.com/jwtrot/jwtrot/rotation"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage:
  jwtrot-pkcs11 generate    -library LIB -token LABEL -key LABEL (-pin-file FILE | -pin-env VAR)
  jwtrot-pkcs11 import      -library LIB -token LABEL -key LABEL (-pin-file FILE | -pin-env VAR) -root-file FILE [-root-id ID]
  jwtrot-pkcs11 fingerprint -library LIB -token LABEL -key LABEL (-pin-file FILE | -pin-env VAR)
  jwtrot-pkcs11 fingerprint -root-file FILE
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd := args[0]
	fs := flag.NewFlagSet("jwtrot-pkcs11 "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg jwtrotpkcs11.Config
	fs.StringVar(&cfg.Library, "library", "", "path of the PKCS#11 library (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)")
	fs.StringVar(&cfg.Token, "token", "", "label of the token")
	fs.StringVar(&cfg.Key, "key", "", "label of the key object holding the root's PRK")
	fs.StringVar(&cfg.PINFile, "pin-file", "", "file holding the user PIN")
	fs.StringVar(&cfg.PINEnv, "pin-env", "", "environment variable holding the user PIN")
	rootFile := fs.String("root-file", "", "root file, in any encoding rotation.ParseRoot reads (import, fingerprint)")
	rootID := fs.String("root-id", "main", "root id, for reading the root file")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "jwtrot-pkcs11 %s: unexpected argument %q\n%s", cmd, fs.Arg(0), usage)
		return 2
	}
	err := func() error {
		switch cmd {
		case "generate":
			if err := jwtrotpkcs11.Generate(cfg); err != nil {
				return err
			}
			return printModuleFingerprint(stdout, cfg, "generated a new root inside the token")
		case "import":
			if *rootFile == "" {
				return errors.New("import needs -root-file")
			}
			root, err := rotation.RootFromFile(*rootID, *rootFile)
			if err != nil {
				return err
			}
			if err := jwtrotpkcs11.Import(cfg, root); err != nil {
				return err
			}
			want, _ := root.Fingerprint(context.Background())
			if err := printModuleFingerprint(stdout, cfg, "imported the root's PRK"); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "root file fingerprint: %s (must be equal)\n", want)
			fmt.Fprintf(stdout, "now destroy every other copy of the root (%s, secret-store versions, backups): until then the token protects nothing\n", *rootFile)
			return nil
		case "fingerprint":
			if *rootFile != "" {
				root, err := rotation.RootFromFile(*rootID, *rootFile)
				if err != nil {
					return err
				}
				fp, _ := root.Fingerprint(context.Background())
				fmt.Fprintln(stdout, "fingerprint:", fp)
				return nil
			}
			return printModuleFingerprint(stdout, cfg, "")
		}
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}()
	if err != nil {
		fmt.Fprintf(stderr, "jwtrot-pkcs11 %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func printModuleFingerprint(w io.Writer, cfg jwtrotpkcs11.Config, what string) error {
	m, err := jwtrotpkcs11.Open(cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	root, err := rotation.NewExternalRoot("main", m)
	if err != nil {
		return err
	}
	fp, err := root.Fingerprint(context.Background())
	if err != nil {
		return err
	}
	if what != "" {
		fmt.Fprintf(w, "%s: token %q, key %q\n", what, cfg.Token, cfg.Key)
	}
	fmt.Fprintln(w, "fingerprint:", fp)
	return nil
}
