package jwtrotawskms

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/extra/jwtrotawskms/internal/kmstest"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// TestCallsPerWindow counts the requests one instance sends to KMS, at the
// HTTP level: one DescribeKey and one dry-run GenerateMac when it starts,
// then per window and per purpose-and-algorithm Deriver exactly the
// GenerateMac calls of one HKDF-Expand: 1 for HS256 and EdDSA (32 bytes), 2
// for HS384 and HS512 (48 and 64 bytes: T(2) needs T(1)), whatever the
// traffic.
func TestCallsPerWindow(t *testing.T) {
	roots, keys := seedRoots(t, map[string][]byte{"main": testSecret})
	emu := kmstest.Start(t, kmstest.Seed(keys...))
	calls := newCounter()
	e := newExpander(t, emu.Client(calls, fastRetries), roots["main"].alias)
	if calls.get("DescribeKey") != 1 || calls.get("GenerateMac") != 1 {
		t.Fatalf("New: %v", calls.ops)
	}
	ext, _ := rotation.NewExternalRoot("main", e)
	mock := clock.NewMock()
	mock.Set(testEpoch)
	type instance struct {
		name string
		per  int // GenerateMac calls per window
		d    *rotation.Deriver
		a    *jwtrot.Authority
	}
	var insts []instance
	for _, c := range []struct {
		alg     rotation.Algorithm
		purpose string
		per     int
	}{{rotation.HS256, "access", 1}, {rotation.HS256, "refresh", 1}, {rotation.HS384, "access", 2}, {rotation.HS512, "access", 2}, {rotation.EdDSA, "access", 1}} {
		before := calls.get("GenerateMac")
		d, err := rotation.NewDeriver([]*rotation.Root{ext}, rotation.WithClock(mock), rotation.WithAlgorithm(c.alg), rotation.WithPurpose(c.purpose), rotation.WithLogger(quiet()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		// At start: the previous, current and next windows.
		if got := calls.get("GenerateMac") - before; got != 3*c.per {
			t.Fatalf("%v/%s at start: %d GenerateMac calls, want %d", c.alg, c.purpose, got, 3*c.per)
		}
		a, err := jwtrot.New(d)
		if err != nil {
			t.Fatal(err)
		}
		insts = append(insts, instance{fmt.Sprintf("%v/%s", c.alg, c.purpose), c.per, d, a})
	}
	const windows, tokens = 12, 200
	total := 0
	for _, in := range insts {
		total += in.per
	}
	for w := range windows {
		before := calls.get("GenerateMac")
		mock.Add(10 * time.Minute)
		for _, in := range insts {
			// The Deriver's goroutine derives the next window's key.
			awaitNextKeys(t, in.d, mock.Now())
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range tokens / 4 {
						tok, err := in.a.Sign(jwt.RegisteredClaims{Subject: "u"})
						if err == nil {
							_, err = in.a.Verify(context.Background(), tok, nil)
						}
						if err != nil {
							t.Error(in.name, err)
							return
						}
					}
				}()
			}
			wg.Wait()
		}
		if got := calls.get("GenerateMac") - before; got != total {
			t.Fatalf("window %d: %d GenerateMac calls for %d instances, want %d", w, got, len(insts), total)
		}
	}
	if calls.get("DescribeKey") != 1 || len(calls.ops) != 2 {
		t.Fatalf("other calls: %v", calls.ops)
	}
	t.Logf("%d windows × %d Derivers × %d tokens: %v", windows, len(insts), tokens, calls.ops)
}

// throttler answers the GenerateMac requests it is told to fail with KMS's
// throttling response, and passes everything else to the emulator.
type throttler struct {
	next http.RoundTripper
	mu   sync.Mutex
	fail func() bool // consulted for each GenerateMac
	seen int         // GenerateMac requests refused
}

func (th *throttler) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".GenerateMac") {
		th.mu.Lock()
		f := th.fail != nil && th.fail()
		if f {
			th.seen++
		}
		th.mu.Unlock()
		if f {
			if r.Body != nil {
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
			}
			body := `{"__type":"ThrottlingException","message":"Rate exceeded"}`
			return &http.Response{
				StatusCode: 400, Status: "400 Bad Request", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amzn-Requestid": {"throttled"}},
				Body:   io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r,
			}, nil
		}
	}
	return th.next.RoundTrip(r)
}

func (th *throttler) set(fail func() bool) {
	th.mu.Lock()
	th.fail = fail
	th.mu.Unlock()
}

func (th *throttler) refused() int {
	th.mu.Lock()
	defer th.mu.Unlock()
	return th.seen
}

