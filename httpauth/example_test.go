package httpauth_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/jwtrot/jwtrot/internal/demoserver"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// The example server: /login issues a token, /me accepts any valid token,
// /transfer demands a login less than five minutes old. Time is simulated so
// the output is stable.
func Example_server() {
	root, _ := rotation.NewRoot("main", []byte("example root: 32+ random bytes, never like this"))
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 11, 22, 10, 42, 0, 0, time.UTC))
	d, _ := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithWindow(10*time.Minute), rotation.WithClock(mock))
	auth, _ := jwtrot.New(d, jwtrot.WithTTL(time.Hour))
	handler, _ := demoserver.New(auth)
	srv := httptest.NewServer(handler)
	defer srv.Close()

	resp, err := http.PostForm(srv.URL+"/login", url.Values{"user": {"alice"}})
	if err != nil {
		panic(err)
	}
	var login struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()

	call := func(method, path, token string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		line := fmt.Sprintf("%s %s: %d %v", method, path, resp.StatusCode, body)
		if c := resp.Header.Get("WWW-Authenticate"); c != "" {
			line += " " + c
		}
		if resp.Header.Get("Refreshed-Token") != "" {
			line += " (refreshed token sent)"
		}
		fmt.Println(line)
	}
	call("GET", "/me", "")
	call("GET", "/me", login.Token)
	call("POST", "/transfer", login.Token)
	mock.Add(10 * time.Minute) // the next window; the login is now 10 minutes old
	call("GET", "/me", login.Token)
	call("POST", "/transfer", login.Token)
	// Output:
	// GET /me: 401 map[] Bearer realm="api"
	// GET /me: 200 map[subject:alice]
	// POST /transfer: 200 map[transferred_by:alice]
	// GET /me: 200 map[subject:alice] (refreshed token sent)
	// POST /transfer: 401 map[] Bearer realm="api", error="insufficient_user_authentication", error_description="a more recent authentication is required", max_age="300" (refreshed token sent)
}
