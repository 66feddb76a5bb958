package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// The walkthrough's fixed world: a public demo root, 10-minute windows, a
// 30-second skew, and a simulated clock starting at a fixed instant.
var (
	demoRoot  = []byte("jwtrot demo root: public, for the walkthrough only")
	demoStart = time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC)
)

const (
	demoWindow = 10 * time.Minute
	demoSkew   = 30 * time.Second
)

// palette colours the output on a terminal, unless NO_COLOR is set and not
// empty, or TERM is dumb.
type palette struct{ on bool }

func newPalette(w io.Writer) palette {
	// no-color.org: NO_COLOR set and not empty turns colour off; so does a
	// dumb terminal.
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return palette{}
	}
	f, ok := w.(*os.File)
	if !ok {
		return palette{}
	}
	st, err := f.Stat()
	return palette{on: err == nil && st.Mode()&os.ModeCharDevice != 0}
}

func (p palette) paint(code, s string) string {
	if !p.on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p palette) ok(s string) string   { return p.paint("32", s) }
func (p palette) bad(s string) string  { return p.paint("31", s) }
func (p palette) head(s string) string { return p.paint("1", s) }

// demoInstance builds one service instance on its own clock from the demo root.
func demoInstance(c rotation.Clock) *jwtrot.Authority {
	root, err := rotation.NewRoot("main", demoRoot)
	if err != nil {
		panic(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithWindow(demoWindow), rotation.WithSkew(demoSkew), rotation.WithClock(c))
	if err != nil {
		panic(err)
	}
	a, err := jwtrot.New(d, jwtrot.WithTTL(time.Hour), jwtrot.WithIssuer("auth.example"))
	if err != nil {
		panic(err)
	}
	return a
}

func (e *env) walkthrough() error {
	p := newPalette(e.stdout)
	out := func(format string, args ...any) { fmt.Fprintf(e.stdout, format+"\n", args...) }
	hm := func(t time.Time) string { return t.UTC().Format("15:04:05") }
	ctx := context.Background()

	mock := clock.NewMock()
	mock.Set(demoStart)
	a := demoInstance(mock)
	d := a.Deriver()

	out(p.head("jwtrot walkthrough")+": one root on every instance, %v windows, %v skew, simulated time.", demoWindow, demoSkew)
	out("Every window's key is HKDF-SHA256(root, window index); instances derive it without talking.")
	out("")
	out(p.head("The windows") + " (a key is shown only as a fingerprint; the root never signs)")
	out("  %-9s %-10s %-10s %-14s %s", "index", "start", "end", "kid", "key fingerprint")
	cur := d.Schedule().WindowAt(demoStart)
	for w := cur.Prev(); w.Index() <= cur.Index()+2; w = w.Next() {
		k, err := d.KeyAt("main", w.Start())
		if err != nil {
			return err
		}
		mark := " "
		if w == cur {
			mark = "*"
		}
		out("%s %-9d %-10s %-10s %-14s %s", mark, w.Index(), hm(w.Start()), hm(w.End()), k.ID(), keyFingerprint(k))
	}
	out("The kid (key id) in each token's header names its root and window, so a verifier derives")
	out("exactly one key. The skew (%v) is how far apart clocks may be: a next-window kid is", demoSkew)
	out("accepted that long before its window starts.")
	out("")

	step := func(n int, format string, args ...any) {
		out("%d. %s  %s", n, hm(mock.Now()), fmt.Sprintf(format, args...))
	}
	verify := func(tok string) (jwtrot.Result, error) { return a.Verify(ctx, tok, nil) }

	tok, err := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	if err != nil {
		return err
	}
	sk, err := d.SigningKey(mock.Now())
	if err != nil {
		return err
	}
	step(1, "alice logs in: token signed in window %d, kid %s, exp %s", cur.Index(), sk.ID(), hm(mock.Now().Add(time.Hour)))

	mock.Set(demoStart.Add(3 * time.Minute))
	res, err := verify(tok)
	step(2, "verified in the same window: %s", result(p, res, err))

	mock.Set(demoStart.Add(11 * time.Minute))
	res, err = verify(tok)
	step(3, "next window, verified as previous: %s", result(p, res, err))
	fresh := res.Resigned
	if fresh != "" {
		out("             re-signed: new kid %s, payload byte for byte the same, exp unchanged", kidOf(fresh))
	}

	mock.Set(demoStart.Add(23 * time.Minute))
	_, err = verify(tok)
	step(4, "two windows on, the original token, never refreshed: %s", result(p, jwtrot.Result{}, err))
	res, err = verify(fresh)
	out("             the token re-signed in step 3: %s", result(p, res, err))
	out("")

	// Three instances with skewed clocks, across a boundary.
	boundary := d.Schedule().WindowAt(mock.Now()).End()
	base := boundary.Add(-10 * time.Second)
	// Spread over the skew: any two clocks agree within it.
	offsets := []time.Duration{-15 * time.Second, 0, 15 * time.Second}
	names := []string{"A", "B", "C"}
	clocks := make([]*clock.Mock, 3)
	fleet := make([]*jwtrot.Authority, 3)
	for i, off := range offsets {
		clocks[i] = clock.NewMock()
		clocks[i].Set(base.Add(off))
		fleet[i] = demoInstance(clocks[i])
	}
	out(p.head("Three instances, no coordination")+": clocks at -15s, 0s and +15s, 10s before the %s boundary", hm(boundary))
	for i := range fleet {
		t, err := fleet[i].Sign(jwt.RegisteredClaims{Subject: "alice"})
		if err != nil {
			return err
		}
		var verdicts []string
		for j := range fleet {
			if i == j {
				continue
			}
			res, err := fleet[j].Verify(ctx, t, nil)
			verdicts = append(verdicts, names[j]+" "+verdict(p, res, err))
		}
		out("  %s (clock %s) signs %-13s → %s", names[i], hm(clocks[i].Now()), kidOf(t), strings.Join(verdicts, "; "))
	}
	out("")

	// A tampered token.
	mock.Set(demoStart)
	forged := tamper(tok)
	_, err = verify(forged)
	out(p.head("Tampering")+": alice's token with sub changed to \"admin\": %s", result(p, jwtrot.Result{}, err))
	out("")

	// Rotating the root: the first issues, all verify.
	newRoot, err := rotation.NewRoot("new", []byte("jwtrot demo: the next root, public, walkthrough only"))
	if err != nil {
		return err
	}
	oldRoot, err := rotation.NewRoot("main", demoRoot)
	if err != nil {
		return err
	}
	both, err := rotation.NewDeriver([]*rotation.Root{newRoot, oldRoot}, rotation.WithWindow(demoWindow), rotation.WithSkew(demoSkew), rotation.WithClock(mock))
	if err != nil {
		return err
	}
	rotated, err := jwtrot.New(both, jwtrot.WithTTL(time.Hour))
	if err != nil {
		return err
	}
	newOnly, err := rotation.NewDeriver([]*rotation.Root{newRoot}, rotation.WithWindow(demoWindow), rotation.WithSkew(demoSkew), rotation.WithClock(mock))
	if err != nil {
		return err
	}
	removed, err := jwtrot.New(newOnly, jwtrot.WithTTL(time.Hour))
	if err != nil {
		return err
	}
	mock.Set(demoStart.Add(time.Minute))
	issued, err := rotated.Sign(jwt.RegisteredClaims{Subject: "bob"})
	if err != nil {
		return err
	}
	res, err = rotated.Verify(ctx, tok, nil)
	out(p.head("Rotating the root")+": roots [new, main] everywhere; new tokens get kid %s", kidOf(issued))
	out("  alice's token (main): %s; once main is removed: %s", result(p, res, err), func() string {
		_, err := removed.Verify(ctx, tok, nil)
		return result(p, jwtrot.Result{}, err)
	}())
	out("")
	if err := e.walkKeyring(p, out, mock); err != nil {
		return err
	}
	out("")
	if err := e.walkEdDSA(p, out, mock); err != nil {
		return err
	}
	out("")
	out("Next: 'demo root > root.hex' makes a root; 'demo sign -root-file root.hex' and 'demo verify")
	out("-root-file root.hex < token.txt' issue and check tokens; 'demo fleet' runs instances over HTTP;")
	out("'demo jwks' and 'demo verify -jwks' do the same with public keys (-alg EdDSA).")
	out("'demo keyring new -o keyring.json' makes a keyring, 'demo serve -keyring keyring.json' runs an")
	out("instance over it, and 'demo keyring add -keyring keyring.json' rotates the root, in one edit.")
	return nil
}

// walkEdDSA shows verifiers that hold no secret: the issuer signs with an
// Ed25519 key derived per window and publishes the public keys; three
// verifiers hold only that JWKS; when the issuer stops, they go on.
func (e *env) walkEdDSA(p palette, out func(string, ...any), mock *clock.Mock) error {
	ctx := context.Background()
	root, err := rotation.NewRoot("main", demoRoot)
	if err != nil {
		return err
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA),
		rotation.WithWindow(demoWindow), rotation.WithSkew(demoSkew), rotation.WithClock(mock))
	if err != nil {
		return err
	}
	issuer, err := jwtrot.New(d, jwtrot.WithTTL(time.Hour))
	if err != nil {
		return err
	}
	doc, err := jwks.Export(ctx, d, mock.Now(), time.Hour)
	if err != nil {
		return err
	}
	var verifiers []*jwtrot.Verifier
	for range 3 {
		sched, err := rotation.NewSchedule(rotation.WithWindow(demoWindow), rotation.WithSkew(demoSkew), rotation.WithClock(mock))
		if err != nil {
			return err
		}
		set, err := jwks.Parse(doc, sched)
		if err != nil {
			return err
		}
		v, err := jwtrot.NewVerifier(set)
		if err != nil {
			return err
		}
		verifiers = append(verifiers, v)
	}
	tok, err := issuer.Sign(jwt.RegisteredClaims{Subject: "alice"})
	if err != nil {
		return err
	}
	out(p.head("Verifiers that hold no secret") + " (-alg EdDSA): the issuer derives an Ed25519 key pair per window from")
	out("  the root and exports the public keys (%d windows, %d bytes of JWKS); three verifiers hold only that.", len(strings.Split(string(doc), `"kid"`))-1, len(doc))
	out("  %s the issuer signs alice's token, kid %s", hmOf(mock.Now()), kidOf(tok))
	line := func(label, tok string) {
		var vs []string
		for _, v := range verifiers {
			res, err := v.Verify(ctx, tok, nil)
			vs = append(vs, verdict(p, res, err))
		}
		out("  %-40s %s", label, strings.Join(vs, "   "))
	}
	line("verifiers 1-3, alice's token:", tok)
	line("the same, subject changed to admin:", tamper(tok))
	mock.Add(20 * time.Minute)
	later, err := issuer.Sign(jwt.RegisteredClaims{Subject: "alice"})
	if err != nil {
		return err
	}
	out("  %s the issuer's server is down; another instance with the root signs, kid %s", hmOf(mock.Now()), kidOf(later))
	line("verifiers 1-3, from the keys they hold:", later)
	out("  They cannot re-sign (no private key): a previous-window token goes to the issuer's refresh handler.")
	return nil
}

