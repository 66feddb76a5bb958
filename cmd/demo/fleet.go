package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jwtrot/jwtrot/extra/jwtrotprom"
	"github.com/jwtrot/jwtrot/extra/jwtrotredis"
	"github.com/jwtrot/jwtrot/httpauth"
	"github.com/jwtrot/jwtrot/internal/demoserver"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/rueidis"
)

// offsetClock is the real clock shifted by a fixed offset: an instance whose
// clock is a little off.
type offsetClock time.Duration

func (o offsetClock) Now() time.Time { return time.Now().Add(time.Duration(o)) }

func (e *env) fleet(args []string) error {
	f := newFlags(e, "fleet", "[-instances N] [-window D] [-duration D] [-metrics]\n"+
		"         [-redis ADDR]\n"+
		"       demo fleet -alg EdDSA [-instances N] [-window D] [-duration D]")
	n := f.fs.Int("instances", 3, "how many `instances` to start")
	f.window = 2 * time.Second
	f.fs.Var(durationFlag{&f.window, false}, "window", "window `length` with a unit, whole seconds")
	duration := f.fs.Duration("duration", 10*time.Second, "how long the client walks, then everything stops")
	metrics := f.fs.Bool("metrics", false, "count every verification in Prometheus metrics and print them at the end")
	redisAddr := f.fs.String("redis", "", "share revocations through the Redis at `host:port`, then show a logout and a one-time token")
	alg := f.fs.String("alg", "HS256", "`EdDSA`: one issuer and verifiers that hold only its JWKS URL")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	switch {
	case *alg != "HS256" && *alg != "EdDSA":
		return fmt.Errorf("-alg %s: the fleet runs HS256 (every instance holds the root) or EdDSA (verifiers hold public keys)", clip(*alg))
	case *alg == "EdDSA" && (*metrics || *redisAddr != ""):
		return errors.New("-metrics and -redis run with HS256; leave them out with -alg EdDSA")
	case *n < 1 || *n > 16:
		return fmt.Errorf("-instances %d is not between 1 and 16", *n)
	case *duration <= 0 || *duration > 10*time.Minute:
		return fmt.Errorf("-duration %v is not between 0 and 10m", *duration)
	}
	if err := checkWindow(f.window); err != nil {
		return err
	}
	if *alg == "EdDSA" {
		return e.fleetEdDSA(*n, f.window, *duration)
	}
	root, err := freshRoot()
	if err != nil {
		return err
	}
	skew := min(30*time.Second, f.window/4)
	var reg *prometheus.Registry
	var obs *jwtrotprom.Observer
	if *metrics {
		reg = prometheus.NewRegistry()
		if obs, err = jwtrotprom.New(reg); err != nil {
			return err
		}
		if err := obs.ObserveRoots(context.Background(), rotation.DefaultPurpose, []*rotation.Root{root}); err != nil {
			return err
		}
	}
	type inst struct {
		url    string
		offset time.Duration
	}
	var insts []inst
	var auths []*jwtrot.Authority
	var stores []*jwtrotredis.Revoker
	for i := 0; i < *n; i++ {
		// Clocks spread across the allowed skew.
		off := time.Duration(0)
		if *n > 1 {
			off = -skew/2 + time.Duration(i)*skew/time.Duration(*n-1)
		}
		d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithWindow(f.window), rotation.WithSkew(skew), rotation.WithClock(offsetClock(off)))
		if err != nil {
			return err
		}
		opts := []jwtrot.Option{jwtrot.WithTTL(time.Hour)}
		if obs != nil {
			opts = append(opts, jwtrot.WithObserver(obs.Observe))
		}
		if *redisAddr != "" {
			// Each instance its own client, as separate processes would.
			rv, err := jwtrotredis.New(context.Background(), rueidis.ClientOption{InitAddress: []string{*redisAddr}},
				jwtrotredis.WithLogger(slog.New(slog.NewTextHandler(e.stderr, nil))))
			if err != nil {
				return fmt.Errorf("-redis: %w", err)
			}
			defer rv.Close()
			stores = append(stores, rv)
			opts = append(opts, jwtrot.WithRevoker(rv))
		}
		a, err := jwtrot.New(d, opts...)
		if err != nil {
			return err
		}
		auths = append(auths, a)
		h, err := demoserver.New(a)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		insts = append(insts, inst{url: "http://" + ln.Addr().String(), offset: off})
		fmt.Fprintf(e.stdout, "instance %d on %s, clock %+v\n", i, ln.Addr(), off)
	}
	fmt.Fprintf(e.stdout, "window %v, skew %v; the client walks for %v, one request every window/3\n", f.window, skew, *duration)

	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.PostForm(insts[0].url+"/login", url.Values{"user": {"alice"}})
	if err != nil {
		return err
	}
	var login struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	tok := login.Token
	start := time.Now()
	fmt.Fprintf(e.stdout, "%6.2fs  instance 0: login, kid %s\n", 0.0, kidOf(tok))

	var t tally
	tick := time.NewTicker(f.window / 3)
	defer tick.Stop()
	for i := 1; time.Since(start) < *duration; i++ {
		<-tick.C
		line, err := t.call(client, insts[i%len(insts)].url, &tok)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%6.2fs  instance %d: %s\n", time.Since(start).Seconds(), i%len(insts), strings.Replace(line, "re-signed", "re-signed →", 1))
	}
	tampered := 0
	if reg != nil {
		// One tampered token, so that a refusal shows among the counters;
		// the summary counts it apart from the session's refusals.
		req, _ := http.NewRequest("GET", insts[0].url+"/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok[:len(tok)-2]+"AA")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			return fmt.Errorf("a tampered token got %d, not 401", resp.StatusCode)
		}
		tampered++
		fmt.Fprintf(e.stdout, "%6.2fs  instance 0: %d, a tampered copy of the token (sent on purpose)\n",
			time.Since(start).Seconds(), resp.StatusCode)
	}
	fmt.Fprintf(e.stdout, "%d %s, %d %s, %d %s", t.requests, plural(t.requests, "request"), t.refreshes, plural(t.refreshes, "refresh"), t.refusals, plural(t.refusals, "refusal"))
	if tampered > 0 {
		fmt.Fprintf(e.stdout, " of the session; %d tampered %s refused (bad_signature)", tampered, plural(tampered, "token"))
	}
	fmt.Fprintln(e.stdout)
	if t.refusals > 0 {
		return refusal{errors.New("the fleet refused a valid session")}
	}
	if len(stores) > 0 {
		urls := make([]string, len(insts))
		for i, in := range insts {
			urls[i] = in.url
		}
		if err := e.fleetRedis(client, urls, auths[0], stores[0], tok); err != nil {
			return err
		}
	}
	if reg != nil {
		return printMetrics(e, reg)
	}
	return nil
}

