package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jwtrot/jwtrot/internal/keyringview"
	"github.com/jwtrot/jwtrot/rotation"
)

// The keyring commands make and edit a keyring document (SPEC §11): every
// edit is one change to one file that every instance reads, and the fleet
// switches at the instants written in it.

const keyringUsage = `usage: demo keyring COMMAND [FLAGS]

A keyring is the roots of a deployment with their schedule, in one file that
every instance reads again every reload interval: a rotation is one edit of
that file, made anywhere, at any time.

Commands:
  new       a keyring with one fresh random root, on stdout or -o FILE
  add       add a fresh root that issues from an instant (default: as soon
            as every instance can have read the edit)
  retire    set when a root's tokens start being refused (default: the
            earliest instant at which none it issued can still be valid)
  revoke    the emergency kill: refuse a root's tokens from each
            instance's next reload
  schedule  which root issues and which verify, at every change

Example:
  demo keyring new -iss auth -o keyring.json
  demo keyring add -keyring keyring.json
  demo keyring schedule -keyring keyring.json

Run "demo keyring COMMAND -h" for a command's flags.
`

func (e *env) keyring(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, keyringUsage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, keyringUsage)
		return nil
	case "new":
		return e.keyringNew(rest)
	case "add":
		return e.keyringAdd(rest)
	case "retire":
		return e.keyringRetire(rest)
	case "revoke":
		return e.keyringRevoke(rest)
	case "schedule":
		return e.keyringSchedule(rest)
	}
	return fmt.Errorf("keyring: unknown command %s; the commands are new, add, retire, revoke and schedule (see 'demo keyring -h')", echoable(cmd))
}

// ringFile is the keyring document as the demo edits it: ParseKeyring
// checks every document read and written, and is the authority on its
// rules; this only carries the members across an edit. It holds secrets and
// redacts itself when formatted.
type ringFile struct {
	Version  int64      `json:"jwtrot_keyring"`
	Alg      string     `json:"alg"`
	Window   int64      `json:"window"`
	Skew     *int64     `json:"skew,omitempty"`
	MaxAge   int64      `json:"max_age,omitempty"`
	Iss      string     `json:"iss,omitempty"`
	Purposes []string   `json:"purposes"`
	Reload   int64      `json:"reload,omitempty"`
	Serial   int64      `json:"serial"`
	Roots    []ringRoot `json:"roots"`
}

// ringRoot is one root of a ringFile.
type ringRoot struct {
	ID        string `json:"id"`
	Secret    string `json:"secret,omitempty"`
	Ref       string `json:"ref,omitempty"`
	Issues    string `json:"issues,omitempty"`
	Retires   string `json:"retires,omitempty"`
	Revoked   bool   `json:"revoked,omitempty"`
	Emergency bool   `json:"emergency,omitempty"`
}

// Format shows the keyring's serial and root ids, never a secret, in every
// verb.
func (f ringFile) Format(s fmt.State, _ rune) {
	ids := make([]string, len(f.Roots))
	for i, r := range f.Roots {
		ids[i] = r.ID
	}
	fmt.Fprintf(s, "keyring{serial: %d, roots: %v}", f.Serial, ids)
}

// Format shows the root's id only, in every verb.
func (r ringRoot) Format(s fmt.State, _ rune) { fmt.Fprintf(s, "root{id: %s}", r.ID) }

// maxKeyringFile bounds what the commands read (SPEC §11's bound).
const maxKeyringFile = 1 << 20

// loadKeyring reads and checks the keyring file at path. Its errors name
// the flag and never show the document.
func loadKeyring(path string) (*ringFile, *rotation.Keyring, error) {
	if path == "" {
		return nil, nil, errors.New("no keyring: give -keyring FILE (make one with 'demo keyring new -o FILE')")
	}
	b, err := readBounded(path, maxKeyringFile)
	defer clear(b)
	if err != nil {
		return nil, nil, fmt.Errorf("-keyring: cannot read the file: %w", err)
	}
	k, err := rotation.ParseKeyring(b)
	if err != nil {
		return nil, nil, fmt.Errorf("-keyring: %w", err)
	}
	var doc ringFile
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, nil, errors.New("-keyring: the document does not decode (the text is not shown, in case it holds a secret)")
	}
	return &doc, k, nil
}

