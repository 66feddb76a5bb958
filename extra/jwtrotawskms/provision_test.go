package jwtrotawskms

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/jwtrot/jwtrot/extra/jwtrotawskms/internal/fakekms"
	"github.com/jwtrot/jwtrot/extra/jwtrotawskms/internal/kmstest"
	"github.com/jwtrot/jwtrot/rotation"
)

// TestCreateKey creates a root inside the emulator, under an alias, and
// uses it.
func TestCreateKey(t *testing.T) {
	emu := kmstest.Start(t, "")
	c := emu.Client(nil, fastRetries)
	ctx := context.Background()
	arn, err := CreateKey(ctx, c, "alias/jwtrot-new")
	if err != nil {
		t.Fatal(err)
	}
	e := newExpander(t, c, "alias/jwtrot-new")
	if e.KeyARN() != arn {
		t.Fatalf("alias → %s, created %s", e.KeyARN(), arn)
	}
	out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(arn)})
	if err != nil || aws.ToString(out.KeyMetadata.Description) != KeyDescription {
		t.Fatalf("description: %v", err)
	}
	r1, _ := rotation.NewExternalRoot("main", e)
	r2, _ := rotation.NewExternalRoot("main", newExpander(t, c, arn))
	f1, err1 := r1.Fingerprint(ctx)
	f2, err2 := r2.Fingerprint(ctx)
	if err1 != nil || err2 != nil || f1 != f2 || len(f1) != 16 {
		t.Fatalf("fingerprints %q %q: %v %v", f1, f2, err1, err2)
	}
	// A second key under the same alias: the key is made, the alias refused.
	if _, err := CreateKey(ctx, c, "alias/jwtrot-new"); err == nil || !strings.Contains(err.Error(), "create-alias") {
		t.Fatalf("second alias: %v", err)
	}
	for _, a := range []string{"jwtrot", "alias/aws/jwtrot", "alias/"} {
		if _, err := CreateKey(ctx, c, a); !errors.Is(err, ErrConfig) {
			t.Fatalf("alias %q: %v", a, err)
		}
	}
}

// TestImportKey imports a root's PRK (RSA-OAEP wrapping) into the fake KMS,
// which unwraps it for real, and checks the key derives the root's keys.
// local-kms cannot import into HMAC keys.
func TestImportKey(t *testing.T) {
	f := fakekms.Start()
	defer f.Close()
	c := kmstest.NewClient(f.URL, nil, fastRetries)
	ctx := context.Background()
	root, _ := rotation.NewRoot("main", testSecret)
	arn, err := ImportKey(ctx, c, root, "", "alias/jwtrot-main")
	if err != nil {
		t.Fatal(err)
	}
	x, _ := rotation.NewExternalRoot("main", newExpander(t, c, "alias/jwtrot-main"))
	for _, alg := range []rotation.Algorithm{rotation.HS256, rotation.HS512, rotation.EdDSA} {
		want, _ := windowKey(root, alg, "access", 10*time.Minute, 2992240)
		got, err := windowKey(x, alg, "access", 10*time.Minute, 2992240)
		if err != nil || hex.EncodeToString(got) != hex.EncodeToString(want) {
			t.Fatalf("%v: the imported key derives another key (%v)", alg, err)
		}
	}
	// Into a key created beforehand with origin EXTERNAL.
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecHmac256, KeyUsage: types.KeyUsageTypeGenerateVerifyMac, Origin: types.OriginTypeExternal})
	if err != nil {
		t.Fatal(err)
	}
	pendingID := aws.ToString(out.KeyMetadata.KeyId)
	if _, err := New(ctx, c, pendingID); !errors.Is(err, ErrKeyState) || !strings.Contains(err.Error(), "jwtrot-awskms import -key-id") {
		t.Fatalf("New on a key waiting for its material: %v", err)
	}
	if got, err := ImportKey(ctx, c, root, pendingID, ""); err != nil || !strings.HasSuffix(got, pendingID) {
		t.Fatalf("import into %s: %s, %v", pendingID, got, err)
	}
	// The same root again: the fake, as KMS does, accepts the same material;
	// another root is refused.
	if _, err := ImportKey(ctx, c, root, arn, ""); err != nil {
		t.Fatalf("re-import of the same root: %v", err)
	}
	other, _ := rotation.NewRoot("main", []byte("another root, 32 bytes or more, for this test"))
	if _, err := ImportKey(ctx, c, other, arn, ""); err == nil || !strings.Contains(err.Error(), "IncorrectKeyMaterialException") {
		t.Fatalf("import of another root into %s: %v", arn, err)
	}
	// Into a key whose material KMS generated: refused by KMS.
	gen, err := CreateKey(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ImportKey(ctx, c, root, gen, ""); err == nil || !strings.Contains(err.Error(), "UnsupportedOperationException") {
		t.Fatalf("import into a generated key: %v", err)
	}
	if _, err := ImportKey(ctx, c, root, gen, "alias/x"); !errors.Is(err, ErrConfig) {
		t.Fatalf("key id and alias: %v", err)
	}
	ext, _ := rotation.NewExternalRoot("main", newExpander(t, c, arn))
	if _, err := ImportKey(ctx, c, ext, "", ""); err == nil || !strings.Contains(err.Error(), "cannot be exported") {
		t.Fatalf("importing an external root: %v", err)
	}
}
