package jwks_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// publisher is a JWKS server on 127.0.0.1 whose Deriver, failure and delay
// the test changes, counting requests.
type publisher struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	h        http.Handler
	status   int           // answer this instead of the document, if set
	delay    time.Duration // before answering
	gate     chan struct{} // if set, wait for it before answering
	requests atomic.Int64
}

func newPublisher(t *testing.T, d *rotation.Deriver) *publisher {
	p := &publisher{t: t}
	p.use(d)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		p.mu.Lock()
		h, status, delay, gate := p.h, p.status, p.delay, p.gate
		p.mu.Unlock()
		if gate != nil {
			<-gate
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if status != 0 {
			http.Error(w, "no", status)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *publisher) use(d *rotation.Deriver) {
	h, err := jwks.NewHandler(d, window)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.h = h
	p.mu.Unlock()
}

func (p *publisher) set(f func(p *publisher)) {
	p.mu.Lock()
	f(p)
	p.mu.Unlock()
}

func newClient(t *testing.T, url string, c *clock, opts ...jwks.Option) *jwks.Client {
	t.Helper()
	cl, err := jwks.NewClient(url, append([]jwks.Option{jwks.WithSchedule(c.schedule(t))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

func verifier(t *testing.T, src jwtrot.KeySource) *jwtrot.Verifier {
	t.Helper()
	v, err := jwtrot.NewVerifier(src)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestClientURLRules(t *testing.T) {
	c := newClock(epoch)
	for _, tt := range []struct {
		url  string
		opts []jwks.Option
		want string
	}{
		{"http://jwks.example/keys", nil, "use https"},
		{"http://10.0.0.1/keys", nil, "use https"},
		{"ftp://127.0.0.1/keys", nil, "absolute http(s) URL"},
		{"/keys", nil, "absolute http(s) URL"},
		{"https://127.0.0.1:1/keys", []jwks.Option{jwks.WithTimeout(0)}, "WithTimeout"},
		{"https://127.0.0.1:1/keys", []jwks.Option{jwks.WithLead(time.Second), jwks.WithSchedule(c.schedule(t))}, "WithLead"},
		{"https://127.0.0.1:1/keys", []jwks.Option{jwks.WithSchedule(nil)}, "WithSchedule(nil)"},
		{"https://127.0.0.1:1/keys", []jwks.Option{jwks.WithClock(nil)}, "WithClock(nil)"},
		{"https://127.0.0.1:1/keys", []jwks.Option{jwks.WithClock(c), jwks.WithSchedule(c.schedule(t))}, "has its own"},
		{"https://127.0.0.1:1/keys", []jwks.Option{jwks.WithLogger(nil)}, "WithLogger(nil)"},
		{"https://127.0.0.1:1/keys", []jwks.Option{jwks.WithURL("http://jwks.example/keys")}, "peers (URL 1)"},
		{"https://127.0.0.1:1/keys", []jwks.Option{jwks.WithURL("https://127.0.0.1:1/keys")}, "URL 1 repeats URL 0"},
	} {
		_, err := jwks.NewClient(tt.url, tt.opts...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.url, err, tt.want)
		}
	}
}

// TestClientUnreachableAtStart: an issuer that cannot be reached is not an
// error of NewClient: the Client starts not ready, says so in its log and
// to the observer, and refuses keys with ErrNotReady; no line, event or
// error repeats the URL's query or user information.
func TestClientUnreachableAtStart(t *testing.T) {
	c := newClock(epoch)
	for _, url := range []string{
		"http://127.0.0.1:1/keys?token=SECRETVALUE",
		"http://[::1]:1/keys",
		"http://user:SECRETVALUE@127.0.0.1:1/keys",
	} {
		var log strings.Builder
		var events []jwks.FetchEvent
		var mu sync.Mutex
		cl, err := jwks.NewClient(url, jwks.WithInsecureHTTP(), jwks.WithTimeout(time.Second),
			jwks.WithLogger(slog.New(slog.NewTextHandler(&syncWriter{w: &log, mu: &mu}, nil))),
			jwks.WithObserver(func(e jwks.FetchEvent) { mu.Lock(); events = append(events, e); mu.Unlock() }))
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if cl.Ready() || cl.Info().Schedule != nil || cl.Info().Roots != nil {
			t.Fatalf("%s: ready before any document", url)
		}
		if _, ok := publishedFleet(cl); ok {
			t.Fatalf("%s: a fleet before any document", url)
		}
		w := c.schedule(t).WindowAt(epoch)
		_, kerr := cl.Key("main", w)
		_, ferr := cl.Fetch(context.Background(), "main", w)
		for _, err := range []error{kerr, ferr} {
			if !errors.Is(err, rotation.ErrKeyUnavailable) || !errors.Is(err, jwks.ErrNotReady) || !strings.Contains(err.Error(), "not been reached yet") {
				t.Fatalf("%s: a key before ready: %v", url, err)
			}
		}
		cl.Close()
		mu.Lock()
		if len(events) != 1 || events[0].Cause != "start" || events[0].Ready || events[0].Err == nil || events[0].Source != 0 {
			t.Fatalf("%s: events %+v", url, events)
		}
		text := log.String() + events[0].Err.Error()
		mu.Unlock()
		if !strings.Contains(text, "no usable document from this URL yet") || !strings.Contains(text, "no JWKS URL answered") {
			t.Fatalf("%s: the log does not say the Client is not ready:\n%s", url, text)
		}
		if strings.Contains(text, "SECRETVALUE") || strings.Contains(text, "token=") || strings.Contains(text, "user:") {
			t.Fatalf("%s: the log or an event repeats the URL's query or user information:\n%s", url, text)
		}
	}
}

// syncWriter serialises writes to a strings.Builder a test reads.
type syncWriter struct {
	w  *strings.Builder
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestClientHTTPSAndRedirects(t *testing.T) {
	c := newClock(epoch)
	d, a := issuer(t, c)
	h, err := jwks.NewHandler(d, window)
	if err != nil {
		t.Fatal(err)
	}
	tls := httptest.NewTLSServer(h)
	defer tls.Close()
	cl := newClient(t, tls.URL, c, jwks.WithHTTPClient(tls.Client()))
	if _, err := verifier(t, cl).Verify(context.Background(), sign(t, a), nil); err != nil {
		t.Fatal(err)
	}
	// A redirect from https to plain http elsewhere is not followed.
	redirect := httptest.NewTLSServer(http.RedirectHandler("http://jwks.example/keys", http.StatusFound))
	defer redirect.Close()
	var got error
	cl = newClient(t, redirect.URL, c, jwks.WithHTTPClient(redirect.Client()), jwks.WithObserver(func(e jwks.FetchEvent) { got = e.Err }))
	if cl.Ready() || got == nil || !strings.Contains(got.Error(), "use https") {
		t.Fatalf("redirected to http: ready %v, %v", cl.Ready(), got)
	}
}

func TestClientFirstFetch(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	p := newPublisher(t, d)
	p.set(func(p *publisher) { p.status = http.StatusNotFound })
	var events []jwks.FetchEvent
	cl := newClient(t, p.srv.URL, c, jwks.WithObserver(func(e jwks.FetchEvent) { events = append(events, e) }))
	if cl.Ready() || len(events) != 1 || events[0].Status != 404 || events[0].Ready || !strings.Contains(events[0].Err.Error(), "HTTP 404") {
		t.Fatalf("404: ready %v, events %+v", cl.Ready(), events)
	}
	cl.Close()
	events = nil
	p.set(func(p *publisher) { p.status = 0 })
	cl = newClient(t, p.srv.URL, c, jwks.WithObserver(func(e jwks.FetchEvent) { events = append(events, e) }))
	if len(events) != 1 || events[0].Cause != "start" || events[0].Status != 200 || !events[0].Changed || events[0].Keys != 3 || events[0].Err != nil || !events[0].Ready {
		t.Fatalf("events %+v", events)
	}
	if cl.Fetches() != 1 {
		t.Fatalf("%d fetches", cl.Fetches())
	}
}

// TestClientMissSharedFetch: tokens of a root the Client has not seen (a
// root added to the issuer) make one fetch, which every concurrent request
// waits on; then all are accepted.
func TestClientMissSharedFetch(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	p := newPublisher(t, d)
	cl := newClient(t, p.srv.URL, c)
	v := verifier(t, cl)

	d2, a2 := issuer(t, c, "new", "main") // the issuer now signs with "new"
	p.use(d2)
	gate := make(chan struct{})
	p.set(func(p *publisher) { p.gate = gate })
	tok := sign(t, a2)
	before := p.requests.Load()
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.Verify(context.Background(), tok, nil)
			errs <- err
		}()
	}
	// Let every request reach the fetch, then answer it.
	deadline := time.Now().Add(5 * time.Second)
	for p.requests.Load() == before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a request waiting on the fetch: %v", err)
		}
	}
	if got := p.requests.Load() - before; got != 1 {
		t.Fatalf("%d requests for %d concurrent tokens, want 1", got, n)
	}
	// Now held: no more fetches.
	p.set(func(p *publisher) { p.gate = nil })
	for range 100 {
		if _, err := v.Verify(context.Background(), tok, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.requests.Load() - before; got != 1 {
		t.Fatalf("%d requests after the key is held", got)
	}
}

// TestClientGarbageKids: kids the schedule refuses are never fetched; kids
// of an unknown root in an acceptable window fetch at most twice a window,
// unlike JWKS clients that refetch on every unknown kid (MicahParks/jwkset#26).
func TestClientGarbageKids(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	p := newPublisher(t, d)
	cl := newClient(t, p.srv.URL, c)
	v := verifier(t, cl)
	cur := d.Schedule().WindowAt(epoch).Index()
	forged := func(kid string) string {
		h := b64([]byte(`{"alg":"EdDSA","kid":"` + kid + `","typ":"JWT"}`))
		return h + "." + b64([]byte(`{"exp":9999999999,"iat":1}`)) + "." + b64(make([]byte, 64))
	}
	refuse := func(kid string, want error) {
		t.Helper()
		if _, err := v.Verify(context.Background(), forged(kid), nil); !errors.Is(err, want) {
			t.Fatalf("kid %q: %v, want %v", kid, err, want)
		}
	}
	start := p.requests.Load()
	for i := range 1000 {
		refuse(rotation.KeyID("main", cur-2-int64(i)), jwtrot.ErrWindowRetired)
		refuse(rotation.KeyID("main", cur+2+int64(i)), jwtrot.ErrWindowNotOpen)
		refuse(rotation.KeyID("evil", cur-2-int64(i)), jwtrot.ErrUnknownKeyID)
		refuse("main:0"+rotation.KeyID("", cur)[1:], jwtrot.ErrUnknownKeyID)
		refuse("not a kid", jwtrot.ErrUnknownKeyID)
		refuse(rotation.KeyID("main", cur), jwtrot.ErrBadSignature)
	}
	if got := p.requests.Load() - start; got != 0 {
		t.Fatalf("%d fetches for kids the schedule refuses or keys held", got)
	}
	// Unknown roots in the current window: a few fetches, not one each.
	for i := range 1000 {
		refuse(rotation.KeyID("r"+string(rune('a'+i%26)), cur), jwtrot.ErrUnknownKeyID)
		if i%100 == 0 {
			c.Add(time.Second) // spread over the window
		}
	}
	if got := p.requests.Load() - start; got > 2 {
		t.Fatalf("%d fetches in one window for 1000 tokens of unknown roots, want at most 2", got)
	}
	c.Add(window)
	for range 100 {
		refuse(rotation.KeyID("zz", cur+1), jwtrot.ErrUnknownKeyID)
	}
	if got := p.requests.Load() - start; got > 3 {
		t.Fatalf("%d fetches over two windows", got)
	}
}

// TestClientStale: when the issuer fails, the last good document keeps
// serving and the observer says so.
func TestClientStale(t *testing.T) {
	c := newClock(epoch)
	d, a := issuer(t, c)
	p := newPublisher(t, d)
	var stale atomic.Int64
	cl := newClient(t, p.srv.URL, c, jwks.WithObserver(func(e jwks.FetchEvent) {
		if e.Stale && e.Err != nil && e.Keys == 3 {
			stale.Add(1)
		}
	}))
	v := verifier(t, cl)
	tok := sign(t, a)
	p.set(func(p *publisher) { p.status = http.StatusInternalServerError })
	_, a2 := issuer(t, c, "new")
	if _, err := v.Verify(context.Background(), sign(t, a2), nil); !errors.Is(err, jwtrot.ErrUnknownKeyID) {
		t.Fatalf("unknown root while the issuer fails: %v", err)
	}
	if stale.Load() != 1 {
		t.Fatalf("%d stale events", stale.Load())
	}
	if _, err := v.Verify(context.Background(), tok, nil); err != nil {
		t.Fatalf("a held key while the issuer fails: %v", err)
	}
}

// TestClientBounds: a fetch is bounded in time and size; a request waiting
// on it waits no longer than the timeout.
func TestClientBounds(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	p := newPublisher(t, d)
	cl := newClient(t, p.srv.URL, c, jwks.WithTimeout(200*time.Millisecond))
	v := verifier(t, cl)
	p.set(func(p *publisher) { p.delay = 10 * time.Second })
	_, a2 := issuer(t, c, "new")
	start := time.Now()
	_, err := v.Verify(context.Background(), sign(t, a2), nil)
	if !errors.Is(err, jwtrot.ErrUnknownKeyID) || time.Since(start) > 3*time.Second {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
	// A request's own deadline ends its wait sooner.
	p.set(func(p *publisher) { p.delay = 0 })
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"keys":[],"pad":"`))
		w.Write([]byte(strings.Repeat("a", jwks.MaxDocumentSize)))
		w.Write([]byte(`"}`))
	}))
	defer big.Close()
	var got error
	if cl := newClient(t, big.URL, c, jwks.WithObserver(func(e jwks.FetchEvent) { got = e.Err })); cl.Ready() || got == nil || !strings.Contains(got.Error(), "over") {
		t.Fatalf("a document over the size bound: %v", got)
	}
}

// TestClientETag: a fetch of an unchanged document is answered 304 and
// changes nothing.
func TestClientETag(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	var statuses []int
	p := newPublisher(t, d)
	cl := newClient(t, p.srv.URL, c, jwks.WithObserver(func(e jwks.FetchEvent) { statuses = append(statuses, e.Status) }))
	ver := cl.Version()
	_, a2 := issuer(t, c, "new") // a miss, same document
	if _, err := verifier(t, cl).Verify(context.Background(), sign(t, a2), nil); !errors.Is(err, jwtrot.ErrUnknownKeyID) {
		t.Fatal(err)
	}
	if len(statuses) != 2 || statuses[1] != http.StatusNotModified || cl.Version() != ver {
		t.Fatalf("statuses %v, version %d -> %d", statuses, ver, cl.Version())
	}
}

// TestClientCloseLeaksNothing: Close stops every goroutine of the Client,
// even with a fetch under way.
func TestClientCloseLeaksNothing(t *testing.T) {
	c := newClock(epoch)
	d, _ := issuer(t, c)
	p := newPublisher(t, d)
	before := runtime.NumGoroutine()
	for range 10 {
		cl, err := jwks.NewClient(p.srv.URL, jwks.WithSchedule(c.schedule(t)))
		if err != nil {
			t.Fatal(err)
		}
		p.set(func(p *publisher) { p.delay = time.Hour })
		_, a2 := issuer(t, c, "new")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		verifier(t, cl).Verify(ctx, sign(t, a2), nil) // starts a fetch that hangs
		cancel()
		cl.Close()
		p.set(func(p *publisher) { p.delay = 0 })
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "jwks.(*Client)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines of a closed Client remain (%d before, %d now):\n%s", before, runtime.NumGoroutine(), stacks)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClientFetchesAhead: on the real clock with 2-second windows, the
// Client fetches again before the next window starts, not after.
func TestClientFetchesAhead(t *testing.T) {
	const L = 2 * time.Second
	d, err := rotation.NewDeriver([]*rotation.Root{mustRoot(t, "main")}, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithWindow(L), rotation.WithSkew(0))
	if err != nil {
		t.Fatal(err)
	}
	h, err := jwks.NewHandler(d, L)
	if err != nil {
		t.Fatal(err)
	}
	// Without Cache-Control, which would replace the schedule.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(noCache{w}, r)
	}))
	defer srv.Close()
	sched, err := rotation.NewSchedule(rotation.WithWindow(L), rotation.WithSkew(0))
	if err != nil {
		t.Fatal(err)
	}
	type fetch struct {
		at    time.Time
		cause string
	}
	got := make(chan fetch, 16)
	cl, err := jwks.NewClient(srv.URL, jwks.WithSchedule(sched), jwks.WithObserver(func(e jwks.FetchEvent) { got <- fetch{time.Now(), e.Cause} }))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if f := <-got; f.cause != "start" {
		t.Fatalf("first fetch: %s", f.cause)
	}
	select {
	case f := <-got:
		w := sched.WindowAt(f.at)
		// The lead is a quarter of the window: 500 ms before the boundary
		// (less if the machine was slow to wake the Client, never after).
		if left := w.End().Sub(f.at); f.cause != "schedule" || left <= 0 || left > L/4+200*time.Millisecond {
			t.Fatalf("a %s fetch %v before the window's end", f.cause, w.End().Sub(f.at))
		}
	case <-time.After(2*L + time.Second):
		t.Fatal("no fetch ahead of the next window")
	}
}

// noCache drops the Cache-Control header a handler sets.
type noCache struct{ http.ResponseWriter }

func (n noCache) WriteHeader(status int) {
	n.Header().Del("Cache-Control")
	n.ResponseWriter.WriteHeader(status)
}

func (n noCache) Write(b []byte) (int, error) {
	n.Header().Del("Cache-Control")
	return n.ResponseWriter.Write(b)
}
