package jwtrot

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/rotation"
)

// ringRule is SPEC §11.2 written again as plain data and arithmetic, apart
// from package rotation: the roots of one keyring version.
type ringRule struct {
	window time.Duration
	roots  []ringRuleRoot
}

type ringRuleRoot struct {
	id              string
	issues, retires time.Time // retires zero: never
	revoked         bool
}

func (r ringRule) verifies(id string, t time.Time) bool {
	for _, x := range r.roots {
		if x.id == id {
			return !x.revoked && !t.Before(x.issues.Add(-2*r.window)) && (x.retires.IsZero() || t.Before(x.retires))
		}
	}
	return false
}

func (r ringRule) issuer(t time.Time) string {
	var best ringRuleRoot
	for _, x := range r.roots {
		if x.revoked || t.Before(x.issues) || !x.retires.IsZero() && !t.Before(x.retires) {
			continue
		}
		if best.id == "" || x.issues.After(best.issues) || x.issues.Equal(best.issues) && x.id < best.id {
			best = x
		}
	}
	return best.id
}

// doc writes the keyring document of the rule.
func (r ringRule) doc(alg string, serial int, skew, reload, maxAge time.Duration) []byte {
	var roots []map[string]any
	for i, x := range r.roots {
		m := map[string]any{"id": x.id, "secret": hex.EncodeToString([]byte(fmt.Sprintf("sim root %d: %s 0123456789abcdef0123", i, x.id)))}
		if x.revoked {
			m = map[string]any{"id": x.id, "revoked": true}
		} else {
			m["issues"] = x.issues.UTC().Format(time.RFC3339)
		}
		if !x.retires.IsZero() {
			m["retires"] = x.retires.UTC().Format(time.RFC3339)
		}
		roots = append(roots, m)
	}
	b, _ := json.Marshal(map[string]any{"jwtrot_keyring": 1, "alg": alg, "window": int64(r.window / time.Second), "skew": int64(skew / time.Second),
		"max_age": int64(maxAge / time.Second), "purposes": []string{"access"}, "reload": int64(reload / time.Second), "serial": serial, "roots": roots})
	return b
}

// TestKeyringFleetSimulation runs a fleet of instances over one keyring
// across a succession: root b is added ahead of its issue instant, a bad
// edit arrives mid-run, b starts issuing, a retires at its earliest
// retirement, and a third root is revoked. Each instance reads each edit at
// its own moment within the reload interval, and their clocks are spread
// over the skew. Every verification's outcome must be the one the rules
// give for the keyring that instance holds (restated in ringRule, apart
// from package rotation), every token must carry the kid of the root the
// rules say issues, and a token whose root verifies in the newest keyring
// is never refused by an instance that has had time to read it.
func TestKeyringFleetSimulation(t *testing.T) {
	for _, alg := range []string{"HS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) { runKeyringFleet(t, alg) })
	}
}

