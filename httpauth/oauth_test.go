package httpauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
)

// The test clients' credentials. The id has a colon and the secret
// characters that form-urlencoding changes (RFC 6749 §2.3.1).
const (
	oauthID     = "svc:reports"
	oauthSecret = "s3cret+with spaces&=/:%é-0123456789"
)

func testClients(t testing.TB) *ClientSecrets {
	t.Helper()
	cs, err := NewClientSecrets(
		RegisteredClient{ID: oauthID, Secret: oauthSecret, Scopes: []string{"read", "write"}, Audience: []string{"api"}},
		RegisteredClient{ID: "other", Secret: "another-secret-0123456789"},
	)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func tokenRequest(h http.Handler, method, contentType, body string, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/token", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for k, vs := range header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

const formType = "application/x-www-form-urlencoded"

// failingClients is a Clients whose store is down, or that refuses with err.
type failingClients struct{ err error }

func (f failingClients) AuthenticateClient(context.Context, string, string) error { return nil }
func (f failingClients) Grant(context.Context, ClientRequest) (Grant, error) {
	return Grant{}, f.err
}

// TestClientCredentialsRefusals: every §5.2 error, with its status and
// challenge, and no secret or client id in any answer.
func TestClientCredentialsRefusals(t *testing.T) {
	mock := newClock(testEpoch)
	a := newAuthority(t, mock)
	h, err := NewClientCredentialsHandler(a, testClients(t), WithRealm("tokens"))
	if err != nil {
		t.Fatal(err)
	}
	good := http.Header{"Authorization": {basicAuth(oauthID, oauthSecret)}}
	formCreds := "&client_id=" + url.QueryEscape(oauthID) + "&client_secret=" + url.QueryEscape(oauthSecret)
	cases := []struct {
		name, method, ctype, body string
		header                    http.Header
		status                    int
		code                      string
		challenge                 bool
	}{
		{"GET", "GET", "", "", good, 405, "invalid_request", false},
		{"JSON body", "POST", "application/json", `{"grant_type":"client_credentials"}`, good, 400, "invalid_request", false},
		{"no content type", "POST", "", "grant_type=client_credentials", good, 400, "invalid_request", false},
		{"over 16 KiB", "POST", formType, "grant_type=client_credentials&x=" + strings.Repeat("a", 16<<10), good, 413, "invalid_request", false},
		{"bad form", "POST", formType, "grant_type=%zz", good, 400, "invalid_request", false},
		{"no grant_type", "POST", formType, "scope=read", good, 400, "invalid_request", false},
		{"two grant_types", "POST", formType, "grant_type=client_credentials&grant_type=client_credentials", good, 400, "invalid_request", false},
		{"password grant", "POST", formType, "grant_type=password&username=a&password=b", good, 400, "unsupported_grant_type", false},
		{"no authentication", "POST", formType, "grant_type=client_credentials", nil, 401, "invalid_client", true},
		{"wrong secret", "POST", formType, "grant_type=client_credentials", http.Header{"Authorization": {basicAuth(oauthID, "wrong-secret-0123456789")}}, 401, "invalid_client", true},
		{"unknown client", "POST", formType, "grant_type=client_credentials", http.Header{"Authorization": {basicAuth("nobody", oauthSecret)}}, 401, "invalid_client", true},
		{"secret not form-encoded", "POST", formType, "grant_type=client_credentials", http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(oauthID+":"+oauthSecret))}}, 401, "invalid_client", true},
		{"Basic not base64", "POST", formType, "grant_type=client_credentials", http.Header{"Authorization": {"Basic !!!"}}, 401, "invalid_client", true},
		{"Bearer instead", "POST", formType, "grant_type=client_credentials", http.Header{"Authorization": {"Bearer abc"}}, 401, "invalid_client", true},
		{"client_id alone", "POST", formType, "grant_type=client_credentials&client_id=other", nil, 401, "invalid_client", true},
		{"wrong form secret", "POST", formType, "grant_type=client_credentials&client_id=other&client_secret=nope", nil, 401, "invalid_client", true},
		{"Basic and form", "POST", formType, "grant_type=client_credentials" + formCreds, good, 400, "invalid_request", false},
		{"Basic and another client_id", "POST", formType, "grant_type=client_credentials&client_id=other", good, 400, "invalid_request", false},
		{"two Authorization headers", "POST", formType, "grant_type=client_credentials", http.Header{"Authorization": {basicAuth(oauthID, oauthSecret), basicAuth(oauthID, oauthSecret)}}, 400, "invalid_request", false},
		{"scope not allowed", "POST", formType, "grant_type=client_credentials&scope=read+admin", good, 400, "invalid_scope", false},
		{"scope with a quote", "POST", formType, "grant_type=client_credentials&scope=%22read", good, 400, "invalid_scope", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := tokenRequest(h, c.method, c.ctype, c.body, c.header)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d", w.Code, c.status)
			}
			var body map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			if body["error"] != c.code || body["error_description"] == "" {
				t.Errorf("error %q (%q), want %q", body["error"], body["error_description"], c.code)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Pragma") != "no-cache" {
				t.Errorf("Cache-Control %q, Pragma %q", w.Header().Get("Cache-Control"), w.Header().Get("Pragma"))
			}
			ch := w.Header().Get("WWW-Authenticate")
			if c.challenge != (ch != "") {
				t.Errorf("WWW-Authenticate %q, want one: %v", ch, c.challenge)
			}
			if c.challenge && ch != `Basic realm="tokens", charset="UTF-8"` {
				t.Errorf("challenge %q", ch)
			}
			if c.status == 405 && w.Header().Get("Allow") != "POST" {
				t.Errorf("Allow %q", w.Header().Get("Allow"))
			}
			out := w.Body.String() + strings.Join(w.Header().Values("WWW-Authenticate"), "")
			for _, s := range []string{oauthSecret, url.QueryEscape(oauthSecret), oauthID, "nobody", "nope", "wrong-secret"} {
				if strings.Contains(out, s) {
					t.Error("the answer holds a credential")
				}
			}
		})
	}
}

