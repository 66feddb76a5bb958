package rotation

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"
)

// A KeyringSource returns the current text of a keyring document: the usual
// secret mount ([KeyringFile]), or any function the application gives (a
// secret manager's client, or one that returns an environment variable's
// value). A
// [Deriver] calls it at start and then once every reload interval; it must
// honour ctx and never put the document in its errors. The document holds
// secrets, so the Deriver clears the returned bytes once it has read them:
// return a new slice on each call (as os.ReadFile does).
type KeyringSource func(ctx context.Context) ([]byte, error)

// KeyringFile reads the keyring from the file at path each time: a mounted
// Kubernetes Secret (swapped by a symlink) or a file replaced by an atomic
// rename is picked up at the next reload. Its errors do not repeat path.
func KeyringFile(path string) KeyringSource {
	return func(context.Context) ([]byte, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("keyring file: %w", fileError(err))
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxKeyringSize+1))
		if err != nil {
			clear(b)
			return nil, fmt.Errorf("keyring file: %w", fileError(err))
		}
		return b, nil
	}
}

// A KeyringEvent is what an observer learns of one reading of the keyring
// ([WithKeyringObserver]). It never holds a secret or the document.
type KeyringEvent struct {
	// Changed reports whether a new keyring took effect.
	Changed bool
	// Err is why the keyring read was refused, nil if it was not; the last
	// good keyring stays in use.
	Err error
	// Serial, Roots and Issuing describe the keyring in use after the
	// read: its serial, how many roots verify now, and which one issues
	// ("" if none).
	Serial  int64
	Roots   int
	Issuing string
	// Deferred lists roots new in this read that issue already but that
	// this instance will not sign with until every instance can have read
	// them (SPEC §11.3).
	Deferred []string
}

// ringConfig is what a keyring Deriver keeps besides its root set.
type ringConfig struct {
	src      KeyringSource
	resolve  func(ctx context.Context, id, ref string) (Expander, error)
	observe  func(KeyringEvent)
	mu       sync.Mutex      // serialises reloads
	revoked  map[string]bool // every root seen revoked, for the process's life
	interval chan time.Duration
	cancel   context.CancelFunc
	done     chan struct{}
	once     sync.Once
}

// WithRootResolver sets how a keyring Deriver turns a root's "ref" into the
// module that holds it, such as a PKCS#11 token or AWS KMS key: the function
// is called once for each new root with a ref, with its id and ref. Without
// it, a keyring with a ref is refused.
func WithRootResolver(f func(ctx context.Context, id, ref string) (Expander, error)) Option {
	return func(d *Deriver) { d.ringOpts().resolve = f }
}

// WithKeyringObserver sets a function told of every reading of the keyring,
// for metrics: changes, refusals, deferred roots. It must be quick and safe
// for concurrent use.
func WithKeyringObserver(f func(KeyringEvent)) Option {
	return func(d *Deriver) { d.ringOpts().observe = f }
}

func (d *Deriver) ringOpts() *ringConfig {
	if d.ring == nil {
		d.ring = &ringConfig{}
	}
	return d.ring
}

// NewKeyringDeriver returns a Deriver over the keyring that src gives
// (SPEC §11), for the purpose of [WithPurpose] (default the keyring's first
// purpose). The algorithm, window and skew come from the keyring: options
// that set them must agree with it, else NewKeyringDeriver says which to
// remove. It reads the keyring before it returns, failing if the keyring is
// unreadable or wrong, then reads it again every reload interval in a
// goroutine that [Deriver.Close] stops.
//
// A read that brings a valid edit takes effect at once: a new root starts
// verifying, a revoked or removed root stops. A bad edit is refused as a
// whole, with a log line and an event, and the last good keyring stays in
// use. The roots that issue at each instant are those the keyring states,
// except that a root new in a reload, unless marked "emergency", is not used
// to sign here until every instance can have read it (the reload interval
// plus the skew); another root signs meanwhile.
func NewKeyringDeriver(src KeyringSource, opts ...Option) (*Deriver, error) {
	if src == nil {
		return nil, errors.New("rotation: nil KeyringSource")
	}
	var probe Deriver
	for _, o := range opts {
		o(&probe)
	}
	d, err := newDeriver(nil)
	if err != nil {
		return nil, err
	}
	d.ring = probe.ringOpts()
	d.ring.src, d.ring.revoked = src, map[string]bool{}
	d.lead, d.leadSet, d.timeout, d.logger = probe.lead, probe.leadSet, max(probe.timeout, 0), probe.logger
	if d.timeout == 0 {
		d.timeout = defaultDeriveTimeout
	}
	if d.logger == nil {
		d.logger = slog.Default()
	}
	if probe.sched.clock != nil {
		d.sched.clock = probe.sched.clock
	}

	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	k, err := d.read(ctx)
	cancel()
	if err != nil {
		return nil, err
	}
	f := k.Fleet()
	local := Fleet{Algorithm: probe.alg, Window: probe.sched.length, Skew: probe.sched.skew}
	if probe.purpose != "" {
		local.Purposes = []string{probe.purpose}
	}
	if err := f.Agree(local); err != nil {
		return nil, err
	}
	d.alg, d.sched.length, d.sched.skew, d.sched.skewSet = f.Algorithm, f.Window, f.Skew, true
	d.purpose = f.Purposes[0]
	if probe.purpose != "" {
		d.purpose = probe.purpose
	}
	if err := d.sched.init(); err != nil {
		return nil, err
	}
	d.prefix = infoPrefix(d.alg, d.purpose, d.sched.seconds)
	ctx, cancel = context.WithTimeout(context.Background(), d.timeout)
	set, _, err := d.nextSet(ctx, k, nil)
	cancel()
	if err != nil {
		return nil, err
	}
	d.set.Store(set)
	d.noteRevoked(k)
	if err := d.startPrefetch(); err != nil {
		return nil, err
	}
	d.ring.interval = make(chan time.Duration, 1)
	ctx, d.ring.cancel = context.WithCancel(context.Background())
	d.ring.done = make(chan struct{})
	go d.reloadLoop(ctx, k.reload)
	return d, nil
}