func runKeyringFleet(t *testing.T, alg string) {
	const (
		window    = time.Minute
		skew      = 6 * time.Second
		reload    = 10 * time.Second
		maxAge    = 10 * time.Minute
		instances = 8
	)
	policy := simPolicy{window: window, skew: skew, maxAge: maxAge}
	start := time.Date(2026, 12, 7, 10, 0, 3, 0, time.UTC)
	bIssues := start.Add(5*time.Minute - 3*time.Second) // a window start
	aRetires := bIssues.Add(reload + skew + maxAge)     // its earliest retirement

	// The edits, in order: each is the keyring from its instant on.
	base := ringRule{window: window, roots: []ringRuleRoot{{id: "a", issues: start.Add(-time.Hour)}, {id: "x", issues: start.Add(-time.Hour)}}}
	withB := base
	withB.roots = append([]ringRuleRoot{}, base.roots...)
	withB.roots = append(withB.roots, ringRuleRoot{id: "b", issues: bIssues})
	retired := withB
	retired.roots = append([]ringRuleRoot{}, withB.roots...)
	retired.roots[0].retires = aRetires
	killed := retired
	killed.roots = append([]ringRuleRoot{}, retired.roots...)
	killed.roots[1] = ringRuleRoot{id: "x", revoked: true}
	type edit struct {
		at   time.Time
		rule *ringRule // nil: a bad edit
	}
	edits := []edit{
		{start, &base},
		{start.Add(time.Minute), &withB},
		{start.Add(3 * time.Minute), nil},
		{start.Add(7 * time.Minute), &retired},
		{start.Add(9 * time.Minute), &killed},
	}
	end := aRetires.Add(2 * time.Minute)

	type instance struct {
		offset time.Duration // clock offset
		lag    time.Duration // how long after an edit it reads it
		clock  *simClock
		mu     sync.Mutex
		seen   []byte // the document its source returns
		held   *ringRule
		a      *Authority
		d      *rotation.Deriver
		next   int // the next edit it has not read
	}
	rng := rand.New(rand.NewPCG(2026, 12))
	fleet := make([]*instance, instances)
	for i := range fleet {
		in := &instance{offset: -skew/2 + time.Duration(i)*skew/(instances-1), lag: time.Duration(rng.IntN(int(reload/time.Millisecond))) * time.Millisecond}
		in.clock = newSimClock(start.Add(in.offset))
		in.seen = base.doc(alg, 0, skew, reload, maxAge)
		in.held, in.next = &base, 1
		src := func(context.Context) ([]byte, error) {
			in.mu.Lock()
			defer in.mu.Unlock()
			return append([]byte(nil), in.seen...), nil
		}
		d, err := rotation.NewKeyringDeriver(src, rotation.WithClock(in.clock), rotation.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		if in.a, err = New(d, WithRandomID(false)); err != nil {
			t.Fatal(err)
		}
		in.d = d
		fleet[i] = in
	}

	// Tokens of x, which the keyring lists but never makes the issuer (a
	// wins the tie), come from a process that holds x alone; tokens of z,
	// which no keyring lists, from another.
	outside := func(id string, i int) (*Authority, *simClock) {
		c := newSimClock(start)
		r, err := rotation.NewRoot(id, []byte(fmt.Sprintf("sim root %d: %s 0123456789abcdef0123", i, id)))
		if err != nil {
			t.Fatal(err)
		}
		algo, _ := rotation.ParseAlgorithm(alg)
		d, err := rotation.NewDeriver([]*rotation.Root{r}, rotation.WithAlgorithm(algo), rotation.WithWindow(window), rotation.WithSkew(skew), rotation.WithClock(c))
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(d, WithRandomID(false), WithTTL(maxAge))
		if err != nil {
			t.Fatal(err)
		}
		return a, c
	}
	xAuth, xClock := outside("x", 1)
	zAuth, zClock := outside("z", 5)

	type simTok struct {
		simToken
		root string
	}
	var pool []simTok
	var total, accepted, refused, mustAccept, badEdits int
	acceptedBy, refusedBy := map[string]int{}, map[string]int{}
	failures := 0
	fail := func(format string, args ...any) {
		if failures++; failures <= 10 {
			t.Errorf(format, args...)
		}
	}
	newest := func(now time.Time) (*ringRule, time.Time) {
		var r *ringRule
		var at time.Time
		for _, e := range edits {
			if !e.at.After(now) && e.rule != nil {
				r, at = e.rule, e.at
			}
		}
		return r, at
	}
	for now := start; now.Before(end); now = now.Add(time.Duration(500+rng.IntN(2500)) * time.Millisecond) {
		for _, in := range fleet {
			in.clock.set(now.Add(in.offset))
			// Read every edit whose moment, for this instance, has come.
			for in.next < len(edits) && !now.Before(edits[in.next].at.Add(in.lag)) {
				e := edits[in.next]
				in.mu.Lock()
				if e.rule == nil {
					in.seen = []byte(`{"jwtrot_keyring":1,"alg":"` + alg + `","roots":[`) // truncated mid-write
				} else {
					in.seen = e.rule.doc(alg, in.next, skew, reload, maxAge)
				}
				in.mu.Unlock()
				err := in.d.Reload(context.Background())
				switch {
				case e.rule == nil && err == nil:
					t.Fatal("a bad edit was taken")
				case e.rule == nil:
					badEdits++
				case err != nil:
					t.Fatalf("edit %d refused: %v", in.next, err)
				default:
					in.held = e.rule
				}
				in.next++
			}
		}
		for range 3 {
			in := fleet[rng.IntN(len(fleet))]
			inNow := in.clock.Now()
			tok, err := in.a.Sign(jwt.RegisteredClaims{Subject: "u"})
			want := in.held.issuer(inNow)
			if err != nil || want == "" {
				t.Fatalf("sign at %v: %v (rules' issuer %q)", inNow, err, want)
			}
			kid := kidOf(t, tok)
			root, idx, _ := rotation.ParseKeyID(kid)
			if root != want {
				fail("instance signed with %s at %v; the rules say %s", root, inNow, want)
			}
			pool = append(pool, simTok{simToken{tok: tok, kidIndex: idx, iat: inNow.Unix(), exp: inNow.Add(maxAge).Unix(), inSkew: true}, root})
		}
		for _, o := range []struct {
			a    *Authority
			c    *simClock
			root string
		}{{xAuth, xClock, "x"}, {zAuth, zClock, "z"}} {
			o.c.set(now)
			tok, err := o.a.Sign(jwt.RegisteredClaims{Subject: "u"})
			if err != nil {
				t.Fatal(err)
			}
			pool = append(pool, simTok{simToken{tok: tok, kidIndex: windowOf(now, window).Index(), iat: now.Unix(), exp: now.Add(maxAge).Unix(), inSkew: true}, o.root})
		}
		for len(pool) > 0 && pool[0].iat < now.Add(-3*window).Unix() {
			pool = pool[1:]
		}
		newRule, editAt := newest(now)
		for range 40 {
			tk := pool[rng.IntN(len(pool))]
			in := fleet[rng.IntN(len(fleet))]
			inNow := in.clock.Now()
			res, err := in.a.Verify(ctx, tk.tok, nil)
			total++
			want := policy.expect(tk.simToken, inNow)
			if !in.held.verifies(tk.root, inNow) {
				want = ErrUnknownKeyID
			}
			if !errors.Is(err, want) || (want == nil) != (err == nil) {
				fail("root %s kid window %d at %v: got %v, want %v", tk.root, tk.kidIndex, inNow, err, want)
				continue
			}
			// Given time to read the newest keyring, no instance refuses
			// a token its rules accept.
			if now.After(editAt.Add(reload)) && newRule.verifies(tk.root, inNow) && policy.expect(tk.simToken, inNow) == nil {
				mustAccept++
				if err != nil {
					fail("false refusal of a %s token: %v", tk.root, err)
				}
			}
			if err != nil {
				refused++
				refusedBy[tk.root]++
				continue
			}
			accepted++
			acceptedBy[tk.root]++
			if res.Resigned != "" {
				pool = append(pool, simTok{simToken{tok: res.Resigned, kidIndex: windowOf(inNow, window).Index(), iat: tk.iat, exp: tk.exp, inSkew: true}, tk.root})
			}
		}
	}
	if badEdits != instances {
		t.Errorf("%d instances refused the bad edit, want %d", badEdits, instances)
	}
	if total < 10_000 || accepted == 0 || refused == 0 || mustAccept < 5_000 {
		t.Fatalf("the simulation missed a case: %d verifications, %d accepted, %d refused, %d must-accept", total, accepted, refused, mustAccept)
	}
	// Every root's tokens were both accepted and refused (x after its
	// revocation, a after its retirement), except z's, always refused.
	for _, id := range []string{"a", "b", "x"} {
		if acceptedBy[id] == 0 || refusedBy[id] == 0 {
			t.Errorf("root %s: %d accepted, %d refused: a case is missing", id, acceptedBy[id], refusedBy[id])
		}
	}
	if acceptedBy["z"] != 0 || refusedBy["z"] == 0 {
		t.Errorf("root z: %d accepted, %d refused", acceptedBy["z"], refusedBy["z"])
	}
	t.Logf("%s: %d verifications by %d instances over %v and %d edits (one bad): %d accepted, %d refused as the rules say, %d must-accept; accepted by root %v, refused %v",
		alg, total, instances, end.Sub(start).Round(time.Minute), len(edits), accepted, refused, mustAccept, acceptedBy, refusedBy)
}

// kidOf reads the kid of a token jwtrot signed.
func kidOf(t *testing.T, tok string) string {
	t.Helper()
	var h struct {
		Kid string `json:"kid"`
	}
	p := tok[:len(tok)-len(tok[indexDot(tok):])]
	b, err := rawURL.DecodeString(p)
	if err != nil || json.Unmarshal(b, &h) != nil {
		t.Fatalf("header of %q", tok)
	}
	return h.Kid
}

func indexDot(s string) int {
	for i := range len(s) {
		if s[i] == '.' {
			return i
		}
	}
	return len(s)
}
