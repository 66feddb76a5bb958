package rotation

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
)

// ringDoc builds keyring documents for tests: window 60 s, skew 5 s,
// reload 10 s, max_age 600 s.
type ringDoc struct {
	serial int64
	roots  []map[string]any
	window int64
}

func secretHex(n byte) string { return hex.EncodeToString(bytes.Repeat([]byte{n, n + 1}, 16)) }

func (r *ringDoc) add(id string, issues time.Time, extra ...any) *ringDoc {
	m := map[string]any{"id": id, "secret": secretHex(byte(len(id)*7 + int(id[0])))}
	if !issues.IsZero() {
		m["issues"] = issues.UTC().Format(time.RFC3339)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	if _, ok := m["ref"]; ok {
		delete(m, "secret")
	}
	r.roots = append(r.roots, m)
	return r
}

func (r *ringDoc) bytes() []byte {
	w := r.window
	if w == 0 {
		w = 60
	}
	b, err := json.Marshal(map[string]any{"jwtrot_keyring": 1, "alg": "HS256", "window": w, "skew": 5,
		"max_age": 600, "purposes": []string{"access"}, "reload": 10, "serial": r.serial, "roots": r.roots})
	if err != nil {
		panic(err)
	}
	return b
}

// memSource is a KeyringSource over a document a test swaps.
type memSource struct {
	mu  sync.Mutex
	doc []byte
	err error
}

func (m *memSource) set(doc []byte) { m.mu.Lock(); m.doc, m.err = doc, nil; m.mu.Unlock() }
func (m *memSource) fail(err error) { m.mu.Lock(); m.err = err; m.mu.Unlock() }
func (m *memSource) source() KeyringSource {
	return func(context.Context) ([]byte, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		return bytes.Clone(m.doc), m.err
	}
}

var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func newRingDeriver(t *testing.T, src *memSource, opts ...Option) (*Deriver, *clock.Mock, *[]KeyringEvent) {
	t.Helper()
	clk := clock.NewMock()
	clk.Set(t0)
	var mu sync.Mutex
	events := new([]KeyringEvent)
	opts = append([]Option{WithClock(clk), WithLogger(slog.New(slog.DiscardHandler)), WithKeyringObserver(func(ev KeyringEvent) {
		mu.Lock()
		*events = append(*events, ev)
		mu.Unlock()
	})}, opts...)
	d, err := NewKeyringDeriver(src.source(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, clk, events
}

func issuer(t *testing.T, d *Deriver, at time.Time) string {
	t.Helper()
	id, _ := d.Issuer(at)
	k, err := d.SigningKey(at)
	if id == "" {
		if !errors.Is(err, ErrNoIssuingRoot) {
			t.Fatalf("no issuer, SigningKey error %v", err)
		}
		return ""
	}
	if err != nil || k.RootID() != id {
		t.Fatalf("Issuer %q, SigningKey %v, %v", id, k, err)
	}
	return id
}

func TestKeyringDeriverSuccession(t *testing.T) {
	src := &memSource{}
	doc := (&ringDoc{}).add("a", t0.Add(-time.Hour))
	src.set(doc.bytes())
	d, clk, events := newRingDeriver(t, src)
	if d.Algorithm() != HS256 || d.Schedule().Length() != time.Minute || d.Schedule().Skew() != 5*time.Second || d.Purpose() != "access" {
		t.Fatalf("fleet not taken from the keyring: %v", d)
	}
	if got := issuer(t, d, t0); got != "a" {
		t.Fatalf("issuer %q", got)
	}

	// A successor scheduled ahead, as demo keyring add writes it.
	bAt := t0.Add(5 * time.Minute)
	doc.serial++
	doc.add("b", bAt)
	src.set(doc.bytes())
	v := d.Version()
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d.Version() == v {
		t.Error("Version did not change with the keyring")
	}
	if ev := (*events)[len(*events)-1]; !ev.Changed || ev.Err != nil || ev.Serial != 1 || ev.Issuing != "a" || len(ev.Deferred) != 0 {
		t.Errorf("event %+v", ev)
	}
	for _, c := range []struct {
		at        time.Time
		issuer    string
		bVerifies bool
	}{
		{t0, "a", false},
		{bAt.Add(-2*time.Minute - time.Second), "a", false},
		{bAt.Add(-2 * time.Minute), "a", true},
		{bAt.Add(-time.Second), "a", true},
		{bAt, "b", true},
	} {
		if got := issuer(t, d, c.at); got != c.issuer {
			t.Errorf("at %v: issuer %q, want %q", c.at, got, c.issuer)
		}
		if d.Verifies("b", c.at) != c.bVerifies || !d.Verifies("a", c.at) {
			t.Errorf("at %v: b verifies %v, want %v", c.at, !c.bVerifies, c.bVerifies)
		}
	}
	// The same reload again changes nothing.
	v = d.Version()
	if err := d.Reload(context.Background()); err != nil || d.Version() != v || (*events)[len(*events)-1].Changed {
		t.Errorf("an unchanged keyring counted as a change: %v", err)
	}

	// Retire a at its earliest retirement: refused from that instant.
	clk.Set(bAt.Add(time.Minute))
	k, _ := ParseKeyring(doc.bytes())
	retire, ok := k.earliestRetirement("a")
	if !ok || !retire.Equal(bAt.Add(10*time.Second+5*time.Second+600*time.Second)) {
		t.Fatalf("EarliestRetirement %v %v", retire, ok)
	}
	doc.serial++
	doc.roots[0]["retires"] = retire.Format(time.RFC3339)
	src.set(doc.bytes())
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !d.Verifies("a", retire.Add(-time.Second)) || d.Verifies("a", retire) {
		t.Error("a's retirement is not at the instant written")
	}
	if next, ok := d.NextChange(bAt.Add(time.Minute)); !ok || !next.Equal(retire) {
		t.Errorf("NextChange %v %v, want %v", next, ok, retire)
	}
}

func TestKeyringDeriverBadEditKeepsLastGood(t *testing.T) {
	src := &memSource{}
	doc := (&ringDoc{}).add("a", t0.Add(-time.Hour))
	src.set(doc.bytes())
	var logs bytes.Buffer
	d, _, events := newRingDeriver(t, src, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	good := d.Keyring()

	secret := secretHex(200)
	bad := map[string][]byte{
		"not JSON":       []byte(`{"jwtrot_keyring":1, "roots":[{"secret":"` + secret + `"`),
		"unreadable":     nil,
		"window changed": (&ringDoc{window: 120}).add("a", t0.Add(-time.Hour)).bytes(),
		"serial lower": func() []byte {
			r := (&ringDoc{serial: -1}).add("a", t0.Add(-time.Hour))
			r.serial = 0
			return r.bytes()
		}(),
		"secret of a changed": func() []byte {
			r := (&ringDoc{}).add("a", t0.Add(-time.Hour))
			r.roots[0]["secret"] = secret
			return r.bytes()
		}(),
		"a ref without a resolver": (&ringDoc{}).add("a", t0.Add(-time.Hour)).add("hsm", t0.Add(time.Hour), "ref", "pkcs11:token=x").bytes(),
	}
	// serial lower: first move to serial 2.
	doc.serial = 2
	src.set(doc.bytes())
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	good = d.Keyring()
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			if b == nil {
				src.fail(errors.New("keyring file: cannot open it: permission denied"))
			} else {
				src.set(b)
			}
			n := len(*events)
			err := d.Reload(context.Background())
			if err == nil || !errors.Is(err, errKeyring) {
				t.Fatalf("accepted, or not errKeyring: %v", err)
			}
			if d.Keyring() != good {
				t.Error("the last good keyring was replaced")
			}
			if len(*events) != n+1 || (*events)[n].Err == nil || (*events)[n].Changed {
				t.Errorf("event %+v", (*events)[n:])
			}
			if issuer(t, d, t0) != "a" {
				t.Error("signing stopped")
			}
			if strings.Contains(err.Error(), secret[:16]) || strings.Contains(logs.String(), secret[:16]) {
				t.Fatal("a secret reached the error or the log")
			}
		})
	}
	if !strings.Contains(logs.String(), "keyring refused") {
		t.Errorf("no log line for a refused keyring: %s", logs.String())
	}
}

func TestKeyringDeriverDeferralAndEmergency(t *testing.T) {
	src := &memSource{}
	doc := (&ringDoc{}).add("a", t0.Add(-time.Hour))
	src.set(doc.bytes())
	d, _, events := newRingDeriver(t, src)

	// b issues at once, without "emergency": an instance that has just read
	// it keeps signing with a until every instance can have read it
	// (reload 10 s + skew 5 s), but verifies b at once.
	doc.serial++
	doc.add("b", t0)
	src.set(doc.bytes())
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ev := (*events)[len(*events)-1]; len(ev.Deferred) != 1 || ev.Deferred[0] != "b" || ev.Issuing != "a" {
		t.Errorf("event %+v", ev)
	}
	if got := issuer(t, d, t0.Add(14*time.Second)); got != "a" || !d.Verifies("b", t0) {
		t.Errorf("issuer %q before the propagation bound, b verifies %v", got, d.Verifies("b", t0))
	}
	if got := issuer(t, d, t0.Add(15*time.Second)); got != "b" {
		t.Errorf("issuer %q after the propagation bound", got)
	}
	if next, ok := d.NextChange(t0); !ok || !next.Equal(t0.Add(15*time.Second)) {
		t.Errorf("NextChange %v %v: the deferral's end is a change", next, ok)
	}
	// The deferral stays across a reload that keeps b.
	doc.serial++
	src.set(doc.bytes())
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := issuer(t, d, t0.Add(14*time.Second)); got != "a" {
		t.Errorf("a second reload cut the deferral short: %q", got)
	}

	// An emergency root issues at once.
	doc.serial++
	doc.add("e", t0, "emergency", true)
	src.set(doc.bytes())
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := issuer(t, d, t0); got != "e" {
		t.Errorf("emergency root not issuing at once: %q", got)
	}

	// Revoking a root is immediate, and a revoked root never comes back.
	doc.serial++
	doc.roots[0] = map[string]any{"id": "a", "revoked": true}
	src.set(doc.bytes())
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d.Verifies("a", t0) {
		t.Error("a revoked root verifies")
	}
	if _, err := d.KeyAt("a", t0); !errors.Is(err, ErrKeyID) {
		t.Errorf("KeyAt of a revoked root: %v", err)
	}
	doc.serial++
	doc.roots[0] = map[string]any{"id": "a", "secret": secretHex(byte(7 + 'a')), "issues": t0.Add(-time.Hour).Format(time.RFC3339)}
	src.set(doc.bytes())
	if err := d.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "revoked root never comes back") {
		t.Errorf("a root brought back from revocation: %v", err)
	}
	// Removing a root is the same kill.
	doc.serial++
	doc.roots = doc.roots[2:] // e only
	src.set(doc.bytes())
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d.Verifies("b", t0) || !d.Verifies("e", t0) {
		t.Error("a removed root verifies")
	}
}

