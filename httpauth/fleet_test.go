package httpauth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/internal/demoserver"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

const (
	fleetWindow = 10 * time.Minute
	fleetSkew   = 30 * time.Second
)

// instance is one service instance: its own clock, Deriver, Authority and
// middleware, built from nothing but the shared root, serving on loopback.
type instance struct {
	offset time.Duration
	clock  *clock.Mock
	srv    *httptest.Server
}

func startInstance(t *testing.T, offset time.Duration) *instance {
	t.Helper()
	root, err := rotation.NewRoot("main", []byte("fleet test root: 0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	mock := clock.NewMock()
	d, err := rotation.NewDeriver([]*rotation.Root{root},
		rotation.WithWindow(fleetWindow), rotation.WithSkew(fleetSkew), rotation.WithClock(mock))
	if err != nil {
		t.Fatal(err)
	}
	a, err := jwtrot.New(d, jwtrot.WithTTL(4*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	h, err := demoserver.New(a)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h) // 127.0.0.1
	t.Cleanup(srv.Close)
	return &instance{offset: offset, clock: mock, srv: srv}
}

type fleet struct {
	t         *testing.T
	instances []*instance
}

// setTime moves every instance's clock to base plus its own offset.
func (f *fleet) setTime(base time.Time) {
	for _, in := range f.instances {
		in.clock.Set(base.Add(in.offset))
	}
}

func (f *fleet) login(in *instance) string {
	f.t.Helper()
	resp, err := in.srv.Client().PostForm(in.srv.URL+"/login", url.Values{"user": {"alice"}})
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Token == "" {
		f.t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	return body.Token
}

// me calls GET /me and returns the status, the challenge and any refreshed
// token.
func (f *fleet) me(in *instance, tok string) (int, string, string) {
	f.t.Helper()
	req, _ := http.NewRequest("GET", in.srv.URL+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := in.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), resp.Header.Get(httpauth.DefaultRefreshHeader)
}

// TestFleet runs four independent instances whose clocks disagree by up to
// the allowed skew. A client walks through six windows, each request to the
// next instance, swapping in every refreshed token: no request may be
// refused. Then a token left idle for two windows, and an instance whose
// clock lags by more than the skew, are refused for the right reasons.
func TestFleet(t *testing.T) {
	f := &fleet{t: t}
	for _, off := range []time.Duration{-15 * time.Second, -5 * time.Second, 5 * time.Second, 15 * time.Second} {
		f.instances = append(f.instances, startInstance(t, off))
	}
	base := time.Date(2026, 11, 22, 10, 45, 0, 0, time.UTC)
	f.setTime(base)
	tok := f.login(f.instances[0])

	// Steps of a quarter window land every fourth request on a boundary,
	// where the instances' clocks straddle it.
	refreshes, requests := 0, 0
	for step := 1; step <= 24; step++ {
		base = base.Add(fleetWindow / 4)
		f.setTime(base)
		in := f.instances[step%len(f.instances)]
		status, challenge, fresh := f.me(in, tok)
		requests++
		if status != http.StatusOK {
			t.Fatalf("step %d (instance at %+v): %d %s", step, in.offset, status, challenge)
		}
		if fresh != "" {
			tok = fresh
			refreshes++
		}
	}
	if refreshes < 5 {
		t.Fatalf("%d refreshes across six windows; want at least 5", refreshes)
	}
	t.Logf("%d requests across 6 windows, 4 instances, %d refreshes, 0 refusals", requests, refreshes)

	// Idle for two windows: refused with the retired-window reason.
	base = base.Add(2*fleetWindow + time.Minute)
	f.setTime(base)
	status, challenge, _ := f.me(f.instances[1], tok)
	if status != 401 || !strings.Contains(challenge, `error_description="key window retired"`) {
		t.Fatalf("idle token: %d %s", status, challenge)
	}

	// An instance lagging by more than the skew refuses a token signed just
	// after a boundary by an instance ahead of it.
	laggard := startInstance(t, -time.Minute)
	f.instances = append(f.instances, laggard)
	boundary := windowOf(base, fleetWindow).End()
	f.setTime(boundary.Add(10 * time.Second))
	tok = f.login(f.instances[3]) // +15s: in the new window
	status, challenge, _ = f.me(laggard, tok)
	if status != 401 || !strings.Contains(challenge, `error_description="key window not open yet"`) {
		t.Fatalf("laggard: %d %s", status, challenge)
	}
	// The others, within the skew, accept it.
	for _, in := range f.instances[:4] {
		if status, challenge, _ := f.me(in, tok); status != 200 {
			t.Fatalf("instance at %+v: %d %s", in.offset, status, challenge)
		}
	}
}

// windowOf returns the window of the given length that contains t.
func windowOf(t time.Time, length time.Duration) rotation.Window {
	s, err := rotation.NewSchedule(rotation.WithWindow(length))
	if err != nil {
		panic(err)
	}
	return s.WindowAt(t)
}
