// Package jwtrotawskms keeps a jwtrot root inside AWS KMS, as an HMAC_256
// key, so that the processes that sign and verify tokens hold window keys
// only, never the root, and need no secret of their own beyond the IAM role
// they already run as.
//
// # Use
//
// Build the key's [Expander] with [New], make it a root with
// [rotation.NewExternalRoot], and build the [rotation.Deriver] as usual:
//
//	cfg, err := config.LoadDefaultConfig(ctx) // region, credentials: the SDK's usual chain
//	...
//	e, err := jwtrotawskms.New(ctx, kms.NewFromConfig(cfg), "alias/jwtrot-main")
//	...
//	root, err := rotation.NewExternalRoot("main", e)
//	d, err := rotation.NewDeriver([]*rotation.Root{root})
//	...
//	defer d.Close()
//	fp, _ := root.Fingerprint(ctx)
//	slog.Info("jwtrot root", "id", "main", "fingerprint", fp)
//	auth, err := jwtrot.New(d)
//
// [New] checks the key with DescribeKey and refuses, with a message saying
// what to do, a key that is not HMAC_256 ([ErrKeySpec]), not for
// GENERATE_VERIFY_MAC ([ErrKeyUsage]), disabled, pending deletion or
// waiting for imported material ([ErrKeyState]), missing ([ErrKeyNotFound])
// or not allowed to the caller ([ErrAccessDenied]); a dry-run GenerateMac
// checks the permission to use it. A misconfigured service stops at start,
// never refuses requests one by one. The keys are those of the root in
// memory, so processes holding the root and processes using KMS verify each
// other's tokens, and the fingerprint is the same either way.
//
// # How it works
//
// Every window key is HKDF-SHA256 of the root (SPEC.md §3), which splits
// into HKDF-Extract, done once, and HKDF-Expand, done per window. KMS holds
// the root's PRK, HKDF-Extract(salt = 32 zero bytes, root), as the key
// material of an HMAC_256 key (key usage GENERATE_VERIFY_MAC), which KMS
// never releases; a window key is then one GenerateMac call with
// HMAC_SHA_256 for HS256 and EdDSA seeds (two for HS384 and HS512) ([New],
// [Expander.Expand]). An [Expander] implements
// [rotation.Expander].
//
// # Cost and latency
//
// The Deriver derives each window's key in the background, as soon as the
// window before it starts,
// and never calls KMS on a request: a token costs no KMS call to sign or to
// verify. An instance makes one GenerateMac call per window per purpose and
// algorithm (two for HS384 and HS512), plus DescribeKey and a dry-run
// GenerateMac at start (and one call per [rotation.Root.Fingerprint]): with
// 10-minute windows, 144 calls a day for one Deriver, whatever the traffic. BENCHMARKS.md compares this with signing
// every token with a KMS asymmetric key.
//
// # When KMS fails
//
// Each GenerateMac call is retried by the client's retryer (the SDK's
// standard retryer retries throttling, 5xx answers and network errors with
// jittered exponential backoff), within [rotation.WithDeriveTimeout]; a
// derivation that still fails is retried by the Deriver with its own
// backoff, logged, for as long as the prefetch lead lasts. Keys already
// derived keep serving: with the default lead an outage shorter than a
// window refuses nothing. A longer one refuses tokens of the windows it
// could not derive, at once, with [rotation.ErrKeyUnavailable] (reason
// "signing key unavailable", code key_unavailable), and the Deriver
// recovers by itself when KMS answers again. Errors name the key by the
// id, ARN or alias given to New and quote AWS's error code; they never
// contain a credential or key material.
//
// # Getting a root into KMS
//
// The command jwtrot-awskms (in cmd/jwtrot-awskms) does both, with the
// credentials and region of the SDK's usual chain.
//
// A new deployment: let KMS generate the root, where it is born and stays.
// Tokens signed with it can only be verified by processes using that key.
//
//  1. jwtrot-awskms create -alias alias/jwtrot-main prints the key's ARN
//     and the root's fingerprint ([CreateKey]).
//  2. Add the service's statements to the key policy
//     (jwtrot-awskms policy -role-arn ARN prints them, below).
//  3. Configure the service with New over that alias, and compare the
//     fingerprint it logs with the one printed.
//
// An existing deployment: import the root's PRK, so that tokens issued
// before the move keep verifying.
//
//  1. jwtrot-awskms import -root-file /path/to/root -alias alias/jwtrot-main
//     creates an HMAC_256 key with origin EXTERNAL, wraps the PRK with
//     RSAES_OAEP_SHA_256 under an RSA_4096 wrapping key from
//     GetParametersForImport, imports it (ImportKeyMaterial,
//     KEY_MATERIAL_DOES_NOT_EXPIRE), and checks that the key's fingerprint
//     equals the file's ([ImportKey]). With -key-id it imports into a key
//     created beforehand (by Terraform, say) with origin EXTERNAL.
//  2. Switch the services, one at a time, from RootFromFile to
//     NewExternalRoot over New; a mixed fleet verifies itself.
//  3. Destroy every other copy of the root: the file, the secret store's
//     versions, backups. Until then KMS protects nothing.
//
// # The key policy a service needs
//
// kms:DescribeKey (checked by New) and kms:GenerateMac, and nothing else:
// not kms:VerifyMac, not kms:Encrypt, never kms:ImportKeyMaterial,
// kms:ScheduleKeyDeletion or kms:DisableKey, which belong to the
// administrators who provision the key.
//
//	{
//	  "Sid": "JwtrotServiceChecksTheKey",
//	  "Effect": "Allow",
//	  "Principal": {"AWS": "arn:aws:iam::111122223333:role/api"},
//	  "Action": "kms:DescribeKey",
//	  "Resource": "*"
//	},
//	{
//	  "Sid": "JwtrotServiceDerivesWindowKeys",
//	  "Effect": "Allow",
//	  "Principal": {"AWS": "arn:aws:iam::111122223333:role/api"},
//	  "Action": "kms:GenerateMac",
//	  "Resource": "*",
//	  "Condition": {"StringEquals": {"kms:MacAlgorithm": "HMAC_SHA_256"}}
//	}
//
// Anyone holding that role can derive every window key of the root, past
// and future, for as long as the role lasts: it is the root's equivalent in
// IAM. SECURITY.md tells what to do when it is stolen.
//
// # Rotation
//
// AWS's automatic key rotation does not apply to HMAC keys (KMS supports it
// for symmetric encryption keys only), and jwtrot does not need it: the
// windows give a new signing key every window, and a new root is rolled in
// by hand as a second root (the rotation package's guide, "Rotating
// roots"), a new KMS key with its own alias. Do not point an alias at
// another key under a running service: New resolves the alias once and uses
// the key's ARN, so a moved alias takes effect only at the next start, and
// then every token signed under the old key is refused.
package jwtrotawskms
