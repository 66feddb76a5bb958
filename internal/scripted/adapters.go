package scripted

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// An Adapter is what the metrics modules' observers have in common: what
// jwtrot, a JWKS client and an issuer-refreshing middleware report to.
type Adapter interface {
	Observe(jwtrot.Outcome)
	FetchObserver(purpose string) func(jwks.FetchEvent)
	ObserveIssuerRefresh(httpauth.IssuerRefresh)
}

// Clock is a clock a test moves; it is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testRoot is the root of the adapters' fixtures.
var testRoot = []byte("the root of the metrics test, 32 bytes or more")

// Flood reports to a what no configuration gives: the refusals of tokens
// naming two hundred roots nobody holds, then outcomes built by hand with
// made-up codes and positions, a hundred purposes and five hundred roots,
// fetch events of unknown causes and refreshes of unknown results. An
// adapter's test then checks that its labels stayed within their sets.
func Flood(t testing.TB, a Adapter) {
	t.Helper()
	root, err := rotation.NewRoot("main", testRoot)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := jwtrot.New(d, jwtrot.WithObserver(a.Observe))
	if err != nil {
		t.Fatal(err)
	}
	// Attackers' tokens: kids of two hundred roots nobody holds.
	for i := range 200 {
		evil, _ := rotation.NewRoot(fmt.Sprintf("evil%d", i), []byte("an attacker's root, 32 bytes or more......"))
		ed, _ := rotation.NewDeriver([]*rotation.Root{evil})
		ea, _ := jwtrot.New(ed)
		tok, _ := ea.Sign(jwt.RegisteredClaims{Subject: "x"})
		if _, err := auth.Verify(context.Background(), tok, nil); err == nil {
			t.Fatal("a token of an unknown root was accepted")
		}
	}
	// Outcomes built by hand, beyond what jwtrot produces.
	for i := range 500 {
		p, r := fmt.Sprintf("p%d", i%100), fmt.Sprintf("r%d", i)
		a.Observe(jwtrot.Outcome{Code: fmt.Sprintf("made-up-%d", i%7), Purpose: p, RootID: r})
		a.Observe(jwtrot.Outcome{Position: rotation.Position(i%9 - 4), Purpose: p, RootID: r})
		a.FetchObserver(p)(jwks.FetchEvent{Cause: fmt.Sprintf("c%d", i)})
		a.ObserveIssuerRefresh(httpauth.IssuerRefresh{Purpose: p, RootID: r, Result: fmt.Sprintf("x%d", i)})
	}
}

// FirstFetch starts an issuer's JWKS handler and a client of it whose
// fetches report to fetch, and then moves clk on 90 seconds: the
// observer has seen one fetch, cause "start", result "changed", of a
// document of at least three keys, confirmed 90 seconds ago by clk.
func FirstFetch(t testing.TB, clk *Clock, fetch func(jwks.FetchEvent)) {
	t.Helper()
	root, err := rotation.NewRoot("main", testRoot)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA))
	if err != nil {
		t.Fatal(err)
	}
	h, err := jwks.NewHandler(d, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	sched, err := rotation.NewSchedule()
	if err != nil {
		t.Fatal(err)
	}
	c, err := jwks.NewClient(srv.URL, jwks.WithSchedule(sched), jwks.WithObserver(fetch))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	clk.Add(90 * time.Second)
}

// IssuerRefresh serves one request bearing a token of the previous window
// (purpose Purpose, root "main") through a middleware over a Verifier of
// the issuer's JWKS, whose refreshes go through the issuer; a reports the
// verification and the refresh. It fails the test if no refreshed token
// came back. The adapter has then seen one re-sign by the issuer and one
// verification in the previous window.
func IssuerRefresh(t testing.TB, a Adapter) {
	t.Helper()
	clk := NewClock(Epoch)
	root, err := rotation.NewRoot("main", testRoot)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := jwtrot.New(d)
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := httpauth.NewRefreshHandler(auth)
	if err != nil {
		t.Fatal(err)
	}
	issuer := httptest.NewServer(refresh)
	t.Cleanup(issuer.Close)
	doc, err := jwks.Export(context.Background(), d, clk.Now(), 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sched, err := rotation.NewSchedule(rotation.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwks.Parse(doc, sched)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jwtrot.NewVerifier(set, jwtrot.WithObserver(a.Observe))
	if err != nil {
		t.Fatal(err)
	}
	mw, err := httpauth.New(v, httpauth.WithIssuerRefresh(issuer.URL, time.Second), httpauth.WithRefreshObserver(a.ObserveIssuerRefresh))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.Sign(jwt.RegisteredClaims{Subject: "u-1"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(sched.Length()) // a window
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(w, r)
	if w.Header().Get(httpauth.DefaultRefreshHeader) == "" {
		t.Fatal("no refresh")
	}
}
