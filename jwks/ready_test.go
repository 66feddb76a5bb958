package jwks_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// fleetDoc serves MarshalFleet of a Deriver's keys (the previous, current
// and next windows of every root), with the Cache-Control the test sets,
// counting requests.
type fleetDoc struct {
	mu       sync.Mutex
	d        *rotation.Deriver
	fleet    rotation.Fleet
	cache    string // the Cache-Control header, none if ""
	requests atomic.Int64
}

func newFleetDoc(_ *testing.T, d *rotation.Deriver, maxAge time.Duration) *fleetDoc {
	return &fleetDoc{d: d, fleet: fleetOf(d, maxAge)}
}

func fleetOf(d *rotation.Deriver, maxAge time.Duration) rotation.Fleet {
	s := d.Schedule()
	return rotation.Fleet{Algorithm: rotation.EdDSA, Window: s.Length(), Skew: s.Skew(), MaxAge: maxAge, Purposes: []string{d.Purpose()}}
}

func (f *fleetDoc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	f.mu.Lock()
	d, fleet, cache := f.d, f.fleet, f.cache
	f.mu.Unlock()
	var keys []*rotation.PublicKey
	cur := d.Schedule().WindowAt(d.Schedule().Now())
	for _, id := range d.Roots() {
		for _, win := range []rotation.Window{cur.Prev(), cur, cur.Next()} {
			k, err := d.PublicKeyAt(r.Context(), id, win)
			if err != nil {
				http.Error(w, "no key", http.StatusInternalServerError)
				return
			}
			keys = append(keys, k)
		}
	}
	if cache != "" {
		w.Header().Set("Cache-Control", cache)
	}
	w.Write(jwks.MarshalFleet(keys, fleet))
}

func (f *fleetDoc) set(fn func(f *fleetDoc)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

// deadAddr returns a 127.0.0.1 address nothing listens on (yet).
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// events collects a Client's events and log lines.
type events struct {
	mu   sync.Mutex
	list []jwks.FetchEvent
	log  strings.Builder
}

func (e *events) opts() []jwks.Option {
	return []jwks.Option{
		jwks.WithObserver(func(ev jwks.FetchEvent) { e.mu.Lock(); e.list = append(e.list, ev); e.mu.Unlock() }),
		jwks.WithLogger(slog.New(slog.NewTextHandler(&syncWriter{w: &e.log, mu: &e.mu}, nil))),
	}
}

func (e *events) snapshot() ([]jwks.FetchEvent, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]jwks.FetchEvent(nil), e.list...), e.log.String()
}

func probe(t *testing.T, h http.Handler) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/ready", nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

// TestClientURLOnly: a Client given only the URL of a document with the
// "jwtrot" member takes its schedule and fleet from it.
func TestClientURLOnly(t *testing.T) {
	c := newClock(epoch)
	d, a := issuer(t, c)
	doc := newFleetDoc(t, d, 8*time.Hour)
	doc.fleet.Issuer = "auth"
	srv := httptest.NewServer(doc)
	defer srv.Close()
	cl, err := jwks.NewClient(srv.URL, jwks.WithClock(c))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	f, ok := publishedFleet(cl)
	if !ok || f.Window != window || f.Skew != d.Schedule().Skew() || f.MaxAge != 8*time.Hour || f.Issuer != "auth" || cl.Info().Purpose != "access" {
		t.Fatalf("fleet %+v %v", f, ok)
	}
	if s := cl.Info().Schedule; s == nil || s.Length() != window || !s.Now().Equal(epoch) {
		t.Fatalf("schedule %v", s)
	}
	// The Verifier adopts the published issuer and maximum age.
	v := verifier(t, cl)
	tok, err := a.Sign(jwt.RegisteredClaims{Issuer: "auth"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), tok, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), sign(t, a), nil); !errors.Is(err, jwtrot.ErrMissingClaim) {
		t.Fatalf("a token without the published issuer: %v", err)
	}
	if _, err := jwtrot.NewVerifier(cl, jwtrot.WithIssuer("other")); err == nil || !strings.Contains(err.Error(), "issuer") {
		t.Fatalf("a local issuer that differs from the published one: %v", err)
	}
}