// TestThrottlingRetried: a throttled GenerateMac is retried by the SDK's
// retryer with backoff, and Expand succeeds without the caller noticing.
func TestThrottlingRetried(t *testing.T) {
	roots, keys := seedRoots(t, map[string][]byte{"main": testSecret})
	emu := kmstest.Start(t, kmstest.Seed(keys...))
	th := &throttler{next: http.DefaultTransport}
	e := newExpander(t, emu.Client(th, fastRetries), roots["main"].alias)
	n := 0
	th.set(func() bool { n++; return n <= 2 }) // the standard retryer makes 3 attempts
	got, err := e.Expand(context.Background(), []byte("info"), 32)
	if err != nil || th.refused() != 2 {
		t.Fatalf("after 2 throttled attempts: %v (%d refused)", err, th.refused())
	}
	prk, _ := roots["main"].mem.ExportPRK()
	want, _ := hkdf.Expand(sha256.New, prk, "info", 32)
	if string(got) != string(want) {
		t.Fatal("wrong output after retries")
	}
	// Throttled beyond the retryer's attempts: a plain error, not a key problem.
	th.set(func() bool { return true })
	_, err = e.Expand(context.Background(), []byte("info"), 32)
	if err == nil || !strings.Contains(err.Error(), "ThrottlingException") {
		t.Fatalf("throttled throughout: %v", err)
	}
	for _, s := range []error{ErrKeyState, ErrKeyNotFound, ErrAccessDenied} {
		if errors.Is(err, s) {
			t.Fatalf("throttling classified as %v", s)
		}
	}
	assertNoSecrets(t, err.Error())
}

// TestThrottlingWithinLead throttles every GenerateMac for half a window,
// from the moment the next window's key falls due, on the real clock with
// 4-second windows: the Deriver retries with backoff within the prefetch
// lead, and no request is refused.
func TestThrottlingWithinLead(t *testing.T) {
	t.Parallel()
	roots, keys := seedRoots(t, map[string][]byte{"main": testSecret})
	emu := kmstest.Start(t, kmstest.Seed(keys...))
	th := &throttler{next: http.DefaultTransport}
	ext, _ := rotation.NewExternalRoot("main", newExpander(t, emu.Client(th, fastRetries), roots["main"].alias))
	const window = 4 * time.Second
	log := &logBuffer{}
	d, err := rotation.NewDeriver([]*rotation.Root{ext}, rotation.WithWindow(window), rotation.WithLogger(log.logger()), rotation.WithDeriveTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a, _ := jwtrot.New(d)
	// The key of the window after next falls due at the next boundary:
	// throttle from then on, for half a window.
	boundary := windowOf(time.Now(), window).End()
	throttleUntil := boundary.Add(window / 2)
	th.set(func() bool {
		now := time.Now()
		return !now.Before(boundary.Add(-100*time.Millisecond)) && now.Before(throttleUntil)
	})
	served := 0
	for time.Now().Before(boundary.Add(window + window/2)) {
		tok, err := a.Sign(jwt.RegisteredClaims{Subject: "u"})
		if err == nil {
			_, err = a.Verify(context.Background(), tok, nil)
		}
		if err != nil {
			t.Fatalf("at %v after the throttling began: %v", time.Since(boundary), err)
		}
		served++
		time.Sleep(5 * time.Millisecond)
	}
	if th.refused() < 3 || served < 100 {
		t.Fatalf("%d GenerateMac throttled, %d requests served", th.refused(), served)
	}
	logs := log.String()
	if !strings.Contains(logs, "ThrottlingException") || !strings.Contains(logs, "succeeded again") {
		t.Fatalf("the throttling and the recovery were not logged: %s", logs)
	}
	assertNoSecrets(t, logs)
	t.Logf("%d GenerateMac throttled, %d requests served, none refused", th.refused(), served)
}

// bodies records the bodies of the requests it passes on.
type bodies struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (b *bodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		b.mu.Lock()
		b.seen = append(b.seen, r.Header.Get("X-Amz-Target")+" "+string(body))
		b.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	return b.next.RoundTrip(r)
}

// TestGrantTokens: the grant tokens go with every call, and the calls name
// the key by the ARN DescribeKey returned, whatever New was given.
func TestGrantTokens(t *testing.T) {
	roots, keys := seedRoots(t, map[string][]byte{"main": testSecret})
	emu := kmstest.Start(t, kmstest.Seed(keys...))
	rec := &bodies{next: http.DefaultTransport}
	e := newExpander(t, emu.Client(rec), roots["main"].alias, WithGrantTokens("grant-token-1", "grant-token-2"))
	if _, err := e.Expand(context.Background(), []byte("x"), 64); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.seen) != 4 { // DescribeKey, the dry run, two for 64 bytes
		t.Fatalf("%d requests", len(rec.seen))
	}
	if !strings.Contains(rec.seen[1], `"DryRun":true`) || strings.Contains(rec.seen[2], "DryRun") {
		t.Fatalf("the dry run: %s / %s", rec.seen[1], rec.seen[2])
	}
	for i, s := range rec.seen {
		if !strings.Contains(s, `"GrantTokens":["grant-token-1","grant-token-2"]`) {
			t.Fatalf("request %d without the grant tokens: %s", i, s)
		}
		if i > 0 && !strings.Contains(s, `"KeyId":"`+kmstest.ARN(roots["main"].key.ID)+`"`) {
			t.Fatalf("request %d does not name the key by its ARN: %s", i, s)
		}
	}
}
