package rotation

import (
	"fmt"
	"log/slog"
)

// Every type of this package that holds a root or a key redacts itself when
// printed with any fmt verb (as a value or a pointer) or logged with
// log/slog: only ids and public parameters show. Format covers every verb,
// %#v included: fmt prefers a Formatter to a GoStringer.

// material holds secret bytes behind a pointer. fmt bypasses every method
// of a value in some paths (a verb that does not fit, such as %p on a
// struct, prints the struct field by field), and then prints a pointer
// field as an address: a Root or Key value copied anywhere shows no secret.
type material struct{ b []byte }

// String returns the root's id and hides the secret.
func (r Root) String() string { return "rotation.Root{id: " + r.id + ", secret: REDACTED}" }

// Format hides the secret from every fmt verb.
func (r Root) Format(f fmt.State, _ rune) { fmt.Fprint(f, r.String()) }

// LogValue hides the secret from log/slog.
func (r Root) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", r.id), slog.String("secret", "REDACTED"))
}

// String returns the key id and hides the key.
func (k Key) String() string { return "rotation.Key{kid: " + k.id + ", key: REDACTED}" }

// Format hides the key from every fmt verb.
func (k Key) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// LogValue hides the key from log/slog.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kid", k.id), slog.String("key", "REDACTED"))
}

// String describes the Deriver by its public parameters: the root ids, the
// algorithm, the purpose, the window length and the skew. It hides the roots.
func (d Deriver) String() string {
	return fmt.Sprintf("rotation.Deriver{roots: %v, alg: %v, purpose: %s, window: %v, skew: %v}", d.Roots(), d.alg, d.purpose, d.sched.length, d.sched.skew)
}

// Format hides the roots from every fmt verb.
func (d Deriver) Format(f fmt.State, _ rune) { fmt.Fprint(f, d.String()) }

// LogValue hides the roots from log/slog.
func (d Deriver) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("roots", d.Roots()), slog.String("alg", d.alg.String()),
		slog.String("purpose", d.purpose), slog.Duration("window", d.sched.length), slog.Duration("skew", d.sched.skew))
}

var (
	_ fmt.Stringer   = Root{}
	_ fmt.Formatter  = Root{}
	_ slog.LogValuer = Root{}
	_ fmt.Stringer   = Key{}
	_ fmt.Formatter  = Key{}
	_ slog.LogValuer = Key{}
	_ fmt.Stringer   = Deriver{}
	_ fmt.Formatter  = Deriver{}
	_ slog.LogValuer = Deriver{}
)