func TestKeyringDeriverLocalOptions(t *testing.T) {
	src := &memSource{}
	src.set((&ringDoc{}).add("a", t0).bytes())
	for _, c := range []struct {
		opt  Option
		want string
	}{
		{WithWindow(2 * time.Minute), "window length"},
		{WithSkew(time.Second), "skew"},
		{WithAlgorithm(HS512), "algorithm"},
		{WithPurpose("refresh"), "purpose"},
	} {
		_, err := NewKeyringDeriver(src.source(), c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "remove the local setting") && c.want != "purpose" {
			t.Errorf("%s: %v", c.want, err)
		}
	}
	// Agreeing local settings are fine.
	d, err := NewKeyringDeriver(src.source(), WithWindow(time.Minute), WithPurpose("access"))
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := NewKeyringDeriver(func(context.Context) ([]byte, error) { return []byte("{"), nil }); !errors.Is(err, errKeyring) {
		t.Errorf("a bad keyring at start: %v", err)
	}
}

// The goroutine reads the file every reload interval: a file replaced by a
// rename is in use within one interval, with no call from outside.
func TestKeyringFileReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keyring.json")
	doc := map[string]any{"jwtrot_keyring": 1, "alg": "HS256", "window": 60, "purposes": []string{"access"}, "reload": 1,
		"roots": []map[string]any{{"id": "a", "secret": secretHex(1), "issues": "2020-01-01T00:00:00Z"}}}
	write := func() {
		b, _ := json.Marshal(doc)
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write()
	d, err := NewKeyringDeriver(KeyringFile(path), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	doc["roots"] = append(doc["roots"].([]map[string]any), map[string]any{"id": "b", "secret": secretHex(9), "issues": "2021-01-01T00:00:00Z", "emergency": true})
	write()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if id, _ := d.Issuer(time.Now()); id == "b" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the edit was not picked up within three reload intervals")
}

func TestKeyringFileErrorsHidePath(t *testing.T) {
	secret := secretHex(3)
	_, err := KeyringFile(filepath.Join(t.TempDir(), secret))(context.Background())
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("error %v", err)
	}
}

func TestKeyringResolver(t *testing.T) {
	src := &memSource{}
	src.set((&ringDoc{}).add("a", t0.Add(-time.Hour)).add("hsm", t0.Add(-time.Minute), "ref", "module:1").bytes())
	prk := bytes.Repeat([]byte{0x42}, 31)
	prk = append(prk, 1)
	var calls int
	resolve := func(_ context.Context, id, ref string) (Expander, error) {
		calls++
		if id != "hsm" || ref != "module:1" {
			t.Errorf("resolve(%q, %q)", id, ref)
		}
		return prkExpander(prk), nil
	}
	d, _, _ := newRingDeriver(t, src, WithRootResolver(resolve))
	k, err := d.SigningKey(t0)
	if err != nil || k.RootID() != "hsm" {
		t.Fatalf("%v %v", k, err)
	}
	if err := d.Reload(context.Background()); err != nil || calls != 1 {
		t.Errorf("resolved again on an unchanged reload: %d calls, %v", calls, err)
	}
}
