package rotation_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/jwtrot/jwtrot/rotation"
)

func Example() {
	// In production: rotation.RootFromFile("main", "/run/secrets/jwt-root").
	root, err := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	if err != nil {
		panic(err)
	}
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, err := rotation.NewDeriver([]*rotation.Root{root},
		rotation.WithWindow(10*time.Minute), rotation.WithClock(mock))
	if err != nil {
		panic(err)
	}

	key, err := d.SigningKey(d.Schedule().Now())
	if err != nil {
		panic(err) // only for a root held in a module (NewExternalRoot)
	}
	w := key.Window()
	fmt.Println("window:", w.Index(), w.Start().Format(time.TimeOnly), "to", w.End().Format(time.TimeOnly))
	fmt.Println("kid:", key.ID())
	fmt.Println("printed key:", key)
	// Output:
	// window: 2992240 10:40:00 to 10:50:00
	// kid: main:2992240
	// printed key: rotation.Key{kid: main:2992240, key: REDACTED}
}

func ExampleSchedule_WindowAt() {
	sched, err := rotation.NewSchedule(rotation.WithWindow(7 * time.Minute))
	if err != nil {
		panic(err)
	}
	before1970 := time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC)
	w := sched.WindowAt(before1970)
	fmt.Println(w.Index(), w.Start().Format(time.RFC3339), w.End().Format(time.RFC3339))
	// Output: -1 1969-12-31T23:53:00Z 1970-01-01T00:00:00Z
}

// A keyring over a function source: root "b" is scheduled ahead of time and
// takes over at the instant written in the keyring, with no restart.
func ExampleNewKeyringDeriver() {
	doc := []byte(`{"jwtrot_keyring":1,"alg":"HS256","window":600,"skew":30,"max_age":28800,
	  "purposes":["access"],"reload":30,"serial":1,"roots":[
	  {"id":"a","secret":"5f0c6e1d8a2b4c7e9f1a3b5d7c9e0f2a4b6c8d0e1f3a5b7c9d0e2f4a6b8c0d1e","issues":"2026-11-01T00:00:00Z"},
	  {"id":"b","secret":"8e1f3a5b7c9d0e2f4a6b8c0d1e5f0c6e1d8a2b4c7e9f1a3b5d7c9e0f2a4b6c8d","issues":"2026-12-08T00:00:00Z"}]}`)
	src := func(context.Context) ([]byte, error) { return bytes.Clone(doc), nil }

	clk := clock.NewMock()
	clk.Set(time.Date(2026, 12, 7, 23, 50, 0, 0, time.UTC))
	d, err := rotation.NewKeyringDeriver(src, rotation.WithClock(clk))
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	for _, at := range []time.Time{clk.Now(), time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)} {
		clk.Set(at)
		k, err := d.SigningKey(at)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(at.Format("15:04"), "signs with", k.ID(), "verifying", d.Roots())
	}
	// Output:
	// 23:50 signs with a:2994479 verifying [a b]
	// 00:00 signs with b:2994480 verifying [b a]
}

// The usual source: a file mounted from the secret store. Replacing it (by
// an atomic rename, or Kubernetes' symlink swap) is picked up at the next
// reload, with no restart.
func ExampleKeyringFile() {
	dir, err := os.MkdirTemp("", "keyring")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "keyring.json")
	doc := `{"jwtrot_keyring":1,"alg":"EdDSA","window":600,"purposes":["access"],"roots":[
	  {"id":"main","secret":"5f0c6e1d8a2b4c7e9f1a3b5d7c9e0f2a4b6c8d0e1f3a5b7c9d0e2f4a6b8c0d1e","issues":"2026-01-01T00:00:00Z"}]}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		log.Fatal(err)
	}

	d, err := rotation.NewKeyringDeriver(rotation.KeyringFile(path))
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	fmt.Println(d.Algorithm(), d.Schedule().Length(), d.Schedule().Skew(), d.Keyring().Fleet().Purposes)
	// Output: EdDSA 10m0s 30s [access]
}