// TestClientCredentialsGrant: Basic (form-urlencoded per §2.3.1) and form
// parameters each get a §5.1 answer whose token the Authority and the
// middleware accept, with the scopes and audience the Clients granted.
func TestClientCredentialsGrant(t *testing.T) {
	mock := newClock(testEpoch)
	a := newAuthority(t, mock, jwtrot.WithTTL(15*time.Minute))
	h, err := NewClientCredentialsHandler(a, testClients(t))
	if err != nil {
		t.Fatal(err)
	}
	formCreds := "&client_id=" + url.QueryEscape(oauthID) + "&client_secret=" + url.QueryEscape(oauthSecret)
	for _, c := range []struct {
		name, body string
		header     http.Header
		scope      string
	}{
		{"Basic", "grant_type=client_credentials&scope=read", http.Header{"Authorization": {basicAuth(oauthID, oauthSecret)}}, "read"},
		{"Basic with the same client_id", "grant_type=client_credentials&scope=read&client_id=" + url.QueryEscape(oauthID), http.Header{"Authorization": {basicAuth(oauthID, oauthSecret)}}, "read"},
		{"form", "grant_type=client_credentials&scope=write+read+write" + formCreds, nil, "write read"},
		{"no scope: all", "grant_type=client_credentials" + formCreds, nil, "read write"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := tokenRequest(h, "POST", formType+"; charset=utf-8", c.body, c.header)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Pragma") != "no-cache" || w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("headers %v", w.Header())
			}
			var resp map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			if resp["token_type"] != "Bearer" || resp["expires_in"] != float64(900) || resp["scope"] != c.scope || len(resp) != 4 {
				t.Fatalf("answer %v", keysOf(resp))
			}
			tok, _ := resp["access_token"].(string)
			var claims jwt.MapClaims
			if _, err := a.Verify(context.Background(), tok, &claims); err != nil {
				t.Fatalf("the Authority refuses the token: %v", err)
			}
			if claims["sub"] != oauthID || claims["client_id"] != oauthID || claims["scope"] != c.scope || claims["aud"] != "api" {
				t.Errorf("claims sub %v client_id %v scope %v aud %v", claims["sub"], claims["client_id"], claims["scope"], claims["aud"])
			}
			// The token is an ordinary one: the middleware serves it.
			mw, err := New(a, WithClaims(func() jwt.Claims { return new(ScopedClaims) }))
			if err != nil {
				t.Fatal(err)
			}
			api := mw.Require(Policy{Audience: "api", Scopes: []string{"read"}})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, _ := ClaimsFrom[*ScopedClaims](r.Context())
				w.Write([]byte(c.Subject))
			}))
			if got := do(api, bearer(tok)); got.Code != 200 || got.Body.String() != oauthID {
				t.Errorf("the middleware answers %d %q", got.Code, got.Body)
			}
		})
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestClientCredentialsClientsErrors: each sentinel a Clients returns is
// its §5.2 code; any other error is a 500 that shows nothing of it; a
// signing key that cannot be had is a 503.
func TestClientCredentialsClientsErrors(t *testing.T) {
	a := newAuthority(t, newClock(testEpoch))
	auth := http.Header{"Authorization": {basicAuth("x", "y")}}
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{ErrUnauthorizedClient, 400, "unauthorized_client"},
		{ErrInvalidGrant, 400, "invalid_grant"},
		{ErrInvalidScope, 400, "invalid_scope"},
		{ErrInvalidClient, 401, "invalid_client"},
		{errors.New("db at 10.1.2.3 refused password hunter2"), 500, "server_error"},
		{nil, 200, ""},
	} {
		h, err := NewClientCredentialsHandler(a, failingClients{c.err})
		if err != nil {
			t.Fatal(err)
		}
		w := tokenRequest(h, "POST", formType, "grant_type=client_credentials", auth)
		var raw map[string]any
		json.Unmarshal(w.Body.Bytes(), &raw)
		if w.Code != c.status || (c.code != "" && raw["error"] != c.code) {
			t.Errorf("%v: %d %v, want %d %s", c.err, w.Code, raw["error"], c.status, c.code)
		}
		if strings.Contains(w.Body.String(), "hunter2") || strings.Contains(w.Body.String(), "10.1.2.3") {
			t.Error("the store's error is shown")
		}
	}
	// A Grant whose Claims set a claim the endpoint sets is refused.
	h, _ := NewClientCredentialsHandler(a, grantClients{Grant{Claims: map[string]any{"sub": "root"}}})
	if w := tokenRequest(h, "POST", formType, "grant_type=client_credentials", auth); w.Code != 500 {
		t.Errorf("a Grant setting sub: %d", w.Code)
	}
	h, _ = NewClientCredentialsHandler(a, grantClients{Grant{Subject: "user-7", Claims: map[string]any{"tenant": "t1"}}})
	w := tokenRequest(h, "POST", formType, "grant_type=client_credentials", auth)
	var resp struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(w.Body.Bytes(), &resp)
	var claims jwt.MapClaims
	if _, err := a.Verify(context.Background(), resp.AccessToken, &claims); err != nil || claims["sub"] != "user-7" || claims["tenant"] != "t1" || claims["client_id"] != "x" {
		t.Errorf("a Grant's subject and claims: %v %v", err, claims)
	}
}

