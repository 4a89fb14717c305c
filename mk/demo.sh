#!/usr/bin/env bash
# `make demo` / `make demo-real`: the main job end to end with its summary.
#   mk/demo.sh            synthetic market (feedsim) with labelled anomalies:
#                         train a small model on a different synthetic day,
#                         stream, score, alert, and measure precision/recall
#   mk/demo.sh real       LOBSTER AAPL/AMZN/GOOG 2012-06-21: train on the
#                         morning, calibrate on the early afternoon (the last
#                         quarter of 09:30-14:00), stream the rest over UDP
# Extra arguments go to `tickguard run` (e.g. --scorers 2, --summary F.json).
# Segments use the default names, so in another terminal
#   build/release/bin/tickguard tail          prints alerts live
#   build/release/bin/tg_consumer --seconds 30   reads ticks + alerts as a trading process
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/bin/tickguard
mode=${1:-synthetic}
[ $# -gt 0 ] && shift

case $mode in
synthetic)
	exec "$bin" run --workdir build/demo --rate 40000 \
		--summary build/demo/summary.json "$@" ;;
real)
	data=../shared/data/lobster
	[ -d "$data" ] || { echo "demo-real: $data not found (see ../shared/data/README.md)"; exit 1; }
	# the whole configuration is in examples/run-lobster.json (cJSON)
	exec "$bin" run --config examples/run-lobster.json "$@" ;;
*)
	echo "usage: mk/demo.sh [synthetic|real] [tickguard run options]"; exit 2 ;;
esac
