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
// A service that verifies with the issuer's JWKS also passes
// [Observer.FetchObserver] to jwks.WithObserver, and, when its middleware
// has the issuer re-sign tokens (httpauth.WithIssuerRefresh),
// [Observer.ObserveIssuerRefresh] to httpauth.WithRefreshObserver, so that
// jwtrot_resigned_total counts those re-signs as it counts an Authority's.
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
//   - jwtrot_jwks_fetches_total{purpose, cause, result}: cause "start",
//     "schedule", "retry", "miss" or "other"; result "changed",
//     "unchanged" or "error".
//   - jwtrot_jwks_fetch_duration_seconds{purpose}, a histogram.
//   - jwtrot_jwks_document_age_seconds{purpose}: since the issuer last
//     confirmed the document served.
//   - jwtrot_jwks_keys{purpose} and jwtrot_jwks_stale{purpose} (1 while
//     fetches fail and the last good document serves).
//   - jwtrot_issuer_refreshes_total{purpose, result}: "resigned",
//     "unneeded" or "failed".
//
// Labels are of bounded cardinality: nothing is labelled by subject, jti,
// token or window index; no label value is empty ("none" stands for no
// root); codes are jwtrot.Codes and "other"; purposes and roots come from
// the configuration, at most [MaxPurposes] and [MaxRoots] of them before
// further ones count as "other".
//
// # Dashboard and alerts
//
// The module ships a Grafana dashboard (dashboards/jwtrot.json) and
// Prometheus alert rules with their promtool unit tests
// (alerts/jwtrot.rules.yml, alerts/jwtrot.rules_test.yml); README.md beside
// this file describes them.
package jwtrotprom
