package jwks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// Defaults of a [Client].
const (
	DefaultTimeout = 5 * time.Second
	// missFetches is the most fetches per window that tokens naming a key
	// the Client lacks may cause; the schedule's own fetches are extra.
	missFetches = 2
	// minRetry is the first wait after a failed fetch, doubling with each
	// failure up to maxRetry (or an eighth of the window if less), with
	// jitter; it is also the shortest Cache-Control lifetime honoured.
	minRetry = time.Second
	maxRetry = 30 * time.Second
)

// ErrNotReady is the cause of the refusals of a [Client] that has no usable
// document yet: its issuer has not been reached, or the documents it
// answered were refused (FetchEvent.Err and the log say why). Key and
// Fetch wrap it with rotation.ErrKeyUnavailable. A
// [github.com/jwtrot/jwtrot/jwtrot.Verifier] over a Client that is not
// ready refuses every token with jwtrot.ErrNotReady (code not_ready, "key
// source not ready") before it asks for a key, and, behind
// [github.com/jwtrot/jwtrot/httpauth], answers 503.
var ErrNotReady = errors.New("jwks: the Client has no usable JWKS document yet")

// A FetchEvent is what an observer learns of one fetch of one URL.
type FetchEvent struct {
	// Cause is why the Client fetched: "start", "schedule" (ahead of a
	// window, or when the issuer's Cache-Control max-age ran out), "retry"
	// (after a failure) or "miss" (a token named an acceptable window whose
	// key the Client lacked).
	Cause string
	// Source is the index of the URL fetched: 0 for NewClient's, then the
	// WithURL ones in order. The URL itself is never in an event.
	Source int
	// Status is the HTTP status, 0 if there was no response.
	Status int
	// Keys is the number of keys the Client holds after the fetch, from
	// every URL.
	Keys int
	// Changed reports whether the fetch changed the keys the Client holds.
	Changed bool
	// Ready reports whether the Client has a usable document after the
	// fetch (see [Client.Ready]).
	Ready bool
	// Stale reports whether the fetch failed and the Client keeps serving
	// this URL's last good document. Its keys are public: nothing becomes
	// forgeable, but keys for windows past its horizon are missing.
	Stale bool
	// Age is how long ago this URL's document in use was last fetched
	// successfully (0 if it never was).
	Age time.Duration
	// Mismatch, if not empty, says which published setting differs from
	// the verifier's (for example "window length: local 5m0s, published
	// 10m0s"): the document was refused.
	Mismatch string
	// Duration is how long the fetch took.
	Duration time.Duration
	// Err is the failure, nil on success. It never holds the document or
	// the URL.
	Err error
}

