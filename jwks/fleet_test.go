package jwks_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// offsetClock is the real clock, off by a constant.
type offsetClock time.Duration

func (c offsetClock) Now() time.Time { return time.Now().Add(time.Duration(c)) }

// TestFleet runs, on 127.0.0.1 with the real clock and 2-second windows,
// one issuer (JWKS, refresh handler) and 8 verifiers that hold only the
// JWKS URL, their clocks spread within the skew. A client calls random
// verifiers across more than 5 windows, swapping in every refreshed token:
// no request is refused. Then the issuer stops for two windows while another
// issuer instance (same root, no server) keeps minting: the verifiers go on
// accepting from the pre-published horizon, with no refresh. Then the issuer
// comes back and the verifiers fetch again. Fetches are counted: a few per
// verifier per window, none for garbage kids.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs about 20 seconds")
	}
	const (
		L         = 2 * time.Second
		skew      = 500 * time.Millisecond
		verifiers = 8
	)
	root, err := rotation.NewRoot("main", []byte("fleet test root, 32 bytes or more, not secret"))
	if err != nil {
		t.Fatal(err)
	}
	newIssuer := func() (*rotation.Deriver, *jwtrot.Authority) {
		d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithWindow(L), rotation.WithSkew(skew))
		if err != nil {
			t.Fatal(err)
		}
		a, err := jwtrot.New(d)
		if err != nil {
			t.Fatal(err)
		}
		return d, a
	}
	d, a := newIssuer()
	pub, err := jwks.NewHandler(d, 4*L) // a horizon of four windows
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := httpauth.NewRefreshHandler(a)
	if err != nil {
		t.Fatal(err)
	}
	var jwksHits, refreshHits atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("GET /jwks", counted(&jwksHits, pub))
	mux.Handle("POST /refresh", counted(&refreshHits, refresh))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	issuerSrv := &http.Server{Handler: mux}
	go issuerSrv.Serve(ln)
	defer issuerSrv.Close()

	type node struct {
		url    string
		client *jwks.Client
	}
	var nodes []node
	for i := range verifiers {
		off := time.Duration(i-verifiers/2) * 100 * time.Millisecond // -400 ms to +300 ms
		sched, err := rotation.NewSchedule(rotation.WithWindow(L), rotation.WithSkew(skew), rotation.WithClock(offsetClock(off)))
		if err != nil {
			t.Fatal(err)
		}
		cl, err := jwks.NewClient("http://"+addr+"/jwks", jwks.WithSchedule(sched), jwks.WithTimeout(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		v, err := jwtrot.NewVerifier(cl)
		if err != nil {
			t.Fatal(err)
		}
		mw, err := httpauth.New(v, httpauth.WithIssuerRefresh("http://"+addr+"/refresh", 300*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "ok")
		})))
		defer srv.Close()
		nodes = append(nodes, node{srv.URL, cl})
	}
	fetches := func() (n int64) {
		for _, nd := range nodes {
			n += nd.client.Fetches()
		}
		return n
	}

	tok, err := a.Sign(nil)
	if err != nil {
		t.Fatal(err)
	}
	var requests, refused, refreshed int
	call := func(tok string) (status int, fresh string) {
		req, _ := http.NewRequest("GET", nodes[rand.IntN(len(nodes))].url, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get(httpauth.DefaultRefreshHeader)
	}
	useFor := func(d time.Duration, mint func() string) {
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			if mint != nil {
				tok = mint()
			}
			status, fresh := call(tok)
			requests++
			if status != http.StatusOK {
				refused++
				t.Errorf("request %d refused with %d", requests, status)
			}
			if fresh != "" {
				refreshed++
				tok = fresh
			}
		}
	}

	start, startFetches := time.Now(), fetches()
	useFor(6*L, nil)
	if refreshed == 0 || refreshHits.Load() == 0 {
		t.Fatalf("no token was refreshed in %d requests over 6 windows", requests)
	}
	windows := int64(time.Since(start)/L) + 1
	if f := fetches() - startFetches; f > verifiers*windows*3 {
		t.Fatalf("%d fetches by %d verifiers over %d windows: more than a few each per window", f, verifiers, windows)
	}
	t.Logf("up: %d requests, %d refreshed, %d fetches by %d verifiers over %d windows", requests, refreshed, fetches()-startFetches, verifiers, windows)

	// Garbage kids: not one fetch.
	before := fetches()
	cur := d.Schedule().WindowAt(time.Now()).Index()
	for i := range 200 {
		kid := []string{rotation.KeyID("main", cur-3-int64(i)), rotation.KeyID("main", cur+3+int64(i)), "main:0" + fmt.Sprint(cur), "x"}[i%4]
		h := b64([]byte(`{"alg":"EdDSA","kid":"` + kid + `","typ":"JWT"}`))
		if status, _ := call(h + "." + b64([]byte(`{"exp":9999999999,"iat":1}`)) + "." + b64(make([]byte, 64))); status != http.StatusUnauthorized {
			t.Fatalf("garbage kid %q: %d", kid, status)
		}
	}
	if f := fetches() - before; f > verifiers { // at most the scheduled fetches meanwhile
		t.Fatalf("%d fetches during 200 requests with garbage kids", f)
	}

	// The issuer stops for two windows; another instance keeps minting.
	issuerSrv.Close()
	_, other := newIssuer()
	refreshedBefore := refreshed
	useFor(2*L, func() string {
		tok, err := other.Sign(nil)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	})
	if refreshed != refreshedBefore {
		t.Fatal("a refresh while the issuer was down")
	}
	t.Logf("issuer down for two windows: %d requests in all, %d refused", requests, refused)

	// The issuer comes back on the same address; verifiers fetch again.
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	issuerSrv = &http.Server{Handler: mux}
	go issuerSrv.Serve(ln)
	defer issuerSrv.Close()
	hits := jwksHits.Load()
	useFor(2*L, nil)
	if jwksHits.Load() == hits {
		t.Fatal("no verifier fetched from the issuer after it came back")
	}
	if refused != 0 {
		t.Fatalf("%d of %d requests refused", refused, requests)
	}
}

func counted(n *atomic.Int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	})
}
