package httpauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/internal/base64url"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// DefaultRefreshTimeout bounds a call to the issuer's refresh handler.
const DefaultRefreshTimeout = time.Second

// WithIssuerRefresh makes a middleware over a [jwtrot.Verifier], which
// cannot re-sign, ask the issuer's [NewRefreshHandler] at refreshURL to
// re-sign each token that verified in the previous window, and hand the
// result back to the client as an [jwtrot.Authority] would (the refresh
// header or the cookie): the client's contract does not change. The call
// is bounded by timeout (0: [DefaultRefreshTimeout]); a failure only means
// no refresh this time, and the request goes on. refreshURL must be https,
// or http to a loopback address. [WithRefreshObserver] tells metrics of
// each call, since the Verifier's own observer sees no re-sign.
//
// [New] probes refreshURL, bounded by the timeout, with a POST that carries
// no token, which a refresh handler answers 401 with a Bearer challenge: a
// URL that answers otherwise (404, 405, a redirect, a 200 from something
// else) is not the issuer's refresh handler, and New refuses it, saying so.
// An issuer that cannot be reached at start, or answers 5xx, is not an
// error: New logs a warning (slog.Default()) and the middleware works,
// without refreshes until the issuer answers.
func WithIssuerRefresh(refreshURL string, timeout time.Duration) Option {
	return func(m *Middleware) { m.refresher = &refresher{url: refreshURL, timeout: timeout} }
}

// refresher asks the issuer to re-sign tokens.
type refresher struct {
	url     string
	timeout time.Duration
	client  *http.Client
	purpose string
	observe func(IssuerRefresh)
}

// An IssuerRefresh is what a [WithRefreshObserver] function learns of one
// call to the issuer's refresh handler. Every field is of low cardinality,
// fit for a metrics label (the extra/jwtrotprom and extra/jwtrototel
// adapters count them as re-signs of the verifier).
type IssuerRefresh struct {
	// Purpose is the verifier's purpose label, RootID the root of the
	// token's key (a root the verifier holds keys of).
	Purpose, RootID string
	// Result is "resigned" (a re-signed token came back and went to the
	// client), "unneeded" (the issuer answered 204: nothing to refresh, its
	// clock being a window ahead of the verifier's) or "failed" (no answer
	// in time, or an answer that was neither).
	Result string
	// Duration is how long the call took.
	Duration time.Duration
}

// WithRefreshObserver sets a function told of every call [WithIssuerRefresh]
// makes, for metrics: with a [jwtrot.Verifier], the verifier's own
// observer never sees a re-sign, since the issuer makes them. It must be
// quick and safe for concurrent use. New refuses it without
// WithIssuerRefresh.
func WithRefreshObserver(f func(IssuerRefresh)) Option {
	return func(m *Middleware) { m.refreshObserver, m.refreshObserverSet = f, true }
}

func (rf *refresher) check(auth TokenVerifier) error {
	if _, ok := auth.(*jwtrot.Authority); ok {
		return errors.New("httpauth: WithIssuerRefresh is for a jwtrot.Verifier; an Authority re-signs tokens itself")
	}
	if rf.timeout < 0 {
		return fmt.Errorf("httpauth: WithIssuerRefresh timeout %v is negative; give 0 for the default", rf.timeout)
	}
	if rf.timeout == 0 {
		rf.timeout = DefaultRefreshTimeout
	}
	u, err := url.Parse(rf.url)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("httpauth: WithIssuerRefresh needs an absolute http(s) URL of the issuer's refresh handler")
	}
	if u.Scheme == "http" {
		if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return errors.New("httpauth: WithIssuerRefresh sends tokens to the issuer: use https (http only to a loopback address)")
		}
	}
	if s, ok := auth.(interface{ Source() jwtrot.KeySource }); ok {
		rf.purpose = s.Source().Info().Purpose
	}
	rf.client = &http.Client{Timeout: rf.timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // a token is never sent on to another place
	}}
	shown := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path} // no query or user information
	return rf.probe(shown.String())
}

