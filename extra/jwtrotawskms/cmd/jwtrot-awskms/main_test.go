package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtrot/jwtrot/extra/jwtrotawskms/internal/fakekms"
	"github.com/jwtrot/jwtrot/extra/jwtrotawskms/internal/kmstest"
)

func TestMain(m *testing.M) { os.Exit(kmstest.Main(m)) }

// awsEnv points the SDK's configuration chain at the fake credentials only:
// no shared files, no instance metadata.
func awsEnv(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           kmstest.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       kmstest.SecretAccessKey,
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  kmstest.Region,
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_KMS":        "",
	} {
		t.Setenv(k, v)
	}
}

func awskms(t *testing.T, wantCode int, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	all := out.String() + errOut.String()
	if strings.Contains(all, kmstest.SecretAccessKey) || strings.Contains(all, "jwtrotFAKEsecret") {
		t.Fatalf("jwtrot-awskms %s printed the secret access key", strings.Join(args, " "))
	}
	if code != wantCode {
		t.Fatalf("jwtrot-awskms %s: exit %d, want %d; output: %s", strings.Join(args, " "), code, wantCode, all)
	}
	return all
}

func line(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			return v
		}
	}
	t.Fatalf("no %q in %q", prefix, out)
	return ""
}

const rootHex = "3f9a0c1b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"

func rootFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "root")
	if err := os.WriteFile(p, []byte(rootHex+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCreateAndFingerprint follows the documented procedure for a new
// root, against the emulator.
func TestCreateAndFingerprint(t *testing.T) {
	emu := kmstest.Start(t, "")
	awsEnv(t)
	ep := []string{"-endpoint", emu.Endpoint}
	out := awskms(t, 0, append([]string{"create", "-alias", "alias/jwtrot-main"}, ep...)...)
	arn := line(t, out, "created a new root inside KMS: ")
	fp := line(t, out, "fingerprint: ")
	if !strings.HasPrefix(arn, "arn:aws:kms:"+kmstest.Region+":") || len(fp) != 16 {
		t.Fatalf("create: %s", out)
	}
	// By alias and by ARN, the same fingerprint.
	for _, k := range []string{"alias/jwtrot-main", arn} {
		out := awskms(t, 0, append([]string{"fingerprint", "-key-id", k}, ep...)...)
		if line(t, out, "fingerprint: ") != fp || line(t, out, "key: ") != arn {
			t.Fatalf("fingerprint -key-id %s: %s", k, out)
		}
	}
	// The same alias twice: the key is made, the alias refused, and said so.
	if out := awskms(t, 1, append([]string{"create", "-alias", "alias/jwtrot-main"}, ep...)...); !strings.Contains(out, "create-alias") {
		t.Fatalf("second create: %s", out)
	}
	if out := awskms(t, 1, append([]string{"fingerprint", "-key-id", "alias/none"}, ep...)...); !strings.Contains(out, "not found") {
		t.Fatalf("unknown key: %s", out)
	}
	awskms(t, 2, "create", "-secret", "x")
	awskms(t, 2)
	awskms(t, 1, "fingerprint")
}

// TestImport follows the documented procedure for an existing root: its
// PRK into a key with origin EXTERNAL, which local-kms does not support for
// HMAC keys, so against the in-process fake KMS (which unwraps for real).
func TestImport(t *testing.T) {
	f := fakekms.Start()
	defer f.Close()
	awsEnv(t)
	file := rootFile(t)
	fileFP := line(t, awskms(t, 0, "fingerprint", "-root-file", file), "fingerprint: ")
	out := awskms(t, 0, "import", "-root-file", file, "-alias", "alias/jwtrot-main", "-endpoint", f.URL)
	if line(t, out, "fingerprint: ") != fileFP || !strings.Contains(out, "destroy every other copy") || strings.Contains(out, rootHex) {
		t.Fatalf("import: %s", out)
	}
	if got := line(t, awskms(t, 0, "fingerprint", "-key-id", "alias/jwtrot-main", "-endpoint", f.URL), "fingerprint: "); got != fileFP {
		t.Fatalf("the key's fingerprint %s, the file's %s", got, fileFP)
	}
	awskms(t, 1, "import", "-endpoint", f.URL)
}

// TestPolicy prints statements that allow exactly kms:DescribeKey and
// kms:GenerateMac.
func TestPolicy(t *testing.T) {
	out := awskms(t, 0, "policy", "-role-arn", "arn:aws:iam::123456789012:role/api")
	var stmts []struct {
		Effect    string
		Principal struct{ AWS string }
		Action    string
		Condition map[string]map[string]string
	}
	if err := json.Unmarshal([]byte(out), &stmts); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, s := range stmts {
		if s.Effect != "Allow" || s.Principal.AWS != "arn:aws:iam::123456789012:role/api" {
			t.Fatalf("statement %+v", s)
		}
		actions = append(actions, s.Action)
	}
	if strings.Join(actions, ",") != "kms:DescribeKey,kms:GenerateMac" || stmts[1].Condition["StringEquals"]["kms:MacAlgorithm"] != "HMAC_SHA_256" {
		t.Fatalf("policy: %s", out)
	}
	awskms(t, 1, "policy")
}
