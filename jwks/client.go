package jwks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtrot/jwtrot/rotation"
)

// Defaults of a [Client].
const (
	DefaultTimeout = 5 * time.Second
	// missFetches is the most fetches per window that tokens naming a key
	// the Client lacks may cause; the schedule's own fetches are extra.
	missFetches = 2
	minRetry    = time.Second
)

// An Option configures [Parse] or a [Client].
type Option func(*options)

type options struct {
	purpose  string
	client   *http.Client
	timeout  time.Duration
	insecure bool
	observe  func(FetchEvent)
	lead     time.Duration
	leadSet  bool
}

// WithPurpose sets the purpose label a [github.com/jwtrot/jwtrot/jwtrot.Outcome] reports for the
// keys (default rotation.DefaultPurpose). A JWKS is of one purpose: the
// issuer's Deriver's.
func WithPurpose(p string) Option { return func(o *options) { o.purpose = p } }

// WithHTTPClient sets the HTTP client a [Client] fetches with (default: one
// of its own, with the timeout). Its redirects are held to the same scheme
// rule as the URL.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithTimeout bounds each fetch, connection to last byte (default
// [DefaultTimeout]). A token waiting on a fetch waits at most this long.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithInsecureHTTP lets a [Client] fetch over plain HTTP from a host that is
// not a loopback address. Whoever can alter the document in transit can
// then sign tokens the verifier accepts: use it only on a network that
// authenticates its peers.
func WithInsecureHTTP() Option { return func(o *options) { o.insecure = true } }

// WithObserver sets a function told of every fetch, for metrics and logs. It
// must be quick and safe for concurrent use.
func WithObserver(f func(FetchEvent)) Option { return func(o *options) { o.observe = f } }

// WithLead sets how long before each window starts a [Client] fetches the
// document again (default a quarter of the window, or twice the skew if that
// is more), so that the keys of the window after next are held before anyone
// needs them. It must be more than the skew and less than the window.
func WithLead(d time.Duration) Option { return func(o *options) { o.lead, o.leadSet = d, true } }

func newOptions(opts []Option) (*options, error) {
	o := &options{purpose: rotation.DefaultPurpose, timeout: DefaultTimeout}
	for _, f := range opts {
		f(o)
	}
	if o.timeout <= 0 {
		return nil, fmt.Errorf("jwks: WithTimeout(%v) is not positive", o.timeout)
	}
	return o, nil
}

// A FetchEvent is what an observer learns of one fetch.
type FetchEvent struct {
	// Cause is why the Client fetched: "start", "schedule" (ahead of a
	// window), "retry" (after a failure) or "miss" (a token named an
	// acceptable window whose key the Client lacked).
	Cause string
	// Status is the HTTP status, 0 if there was no response.
	Status int
	// Keys is the number of keys the Client holds after the fetch.
	Keys int
	// Changed reports whether the fetch brought a new document.
	Changed bool
	// Stale reports whether the fetch failed and the Client keeps serving
	// the last good document. Its keys are public: nothing becomes
	// forgeable, but keys for windows past its horizon are missing.
	Stale bool
	// Duration is how long the fetch took.
	Duration time.Duration
	// Err is the failure, nil on success. It never holds the document.
	Err error
}

