package rotation

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// minRootSize is the smallest root secret accepted, in bytes. RFC 7518 §3.2
// requires an HMAC key at least as long as the hash output; the root feeds
// every window key, so it is held to the strictest case, SHA-256's 32 bytes.
const minRootSize = 32

// maxRootSize bounds what a root loader reads and keeps.
const maxRootSize = 1024

// maxRootIDLen bounds a root identifier; it appears in every token's kid.
const maxRootIDLen = 16

// Errors returned when a root secret is refused. Their messages say what is
// wrong and never contain the secret or any part of it; no caller needs to
// tell them apart, so they are not exported.
var (
	errRootTooShort   = errors.New("rotation: root secret shorter than 32 bytes")
	errRootTooLong    = errors.New("rotation: root secret longer than 1024 bytes")
	errRootDegenerate = errors.New("rotation: root secret has every byte equal")
	errRootEncoding   = errors.New("rotation: root secret is neither hex nor base64")
	errRootID         = errors.New("rotation: root id must be 1 to 16 characters of [A-Za-z0-9_-]")
)

// A Root is a long-lived secret from which window keys are derived. The root
// itself never signs anything. Its ID names it in every key id, so a verifier
// holding several roots knows which one to derive from.
//
// A Root redacts itself when printed or logged, by pointer or by value.
type Root struct {
	id     string
	secret *material // nil for a root held elsewhere
	ext    Expander  // nil for a root held in memory; see NewExternalRoot
}

// NewRoot returns a root named id holding a copy of secret. It refuses secrets
// shorter than 32 bytes and secrets whose bytes are all equal.
func NewRoot(id string, secret []byte) (*Root, error) {
	if !validRootID(id) {
		return nil, errRootID
	}
	switch {
	case len(secret) < minRootSize:
		return nil, errRootTooShort
	case len(secret) > maxRootSize:
		return nil, errRootTooLong
	case degenerate(secret):
		return nil, errRootDegenerate
	}
	return &Root{id: id, secret: &material{b: append([]byte(nil), secret...)}}, nil
}

// ParseRoot decodes a root from text, as a secret store hands one over (SPEC
// §1). Leading and trailing white space (spaces, tabs, line breaks) is
// ignored; the rest must be one of:
//
//   - hex, either case, an even number of digits: text made only of hex
//     digits is always read as hex;
//   - base64, standard or URL alphabet, padded or not (canonical).
//
// Text that could be read two ways, or that a person most likely typed by
// mistake, is refused with an error that says what it saw, never what it
// read: an odd number of hex digits (a digit lost in a copy), a "0x"
// prefix, line breaks inside (xxd -p wraps its output: use xxd -p -c 64),
// characters neither encoding uses, or base64 that decodes to fewer than
// 32 bytes (a password is not a root: make one with
// "openssl rand -hex 32").
func ParseRoot(id string, text []byte) (*Root, error) {
	secret, err := decodeRootText(text)
	if err != nil {
		return nil, err
	}
	defer clear(secret)
	return NewRoot(id, secret)
}

// RootFromEnv reads the root from the environment variable name, in any
// encoding [ParseRoot] accepts. Its errors do not repeat name, in case a
// secret was passed where a variable's name belongs: the caller knows which
// variable it meant and may say so.
func RootFromEnv(id, name string) (*Root, error) {
	text, ok := os.LookupEnv(name)
	if !ok || text == "" {
		return nil, errRootEnvUnset
	}
	r, err := ParseRoot(id, []byte(text))
	if err != nil {
		return nil, &sourceError{source: "root from the environment", err: err}
	}
	return r, nil
}

// RootFromFile reads the root from the file at path, in any encoding
// [ParseRoot] accepts: the shape of a mounted Kubernetes secret or a file
// rendered by a Vault agent. Its errors say why the file could not be read
// ("no such file or directory", "permission denied") without repeating
// path, in case a secret was passed where a path belongs.
func RootFromFile(id, path string) (*Root, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &sourceError{source: "root file", err: fileError(err)}
	}
	defer f.Close()
	buf := make([]byte, 4*maxRootSize+2)
	n, err := io.ReadFull(f, buf)
	defer clear(buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, &sourceError{source: "root file", err: fileError(err)}
	}
	if n == len(buf) {
		return nil, &sourceError{source: "root file", err: errRootTooLong}
	}
	r, err := ParseRoot(id, buf[:n])
	if err != nil {
		return nil, &sourceError{source: "root file", err: err}
	}
	return r, nil
}

// errRootEnvUnset is returned by RootFromEnv for a variable that is not set.
var errRootEnvUnset = errors.New("rotation: root from the environment: the variable is not set or is empty (its name is not repeated here, in case a secret was passed instead of a name)")

// fileError keeps what went wrong opening or reading a file and drops the
// path, which a *fs.PathError would print.
func fileError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("cannot %s it: %w", pe.Op, pe.Err)
	}
	return err
}

// A sourceError says where a root was being loaded from. Its message keeps
// one "rotation:" prefix.
type sourceError struct {
	source string
	err    error
}

func (e *sourceError) Error() string {
	return "rotation: " + e.source + ": " + strings.TrimPrefix(e.err.Error(), "rotation: ")
}

func (e *sourceError) Unwrap() error { return e.err }

// ID returns the root's identifier.
func (r *Root) ID() string { return r.id }

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

// decodeRootText applies SPEC §1's rules to a root's text. Its errors
// describe the text (its length, the kind of characters) and never quote it.
func decodeRootText(text []byte) ([]byte, error) {
	s := strings.Trim(string(text), " \t\r\n")
	switch {
	case len(s) > 4*maxRootSize:
		return nil, errRootTooLong
	case s == "":
		return nil, fmt.Errorf("%w: the text is empty", errRootEncoding)
	case strings.HasPrefix(s, "\ufeff"):
		return nil, fmt.Errorf("%w: the text starts with a byte-order mark (an editor added it); save the file without one", errRootEncoding)
	case len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0]:
		return nil, fmt.Errorf("%w: the text is in quotes; remove them", errRootEncoding)
	case strings.ContainsAny(s, "\r\n"):
		return nil, fmt.Errorf("%w: the text has line breaks inside (xxd -p wraps its output; use xxd -p -c 64, or join the lines)", errRootEncoding)
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isHex(s[2:]):
		return nil, fmt.Errorf("%w: the text starts with a 0x prefix; remove it", errRootEncoding)
	case isHex(s) && len(s)%2 == 1:
		return nil, fmt.Errorf("%w: the text is an odd number (%d) of hex digits; a digit was lost or added", errRootEncoding, len(s))
	case isHex(s):
		return hex.DecodeString(s)
	}
	for i := 0; i < len(s); i++ {
		if !isBase64Char(s[i]) {
			return nil, fmt.Errorf("%w: the text has characters that neither hex nor base64 uses (white space or punctuation); it looks like a password or a passphrase, not a random root: make one with openssl rand -hex 32", errRootEncoding)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.Strict().DecodeString(s); err == nil {
			if len(b) < minRootSize {
				clear(b)
				return nil, fmt.Errorf("%w: the text, read as base64, gives %d bytes; if it is a password, it is not a root: make one with openssl rand -hex 32", errRootTooShort, len(b))
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: the text mixes the two base64 alphabets or is not canonical base64 (length, padding or final character)", errRootEncoding)
}

func isBase64Char(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_' || c == '='
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
