package httpauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
)

// MinClientSecret is the shortest client secret [NewClientSecrets]
// accepts, in bytes: 128 bits of base64url, or of hex, is more.
const MinClientSecret = 16

// A RegisteredClient is one client of a [ClientSecrets].
type RegisteredClient struct {
	// ID is the client's id (RFC 6749 §2.2).
	ID string
	// Secret is its secret: a long random string, at least
	// [MinClientSecret] bytes. Only its SHA-256 is kept.
	Secret string
	// Scopes are the scopes it may have; a request naming none gets all
	// of them (RFC 6749 §3.3's default).
	Scopes []string
	// Audience is its tokens' aud (empty: the Authority's WithAudience).
	Audience []string
}

// ClientSecrets is [Clients] for a fixed set of clients with secrets, such
// as one read from configuration at start: it keeps each secret's SHA-256,
// compares in constant time whatever the lengths ([SecretsEqual]), and
// answers an unknown id as it answers a wrong secret, after the same work.
// A client gets the scopes it asks for if it may have them all, else
// [ErrInvalidScope].
type ClientSecrets struct {
	clients map[string]client
}

type client struct {
	hash     [sha256.Size]byte
	scopes   []string
	audience []string
}

var _ Clients = (*ClientSecrets)(nil)

// NewClientSecrets returns the Clients of a fixed set. It refuses no
// client at all, an empty or repeated id, a secret shorter than [MinClientSecret] bytes, and a
// scope that is not an RFC 6749 §3.3 scope token.
func NewClientSecrets(clients ...RegisteredClient) (*ClientSecrets, error) {
	if len(clients) == 0 {
		return nil, errors.New("httpauth: NewClientSecrets with no client would refuse every request; give at least one RegisteredClient")
	}
	cs := &ClientSecrets{clients: make(map[string]client, len(clients))}
	for i, c := range clients {
		switch {
		case c.ID == "":
			return nil, fmt.Errorf("httpauth: NewClientSecrets: client %d has no ID", i)
		case len(c.Secret) < MinClientSecret:
			// Name the client by position: an id may be sensitive too.
			return nil, fmt.Errorf("httpauth: NewClientSecrets: client %d's secret is shorter than %d bytes; generate a random one (openssl rand -base64 32)", i, MinClientSecret)
		}
		if _, dup := cs.clients[c.ID]; dup {
			return nil, fmt.Errorf("httpauth: NewClientSecrets: client %d repeats an earlier client's ID", i)
		}
		for _, s := range c.Scopes {
			if !validScope(s) {
				return nil, fmt.Errorf("httpauth: NewClientSecrets: client %d has a scope %q that is not a scope token (RFC 6749 §3.3: no spaces, quotes or backslashes)", i, s)
			}
		}
		cs.clients[c.ID] = client{hash: sha256.Sum256([]byte(c.Secret)), scopes: slices.Clone(c.Scopes), audience: slices.Clone(c.Audience)}
	}
	return cs, nil
}

// unknownClient is compared with when the id is unknown, so an unknown id
// costs what a wrong secret does.
var unknownClient = sha256.Sum256([]byte("httpauth: no such client"))

// AuthenticateClient returns nil if secret is id's, else [ErrInvalidClient].
func (cs *ClientSecrets) AuthenticateClient(_ context.Context, id, secret string) error {
	c, known := cs.clients[id]
	want := c.hash
	if !known {
		want = unknownClient
	}
	got := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !known {
		return ErrInvalidClient
	}
	return nil
}

// Grant gives the client the scopes it asked for, or all of its scopes if
// it asked for none; [ErrInvalidScope] if it asked for one it may not
// have.
func (cs *ClientSecrets) Grant(_ context.Context, req ClientRequest) (Grant, error) {
	c, ok := cs.clients[req.ClientID]
	if !ok {
		return Grant{}, ErrInvalidClient
	}
	scopes := req.Scopes
	if len(scopes) == 0 {
		scopes = c.scopes
	}
	for _, s := range scopes {
		if !slices.Contains(c.scopes, s) {
			return Grant{}, ErrInvalidScope
		}
	}
	return Grant{Scopes: slices.Clone(scopes), Audience: slices.Clone(c.audience)}, nil
}

// SecretsEqual reports whether two secrets are equal, in time that depends
// on neither their contents nor their lengths: it compares their SHA-256
// digests with subtle.ConstantTimeCompare. For a [Clients] implementation
// that keeps secrets (or better, their digests) in its own store.
func SecretsEqual(given, stored string) bool {
	a, b := sha256.Sum256([]byte(given)), sha256.Sum256([]byte(stored))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// String hides the secrets' digests.
func (cs *ClientSecrets) String() string {
	return fmt.Sprintf("httpauth.ClientSecrets{%d clients}", len(cs.clients))
}

// Format hides the secrets' digests from every fmt verb.
func (cs *ClientSecrets) Format(f fmt.State, _ rune) { fmt.Fprint(f, cs.String()) }
