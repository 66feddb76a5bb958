package jwtrotawskms

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/jwtrot/jwtrot/rotation"
)

// ErrFingerprint is returned by [ImportKey] when the key in KMS does not
// derive the fingerprint of the root that was imported.
var ErrFingerprint = errors.New("jwtrotawskms: the KMS key's fingerprint differs from the root's")

// KeyDescription is the description of the keys [CreateKey] and
// [ImportKey] create.
const KeyDescription = "jwtrot root: the HKDF-SHA256 PRK of a jwtrot root; used through GenerateMac only (github.com/jwtrot/jwtrot/extra/jwtrotawskms)"

// minWrappingBits is the smallest RSA wrapping key ImportKey accepts; it
// asks for RSA_4096.
const minWrappingBits = 2048

func checkAlias(alias string) error {
	if alias == "" {
		return nil
	}
	if !strings.HasPrefix(alias, "alias/") || strings.HasPrefix(alias, "alias/aws/") || len(alias) == len("alias/") {
		return fmt.Errorf("%w: alias %q must start with alias/ and not with alias/aws/ (AWS's own)", ErrConfig, alias)
	}
	return nil
}

// CreateKey creates a new root inside KMS: an HMAC_256 key for
// GENERATE_VERIFY_MAC whose key material KMS generates and never releases
// (SPEC.md §8: a root that exists only as a PRK). alias, if not empty,
// names it ("alias/jwtrot-main"). It returns the key's ARN. Tokens signed
// under such a root can be verified only by processes that use this key.
func CreateKey(ctx context.Context, client *kms.Client, alias string) (string, error) {
	if client == nil {
		return "", fmt.Errorf("%w: nil *kms.Client", ErrConfig)
	}
	if err := checkAlias(alias); err != nil {
		return "", err
	}
	out, err := client.CreateKey(ctx, &kms.CreateKeyInput{
		KeySpec:     types.KeySpecHmac256,
		KeyUsage:    types.KeyUsageTypeGenerateVerifyMac,
		Description: aws.String(KeyDescription),
	})
	if err != nil {
		return "", classify("CreateKey", "(new key)", err)
	}
	arn := aws.ToString(out.KeyMetadata.Arn)
	return arn, createAlias(ctx, client, alias, arn)
}

func createAlias(ctx context.Context, client *kms.Client, alias, arn string) error {
	if alias == "" {
		return nil
	}
	if _, err := client.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: aws.String(arn)}); err != nil {
		return fmt.Errorf("jwtrotawskms: the key %s exists, but naming it %s failed (name it with aws kms create-alias): %w", arn, alias, err)
	}
	return nil
}

// ImportKey stores root's PRK ([rotation.Root.ExportPRK]) in KMS, so that
// the key derives the very window keys the root did and tokens issued
// before the move keep verifying. If keyID is empty it creates an HMAC_256
// key with origin EXTERNAL (named alias, if not empty); otherwise it imports
// into keyID, an HMAC_256 key with origin EXTERNAL created beforehand (by
// Terraform, say) and waiting for its material. It asks KMS for an RSA_4096
// wrapping key (RSAES_OAEP_SHA_256), wraps the PRK with it, imports it with
// KEY_MATERIAL_DOES_NOT_EXPIRE, clears the PRK, and checks that the key's
// fingerprint equals the root's ([ErrFingerprint] if not). It returns the
// key's ARN.
//
// Destroy every other copy of the root afterwards (the file, the secret
// store's versions, backups): until then KMS protects nothing. Keep in mind
// that KMS cannot export the material again; a deleted key is gone with
// every token under the root.
func ImportKey(ctx context.Context, client *kms.Client, root *rotation.Root, keyID, alias string) (string, error) {
	if client == nil || root == nil {
		return "", fmt.Errorf("%w: nil client or root", ErrConfig)
	}
	if err := checkAlias(alias); err != nil {
		return "", err
	}
	if keyID != "" && alias != "" {
		return "", fmt.Errorf("%w: give an alias only for a key ImportKey creates (name an existing key with aws kms create-alias)", ErrConfig)
	}
	prk, err := root.ExportPRK()
	if err != nil {
		return "", err
	}
	defer clear(prk)
	arn := keyID
	if keyID == "" {
		out, err := client.CreateKey(ctx, &kms.CreateKeyInput{
			KeySpec:     types.KeySpecHmac256,
			KeyUsage:    types.KeyUsageTypeGenerateVerifyMac,
			Origin:      types.OriginTypeExternal,
			Description: aws.String(KeyDescription),
		})
		if err != nil {
			return "", classify("CreateKey (origin EXTERNAL)", "(new key)", err)
		}
		arn = aws.ToString(out.KeyMetadata.Arn)
	}
	// From here on a failure leaves a key waiting for its material: say so.
	pending := func(err error) (string, error) {
		if keyID == "" {
			return "", fmt.Errorf("%w (the key %s was created and waits for its material: run the import again with -key-id %s, or schedule its deletion)", err, arn, arn)
		}
		return "", err
	}
	params, err := client.GetParametersForImport(ctx, &kms.GetParametersForImportInput{
		KeyId:             aws.String(arn),
		WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256,
		WrappingKeySpec:   types.WrappingKeySpecRsa4096,
	})
	if err != nil {
		return pending(classify("GetParametersForImport", arn, err))
	}
	pub, err := wrappingKey(params.PublicKey)
	if err != nil {
		return pending(err)
	}
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, prk, nil)
	if err != nil {
		return pending(fmt.Errorf("jwtrotawskms: wrapping the PRK: %w", err))
	}
	if _, err := client.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{
		KeyId:                aws.String(arn),
		ImportToken:          params.ImportToken,
		EncryptedKeyMaterial: wrapped,
		ExpirationModel:      types.ExpirationModelTypeKeyMaterialDoesNotExpire,
	}); err != nil {
		return pending(classify("ImportKeyMaterial", arn, err))
	}
	if err := createAlias(ctx, client, alias, arn); err != nil {
		return "", err
	}
	e, err := New(ctx, client, arn)
	if err != nil {
		return "", err
	}
	x, err := rotation.NewExternalRoot(root.ID(), e)
	if err != nil {
		return "", err
	}
	got, err := x.Fingerprint(ctx)
	if err != nil {
		return "", err
	}
	if want, _ := root.Fingerprint(ctx); got != want {
		return "", fmt.Errorf("%w: key %s has %s, the root %s (schedule the key's deletion and import again)", ErrFingerprint, arn, got, want)
	}
	return arn, nil
}

// wrappingKey parses the DER public key of GetParametersForImport.
func wrappingKey(der []byte) (*rsa.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("jwtrotawskms: the wrapping public key KMS returned cannot be parsed: %w", err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() < minWrappingBits {
		return nil, fmt.Errorf("jwtrotawskms: the wrapping key KMS returned is not an RSA key of at least %d bits", minWrappingBits)
	}
	return pub, nil
}
