// Package jwtrotpkcs11 keeps a jwtrot root inside a PKCS#11 token (a
// hardware security module, a cloud KMS's PKCS#11 library such as Google's
// kmsp11 or AWS CloudHSM's, a YubiHSM, SoftHSM2), so that the processes that
// sign and verify tokens hold window keys only, never the root.
//
// # Use
//
// Open the token's key with [Open], make it a root with
// [rotation.NewExternalRoot], and build the [rotation.Deriver] as usual:
//
//	m, err := jwtrotpkcs11.Open(jwtrotpkcs11.Config{
//		Library: "/usr/lib/softhsm/libsofthsm2.so",
//		Token:   "jwtrot",
//		Key:     "main",
//		PINFile: "/run/secrets/hsm-pin",
//	})
//	...
//	defer m.Close()
//	root, err := rotation.NewExternalRoot("main", m)
//	d, err := rotation.NewDeriver([]*rotation.Root{root})
//	...
//	defer d.Close()
//	auth, err := jwtrot.New(d)
//
// The PIN is read from a file or an environment variable at each login and
// never kept, printed or put in an error. [Open] refuses a key that is
// extractable or not sensitive.
//
// # How it works
//
// Every window key is HKDF-SHA256 of the root (SPEC.md §3), which splits
// into HKDF-Extract, done once, and HKDF-Expand, done per window. The token
// holds the root's PRK, HKDF-Extract(salt = 32 zero bytes, root), as a
// secret key that is sensitive, never extractable and usable only for
// CKM_SHA256_HMAC; a window key is then one HMAC for HS256 (two for HS384
// and HS512) computed by the token. A [Module]
// implements [rotation.Expander]. The Deriver derives each window's
// key in the background before the window starts and never calls the token
// on a request; see the rotation package's guide for what happens when the
// token is unreachable.
//
// # Getting a root into the token
//
// The command jwtrot-pkcs11 (in cmd/jwtrot-pkcs11) does both, with the same
// -library, -token, -key and -pin-file (or -pin-env) flags.
//
// A new deployment: generate the root inside the token, where it is born
// and stays. Tokens signed with it can only be verified by processes using
// that token (or a clone the token's own backup makes).
//
//  1. Create or pick a token; with SoftHSM2:
//     softhsm2-util --init-token --free --label jwtrot (it asks for the PINs).
//  2. Put the user PIN in a file readable only by the service, such as a
//     mounted secret: /run/secrets/hsm-pin.
//  3. jwtrot-pkcs11 generate -library /usr/lib/softhsm/libsofthsm2.so
//     -token jwtrot -key main -pin-file /run/secrets/hsm-pin
//     prints the new root's fingerprint.
//  4. Configure the service with NewExternalRoot over [Open] of the same
//     Config, and record the fingerprint to compare with what it logs.
//
// An existing deployment: import the root's PRK, so that tokens issued
// before the move keep verifying.
//
//  1. As above, a token and a PIN file.
//  2. jwtrot-pkcs11 import ... -key main -root-file /path/to/root
//     stores the PRK and prints the token's fingerprint and the file's: they
//     must be equal.
//  3. Switch the services, one at a time, from RootFromFile to
//     NewExternalRoot; in-memory and token-held roots derive the same keys,
//     so a mixed fleet verifies itself.
//  4. Destroy every other copy of the root: the file, the secret store's
//     versions, backups. Until then the token protects nothing.
//
// # Limits
//
// A token that is removed and inserted again, or a restarted HSM, needs the
// library to be reloaded: restart the process (keys already derived keep
// serving meanwhile). A token logged out or locked is logged in again on the
// next attempt.
package jwtrotpkcs11
