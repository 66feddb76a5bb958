package jwks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtrot/jwtrot/rotation"
)

// Export returns the JWKS document of d's public keys for the windows from
// the one before t's to the one that contains t+ahead (and at least the one
// after t's), every root, the issuing root first and each root's windows in
// order. A week of 10-minute windows is about 1,000 keys, 130 KB.
//
// Verifiers given the document accept the root's tokens until the last of
// those windows ends, with no network; see [Parse].
func Export(ctx context.Context, d *rotation.Deriver, t time.Time, ahead time.Duration) ([]byte, error) {
	keys, err := publicKeys(ctx, d, t, ahead)
	if err != nil {
		return nil, err
	}
	return Marshal(keys), nil
}

func publicKeys(ctx context.Context, d *rotation.Deriver, t time.Time, ahead time.Duration) ([]*rotation.PublicKey, error) {
	if d == nil || d.Algorithm() != rotation.EdDSA {
		return nil, fmt.Errorf("jwks: only the keys of a Deriver WithAlgorithm(rotation.EdDSA) have public halves to publish")
	}
	if ahead < 0 {
		return nil, fmt.Errorf("jwks: negative horizon %v; give 0 for the previous, current and next windows", ahead)
	}
	first := d.WindowAt(t).Index() - 1
	last := max(d.WindowAt(t.Add(ahead)).Index(), first+2)
	if n := (last - first + 1) * int64(len(d.Roots())); n > MaxKeys {
		return nil, fmt.Errorf("jwks: a horizon of %v is %d keys, over the %d a verifier reads; shorten it", ahead, n, MaxKeys)
	}
	var keys []*rotation.PublicKey
	for _, id := range d.Roots() {
		for i := first; i <= last; i++ {
			k, err := d.PublicKeyAt(ctx, id, d.Schedule().Window(i))
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
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
	index int64 // the window it was built in
	body  []byte
	etag  string
	last  int64 // the last window whose keys it holds
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
	now := h.d.Now()
	idx := h.d.WindowAt(now).Index()
	if doc := h.doc.Load(); doc != nil && doc.index == idx {
		return doc, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if doc := h.doc.Load(); doc != nil && doc.index == idx {
		return doc, nil
	}
	keys, err := publicKeys(ctx, h.d, now, h.horizon)
	if err != nil {
		return nil, err
	}
	body := Marshal(keys)
	sum := sha256.Sum256(body)
	doc := &document{index: idx, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
		last: max(h.d.WindowAt(now.Add(h.horizon)).Index(), idx+1)}
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
func (h *Handler) maxAge(doc *document) int64 {
	s := h.d.Schedule()
	needed := s.Window(doc.last + 1).Start().Add(-2 * s.Skew())
	return max(0, int64(needed.Sub(h.d.Now())/time.Second))
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
