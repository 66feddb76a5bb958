package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/internal/keyringview"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// The keyring section's public secrets: for the walkthrough only.
var (
	demoRootB = []byte("jwtrot demo: the next root, public, walkthrough only")
	demoRootC = []byte("jwtrot demo: the emergency root, public, walkthrough")
)

// memKeyring is a keyring document held in memory, edited by the
// walkthrough's operator and read by its instances through a
// rotation.KeyringSource, as they would read a file.
type memKeyring struct {
	mu  sync.Mutex
	doc ringFile
}

func (m *memKeyring) source(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, _, err := m.doc.encode()
	return b, err
}

// edit changes the document and raises its serial, as demo keyring does.
func (m *memKeyring) edit(f func(*ringFile)) (*rotation.Keyring, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(&m.doc)
	m.doc.Serial++
	_, k, err := m.doc.encode()
	return k, err
}

// walkKeyring shows a succession on the simulated clock: a root added by
// one edit of the keyring, three instances that read it at different
// moments within the reload interval, the switch at the instant written in
// the keyring, the old root's retirement, and an emergency kill.
func (e *env) walkKeyring(p palette, out func(string, ...any), mock *clock.Mock) error {
	ctx := context.Background()
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	at := func(h, m, s int) time.Time {
		return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
	}
	skew := int64(demoSkew / time.Second)
	ring := &memKeyring{doc: ringFile{
		Version: 1, Alg: "HS256", Window: int64(demoWindow / time.Second), Skew: &skew, MaxAge: 3600,
		Iss: "auth.example", Purposes: []string{rotation.DefaultPurpose}, Reload: 30, Serial: 1,
		Roots: []ringRoot{{ID: "a", Secret: hex.EncodeToString(demoRoot), Issues: instant(day)}},
	}}
	defer mock.Set(mock.Now()) // the sections after this one keep their instants
	mock.Set(at(12, 3, 0))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil)) // the walkthrough prints what matters
	names := []string{"A", "B", "C"}
	var ds []*rotation.Deriver
	var fleet []*jwtrot.Authority
	for range names {
		d, err := rotation.NewKeyringDeriver(ring.source, rotation.WithClock(mock), rotation.WithLogger(quiet))
		if err != nil {
			return err
		}
		defer d.Close()
		a, err := jwtrot.New(d)
		if err != nil {
			return err
		}
		ds, fleet = append(ds, d), append(fleet, a)
	}
	hm := hmOf
	sign := func(i int, sub string) (string, error) {
		return fleet[i].Sign(jwt.RegisteredClaims{Subject: sub})
	}
	// row verifies tok on every instance.
	row := func(tok string) string {
		var vs []string
		for j, a := range fleet {
			res, err := a.Verify(ctx, tok, nil)
			vs = append(vs, names[j]+" "+verdict(p, res, err))
		}
		return strings.Join(vs, "; ")
	}
	reads := func(i int, t time.Time, note string) {
		mock.Set(t)
		err := ds[i].Reload(ctx)
		d := ds[i]
		issuing, _ := d.Issuer(t)
		line := fmt.Sprintf("  %s  %s reads serial %d%s: issues %s; verify %s", hm(t), names[i], keyringview.Of(d.Keyring()).Serial(), note, issuing, strings.Join(d.Roots(), ", "))
		if err != nil {
			line += " (" + p.bad("refused: "+err.Error()) + ")"
		}
		out("%s", line)
	}

	out(p.head("A keyring: rotation as one edit") + " (demo keyring; every instance reads the same document every 30s)")
	alice, err := sign(0, "alice")
	if err != nil {
		return err
	}
	out("  %s  A, B and C run over serial 1: root a issues; alice logs in on A, kid %s", hm(mock.Now()), kidOf(alice))
	k, err := ring.edit(func(f *ringFile) {
		// What demo keyring add writes: issues at the first window start
		// after every instance can have read the edit.
		issues := windowStartAfter(mock.Now().Add(2*30*time.Second+demoSkew), demoWindow)
		f.Roots = append(f.Roots, ringRoot{ID: "b", Secret: hex.EncodeToString(demoRootB), Issues: instant(issues)})
	})
	if err != nil {
		return err
	}
	switchAt := keyringview.Of(k).Roots()[1].Issues
	out("  %s  demo keyring add: root b issues from %s, serial %d; nothing restarts", hm(mock.Now()), hm(switchAt), keyringview.Of(k).Serial())
	reads(0, at(12, 3, 5), "")
	reads(1, at(12, 3, 17), "")
	reads(2, at(12, 3, 29), " (late, within the 30s reload)")
	out("  Across the switch at %s, on every instance:", hm(switchAt))
	var lastA string
	for i, t := range []time.Time{switchAt.Add(-time.Second), switchAt, switchAt.Add(time.Second)} {
		mock.Set(t)
		tok, err := sign(i, "bob")
		if err != nil {
			return err
		}
		if i == 0 {
			lastA = tok
		}
		out("    %s  %s signs %-12s → %s", hm(t), names[i], kidOf(tok), row(tok))
	}
	out("    %s  alice's token of 12:03 (a), in the previous window now:", hm(mock.Now()))
	out("              → %s", row(alice))
	out("")

	// Retirement: at the earliest instant no token a issued can be valid.
	mock.Set(at(12, 20, 0))
	earliest, _ := keyringview.Of(k).EarliestRetirement("a")
	k, err = ring.edit(func(f *ringFile) { f.Roots[0].Retires = instant(earliest) })
	if err != nil {
		return err
	}
	retires := keyringview.Of(k).Roots()[0].Retires
	out("  %s  demo keyring retire -root a, serial %d: a retires at %s, the earliest allowed",
		hm(mock.Now()), keyringview.Of(k).Serial(), hm(retires))
	out("            (b issues from %s; + reload 30s + skew 30s + max age 1h: a's tokens are expired)", hm(switchAt))
	for i := range ds {
		mock.Set(at(12, 20, 5+12*i))
		if err := ds[i].Reload(ctx); err != nil {
			return err
		}
	}
	// The 12:09:59 token of a, used once a window (re-signed each time).
	for t := switchAt.Add(time.Second); !t.After(at(13, 5, 0)); t = t.Add(demoWindow) {
		mock.Set(t)
		if res, err := fleet[0].Verify(ctx, lastA, nil); err == nil && res.Resigned != "" {
			lastA = res.Resigned
		}
	}
	mock.Set(at(13, 5, 0))
	out("  %s  bob's %s token (a), used once a window since:", hm(mock.Now()), hm(switchAt.Add(-time.Second)))
	out("            → %s", row(lastA))
	mock.Set(retires)
	old, err := rotation.NewRoot("a", demoRoot)
	if err != nil {
		return err
	}
	oldD, err := rotation.NewDeriver([]*rotation.Root{old}, rotation.WithWindow(demoWindow), rotation.WithSkew(demoSkew), rotation.WithClock(mock))
	if err != nil {
		return err
	}
	forger, err := jwtrot.New(oldD, jwtrot.WithTTL(time.Hour), jwtrot.WithIssuer("auth.example"))
	if err != nil {
		return err
	}
	forged, err := forger.Sign(jwt.RegisteredClaims{Subject: "mallory"})
	if err != nil {
		return err
	}
	out("  %s  a has retired; a token signed now with a's secret (leaked, say):", hm(mock.Now()))
	out("            → %s", row(forged))
	out("")

	// The emergency kill of the issuing root.
	mock.Set(at(13, 20, 0))
	bob, err := sign(1, "bob")
	if err != nil {
		return err
	}
	k, err = ring.edit(func(f *ringFile) {
		f.Roots = append(f.Roots, ringRoot{ID: "c", Secret: hex.EncodeToString(demoRootC), Issues: instant(mock.Now()), Emergency: true})
	})
	if err == nil {
		k, err = ring.edit(func(f *ringFile) { revokeRoot(f, "b", mock.Now()) })
	}
	if err != nil {
		return err
	}
	out("  %s  b may have leaked: demo keyring add -emergency (root c, issuing now), then", hm(mock.Now()))
	out("            demo keyring revoke -root b (and a, retired): serial %d; bob's token is kid %s", keyringview.Of(k).Serial(), kidOf(bob))
	reads(0, at(13, 20, 5), "")
	reads(1, at(13, 20, 8), "")
	mock.Set(at(13, 20, 10))
	fromA, err := sign(0, "carol")
	if err != nil {
		return err
	}
	out("    %s  bob's token (b) → %s", hm(mock.Now()), row(bob))
	out("    %s  A signs %-12s → %s", hm(mock.Now()), kidOf(fromA), row(fromA))
	out("              (an instance refuses an emergency root until it reads it: at most 30s)")
	reads(2, at(13, 20, 29), " (late)")
	mock.Set(at(13, 20, 30))
	out("    %s  bob's token (b) → %s", hm(mock.Now()), row(bob))
	out("    %s  carol's token (c) → %s", hm(mock.Now()), row(fromA))
	return nil
}
