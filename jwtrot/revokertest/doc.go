// Package revokertest checks implementations of [jwtrot.Revoker] and
// [jwtrot.UseCounter], in the spirit of testing/fstest.TestFS: one
// conformance suite that every implementation passes, jwtrot's own
// in-memory [jwtrot.RevocationList], the Redis one in package
// github.com/jwtrot/jwtrot/extra/jwtrotredis, and yours.
//
// # Running the suite
//
// Wrap your implementation in a [Store] (a Revoker with the two writes
// the suite makes) and call [Test] from a test:
//
//	func TestConformance(t *testing.T) {
//		revokertest.Test(t, revokertest.Config{
//			New: func(t *testing.T) revokertest.Store { return newStore(t) },
//		})
//	}
//
// Config.Peer opens a second instance over the same state, as another
// process of a fleet would; with it the suite checks that revocations made
// through one instance are seen by the others within
// Config.Propagation, and races N-use tokens across instances.
//
// # What it checks
//
//   - a fresh store revokes nothing, with or without sub and jti;
//   - RevokeID refuses exactly that jti, RevokeSubject exactly the
//     subject's tokens issued before the instant, to the nanosecond, with
//     a whole-second issue instant counting from the start of its second
//     (SPEC §12.2), and an older instant never lowers a later one;
//   - the instance that revoked refuses the token as soon as the write
//     returns, with its cache warm, two hundred times over;
//   - behind Authorities, the same-second case: sign, log out everywhere,
//     verify (refused), sign again, verify (accepted), twenty times;
//   - subjects and jtis are separate name spaces, and odd names (":",
//     hash-tag braces, NUL, non-ASCII, 600 bytes) do not collide;
//   - concurrent reads and writes (run it with -race);
//   - behind [jwtrot.Authority], revoked tokens are refused with
//     [jwtrot.ErrRevoked] on every instance;
//   - if the store is a UseCounter: a token with a cap of N is accepted
//     exactly N times, also when many goroutines on every instance race on
//     it; a token refused for another reason (bad signature, revoked)
//     consumes no use; a used-up token is refused with [jwtrot.ErrUsedUp];
//   - if Config.Lose is set: after the state is lost, no instance
//     accepts a token issued before the loss (each is refused with
//     [jwtrot.ErrRevocationsLost] or [jwtrot.ErrRevoked]), and a token
//     issued after the instances noticed is accepted at once (SPEC §12.3).
//
// [ListStore] gives a [jwtrot.RevocationList] as a Store, [ListLose] its
// Config.Lose.
package revokertest