// A Client is a [github.com/jwtrot/jwtrot/jwtrot.KeySource] that reads a JWKS URL, knowing the window
// schedule: it fetches the document when it starts and once a window ahead
// of the next window's start, so tokens rarely wait; a token naming an
// acceptable window whose key it lacks triggers one fetch that every
// concurrent token waits on (bounded by the timeout), at most a few times
// per window; a kid outside the previous, current and next-within-skew
// windows is refused by the verifier before the Client is asked, so no
// stream of garbage kids causes a request. When the issuer cannot be
// reached the last good document keeps serving.
//
// A Client is safe for concurrent use. Close stops its goroutine.
type Client struct {
	url   string
	sched *rotation.Schedule
	o     *options
	http  *http.Client

	set     atomic.Pointer[Set]
	version atomic.Int64
	fetches atomic.Int64

	mu       sync.Mutex
	inflight *flight // the fetch under way, nil if none
	etag     string
	missWin  int64 // the window missUsed counts in
	missUsed int
	lastMiss time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type flight struct {
	done chan struct{}
	err  error
}

// NewClient returns a Client of the JWKS at rawURL for the windows of
// sched. It refuses a URL that is not https (or http to a loopback host, or
// any http with [WithInsecureHTTP]) and fetches the document before it
// returns, so that a wrong URL or an unreachable issuer is found at
// start-up; then it starts the goroutine that fetches ahead of each window.
func NewClient(rawURL string, sched *rotation.Schedule, opts ...Option) (*Client, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if sched == nil {
		return nil, errors.New("jwks: nil schedule; make one with rotation.NewSchedule")
	}
	if !o.leadSet {
		o.lead = max(sched.Length()/4, 2*sched.Skew())
	}
	if o.lead <= sched.Skew() || o.lead >= sched.Length() {
		return nil, fmt.Errorf("jwks: WithLead(%v) is not between the skew (%v) and the window (%v)", o.lead, sched.Skew(), sched.Length())
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, errors.New("jwks: the JWKS URL is not an absolute http(s) URL")
	}
	if err := checkScheme(u, o.insecure); err != nil {
		return nil, err
	}
	c := &Client{url: u.String(), sched: sched, o: o, missWin: -1 << 63}
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
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.fetch(c.ctx, "start"); err != nil {
		c.cancel()
		return nil, fmt.Errorf("jwks: the first fetch failed; check the URL and that the issuer serves it: %w", err)
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

// Close stops the Client's goroutine and any fetch under way, and waits for
// them. The keys held keep answering.
func (c *Client) Close() error {
	c.mu.Lock() // no fetch starts after this: shared checks c.ctx under c.mu
	c.cancel()
	c.mu.Unlock()
	c.wg.Wait()
	return nil
}

// Fetches returns the number of fetches made so far, for tests and metrics.
func (c *Client) Fetches() int64 { return c.fetches.Load() }

// loop fetches ahead of every window, and retries with backoff after a
// failure.
func (c *Client) loop() {
	defer c.wg.Done()
	retry := time.Duration(0)
	for {
		wait, cause := c.untilNext(), "schedule"
		if retry > 0 {
			wait, cause = min(wait, retry), "retry"
		}
		t := time.NewTimer(wait)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := c.shared(c.ctx, cause); err != nil {
			retry = min(max(2*retry, minRetry), max(c.sched.Length()/8, minRetry))
		} else {
			retry = 0
		}
	}
}

// untilNext is the wait until the next scheduled fetch: the lead before the
// next window starts, or the one after if that moment has passed.
func (c *Client) untilNext() time.Duration {
	now := c.sched.Now()
	w := c.sched.WindowAt(now)
	at := w.End().Add(-c.o.lead)
	if !at.After(now) {
		at = w.Next().End().Add(-c.o.lead)
	}
	return at.Sub(now)
}

// shared joins the fetch under way or starts one, and waits for it or ctx.
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
			f.err = c.fetch(c.ctx, cause)
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

// fetch gets the document once and, if it is usable, serves it.
func (c *Client) fetch(ctx context.Context, cause string) (err error) {
	start := time.Now()
	c.fetches.Add(1)
	ev := FetchEvent{Cause: cause}
	defer func() {
		if c.o.observe == nil {
			return
		}
		ev.Duration, ev.Err = time.Since(start), err
		if s := c.set.Load(); s != nil {
			ev.Keys = len(s.list)
			ev.Stale = err != nil
		}
		c.o.observe(ev)
	}()
	ctx, cancel := context.WithTimeout(ctx, c.o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	c.mu.Lock()
	etag := c.etag
	c.mu.Unlock()
	if etag != "" && c.set.Load() != nil {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the issuer: %w", redactURL(err))
	}
	defer resp.Body.Close()
	ev.Status = resp.StatusCode
	if resp.StatusCode == http.StatusNotModified && c.set.Load() != nil {
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("the issuer answered HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxDocumentSize+1))
	if err != nil {
		return fmt.Errorf("reading the document: %w", redactURL(err))
	}
	s, err := parse(body, c.sched, c.o.purpose)
	if err != nil {
		return err
	}
	if old := c.set.Load(); old == nil || !sameKeys(old, s) {
		c.set.Store(s)
		c.version.Add(1)
		ev.Changed = true
	}
	c.mu.Lock()
	c.etag = resp.Header.Get("ETag")
	c.mu.Unlock()
	return nil
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

// Algorithm returns [rotation.EdDSA].
func (c *Client) Algorithm() rotation.Algorithm { return rotation.EdDSA }

// Schedule returns the Client's schedule.
func (c *Client) Schedule() *rotation.Schedule { return c.sched }

// Purpose returns the label given with [WithPurpose].
func (c *Client) Purpose() string { return c.o.purpose }

// Roots returns the ids of the roots the current document has keys of.
func (c *Client) Roots() []string { return c.set.Load().Roots() }

// Version changes whenever a fetch brings a different document.
func (c *Client) Version() int64 { return c.version.Load() }

// Key returns the key of the root's window from the current document, at
// once.
func (c *Client) Key(rootID string, w rotation.Window) (rotation.VerifyingKey, error) {
	return c.set.Load().Key(rootID, w)
}

// Fetch returns the key of an acceptable window the document lacked. It
// waits for the fetch under way, or starts one if this window has had fewer
// than a few such fetches and the last was not moments ago; every caller
// waits on the same fetch, for at most its ctx and the timeout. Otherwise it
// answers as Key does, at once.
func (c *Client) Fetch(ctx context.Context, rootID string, w rotation.Window) (rotation.VerifyingKey, error) {
	if k, err := c.Key(rootID, w); err == nil {
		return k, nil
	}
	c.mu.Lock()
	busy := c.inflight != nil
	if !busy {
		now := c.sched.Now()
		cur := c.sched.WindowAt(now).Index()
		if cur != c.missWin {
			c.missWin, c.missUsed = cur, 0
		}
		gap := max(c.sched.Length()/16, minRetry)
		if c.missUsed >= missFetches || now.Sub(c.lastMiss) < gap {
			c.mu.Unlock()
			return c.Key(rootID, w)
		}
		c.missUsed++
		c.lastMiss = now
	}
	c.mu.Unlock()
	c.shared(ctx, "miss") // its failure leaves the last good document
	return c.Key(rootID, w)
}