// TestClientDegradedStartVerifier: a Verifier over a Client whose issuer is
// down refuses with ErrKeyUnavailable caused by ErrNotReady; when the issuer
// starts on the same 127.0.0.1 port, the Client becomes ready by itself and
// the same Verifier accepts, with no restart. The readiness handler follows.
func TestClientDegradedStartVerifier(t *testing.T) {
	c := newClock(epoch)
	d, a := issuer(t, c)
	addr := deadAddr(t)
	var ev events
	cl := newClient(t, "http://"+addr+"/jwks", c, append(ev.opts(), jwks.WithRetryFloor(20*time.Millisecond), jwks.WithTimeout(time.Second))...)
	if cl.Ready() {
		t.Fatal("ready with the issuer down")
	}
	ready := cl.ReadyHandler()
	if code, body := probe(t, ready); code != 503 || body != "not ready: the issuer has not been reached yet\n" {
		t.Fatalf("readiness while down: %d %q", code, body)
	}
	v := verifier(t, cl)
	tok := sign(t, a)
	_, err := v.Verify(context.Background(), tok, nil)
	if !errors.Is(err, jwtrot.ErrNotReady) || !errors.Is(err, rotation.ErrKeyUnavailable) || jwtrot.Code(err) != "not_ready" || v.Ready() {
		t.Fatalf("a token while the issuer is down: %v (%s)", err, jwtrot.Code(err))
	}
	if _, kerr := cl.Key("main", d.Schedule().WindowAt(epoch)); !errors.Is(kerr, jwks.ErrNotReady) {
		t.Fatalf("the Client's refusal does not say it is not ready: %v", kerr)
	}

	// The issuer starts on the same port.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	h, err := jwks.NewHandler(d, window)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), tok, nil); err != nil {
		t.Fatalf("after the issuer started: %v", err)
	}
	if code, body := probe(t, ready); code != 200 || body != "ready\n" {
		t.Fatalf("readiness once ready: %d %q", code, body)
	}
	list, log := ev.snapshot()
	last := list[len(list)-1]
	if list[0].Ready || list[0].Err == nil || !last.Ready || last.Err != nil || !last.Changed || last.Cause != "retry" {
		t.Fatalf("events: first %+v, last %+v", list[0], last)
	}
	for _, want := range []string{"no JWKS URL answered", "no usable document from this URL yet", "fetched this URL's document again", "ready: the Client holds"} {
		if !strings.Contains(log, want) {
			t.Errorf("no log line %q in:\n%s", want, log)
		}
	}
}

// TestClientDegradedStartURLOnly: the same without a local schedule: no
// schedule, no fleet, no key until the issuer answers; then all of them.
func TestClientDegradedStartURLOnly(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	addr := deadAddr(t)
	cl, err := jwks.NewClient("http://"+addr+"/jwks", jwks.WithClock(c), jwks.WithRetryFloor(20*time.Millisecond), jwks.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, ok := publishedFleet(cl); ok || cl.Info().Schedule != nil || cl.Version() != 0 {
		t.Fatal("a schedule or fleet before the issuer answered")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	srv := &http.Server{Handler: newFleetDoc(t, d, 0)}
	go srv.Serve(ln)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if f, ok := publishedFleet(cl); !ok || f.Window != window || f.MaxAge != 0 || cl.Info().Schedule == nil || cl.Version() == 0 {
		t.Fatalf("after ready: %+v %v", f, ok)
	}
	if _, err := cl.Key("main", d.Schedule().WindowAt(epoch)); err != nil {
		t.Fatal(err)
	}
}

// TestClientWrongLocalWindow: a verifier whose local window length, skew or
// purpose differs from the published one fails at construction, saying
// which and how to fix it.
func TestClientWrongLocalWindow(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	srv := httptest.NewServer(newFleetDoc(t, d, 0))
	defer srv.Close()
	five, _ := rotation.NewSchedule(rotation.WithWindow(5*time.Minute), rotation.WithClock(c))
	noSkew, _ := rotation.NewSchedule(rotation.WithWindow(window), rotation.WithSkew(0), rotation.WithClock(c))
	for _, tt := range []struct {
		opt  jwks.Option
		want string
	}{
		{jwks.WithSchedule(five), "publishes a window length of 10m0s, but this verifier's is 5m0s; remove jwks.WithSchedule"},
		{jwks.WithSchedule(noSkew), "publishes a skew of 30s, but this verifier's is 0s; remove jwks.WithSchedule"},
		{jwks.WithPurpose("refresh"), `publishes a purpose of "access", but this verifier's is "refresh"; remove jwks.WithPurpose`},
	} {
		_, err := jwks.NewClient(srv.URL, tt.opt, jwks.WithLogger(slog.New(slog.DiscardHandler)))
		if !errors.Is(err, jwks.ErrMismatch) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v\nwant %q", err, tt.want)
		}
	}
	// An issuer that publishes no schedule, and none set: refused too.
	keys, err := jwks.Parse(mustExport(t, d), d.Schedule())
	if err != nil {
		t.Fatal(err)
	}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(jwks.Marshal(keys.Keys())) }))
	defer bare.Close()
	if _, err := jwks.NewClient(bare.URL, jwks.WithLogger(slog.New(slog.DiscardHandler))); err == nil || !strings.Contains(err.Error(), "give the Client jwks.WithSchedule") {
		t.Errorf("no schedule anywhere: %v", err)
	}
}

