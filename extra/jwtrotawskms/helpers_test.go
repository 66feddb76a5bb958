package jwtrotawskms

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/jwtrot/jwtrot/extra/jwtrotawskms/internal/kmstest"
	"github.com/jwtrot/jwtrot/rotation"
)

func TestMain(m *testing.M) { os.Exit(kmstest.Main(m)) }

type vector struct {
	Name          string `json:"name"`
	RootID        string `json:"root_id"`
	RootHex       string `json:"root_hex"`
	Alg           string `json:"alg"`
	Purpose       string `json:"purpose"`
	WindowSeconds int64  `json:"window_seconds"`
	WindowIndex   int64  `json:"window_index"`
	KeyHex        string `json:"key_hex"`
	// EdDSA vectors (testdata/eddsa_vectors.json)
	SeedHex      string `json:"seed_hex"`
	PublicKeyHex string `json:"public_key_hex"`
	Token        string `json:"token"`
}

func loadVectors(t testing.TB, file string, atLeast int) []vector {
	t.Helper()
	b, err := os.ReadFile("../../testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Vectors []vector }
	if err := json.Unmarshal(b, &f); err != nil || len(f.Vectors) < atLeast {
		t.Fatalf("%s: %v (%d vectors)", file, err, len(f.Vectors))
	}
	return f.Vectors
}

// A seededRoot is a root in memory and the key id of the same root's PRK
// seeded into the emulator.
type seededRoot struct {
	mem   *rotation.Root
	key   kmstest.HMACKey
	alias string
}

// seedRoots returns the roots of secrets (root id → secret) with a KMS key
// each: key id a fixed UUID per root, alias alias/jwtrot-<root id>.
func seedRoots(t testing.TB, secrets map[string][]byte) (map[string]*seededRoot, []kmstest.HMACKey) {
	t.Helper()
	ids := make([]string, 0, len(secrets))
	for id := range secrets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	roots := map[string]*seededRoot{}
	var keys []kmstest.HMACKey
	for i, id := range ids {
		mem, err := rotation.NewRoot(id, secrets[id])
		if err != nil {
			t.Fatal(err)
		}
		prk, err := mem.ExportPRK()
		if err != nil {
			t.Fatal(err)
		}
		k := kmstest.HMACKey{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1), Alias: "alias/jwtrot-" + id, PRK: prk}
		roots[id] = &seededRoot{mem: mem, key: k, alias: k.Alias}
		keys = append(keys, k)
	}
	return roots, keys
}

// vectorSecrets returns the secrets of the vector roots.
func vectorSecrets(t testing.TB, vs ...[]vector) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, l := range vs {
		for _, v := range l {
			b, err := hex.DecodeString(v.RootHex)
			if err != nil {
				t.Fatal(err)
			}
			m[v.RootID] = b
		}
	}
	return m
}

// fastRetries makes the SDK's standard retryer quick and without a retry
// quota, so that tests of outages do not wait on the production backoff.
func fastRetries(o *kms.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxBackoff = 20 * time.Millisecond
		so.RateLimiter = ratelimit.None
	})
}

func newExpander(t testing.TB, c *kms.Client, keyID string, opts ...Option) *Expander {
	t.Helper()
	e, err := New(context.Background(), c, keyID, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// counter is an http.RoundTripper that counts requests by KMS operation.
type counter struct {
	next http.RoundTripper
	mu   sync.Mutex
	ops  map[string]int
}

func newCounter() *counter { return &counter{next: http.DefaultTransport, ops: map[string]int{}} }

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
	c.mu.Lock()
	c.ops[op]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *counter) get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[op]
}

// logBuffer is a slog handler's output, safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

var (
	secretMu    sync.Mutex
	extraSecret []string
)

// addSecret registers key material (hex) that no output may contain.
func addSecret(b []byte) {
	secretMu.Lock()
	defer secretMu.Unlock()
	extraSecret = append(extraSecret, hex.EncodeToString(b))
}

func secretList() []string {
	secretMu.Lock()
	defer secretMu.Unlock()
	return append(append([]string(nil), secrets...), extraSecret...)
}

// awaitNextKeys waits until d's background derivation holds the next
// window's key of every root, as it does once that key falls due: asking for
// a key not derived yet wakes it, as a request's miss does.
func awaitNextKeys(t testing.TB, d *rotation.Deriver, now time.Time) {
	t.Helper()
	next := d.Schedule().WindowAt(now).Next().Start()
	deadline := time.Now().Add(10 * time.Second)
	for _, id := range d.Roots() {
		for {
			_, err := d.KeyAt(id, next)
			if err == nil {
				break
			}
			if !errors.Is(err, rotation.ErrKeyUnavailable) || time.Now().After(deadline) {
				t.Fatalf("root %s: the next window's key: %v", id, err)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// windowKey returns a root's key of one window as a Deriver derives it, the
// Deriver's clock standing in that window (so that a Deriver over an
// external root derives it before NewDeriver returns).
func windowKey(root *rotation.Root, alg rotation.Algorithm, purpose string, length time.Duration, index int64) ([]byte, error) {
	at := time.Unix(index*int64(length/time.Second), 0)
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(alg), rotation.WithPurpose(purpose),
		rotation.WithWindow(length), rotation.WithClock(stoppedClock(at)))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	k, err := d.KeyAt(root.ID(), at)
	if err != nil {
		return nil, err
	}
	return k.Bytes(), nil
}

// stoppedClock is a clock that always tells the same instant.
type stoppedClock time.Time

func (c stoppedClock) Now() time.Time { return time.Time(c) }
