// Command ratios reads `go test -bench` output and prints the headline
// ratios of BENCHMARKS.md, from the medians of each benchmark's runs, with
// the target each ratio is held to.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:.*?\s([\d.]+) allocs/op)?`)

type stats struct{ ns, allocs []float64 }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ratios BENCH_OUTPUT")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "ratios:", err)
		os.Exit(1)
	}
	defer f.Close()
	all := map[string]*stats{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := line.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		s := all[m[1]]
		if s == nil {
			s = &stats{}
			all[m[1]] = s
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		s.ns = append(s.ns, ns)
		if m[3] != "" {
			a, _ := strconv.ParseFloat(m[3], 64)
			s.allocs = append(s.allocs, a)
		}
	}
	ns := func(name string) float64 {
		s, ok := all[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "ratios: no results for %s\n", name)
			os.Exit(1)
		}
		return median(s.ns)
	}
	cur := "BenchmarkJwtrot/verify/current"
	type ratio struct {
		what   string
		value  float64
		target string
		ok     bool
	}
	rs := []ratio{
		{"jwtrot verify ÷ golang-jwt Parse (MapClaims, static key)", ns(cur) / ns("BenchmarkGolangJWT/Parse/MapClaims"), "≤ 0.5", ns(cur)/ns("BenchmarkGolangJWT/Parse/MapClaims") <= 0.5},
		{"jwtrot verify ÷ golang-jwt ParseWithClaims (RegisteredClaims)", ns(cur) / ns("BenchmarkGolangJWT/ParseWithClaims/RegisteredClaims"), "", true},
		{"jwtrot verify ÷ jwx v3", ns(cur) / ns("BenchmarkJWX"), "≤ 0.2", ns(cur)/ns("BenchmarkJWX") <= 0.2},
		{"jwtrot verify ÷ go-jose v4", ns(cur) / ns("BenchmarkGoJose"), "≤ 0.2", ns(cur)/ns("BenchmarkGoJose") <= 0.2},
		{"jwtrot verify ÷ naive scheme (current window)", ns(cur) / ns("BenchmarkNaive/current"), "", true},
		{"jwtrot verify ÷ floor (base64 + HMAC)", ns(cur) / ns("BenchmarkFloor/hmac"), "", true},
		{"jwtrot verify ÷ floor + claims decoding", ns(cur) / ns("BenchmarkFloor/hmac+claims"), "", true},
		{"previous (with re-sign) ÷ current", ns("BenchmarkJwtrot/verify/previous+resign") / ns(cur), "≤ 1.5", ns("BenchmarkJwtrot/verify/previous+resign")/ns(cur) <= 1.5},
		{"jwtrot sign ÷ golang-jwt SignedString", ns("BenchmarkJwtrot/sign") / ns("BenchmarkGolangJWT/SignedString"), "≤ 1", ns("BenchmarkJwtrot/sign")/ns("BenchmarkGolangJWT/SignedString") <= 1},
		{"parallel speed-up, jwtrot (serial ns ÷ parallel ns)", ns(cur) / ns("BenchmarkParallel/jwtrot"), "≥ 1.7", ns(cur)/ns("BenchmarkParallel/jwtrot") >= 1.7},
		{"parallel speed-up, golang-jwt", ns("BenchmarkGolangJWT/Parse/MapClaims") / ns("BenchmarkParallel/golang-jwt"), "", true},
	}
	fmt.Println("Headline ratios (medians):")
	for _, r := range rs {
		verdict := ""
		if r.target != "" {
			verdict = "target " + r.target + ": met"
			if !r.ok {
				verdict = "target " + r.target + ": MISSED"
			}
		}
		fmt.Printf("  %-62s %6.2f  %s\n", r.what, r.value, verdict)
	}
	allocs := median(all[cur].allocs)
	verdict := "met"
	if allocs > 12 {
		verdict = "MISSED"
	}
	fmt.Printf("  %-62s %6.0f  target ≤ 12: %s\n", "allocations per current-window verify", allocs, verdict)
	fmt.Printf("  %-62s %6.0f\n", "verifications per second per core (current window)", 1e9/ns(cur))
}
