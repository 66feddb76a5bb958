package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/internal/keyringview"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// lockedBuffer is a bytes.Buffer safe for a process's writes and the
// test's reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe starts `demo serve -keyring path` as a process of its own on
// 127.0.0.1, stopped when the test ends, and returns its URL and its log.
func startServe(t *testing.T, bin, path string) (string, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-keyring", path, "-addr", "127.0.0.1:0")
	logs := new(lockedBuffer)
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		if s.Scan() {
			line <- s.Text()
		}
		close(line)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case l, ok := <-line:
		u, found := strings.CutPrefix(l, "listening on ")
		if !ok || !found || !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Fatalf("demo serve did not start (%q): %s", l, logs.String())
		}
		return u, logs
	case <-time.After(15 * time.Second):
		t.Fatalf("demo serve did not start within 15s: %s", logs.String())
	}
	return "", nil
}

// A call is one request of the client, with the instants around it.
type call struct {
	instance       int
	login          bool
	status         int
	kid, challenge string
	before, after  time.Time
	err            error
}

// TestKeyringProcesses runs three `demo serve` processes over one keyring
// file with a 1-second reload, and a client at 40 requests a second: the
// root is replaced by one edit of the file (demo keyring add, an atomic
// rename) with no restart and no failed request, sessions of the old root
// included; then the old root is revoked (demo keyring revoke), and every
// instance refuses its tokens within one reload interval; then the root
// that issues is killed (keyring add -emergency, keyring revoke): within one
// reload interval every instance refuses its tokens and signs with the
// emergency root, whose tokens every instance accepts.
func TestKeyringProcesses(t *testing.T) {
	bin, err := exec.LookPath("demo")
	if err != nil || !strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(bin))), "testscript-main") {
		t.Fatalf("demo on PATH is not this test binary's copy (%q, %v)", bin, err)
	}
	const reload = time.Second
	dir := t.TempDir()
	path := filepath.Join(dir, "keyring.json")
	cli := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(args, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("demo %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
		}
		if bytes.Contains(errb.Bytes(), []byte("secret")) {
			t.Fatalf("demo %s: stderr mentions a secret: %s", args[0], errb.String())
		}
		return out.String()
	}
	cli("keyring", "new", "-window", "4s", "-skew", "1s", "-reload", reload.String(), "-max-age", "60s", "-iss", "auth", "-o", path)

	// Three processes whose reloads fall at different moments of the
	// reload interval.
	var urls []string
	var logs []*lockedBuffer
	for i := range 3 {
		if i > 0 {
			time.Sleep(reload / 3)
		}
		u, l := startServe(t, bin, path)
		urls, logs = append(urls, u), append(logs, l)
	}

	client := &http.Client{Timeout: 5 * time.Second}
	do := func(i int, login bool, tok string) call {
		c := call{instance: i, login: login, before: time.Now()}
		var req *http.Request
		if login {
			req, _ = http.NewRequest("POST", urls[i]+"/login", strings.NewReader(url.Values{"user": {"alice"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req, _ = http.NewRequest("GET", urls[i]+"/me", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := client.Do(req)
		c.after = time.Now()
		if err != nil {
			c.err = err
			return c
		}
		defer resp.Body.Close()
		c.status, c.challenge = resp.StatusCode, resp.Header.Get("WWW-Authenticate")
		if login {
			var body struct{ Token string }
			if json.NewDecoder(resp.Body).Decode(&body) == nil {
				c.kid = body.Token // the caller reads the kid and keeps the token
			}
		} else if fresh := resp.Header.Get(httpauth.DefaultRefreshHeader); fresh != "" {
			c.kid = fresh
		}
		return c
	}
	rootOf := func(tok string) string { id, _, _ := strings.Cut(kidOf(tok), ":"); return id }

	// The legitimate client: logs in every 8th request and otherwise calls
	// /me with its newest session; also keeps a session of the first root
	// alive (a user logged in before the switch) until told to stop.
	var (
		mu       sync.Mutex
		calls    []call
		oldTok   string // the session of root a, re-signed as it goes
		keepOld  atomic.Bool
		stop     = make(chan struct{})
		finished = make(chan struct{})
	)
	first := do(0, true, "")
	if first.status != http.StatusOK || rootOf(first.kid) != "a" {
		t.Fatalf("first login: %d, kid %s", first.status, kidOf(first.kid))
	}
	cur := first.kid
	oldTok = first.kid
	keepOld.Store(true)
	go func() {
		defer close(finished)
		tick := time.NewTicker(25 * time.Millisecond) // 40 requests a second
		defer tick.Stop()
		for n := 0; n < 2000; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			i := n % len(urls)
			var c call
			switch {
			case n%8 == 7:
				c = do(i, true, "")
				if c.status == http.StatusOK {
					cur = c.kid
				}
			case n%4 == 1 && keepOld.Load():
				mu.Lock()
				tok := oldTok
				mu.Unlock()
				c = do(i, false, tok)
				if c.kid != "" {
					mu.Lock()
					oldTok = c.kid
					mu.Unlock()
				}
			default:
				c = do(i, false, cur)
				if c.kid != "" {
					cur = c.kid
				}
			}
			mu.Lock()
			calls = append(calls, c)
			mu.Unlock()
		}
	}()
	stopClient := func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-finished
	}
	t.Cleanup(stopClient)

	// The replacement: one edit of the file, no restart.
	time.Sleep(1500 * time.Millisecond)
	edit := time.Now()
	cli("keyring", "add", "-keyring", path)
	k := readKeyring(t, path)
	secrets := secretsOf(t, path) // a's and b's, before a's leaves the file
	forger := forgerOf(t, path, "a")
	var switchAt time.Time
	for _, r := range keyringview.Of(k).Roots() {
		if r.ID == "b" {
			switchAt = r.Issues
		}
	}
	if switchAt.IsZero() {
		t.Fatal("demo keyring add did not add root b")
	}
	t.Logf("root b added at %s; it issues from %s (%.1fs later)", edit.Format("15:04:05.000"), instant(switchAt), switchAt.Sub(edit).Seconds())
	time.Sleep(time.Until(switchAt) + 2*time.Second)

	// The emergency kill of root a, whose session the client kept alive.
	keepOld.Store(false)
	time.Sleep(50 * time.Millisecond) // a request of the old session in flight ends
	mu.Lock()
	killed := oldTok
	mu.Unlock()
	// Besides the session, a token signed with a's secret at each probe, of
	// the current window: refused only because a is revoked.
	forge := func() string {
		tok, err := forger.Sign(jwt.RegisteredClaims{Subject: "mallory"})
		if err != nil {
			t.Error(err)
		}
		return tok
	}
	for i, u := range urls {
		if c := do(i, false, killed); c.status != http.StatusOK {
			t.Fatalf("before the revocation, instance %d (%s) refused root a's session: %d %s", i, u, c.status, c.challenge)
		}
		if c := do(i, false, forge()); c.status != http.StatusOK {
			t.Fatalf("before the revocation, instance %d (%s) refused a token of root a: %d %s", i, u, c.status, c.challenge)
		}
	}
	revokeStart := time.Now()
	cli("keyring", "revoke", "-keyring", path, "-root", "a")
	revokeEdit := time.Since(revokeStart) // the command's own run time
	latency := make([]time.Duration, len(urls))
	var wg sync.WaitGroup
	for i := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			refused := func(tok string) bool {
				c := do(i, false, tok)
				return c.status == http.StatusUnauthorized && strings.Contains(c.challenge, `error_description="`+jwtrot.Reason(jwtrot.ErrUnknownKeyID)+`"`)
			}
			for time.Since(revokeStart) < revokeEdit+3*reload {
				if refused(killed) {
					latency[i] = time.Since(revokeStart)
					if !refused(forge()) {
						t.Errorf("instance %d refuses root a's session but accepts a new token of a", i)
					}
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			latency[i] = -1
		}()
	}
	wg.Wait()
	time.Sleep(reload)
	stopClient()

	// The kill of the root that issues now, b: its replacement c added as an
	// emergency root, then b revoked, two edits in a row. b's sessions are
	// refused everywhere within a reload interval (their users log in
	// again), and every instance signs with c and accepts c's tokens within
	// one too.
	bSession := cur
	if rootOf(bSession) != "b" {
		t.Fatalf("the client's session is of root %s, not b", rootOf(bSession))
	}
	emergencyStart := time.Now()
	cli("keyring", "add", "-keyring", path, "-emergency", "-id", "c")
	cli("keyring", "revoke", "-keyring", path, "-root", "b")
	// The bound counts from the file's last edit: the two commands' own
	// run time, long on a loaded machine, is not the fleet's.
	edited := time.Since(emergencyStart)
	bound := edited + reload + 250*time.Millisecond
	bRefused := make([]time.Duration, len(urls))
	cSigns := make([]time.Duration, len(urls))
	cTokens := make([]string, len(urls))
	for i := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bRefused[i], cSigns[i] = -1, -1
			for time.Since(emergencyStart) < edited+3*reload && (bRefused[i] < 0 || cSigns[i] < 0) {
				if bRefused[i] < 0 {
					c := do(i, false, bSession)
					if c.status == http.StatusUnauthorized && strings.Contains(c.challenge, `error_description="`+jwtrot.Reason(jwtrot.ErrUnknownKeyID)+`"`) {
						bRefused[i] = c.after.Sub(emergencyStart)
					}
				}
				if cSigns[i] < 0 {
					if c := do(i, true, ""); c.status == http.StatusOK && rootOf(c.kid) == "c" {
						cSigns[i], cTokens[i] = c.after.Sub(emergencyStart), c.kid
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	for i := range urls {
		t.Logf("instance %d: root b's session refused %v, root c signs %v after the emergency edits began (they took %v)", i,
			bRefused[i].Round(time.Millisecond), cSigns[i].Round(time.Millisecond), edited.Round(time.Millisecond))
		if bRefused[i] < 0 || bRefused[i] > bound {
			t.Errorf("instance %d: root b's session refused after %v (-1: not within %v); the bound is the %v reload after the edits' %v", i, bRefused[i], edited+3*reload, reload, edited)
		}
		if cSigns[i] < 0 || cSigns[i] > bound {
			t.Errorf("instance %d: signs with root c after %v (-1: not within %v); the bound is the %v reload after the edits' %v", i, cSigns[i], edited+3*reload, reload, edited)
		}
	}
	for i, tok := range cTokens {
		for j := range urls {
			if tok == "" {
				continue
			}
			if c := do(j, false, tok); c.status != http.StatusOK {
				t.Errorf("instance %d refuses root c's token from instance %d, %v after the edits: %d %s", j, i, time.Since(emergencyStart), c.status, c.challenge)
			}
		}
	}

	// Every request of the legitimate client succeeded, both sessions, across
	// the switch and the kill.
	var failed, logins, aLogins, bLogins int
	bOn := make([]bool, len(urls))
	for _, c := range calls {
		if c.err != nil || c.status != http.StatusOK {
			failed++
			if failed <= 5 {
				t.Errorf("instance %d, %s after the edit: %d %v %s", c.instance, c.before.Sub(edit).Round(time.Millisecond), c.status, c.err, c.challenge)
			}
			continue
		}
		if !c.login {
			continue
		}
		logins++
		root := rootOf(c.kid)
		switch {
		case !c.after.Before(switchAt) && !c.before.After(switchAt):
			// In flight at the switch: either root.
		case c.after.Before(switchAt) && root != "a", c.before.After(switchAt) && root != "b":
			t.Errorf("instance %d signed with root %s %s from the switch", c.instance, root, c.before.Sub(switchAt).Round(time.Millisecond))
		}
		if root == "a" {
			aLogins++
		} else {
			bLogins++
			bOn[c.instance] = true
		}
	}
	t.Logf("%d requests (%d logins: %d kid a:*, %d kid b:*), %d failed; over %.1fs", len(calls), logins, aLogins, bLogins, failed,
		calls[len(calls)-1].after.Sub(calls[0].before).Seconds())
	if failed > 0 {
		t.Errorf("%d of %d requests of the legitimate client failed", failed, len(calls))
	}
	if len(calls) < 300 {
		t.Errorf("only %d requests: the client did not keep its rate", len(calls))
	}
	for i, on := range bOn {
		if !on {
			t.Errorf("instance %d never signed with root b", i)
		}
	}
	for i, l := range latency {
		t.Logf("instance %d refuses root a's tokens (unknown key id) %v after the revocation began", i, l.Round(time.Millisecond))
		// One reload interval, and the 10ms between probes plus the
		// scheduling of three processes on a shared machine.
		if l < 0 || l > revokeEdit+reload+250*time.Millisecond {
			t.Errorf("instance %d: root a's token refused after %v (-1: not within %v); the bound is the %v reload after the edit's %v", i, l, revokeEdit+3*reload, reload, revokeEdit)
		}
	}

	// No secret in any instance's log.
	for i, l := range logs {
		for _, s := range secrets {
			if strings.Contains(l.String(), s) {
				t.Errorf("instance %d logged a root secret", i)
			}
		}
		if !strings.Contains(l.String(), "keyring reloaded") {
			t.Errorf("instance %d logged no reload:\n%s", i, l.String())
		}
	}
}

// readKeyring parses the keyring at path.
func readKeyring(t *testing.T, path string) *rotation.Keyring {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k, err := rotation.ParseKeyring(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// forgerOf returns an Authority over the root named id of the keyring at
// path alone, as whoever holds its secret could build.
func forgerOf(t *testing.T, path, id string) *jwtrot.Authority {
	t.Helper()
	doc, k, err := loadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range doc.Roots {
		if r.ID != id {
			continue
		}
		root, err := rotation.ParseRoot(id, []byte(r.Secret))
		if err != nil {
			t.Fatal(err)
		}
		f := k.Fleet()
		d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithWindow(f.Window), rotation.WithSkew(f.Skew))
		if err != nil {
			t.Fatal(err)
		}
		a, err := jwtrot.New(d, jwtrot.WithIssuer(f.Issuer), jwtrot.WithTTL(f.MaxAge))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	t.Fatalf("no root %s", id)
	return nil
}

// secretsOf returns every root secret in the keyring at path.
func secretsOf(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc ringFile
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, r := range doc.Roots {
		if r.Secret != "" {
			s = append(s, r.Secret)
		}
	}
	if len(s) == 0 {
		t.Fatal("no secret in the keyring")
	}
	return s
}