type grantClients struct{ g Grant }

func (grantClients) AuthenticateClient(context.Context, string, string) error { return nil }
func (c grantClients) Grant(context.Context, ClientRequest) (Grant, error)    { return c.g, nil }

func TestClientCredentialsConstruction(t *testing.T) {
	a := newAuthority(t, newClock(testEpoch))
	cs := testClients(t)
	if _, err := NewClientCredentialsHandler(nil, cs); err == nil {
		t.Error("nil Authority accepted")
	}
	if _, err := NewClientCredentialsHandler(a, nil); err == nil {
		t.Error("nil Clients accepted")
	}
	for _, o := range []Option{WithJSONErrors(), WithTokenSources(BearerHeader), WithPreflight(false),
		WithRefusalWriter(func(http.ResponseWriter, *http.Request, Refusal) {}), WithRefreshHeader("X-T")} {
		if _, err := NewClientCredentialsHandler(a, cs, o); err == nil {
			t.Error("a Middleware option accepted")
		}
	}
	if _, err := NewClientCredentialsHandler(a, cs, WithRealm(`a"b`)); err == nil {
		t.Error("a realm with a quote accepted")
	}
	for _, c := range [][]RegisteredClient{
		nil,
		{{ID: "", Secret: oauthSecret}},
		{{ID: "a", Secret: "short"}},
		{{ID: "a", Secret: oauthSecret}, {ID: "a", Secret: oauthSecret + "x"}},
		{{ID: "a", Secret: oauthSecret, Scopes: []string{"two words"}}},
	} {
		if _, err := NewClientSecrets(c...); err == nil {
			t.Errorf("NewClientSecrets(%d clients) accepted a bad set", len(c))
		} else if strings.Contains(err.Error(), oauthSecret) {
			t.Error("the error holds the secret")
		}
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, cs); strings.Contains(s, "clients:") || !strings.Contains(s, "2 clients") {
			t.Errorf("%s shows %q", verb, s)
		}
	}
}

func TestSecretsEqual(t *testing.T) {
	for _, c := range []struct {
		a, b string
		eq   bool
	}{
		{"abc", "abc", true}, {"abc", "abd", false}, {"abc", "abcd", false}, {"", "", true}, {"", "x", false},
	} {
		if SecretsEqual(c.a, c.b) != c.eq {
			t.Errorf("SecretsEqual(%q, %q) != %v", c.a, c.b, c.eq)
		}
	}
}

// FuzzClientCredentials: whatever the body and the Authorization header,
// the endpoint answers with one of its statuses, JSON, never panics, and
// issues a token only to the right credentials.
func FuzzClientCredentials(f *testing.F) {
	f.Add("grant_type=client_credentials&scope=read", basicAuth(oauthID, oauthSecret))
	f.Add("grant_type=client_credentials&client_id=other&client_secret=another-secret-0123456789", "")
	f.Add("grant_type=client_credentials&scope=%zz", "Basic Og==")
	f.Add("grant_type=client_credentials", "Basic "+base64.StdEncoding.EncodeToString([]byte("%:%")))
	a := newAuthority(f, newClock(testEpoch))
	h, err := NewClientCredentialsHandler(a, testClients(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body, authz string) {
		header := http.Header{}
		if authz != "" {
			header.Set("Authorization", authz)
		}
		w := tokenRequest(h, "POST", formType, body, header)
		switch w.Code {
		case 200, 400, 401, 413:
		default:
			t.Fatalf("status %d", w.Code)
		}
		var resp map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		if w.Code == 200 {
			tok, _ := resp["access_token"].(string)
			var c jwt.MapClaims
			if _, err := a.Verify(context.Background(), tok, &c); err != nil {
				t.Fatalf("a token that does not verify: %v", err)
			}
			if c["client_id"] != oauthID && c["client_id"] != "other" {
				t.Fatal("a token for an unknown client")
			}
		}
	})
}
