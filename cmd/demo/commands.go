package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

func (e *env) root(args []string) error {
	f := newFlags(e, "root", "")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	b := make([]byte, rootSize)
	rand.Read(b)
	fmt.Fprintln(e.stdout, hex.EncodeToString(b))
	return nil
}

func (e *env) windows(args []string) error {
	f := newFlags(e, "windows", "[-window D] [-at T] [-n N] [-root-id ID]")
	f.scheduleFlags()
	f.fs.StringVar(&f.rootID, "root-id", "main", "the root's `id`, named in every kid")
	n := f.fs.Int("n", 5, "how many `windows` to list, from the previous one")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if err := checkWindow(f.window); err != nil {
		return err
	}
	if *n < 1 || *n > 1000 {
		return fmt.Errorf("-n %d is not between 1 and 1000", *n)
	}
	clk, err := f.clock()
	if err != nil {
		return err
	}
	now := clk.Now()
	w := windowAt(now, f.window).Prev()
	fmt.Fprintf(e.stdout, "%v windows around %s\n", f.window, now.UTC().Format(time.RFC3339))
	fmt.Fprintf(e.stdout, "  %-12s %-22s %-22s %s\n", "index", "start", "end", "kid")
	for i := 0; i < *n; i++ {
		mark := " "
		if w.Contains(now) {
			mark = "*"
		}
		fmt.Fprintf(e.stdout, "%s %-12d %-22s %-22s %s\n", mark, w.Index(),
			w.Start().Format(time.RFC3339), w.End().Format(time.RFC3339), rotation.KeyID(f.rootID, w.Index()))
		w = w.Next()
	}
	return nil
}

func (e *env) sign(args []string) error {
	f := newFlags(e, "sign", "(-root-file [ID=]F | -root-env [ID=]N)... [-root-id ID]\n"+
		"         [-window D] [-purpose P] [-alg A] [-skew D] [-iss S] [-aud A] [-at T]\n"+
		"         [-ttl D] [-claims JSON]")
	f.rootFlags()
	f.scheduleFlags()
	f.keyFlags()
	f.fs.DurationVar(&f.ttl, "ttl", jwtrot.DefaultTTL, "token `lifetime` when -claims has no exp")
	claimsJSON := f.fs.String("claims", `{}`, "the claims, a JSON `object`")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	a, err := f.authority(jwtrot.WithTTL(f.ttl), jwtrot.WithMaxAge(max(f.ttl, time.Hour)))
	if err != nil {
		return err
	}
	if err := checkJSONObject(*claimsJSON); err != nil {
		return fmt.Errorf("-claims %v", err)
	}
	var claims jwt.MapClaims
	dec := json.NewDecoder(strings.NewReader(*claimsJSON))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return errors.New("-claims is not a JSON object")
	}
	tok, err := a.Sign(claims)
	if err != nil {
		return refusal{err}
	}
	fmt.Fprintln(e.stdout, tok)
	return nil
}

// maxTokenInput bounds what verify reads from standard input.
const maxTokenInput = 64 << 10

