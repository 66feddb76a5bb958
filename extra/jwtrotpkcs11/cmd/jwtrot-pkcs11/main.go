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
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/jwtrot/jwtrot/extra/jwtrotpkcs11"
	"github.com/jwtrot/jwtrot/internal/rootcmd"
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
	var cfg jwtrotpkcs11.Config
	var rf rootcmd.RootFile
	declare := func(fs *flag.FlagSet) {
		fs.StringVar(&cfg.Library, "library", "", "path of the PKCS#11 library (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)")
		fs.StringVar(&cfg.Token, "token", "", "label of the token")
		fs.StringVar(&cfg.Key, "key", "", "label of the key object holding the root's PRK")
		fs.StringVar(&cfg.PINFile, "pin-file", "", "file holding the user PIN")
		fs.StringVar(&cfg.PINEnv, "pin-env", "", "environment variable holding the user PIN")
		rf.Declare(fs)
	}
	return rootcmd.Run("jwtrot-pkcs11", usage, args, stderr, declare, func(cmd string) error {
		ctx := context.Background()
		switch cmd {
		case "generate":
			if err := jwtrotpkcs11.Generate(cfg); err != nil {
				return err
			}
			return printModuleFingerprint(stdout, cfg, "generated a new root inside the token")
		case "import":
			root, err := rf.Load(cmd)
			if err != nil {
				return err
			}
			if err := jwtrotpkcs11.Import(cfg, root); err != nil {
				return err
			}
			if err := printModuleFingerprint(stdout, cfg, "imported the root's PRK"); err != nil {
				return err
			}
			rf.PrintImported(ctx, stdout, root, "must be equal", "the token")
			return nil
		case "fingerprint":
			if rf.Path != "" {
				return rf.PrintFingerprint(ctx, stdout)
			}
			return printModuleFingerprint(stdout, cfg, "")
		}
		return rootcmd.ErrUnknownCommand
	})
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
