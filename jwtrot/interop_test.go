package jwtrot_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/internal/tooltest"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// The interop tests run independent implementations of SPEC.md, PyJWT and
// Node's jose with keys they derive themselves, both ways, on the real clock.

const (
	interopRootID = "interop"
	interopIss    = "jwtrot-interop-iss"
	interopAud    = "jwtrot-interop-aud"
	interopWindow = 10 * time.Minute
)

var interopRoot = []byte("jwtrot interop test root, 32+ bytes, not secret")

func interopAuthority(t *testing.T, alg rotation.Algorithm, opts ...jwtrot.Option) *jwtrot.Authority {
	t.Helper()
	root, err := rotation.NewRoot(interopRootID, interopRoot)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithWindow(interopWindow),
		rotation.WithPurpose("interop"), rotation.WithAlgorithm(alg))
	if err != nil {
		t.Fatal(err)
	}
	a, err := jwtrot.New(d, append([]jwtrot.Option{jwtrot.WithIssuer(interopIss), jwtrot.WithAudience(interopAud)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// interopArgs are the arguments both scripts take after their command.
func interopArgs(alg rotation.Algorithm) []string {
	return []string{interopRootID, hex.EncodeToString(interopRoot), "interop", alg.String(),
		strconv.Itoa(int(interopWindow / time.Second)), interopIss, interopAud}
}

// run runs a script; on failure it reports stderr, which the scripts keep
// free of tokens, and never the token.
func run(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, args[0], err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// bothWays has an outside implementation verify a jwtrot token, and jwtrot
// verify one the outside implementation minted.
func bothWays(t *testing.T, alg rotation.Algorithm, lang string, command func(cmd string, extra ...string) []string) {
	a := interopAuthority(t, alg)
	tok, err := a.Sign(jwt.MapClaims{"sub": "go-alice", "lang": "go"})
	if err != nil {
		t.Fatal(err)
	}
	args := command("verify")
	var claims map[string]any
	if err := json.Unmarshal([]byte(run(t, tok, args[0], args[1:]...)), &claims); err != nil {
		t.Fatal(err)
	}
	if claims["sub"] != "go-alice" || claims["iss"] != interopIss || claims["aud"] != interopAud || claims["lang"] != "go" {
		t.Fatalf("%s read other claims: %v", lang, claims)
	}

	args = command("mint", "bob")
	minted := run(t, "", args[0], args[1:]...)
	var rc struct {
		jwt.RegisteredClaims
		Lang string `json:"lang"`
	}
	res, err := a.Verify(context.Background(), minted, &rc)
	if err != nil {
		t.Fatalf("jwtrot refuses a %s token: %v", lang, err)
	}
	if rc.Subject != "bob" || rc.Lang != lang || res.Position == rotation.Next {
		t.Fatalf("%s token: %+v, %v", lang, rc, res.Position)
	}
	// A tampered token from the other side is refused.
	if _, err := a.Verify(context.Background(), minted[:len(minted)-3]+"AAA", nil); err == nil {
		t.Fatalf("jwtrot accepts a tampered %s token", lang)
	}

	// Subject revocation (SPEC §12.2): the other side's token has a
	// whole-second iat and no time-ordered jti, so a log-out within its
	// second refuses it (the fallback fails safe), one at the start of its
	// second does not; jwtrot's own token, read back above by the other
	// side with its time-ordered jti, is told apart to the nanosecond.
	ctx := context.Background()
	list := jwtrot.NewRevocationList(rotation.SystemClock)
	ra := interopAuthority(t, alg, jwtrot.WithRevoker(list))
	iat := rc.IssuedAt.Time
	if err := list.RevokeSubject(ctx, "bob", iat); err != nil {
		t.Fatal(err)
	}
	if _, err := ra.Verify(ctx, minted, nil); err != nil {
		t.Fatalf("a %s token, log-out at the start of its second: %v", lang, err)
	}
	if err := list.RevokeSubject(ctx, "bob", iat.Add(time.Nanosecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := ra.Verify(ctx, minted, nil); !errors.Is(err, jwtrot.ErrRevoked) {
		t.Fatalf("a %s token, log-out within its second: %v, want ErrRevoked", lang, err)
	}
	own, _ := ra.Sign(jwt.MapClaims{"sub": "go-carol"})
	if err := list.RevokeSubject(ctx, "go-carol", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := ra.Verify(ctx, own, nil); !errors.Is(err, jwtrot.ErrRevoked) {
		t.Fatalf("jwtrot's token, log-out just after: %v, want ErrRevoked", err)
	}
	again, _ := ra.Sign(jwt.MapClaims{"sub": "go-carol"})
	if _, err := ra.Verify(ctx, again, nil); err != nil {
		t.Fatalf("jwtrot's token signed after the log-out: %v", err)
	}
	vargs := command("verify")
	out := run(t, again, vargs[0], vargs[1:]...)
	if !strings.Contains(out, `"go-carol"`) {
		t.Fatalf("%s does not read jwtrot's token with a time-ordered jti", lang)
	}
}

func TestInteropPyJWT(t *testing.T) {
	python := tooltest.RequirePython(t, "jwt")
	for _, alg := range []rotation.Algorithm{rotation.HS256, rotation.HS512} {
		t.Run(alg.String(), func(t *testing.T) {
			bothWays(t, alg, "python", func(cmd string, extra ...string) []string {
				return append(append([]string{python, "../testdata/interop/pyjwt_interop.py", cmd}, interopArgs(alg)...), extra...)
			})
		})
	}
}

func TestInteropNodeJose(t *testing.T) {
	node := tooltest.Require(t, "node")
	if _, err := os.Stat("../testdata/interop/node/node_modules/jose"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("jose is not installed: run npm ci in testdata/interop/node")
		}
		t.Skip("jose is not installed (npm ci in testdata/interop/node); skipping")
	}
	script := "../testdata/interop/node/interop.mjs"
	out := run(t, "", node, script, "vectors", "../testdata/vectors.json")
	if !strings.HasSuffix(out, " passed, 0 failed") {
		t.Fatalf("Node disagrees with the vectors:\n%s", out)
	}
	for _, alg := range []rotation.Algorithm{rotation.HS256, rotation.HS384} {
		t.Run(alg.String(), func(t *testing.T) {
			bothWays(t, alg, "node", func(cmd string, extra ...string) []string {
				return append(append([]string{node, script, cmd}, interopArgs(alg)...), extra...)
			})
		})
	}
}
