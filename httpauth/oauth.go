package httpauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
)

// The refusals a [Clients] returns to [NewClientCredentialsHandler], each
// answered with its RFC 6749 §5.2 error code. Any other error is the
// application's failure (a store that is down) and is answered 500
// server_error, its text not shown.
var (
	// ErrInvalidClient: the client is unknown, or its secret is wrong
	// (401 invalid_client). Do not say which.
	ErrInvalidClient = errors.New("httpauth: invalid_client")
	// ErrUnauthorizedClient: the client is known but may not use the
	// client_credentials grant (400 unauthorized_client).
	ErrUnauthorizedClient = errors.New("httpauth: unauthorized_client")
	// ErrInvalidScope: the client asked for a scope it may not have
	// (400 invalid_scope).
	ErrInvalidScope = errors.New("httpauth: invalid_scope")
	// ErrInvalidGrant: the grant is refused for another reason the
	// application knows of, such as a client whose credentials were
	// suspended (400 invalid_grant).
	ErrInvalidGrant = errors.New("httpauth: invalid_grant")
)

// Clients is the application's side of an OAuth 2.0 token endpoint
// ([NewClientCredentialsHandler]): who a client is, and what it may get.
// [ClientSecrets] is one for a fixed set of clients; an application with a
// database of clients implements it over that. Implementations must be
// safe for concurrent use.
type Clients interface {
	// AuthenticateClient checks a client's credentials, as sent (decoded
	// from the form-urlencoding of RFC 6749 §2.3.1): nil if secret is
	// id's, [ErrInvalidClient] if not or if id is unknown. Compare
	// secrets in constant time ([SecretsEqual]).
	AuthenticateClient(ctx context.Context, id, secret string) error
	// Grant decides what an authenticated client gets: the scopes it
	// asked for are in req.Scopes (none: the client's default, RFC 6749
	// §3.3). It returns an error from the Err variables above to refuse.
	Grant(ctx context.Context, req ClientRequest) (Grant, error)
}

// A ClientRequest is an authenticated client's token request.
type ClientRequest struct {
	// ClientID is the authenticated client's id.
	ClientID string
	// Scopes are the scopes requested, in order, without duplicates; nil
	// when the request names none.
	Scopes []string
	// Form holds the request's other parameters (an RFC 8707 resource,
	// say), for an application that reads them; never the secret.
	Form url.Values
	// Request is the HTTP request, for what else authenticates the
	// client (a mutual TLS certificate, its address). Do not read its
	// body: the endpoint did.
	Request *http.Request
}

// A Grant is what a client gets: the claims of its token.
type Grant struct {
	// Scopes are the scopes granted: the token's scope claim and the
	// response's scope. They may be fewer than requested (RFC 6749 §3.3).
	Scopes []string
	// Audience is the token's aud; empty: the Authority's WithAudience,
	// if any.
	Audience []string
	// Subject is the token's sub; "" gives the client's id.
	Subject string
	// Claims are further claims. They must not name the claims the
	// endpoint or the Authority set (sub, aud, scope, client_id, iss, iat,
	// exp, nbf, jti).
	Claims map[string]any
}

// reservedClaims are the claims a Grant's Claims may not set.
var reservedClaims = []string{"sub", "aud", "scope", "client_id", "iss", "iat", "exp", "nbf", "jti"}

// maxFormRequest bounds a client credentials request's body.
const maxFormRequest = 16 << 10

// NewClientCredentialsHandler returns an OAuth 2.0 token endpoint for the
// client credentials grant (RFC 6749 §4.4), so that standard clients
// (golang.org/x/oauth2/clientcredentials, Python's requests-oauthlib or
// authlib, Spring Security, Node's openid-client) get jwtrot tokens, which
// every verifier of the Authority accepts.
//
// A request is a POST of application/x-www-form-urlencoded parameters (at
// most 16 KiB) with grant_type=client_credentials and an optional scope.
// The client authenticates with HTTP Basic, its id and secret each
// form-urlencoded first (RFC 6749 §2.3.1), or with the client_id and
// client_secret parameters; not both. clients authenticates it and decides
// its [Grant]; the token's claims are then sub (the client's id unless the
// Grant says otherwise), client_id, scope (space-separated, RFC 8693
// §4.2), aud, the Grant's Claims, and what Sign adds (iat, exp, jti, iss).
//
// The answer is RFC 6749 §5.1's JSON, access_token, token_type "Bearer",
// expires_in and scope; a refusal is §5.2's, error and error_description:
// invalid_request (400), invalid_client (401, with a WWW-Authenticate:
// Basic challenge naming the realm), unauthorized_client, invalid_grant,
// invalid_scope, unsupported_grant_type (400); 405 for another method; 503
// temporarily_unavailable with Retry-After when the signing key cannot be
// had. Every answer has Cache-Control: no-store and Pragma: no-cache. No
// answer holds a secret or a client id.
//
// opts takes [WithRealm] (the Basic challenge's realm, default "api")
// only. The endpoint limits no rate: guess-the-secret attempts are for the
// server in front of it, or for clients, to slow down.
func NewClientCredentialsHandler(a *jwtrot.Authority, clients Clients, opts ...Option) (http.Handler, error) {
	switch {
	case a == nil:
		return nil, errors.New("httpauth: nil Authority")
	case clients == nil:
		return nil, errors.New("httpauth: NewClientCredentialsHandler needs Clients to authenticate clients and decide their grants (httpauth.NewClientSecrets for a fixed set)")
	}
	m, err := New(a, opts...)
	if err != nil {
		return nil, err
	}
	if def, _ := New(a, WithRealm(m.realm)); !sameConfig(m, def) {
		return nil, errors.New("httpauth: NewClientCredentialsHandler takes WithRealm only; the other options configure a Middleware")
	}
	return &tokenEndpoint{a: a, clients: clients, challenge: `Basic realm="` + m.realm + `", charset="UTF-8"`}, nil
}

