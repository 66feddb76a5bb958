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
//
// Nothing is recorded by subject, jti, token or window index. The reason
// codes are listed in package jwtrot's guide and SPEC.md §6.1; the alert
// rules in extra/jwtrotprom/README.md read the same with these names.
package jwtrototel
