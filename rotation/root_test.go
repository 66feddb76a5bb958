package rotation

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testSecret is a fixed, obviously non-production root for tests.
var testSecret = []byte("0123456789abcdef0123456789abcdef-test-root")

func mustRoot(t testing.TB, id string, secret []byte) *Root {
	t.Helper()
	r, err := NewRoot(id, secret)
	if err != nil {
		t.Fatalf("NewRoot(%q): %v", id, err)
	}
	return r
}

func TestNewRootRefuses(t *testing.T) {
	tests := []struct {
		name   string
		id     string
		secret []byte
		want   error
	}{
		{"short", "main", make31(), errRootTooShort},
		{"empty", "main", nil, errRootTooShort},
		{"all equal", "main", bytes.Repeat([]byte{0x41}, 64), errRootDegenerate},
		{"all zero", "main", make([]byte, 32), errRootDegenerate},
		{"too long", "main", bytes.Repeat([]byte("ab"), 513), errRootTooLong},
		{"empty id", "", testSecret, errRootID},
		{"id with colon", "a:b", testSecret, errRootID},
		{"id with space", "a b", testSecret, errRootID},
		{"id too long", strings.Repeat("a", 17), testSecret, errRootID},
		{"non-ASCII id", "clé", testSecret, errRootID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRoot(tt.id, tt.secret)
			if !errors.Is(err, tt.want) || r != nil {
				t.Fatalf("NewRoot = %v, %v; want nil, %v", r, err, tt.want)
			}
		})
	}
}

func make31() []byte { return testSecret[:31] }

func TestNewRootCopies(t *testing.T) {
	secret := append([]byte(nil), testSecret...)
	r := mustRoot(t, "main", secret)
	before, _ := deriveKey(r, HS256, "access", defaultWindow, 1)
	secret[0] ^= 0xff
	after, _ := deriveKey(r, HS256, "access", defaultWindow, 1)
	if !bytes.Equal(before, after) {
		t.Fatal("changing the caller's slice changed the root")
	}
}

// TestRootRedacts prints and logs a root every way the standard library
// offers and checks the secret never shows, in any encoding.
func TestRootRedacts(t *testing.T) {
	r := mustRoot(t, "main", testSecret)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("root", "root", r)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("root", "root", r)
	outputs := []string{
		r.String(), fmt.Sprint(r), fmt.Sprintf("%v %+v %#v %s %q %x %X %d", r, r, r, r, r, r, r, r),
		fmt.Sprintf("%v", *r), fmt.Sprintf("%+v", []*Root{r}), logged.String(),
	}
	for _, out := range outputs {
		assertNoSecret(t, out, testSecret)
		if !strings.Contains(out, "main") {
			t.Errorf("output %q does not name the root", out)
		}
	}
}

// assertNoSecret fails if out contains secret raw, in hex or in base64.
// It never prints out itself, since out might hold the secret.
func assertNoSecret(t *testing.T, out string, secret []byte) {
	t.Helper()
	for _, enc := range []string{
		string(secret), hex.EncodeToString(secret), strings.ToUpper(hex.EncodeToString(secret)),
		base64.StdEncoding.EncodeToString(secret), base64.RawURLEncoding.EncodeToString(secret),
		fmt.Sprint(secret), string(secret[:8]), hex.EncodeToString(secret[:8]),
	} {
		if strings.Contains(out, enc) {
			t.Fatalf("output of %d bytes contains the secret", len(out))
		}
	}
}