// encode returns the document's text after checking it as every instance
// will: an edit the parser refuses is never written.
func (f *ringFile) encode() ([]byte, *rotation.Keyring, error) {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, nil, errors.New("the keyring does not encode")
	}
	b = append(b, '\n')
	k, err := rotation.ParseKeyring(b)
	if err != nil {
		clear(b)
		return nil, nil, err
	}
	return b, k, nil
}

// writeKeyring writes doc to out: "-" is standard output; any other path
// is replaced atomically (a temporary file in the same directory, mode
// 0600, renamed over it), so an instance reading it sees the old keyring or
// the new one, never part of one.
func (e *env) writeKeyring(out string, doc []byte) error {
	if out == "-" {
		_, err := e.stdout.Write(doc)
		return err
	}
	return writeAtomic(out, doc)
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".keyring-*")
	if err != nil {
		return fmt.Errorf("cannot write the keyring: %w", fileErr(err))
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("cannot write the keyring: %w", fileErr(err))
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("cannot write the keyring: %w", fileErr(err))
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("cannot write the keyring: %w", fileErr(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write the keyring: %w", fileErr(err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write the keyring: %w", fileErr(err))
	}
	done = true
	return nil
}

// fileErr drops the path from a file error: the message says what failed.
func fileErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// freshSecret returns a new random root secret, hex.
func freshSecret() string {
	b := make([]byte, rootSize)
	rand.Read(b)
	s := hex.EncodeToString(b)
	clear(b)
	return s
}

