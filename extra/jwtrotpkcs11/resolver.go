package jwtrotpkcs11

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/jwtrot/jwtrot/rotation"
)

// A Resolver opens the roots a keyring names by reference (SPEC §11.1's
// "ref") in PKCS#11 tokens, for [rotation.WithRootResolver]. A ref is a
// PKCS#11 URI (RFC 7512) with the token's and the key's labels, such as
//
//	pkcs11:token=jwtrot;object=root-2026b
//
// The library and the PIN come from the Resolver's base [Config], never from
// the keyring: the keyring names where a root is, not how to log in. Close
// the Resolver after the Deriver that uses it.
type Resolver struct {
	base Config
	mu   sync.Mutex
	open []*Module
}

// NewResolver returns a Resolver that opens each ref's token and key with
// base's Library, PIN source and Sessions.
func NewResolver(base Config) *Resolver { return &Resolver{base: base} }

// Resolve opens the key a ref names. Its errors name what is wrong with the
// ref or the token, never the PIN.
func (r *Resolver) Resolve(_ context.Context, id, ref string) (rotation.Expander, error) {
	token, key, err := parseRef(ref)
	if err != nil {
		return nil, fmt.Errorf("%w: root %s: %w", ErrConfig, id, err)
	}
	cfg := r.base
	cfg.Token, cfg.Key = token, key
	m, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.open = append(r.open, m)
	r.mu.Unlock()
	return m, nil
}

// Close closes every module the Resolver opened.
func (r *Resolver) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.open {
		m.Close()
	}
	r.open = nil
	return nil
}

// parseRef reads the token and object labels of a PKCS#11 URI; it refuses
// any other attribute, so that a ref cannot carry a PIN (pin-value).
func parseRef(ref string) (token, key string, err error) {
	path, ok := strings.CutPrefix(ref, "pkcs11:")
	if !ok {
		return "", "", fmt.Errorf(`the ref is not a PKCS#11 URI; write pkcs11:token=<token label>;object=<key label>`)
	}
	path, _, _ = strings.Cut(path, "?") // query attributes (module-path, pin-source) are the base Config's
	for _, attr := range strings.Split(path, ";") {
		name, value, _ := strings.Cut(attr, "=")
		v, err := url.PathUnescape(value)
		if err != nil {
			return "", "", fmt.Errorf("the ref's %s is not percent-encoded correctly", name)
		}
		switch name {
		case "token":
			token = v
		case "object":
			key = v
		default:
			return "", "", fmt.Errorf("the ref has an attribute other than token and object; the library and the PIN come from the Resolver's Config")
		}
	}
	if token == "" || key == "" {
		return "", "", fmt.Errorf(`the ref needs both token= and object=, e.g. pkcs11:token=jwtrot;object=root-2026b`)
	}
	return token, key, nil
}