// A Client is a [github.com/jwtrot/jwtrot/jwtrot.KeySource] that reads one or more JWKS URLs
// ([WithURL]). The document states the window schedule and the rest of the
// fleet (SPEC §10), so the URL is all a verifier needs; [WithSchedule] sets
// the schedule locally for an issuer that publishes none.
//
// It fetches each URL when it starts, then when the issuer's Cache-Control
// max-age runs out or, without one, once a window ahead of the next
// window's start, so tokens rarely wait; a token naming an acceptable
// window whose key it lacks triggers one fetch that every concurrent token
// waits on (bounded by the timeout), at most a few times per window; a kid
// outside the previous, current and next-within-skew windows is refused by
// the verifier before the Client is asked, so no stream of garbage kids
// causes a request. The keys held are those of the last good document of
// every URL: a root a document no longer lists is gone at that fetch.
//
// A Client whose issuer cannot be reached at start is not ready: it refuses
// every key with [ErrNotReady], retries with exponential backoff and jitter,
// and is ready as soon as a usable document arrives ([Client.Ready],
// [Client.WaitReady], [Client.ReadyHandler]). Once ready, it stays ready:
// when the issuer cannot be reached the last good document keeps serving.
//
// A Client is safe for concurrent use. Close stops its goroutines.
type Client struct {
	o       *options
	http    *http.Client
	sources []*source
	log     *slog.Logger

	view    atomic.Pointer[view] // nil until ready
	version atomic.Int64
	fetches atomic.Int64
	ready   chan struct{} // closed when ready
	reason  atomic.Pointer[string]

	mu       sync.Mutex
	inflight *flight // the fetch under way, nil if none
	sched    *rotation.Schedule
	lead     time.Duration
	fleet    rotation.Fleet // the published fleet, if hasFleet
	hasFleet bool
	missWin  int64 // the window missUsed counts in
	missUsed int
	lastMiss time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// view is what the Client serves: the union of the URLs' documents.
type view struct {
	set   *Set
	sched *rotation.Schedule
}

// A source is one URL and its state, guarded by Client.mu.
type source struct {
	index int
	url   string
	shown string // scheme, host and path: what logs name

	etag     string
	doc      *Set      // the last good document, nil if none
	fetched  time.Time // when doc was last fetched (200 or 304)
	failures int       // since the last success
	retry    time.Duration
	next     time.Time // when to fetch again
}

type flight struct {
	done chan struct{}
	err  error
}

// NewClient returns a Client of the JWKS at rawURL (and any [WithURL]). It
// refuses a URL that is not https (or http to a loopback host, or any http
// with [WithInsecureHTTP]) and options that contradict each other. It then
// fetches every URL once, bounded by the timeout: a document that publishes
// another window length, skew or purpose than [WithSchedule] or
// [WithPurpose] is an error (wrapping [ErrMismatch], saying which setting
// and how to fix it), and so is one that publishes no schedule when none is
// set. An issuer that cannot be reached is not: NewClient returns a Client
// that is not ready, logs it, tells the observer, and keeps retrying.
func NewClient(rawURL string, opts ...Option) (*Client, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	c := &Client{o: o, log: o.logger, missWin: -1 << 63, ready: make(chan struct{})}
	if o.sched != nil {
		if c.lead, err = o.checkLead(o.sched); err != nil {
			return nil, err
		}
		c.sched = o.sched
	}
	for i, raw := range append([]string{rawURL}, o.more...) {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, fmt.Errorf("jwks: URL %d is not an absolute http(s) URL", i)
		}
		if err := checkScheme(u, o.insecure); err != nil {
			return nil, fmt.Errorf("%w (URL %d)", err, i)
		}
		for _, s := range c.sources {
			if s.url == u.String() {
				return nil, fmt.Errorf("jwks: URL %d repeats URL %d", i, s.index)
			}
		}
		shown := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
		c.sources = append(c.sources, &source{index: i, url: u.String(), shown: shown.String()})
	}
	c.http = &http.Client{Timeout: o.timeout}
	if o.client != nil {
		cp := *o.client
		c.http = &cp
	}
	c.http.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("jwks: too many redirects")
		}
		return checkScheme(r.URL, o.insecure)
	}
	c.setReason(reasonUnreached)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	errs := c.round(c.ctx, "start", true)
	for i, err := range errs { // one per URL, in order
		if err != nil && (errors.Is(err, ErrMismatch) || errors.Is(err, errNoSchedule) || errors.Is(err, errLead)) {
			c.cancel()
			if len(errs) > 1 {
				err = fmt.Errorf("%w (URL %d)", err, i)
			}
			return nil, err
		}
	}
	if !c.Ready() {
		c.log.Warn("jwks: no JWKS URL answered with a usable document; tokens are refused as not ready until one does, and the Client keeps trying",
			"urls", len(c.sources), "err", errors.Join(errs...))
	}
	c.wg.Add(1)
	go c.loop()
	return c, nil
}

// checkScheme refuses plain HTTP to a host that is not loopback.
func checkScheme(u *url.URL, insecure bool) error {
	if u.Scheme == "https" || insecure {
		return nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return errors.New("jwks: a JWKS over plain HTTP can be altered in transit to make the verifier accept forged tokens; use https, or WithInsecureHTTP on a network that authenticates peers")
}

// Close stops the Client's goroutines and any fetch under way, and waits for
// them. The keys held keep answering.
func (c *Client) Close() error {
	c.mu.Lock() // no fetch starts after this: shared checks c.ctx under c.mu
	c.cancel()
	c.mu.Unlock()
	c.wg.Wait()
	return nil
}

// Fetches returns the number of fetches made so far, of every URL, for
// tests and metrics.
func (c *Client) Fetches() int64 { return c.fetches.Load() }

// loop fetches each URL when it is due: on the schedule or Cache-Control
// when it is good, after a backoff when it failed.
func (c *Client) loop() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		next := c.sources[0].next
		for _, s := range c.sources[1:] {
			if s.next.Before(next) {
				next = s.next
			}
		}
		c.mu.Unlock()
		t := time.NewTimer(max(time.Until(next), 0))
		select {
		case <-c.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		c.shared(c.ctx, "")
	}
}