// instant formats t as the keyring writes instants.
func instant(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// parseAt reads an instant flag: RFC 3339 in whole seconds, as the keyring
// stores it.
func parseAt(name, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Nanosecond() != 0 {
		return time.Time{}, fmt.Errorf("-%s %q is not an RFC 3339 instant in whole seconds such as 2026-12-08T00:00:00Z", name, clip(s))
	}
	return t.UTC(), nil
}

// The defaults of a keyring document that does not state them (SPEC §11),
// which keyring new writes out.
const (
	keyringReload = 30 * time.Second
	keyringSkew   = 30 * time.Second // or a quarter of the window, if shorter
)

// rootSize is the length of the roots the demo makes: rotation's minimum,
// what openssl rand -hex 32 makes.
const rootSize = 32

// checkWindow refuses a window length that no schedule accepts.
func checkWindow(length time.Duration) error {
	if _, err := rotation.NewSchedule(rotation.WithWindow(length)); err != nil {
		// The hint names the library's option; here the length is a flag's.
		return errors.New(strings.TrimSuffix(err.Error(), "; set it with rotation.WithWindow"))
	}
	return nil
}

// windowAt returns the window of the given length that contains t. The
// length has passed checkWindow, or comes from a keyring that did.
func windowAt(t time.Time, length time.Duration) rotation.Window {
	s, err := rotation.NewSchedule(rotation.WithWindow(length))
	if err != nil {
		panic(err) // a length not checked first: a bug of the demo
	}
	return s.WindowAt(t)
}

// wholeSeconds checks a duration flag that the keyring stores in seconds.
func wholeSeconds(name string, d time.Duration) (int64, error) {
	if d <= 0 || d%time.Second != 0 {
		return 0, fmt.Errorf("-%s %v must be a positive whole number of seconds, such as 30s", name, d)
	}
	return int64(d / time.Second), nil
}

// ceilSecond rounds t up to a whole second.
func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// windowStartAfter returns the first window start at or after t.
func windowStartAfter(t time.Time, window time.Duration) time.Time {
	w := windowAt(t, window)
	if w.Start().Equal(t) {
		return t
	}
	return w.End()
}

func (e *env) keyringNew(args []string) error {
	f := newFlags(e, "keyring new", `[-alg A] [-window D] [-skew D] [-max-age D] [-iss S]
         [-purposes P,...] [-reload D] [-id ID] [-at T] [-o FILE]

A keyring with one fresh random root, which issues from -at. Every instance
of the fleet reads the same file; the secret goes only to stdout or FILE.

Example:
  demo keyring new -iss auth -max-age 8h -o /run/secrets/jwt-keyring`)
	f.fs.StringVar(&f.alg, "alg", "HS256", "`algorithm`: HS256, HS384, HS512 or EdDSA")
	f.window = 10 * time.Minute
	f.fs.Var(durationFlag{&f.window, false}, "window", "window `length`, whole seconds")
	f.skew = -1
	f.fs.Var(durationFlag{&f.skew, false}, "skew", "allowed clock `skew` (default min(30s, window/4))")
	maxAge := 8 * time.Hour
	f.fs.Var(durationFlag{&maxAge, false}, "max-age", "the oldest token accepted, from its iat: `lifetime`")
	f.fs.StringVar(&f.iss, "iss", "", "the `issuer` every token names (default none)")
	purposes := f.fs.String("purposes", rotation.DefaultPurpose, "the purpose `labels`, comma-separated")
	reload := keyringReload
	f.fs.Var(durationFlag{&reload, false}, "reload", "how `often` every instance reads the keyring again")
	id := f.fs.String("id", "a", "the root's `id`, named in every kid")
	at := f.fs.String("at", "", "the root issues from this `instant` (default: this window's start)")
	out := f.fs.String("o", "-", "write the keyring to `FILE`, mode 0600; - is stdout")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if err := checkWindow(f.window); err != nil {
		return fmt.Errorf("-window: %w", err)
	}
	if f.skew < 0 {
		f.skew = min(keyringSkew, f.window/4/time.Second*time.Second)
	}
	window, _ := wholeSeconds("window", f.window)
	skew := int64(f.skew / time.Second)
	if f.skew%time.Second != 0 {
		return fmt.Errorf("-skew %v must be a whole number of seconds", f.skew)
	}
	maxAgeS, err := wholeSeconds("max-age", maxAge)
	if err != nil {
		return err
	}
	reloadS, err := wholeSeconds("reload", reload)
	if err != nil {
		return err
	}
	issues := windowAt(time.Now(), f.window).Start()
	if *at != "" {
		if issues, err = parseAt("at", *at); err != nil {
			return err
		}
	}
	if *out != "-" {
		if _, err := os.Lstat(*out); err == nil {
			return errors.New("-o: the file exists; a new keyring replaces every root and refuses every token signed so far: edit it with 'demo keyring add -keyring FILE', or remove it first")
		}
	}
	doc := &ringFile{
		Version: 1, Alg: f.alg, Window: window, Skew: &skew, MaxAge: maxAgeS, Iss: f.iss,
		Purposes: strings.Split(*purposes, ","), Reload: reloadS,
		Roots: []ringRoot{{ID: *id, Secret: freshSecret(), Issues: instant(issues)}},
	}
	b, k, err := doc.encode()
	if err != nil {
		return err // the parser's message names the member; never the secret
	}
	defer clear(b)
	if err := e.writeKeyring(*out, b); err != nil {
		return err
	}
	if *out != "-" {
		fmt.Fprintf(e.stdout, "keyring written (mode 0600): root %s issues from %s; %v windows, %v reload\n",
			*id, instant(issues), k.Fleet().Window, keyringview.Of(k).Reload())
		fmt.Fprintf(e.stdout, "Give every instance this same file; 'demo keyring schedule -keyring %s' shows it.\n", filepath.Base(*out))
	}
	return nil
}

// editFlags registers the flags every edit shares.
func editFlags(f *flags) (keyring, out *string) {
	keyring = f.fs.String("keyring", "", "the keyring `FILE` to edit, replaced atomically")
	out = f.fs.String("o", "", "write the edited keyring to `FILE` instead; - is stdout")
	return keyring, out
}

// loadRoot parses the flags of an edit of one root, reads the keyring and
// finds the root named by -root, which must not be revoked already.
func loadRoot(f *flags, args []string, keyring, id *string) (doc *ringFile, k *rotation.Keyring, i int, err error) {
	if err := f.parse(args, 0); err != nil {
		return nil, nil, -1, err
	}
	if doc, k, err = loadKeyring(*keyring); err != nil {
		return nil, nil, -1, err
	}
	if i, err = findRoot(doc, *id); err != nil {
		return nil, nil, -1, err
	}
	if doc.Roots[i].Revoked {
		return nil, nil, -1, fmt.Errorf("-root %s is revoked already: it verifies nothing", *id)
	}
	return doc, k, i, nil
}

// saveEdit bumps the serial, checks and writes the edited keyring, and
// returns where status lines go: stdout, unless it carries the keyring.
func (e *env) saveEdit(doc *ringFile, path, out string) (*rotation.Keyring, io.Writer, error) {
	doc.Serial++
	b, k, err := doc.encode()
	if err != nil {
		return nil, nil, err
	}
	defer clear(b)
	if out == "" {
		out = path
	}
	if err := e.writeKeyring(out, b); err != nil {
		return nil, nil, err
	}
	if out == "-" {
		return k, e.stderr, nil
	}
	return k, e.stdout, nil
}

// nextRootID returns an id no root of the keyring has, revoked ones
// included (a revoked id never comes back): the first free letter, then r
// and a number.
func nextRootID(doc *ringFile) string {
	used := func(id string) bool {
		return slices.ContainsFunc(doc.Roots, func(r ringRoot) bool { return r.ID == id })
	}
	for c := 'a'; c <= 'z'; c++ {
		if !used(string(c)) {
			return string(c)
		}
	}
	for n := 1; ; n++ {
		if id := fmt.Sprintf("r%d", n); !used(id) {
			return id
		}
	}
}

func (e *env) keyringAdd(args []string) error {
	f := newFlags(e, "keyring add", `-keyring FILE [-at T | -emergency] [-id ID] [-o FILE]

Adds a fresh random root that issues from -at and raises the serial. The
default -at is the first window start after now + 2×reload + skew: every
instance has read the edit by then, so every one switches at that instant.

Example:
  demo keyring add -keyring /run/secrets/jwt-keyring`)
	keyring, out := editFlags(f)
	at := f.fs.String("at", "", "the new root issues from this `instant`, RFC 3339")
	emergency := f.fs.Bool("emergency", false, "issue now: each instance signs with it from its next reload")
	id := f.fs.String("id", "", "the new root's `id` (default: the first free letter)")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	doc, k, err := loadKeyring(*keyring)
	if err != nil {
		return err
	}
	fl := k.Fleet()
	now := time.Now().UTC()
	// Every instance has read the edit within a reload interval, and one
	// that read it last waits reload + skew before it signs with a new root
	// (SPEC §11.3): from ready on, no instance waits.
	ready := ceilSecond(now.Add(2*keyringview.Of(k).Reload() + fl.Skew))
	issues := windowStartAfter(ready, fl.Window)
	switch {
	case *emergency && *at != "":
		return errors.New("-emergency issues at once; leave -at out")
	case *emergency:
		issues = now.Truncate(time.Second)
	case *at != "":
		if issues, err = parseAt("at", *at); err != nil {
			return err
		}
		if issues.Before(ready) {
			return fmt.Errorf("-at %s is sooner than every instance can have read the edit (each reads it within the %v reload, and clocks differ by up to the %v skew): give -at %s or later, or -emergency to switch each instance at its next reload",
				instant(issues), keyringview.Of(k).Reload(), fl.Skew, instant(ready))
		}
	}
	if *id == "" {
		*id = nextRootID(doc)
	}
	doc.Roots = append(doc.Roots, ringRoot{ID: *id, Secret: freshSecret(), Issues: instant(issues), Emergency: *emergency})
	prev, hadPrev := keyringview.Of(k).IssuerAt(issues.Add(-time.Second))
	k, status, err := e.saveEdit(doc, *keyring, *out)
	if err != nil {
		return err
	}
	fp, _ := rootFingerprint(doc, *id, fl)
	fmt.Fprintf(status, "added root %s (fingerprint %s), serial %d: it issues from %s\n", *id, fp, keyringview.Of(k).Serial(), instant(issues))
	fmt.Fprintf(status, "  and verifies from %s, two windows before.\n", instant(issues.Add(-2*fl.Window)))
	if *emergency {
		fmt.Fprintf(status, "Emergency: each instance signs with %s from its next reload, within %v; an\n", *id, keyringview.Of(k).Reload())
		fmt.Fprintf(status, "  instance refuses %s's tokens until it has read the edit, for at most that long.\n", *id)
	} else {
		fmt.Fprintf(status, "Every instance reads the edit within %v and switches at that instant.\n", keyringview.Of(k).Reload())
	}
	if hadPrev && prev != *id {
		if t, ok := keyringview.Of(k).EarliestRetirement(prev); ok {
			fmt.Fprintf(status, "Root %s may retire from %s, once no token it issued is valid:\n", prev, instant(t))
			fmt.Fprintf(status, "  demo keyring retire -keyring %s -root %s\n", *keyring, prev)
		}
	}
	return nil
}

// findRoot returns the index of the root named id, or an error listing the
// ids there are.
func findRoot(doc *ringFile, id string) (int, error) {
	if id == "" {
		return -1, errors.New("no root named: give -root ID (see 'demo keyring schedule -keyring FILE')")
	}
	var ids []string
	for i, r := range doc.Roots {
		if r.ID == id {
			return i, nil
		}
		ids = append(ids, r.ID)
	}
	return -1, fmt.Errorf("-root %s: the keyring has no such root; its roots are %s", echoable(id), strings.Join(ids, ", "))
}

func (e *env) keyringRetire(args []string) error {
	f := newFlags(e, "keyring retire", `-keyring FILE -root ID [-at T] [-o FILE]

Sets when a root's tokens start being refused everywhere, and raises the
serial. The default and earliest -at is its successor's issue instant plus
reload, skew and max-age: no token it issued can still be valid then.

Example:
  demo keyring retire -keyring /run/secrets/jwt-keyring -root a`)
	keyring, out := editFlags(f)
	id := f.fs.String("root", "", "the `id` of the root to retire")
	at := f.fs.String("at", "", "retire at this `instant`, RFC 3339 (default: the earliest allowed)")
	doc, k, i, err := loadRoot(f, args, keyring, id)
	if err != nil {
		return err
	}
	retires, ok := keyringview.Of(k).EarliestRetirement(*id)
	if !ok {
		if k.Fleet().MaxAge == 0 {
			return errors.New("the keyring states no max_age, so no retirement can be shown safe; add \"max_age\" (seconds) to it")
		}
		return fmt.Errorf("no root issues after %s: add its successor first (demo keyring add -keyring FILE), then retire %s", *id, *id)
	}
	if *at != "" {
		if retires, err = parseAt("at", *at); err != nil {
			return err
		}
	}
	doc.Roots[i].Retires = instant(retires)
	k, status, err := e.saveEdit(doc, *keyring, *out)
	if err != nil {
		return err // the parser says why, and the earliest retirement
	}
	fmt.Fprintf(status, "root %s retires at %s (serial %d): every instance refuses its\n", *id, instant(retires), keyringview.Of(k).Serial())
	fmt.Fprintf(status, "  tokens from then. After that instant, the root may be removed from the keyring.\n")
	return nil
}

func (e *env) keyringRevoke(args []string) error {
	f := newFlags(e, "keyring revoke", `-keyring FILE -root ID [-o FILE]

The emergency kill: marks a root revoked, drops its secret from the file,
and raises the serial. Each instance refuses the root's tokens from its next
reload, at most the keyring's reload interval after the file is in place.
A revoked id never comes back. To kill the root that issues now, add its
replacement first: demo keyring add -emergency -keyring FILE.

Example:
  demo keyring revoke -keyring /run/secrets/jwt-keyring -root a`)
	keyring, out := editFlags(f)
	id := f.fs.String("root", "", "the `id` of the root to revoke")
	doc, k, _, err := loadRoot(f, args, keyring, id)
	if err != nil {
		return err
	}
	now := time.Now()
	wasIssuing, _ := keyringview.Of(k).IssuerAt(now)
	edited := *doc
	edited.Roots = slices.Clone(doc.Roots)
	alsoRevoked := revokeRoot(&edited, *id, now)
	edited.Serial++
	b, tk, err := edited.encode()
	clear(b)
	if err != nil {
		return fmt.Errorf("once %s is revoked: %w", *id, err)
	}
	if _, ok := keyringview.Of(tk).IssuerAt(now); !ok && wasIssuing == *id {
		return fmt.Errorf("%s issues now, and no other root would: every instance would refuse to sign. Add its replacement first (demo keyring add -emergency -keyring FILE), then revoke %s", *id, *id)
	}
	edited.Serial--
	k, status, err := e.saveEdit(&edited, *keyring, *out)
	if err != nil {
		return fmt.Errorf("once %s is revoked: %w", *id, err)
	}
	for _, r := range alsoRevoked {
		fmt.Fprintf(status, "root %s, retired already, is marked revoked too; its secret leaves the file.\n", r)
	}
	issuing, _ := keyringview.Of(k).IssuerAt(now)
	fmt.Fprintf(status, "root %s revoked (serial %d); its secret is no longer in the file; %s issues.\n", *id, keyringview.Of(k).Serial(), issuing)
	fmt.Fprintf(status, "Each instance refuses %s's tokens (unknown key id) from its next reload, within\n", *id)
	fmt.Fprintf(status, "  %v of this file being in place on it: their users log in again. Delete\n", keyringview.Of(k).Reload())
	fmt.Fprintf(status, "  every other copy of %s's secret.\n", *id)
	return nil
}

// revokeRoot marks the root named id revoked in doc, dropping its secret,
// and so every root whose retirement has passed at now: a revocation can
// change which root succeeds a retired one, and with it the retirement the
// keyring allows, while a retired root verifies nothing anyway. It returns
// the ids of those retired roots.
func revokeRoot(doc *ringFile, id string, now time.Time) []string {
	var retired []string
	for i, r := range doc.Roots {
		switch {
		case r.ID == id:
		case r.Revoked || r.Retires == "":
			continue
		default:
			t, err := time.Parse(time.RFC3339, r.Retires)
			if err != nil || t.After(now) {
				continue
			}
			retired = append(retired, r.ID)
		}
		doc.Roots[i] = ringRoot{ID: r.ID, Revoked: true}
	}
	return retired
}

// rootFingerprint returns a non-secret fingerprint of the root named id:
// that of its key for window 0 (the root itself is never hashed or shown),
// or "(module)" for a root held outside the file.
func rootFingerprint(doc *ringFile, id string, fl rotation.Fleet) (string, bool) {
	for _, r := range doc.Roots {
		if r.ID != id || r.Revoked {
			continue
		}
		if r.Secret == "" {
			return "(module)", true
		}
		root, err := rotation.ParseRoot(r.ID, []byte(r.Secret))
		if err != nil {
			return "?", false
		}
		d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(fl.Algorithm), rotation.WithWindow(fl.Window),
			rotation.WithSkew(fl.Skew), rotation.WithPurpose(fl.Purposes[0]))
		if err != nil {
			return "?", false
		}
		defer d.Close()
		key, err := d.KeyAt(r.ID, time.Unix(0, 0))
		if err != nil {
			return "?", false
		}
		return keyFingerprint(key), true
	}
	return "", false
}

