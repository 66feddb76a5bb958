package jwks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtrot/jwtrot/internal/keyringview"
	"github.com/jwtrot/jwtrot/rotation"
)

// Export returns the JWKS document of d's public keys for the windows from
// the one before t's to the one that contains t+ahead (and at least the one
// after t's), the issuing root first and each root's windows in order, with
// the "jwtrot" member stating d's fleet (SPEC §10). For a keyring Deriver
// the roots are those the keyring lets verify in each window, so a root
// scheduled to issue within the horizon is published before it issues, and
// a retired or revoked one is not; the member then states the keyring's
// maximum age and issuer too. A week of 10-minute windows is about 1,000
// keys, 130 KB.
//
// Verifiers given the document accept the root's tokens until the last of
// those windows ends, with no network; see [Parse].
func Export(ctx context.Context, d *rotation.Deriver, t time.Time, ahead time.Duration) ([]byte, error) {
	keys, err := publicKeys(ctx, d, t, ahead)
	if err != nil {
		return nil, err
	}
	return marshalOf(keys, d), nil
}

// marshalOf writes keys with the member stating what d's verifiers must
// agree on: the keyring's fleet with d's purpose, or d's own schedule. A
// Deriver whose skew is not whole seconds (tests, demos) cannot state it in
// the member's seconds, and its document has none: its verifiers set the
// schedule themselves.
func marshalOf(keys []*rotation.PublicKey, d *rotation.Deriver) []byte {
	f := rotation.Fleet{Algorithm: d.Algorithm(), Window: d.Schedule().Length(), Skew: d.Schedule().Skew()}
	if k := d.Keyring(); k != nil {
		f = k.Fleet()
	}
	f.Purposes = []string{d.Purpose()}
	if f.Check() != nil {
		return Marshal(keys)
	}
	return MarshalFleet(keys, f)
}