// A tally counts a client's requests to a fleet.
type tally struct{ requests, refreshes, refusals int }

// call sends GET url/me with the token *tok, swaps in a refreshed token,
// counts, and describes what happened: the status, a re-signed kid, the
// challenge of a refusal.
func (t *tally) call(client *http.Client, url string, tok *string) (string, error) {
	req, _ := http.NewRequest("GET", url+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+*tok)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	t.requests++
	line := strconv.Itoa(resp.StatusCode)
	if fresh := resp.Header.Get(httpauth.DefaultRefreshHeader); fresh != "" {
		*tok = fresh
		t.refreshes++
		line += ", re-signed kid " + kidOf(fresh)
	}
	if resp.StatusCode != http.StatusOK {
		t.refusals++
		line += "  " + resp.Header.Get("WWW-Authenticate")
	}
	return line, nil
}

// plural returns word, or its plural for n other than 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	if strings.HasSuffix(word, "h") {
		return word + "es"
	}
	return word + "s"
}

// printMetrics prints the fleet's jwtrot counters, one series a line.
func printMetrics(e *env, reg *prometheus.Registry) error {
	mfs, err := reg.Gather()
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "metrics (every instance together; jwtrot_verification_duration_seconds omitted):")
	for _, mf := range mfs {
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"=\""+l.GetValue()+"\"")
			}
			v := m.GetCounter().GetValue()
			if mf.GetType() == dto.MetricType_GAUGE {
				v = m.GetGauge().GetValue()
			}
			fmt.Fprintf(e.stdout, "  %s{%s} %g\n", mf.GetName(), strings.Join(labels, ","), v)
		}
	}
	return nil
}

// freshRoot is a random root for this run, shared by every instance.
func freshRoot() (*rotation.Root, error) {
	secret := make([]byte, rootSize)
	rand.Read(secret) // never fails (crypto/rand, Go 1.24)
	return rotation.NewRoot("fleet", secret)
}