// TestClientLateMismatch: an issuer that comes up after the Client with
// another window length is refused: the Client stays not ready, logs an
// error and tells the observer which setting.
func TestClientLateMismatch(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	addr := deadAddr(t)
	var ev events
	five, _ := rotation.NewSchedule(rotation.WithWindow(5*time.Minute), rotation.WithClock(c))
	cl, err := jwks.NewClient("http://"+addr+"/jwks", append(ev.opts(), jwks.WithSchedule(five), jwks.WithRetryFloor(20*time.Millisecond))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	srv := &http.Server{Handler: newFleetDoc(t, d, 0)}
	go srv.Serve(ln)
	defer srv.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, log := ev.snapshot()
		if n := len(list); n > 0 && list[n-1].Mismatch != "" {
			e := list[n-1]
			if e.Ready || e.Mismatch != "window length: local 5m0s, published 10m0s" || !errors.Is(e.Err, jwks.ErrMismatch) {
				t.Fatalf("mismatch event %+v", e)
			}
			if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "publishes other settings") {
				t.Fatalf("no error line:\n%s", log)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no mismatch event")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if cl.Ready() {
		t.Fatal("ready on a refused document")
	}
	if code, body := probe(t, cl.ReadyHandler()); code != 503 || !strings.Contains(body, "window length: local 5m0s, published 10m0s") || strings.Contains(body, addr) {
		t.Fatalf("readiness: %d %q", code, body)
	}
}

// TestClientTwoURLs: with one URL down the Client is ready from the other;
// the keys are the union of the URLs' documents; a URL whose fleet differs
// is refused; a URL with another key for a kid is refused.
func TestClientTwoURLs(t *testing.T) {
	c := newClock(epoch)
	d, a := issuer(t, c)
	up := httptest.NewServer(newFleetDoc(t, d, 0))
	defer up.Close()
	quiet := jwks.WithLogger(slog.New(slog.DiscardHandler))
	cl, err := jwks.NewClient("http://"+deadAddr(t)+"/jwks", jwks.WithURL(up.URL), jwks.WithClock(c), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if !cl.Ready() {
		t.Fatal("not ready with one URL of two up")
	}
	if _, err := verifier(t, cl).Verify(context.Background(), sign(t, a), nil); err != nil {
		t.Fatal(err)
	}

	// Two issuers during a migration: the union of their roots.
	d2, a2 := issuer(t, c, "next")
	other := httptest.NewServer(newFleetDoc(t, d2, 0))
	defer other.Close()
	both, err := jwks.NewClient(up.URL, jwks.WithURL(other.URL), jwks.WithClock(c), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer both.Close()
	if got := both.Info().Roots; len(got) != 2 || got[0] != "main" || got[1] != "next" {
		t.Fatalf("roots %v", got)
	}
	v := verifier(t, both)
	for _, tok := range []string{sign(t, a), sign(t, a2)} {
		if _, err := v.Verify(context.Background(), tok, nil); err != nil {
			t.Fatal(err)
		}
	}

	// A second URL whose fleet differs: refused at start.
	diff := newFleetDoc(t, d2, time.Hour)
	odd := httptest.NewServer(diff)
	defer odd.Close()
	_, err = jwks.NewClient(up.URL, jwks.WithURL(odd.URL), jwks.WithClock(c), quiet)
	if !errors.Is(err, jwks.ErrMismatch) || !strings.Contains(err.Error(), "maximum age") || !strings.Contains(err.Error(), "every URL of a Client must publish one fleet") {
		t.Fatalf("two fleets: %v", err)
	}

	// A second URL with another key under one of the first's kids: that
	// document is refused; the first serves.
	impostorRoot, err := rotation.NewRoot("main", []byte("an impostor's root, 32 bytes or more, not secret"))
	if err != nil {
		t.Fatal(err)
	}
	impostor, err := rotation.NewDeriver([]*rotation.Root{impostorRoot},
		rotation.WithAlgorithm(rotation.EdDSA), rotation.WithWindow(window), rotation.WithClock(c))
	if err != nil {
		t.Fatal(err)
	}
	fake := httptest.NewServer(newFleetDoc(t, impostor, 0))
	defer fake.Close()
	var ev events
	mixed, err := jwks.NewClient(up.URL, append(ev.opts(), jwks.WithURL(fake.URL), jwks.WithClock(c))...)
	if err != nil {
		t.Fatal(err)
	}
	defer mixed.Close()
	list, _ := ev.snapshot()
	if len(list) != 2 || list[1].Source != 1 || !errors.Is(list[1].Err, jwks.ErrDocument) || !strings.Contains(list[1].Err.Error(), "another key for a kid") {
		t.Fatalf("events %+v", list)
	}
	if _, err := verifier(t, mixed).Verify(context.Background(), sign(t, a), nil); err != nil {
		t.Fatal(err)
	}
}

// TestClientRootDropped: a root the document no longer lists is gone at
// that fetch: Key answers ErrKeyID and the Verifier refuses its tokens.
func TestClientRootDropped(t *testing.T) {
	c := newClock(epoch)
	d, a := issuer(t, c, "main", "old")
	doc := newFleetDoc(t, d, 0)
	srv := httptest.NewServer(doc)
	defer srv.Close()
	cl, err := jwks.NewClient(srv.URL, jwks.WithClock(c), jwks.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	v := verifier(t, cl)
	_, aOld := issuer(t, c, "old")
	oldTok := sign(t, aOld)
	if _, err := v.Verify(context.Background(), oldTok, nil); err != nil {
		t.Fatal(err)
	}
	w := d.Schedule().WindowAt(epoch)
	ver := cl.Version()
	d2, _ := issuer(t, c, "main")
	doc.set(func(f *fleetDoc) { f.d = d2 })
	// The next fetch: a token of a root nobody has makes one.
	_, aEvil := issuer(t, c, "evil")
	if _, err := v.Verify(context.Background(), sign(t, aEvil), nil); !errors.Is(err, jwtrot.ErrUnknownKeyID) {
		t.Fatal(err)
	}
	if _, err := cl.Key("old", w); !errors.Is(err, rotation.ErrKeyID) {
		t.Fatalf("a dropped root's key: %v", err)
	}
	if cl.Version() == ver || len(cl.Info().Roots) != 1 {
		t.Fatalf("version %d -> %d, roots %v", ver, cl.Version(), cl.Info().Roots)
	}
	if _, err := v.Verify(context.Background(), oldTok, nil); !errors.Is(err, jwtrot.ErrUnknownKeyID) {
		t.Fatalf("a token of the dropped root: %v", err)
	}
	if _, err := v.Verify(context.Background(), sign(t, a), nil); err != nil {
		t.Fatal(err)
	}
}

// TestClientCacheControl: the issuer's max-age replaces the schedule: no
// fetch before it runs out although the schedule is sooner, and a fetch when
// it runs out although the schedule is later. A token missing a key still
// fetches.
func TestClientCacheControl(t *testing.T) {
	quiet := jwks.WithLogger(slog.New(slog.DiscardHandler))
	// The clocks run from 150 ms before the scheduled fetch (a quarter of
	// the window before its end), or from the window's start.
	d, _ := issuer(t, newClock(epoch))
	w := d.Schedule().WindowAt(epoch)
	beforeLead := w.End().Add(-window/4 - 150*time.Millisecond)
	for _, tt := range []struct {
		name   string
		cache  string
		at     time.Time
		wait   time.Duration
		fetchN int64 // fetches after the first, in wait
	}{
		{"no Cache-Control: the schedule", "", beforeLead, time.Second, 1},
		{"max-age longer than the schedule", "public, max-age=3600", beforeLead, time.Second, 0},
		{"max-age shorter than the schedule", "public, max-age=1", w.Start(), 2500 * time.Millisecond, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := offsetClock(time.Until(tt.at))
			d, _ := issuer(t, c)
			doc := newFleetDoc(t, d, 0)
			doc.cache = tt.cache
			srv := httptest.NewServer(doc)
			defer srv.Close()
			cl, err := jwks.NewClient(srv.URL, jwks.WithClock(c), quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			time.Sleep(tt.wait)
			if got := doc.requests.Load() - 1; got != tt.fetchN {
				t.Fatalf("%d fetches in %v after the first, want %d", got, tt.wait, tt.fetchN)
			}
			if tt.fetchN == 0 { // a miss still fetches
				_, a2 := issuer(t, c, "new")
				verifier(t, cl).Verify(context.Background(), sign(t, a2), nil)
				if got := doc.requests.Load(); got != 2 {
					t.Fatalf("%d requests after a miss, want 2", got)
				}
			}
		})
	}
}

// TestClientBackoff: against a dead port the Client retries with doubling
// waits, each between half and all of the doubled wait, and not all equal.
func TestClientBackoff(t *testing.T) {
	const floor = 20 * time.Millisecond
	var mu sync.Mutex
	var at []time.Time
	cl, err := jwks.NewClient("http://"+deadAddr(t)+"/jwks", jwks.WithRetryFloor(floor), jwks.WithTimeout(time.Second),
		jwks.WithLogger(slog.New(slog.DiscardHandler)),
		jwks.WithObserver(func(jwks.FetchEvent) { mu.Lock(); at = append(at, time.Now()); mu.Unlock() }))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	cl.Close()
	mu.Lock()
	defer mu.Unlock()
	// Waits 10-20, 20-40, 40-80, 80-160, 160-320, 320-640 ms: 6 or 7
	// attempts in a second (a fixed 20 ms retry would make 50).
	if len(at) < 6 || len(at) > 7 {
		t.Fatalf("%d attempts in a second", len(at))
	}
	jittered := false
	for i := 1; i < len(at); i++ {
		d := floor << (i - 1)
		gap := at[i].Sub(at[i-1])
		if gap < d/2 || gap > d+100*time.Millisecond {
			t.Fatalf("wait %d: %v, want between %v and %v", i, gap, d/2, d)
		}
		if gap < d*9/10 {
			jittered = true
		}
	}
	if !jittered {
		t.Fatal("no wait was shortened by jitter")
	}
}

func mustExport(t *testing.T, d *rotation.Deriver) []byte {
	t.Helper()
	b, err := jwks.Export(context.Background(), d, d.Schedule().Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestClientMismatchWhenReady: a ready Client whose issuer starts
// publishing another fleet refuses the new document, says which setting,
// and keeps serving the keys it had.
func TestClientMismatchWhenReady(t *testing.T) {
	c := newClock(epoch)
	d, a := issuer(t, c)
	doc := newFleetDoc(t, d, 0)
	srv := httptest.NewServer(doc)
	defer srv.Close()
	var ev events
	cl, err := jwks.NewClient(srv.URL, append(ev.opts(), jwks.WithClock(c))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	v := verifier(t, cl)
	tok := sign(t, a)
	doc.set(func(f *fleetDoc) { f.fleet.Window = 5 * time.Minute })
	ver := cl.Version()
	_, aEvil := issuer(t, c, "evil") // a miss: the Client fetches
	if _, err := v.Verify(context.Background(), sign(t, aEvil), nil); !errors.Is(err, jwtrot.ErrUnknownKeyID) {
		t.Fatal(err)
	}
	list, log := ev.snapshot()
	last := list[len(list)-1]
	if last.Cause != "miss" || last.Mismatch != "window length: local 10m0s, published 5m0s" || !last.Ready || !last.Stale || !errors.Is(last.Err, jwks.ErrMismatch) {
		t.Fatalf("event %+v", last)
	}
	if !strings.Contains(last.Err.Error(), "every URL of a Client must publish one fleet") || !strings.Contains(log, "level=ERROR") {
		t.Fatalf("%v\n%s", last.Err, log)
	}
	if _, err := v.Verify(context.Background(), tok, nil); err != nil || cl.Version() != ver || !cl.Ready() {
		t.Fatalf("the keys held before: %v, version %d -> %d", err, ver, cl.Version())
	}
}