// shared joins the fetch under way or starts one, and waits for it or ctx.
// A "miss" fetches every URL; "" those that are due.
func (c *Client) shared(ctx context.Context, cause string) error {
	c.mu.Lock()
	f := c.inflight
	if f == nil {
		if err := c.ctx.Err(); err != nil {
			c.mu.Unlock()
			return errors.New("jwks: the Client is closed")
		}
		f = &flight{done: make(chan struct{})}
		c.inflight = f
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			f.err = errors.Join(c.round(c.ctx, cause, cause == "miss")...)
			c.mu.Lock()
			c.inflight = nil
			c.mu.Unlock()
			close(f.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// round fetches every URL (all) or those that are due, at once, and applies
// the answers in the URLs' order. It returns each URL's error.
func (c *Client) round(ctx context.Context, cause string, all bool) []error {
	now := time.Now()
	c.mu.Lock()
	type job struct {
		s     *source
		cause string
		etag  string
		res   response
	}
	var jobs []*job
	for _, s := range c.sources {
		if !all && s.next.After(now) {
			continue
		}
		j := &job{s: s, cause: cause}
		if s.doc != nil {
			j.etag = s.etag
		}
		if cause == "" {
			j.cause = "schedule"
			if s.failures > 0 || s.doc == nil {
				j.cause = "retry"
			}
		}
		jobs = append(jobs, j)
	}
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j.res = c.get(ctx, j.s.url, j.etag)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return []error{errors.New("jwks: the Client is closed")}
	}
	errs := make([]error, len(jobs))
	for i, j := range jobs {
		errs[i] = c.apply(j.s, j.cause, j.res)
	}
	return errs
}

// A response is what one GET brought.
type response struct {
	status   int
	body     []byte // nil for 304
	etag     string
	maxAge   time.Duration // from Cache-Control, -1 if none
	duration time.Duration
	err      error
}

// get fetches one URL, bounded by the timeout.
func (c *Client) get(ctx context.Context, rawURL, etag string) (r response) {
	start := time.Now()
	c.fetches.Add(1)
	defer func() { r.duration = time.Since(start) }()
	r.maxAge = -1
	ctx, cancel := context.WithTimeout(ctx, c.o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		r.err = errors.New("jwks: the request cannot be made")
		return r
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		r.err = fmt.Errorf("jwks: cannot reach the issuer: %w", redactURL(err))
		return r
	}
	defer resp.Body.Close()
	r.status = resp.StatusCode
	r.maxAge = cacheLifetime(resp.Header)
	switch {
	case resp.StatusCode == http.StatusNotModified && etag != "":
		r.etag = etag
		return r
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		r.err = fmt.Errorf("jwks: the issuer answered HTTP %d", resp.StatusCode)
		return r
	}
	r.body, err = io.ReadAll(io.LimitReader(resp.Body, MaxDocumentSize+1))
	if err != nil {
		r.body, r.err = nil, fmt.Errorf("jwks: reading the document: %w", redactURL(err))
		return r
	}
	r.etag = resp.Header.Get("ETag")
	return r
}

// cacheLifetime returns what remains of a response's Cache-Control
// max-age (less its Age header), -1 if it has none or says no-cache or
// no-store: then the Client follows the window schedule.
func cacheLifetime(h http.Header) time.Duration {
	life := time.Duration(-1)
	for _, cc := range h.Values("Cache-Control") {
		for _, d := range strings.Split(cc, ",") {
			d = strings.ToLower(strings.TrimSpace(d))
			if d == "no-cache" || d == "no-store" {
				return -1
			}
			if v, ok := strings.CutPrefix(d, "max-age="); ok {
				n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
				if err != nil || n < 0 {
					return -1
				}
				life = time.Duration(min(n, 1<<31)) * time.Second
			}
		}
	}
	if life > 0 {
		if age, err := strconv.ParseInt(h.Get("Age"), 10, 64); err == nil && age > 0 {
			life = max(0, life-time.Duration(min(age, 1<<31))*time.Second)
		}
	}
	return life
}

// Errors of a document the Client cannot use whatever the issuer's state:
// NewClient refuses them.
var (
	errNoSchedule = fmt.Errorf("%w; give the Client jwks.WithSchedule, or upgrade the issuer", ErrNoSchedule)
	errLead       = errors.New("jwks: WithLead does not fit the issuer's published schedule")
)

// apply takes one URL's answer: it checks the document, updates the URL's
// state and the keys served, and tells the log and the observer. Answers
// are applied one at a time (round runs in one flight at a time), so the
// log and the events are in order.
func (c *Client) apply(s *source, cause string, r response) error {
	c.mu.Lock()
	now := time.Now()
	err := r.err
	var set *Set
	if err == nil && r.body != nil {
		set, err = c.accept(s, r.body)
	}
	wasReady, wasFailing := c.view.Load() != nil, s.failures
	changed := false
	if err == nil {
		if set != nil {
			s.doc = set
		}
		s.etag, s.fetched = r.etag, now
		s.failures, s.retry = 0, 0
		changed = c.rebuild()
		s.next = now.Add(c.untilScheduled(r.maxAge))
	} else {
		s.failures++
		s.retry = min(max(2*s.retry, c.o.retryFloor), c.maxBackoff())
		s.next = now.Add(jitter(s.retry))
	}
	v := c.view.Load()
	ev := FetchEvent{Cause: cause, Source: s.index, Status: r.status, Changed: changed, Ready: v != nil,
		Stale: err != nil && s.doc != nil, Duration: r.duration, Err: err}
	if v != nil {
		ev.Keys = len(v.set.list)
	}
	if s.doc != nil {
		ev.Age = now.Sub(s.fetched)
	}
	var mm *mismatch
	if errors.As(err, &mm) {
		ev.Mismatch = mm.short()
	}
	if v == nil && err != nil {
		switch {
		case mm != nil:
			c.setReason("the issuer's document was refused: " + mm.short())
		case errors.Is(err, errNoSchedule):
			c.setReason("the issuer publishes no window schedule; set jwks.WithSchedule")
		case r.status != 0:
			c.setReason(fmt.Sprintf("the issuer has not answered with a usable document yet (HTTP %d)", r.status))
		default:
			c.setReason(reasonUnreached)
		}
	}
	failures, retryIn := s.failures, s.next.Sub(now).Round(time.Millisecond)
	c.mu.Unlock() // the log and the observer are told outside the lock

	attrs := []any{"source", s.index, "url", s.shown}
	switch {
	case mm != nil:
		c.log.Error("jwks: refused the issuer's document: it publishes other settings than this verifier's; the Client keeps the keys it had and retries",
			append(attrs, "mismatch", mm.short(), "ready", v != nil, "err", err)...)
	case err != nil && s.doc != nil:
		c.log.Warn("jwks: fetch failed; serving this URL's last good document",
			append(attrs, "failures", failures, "age", ev.Age.Round(time.Second), "retry_in", retryIn, "err", err)...)
	case err != nil:
		c.log.Warn("jwks: no usable document from this URL yet",
			append(attrs, "ready", v != nil, "failures", failures, "retry_in", retryIn, "err", err)...)
	case wasFailing > 0:
		c.log.Info("jwks: fetched this URL's document again", append(attrs, "after_failures", wasFailing, "keys", ev.Keys)...)
	}
	if !wasReady && v != nil {
		c.log.Info("jwks: ready: the Client holds the issuer's keys", "keys", ev.Keys, "roots", len(v.set.roots))
	}
	if c.o.observe != nil {
		c.o.observe(ev)
	}
	if !wasReady && v != nil {
		close(c.ready) // after the observer and the log have been told
	}
	return err
}

// accept parses a URL's document and checks it against the local settings,
// the fleet the other URLs publish, and their keys. c.mu is held.
func (c *Client) accept(s *source, body []byte) (*Set, error) {
	fix := func(setting string) string {
		return fmt.Sprintf("remove jwks.WithSchedule (the issuer's published %s is then used) or make its %s the same, or fix the issuer if it is the one that is wrong", setting, setting)
	}
	if c.sched != nil && c.o.sched == nil {
		fix = func(setting string) string {
			return fmt.Sprintf("every URL of a Client must publish one fleet: fix the issuer that publishes another %s", setting)
		}
	}
	set, err := parse(body, c.sched, c.o, fix)
	if err != nil {
		if errors.Is(err, errNeedSchedule) {
			return nil, errNoSchedule
		}
		return nil, err
	}
	if set.hasFleet && c.hasFleet {
		if m := fleetDiffers(c.fleet, set.fleet); m != nil {
			return nil, m
		}
	}
	for _, o := range c.sources {
		if o == s || o.doc == nil {
			continue
		}
		for name, k := range set.keys {
			if ok, found := o.doc.keys[name]; found && !ok.Equal(k) {
				return nil, fmt.Errorf("%w: URL %d publishes another key for a kid of URL %d: one of them is not the issuer", ErrDocument, s.index, o.index)
			}
		}
	}
	if c.sched == nil { // the first document: its fleet sets the schedule
		lead, err := c.o.checkLead(set.sched)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errLead, err)
		}
		c.sched, c.lead = set.sched, lead
	}
	if set.hasFleet && !c.hasFleet {
		c.fleet, c.hasFleet = set.fleet, true
	}
	return set, nil
}