func TestParseRoot(t *testing.T) {
	want := mustRoot(t, "main", testSecret)
	wantKey, _ := deriveKey(want, HS256, "access", defaultWindow, 7)
	texts := map[string]string{
		"hex":                  hex.EncodeToString(testSecret),
		"upper hex":            strings.ToUpper(hex.EncodeToString(testSecret)),
		"hex newline":          hex.EncodeToString(testSecret) + "\n",
		"hex CRLF":             hex.EncodeToString(testSecret) + "\r\n",
		"base64":               base64.StdEncoding.EncodeToString(testSecret),
		"base64 newline":       base64.StdEncoding.EncodeToString(testSecret) + "\n",
		"raw base64":           base64.RawStdEncoding.EncodeToString(testSecret),
		"base64url":            base64.URLEncoding.EncodeToString(testSecret),
		"raw base64url":        base64.RawURLEncoding.EncodeToString(testSecret),
		"spaces around base64": "  " + base64.StdEncoding.EncodeToString(testSecret) + " \n",
	}
	for name, text := range texts {
		t.Run(name, func(t *testing.T) {
			r, err := ParseRoot("main", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := deriveKey(r, HS256, "access", defaultWindow, 7)
			if !bytes.Equal(got, wantKey) {
				t.Fatal("parsed root derives a different key")
			}
		})
	}
}

func TestParseRootRefuses(t *testing.T) {
	long := hex.EncodeToString(bytes.Repeat([]byte("xy"), 600))
	tests := map[string]struct {
		text string
		want error
	}{
		"empty":             {"", errRootEncoding},
		"only white space":  {" \n\t", errRootEncoding},
		"not an encoding":   {"this is not hex nor base64 !!", errRootEncoding},
		"short hex":         {hex.EncodeToString(testSecret[:16]), errRootTooShort},
		"short base64":      {base64.StdEncoding.EncodeToString(testSecret[:31]), errRootTooShort},
		"newline inside":    {base64.StdEncoding.EncodeToString(testSecret)[:20] + "\n" + base64.StdEncoding.EncodeToString(testSecret)[20:], errRootEncoding},
		"degenerate hex":    {strings.Repeat("00", 40), errRootDegenerate},
		"too long":          {long, errRootTooLong},
		"non-canonical b64": {"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5eh==", errRootEncoding},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := ParseRoot("main", []byte(tt.text))
			if !errors.Is(err, tt.want) || r != nil {
				t.Fatalf("ParseRoot = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestRootFromEnvAndFile(t *testing.T) {
	text := hex.EncodeToString(testSecret) + "\n"
	t.Setenv("JWTROT_TEST_ROOT", text)
	if _, err := RootFromEnv("main", "JWTROT_TEST_ROOT"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "root")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := RootFromFile("main", path); err != nil {
		t.Fatal(err)
	}

	// Failures say where the root came from, never the content, nor the
	// variable's name or the path (which may be a secret typed in the
	// wrong place).
	short := hex.EncodeToString(testSecret[:20])
	t.Setenv("JWTROT_TEST_SHORT", short)
	_, err := RootFromEnv("main", "JWTROT_TEST_SHORT")
	if !errors.Is(err, errRootTooShort) || !strings.HasPrefix(err.Error(), "rotation: root from the environment: ") || strings.Contains(err.Error(), short) {
		t.Errorf("RootFromEnv(short) = %v", err)
	}
	if _, err := RootFromEnv("main", "JWTROT_TEST_UNSET_VARIABLE"); err == nil || !strings.Contains(err.Error(), "not set") {
		t.Errorf("RootFromEnv(unset) = %v", err)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("not a secret at all, and not hex"), 0o600)
	_, err = RootFromFile("main", bad)
	if !errors.Is(err, errRootEncoding) || strings.Contains(err.Error(), "not a secret") {
		t.Errorf("RootFromFile(bad) = %v", err)
	}
	if _, err := RootFromFile("main", filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("RootFromFile(missing) = %v; want os.ErrNotExist", err)
	}
	huge := filepath.Join(dir, "huge")
	os.WriteFile(huge, bytes.Repeat([]byte("a"), 1<<20), 0o600)
	if _, err := RootFromFile("main", huge); !errors.Is(err, errRootTooLong) {
		t.Errorf("RootFromFile(huge) = %v; want errRootTooLong", err)
	}
}

// TestRootTextAmbiguous: text that could be read two ways, or that a person
// typed by mistake, is refused with an error that names what it saw and
// never quotes the text. Before SPEC §1 was tightened, the first three were
// silently read as base64 into another root.
func TestRootTextAmbiguous(t *testing.T) {
	h := hex.EncodeToString(testSecret)
	var wrapped strings.Builder // xxd -p: 30 bytes (60 digits) a line
	for i := 0; i < len(h); i += 60 {
		wrapped.WriteString(h[i:min(i+60, len(h))] + "\n")
	}
	tests := []struct {
		name, text string
		want       error
		says       string
	}{
		{"one hex digit lost", h[:len(h)-1], errRootEncoding, fmt.Sprintf("odd number (%d) of hex digits", len(h)-1)},
		{"one hex digit too many", h + "a", errRootEncoding, fmt.Sprintf("odd number (%d) of hex digits", len(h)+1)},
		{"0x prefix", "0x" + h, errRootEncoding, "0x prefix"},
		{"0X prefix", "0X" + strings.ToUpper(h), errRootEncoding, "0x prefix"},
		{"xxd -p lines", wrapped.String(), errRootEncoding, "line breaks inside"},
		{"CRLF inside", h[:32] + "\r\n" + h[32:], errRootEncoding, "line breaks inside"},
		{"byte-order mark", "\ufeff" + h, errRootEncoding, "byte-order mark"},
		{"double quotes", `"` + h + `"`, errRootEncoding, "in quotes"},
		{"single quotes", "'" + h + "'\n", errRootEncoding, "in quotes"},
		{"a 32-character password", "CorrectHorseBatteryStaple2024xyz", errRootTooShort, "gives 24 bytes"},
		{"a passphrase", "correct horse battery staple, 2024!", errRootEncoding, "looks like a password"},
		{"white space inside", h[:32] + " " + h[32:], errRootEncoding, "looks like a password"},
		{"mixed alphabets", strings.Repeat("Ab+/", 10) + "Cd-_", errRootEncoding, "mixes the two base64 alphabets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRoot("main", []byte(tt.text))
			if r != nil || !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("ParseRoot = %v; want %v saying %q", err, tt.want, tt.says)
			}
			if !strings.HasPrefix(err.Error(), "rotation: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			for _, part := range strings.Fields(tt.text) {
				if len(part) >= 8 && strings.Contains(err.Error(), part[:8]) {
					t.Fatalf("error quotes the text: %v", err)
				}
			}
		})
	}
}

// TestRootTextUnchanged: every spelling that loaded before SPEC §1 was
// tightened, other than the ambiguous ones, loads to the same bytes.
func TestRootTextUnchanged(t *testing.T) {
	h := hex.EncodeToString(testSecret)
	for _, text := range []string{
		h, strings.ToUpper(h), " " + h + " \n", "\t" + h + "\r\n",
		base64.StdEncoding.EncodeToString(testSecret), base64.RawStdEncoding.EncodeToString(testSecret),
		base64.URLEncoding.EncodeToString(testSecret), base64.RawURLEncoding.EncodeToString(testSecret) + "\n",
	} {
		r, err := ParseRoot("main", []byte(text))
		if err != nil {
			t.Fatalf("ParseRoot(%d bytes of text) = %v", len(text), err)
		}
		want, _ := NewRoot("main", testSecret)
		a, _ := deriveKey(r, HS256, "access", defaultWindow, 1)
		b, _ := deriveKey(want, HS256, "access", defaultWindow, 1)
		if !bytes.Equal(a, b) {
			t.Fatalf("text of %d bytes loads to another root", len(text))
		}
	}
}

// TestRootSourceNotEchoed: a secret passed where a variable's name or a
// path belongs is not printed back.
func TestRootSourceNotEchoed(t *testing.T) {
	secret := hex.EncodeToString(testSecret)
	_, err := RootFromEnv("main", secret)
	if err == nil || strings.Contains(err.Error(), secret[:8]) || !strings.Contains(err.Error(), "not set") {
		t.Errorf("RootFromEnv(secret as name) = %v", err)
	}
	_, err = RootFromFile("main", secret)
	if !errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), secret[:8]) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("RootFromFile(secret as path) = %v", err)
	}
}