// probe checks at start that the URL is a refresh handler: a POST without a
// token must be answered 401 with a Bearer challenge (RFC 6750 §3), as
// [NewRefreshHandler] does. shown is the URL without its query, for the log.
func (rf *refresher) probe(shown string) error {
	ctx, cancel := context.WithTimeout(context.Background(), rf.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rf.url, nil)
	if err != nil {
		return errors.New("httpauth: WithIssuerRefresh: the URL cannot be requested")
	}
	resp, err := rf.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL's query may hold a credential
		}
		slog.Warn("httpauth: WithIssuerRefresh: the issuer's refresh handler cannot be reached at start; the middleware works, and refreshes tokens once the issuer answers",
			"url", shown, "err", err)
		return nil
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	code := resp.StatusCode
	challenge := strings.TrimSpace(resp.Header.Get("WWW-Authenticate"))
	switch {
	case code == http.StatusUnauthorized && len(challenge) >= 6 && strings.EqualFold(challenge[:6], "Bearer"):
		return nil
	case code >= 500 || code == http.StatusRequestTimeout || code == http.StatusTooManyRequests:
		slog.Warn("httpauth: WithIssuerRefresh: the issuer's refresh handler fails at start; the middleware works, and refreshes tokens once the issuer answers",
			"url", shown, "status", code)
		return nil
	case code >= 300 && code < 400:
		return fmt.Errorf("httpauth: WithIssuerRefresh: the URL answers a POST with a redirect (HTTP %d), which is never followed since it would carry tokens elsewhere; give the URL it redirects to", code)
	case code == http.StatusUnauthorized:
		return errors.New("httpauth: WithIssuerRefresh: the URL answers 401 without a Bearer challenge, so it is not the issuer's refresh handler (httpauth.NewRefreshHandler); check the URL")
	}
	return fmt.Errorf("httpauth: WithIssuerRefresh: the URL answered HTTP %d to a POST without a token, where the issuer's refresh handler (httpauth.NewRefreshHandler) answers 401 with a Bearer challenge; check the URL's path, and that the issuer serves the handler for POST", code)
}

// refresh returns the token re-signed by the issuer, "" if it could not be
// had in time, and tells the observer; kid is the token's.
func (rf *refresher) refresh(ctx context.Context, tok, kid string) string {
	if rf.observe == nil {
		out, _ := rf.call(ctx, tok)
		return out
	}
	start := time.Now()
	out, result := rf.call(ctx, tok)
	root, _, _ := rotation.ParseKeyID(kid)
	rf.observe(IssuerRefresh{Purpose: rf.purpose, RootID: root, Result: result, Duration: time.Since(start)})
	return out
}

// call asks the issuer: the re-signed token and "resigned", or "" and
// "unneeded" or "failed".
func (rf *refresher) call(ctx context.Context, tok string) (string, string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rf.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rf.url, nil)
	if err != nil {
		return "", "failed"
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := rf.client.Do(req)
	if err != nil {
		return "", "failed"
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 16<<10))
	if resp.StatusCode == http.StatusNoContent {
		return "", "unneeded"
	}
	out := resp.Header.Get(DefaultRefreshHeader)
	if resp.StatusCode != http.StatusOK || !looksLikeJWT(out) {
		return "", "failed"
	}
	return out, "resigned"
}

// looksLikeJWT reports whether s is three non-empty base64url segments of
// a bounded length: what may go back to a client in a header.
func looksLikeJWT(s string) bool {
	return len(s) <= jwtrot.DefaultMaxSize<<1 && base64url.Segments(s, 3)
}

