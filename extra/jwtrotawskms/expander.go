package jwtrotawskms

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/jwtrot/jwtrot/internal/hmacexpand"
	"github.com/jwtrot/jwtrot/rotation"
)

// maxGrantTokens is KMS's limit on grant tokens per request.
const maxGrantTokens = 10

// An Expander is a root's PRK held as an HMAC_256 key in AWS KMS. It
// implements [rotation.Expander] with one GenerateMac call (HMAC_SHA_256)
// per 32 bytes of output: give it to [rotation.NewExternalRoot]. It is safe
// for concurrent use and holds no secret: the process sees window keys, and
// the credentials stay in the *kms.Client.
type Expander struct {
	client      *kms.Client
	keyID       string // as given to New, for messages
	arn         string // the key DescribeKey found, used for every call
	grantTokens []string
}

var _ rotation.Expander = (*Expander)(nil)

// An Option configures an [Expander].
type Option func(*Expander)

// WithGrantTokens passes grant tokens with every call, for a service whose
// permission to use the key comes from a KMS grant not yet visible
// everywhere (AWS's eventual consistency of grants). At most 10.
func WithGrantTokens(tokens ...string) Option {
	return func(e *Expander) { e.grantTokens = append([]string(nil), tokens...) }
}

// New returns the Expander of the KMS key keyID (a key id, key ARN, alias
// name "alias/..." or alias ARN), through client, whose credentials come
// from wherever the SDK found them (config.LoadDefaultConfig: the
// environment, the shared config files, the IAM role of the pod or the
// instance).
//
// New checks the key with DescribeKey: it must be an HMAC_256 key for
// GENERATE_VERIFY_MAC, enabled; anything else is refused with an error that
// wraps [ErrKeySpec], [ErrKeyUsage], [ErrKeyState], [ErrKeyNotFound] or
// [ErrAccessDenied] and says how to fix it. It then asks KMS whether
// GenerateMac would be allowed (a dry run: nothing is computed), so that a
// key policy without kms:GenerateMac is refused here and not on the first
// window. The Expander uses the key's ARN from then on, so an alias moved
// to another key later does not silently swap the root under a running
// service. ctx bounds these two calls.
func New(ctx context.Context, client *kms.Client, keyID string, opts ...Option) (*Expander, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil *kms.Client (build one with kms.NewFromConfig(cfg), cfg from config.LoadDefaultConfig)", ErrConfig)
	}
	if keyID == "" {
		return nil, fmt.Errorf("%w: empty key id (give the key's id, ARN or alias, as jwtrot-awskms create printed it)", ErrConfig)
	}
	e := &Expander{client: client, keyID: keyID}
	for _, o := range opts {
		o(e)
	}
	if len(e.grantTokens) > maxGrantTokens {
		return nil, fmt.Errorf("%w: %d grant tokens, KMS accepts at most %d", ErrConfig, len(e.grantTokens), maxGrantTokens)
	}
	for _, g := range e.grantTokens {
		if g == "" {
			return nil, fmt.Errorf("%w: an empty grant token", ErrConfig)
		}
	}
	out, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID), GrantTokens: e.grantTokens})
	if err != nil {
		return nil, classify("DescribeKey", keyID, err)
	}
	if err := checkMetadata(keyID, out.KeyMetadata); err != nil {
		return nil, err
	}
	e.arn = *out.KeyMetadata.Arn
	if err := e.dryRun(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// dryRun asks KMS whether GenerateMac on the key is allowed. KMS answers a
// permitted dry run with DryRunOperationException; an emulator that does
// not know dry runs computes a MAC of a constant, which is discarded.
func (e *Expander) dryRun(ctx context.Context) error {
	out, err := e.client.GenerateMac(ctx, &kms.GenerateMacInput{
		KeyId:        aws.String(e.arn),
		MacAlgorithm: types.MacAlgorithmSpecHmacSha256,
		Message:      []byte("jwtrotawskms: may this caller use GenerateMac?"),
		GrantTokens:  e.grantTokens,
		DryRun:       aws.Bool(true),
	})
	var dry *types.DryRunOperationException
	switch {
	case err == nil:
		clear(out.Mac)
		return nil
	case errors.As(err, &dry):
		return nil
	}
	return classify("GenerateMac (dry run)", e.keyID, err)
}

// Expand computes HKDF-Expand(PRK, info, n) with SHA-256 through KMS:
// the HKDF-Expand chain of HMACs over GenerateMac, one call for n up to 32 bytes
// (HS256, an EdDSA seed), two for up to 64 (HS384, HS512). Each call is
// retried as the client's retryer decides (the SDK's standard retryer:
// throttling, 5xx and network errors, with jittered exponential backoff)
// within ctx's deadline; the Deriver retries failed derivations with its
// own backoff until the window's key is due.
func (e *Expander) Expand(ctx context.Context, info []byte, n int) ([]byte, error) {
	return hmacexpand.Expand(ctx, e.mac, info, n)
}

func (e *Expander) mac(ctx context.Context, msg []byte) ([]byte, error) {
	out, err := e.client.GenerateMac(ctx, &kms.GenerateMacInput{
		KeyId:        aws.String(e.arn),
		MacAlgorithm: types.MacAlgorithmSpecHmacSha256,
		Message:      msg,
		GrantTokens:  e.grantTokens,
	})
	if err != nil {
		return nil, classify("GenerateMac", e.keyID, err)
	}
	return out.Mac, nil
}

// KeyARN returns the ARN of the key, as DescribeKey reported it.
func (e *Expander) KeyARN() string { return e.arn }

// String returns "jwtrotawskms.Expander(ARN)". The Expander holds no secret,
// but its client holds credentials: String, GoString and Format print the
// ARN alone, whatever the verb, so that no field of the client is ever
// printed.
func (e Expander) String() string { return "jwtrotawskms.Expander(" + e.arn + ")" }

// GoString is String.
func (e Expander) GoString() string { return e.String() }

// Format writes String for every verb.
func (e Expander) Format(f fmt.State, _ rune) { io.WriteString(f, e.String()) }