// fleetDiffers compares the fleet another URL published with this one's.
func fleetDiffers(have, got rotation.Fleet) *mismatch {
	const fix = "every URL of a Client must publish one fleet, which does not change under running verifiers: fix the issuer that differs, or restart the verifiers to adopt a new fleet"
	switch {
	case got.Window != have.Window:
		return &mismatch{"window length", have.Window.String(), got.Window.String(), fix}
	case got.Skew != have.Skew:
		return &mismatch{"skew", have.Skew.String(), got.Skew.String(), fix}
	case got.Purposes[0] != have.Purposes[0]:
		return &mismatch{"purpose", strconv.Quote(have.Purposes[0]), strconv.Quote(got.Purposes[0]), fix}
	case got.MaxAge != have.MaxAge:
		return &mismatch{"maximum age", have.MaxAge.String(), got.MaxAge.String(), fix}
	case got.Issuer != have.Issuer:
		return &mismatch{"issuer", "(not shown)", "(not shown)", fix}
	}
	return nil
}

// rebuild serves the union of the URLs' documents and reports whether the
// keys changed. c.mu is held.
func (c *Client) rebuild() bool {
	var u *Set
	for _, s := range c.sources {
		if s.doc == nil {
			continue
		}
		if u == nil {
			u = &Set{sched: c.sched, purpose: c.o.purpose, keys: map[keyName]*rotation.PublicKey{}, fleet: c.fleet, hasFleet: c.hasFleet}
			if c.hasFleet {
				u.purpose = c.fleet.Purposes[0]
			}
		}
		for _, k := range s.doc.list {
			name := keyName{k.RootID(), k.Window().Index()}
			if _, ok := u.keys[name]; ok {
				continue
			}
			u.keys[name] = k
			u.list = append(u.list, k)
			if !slices.Contains(u.roots, name.root) {
				u.roots = append(u.roots, name.root)
			}
		}
	}
	if u == nil {
		return false
	}
	old := c.view.Load()
	if old != nil && sameKeys(old.set, u) {
		return false
	}
	c.view.Store(&view{set: u, sched: c.sched})
	c.version.Add(1)
	if old == nil {
		c.setReason("")
	}
	return true
}

