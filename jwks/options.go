package jwks

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jwtrot/jwtrot/rotation"
)

// An Option configures [Parse] or a [Client].
type Option func(*options)

type options struct {
	purpose    string
	purposeSet bool
	client     *http.Client
	timeout    time.Duration
	insecure   bool
	observe    func(FetchEvent)
	lead       time.Duration
	leadSet    bool
	sched      *rotation.Schedule
	schedSet   bool
	clock      rotation.Clock
	clockSet   bool
	more       []string
	logger     *slog.Logger
	loggerSet  bool
	retryFloor time.Duration // the first retry's wait; minRetry but in tests
}

// WithPurpose sets the purpose of the keys (default: the purpose the
// document publishes, else rotation.DefaultPurpose), which a
// [github.com/jwtrot/jwtrot/jwtrot.Outcome] reports. A JWKS is of one purpose, the issuer's
// Deriver's: a document that publishes another one is refused.
func WithPurpose(p string) Option { return func(o *options) { o.purpose, o.purposeSet = p, true } }

// WithSchedule sets the window schedule locally, for a [Client] of an issuer
// that publishes none (an older jwtrot) or to pin it: a document that
// publishes another window length or skew is then refused, naming the
// setting. Leave it out to follow the issuer's published schedule.
func WithSchedule(s *rotation.Schedule) Option {
	return func(o *options) { o.sched, o.schedSet = s, true }
}

// WithClock sets the clock of a schedule taken from the document (default
// rotation.SystemClock), for tests and simulations. A schedule given with
// [WithSchedule] has its own clock.
func WithClock(c rotation.Clock) Option { return func(o *options) { o.clock, o.clockSet = c, true } }

// WithURL adds another URL to a [Client], which fetches every URL and holds
// the union of their keys: one issuer reachable under two names, or two
// issuers during a migration. Every document must publish the same fleet
// (or none); one that differs is refused, loudly. Each URL keeps its own
// last good document, ETag and retries, so one URL down does not stop the
// others.
func WithURL(more string) Option { return func(o *options) { o.more = append(o.more, more) } }

// WithLogger sets where a [Client] logs its state: not reached yet, ready,
// stale, refused, recovered (default slog.Default()). Lines name the URL by
// its index and its scheme, host and path: never its query or user
// information, which may hold a credential.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger, o.loggerSet = l, true } }

// WithHTTPClient sets the HTTP client a [Client] fetches with (default: one
// of its own, with the timeout). Its redirects are held to the same scheme
// rule as the URL.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithTimeout bounds each fetch, connection to last byte (default
// [DefaultTimeout]). A token waiting on a fetch waits at most this long, and
// so does [NewClient] for the first one.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithInsecureHTTP lets a [Client] fetch over plain HTTP from a host that is
// not a loopback address. Whoever can alter the document in transit can
// then sign tokens the verifier accepts: use it only on a network that
// authenticates its peers.
func WithInsecureHTTP() Option { return func(o *options) { o.insecure = true } }

// WithObserver sets a function told of every fetch of every URL, for
// metrics and logs: not ready, ready, stale, refused (Mismatch) and
// recovered are all events. It must be quick and safe for concurrent use.
func WithObserver(f func(FetchEvent)) Option { return func(o *options) { o.observe = f } }

// WithLead sets how long before each window starts a [Client] fetches the
// document again (default a quarter of the window, or twice the skew if that
// is more), so that the keys of the window after next are held before anyone
// needs them. It must be more than the skew and less than the window. The
// issuer's Cache-Control max-age, when it sends one, replaces this schedule.
func WithLead(d time.Duration) Option { return func(o *options) { o.lead, o.leadSet = d, true } }

func newOptions(opts []Option) (*options, error) {
	o := &options{purpose: rotation.DefaultPurpose, timeout: DefaultTimeout, clock: rotation.SystemClock,
		logger: slog.Default(), retryFloor: minRetry}
	for _, f := range opts {
		f(o)
	}
	switch {
	case o.timeout <= 0:
		return nil, fmt.Errorf("jwks: WithTimeout(%v) is not positive", o.timeout)
	case o.schedSet && o.sched == nil:
		return nil, errors.New("jwks: WithSchedule(nil); leave it out to follow the issuer's published schedule")
	case o.clock == nil:
		return nil, errors.New("jwks: WithClock(nil); leave it out for the system clock")
	case o.clockSet && o.sched != nil:
		return nil, errors.New("jwks: WithClock is the clock of the published schedule, and WithSchedule's has its own: give the clock to rotation.NewSchedule with rotation.WithClock")
	case o.loggerSet && o.logger == nil:
		return nil, errors.New("jwks: WithLogger(nil); leave it out for slog.Default(), or give slog.New(slog.DiscardHandler)")
	}
	return o, nil
}

// checkLead checks the lead against a schedule, setting the default.
func (o *options) checkLead(s *rotation.Schedule) (time.Duration, error) {
	if !o.leadSet {
		return max(s.Length()/4, 2*s.Skew()), nil
	}
	if o.lead <= s.Skew() || o.lead >= s.Length() {
		return 0, fmt.Errorf("jwks: WithLead(%v) is not between the skew (%v) and the window (%v)", o.lead, s.Skew(), s.Length())
	}
	return o.lead, nil
}
