package jwks_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// ring is an EdDSA keyring document a test edits: window 60 s, skew 5 s,
// reload 1 s, max_age 600 s.
type ring struct {
	mu     sync.Mutex
	serial int
	roots  []map[string]any
}

func (r *ring) root(id string, issues time.Time, extra ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[string]any{"id": id, "secret": hex.EncodeToString([]byte("keyring test root " + id + " 0123456789abcdef")), "issues": issues.UTC().Format(time.RFC3339)}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	r.roots = append(r.roots, m)
	r.serial++
}

func (r *ring) revoke(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, m := range r.roots {
		if m["id"] == id {
			r.roots[i] = map[string]any{"id": id, "revoked": true}
		}
	}
	r.serial++
}

func (r *ring) source(context.Context) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return json.Marshal(map[string]any{"jwtrot_keyring": 1, "alg": "EdDSA", "window": 60, "skew": 5, "max_age": 600, "iss": "auth",
		"purposes": []string{"access"}, "reload": 1, "serial": r.serial, "roots": r.roots})
}

// TestKeyringPublisher: an issuer over a keyring publishes the keys of a
// root scheduled to issue before it issues, states the keyring's fleet (so
// a Verifier built from the URL alone takes its max age and issuer), caps
// Cache-Control at the reload interval, and drops a revoked root at once:
// a Verifier holding the document refuses that root's tokens, forged or
// not, as soon as it has fetched the document without it.
func TestKeyringPublisher(t *testing.T) {
	now := time.Now()
	r := &ring{}
	r.root("a", now.Add(-time.Hour))
	r.root("x", now.Add(-time.Hour)) // verifies; a wins the tie and issues
	d, err := rotation.NewKeyringDeriver(r.source, rotation.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	issuer, err := jwtrot.New(d)
	if err != nil {
		t.Fatal(err)
	}
	h, err := jwks.NewHandler(d, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if age, _ := strconv.Atoi(resp.Header.Get("Cache-Control")[len("public, max-age="):]); age > 1 {
		t.Errorf("Cache-Control %q: over the keyring's reload interval", resp.Header.Get("Cache-Control"))
	}

	c, err := jwks.NewClient(srv.URL, jwks.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := jwtrot.NewVerifier(c)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := publishedFleet(c); !ok || f.MaxAge != 10*time.Minute || f.Issuer != "auth" || f.Window != time.Minute || f.Skew != 5*time.Second {
		t.Fatalf("published fleet %+v %v", f, ok)
	}
	if _, err := jwtrot.NewVerifier(c, jwtrot.WithMaxAge(time.Hour)); err == nil {
		t.Error("a local maximum age that contradicts the keyring's was accepted")
	}

	// x's tokens, from a process that holds x alone.
	xRoot, _ := rotation.NewRoot("x", []byte("keyring test root x 0123456789abcdef"))
	xd, _ := rotation.NewDeriver([]*rotation.Root{xRoot}, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithWindow(time.Minute), rotation.WithSkew(5*time.Second))
	xa, _ := jwtrot.New(xd, jwtrot.WithIssuer("auth"))
	xTok, err := xa.Sign(jwt.RegisteredClaims{Subject: "u"})
	if err != nil {
		t.Fatal(err)
	}
	aTok, err := issuer.Sign(jwt.RegisteredClaims{Subject: "u"})
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"a": aTok, "x": xTok} {
		if _, err := v.Verify(context.Background(), tok, nil); err != nil {
			t.Fatalf("%s's token refused: %v", name, err)
		}
	}

	// b, scheduled three windows ahead: published (and held) before it
	// issues, for the windows from two before its issue instant.
	bAt := d.Schedule().WindowAt(now).Start().Add(3 * time.Minute)
	r.root("b", bAt)
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the Client holds b before it issues", func() bool { return slices.Contains(c.Info().Roots, "b") })
	wantFrom := d.Schedule().WindowAt(bAt.Add(-2 * time.Minute))
	if _, err := c.Key("b", wantFrom); err != nil {
		t.Errorf("b's first verifying window is not published: %v", err)
	}
	if _, err := c.Key("b", wantFrom.Prev()); err == nil {
		t.Error("b is published for a window before it verifies")
	}

	// The emergency kill: x revoked. After the issuer's reload and the
	// Client's next fetch, x's tokens are refused, although their window
	// is acceptable and the Client held x's key before.
	start := time.Now()
	r.revoke("x")
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "x's tokens refused", func() bool {
		_, err := v.Verify(context.Background(), xTok, nil)
		return errors.Is(err, jwtrot.ErrUnknownKeyID)
	})
	took := time.Since(start)
	if _, err := v.Verify(context.Background(), aTok, nil); err != nil {
		t.Errorf("a's token refused after x's revocation: %v", err)
	}
	t.Logf("a revoked root's tokens refused by a JWKS Verifier %v after the issuer's reload (Cache-Control capped at the 1 s reload interval)", took.Round(10*time.Millisecond))
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
