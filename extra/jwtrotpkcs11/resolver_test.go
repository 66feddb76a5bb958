package jwtrotpkcs11

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/benbjohnson/clock"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// TestKeyringRef: a keyring names a root held in a SoftHSM2 token by ref; a
// keyring Deriver opens it through the Resolver and signs with it, and the
// same root held in memory verifies its tokens.
func TestKeyringRef(t *testing.T) {
	cfg := newToken(t, "root-b")
	root, err := rotation.NewRoot("b", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if err := Import(cfg, root); err != nil {
		t.Fatal(err)
	}
	base := cfg
	base.Token, base.Key = "", ""
	res := NewResolver(base)
	defer res.Close()
	doc, _ := json.Marshal(map[string]any{"jwtrot_keyring": 1, "alg": "HS256", "window": 600, "purposes": []string{"access"}, "roots": []map[string]any{
		{"id": "a", "secret": hex.EncodeToString([]byte("another root in memory, 0123456789abcdef")), "issues": "2026-01-01T00:00:00Z"},
		{"id": "b", "ref": "pkcs11:token=" + cfg.Token + ";object=root-b", "issues": "2026-06-01T00:00:00Z"},
	}})
	mock := clock.NewMock()
	mock.Set(testEpoch)
	d, err := rotation.NewKeyringDeriver(func(context.Context) ([]byte, error) { return append([]byte(nil), doc...), nil },
		rotation.WithClock(mock), rotation.WithLogger(quiet()), rotation.WithRootResolver(res.Resolve))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	hsm, err := jwtrot.New(d)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := hsm.Sign(jwt.RegisteredClaims{Subject: "u"})
	if err != nil {
		t.Fatal(err)
	}
	dm, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithClock(mock))
	mem, _ := jwtrot.New(dm)
	res2, err := mem.Verify(context.Background(), tok, nil)
	if err != nil || !strings.HasPrefix(res2.KeyID, "b:") {
		t.Fatalf("the module's token, verified with the root in memory: %v %v", res2.KeyID, err)
	}
}

func TestParseRef(t *testing.T) {
	for ref, want := range map[string]string{
		"pkcs11:token=jwt%20rot;object=root-b":   "jwt rot/root-b",
		"pkcs11:object=k;token=t?module-path=/x": "t/k",
		"file:/x":                                "not a PKCS#11 URI",
		"pkcs11:token=t":                         "needs both",
		"pkcs11:token=t;object=k;pin-value=1234": "other than token and object",
		"pkcs11:token=%zz;object=k":              "percent-encoded",
	} {
		token, key, err := parseRef(ref)
		got := token + "/" + key
		if err != nil {
			got = err.Error()
			if strings.Contains(got, "1234") {
				t.Fatalf("a PIN in the ref reached the error: %s", got)
			}
		}
		if !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", ref, got, want)
		}
	}
}
