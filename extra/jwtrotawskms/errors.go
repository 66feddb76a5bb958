package jwtrotawskms

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// Errors of this package, for errors.Is. Each error New returns wraps one
// and says how to fix the key or the configuration. No error of this
// package contains a credential or key material: they name the key by the
// id, ARN or alias given to [New] and quote AWS's error code and message.
var (
	// ErrConfig: New was called with a nil client, an empty key id or an
	// invalid option.
	ErrConfig = errors.New("jwtrotawskms: invalid configuration")
	// ErrKeyNotFound: no such key (or alias) in the client's account and
	// region, or the key was deleted.
	ErrKeyNotFound = errors.New("jwtrotawskms: KMS key not found")
	// ErrAccessDenied: the caller may not use the key: the key policy (or an
	// IAM policy) does not allow kms:DescribeKey or kms:GenerateMac.
	ErrAccessDenied = errors.New("jwtrotawskms: access to the KMS key denied")
	// ErrKeySpec: the key is not an HMAC_256 key.
	ErrKeySpec = errors.New("jwtrotawskms: the KMS key is not an HMAC_256 key")
	// ErrKeyUsage: the key's usage is not GENERATE_VERIFY_MAC.
	ErrKeyUsage = errors.New("jwtrotawskms: the KMS key's usage is not GENERATE_VERIFY_MAC")
	// ErrKeyState: the key is disabled, pending deletion, pending the import
	// of its material, or otherwise not usable.
	ErrKeyState = errors.New("jwtrotawskms: the KMS key is not enabled")
)

// classify wraps err, from a KMS call on the key named keyID, with the
// sentinel its AWS error code maps to and a hint to fix it. Errors with no
// mapping (throttling, a network failure, a 5xx) are wrapped as they are:
// they are transient and the Deriver retries them.
func classify(op, keyID string, err error) error {
	var (
		notFound *types.NotFoundException
		disabled *types.DisabledException
		state    *types.KMSInvalidStateException
		usage    *types.InvalidKeyUsageException
		api      smithy.APIError
	)
	switch {
	case errors.As(err, &notFound):
		return fmt.Errorf("%w: %s %q: %w (check the key id, ARN or alias and the client's region; a deleted key cannot be recovered: see SECURITY.md)", ErrKeyNotFound, op, keyID, err)
	case errors.As(err, &disabled):
		return fmt.Errorf("%w: %s %q: %w (enable it: aws kms enable-key --key-id %s)", ErrKeyState, op, keyID, err, keyID)
	case errors.As(err, &state):
		return fmt.Errorf("%w: %s %q: %w (aws kms describe-key --key-id %s shows its state: cancel a pending deletion with aws kms cancel-key-deletion, then enable it)", ErrKeyState, op, keyID, err, keyID)
	case errors.As(err, &usage):
		return fmt.Errorf("%w: %s %q: %w (use an HMAC_256 key for GENERATE_VERIFY_MAC: jwtrot-awskms create)", ErrKeyUsage, op, keyID, err)
	case errors.As(err, &api) && api.ErrorCode() == "AccessDeniedException":
		return fmt.Errorf("%w: %s %q: %w (the key policy must allow kms:DescribeKey and kms:GenerateMac to this service's IAM role: see the package documentation)", ErrAccessDenied, op, keyID, err)
	}
	return fmt.Errorf("jwtrotawskms: %s %q: %w", op, keyID, err)
}

// checkMetadata refuses a key jwtrot cannot use, saying how to get one it
// can.
func checkMetadata(keyID string, md *types.KeyMetadata) error {
	const create = "create one with jwtrot-awskms create (or aws kms create-key --key-spec HMAC_256 --key-usage GENERATE_VERIFY_MAC)"
	switch {
	case md == nil:
		return fmt.Errorf("jwtrotawskms: DescribeKey %q returned no key metadata", keyID)
	case md.KeyUsage != types.KeyUsageTypeGenerateVerifyMac:
		return fmt.Errorf("%w: key %q has usage %s: %s", ErrKeyUsage, keyID, orNone(string(md.KeyUsage)), create)
	case md.KeySpec != types.KeySpecHmac256:
		return fmt.Errorf("%w: key %q is %s; jwtrot's roots are HKDF-SHA256 PRKs, which need HMAC_256: %s", ErrKeySpec, keyID, orNone(string(md.KeySpec)), create)
	case md.KeyState == types.KeyStatePendingImport:
		return fmt.Errorf("%w: key %q is waiting for its key material: import the root's PRK with jwtrot-awskms import -key-id %s -root-file FILE", ErrKeyState, keyID, keyID)
	case md.KeyState == types.KeyStatePendingDeletion:
		return fmt.Errorf("%w: key %q is pending deletion: cancel it now with aws kms cancel-key-deletion --key-id %s, then aws kms enable-key; once deleted, every token under this root is lost", ErrKeyState, keyID, keyID)
	case md.KeyState != types.KeyStateEnabled || !md.Enabled:
		return fmt.Errorf("%w: key %q is %s: enable it with aws kms enable-key --key-id %s", ErrKeyState, keyID, orNone(string(md.KeyState)), keyID)
	case md.Arn == nil || *md.Arn == "":
		return fmt.Errorf("jwtrotawskms: DescribeKey %q returned no ARN", keyID)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
