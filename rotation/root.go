package rotation

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// MinRootSize is the smallest root secret accepted, in bytes. RFC 7518 §3.2
// requires an HMAC key at least as long as the hash output; the root feeds
// every window key, so it is held to the strictest case, SHA-256's 32 bytes.
const MinRootSize = 32

// maxRootSize bounds what a root loader reads and keeps.
const maxRootSize = 1024

// maxRootIDLen bounds a root identifier; it appears in every token's kid.
const maxRootIDLen = 16

// Errors returned when a root secret is refused. Their messages never contain
// the secret or any part of it.
var (
	ErrRootTooShort   = errors.New("rotation: root secret shorter than 32 bytes")
	ErrRootTooLong    = errors.New("rotation: root secret longer than 1024 bytes")
	ErrRootDegenerate = errors.New("rotation: root secret has every byte equal")
	ErrRootEncoding   = errors.New("rotation: root secret is neither hex nor base64")
	ErrRootID         = errors.New("rotation: root id must be 1 to 16 characters of [A-Za-z0-9_-]")
)

// A Root is a long-lived secret from which window keys are derived. The root
// itself never signs anything. Its ID names it in every key id, so a verifier
// holding several roots knows which one to derive from.
//
// A Root redacts itself when printed or logged, by pointer or by value.
type Root struct {
	id     string
	secret []byte   // nil for a root held elsewhere
	ext    Expander // nil for a root held in memory; see NewExternalRoot
}

// NewRoot returns a root named id holding a copy of secret. It refuses secrets
// shorter than [MinRootSize] bytes and secrets whose bytes are all equal.
func NewRoot(id string, secret []byte) (*Root, error) {
	if !validRootID(id) {
		return nil, ErrRootID
	}
	switch {
	case len(secret) < MinRootSize:
		return nil, ErrRootTooShort
	case len(secret) > maxRootSize:
		return nil, ErrRootTooLong
	case degenerate(secret):
		return nil, ErrRootDegenerate
	}
	return &Root{id: id, secret: append([]byte(nil), secret...)}, nil
}

// ParseRoot decodes a root from text, as a secret store hands one over: hex
// (either case) or base64 (standard or URL alphabet, padded or not), with
// surrounding spaces and one trailing newline ignored. Hex is tried first, so
// text made only of an even number of hex digits is read as hex.
func ParseRoot(id string, text []byte) (*Root, error) {
	s := strings.TrimSpace(string(text))
	if len(s) > 4*maxRootSize {
		return nil, ErrRootTooLong
	}
	secret, err := decodeSecret(s)
	if err != nil {
		return nil, err
	}
	defer clear(secret)
	return NewRoot(id, secret)
}

// RootFromEnv reads the root from the environment variable name, in any
// encoding [ParseRoot] accepts.
func RootFromEnv(id, name string) (*Root, error) {
	text, ok := os.LookupEnv(name)
	if !ok || text == "" {
		return nil, fmt.Errorf("rotation: environment variable %s is not set", name)
	}
	r, err := ParseRoot(id, []byte(text))
	if err != nil {
		return nil, fmt.Errorf("environment variable %s: %w", name, err)
	}
	return r, nil
}

// RootFromFile reads the root from the file at path, in any encoding
// [ParseRoot] accepts: the shape of a mounted Kubernetes secret or a file
// rendered by a Vault agent.
func RootFromFile(id, path string) (*Root, error) {
	f, err := os.Open(path)
	if err != nil {
		// The *PathError names the path and the cause, never the content.
		return nil, fmt.Errorf("rotation: reading root: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 4*maxRootSize+2)
	n, err := io.ReadFull(f, buf)
	defer clear(buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("rotation: reading root from %s: %w", path, err)
	}
	if n == len(buf) {
		return nil, fmt.Errorf("file %s: %w", path, ErrRootTooLong)
	}
	r, err := ParseRoot(id, buf[:n])
	if err != nil {
		return nil, fmt.Errorf("file %s: %w", path, err)
	}
	return r, nil
}

// ID returns the root's identifier.
func (r *Root) ID() string { return r.id }

// String returns the root's id and hides the secret.
func (r Root) String() string { return "rotation.Root{id: " + r.id + ", secret: REDACTED}" }

// GoString hides the secret from %#v.
func (r Root) GoString() string { return r.String() }

// Format hides the secret from every fmt verb.
func (r Root) Format(f fmt.State, _ rune) { fmt.Fprint(f, r.String()) }

// LogValue hides the secret from log/slog.
func (r Root) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", r.id), slog.String("secret", "REDACTED"))
}

var (
	_ fmt.Stringer   = Root{}
	_ fmt.GoStringer = Root{}
	_ fmt.Formatter  = Root{}
	_ slog.LogValuer = Root{}
)

func validRootID(id string) bool {
	if len(id) == 0 || len(id) > maxRootIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func degenerate(b []byte) bool {
	for _, c := range b[1:] {
		if c != b[0] {
			return false
		}
	}
	return true
}

func decodeSecret(s string) ([]byte, error) {
	if len(s)%2 == 0 && isHex(s) {
		return hex.DecodeString(s)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.Strict().DecodeString(s); err == nil && !strings.ContainsAny(s, "\r\n") {
			return b, nil
		}
	}
	return nil, ErrRootEncoding
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
