// Command jwtrot-awskms puts a jwtrot root into AWS KMS, as an HMAC_256 key,
// and checks it.
//
//	jwtrot-awskms create      [-alias alias/NAME]
//	jwtrot-awskms import      -root-file FILE [-root-id ID] [-alias alias/NAME | -key-id KEY]
//	jwtrot-awskms fingerprint -key-id KEY
//	jwtrot-awskms fingerprint -root-file FILE [-root-id ID]
//	jwtrot-awskms policy      -role-arn ARN
//
// create makes a new root inside KMS, whose material KMS generates and never
// releases. import creates a key with origin EXTERNAL (or uses -key-id, one
// waiting for its material), wraps the root file's PRK with RSA-OAEP-SHA256
// under KMS's wrapping key and imports it, so that tokens issued under the
// root keep verifying; destroy every other copy of the root afterwards.
// fingerprint prints the root's public fingerprint (SPEC.md §8), the same
// for a root file and for the key it was imported into, and the one a
// service logs (rotation.Root.Fingerprint). policy prints the key policy
// statement a service's IAM role needs: kms:DescribeKey and kms:GenerateMac,
// nothing else.
//
// Credentials and region come from the AWS SDK's usual chain (environment,
// shared config and credentials files, SSO, the IAM role of the pod or the
// instance); -region and -endpoint override the region and the KMS
// endpoint (a VPC endpoint, an emulator). Nothing secret is ever printed:
// the PRK is read from the root file, wrapped, and cleared. See the package
// documentation of github.com/jwtrot/jwtrot/extra/jwtrotawskms for the
// steps.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/jwtrot/jwtrot/extra/jwtrotawskms"
	"github.com/jwtrot/jwtrot/internal/rootcmd"
	"github.com/jwtrot/jwtrot/rotation"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage:
  jwtrot-awskms create      [-alias alias/NAME] [-region R] [-endpoint URL]
  jwtrot-awskms import      -root-file FILE [-root-id ID] [-alias alias/NAME | -key-id KEY] [-region R] [-endpoint URL]
  jwtrot-awskms fingerprint -key-id KEY [-region R] [-endpoint URL]
  jwtrot-awskms fingerprint -root-file FILE [-root-id ID]
  jwtrot-awskms policy      -role-arn ARN
`

// timeout bounds each command's calls to KMS.
const timeout = 2 * time.Minute

func run(args []string, stdout, stderr io.Writer) int {
	var alias, keyID, region, endpoint, roleARN string
	var rf rootcmd.RootFile
	declare := func(fs *flag.FlagSet) {
		fs.StringVar(&alias, "alias", "", "alias naming the new key, alias/NAME (create, import)")
		fs.StringVar(&keyID, "key-id", "", "the key: its id, ARN or alias (fingerprint; import: a key with origin EXTERNAL waiting for its material)")
		rf.Declare(fs)
		fs.StringVar(&region, "region", "", "AWS region (default: from the SDK's configuration, AWS_REGION)")
		fs.StringVar(&endpoint, "endpoint", "", "KMS endpoint URL (default: the region's; AWS_ENDPOINT_URL_KMS also works)")
		fs.StringVar(&roleARN, "role-arn", "", "ARN of the IAM role the service runs as (policy)")
	}
	return rootcmd.Run("jwtrot-awskms", usage, args, stderr, declare, func(cmd string) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		client := func() (*kms.Client, error) {
			var opts []func(*config.LoadOptions) error
			if region != "" {
				opts = append(opts, config.WithRegion(region))
			}
			cfg, err := config.LoadDefaultConfig(ctx, opts...)
			if err != nil {
				return nil, fmt.Errorf("loading the AWS configuration: %w", err)
			}
			if cfg.Region == "" {
				return nil, errors.New("no AWS region: give -region or set AWS_REGION")
			}
			return kms.NewFromConfig(cfg, func(o *kms.Options) {
				if endpoint != "" {
					o.BaseEndpoint = aws.String(endpoint)
				}
			}), nil
		}
		switch cmd {
		case "create":
			c, err := client()
			if err != nil {
				return err
			}
			arn, err := jwtrotawskms.CreateKey(ctx, c, alias)
			if err != nil {
				return err
			}
			return printKey(ctx, stdout, c, arn, alias, "created a new root inside KMS")
		case "import":
			root, err := rf.Load(cmd)
			if err != nil {
				return err
			}
			c, err := client()
			if err != nil {
				return err
			}
			arn, err := jwtrotawskms.ImportKey(ctx, c, root, keyID, alias)
			if err != nil {
				return err
			}
			if err := printKey(ctx, stdout, c, arn, alias, "imported the root's PRK"); err != nil {
				return err
			}
			rf.PrintImported(ctx, stdout, root, "equal: checked", "KMS")
			return nil
		case "fingerprint":
			if (rf.Path == "") == (keyID == "") {
				return errors.New("fingerprint needs exactly one of -key-id and -root-file")
			}
			if rf.Path != "" {
				return rf.PrintFingerprint(ctx, stdout)
			}
			c, err := client()
			if err != nil {
				return err
			}
			return printKey(ctx, stdout, c, keyID, "", "")
		case "policy":
			if !strings.HasPrefix(roleARN, "arn:") {
				return errors.New("policy needs -role-arn arn:aws:iam::ACCOUNT:role/NAME")
			}
			return printPolicy(stdout, roleARN)
		}
		return rootcmd.ErrUnknownCommand
	})
}

// printKey opens the key as a service would and prints its ARN and the
// root's fingerprint.
func printKey(ctx context.Context, w io.Writer, c *kms.Client, keyID, alias, what string) error {
	e, err := jwtrotawskms.New(ctx, c, keyID)
	if err != nil {
		return err
	}
	root, err := rotation.NewExternalRoot("main", e)
	if err != nil {
		return err
	}
	fp, err := root.Fingerprint(ctx)
	if err != nil {
		return err
	}
	if what != "" {
		fmt.Fprintf(w, "%s: %s\n", what, e.KeyARN())
		if alias != "" {
			fmt.Fprintf(w, "alias: %s\n", alias)
		}
	} else {
		fmt.Fprintln(w, "key:", e.KeyARN())
	}
	fmt.Fprintln(w, "fingerprint:", fp)
	return nil
}

// printPolicy prints the key policy statements a service needs, to add to
// the key policy's Statement list.
func printPolicy(w io.Writer, role string) error {
	// DescribeKey carries no MAC algorithm: a condition on kms:MacAlgorithm
	// would refuse it, hence two statements.
	stmt := []map[string]any{{
		"Sid":       "JwtrotServiceChecksTheKey",
		"Effect":    "Allow",
		"Principal": map[string]string{"AWS": role},
		"Action":    "kms:DescribeKey",
		"Resource":  "*",
	}, {
		"Sid":       "JwtrotServiceDerivesWindowKeys",
		"Effect":    "Allow",
		"Principal": map[string]string{"AWS": role},
		"Action":    "kms:GenerateMac",
		"Resource":  "*",
		"Condition": map[string]any{"StringEquals": map[string]string{"kms:MacAlgorithm": "HMAC_SHA_256"}},
	}}
	b, err := json.MarshalIndent(stmt, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s\n", b)
	return nil
}
