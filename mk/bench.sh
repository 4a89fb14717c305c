#!/usr/bin/env bash
# `make bench`: run every benchmark program of the release build. Each one
# prints its table and writes build/bench/<name>.json.
set -u
cd "$(dirname "$0")/.."
mkdir -p build/bench
rc=0
for b in $(make -s --no-print-directory MODE=release list-benches); do
	echo "== $(basename "$b")"
	TG_BENCH_DIR=build/bench "$b" || { echo "$(basename "$b") FAILED"; rc=1; }
done
echo "bench results: build/bench/*.json"
exit $rc