// Keyring returns the keyring in use, nil for a Deriver over fixed roots.
func (d *Deriver) Keyring() *Keyring { return d.set.Load().ring }

// read fetches and parses the keyring, clearing the document's bytes.
func (d *Deriver) read(ctx context.Context) (*Keyring, error) {
	doc, err := d.ring.src(ctx)
	defer clear(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot read it: %w", errKeyring, err)
	}
	return ParseKeyring(doc)
}

// Reload reads the keyring now, as the Deriver's goroutine does every reload
// interval, and reports why it refused it (the last good keyring then stays
// in use). Call it on SIGHUP, or in tests. It fails for a Deriver over
// fixed roots.
func (d *Deriver) Reload(ctx context.Context) error {
	if d.ring == nil || d.ring.src == nil {
		return errors.New("rotation: Reload is for a Deriver of NewKeyringDeriver")
	}
	d.ring.mu.Lock()
	defer d.ring.mu.Unlock()
	old := d.set.Load()
	k, err := d.read(ctx)
	if err == nil {
		err = d.compatible(old.ring, k)
	}
	var set *rootSet
	var deferred []string
	if err == nil {
		set, deferred, err = d.nextSet(ctx, k, old)
	}
	if err != nil {
		d.logger.Error("rotation: keyring refused; the last good keyring stays in use until a valid edit",
			slog.String("error", err.Error()), slog.Int64("serial", old.ring.serial))
		d.tell(KeyringEvent{Err: err}, old)
		return err
	}
	changed := !sameKeyring(old, set)
	if changed {
		d.set.Store(set)
		d.noteRevoked(k)
		d.changes.Add(1)
		if set.external {
			if err := d.startPrefetch(); err != nil {
				d.logger.Warn("rotation: keyring: a root held in a module did not derive its keys yet; retrying in the background", slog.String("error", err.Error()))
			}
			d.pf.wake()
		}
		now := d.sched.clock.Now()
		issuing, _ := set.signerAt(now)
		d.logger.Info("rotation: keyring reloaded", slog.Int64("serial", k.serial),
			slog.Any("verifying", d.rootsAt(now)), slog.String("issuing", issuing))
		for _, id := range deferred {
			d.logger.Warn("rotation: keyring: a new root issues sooner than every instance can have read the keyring; this instance signs with it only from the instant given (mark it \"emergency\" to switch at once)",
				slog.String("root", id), slog.Time("from", set.deferred[id]))
		}
	}
	select {
	case d.ring.interval <- k.reload:
	default:
	}
	d.tell(KeyringEvent{Changed: changed, Deferred: deferred}, set)
	return nil
}

func (d *Deriver) tell(ev KeyringEvent, s *rootSet) {
	if d.ring.observe == nil {
		return
	}
	now := d.sched.clock.Now()
	ev.Serial = s.ring.serial
	ev.Roots = len(d.rootsAt(now))
	ev.Issuing, _ = s.signerAt(now)
	d.ring.observe(ev)
}

func (d *Deriver) noteRevoked(k *Keyring) {
	for _, r := range k.roots {
		if r.Revoked {
			d.ring.revoked[r.ID] = true
		}
	}
}