// maxScheduleLines bounds what schedule prints.
const maxScheduleLines = 1000

func (e *env) keyringSchedule(args []string) error {
	f := newFlags(e, "keyring schedule", `-keyring FILE [-from T] [-days N]

Which root issues and which verify, from -from and at every instant at which
that changes over the next -days: root ids and fingerprints, never a secret.

Example:
  demo keyring schedule -keyring /run/secrets/jwt-keyring -days 30`)
	keyring := f.fs.String("keyring", "", "the keyring `FILE`")
	from := f.fs.String("from", "", "start at this `instant`, RFC 3339 (default now)")
	days := f.fs.Int("days", 7, "how many `days` to show, 1 to 366")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if *days < 1 || *days > 366 {
		return fmt.Errorf("-days %d is not between 1 and 366", *days)
	}
	doc, k, err := loadKeyring(*keyring)
	if err != nil {
		return err
	}
	start := time.Now().UTC().Truncate(time.Second)
	if *from != "" {
		if start, err = parseAt("from", *from); err != nil {
			return err
		}
	}
	fl := k.Fleet()
	w := e.stdout
	fmt.Fprintf(w, "keyring serial %d: %v, %v windows, %v skew, max age %v, reload %v, purposes %s\n",
		keyringview.Of(k).Serial(), fl.Algorithm, fl.Window, fl.Skew, fl.MaxAge, keyringview.Of(k).Reload(), strings.Join(fl.Purposes, ","))
	fmt.Fprintln(w, "roots:")
	for _, r := range keyringview.Of(k).Roots() {
		if r.Revoked {
			fmt.Fprintf(w, "  %-16s revoked\n", r.ID)
			continue
		}
		fp, _ := rootFingerprint(doc, r.ID, fl)
		line := fmt.Sprintf("  %-16s %-10s issues %s", r.ID, fp, instant(r.Issues))
		if !r.Retires.IsZero() {
			line += "  retires " + instant(r.Retires)
		} else if t, ok := keyringview.Of(k).EarliestRetirement(r.ID); ok {
			line += "  may retire from " + instant(t)
		}
		if r.Emergency {
			line += "  emergency"
		}
		fmt.Fprintln(w, line)
	}
	end := start.Add(time.Duration(*days) * 24 * time.Hour)
	fmt.Fprintf(w, "from %s to %s:\n", instant(start), instant(end))
	fmt.Fprintf(w, "  %-20s  %-16s %s\n", "instant", "issues", "verify")
	t := start
	for n := 0; n < maxScheduleLines && !t.After(end); n++ {
		issuing, ok := keyringview.Of(k).IssuerAt(t)
		if !ok {
			issuing = "(none)"
		}
		fmt.Fprintf(w, "  %-20s  %-16s %s\n", instant(t), issuing, strings.Join(keyringview.Of(k).VerifyingAt(t), ", "))
		next, ok := keyringview.Of(k).NextChange(t)
		if !ok {
			break
		}
		t = next
	}
	return nil
}
