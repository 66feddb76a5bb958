package jwtrotawskms

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/jwtrot/jwtrot/extra/jwtrotawskms/internal/kmstest"
	"github.com/jwtrot/jwtrot/rotation"
)

// createKey creates a key in the emulator and returns its id.
func createKey(t *testing.T, c *kms.Client, spec types.KeySpec, usage types.KeyUsageType) string {
	t.Helper()
	out, err := c.CreateKey(context.Background(), &kms.CreateKeyInput{KeySpec: spec, KeyUsage: usage})
	if err != nil {
		t.Fatal(err)
	}
	return *out.KeyMetadata.KeyId
}

// TestRefusals gives New keys it cannot use, in the emulator, and checks
// each refusal's sentinel and that its message says how to fix it.
func TestRefusals(t *testing.T) {
	emu := kmstest.Start(t, "")
	c := emu.Client(nil, fastRetries)
	ctx := context.Background()

	disabled := createKey(t, c, types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac)
	if _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: &disabled}); err != nil {
		t.Fatal(err)
	}
	deleting := createKey(t, c, types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac)
	if _, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &deleting, PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, keyID string
		want        error
		fix         string
	}{
		{"HMAC_384", createKey(t, c, types.KeySpecHmac384, types.KeyUsageTypeGenerateVerifyMac), ErrKeySpec, "HMAC_256"},
		{"HMAC_512", createKey(t, c, types.KeySpecHmac512, types.KeyUsageTypeGenerateVerifyMac), ErrKeySpec, "jwtrot-awskms create"},
		{"AES", createKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt), ErrKeyUsage, "--key-usage GENERATE_VERIFY_MAC"},
		{"ECC signing key", createKey(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify), ErrKeyUsage, "--key-spec HMAC_256"},
		{"disabled", disabled, ErrKeyState, "aws kms enable-key --key-id " + disabled},
		{"pending deletion", deleting, ErrKeyState, "aws kms cancel-key-deletion --key-id " + deleting},
		{"no such key", "0badc0de-0000-4000-8000-000000000000", ErrKeyNotFound, "region"},
		{"no such alias", "alias/jwtrot-nope", ErrKeyNotFound, "alias"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(ctx, c, tc.keyID)
			if !errors.Is(err, tc.want) || e != nil {
				t.Fatalf("New: %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.fix) {
				t.Fatalf("the message does not say how to fix it (%q): %v", tc.fix, err)
			}
			assertNoSecrets(t, err.Error())
		})
	}
}

// TestKeyDisabledWhileRunning disables the key under a running Expander:
// GenerateMac is refused with ErrKeyState, which the root wraps in
// rotation.ErrKeyUnavailable; enabling it again recovers.
func TestKeyDisabledWhileRunning(t *testing.T) {
	emu := kmstest.Start(t, "")
	c := emu.Client(nil, fastRetries)
	ctx := context.Background()
	id := createKey(t, c, types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac)
	root, err := rotation.NewExternalRoot("main", newExpander(t, c, id))
	if err != nil {
		t.Fatal(err)
	}
	fp, err := root.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: &id})
	_, err = root.Fingerprint(ctx)
	if !errors.Is(err, ErrKeyState) || !errors.Is(err, rotation.ErrKeyUnavailable) || !strings.Contains(err.Error(), "enable-key") {
		t.Fatalf("disabled: %v", err)
	}
	assertNoSecrets(t, err.Error())
	c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: &id})
	if again, err := root.Fingerprint(ctx); err != nil || again != fp {
		t.Fatalf("enabled again: %q, %v", again, err)
	}
}