// untilScheduled is the wait before a good URL is fetched again: the
// issuer's Cache-Control lifetime if it sent one (at least a second), else
// the lead before the next window starts, or the one after if that moment
// has passed. c.mu is held.
func (c *Client) untilScheduled(maxAge time.Duration) time.Duration {
	if maxAge >= 0 {
		return max(maxAge, minRetry)
	}
	now := c.sched.Now()
	w := c.sched.WindowAt(now)
	at := w.End().Add(-c.lead)
	if !at.After(now) {
		at = w.Next().End().Add(-c.lead)
	}
	return at.Sub(now)
}

// maxBackoff is the longest wait between retries: 30 seconds, or an eighth
// of the window if less, and never under the first wait. c.mu is held.
func (c *Client) maxBackoff() time.Duration {
	d := maxRetry
	if c.sched != nil {
		d = min(d, c.sched.Length()/8)
	}
	return max(d, c.o.retryFloor)
}

// jitter returns a wait between half of d and d, so that verifiers that
// failed together do not retry together.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// redactURL drops the URL from a net/http error: its query may hold a
// credential.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func sameKeys(a, b *Set) bool {
	if len(a.list) != len(b.list) {
		return false
	}
	for i := range a.list {
		if !a.list[i].Equal(b.list[i]) {
			return false
		}
	}
	return true
}