func publicKeys(ctx context.Context, d *rotation.Deriver, t time.Time, ahead time.Duration) ([]*rotation.PublicKey, error) {
	if d == nil || d.Algorithm() != rotation.EdDSA {
		return nil, fmt.Errorf("jwks: only the keys of a Deriver WithAlgorithm(rotation.EdDSA) have public halves to publish")
	}
	if ahead < 0 {
		return nil, fmt.Errorf("jwks: negative horizon %v; give 0 for the previous, current and next windows", ahead)
	}
	sched := d.Schedule()
	first := d.Schedule().WindowAt(t).Index() - 1
	last := max(d.Schedule().WindowAt(t.Add(ahead)).Index(), first+2)
	ids := d.Roots()
	if k := d.Keyring(); k != nil {
		// Every root the keyring lists, issuing one first: each is
		// published for the windows in which it verifies.
		for _, r := range keyringview.Of(k).Roots() {
			if !r.Revoked && !slices.Contains(ids, r.ID) {
				ids = append(ids, r.ID)
			}
		}
	}
	var names []struct {
		id string
		w  rotation.Window
	}
	for _, id := range ids {
		for i := first; i <= last; i++ {
			w := sched.Window(i)
			if d.Keyring() != nil && !d.Verifies(id, w.Start()) && !d.Verifies(id, w.End().Add(-time.Nanosecond)) {
				continue
			}
			names = append(names, struct {
				id string
				w  rotation.Window
			}{id, w})
		}
	}
	if len(names) > MaxKeys {
		return nil, fmt.Errorf("jwks: a horizon of %v is %d keys, over the %d a verifier reads; shorten it", ahead, len(names), MaxKeys)
	}
	keys := make([]*rotation.PublicKey, 0, len(names))
	for _, n := range names {
		k, err := d.PublicKeyAt(ctx, n.id, n.w)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// A Handler serves the JWKS document of an EdDSA Deriver's public keys: the
// previous, current and next windows and a horizon ahead, so that verifiers
// hold every key they will need before it is needed (SPEC §10). It answers
// GET and HEAD with Cache-Control max-age ending before a key not in the
// document can be needed, an ETag, and 304 for a matching If-None-Match. It
// never serves a private member.
//
// A Handler is safe for concurrent use.
type Handler struct {
	d       *rotation.Deriver
	horizon time.Duration
	mu      sync.Mutex // serialises rebuilding the document
	doc     atomic.Pointer[document]
}

type document struct {
	index   int64 // the window it was built in
	version int64 // the Deriver's Version then: a keyring reload rebuilds it
	until   time.Time
	body    []byte
	etag    string
	last    int64 // the last window whose keys it holds
}

// NewHandler returns a Handler of d's public keys with the given horizon:
// the document holds every window up to the one that contains now+horizon.
// A horizon of at least one window lets verifiers keep accepting tokens for
// that long while the issuer is down. NewHandler builds the first document,
// so a Deriver whose module does not answer is refused here.
func NewHandler(d *rotation.Deriver, horizon time.Duration) (*Handler, error) {
	h := &Handler{d: d, horizon: horizon}
	if _, err := h.document(context.Background()); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *Handler) document(ctx context.Context) (*document, error) {
	now := h.d.Schedule().Now()
	idx := h.d.Schedule().WindowAt(now).Index()
	version := h.d.Version()
	fresh := func(doc *document) bool {
		return doc != nil && doc.index == idx && doc.version == version && now.Before(doc.until)
	}
	if doc := h.doc.Load(); fresh(doc) {
		return doc, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if doc := h.doc.Load(); fresh(doc) {
		return doc, nil
	}
	until := h.d.Schedule().WindowAt(now).End()
	if next, ok := h.d.NextChange(now); ok && next.Before(until) {
		until = next
	}
	keys, err := publicKeys(ctx, h.d, now, h.horizon)
	if err != nil {
		return nil, err
	}
	body := marshalOf(keys, h.d)
	sum := sha256.Sum256(body)
	doc := &document{index: idx, version: version, until: until, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
		last: max(h.d.Schedule().WindowAt(now.Add(h.horizon)).Index(), idx+1)}
	h.doc.Store(doc)
	return doc, nil
}

// ServeHTTP serves the document.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	doc, err := h.document(r.Context())
	if err != nil {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "signing keys unavailable", http.StatusServiceUnavailable)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/jwk-set+json")
	hd.Set("ETag", doc.etag)
	hd.Set("Cache-Control", "public, max-age="+strconv.FormatInt(h.maxAge(doc), 10))
	hd.Set("X-Content-Type-Options", "nosniff")
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, doc.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Length", strconv.Itoa(len(doc.body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(doc.body)
}

// maxAge is how long a cache may keep doc: until the first window it lacks
// may be needed by a verifier whose clock is a skew ahead of the issuer's,
// which signs that window's tokens a skew early: its start less twice the
// skew. Never negative.
//
// Over a keyring it is also at most the keyring's reload interval: a root
// revoked in the keyring then leaves every verifier's keys within two
// reload intervals (this issuer's reading of the edit, then the verifiers'
// next fetch), however long the horizon.
func (h *Handler) maxAge(doc *document) int64 {
	s := h.d.Schedule()
	needed := s.Window(doc.last + 1).Start().Add(-2 * s.Skew())
	age := max(0, int64(needed.Sub(h.d.Schedule().Now())/time.Second))
	if k := h.d.Keyring(); k != nil {
		age = min(age, int64(keyringview.Of(k).Reload()/time.Second))
	}
	return age
}

// etagMatches reports whether an If-None-Match value names etag, weakly
// (RFC 9110 §13.1.2), or is "*".
func etagMatches(header, etag string) bool {
	for header != "" {
		var tag string
		for header != "" && (header[0] == ' ' || header[0] == ',' || header[0] == '\t') {
			header = header[1:]
		}
		end := len(header)
		for i := 0; i < len(header); i++ {
			if header[i] == ',' {
				end = i
				break
			}
		}
		tag, header = header[:end], header[end:]
		for len(tag) > 0 && (tag[len(tag)-1] == ' ' || tag[len(tag)-1] == '\t') {
			tag = tag[:len(tag)-1]
		}
		if tag == "*" || tag == etag || tag == "W/"+etag {
			return true
		}
	}
	return false
}