func hmOf(t time.Time) string { return t.UTC().Format("15:04:05") }

// result describes a verification in a few words.
func result(p palette, res jwtrot.Result, err error) string {
	if err != nil {
		return p.bad("refused (" + jwtrot.Reason(err) + ")")
	}
	s := p.ok("accepted") + " as " + res.Position.String()
	if res.Resigned != "" {
		s += ", re-signed"
	}
	return s
}

// verdict is a shorter result, for a table.
func verdict(p palette, res jwtrot.Result, err error) string {
	if err != nil {
		return p.bad("✗ " + jwtrot.Reason(err))
	}
	s := p.ok("✓") + " " + res.Position.String()
	if res.Resigned != "" {
		s += " (re-signed)"
	}
	return s
}

// kidOf reads the kid from a token jwtrot signed.
func kidOf(tok string) string {
	h, _, _ := strings.Cut(tok, ".")
	raw, err := rawURL.DecodeString(h)
	if err != nil {
		return "?"
	}
	_, kid, _ := strings.Cut(string(raw), `"kid":"`)
	kid, _, _ = strings.Cut(kid, `"`)
	return kid
}

var rawURL = base64.RawURLEncoding

// tamper changes the subject in a token's payload and keeps its signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := rawURL.DecodeString(parts[1])
	parts[1] = rawURL.EncodeToString([]byte(strings.Replace(string(payload), `"sub":"alice"`, `"sub":"admin"`, 1)))
	return strings.Join(parts, ".")
}

// keyFingerprint returns a short, non-secret identifier of a window key, for
// telling keys apart on screen without showing them: the first 8 hex digits
// of SHA-256("jwtrot fingerprint" || key).
func keyFingerprint(k *rotation.Key) string {
	b := k.Bytes()
	defer clear(b)
	h := sha256.New()
	h.Write([]byte("jwtrot fingerprint"))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)[:4])
}