// Info implements [github.com/jwtrot/jwtrot/jwtrot.KeySource]. Before the
// Client is ready it has no schedule, no roots and no fleet (a
// [github.com/jwtrot/jwtrot/jwtrot.Verifier] refuses tokens as not ready
// until then), and the purpose given with [WithPurpose]. Once ready it is
// the [Set.Info] of the documents held, with the schedule set with
// [WithSchedule], else the issuer's published one; the Verifier takes the
// maximum age and issuer from the fleet the issuer publishes (SPEC §10).
func (c *Client) Info() jwtrot.SourceInfo {
	v := c.view.Load()
	if v == nil {
		return jwtrot.SourceInfo{Algorithm: rotation.EdDSA, Purpose: c.o.purpose}
	}
	info := v.set.Info()
	info.Schedule = v.sched
	return info
}

// Version changes whenever the keys held change, and when the Client
// becomes ready.
func (c *Client) Version() int64 { return c.version.Load() }

// Ready reports whether the Client has had a usable document: until then
// it refuses every key with [ErrNotReady].
func (c *Client) Ready() bool { return c.view.Load() != nil }

// WaitReady waits until the Client is ready, ctx ends, or the Client is
// closed.
func (c *Client) WaitReady(ctx context.Context) error {
	select {
	case <-c.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jwks: not ready: %w", ctx.Err())
	case <-c.ctx.Done():
		if c.Ready() {
			return nil
		}
		return errors.New("jwks: the Client was closed before it was ready")
	}
}

// ReadyHandler returns an http.Handler for a readiness probe: 200 "ready"
// once the Client is ready, else 503 with a short reason (the issuer has
// not been reached yet, or which published setting differs). It never
// names a URL.
func (c *Client) ReadyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if c.Ready() {
			io.WriteString(w, "ready\n")
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "not ready: "+*c.reason.Load()+"\n")
	})
}

// reasonUnreached is why a Client is not ready before any answer.
const reasonUnreached = "the issuer has not been reached yet"

func (c *Client) setReason(r string) { c.reason.Store(&r) }

// notReady is the refusal of a Client that is not ready.
func (c *Client) notReady() error {
	return fmt.Errorf("%w: %w: %s; the Client keeps trying", rotation.ErrKeyUnavailable, ErrNotReady, *c.reason.Load())
}

// Key returns the key of the root's window from the documents held, at
// once.
func (c *Client) Key(rootID string, w rotation.Window) (rotation.VerifyingKey, error) {
	v := c.view.Load()
	if v == nil {
		return nil, c.notReady()
	}
	return v.set.Key(rootID, w)
}

// Fetch returns the key of an acceptable window the documents lacked. It
// waits for the fetch under way, or starts one of every URL if this window
// has had fewer than a few such fetches and the last was not moments ago;
// every caller waits on the same fetch, for at most its ctx and the
// timeout. Otherwise it answers as Key does, at once. A Client that is not
// ready answers at once: its retries are under way.
func (c *Client) Fetch(ctx context.Context, rootID string, w rotation.Window) (rotation.VerifyingKey, error) {
	v := c.view.Load()
	if v == nil {
		return nil, c.notReady()
	}
	if k, err := v.set.Key(rootID, w); err == nil {
		return k, nil
	}
	c.mu.Lock()
	busy := c.inflight != nil
	if !busy {
		now := v.sched.Now()
		cur := v.sched.WindowAt(now).Index()
		if cur != c.missWin {
			c.missWin, c.missUsed = cur, 0
		}
		gap := max(v.sched.Length()/16, minRetry)
		if c.missUsed >= missFetches || now.Sub(c.lastMiss) < gap {
			c.mu.Unlock()
			return c.Key(rootID, w)
		}
		c.missUsed++
		c.lastMiss = now
	}
	c.mu.Unlock()
	c.shared(ctx, "miss") // its failure leaves the last good documents
	return c.Key(rootID, w)
}
