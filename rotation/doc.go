// Package rotation derives the key of every time window (an HMAC key, or an
// Ed25519 key pair) from a long-lived root secret, so that every instance of a service computes the same key at
// the same time without talking to any other.
//
// # Roots, windows and keys
//
// A [Root] is a random secret of at least 32 bytes, shared by every instance
// (load one with [RootFromFile] or [RootFromEnv]). Time is cut into windows of
// a fixed whole number of seconds counted from the Unix epoch; a [Schedule]
// gives the [Window] of an instant ([Schedule.WindowAt]). The key of a
// window is
//
//	HKDF-SHA256(root, salt = "", info = label || alg || purpose || length || index)
//
// named in a JWT's "kid" header by [KeyID]:
// "main:2946104" is window 2946104 of the root "main". SPEC.md in the
// repository states all of it byte by byte, with test vectors.
//
// # The Deriver
//
// A [Deriver] fixes the algorithm, the purpose, the window length and the
// allowed clock skew, and holds one or more roots: the first issues, all
// verify. [Deriver.SigningKey] gives the key to sign with now and
// [Deriver.KeyAt] the key of a root's window; [Schedule.Position] refuses a
// kid's window, before any derivation, unless it is the previous, the
// current, or (within the skew of its start) the next one. Keys are derived
// once per window and cached; a cache hit takes no lock and does not
// allocate.
//
// With [EdDSA] the window key is an Ed25519 key pair whose seed is the
// derived key: [Key.Public] is its [PublicKey], which verifies and cannot
// sign, for verifiers that must not hold the root. Such a verifier follows
// the same windows with a [Schedule] of its own ([NewSchedule]).
//
// Most programs use package jwtrot, which signs and verifies JWTs with these
// keys, and never call this package beyond building a Deriver.
//
// # Keyrings: roots that succeed each other with no restart
//
// A deployment that replaces its roots (routinely, or after a leak) keeps
// them in a [Keyring]: one document, the same on every instance, that lists
// each root with the instant from which it issues, optionally the instant
// from which its tokens are refused, or that it is revoked, and the
// parameters every instance shares (algorithm, window, skew, maximum age,
// issuer, purposes; a [Fleet]). [NewKeyringDeriver] reads it from a
// [KeyringSource] ([KeyringFile] for a mounted secret, or a function) and
// reads it again every reload interval: one edit, made ahead of time
// anywhere, switches every instance at the instant written in it;
// revoking a root refuses its tokens from each instance's next reading. A
// bad edit is refused whole and the last good keyring stays in use, with a
// log line and a [KeyringEvent]. SPEC.md §11 states the document and the
// rules, with vectors.
//
// # Roots held in a security module
//
// A root in memory ([NewRoot], [RootFromFile]) is exposed to anything that
// can read the process's memory. [NewExternalRoot] instead takes an
// [Expander], something that computes HKDF-Expand under the root's PRK
// without revealing it: a hardware or cloud security module
// (github.com/jwtrot/jwtrot/extra/jwtrotpkcs11 for PKCS#11). The keys are
// the very keys the root in memory gives (SPEC.md §8), so a fleet can move
// one instance at a time, and [Root.Fingerprint] shows which root a process
// runs with, either way. Use it when a memory dump, a core file or a
// debugger on a production host is a credible threat; the cost is a module
// to run and a few tens of microseconds per window key, off the request
// path.
//
// A Deriver over an external root never calls the module on a request.
// [NewDeriver] derives the previous, current and next windows' keys first
// (failing if the module does not answer, so a wrong PIN or label stops the
// start), then a goroutine derives each next window's key ahead of its start
// (as soon as the current window starts) and
// retries with exponential backoff when the module fails, logging why
// ([WithLogger]). Meanwhile the keys already derived keep serving. A window
// whose key is still missing when it is needed is refused at once with
// [ErrKeyUnavailable]: fail closed, never wait. Close the Deriver
// ([Deriver.Close]) to stop the goroutine; for roots in memory Close does
// nothing and nothing runs in the background.
//
// # Rotating roots
//
// Roots change rarely and by hand. To introduce a new root, deploy it
// everywhere as a second (verifying) root, then move it first. To kill every
// token under a leaked root, remove that root: nothing derived from it is
// accepted any more. This is the shape of TLS session-ticket keys
// (tls.Config.SetSessionTicketKeys) and Django's SECRET_KEY_FALLBACKS.
package rotation