// sameConfig reports whether two middlewares built from the same verifier
// were configured alike, as far as options can tell.
func sameConfig(m, n *Middleware) bool {
	return m.realm == n.realm && m.header == n.header && (m.cookie == nil) == (n.cookie == nil) &&
		m.jsonBody == n.jsonBody && m.preflight == n.preflight && m.scoped == n.scoped && m.refresher == nil &&
		!m.sourcesSet && !m.writeRefusalSet && !m.refreshObserverSet
}

type tokenEndpoint struct {
	a         *jwtrot.Authority
	clients   Clients
	challenge string
}

// An oauthError is a §5.2 refusal.
type oauthError struct {
	status      int
	code        string
	description string
	challenge   bool // 401 with the Basic challenge
}

func (t *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	resp, oe := t.serve(r)
	if oe != nil {
		if oe.challenge {
			h.Set("WWW-Authenticate", t.challenge)
		}
		if oe.status == http.StatusMethodNotAllowed {
			h.Set("Allow", "POST")
		}
		if oe.status == http.StatusServiceUnavailable {
			h.Set("Retry-After", "1")
		}
		jsonError(w, oe.status, oe.code, oe.description)
		return
	}
	h.Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// tokenResponse is RFC 6749 §5.1's answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

func badRequest(code, description string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: code, description: description}
}

func (t *tokenEndpoint) serve(r *http.Request) (*tokenResponse, *oauthError) {
	if r.Method != http.MethodPost {
		return nil, &oauthError{status: http.StatusMethodNotAllowed, code: "invalid_request", description: "the token endpoint takes POST"}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, badRequest("invalid_request", "the body must be application/x-www-form-urlencoded")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxFormRequest+1))
	if err != nil {
		return nil, badRequest("invalid_request", "the body could not be read")
	}
	if len(body) > maxFormRequest {
		return nil, &oauthError{status: http.StatusRequestEntityTooLarge, code: "invalid_request", description: "the body is over 16 KiB"}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, badRequest("invalid_request", "the body is not form-urlencoded")
	}
	for name, vs := range form { // RFC 6749 §3.2: no parameter more than once
		if len(vs) > 1 && name != "resource" { // RFC 8707 allows several resources
			return nil, badRequest("invalid_request", "a parameter is repeated")
		}
	}
	switch gt := form.Get("grant_type"); {
	case gt == "":
		return nil, badRequest("invalid_request", "grant_type is missing")
	case gt != "client_credentials":
		return nil, badRequest("unsupported_grant_type", "only grant_type=client_credentials is supported")
	}
	id, secret, oe := clientCredentials(r, form)
	if oe != nil {
		return nil, oe
	}
	invalidClient := &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: "client authentication failed", challenge: true}
	if id == "" {
		invalidClient.description = "no client authentication"
		return nil, invalidClient
	}
	ctx := r.Context()
	if err := t.clients.AuthenticateClient(ctx, id, secret); err != nil {
		if errors.Is(err, ErrInvalidClient) {
			return nil, invalidClient
		}
		return nil, clientsFailed(err)
	}
	// Only an authenticated client learns whether its scope is well formed.
	scopes, oe := parseScope(form)
	if oe != nil {
		return nil, oe
	}
	for _, name := range []string{"grant_type", "scope", "client_id", "client_secret"} {
		form.Del(name)
	}
	g, err := t.clients.Grant(ctx, ClientRequest{ClientID: id, Scopes: scopes, Form: form, Request: r})
	if err != nil {
		return nil, clientsFailed(err)
	}
	claims, err := grantClaims(id, g)
	if err != nil {
		return nil, &oauthError{status: http.StatusInternalServerError, code: "server_error", description: err.Error()}
	}
	tok, err := t.a.Sign(claims)
	if err != nil {
		if errors.Is(err, jwtrot.ErrKeyUnavailable) {
			return nil, &oauthError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", description: "signing key unavailable"}
		}
		return nil, &oauthError{status: http.StatusInternalServerError, code: "server_error", description: "the grant's claims cannot be signed"}
	}
	life, err := tokenLifetime(tok)
	if err != nil {
		return nil, &oauthError{status: http.StatusInternalServerError, code: "server_error", description: "the token has no exp"}
	}
	return &tokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: max(life, 0),
		Scope: strings.Join(g.Scopes, " ")}, nil
}

