#!/usr/bin/env bash
# Run every test program of one build mode, each in its own process with a
# timeout, and print "mode: N passed, N failed, N skipped" (cases summed over
# programs). A program that crashes, times out or prints no tally counts as
# one failed case. Exit 77 from a program that printed nothing = 1 skipped.
#   mk/run-tests.sh MODE [name-filter-regex]
set -u
mode=${1:?mode}; filter=${2:-.}
logdir=build/$mode/test-logs; mkdir -p "$logdir"
case $mode in
asan) export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
      export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
      export TG_TEST_SCALE=${TG_TEST_SCALE:-0.1} ;;
tsan) export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
      export TG_TEST_SCALE=${TG_TEST_SCALE:-0.05} ;;
debug) export TG_TEST_SCALE=${TG_TEST_SCALE:-0.2} ;;
esac
export TG_MODE=$mode TG_BIN=build/$mode/bin
P=0; F=0; S=0
for t in $(make -s --no-print-directory MODE=$mode list-tests); do
	name=$(basename "$t")
	echo "$name" | grep -Eq "$filter" || continue
	log=$logdir/$name.log
	start=$(date +%s.%N)
	timeout --kill-after=10 "${TG_TEST_TIMEOUT:-600}" "$t" >"$log" 2>&1
	rc=$?
	secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
	line=$(grep -E '^tg-test: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n1)
	if [ -n "$line" ]; then
		read -r p f s <<<"$(echo "$line" | sed -E 's/tg-test: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')"
	elif [ $rc -eq 77 ]; then p=0 f=0 s=1
	else p=0 f=1 s=0
	fi
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ "$f" -eq 0 ]; then f=1; fi
	P=$((P + p)); F=$((F + f)); S=$((S + s))
	status=ok; [ "$f" -ne 0 ] && status=FAIL; [ $rc -eq 124 ] && status=TIMEOUT
	printf '  %-7s %-5s %-36s %3d passed %2d failed %2d skipped  %6ss\n' "$status" "$mode" "$name" "$p" "$f" "$s" "$secs"
	if [ "$status" != ok ]; then
		echo "----- $log (last 40 lines) -----"; tail -n 40 "$log"; echo "-----"
	fi
done
echo "$mode: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
