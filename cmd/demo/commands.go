package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

func (e *env) root(args []string) error {
	f := newFlags(e, "root", "")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	b := make([]byte, rotation.MinRootSize)
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
	if err := rotation.CheckWindow(f.window); err != nil {
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
	w := rotation.WindowAt(now, f.window).Prev()
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
	f := newFlags(e, "sign", "(-root-file F | -root-env NAME) [-window D] [-purpose P] [-alg A] [-at T] [-ttl D] [-claims JSON]")
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
	var claims jwt.MapClaims
	dec := json.NewDecoder(strings.NewReader(*claimsJSON))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return errors.New("-claims is not a JSON object")
	}
	tok, err := a.Sign(claims)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, tok)
	return nil
}

// maxTokenInput bounds what verify reads from standard input.
const maxTokenInput = 64 << 10

func (e *env) verify(args []string) int {
	f := newFlags(e, "verify", "(-root-file F | -root-env NAME) [-window D] [-purpose P] [-alg A] [-skew D] [-at T] [-json] [TOKEN]")
	f.rootFlags()
	f.scheduleFlags()
	f.keyFlags()
	maxAge := f.fs.Duration("max-age", jwtrot.DefaultTTL, "the oldest token accepted, from its `iat`")
	asJSON := f.fs.Bool("json", false, "print a JSON result, accepted or not")
	if err := f.parse(args, 1); err != nil {
		if errors.Is(err, errUsage) {
			return 2
		}
		return 0
	}
	a, err := f.authority(jwtrot.WithTTL(0), jwtrot.WithMaxAge(*maxAge))
	if err != nil {
		fmt.Fprintln(e.stderr, "demo:", err)
		return 2
	}
	tok := f.fs.Arg(0)
	if f.fs.NArg() == 0 {
		if tok, err = readToken(e.stdin); err != nil {
			fmt.Fprintln(e.stderr, "demo:", err)
			return 2
		}
	}
	claims := jwt.MapClaims{}
	res, err := a.Verify(context.Background(), tok, claims)
	if *asJSON {
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
		fmt.Fprintln(e.stderr, "refused:", jwtrot.Reason(err))
		return 1
	}
	return 0
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
	if s == "" {
		return "", errors.New("no token: give it as an argument or on standard input")
	}
	return s, nil
}
