// Package jwtrototel records jwtrot's verifications with OpenTelemetry
// metrics, in the style of OpenTelemetry's semantic conventions: dotted
// lower-case names, units in UCUM, and the refusal reason in error.type.
//
// # Use
//
//	obs, err := jwtrototel.New(otel.GetMeterProvider())
//	auth, err := jwtrot.New(d, jwtrot.WithObserver(obs.Observe))
//
// It is a module of its own (github.com/jwtrot/jwtrot/extra/jwtrototel), so
// the jwtrot library never requires the OpenTelemetry API.
//
// # Instruments
//
//   - jwtrot.verifications {verification}: attributes jwtrot.purpose,
//     jwtrot.root, and error.type (jwtrot.Code of the refusal, such as
//     "expired" or "window_retired") for a refused token or
//     jwtrot.window.position ("previous", "current", "next") for an
//     accepted one.
//   - jwtrot.verification.duration (s), a histogram: jwtrot.purpose and
//     error.type when refused.
//   - jwtrot.resigned {token}: jwtrot.purpose, jwtrot.root.
//   - jwtrot.store.checks {check}: jwtrot.purpose, and error.type
//     "store_error" when the revocation store failed.
//   - jwtrot.key_source.failures {failure}: jwtrot.purpose, jwtrot.root.
//   - jwtrot.jwks.fetches {fetch}: jwtrot.purpose, jwtrot.jwks.cause
//     ("start", "schedule", "retry", "miss", "other") and
//     jwtrot.jwks.result ("changed", "unchanged", "error"), from
//     [Observer.FetchObserver] passed to jwks.WithObserver.
//   - jwtrot.jwks.fetch.duration (s), a histogram; jwtrot.jwks.keys
//     {key} and jwtrot.jwks.stale (1 while fetches fail), gauges; and
//     jwtrot.jwks.document.age (s), observed at collection: since the
//     issuer last confirmed the document served. All by jwtrot.purpose.
//   - jwtrot.issuer.refreshes {call}: jwtrot.purpose and
//     jwtrot.issuer.refresh.result ("resigned", "unneeded", "failed"), from
//     [Observer.ObserveIssuerRefresh] passed to
//     httpauth.WithRefreshObserver; a "resigned" call also counts in
//     jwtrot.resigned, as an Authority's own re-sign does.
//
// Nothing is recorded by subject, jti, token or window index, and no
// attribute is empty: a refusal before any key was chosen has no
// jwtrot.root. Every attribute takes its values from a fixed set: codes
// are jwtrot.Codes and "other"; purposes and roots come from the
// configuration, at most [MaxPurposes] and [MaxRoots] of them before
// further ones count as "other". The reason codes are listed in package
// jwtrot's guide and SPEC.md §6.1; the alert rules and dashboard of
// extra/jwtrotprom read the same with the Prometheus names.
package jwtrototel
