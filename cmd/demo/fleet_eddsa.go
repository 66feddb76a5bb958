package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/jwks"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

// fleetEdDSA runs one issuer (the root: token endpoint, JWKS, refresh) and n
// verifiers that hold only its JWKS URL, on 127.0.0.1 and the real clock. A
// client walks across the verifiers; halfway, the issuer's server stops,
// and a second issuer instance, holding the root but serving nothing, keeps
// signing: the verifiers go on accepting from the horizon of keys they
// hold.
func (e *env) fleetEdDSA(n int, window, duration time.Duration) error {
	secret := make([]byte, rootSize)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	root, err := rotation.NewRoot("fleet", secret)
	if err != nil {
		return err
	}
	skew := min(30*time.Second, window/4)
	newIssuer := func() (*rotation.Deriver, *jwtrot.Authority, error) {
		d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithAlgorithm(rotation.EdDSA), rotation.WithWindow(window), rotation.WithSkew(skew))
		if err != nil {
			return nil, nil, err
		}
		a, err := jwtrot.New(d, jwtrot.WithTTL(time.Hour))
		return d, a, err
	}
	d, issuer, err := newIssuer()
	if err != nil {
		return err
	}
	horizon := duration
	pub, err := jwks.NewHandler(d, horizon)
	if err != nil {
		return err
	}
	refresh, err := httpauth.NewRefreshHandler(issuer)
	if err != nil {
		return err
	}
	token, err := httpauth.NewTokenHandler(issuer, func(r *http.Request, requested []json.RawMessage) ([]jwt.Claims, error) {
		// An example: any user, no password. A real one authenticates the caller.
		var out []jwt.Claims
		for _, raw := range requested {
			var c struct{ Sub string }
			if json.Unmarshal(raw, &c) != nil || c.Sub == "" {
				return nil, errors.New("a claims set without sub")
			}
			out = append(out, jwt.RegisteredClaims{Subject: c.Sub})
		}
		return out, nil
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/jwks.json", pub)
	mux.Handle("POST /refresh", refresh)
	mux.Handle("POST /token", token)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	issuerURL := "http://" + ln.Addr().String()
	issuerSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go issuerSrv.Serve(ln)
	defer issuerSrv.Close()
	fmt.Fprintf(e.stdout, "issuer on %s: the root; POST /token, GET /.well-known/jwks.json (a horizon of %v), POST /refresh\n", ln.Addr(), horizon)

	type verifier struct {
		url  string
		keys *jwks.Client
	}
	var vs []verifier
	for i := range n {
		off := time.Duration(0)
		if n > 1 {
			off = -skew/2 + time.Duration(i)*skew/time.Duration(n-1)
		}
		sched, err := rotation.NewSchedule(rotation.WithWindow(window), rotation.WithSkew(skew), rotation.WithClock(offsetClock(off)))
		if err != nil {
			return err
		}
		keys, err := jwks.NewClient(issuerURL+"/.well-known/jwks.json", jwks.WithSchedule(sched), jwks.WithTimeout(time.Second))
		if err != nil {
			return err
		}
		defer keys.Close()
		v, err := jwtrot.NewVerifier(keys)
		if err != nil {
			return err
		}
		mw, err := httpauth.New(v, httpauth.WithIssuerRefresh(issuerURL+"/refresh", window/4))
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := httpauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
			fmt.Fprintf(w, `{"subject":%q}`, c.Subject)
		})), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		vs = append(vs, verifier{"http://" + ln.Addr().String(), keys})
		fmt.Fprintf(e.stdout, "verifier %d on %s, clock %+v: only the JWKS URL, no secret\n", i, ln.Addr(), off)
	}
	fmt.Fprintf(e.stdout, "window %v, skew %v; the client walks for %v, one request every window/3; the issuer stops halfway\n", window, skew, duration)

	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Post(issuerURL+"/token", "application/json", bytes.NewReader([]byte(`{"claims":[{"sub":"alice"}]}`)))
	if err != nil {
		return err
	}
	var minted struct{ Tokens []string }
	json.NewDecoder(resp.Body).Decode(&minted)
	resp.Body.Close()
	if len(minted.Tokens) != 1 {
		return fmt.Errorf("the token endpoint answered %d", resp.StatusCode)
	}
	tok := minted.Tokens[0]
	start := time.Now()
	fmt.Fprintf(e.stdout, "%6.2fs  issuer: token for alice, kid %s\n", 0.0, kidOf(tok))

	var second *jwtrot.Authority
	var t tally
	tick := time.NewTicker(window / 3)
	defer tick.Stop()
	for i := 1; time.Since(start) < duration; i++ {
		<-tick.C
		if second == nil && time.Since(start) >= duration/2 {
			issuerSrv.Close()
			if _, second, err = newIssuer(); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%6.2fs  issuer stopped: no JWKS, no refresh; a second issuer instance (the root, no server) signs alice's tokens\n", time.Since(start).Seconds())
		}
		if second != nil {
			if tok, err = second.Sign(jwt.RegisteredClaims{Subject: "alice"}); err != nil {
				return err
			}
		}
		in, kid := i%len(vs), kidOf(tok)
		line, err := t.call(client, vs[in].url, &tok)
		if err != nil {
			return err
		}
		line = strings.Replace(line, "re-signed", "re-signed by the issuer →", 1)
		fmt.Fprintf(e.stdout, "%6.2fs  verifier %d: kid %s: %s\n", time.Since(start).Seconds(), in, kid, line)
	}
	var fetches int64
	for _, v := range vs {
		fetches += v.keys.Fetches()
	}
	windows := int64(duration/window) + 1
	fmt.Fprintf(e.stdout, "%d %s, %d %s through the issuer, %d %s; %d JWKS fetches by %d verifiers over about %d windows\n",
		t.requests, plural(t.requests, "request"), t.refreshes, plural(t.refreshes, "refresh"), t.refusals, plural(t.refusals, "refusal"), fetches, n, windows)
	if t.refusals > 0 {
		return refusal{errors.New("a verifier refused a valid token")}
	}
	return nil
}
