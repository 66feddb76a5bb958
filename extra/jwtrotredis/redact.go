package jwtrotredis

import (
	"fmt"
	"log/slog"
)

// String describes the Revoker by its key prefix only: its client holds
// the server's credentials, which must never reach a log.
func (r *Revoker) String() string {
	return "jwtrotredis.Revoker(prefix " + fmt.Sprintf("%q", r.prefix) + ")"
}

// GoString is String, for %#v.
func (r *Revoker) GoString() string { return r.String() }

// Format prints String for every verb.
func (r *Revoker) Format(f fmt.State, _ rune) { fmt.Fprint(f, r.String()) }

// LogValue logs the key prefix only.
func (r *Revoker) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", "jwtrotredis.Revoker"), slog.String("prefix", r.prefix))
}

var (
	_ fmt.Stringer   = (*Revoker)(nil)
	_ fmt.GoStringer = (*Revoker)(nil)
	_ fmt.Formatter  = (*Revoker)(nil)
	_ slog.LogValuer = (*Revoker)(nil)
)