// compatible refuses an edit that a running fleet cannot take: a changed
// fleet parameter, a lower serial, a root that changed its secret or came
// back from revocation.
func (d *Deriver) compatible(old, k *Keyring) error {
	of, nf := old.fleet, k.fleet
	switch {
	case of.Algorithm != nf.Algorithm || of.Window != nf.Window || of.Skew != nf.Skew:
		return keyringErr("alg, window and skew cannot change under running instances (every token would be refused); keep them, or roll out a new keyring to a new fleet")
	case of.MaxAge != nf.MaxAge || of.Issuer != nf.Issuer:
		return keyringErr("max_age and iss are read at start; restart the instances to change them")
	case !slices.Contains(nf.Purposes, d.purpose):
		return keyringErr("purposes no longer lists %q, which this instance serves", d.purpose)
	case k.serial < old.serial:
		return keyringErr("serial %d is lower than the %d in use: a rolled-back keyring? Raise the serial with each edit", k.serial, old.serial)
	}
	for _, r := range k.roots {
		if !r.Revoked && d.ring.revoked[r.ID] {
			return keyringErr("root %s was revoked and is listed again; a revoked root never comes back: give its replacement a new id", r.ID)
		}
		o, ok := old.root(r.ID)
		if !ok || o.Revoked || r.Revoked {
			continue
		}
		// A ref root's secret is its module's; a root in the keyring is
		// compared by its secret, in constant time.
		if o.Ref != r.Ref || r.Ref == "" && subtle.ConstantTimeCompare(o.root.secret.b, r.root.secret.b) != 1 {
			return keyringErr("root %s has another secret or ref than before; a root's key never changes: add a new root with a new id", r.ID)
		}
	}
	return nil
}

// nextSet builds the root set of k, reusing the roots (and so the key
// caches) of old that k keeps unchanged and resolving new refs. It returns
// the new roots that issue already and are deferred.
func (d *Deriver) nextSet(ctx context.Context, k *Keyring, old *rootSet) (*rootSet, []string, error) {
	var roots []*Root
	for i := range k.roots {
		r := &k.roots[i]
		if r.Revoked {
			continue
		}
		if old != nil {
			if j := old.index(r.ID); j >= 0 {
				r.root = old.roots[j] // compatible: the same secret or ref
			}
		}
		if r.root == nil {
			if d.ring.resolve == nil {
				return nil, nil, keyringErr("root %s has a ref, and this Deriver has no WithRootResolver to open it", r.ID)
			}
			e, err := d.ring.resolve(ctx, r.ID, r.Ref)
			if err != nil {
				return nil, nil, keyringErr("root %s: opening its ref: %v", r.ID, err)
			}
			if r.root, err = NewExternalRoot(r.ID, e); err != nil {
				return nil, nil, err
			}
		}
		roots = append(roots, r.root)
	}
	s := newRootSet(roots, k, old)
	if old == nil {
		return s, nil, nil
	}
	now := d.sched.clock.Now()
	until := now.Add(k.reload + k.fleet.Skew)
	var deferred []string
	for _, r := range k.roots {
		switch {
		case r.Revoked:
		case old.index(r.ID) >= 0:
			if at, ok := old.deferred[r.ID]; ok {
				s.defer_(r.ID, at)
			}
		case !r.Emergency && r.Issues.Before(until):
			s.defer_(r.ID, until)
			if !r.Issues.After(now) {
				deferred = append(deferred, r.ID)
			}
		}
	}
	return s, deferred, nil
}

func (s *rootSet) defer_(id string, at time.Time) {
	if s.deferred == nil {
		s.deferred = map[string]time.Time{}
	}
	s.deferred[id] = at
}

// signerAt returns the root this instance signs with at t: the keyring's
// issuing root, passing over those deferred until after t.
func (s *rootSet) signerAt(t time.Time) (string, bool) {
	if s.ring == nil {
		return s.roots[0].id, true
	}
	var skip []string
	for {
		id, ok := s.ring.issuerAt(t, skip)
		if !ok {
			if len(skip) > 0 {
				// Nothing else issues: sign with the deferred root rather
				// than not at all.
				return s.ring.issuerAt(t, nil)
			}
			return "", false
		}
		if at, deferred := s.deferred[id]; !deferred || !t.Before(at) {
			return id, true
		}
		skip = append(skip, id)
	}
}

// sameKeyring reports whether s would answer as old does.
func sameKeyring(old, s *rootSet) bool {
	if old.ring.serial != s.ring.serial || len(old.roots) != len(s.roots) || len(old.ring.roots) != len(s.ring.roots) || len(old.deferred) != len(s.deferred) {
		return false
	}
	for i := range s.roots {
		if old.roots[i] != s.roots[i] {
			return false
		}
	}
	for i, r := range s.ring.roots {
		o := old.ring.roots[i]
		if o.ID != r.ID || !o.Issues.Equal(r.Issues) || !o.Retires.Equal(r.Retires) || o.Revoked != r.Revoked || o.Emergency != r.Emergency {
			return false
		}
	}
	return old.ring.reload == s.ring.reload
}

// reloadLoop reads the keyring every reload interval until ctx ends.
func (d *Deriver) reloadLoop(ctx context.Context, every time.Duration) {
	defer close(d.ring.done)
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case every = <-d.ring.interval:
			t.Reset(every) // a Reload from outside: count from it
			continue
		case <-t.C:
		}
		attempt, cancel := context.WithTimeout(ctx, min(d.timeout, every))
		d.Reload(attempt)
		cancel()
		select {
		case every = <-d.ring.interval:
		default:
		}
		t.Reset(every)
	}
}

// stopReload ends the reload goroutine and waits for it.
func (r *ringConfig) stopReload() {
	if r == nil || r.cancel == nil {
		return
	}
	r.once.Do(r.cancel)
	<-r.done
}
