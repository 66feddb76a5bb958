package rotation_test

import (
	"fmt"
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

	key, err := d.SigningKey(d.Now())
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

func ExampleWindowAt() {
	before1970 := time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC)
	w := rotation.WindowAt(before1970, 7*time.Minute)
	fmt.Println(w.Index(), w.Start().Format(time.RFC3339), w.End().Format(time.RFC3339))
	// Output: -1 1969-12-31T23:53:00Z 1970-01-01T00:00:00Z
}
