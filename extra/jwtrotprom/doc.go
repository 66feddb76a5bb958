// Package jwtrotprom counts jwtrot's verifications in Prometheus metrics,
// so that an operator can see without reading logs how many tokens were
// accepted and refused and why, how many were re-signed, which arrived from
// the next window or the previous one, and whether the revocation store or
// the root's module is failing.
//
// # Use
//
//	obs, err := jwtrotprom.New(prometheus.DefaultRegisterer)
//	auth, err := jwtrot.New(d, jwtrot.WithObserver(obs.Observe))
//	err = obs.ObserveRoots(ctx, d.Purpose(), roots) // jwtrot_root_info
//
// It is a module of its own (github.com/jwtrot/jwtrot/extra/jwtrotprom), so
// the jwtrot library never requires client_golang.
//
// # Metrics
//
//   - jwtrot_verifications_total{result, code, position, purpose, root}:
//     result is "accepted" or "refused"; code is jwtrot.Code of the
//     refusal ("none" when accepted; the table is in package jwtrot's guide
//     and SPEC.md); position is "previous", "current" or "next" for an
//     accepted token, "none" for a refusal.
//   - jwtrot_resigned_total{purpose, root}
//   - jwtrot_verification_duration_seconds{result, purpose}, a histogram.
//   - jwtrot_store_checks_total{result, purpose}: revocation store and use
//     counter checks, "ok" or "error".
//   - jwtrot_key_source_failures_total{purpose, root}
//   - jwtrot_root_info{purpose, root, fingerprint, position}: 1 per root.
//
// Labels are of bounded cardinality: nothing is labelled by subject, jti,
// token or window index. README.md beside this file gives alert rules for
// the fleet's health.
package jwtrotprom