func (e *env) verify(args []string) int {
	f := newFlags(e, "verify", "(-root-file [ID=]F | -root-env [ID=]N)... [-root-id ID]\n"+
		"         [-window D] [-purpose P] [-alg A] [-skew D] [-iss S] [-aud A] [-at T]\n"+
		"         [-max-age D] [-json] [TOKEN]\n"+
		"       demo verify -jwks FILE_OR_URL [-window D] [-skew D] [-iss S] [-aud A]\n"+
		"         [-at T] [-max-age D] [-json] [TOKEN]")
	f.rootFlags()
	f.fs.StringVar(&f.jwks, "jwks", "", "verify with the public keys of the JWKS in `FILE_OR_URL` (EdDSA; no root)")
	f.scheduleFlags()
	f.keyFlags()
	maxAge := jwtrot.DefaultTTL
	f.fs.Var(durationFlag{&maxAge, false}, "max-age", "the oldest token accepted, its `age` measured from its iat")
	var asJSON bool
	f.fs.BoolVar(&asJSON, "json", false, "print a JSON result on stdout, accepted, refused or a usage error")
	for _, a := range args { // known before parsing, so usage errors are JSON too
		if a == "-json" || a == "--json" || a == "-json=true" {
			asJSON = true
		}
	}
	fail := func(err error) int {
		if asJSON {
			b, _ := json.Marshal(map[string]any{"accepted": false, "error": "usage", "message": err.Error()})
			fmt.Fprintln(e.stdout, string(b))
		} else {
			fmt.Fprintln(e.stderr, "demo:", err)
		}
		return 2
	}
	if asJSON {
		f.env = &env{stdin: e.stdin, stdout: e.stdout, stderr: io.Discard}
	}
	if err := f.parse(args, 1); err != nil {
		if errors.Is(err, errUsage) {
			if asJSON {
				return fail(errors.New("bad flags or arguments (see 'demo verify -h')"))
			}
			return 2
		}
		return 0
	}
	var a tokenVerifier
	var err error
	if f.jwks != "" {
		a, err = f.publicVerifier(jwtrot.WithMaxAge(maxAge))
	} else {
		a, err = f.authority(jwtrot.WithTTL(0), jwtrot.WithMaxAge(maxAge))
	}
	if err != nil {
		return fail(err)
	}
	if c, ok := a.(interface{ Close() error }); ok {
		defer c.Close()
	}
	tok := f.fs.Arg(0)
	if f.fs.NArg() == 0 {
		if isTerminal(e.stdin) {
			fmt.Fprintln(e.stderr, "demo verify: waiting for a token on standard input (paste it, then Ctrl-D)")
		}
		if tok, err = readToken(e.stdin); err != nil {
			return fail(err)
		}
	} else if hint := argumentHint(tok); hint != "" {
		return fail(errors.New(hint))
	}
	if hint := tokenHint(tok); hint != "" {
		return fail(errors.New(hint))
	}
	claims := jwt.MapClaims{}
	res, err := a.Verify(context.Background(), tok, claims)
	if asJSON {
		out := map[string]any{"accepted": err == nil}
		if err != nil {
			out["reason"] = jwtrot.Reason(err)
		} else {
			out["position"] = res.Position.String()
			out["kid"] = res.KeyID
			out["claims"] = claims
			if res.Resigned != "" {
				out["resigned"] = res.Resigned
			}
		}
		b, _ := json.Marshal(out)
		fmt.Fprintln(e.stdout, string(b))
	} else if err == nil {
		b, _ := json.Marshal(claims)
		w := res.Window
		fmt.Fprintf(e.stdout, "accepted: %s window, kid %s [%s, %s)\nclaims: %s\n", res.Position, res.KeyID,
			w.Start().Format(time.RFC3339), w.End().Format(time.RFC3339), b)
		if res.Resigned != "" {
			fmt.Fprintf(e.stdout, "re-signed: %s\n", res.Resigned)
		}
	}
	if err != nil {
		if !asJSON {
			fmt.Fprintln(e.stderr, "refused:", jwtrot.Reason(err))
			if hint := mismatchHint(a.Schedule(), f.alg, tok, err); hint != "" {
				fmt.Fprintln(e.stderr, "hint:", hint)
			}
		}
		return 1
	}
	return 0
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// argumentHint explains a TOKEN argument that is not a token, without
// echoing it: a file's name.
func argumentHint(arg string) string {
	if st, err := os.Stat(arg); err == nil && st.Mode().IsRegular() && !strings.HasPrefix(arg, "eyJ") {
		return "the argument names a file: pass the token on standard input instead (demo verify ... < FILE)"
	}
	return ""
}

// tokenHint explains a pasted token in the wrong shape, without echoing it.
func tokenHint(tok string) string {
	lower := strings.ToLower(tok)
	switch {
	case strings.HasPrefix(lower, "authorization:"):
		return "the input starts with an Authorization header name: give the token alone, without \"Authorization: Bearer \""
	case strings.HasPrefix(lower, "bearer "):
		return "the input starts with \"Bearer \": give the token alone"
	case len(tok) >= 2 && (tok[0] == '"' || tok[0] == '\'') && tok[len(tok)-1] == tok[0]:
		return "the token is in quotes: remove them"
	case strings.TrimSpace(tok) != tok:
		return "the token has spaces or tabs around it: remove them"
	case strings.ContainsAny(tok, "\r\n"):
		return "the input has more than one line: give one token"
	}
	return ""
}

// mismatchHint says when a refusal is more likely a configuration mismatch
// between signer and verifier than a bad token. It reads only the header's
// alg and kid index, and never echoes them.
func mismatchHint(d *rotation.Schedule, alg, tok string, err error) string {
	h, _, _ := strings.Cut(tok, ".")
	raw, derr := base64.RawURLEncoding.DecodeString(h)
	var hdr struct{ Alg, Kid string }
	if derr != nil || json.Unmarshal(raw, &hdr) != nil {
		return ""
	}
	switch {
	case errors.Is(err, jwtrot.ErrUnsupportedAlgorithm):
		if _, perr := rotation.ParseAlgorithm(hdr.Alg); perr == nil {
			if hdr.Alg == "EdDSA" {
				return "the token is signed with EdDSA: verify it with the issuer's public keys, -jwks FILE_OR_URL"
			}
			return fmt.Sprintf("the token is signed with another HMAC size than this verifier's -alg %s: give the signer's -alg", alg)
		}
	case errors.Is(err, jwtrot.ErrWindowRetired), errors.Is(err, jwtrot.ErrWindowNotOpen), errors.Is(err, jwtrot.ErrUnknownKeyID):
		_, idx, ok := strings.Cut(hdr.Kid, ":")
		i, perr := strconv.ParseInt(idx, 10, 64)
		if !ok || perr != nil {
			return ""
		}
		cur := d.WindowAt(d.Now()).Index()
		if far := i - cur; far > 2 || far < -1000 {
			return fmt.Sprintf("the token's window is %d windows from this verifier's current one: was it signed with another -window length, or is -at far off?", far)
		}
		if errors.Is(err, jwtrot.ErrUnknownKeyID) {
			return "the kid names a root this verifier does not hold: give that root with -root-file ID=FILE, or a JWKS that has its keys"
		}
	case errors.Is(err, jwtrot.ErrBadSignature):
		return "if the token came from this deployment, the signer used another root, -purpose or -window"
	}
	return ""
}

// checkJSONObject refuses text that is not exactly one JSON object with no
// duplicate member names at any depth.
func checkJSONObject(text string) error {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var walk func(depth int) error
	walk = func(depth int) error {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				name, _ := k.(string)
				if seen[name] {
					return errors.New("has a member name twice")
				}
				seen[name] = true
				if err := walk(depth + 1); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(depth + 1); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		if depth == 0 {
			return errors.New("is not a JSON object")
		}
		return nil
	}
	if err := walk(0); err != nil {
		if err.Error() == "has a member name twice" || err.Error() == "is not a JSON object" {
			return err
		}
		return errors.New("is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("has more after the object: give one JSON object")
	}
	return nil
}

// readToken reads a token from r, trimming one trailing newline.
func readToken(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(bufio.NewReader(r), maxTokenInput+1))
	if err != nil {
		return "", fmt.Errorf("reading the token: %w", err)
	}
	if len(b) > maxTokenInput {
		return "", fmt.Errorf("standard input is longer than %d bytes", maxTokenInput)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if t := strings.TrimRight(s, "\r\n"); t != s && t != "" {
		s = t // blank lines after the token
	}
	if s == "" {
		return "", errors.New("no token: give it as an argument or on standard input")
	}
	return s, nil
}

// tokenVerifier is what verify checks a token with: an Authority (the root)
// or a Verifier (public keys from a JWKS).
type tokenVerifier interface {
	Verify(ctx context.Context, token string, claims jwt.Claims) (jwtrot.Result, error)
	Schedule() *rotation.Schedule
}

func (e *env) jwks(args []string) error {
	f := newFlags(e, "jwks", "(-root-file [ID=]F | -root-env [ID=]N)... [-root-id ID]\n"+
		"         [-window D] [-skew D] [-purpose P] [-at T] [-ahead D]")
	f.rootFlags()
	f.scheduleFlags()
	f.purposeFlag()
	f.skew = -1
	f.fs.Var(durationFlag{&f.skew, false}, "skew", "the issuer's clock `skew` with a unit, stated in the document for its verifiers (default min(30s, window/4))")
	ahead := time.Duration(0)
	f.fs.Var(durationFlag{&ahead, false}, "ahead", "publish the windows up to this `duration` after -at too (default: the previous, current and next)")
	for _, a := range args {
		if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); a != "" && a[0] == '-' && (name == "alg" || name == "iss" || name == "aud") {
			return fmt.Errorf("-%s does not apply to jwks: a JWKS holds EdDSA public keys of every window, whatever the claims; leave it out", name)
		}
	}
	if err := f.parse(args, 0); err != nil {
		return err
	}
	f.alg = "EdDSA"
	a, err := f.authority()
	if err != nil {
		return err
	}
	d := a.Deriver()
	doc, err := jwks.Export(context.Background(), d, d.Schedule().Now(), ahead)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, string(doc))
	return nil
}

