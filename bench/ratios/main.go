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

var (
	line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:.*?\s([\d.]+) allocs/op)?`)
	cpu  = regexp.MustCompile(`\s([\d.]+) cpu-ns/op`)
)

type stats struct{ ns, allocs, cpu []float64 }

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
		if c := cpu.FindStringSubmatch(sc.Text()); c != nil {
			v, _ := strconv.ParseFloat(c[1], 64)
			s.cpu = append(s.cpu, v)
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
		target float64 // 0: none; a ceiling, or a floor if floor is set
		floor  bool
	}
	div := func(a, b string) float64 { return ns(a) / ns(b) }
	rs := []ratio{
		{"RegisteredClaims: jwtrot ÷ golang-jwt ParseWithClaims", div(cur, "BenchmarkGolangJWT/ParseWithClaims/RegisteredClaims"), 0, false},
		{"RegisteredClaims: jwtrot ÷ the non-allocating floor", div(cur, "BenchmarkFloor/hmac"), 2.5, false},
		{"RegisteredClaims: jwtrot ÷ floor + claims (plain struct)", div(cur, "BenchmarkFloor/hmac+claims"), 0, false},
		{"user struct, 335 B: jwtrot ÷ golang-jwt ParseWithClaims", div("BenchmarkUserStruct/jwtrot", "BenchmarkUserStruct/golang-jwt"), 0.4, false},
	}
	for _, sz := range []string{"200B", "1KiB", "4KiB", "8KiB"} {
		rs = append(rs,
			ratio{"user struct, " + sz + ": jwtrot ÷ golang-jwt ParseWithClaims", div("BenchmarkSize/user/"+sz+"/jwtrot", "BenchmarkSize/user/"+sz+"/golang-jwt"), 0.5, false},
			ratio{"MapClaims, " + sz + ": jwtrot ÷ golang-jwt Parse", div("BenchmarkSize/map/"+sz+"/jwtrot", "BenchmarkSize/map/"+sz+"/golang-jwt"), 0.5, false})
	}
	rs = append(rs,
		ratio{"previous window with re-sign ÷ current", div("BenchmarkJwtrot/verify/previous+resign", cur), 1.3, false},
		ratio{"jwtrot sign ÷ golang-jwt SignedString (same claims)", div("BenchmarkJwtrot/sign", "BenchmarkGolangJWT/SignedString"), 1, false},
		ratio{"RegisteredClaims: jwtrot ÷ jwx v3 (iss, aud checked)", div(cur, "BenchmarkJWX"), 0, false},
		ratio{"RegisteredClaims: jwtrot ÷ go-jose v4 (iss, aud checked)", div(cur, "BenchmarkGoJose"), 0, false},
		ratio{"jwtrot ÷ naive scheme (current window)", div(cur, "BenchmarkNaive/current"), 0, false},
		ratio{"EdDSA: jwtrot Verifier ÷ ed25519.Verify alone", div("BenchmarkEdDSA/jwtrot-verifier", "BenchmarkEdDSA/ed25519-verify"), 1.1, false},
		ratio{"EdDSA: jwtrot Verifier ÷ golang-jwt (static key)", div("BenchmarkEdDSA/jwtrot-verifier", "BenchmarkEdDSA/golang-jwt"), 0, false},
		ratio{"EdDSA: jwtrot Verifier ÷ jwx v3", div("BenchmarkEdDSA/jwtrot-verifier", "BenchmarkEdDSA/jwx"), 0, false},
		ratio{"EdDSA: jwtrot Verifier ÷ go-jose v4", div("BenchmarkEdDSA/jwtrot-verifier", "BenchmarkEdDSA/go-jose"), 0, false},
	)
	if c := all["BenchmarkCPUPerOp/jwtrot/serial"]; c != nil && len(c.cpu) > 0 {
		for _, lib := range []string{"jwtrot", "golang-jwt"} {
			rs = append(rs, ratio{"CPU per op, parallel ÷ serial, " + lib, median(all["BenchmarkCPUPerOp/"+lib+"/parallel"].cpu) / median(all["BenchmarkCPUPerOp/"+lib+"/serial"].cpu), 0, false})
		}
	}
	fmt.Println("Ratios of medians, like with like (same token, same claims type):")
	for _, r := range rs {
		verdict := ""
		if r.target != 0 {
			met := r.value <= r.target
			verdict = fmt.Sprintf("target ≤ %g: ", r.target)
			if !met {
				verdict += "MISSED"
			} else {
				verdict += "met"
			}
		}
		fmt.Printf("  %-62s %6.2f  %s\n", r.what, r.value, verdict)
	}
	allocTarget := func(name, label string, max float64) {
		a := median(all[name].allocs)
		verdict := "met"
		if a > max {
			verdict = "MISSED"
		}
		fmt.Printf("  %-62s %6.0f  target ≤ %g: %s\n", label, a, max, verdict)
	}
	allocTarget(cur, "allocations, RegisteredClaims (jwtrot's own)", 3)
	allocTarget("BenchmarkUserStruct/jwtrot", "allocations, user struct at 335 B", 12)
	fmt.Printf("  %-62s %6.0f\n", "verifications per second per core (RegisteredClaims)", 1e9/ns(cur))
}
