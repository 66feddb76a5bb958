#!/usr/bin/env bash
# Runs every benchmark COUNT times (default 6), prints the benchstat table and
# the headline ratios. Usage: bench/run.sh [OUTPUT_FILE]
set -euo pipefail
cd "$(dirname "$0")"
out=${1:-results.txt}
count=${COUNT:-6}
{
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(go version)"
  go test -run '^$' -bench . -benchmem -count "$count" -timeout 60m .
} | tee "$out"
echo
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "$out"
echo
go run ./ratios "$out"