// clientsFailed answers an error of Clients.
func clientsFailed(err error) *oauthError {
	switch {
	case errors.Is(err, ErrInvalidClient):
		return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: "client authentication failed", challenge: true}
	case errors.Is(err, ErrUnauthorizedClient):
		return badRequest("unauthorized_client", "the client may not use this grant")
	case errors.Is(err, ErrInvalidScope):
		return badRequest("invalid_scope", "the requested scope is not allowed")
	case errors.Is(err, ErrInvalidGrant):
		return badRequest("invalid_grant", "the grant is refused")
	}
	return &oauthError{status: http.StatusInternalServerError, code: "server_error", description: "the client store failed"}
}

// clientCredentials reads the client's id and secret from HTTP Basic or
// from the form, refusing both at once (RFC 6749 §2.3).
func clientCredentials(r *http.Request, form url.Values) (id, secret string, oe *oauthError) {
	auth := r.Header.Values("Authorization")
	if len(auth) > 1 {
		return "", "", badRequest("invalid_request", "more than one Authorization header")
	}
	if len(auth) == 1 {
		scheme, cred, _ := strings.Cut(auth[0], " ")
		if !strings.EqualFold(scheme, "Basic") {
			return "", "", &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: "client authentication is HTTP Basic or form parameters", challenge: true}
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimLeft(cred, " "))
		u, p, ok := strings.Cut(string(raw), ":")
		if err != nil || !ok {
			return "", "", &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: "malformed Basic credentials", challenge: true}
		}
		// §2.3.1: each is form-urlencoded before Basic's encoding.
		if id, err = url.QueryUnescape(u); err == nil {
			secret, err = url.QueryUnescape(p)
		}
		if err != nil || id == "" {
			return "", "", &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: "malformed Basic credentials", challenge: true}
		}
		if form.Has("client_secret") {
			return "", "", badRequest("invalid_request", "client credentials in both the Authorization header and the body")
		}
		if form.Has("client_id") && form.Get("client_id") != id {
			return "", "", badRequest("invalid_request", "client_id differs from the Basic credentials")
		}
		return id, secret, nil
	}
	id, secret = form.Get("client_id"), form.Get("client_secret")
	if id != "" && !form.Has("client_secret") {
		// §4.4 is for confidential clients: a client_id alone is no
		// authentication.
		return "", "", &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: "no client secret", challenge: true}
	}
	return id, secret, nil
}

// parseScope reads the scope parameter (RFC 6749 §3.3): space-separated
// tokens of NQCHAR, duplicates dropped.
func parseScope(form url.Values) ([]string, *oauthError) {
	var out []string
	for s := range strings.SplitSeq(form.Get("scope"), " ") {
		if s == "" {
			continue
		}
		if !validScope(s) {
			return nil, badRequest("invalid_scope", "a scope has a character RFC 6749 §3.3 does not allow")
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// validScope reports whether s is a scope-token: %x21 / %x23-5B / %x5D-7E.
func validScope(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return s != ""
}

// grantClaims builds the token's claims from a Grant.
func grantClaims(clientID string, g Grant) (jwt.MapClaims, error) {
	c := make(jwt.MapClaims, len(g.Claims)+5)
	for k, v := range g.Claims {
		if slices.Contains(reservedClaims, k) {
			return nil, fmt.Errorf("the grant's Claims set %s, which the endpoint sets", k)
		}
		c[k] = v
	}
	for _, s := range g.Scopes {
		if !validScope(s) {
			return nil, errors.New("the grant has a scope that is not a scope token")
		}
	}
	c["sub"] = clientID
	if g.Subject != "" {
		c["sub"] = g.Subject
	}
	c["client_id"] = clientID
	if len(g.Scopes) > 0 {
		c["scope"] = strings.Join(g.Scopes, " ")
	}
	switch len(g.Audience) {
	case 0:
	case 1:
		c["aud"] = g.Audience[0]
	default:
		c["aud"] = g.Audience
	}
	return c, nil
}

// tokenLifetime reads the exp and iat Sign wrote into a token it has just
// signed: iat is the signing instant (a Grant cannot set it), so exp - iat
// is the expires_in of the answer, to the second.
func tokenLifetime(tok string) (int64, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return 0, errors.New("not a JWT")
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0, err
	}
	var c struct {
		Exp *int64 `json:"exp"`
		Iat *int64 `json:"iat"`
	}
	if err := json.Unmarshal(p, &c); err != nil || c.Exp == nil || c.Iat == nil {
		return 0, errors.New("no exp or iat")
	}
	return *c.Exp - *c.Iat, nil
}
