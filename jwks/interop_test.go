package jwks_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/internal/tooltest"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// interopRoot is the root the Go side and the other languages share.
var interopRoot = []byte("jwks interop root: 32 bytes or more, not a secret")

// runTool runs a command with stdin; it reports the exit status and output.
func runTool(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil && strings.Contains(errOut.String(), stdin) && stdin != "" {
		t.Fatalf("%s printed the token", args[1])
	}
	return strings.TrimSpace(out.String()), err
}

// interopBothWays: the tool verifies jwtrot tokens through the issuer's
// JWKS URL and refuses tampered ones and unknown kids; and it mints tokens,
// from the seed it derives itself per SPEC §3, that a jwtrot Verifier
// holding only the JWKS accepts, except one signed with the neighbouring
// window's key.
func interopBothWays(t *testing.T, tool func(args ...string) []string) {
	root, err := rotation.NewRoot("main", interopRoot)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA))
	if err != nil {
		t.Fatal(err)
	}
	a, err := jwtrot.New(d)
	if err != nil {
		t.Fatal(err)
	}
	h, err := jwks.NewHandler(d, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h) // on 127.0.0.1
	defer srv.Close()

	tok, err := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := runTool(t, tok, tool("verify", srv.URL)...); err != nil || out != "alice" {
		t.Fatalf("a jwtrot token: %q, %v", out, err)
	}
	sig := tok[strings.LastIndexByte(tok, '.')+1:]
	tampered := tok[:len(tok)-len(sig)] + strings.Repeat("A", len(sig)-1) + "A"
	if _, err := runTool(t, tampered, tool("verify", srv.URL)...); err == nil {
		t.Fatal("a tampered token accepted")
	}
	evilRoot, _ := rotation.NewRoot("evil", []byte("another root, 32 bytes or more, not a secret"))
	ed, _ := rotation.NewDeriver([]*rotation.Root{evilRoot}, rotation.WithAlgorithm(rotation.EdDSA))
	ea, _ := jwtrot.New(ed)
	evil, _ := ea.Sign(jwt.RegisteredClaims{Subject: "mallory"})
	if _, err := runTool(t, evil, tool("verify", srv.URL)...); err == nil {
		t.Fatal("a token whose kid is not in the JWKS accepted")
	}

	// The other way: the tool signs, a Verifier with public keys accepts.
	doc, err := jwks.Export(context.Background(), d, d.Schedule().Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sched, _ := rotation.NewSchedule()
	set, err := jwks.Parse(doc, sched)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jwtrot.NewVerifier(set)
	if err != nil {
		t.Fatal(err)
	}
	rootHex := hex.EncodeToString(interopRoot)
	minted, err := runTool(t, "", tool("mint", "main", rootHex, rotation.DefaultPurpose, "600", "bob")...)
	if err != nil {
		t.Fatalf("mint: %v", err)
	}
	var c jwt.MapClaims
	if _, err := v.Verify(context.Background(), minted, &c); err != nil || c["sub"] != "bob" {
		t.Fatalf("a minted token: %v %v", err, c["sub"])
	}
	neighbour, err := runTool(t, "", tool("mint", "main", rootHex, rotation.DefaultPurpose, "600", "bob", "1")...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), neighbour, nil); !errors.Is(err, jwtrot.ErrBadSignature) {
		t.Fatalf("signed with the next window's key: %v", err)
	}
}

func TestInteropPyJWKClient(t *testing.T) {
	python := tooltest.RequirePython(t, "jwt")
	tooltest.RequirePython(t, "cryptography")
	interopBothWays(t, func(args ...string) []string {
		return append([]string{python, "../testdata/interop/pyjwks_interop.py"}, args...)
	})
}

func TestInteropJoseRemoteJWKSet(t *testing.T) {
	node := tooltest.Require(t, "node")
	if _, err := os.Stat("../testdata/interop/node/node_modules/jose"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("jose is not installed: run npm ci in testdata/interop/node")
		}
		t.Skip("jose is not installed (npm ci in testdata/interop/node); skipping")
	}
	interopBothWays(t, func(args ...string) []string {
		return append([]string{node, "../testdata/interop/node/jwks_interop.mjs"}, args...)
	})
}