// set reports whether the flag name was given.
func (f *flags) set(name string) bool {
	found := false
	f.fs.Visit(func(fl *flag.Flag) { found = found || fl.Name == name })
	return found
}

// jwksError says, for a JWKS that states another schedule or purpose than
// the flags, that the flags can go.
func jwksError(err error) error {
	if errors.Is(err, jwks.ErrMismatch) {
		return fmt.Errorf("-jwks: %w (here: leave -window, -skew and -purpose out, the JWKS states them)", err)
	}
	return fmt.Errorf("-jwks: %w", err)
}

// maxJWKSFile bounds a JWKS file read by verify -jwks.
const maxJWKSFile = jwks.MaxDocumentSize

// publicVerifier builds a Verifier over the JWKS -jwks names: a file, or an
// http(s) URL fetched with the window schedule.
func (f *flags) publicVerifier(extra ...jwtrot.Option) (tokenVerifier, error) {
	switch {
	case len(f.roots) > 0:
		return nil, errors.New("-jwks verifies with public keys and -root-file/-root-env give the root: use one or the other")
	case f.set("alg") && f.alg != "EdDSA":
		return nil, fmt.Errorf("-alg %s with -jwks: a JWKS holds EdDSA keys; leave -alg out", clip(f.alg))
	case f.set("root-id"):
		return nil, errors.New("-root-id with -jwks: the JWKS names its roots")
	case f.set("purpose"):
		return nil, errors.New("-purpose with -jwks: the JWKS holds the keys of the issuer's purpose; leave it out")
	}
	f.alg = "EdDSA"
	clk, err := f.clock()
	if err != nil {
		return nil, err
	}
	opts := []rotation.Option{rotation.WithWindow(f.window), rotation.WithClock(clk)}
	if f.skew >= 0 {
		opts = append(opts, rotation.WithSkew(f.skew))
	}
	sched, err := rotation.NewSchedule(opts...)
	if err != nil {
		return nil, err
	}
	// The schedule and purpose come from the document when it states them
	// (jwks.MarshalFleet); -window, -skew and -purpose given here must agree.
	local := f.set("window") || f.skew >= 0
	var jopts []jwks.Option
	if f.set("purpose") {
		jopts = append(jopts, jwks.WithPurpose(f.purpose))
	}
	var src jwtrot.KeySource
	if strings.HasPrefix(f.jwks, "https://") || strings.HasPrefix(f.jwks, "http://") {
		if local {
			jopts = append(jopts, jwks.WithSchedule(sched))
		} else {
			jopts = append(jopts, jwks.WithClock(clk))
		}
		c, err := jwks.NewClient(f.jwks, jopts...)
		if errors.Is(err, jwks.ErrNoSchedule) {
			c, err = jwks.NewClient(f.jwks, append(jopts[:len(jopts)-1], jwks.WithSchedule(sched))...)
		}
		if err != nil {
			return nil, jwksError(err)
		}
		if !c.Ready() {
			c.Close()
			return nil, errors.New("-jwks: the issuer has not answered with a usable JWKS document (the log line above says why)")
		}
		src = c
	} else {
		b, err := readBounded(f.jwks, maxJWKSFile)
		if err != nil {
			return nil, fmt.Errorf("-jwks: cannot read the file: %w", err)
		}
		var set *jwks.Set
		if local {
			set, err = jwks.Parse(b, sched, jopts...)
		} else if set, err = jwks.Parse(b, nil, append(jopts, jwks.WithClock(clk))...); errors.Is(err, jwks.ErrNoSchedule) {
			set, err = jwks.Parse(b, sched, jopts...) // an older issuer's document: the default window
		}
		if err != nil {
			return nil, jwksError(err)
		}
		src = set
	}
	if f.iss != "" {
		extra = append(extra, jwtrot.WithIssuer(f.iss))
	}
	if f.aud != "" {
		extra = append(extra, jwtrot.WithAudience(f.aud))
	}
	v, err := jwtrot.NewVerifier(src, extra...)
	if err != nil {
		return nil, err
	}
	if c, ok := src.(*jwks.Client); ok {
		return closingVerifier{v, c}, nil
	}
	return v, nil
}

// closingVerifier is a Verifier whose JWKS client verify closes.
type closingVerifier struct {
	*jwtrot.Verifier
	c *jwks.Client
}

func (v closingVerifier) Close() error { return v.c.Close() }

// readBounded reads at most n bytes of a file, refusing a longer one. Its
// errors do not repeat the path.
func readBounded(path string, n int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, n+1))
	if err != nil {
		return nil, errors.New("read error")
	}
	if int64(len(b)) > n {
		return nil, fmt.Errorf("it is longer than %d bytes", n)
	}
	return b, nil
}