// NewRefreshHandler returns the issuer's refresh handler: given a token in
// a Bearer Authorization header of a POST, it checks it as
// [jwtrot.Authority.Refresh] does (every check of Verify, no claims decoded,
// no use of an N-use token consumed) and answers 200 with the token
// re-signed under the current window (SPEC §7: the payload byte for byte,
// the same root, exp unchanged) in the [DefaultRefreshHeader] header for a
// token of the previous window; 204 for a token with nothing to refresh
// (current or next window); 401 with the reason for a refused token; 503
// with Retry-After when the store or the key failed. Verifiers that hold
// no secret call it ([WithIssuerRefresh]); clients may too. The options
// configure its refusals as a Middleware's ([WithRealm],
// [WithJSONErrors]).
func NewRefreshHandler(a *jwtrot.Authority, opts ...Option) (http.Handler, error) {
	if a == nil {
		return nil, errors.New("httpauth: nil Authority")
	}
	m, err := New(a, opts...)
	if err != nil {
		return nil, err
	}
	def, _ := New(a, WithRealm(m.realm))
	def.jsonBody = m.jsonBody // WithJSONErrors, the other option it takes
	if !sameConfig(m, def) {
		return nil, errors.New("httpauth: NewRefreshHandler takes WithRealm and WithJSONErrors only (it reads a Bearer token and answers in a header); the other options configure a Middleware")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		tok, _, ok := m.requireToken(w, r)
		if !ok {
			return
		}
		res, err := a.Refresh(r.Context(), tok)
		if err != nil {
			m.refuseVerify(w, r, err, false)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if res.Resigned == "" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set(m.header, res.Resigned)
		w.WriteHeader(http.StatusOK)
	}), nil
}

// Bounds of a token endpoint's request.
const (
	maxTokenRequest = 64 << 10
	maxBatch        = 100
)

// An Authorizer decides what a token endpoint signs. Given the request (to
// authenticate the caller: a session, mTLS, a service credential) and the
// claims it asked for (nil when its body is empty), it returns the claims to
// sign, at most 100, or an error to refuse the request with 403. It is the
// application's authorisation: the endpoint never signs anything it did not
// return.
type Authorizer func(r *http.Request, requested []json.RawMessage) ([]jwt.Claims, error)

// NewTokenHandler returns the issuer's token endpoint, the one place that
// mints tokens: a POST whose body is empty or {"claims":[{…},…]} (at most
// 64 KiB and 100 sets) is passed to authorize, and the claims it returns are
// signed, in order, and answered as {"tokens":["…",…]} with Cache-Control:
// no-store. A refusal by authorize gets 403 (its error is not shown);
// claims Sign refuses get 422 with Sign's reason; a key that cannot be had
// gets 503. It is never an open minting endpoint: authorize must not be
// nil.
func NewTokenHandler(a *jwtrot.Authority, authorize Authorizer) (http.Handler, error) {
	switch {
	case a == nil:
		return nil, errors.New("httpauth: nil Authority")
	case authorize == nil:
		return nil, errors.New("httpauth: NewTokenHandler needs an Authorizer: a token endpoint that signs whatever it is sent would mint tokens for anyone")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxTokenRequest+1))
		if err != nil || len(body) > maxTokenRequest {
			jsonError(w, http.StatusRequestEntityTooLarge, "invalid_request", "the request body is over 64 KiB")
			return
		}
		var req struct {
			Claims []json.RawMessage `json:"claims"`
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &req); err != nil {
				jsonError(w, http.StatusBadRequest, "invalid_request", `the body is not {"claims":[…]}`)
				return
			}
		}
		if len(req.Claims) > maxBatch {
			jsonError(w, http.StatusBadRequest, "invalid_request", "more than 100 claims sets")
			return
		}
		claims, err := authorize(r, req.Claims)
		if err != nil {
			jsonError(w, http.StatusForbidden, "access_denied", "the request is not authorised")
			return
		}
		if len(claims) > maxBatch {
			jsonError(w, http.StatusInternalServerError, "server_error", "the authorizer returned more than 100 claims sets")
			return
		}
		tokens := make([]string, len(claims))
		for i, c := range claims {
			if tokens[i], err = a.Sign(c); err != nil {
				if errors.Is(err, jwtrot.ErrKeyUnavailable) {
					w.Header().Set("Retry-After", "1")
					jsonError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "signing key unavailable")
					return
				}
				jsonError(w, http.StatusUnprocessableEntity, "invalid_claims", fmt.Sprintf("claims %d: %v", i, err))
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(struct {
			Tokens []string `json:"tokens"`
		}{tokens})
	}), nil
}

func jsonError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, description})
}