// TestCheckMetadata covers what the emulator cannot produce: a key
// awaiting its imported material, a key whose state and flag disagree.
func TestCheckMetadata(t *testing.T) {
	good := func() *types.KeyMetadata {
		return &types.KeyMetadata{Arn: aws.String("arn:aws:kms:eu-west-2:1:key/k"), KeySpec: types.KeySpecHmac256, KeyUsage: types.KeyUsageTypeGenerateVerifyMac, KeyState: types.KeyStateEnabled, Enabled: true}
	}
	if err := checkMetadata("k", good()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*types.KeyMetadata)
		want error
		fix  string
	}{
		{"pending import", func(m *types.KeyMetadata) { m.KeyState, m.Enabled = types.KeyStatePendingImport, false }, ErrKeyState, "jwtrot-awskms import -key-id k"},
		{"unavailable", func(m *types.KeyMetadata) { m.KeyState = types.KeyStateUnavailable }, ErrKeyState, "enable-key"},
		{"not enabled", func(m *types.KeyMetadata) { m.Enabled = false }, ErrKeyState, "enable-key"},
		{"no usage", func(m *types.KeyMetadata) { m.KeyUsage = "" }, ErrKeyUsage, "(none)"},
	} {
		m := good()
		tc.edit(m)
		if err := checkMetadata("k", m); !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.fix) {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	if err := checkMetadata("k", nil); err == nil {
		t.Fatal("nil metadata accepted")
	}
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "User: arn:aws:sts::1:assumed-role/svc is not authorized to perform: kms:GenerateMac"}
	if err := classify("GenerateMac", "alias/jwtrot", denied); !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "kms:GenerateMac") {
		t.Fatalf("access denied: %v", err)
	}
	if err := classify("GenerateMac", "alias/jwtrot", &types.InvalidKeyUsageException{Message: aws.String("wrong usage")}); !errors.Is(err, ErrKeyUsage) {
		t.Fatalf("invalid key usage: %v", err)
	}
	if err := classify("GenerateMac", "alias/jwtrot", &types.KMSInternalException{}); errors.Is(err, ErrKeyState) || errors.Is(err, ErrKeyUsage) || errors.Is(err, ErrKeyNotFound) || errors.Is(err, ErrAccessDenied) {
		t.Fatalf("an internal error classified as a key problem: %v", err)
	}
}

// TestConfigRefusals: misconfiguration refused before any call.
func TestConfigRefusals(t *testing.T) {
	ctx := context.Background()
	c := kmstest.NewClient("http://127.0.0.1:9", nil)
	for _, tc := range []struct {
		client *kms.Client
		id     string
		opts   []Option
	}{
		{nil, "alias/jwtrot", nil},
		{c, "", nil},
		{c, "alias/jwtrot", []Option{WithGrantTokens(make([]string, 11)...)}},
		{c, "alias/jwtrot", []Option{WithGrantTokens("")}},
	} {
		if _, err := New(ctx, tc.client, tc.id, tc.opts...); !errors.Is(err, ErrConfig) {
			t.Fatalf("%v", err)
		}
	}
}

// TestNothingSecretPrinted formats an Expander whose client holds static
// credentials with every verb, and checks an unreachable KMS's errors.
func TestNothingSecretPrinted(t *testing.T) {
	kmstest.Need(t)
	emu := kmstest.Start(t, kmstest.Seed(kmstest.HMACKey{ID: "11111111-2222-4333-8444-555555555555", PRK: bytes.Repeat([]byte{9}, 32)}))
	c := kms.New(kms.Options{
		Region:       kmstest.Region,
		BaseEndpoint: aws.String(emu.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(kmstest.AccessKeyID, kmstest.SecretAccessKey, "session-token-jwtrotFAKE"),
	}, fastRetries)
	e := newExpander(t, c, "11111111-2222-4333-8444-555555555555")
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%T %[1]v"} {
		out = append(out, fmt.Sprintf(verb, e), fmt.Sprintf(verb, *e))
	}
	for _, s := range out {
		if !strings.Contains(s, "arn:aws:kms:") {
			t.Fatalf("formatted Expander without its ARN: %q", s)
		}
	}
	emu.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := e.Expand(ctx, []byte("x"), 32)
	if err == nil {
		t.Fatal("Expand with KMS down succeeded")
	}
	out = append(out, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
	assertNoSecrets(t, out...)
	for _, s := range out {
		if strings.Contains(s, "session-token-jwtrotFAKE") {
			t.Fatalf("the session token shows: %s", s)
		}
	}
}

// secrets are the test's fake credentials and the PRKs the tests seed.
var secrets = []string{kmstest.SecretAccessKey, "jwtrotFAKEsecret"}

// assertNoSecrets fails if any text contains the fake secret access key
// (whole or in part) or key material registered with addSecret.
func assertNoSecrets(t testing.TB, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, x := range secretList() {
			if strings.Contains(s, x) {
				t.Fatalf("a secret shows in %q", s)
			}
		}
	}
}
