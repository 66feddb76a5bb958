package jwtrot

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/jwtrot/jwtrot/rotation"
)

// testEpoch is in the middle of 10-minute window 2992240
// ([10:40, 10:50) on 2026-11-22 UTC).
var testEpoch = time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC)

var testSecret = []byte("jwtrot test root: 0123456789abcdef0123456789abcdef")

type fixture struct {
	clock *clock.Mock
	d     *rotation.Deriver
	a     *Authority
}

func newFixture(t testing.TB, opts ...Option) *fixture {
	t.Helper()
	return newFixtureWith(t, []rotation.Option{rotation.WithWindow(10 * time.Minute), rotation.WithSkew(30 * time.Second)}, opts...)
}

func newFixtureWith(t testing.TB, ropts []rotation.Option, opts ...Option) *fixture {
	t.Helper()
	root, err := rotation.NewRoot("main", testSecret)
	if err != nil {
		t.Fatal(err)
	}
	mock := clock.NewMock()
	mock.Set(testEpoch)
	d, err := rotation.NewDeriver([]*rotation.Root{root}, append([]rotation.Option{rotation.WithClock(mock)}, ropts...)...)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{clock: mock, d: d, a: a}
}

// keyAt returns the key of root "main" for the window containing t.
func (f *fixture) keyAt(t time.Time) *rotation.Key {
	k, err := f.d.KeyAt("main", t)
	if err != nil {
		panic(err)
	}
	return k
}

// craft builds a token from a raw header and payload, MACed with key (nil
// for a fixed garbage signature).
func craft(header, payload string, key *rotation.Key) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	if key == nil {
		return input + "." + enc.EncodeToString(make([]byte, 32))
	}
	return input + "." + enc.EncodeToString(key.AppendSignature(nil, []byte(input)))
}

// canonical returns jwtrot's header for key.
func canonical(key *rotation.Key) string { return Header(key.Algorithm(), key.ID()) }

// segments splits a token for assertions.
func segments(t testing.TB, tok string) (header, payload, sig string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments", len(parts))
	}
	return parts[0], parts[1], parts[2]
}

// assertNotLeaked fails if msg contains any part of tok. It never prints
// the token.
func assertNotLeaked(t testing.TB, msg, tok string) {
	t.Helper()
	for _, part := range strings.Split(tok, ".") {
		if len(part) >= 8 && strings.Contains(msg, part) {
			t.Fatalf("a message of %d bytes contains part of the token", len(msg))
		}
	}
}
