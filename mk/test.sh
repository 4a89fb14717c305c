#!/usr/bin/env bash
# `make test`: format check, then every test in release, under ASan+UBSan,
# and the concurrency tests under TSan. Ends with the summed line
# "N passed, N failed, N skipped" and exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
jobs=$(nproc)
P=0; F=0; S=0
tally() { # "mode: N passed, N failed, N skipped"
	local l; l=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$1" | tail -n1)
	if [ -z "$l" ]; then F=$((F + 1)); return; fi
	read -r p f s <<<"$(echo "$l" | sed -E 's/^[a-z-]+: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')"
	P=$((P + p)); F=$((F + f)); S=$((S + s))
}
log=$(mktemp)
echo "== format check (clang-format)"
if make -s --no-print-directory format-check; then P=$((P + 1)); echo "format: ok"; else F=$((F + 1)); echo "format: FAIL (run make format)"; fi
# No copies of ../shared/data in the repository (fuzz corpora seeded from real captures): every
# tracked or untracked, non-ignored file is checked for a >= 24-byte run shared with a data file.
echo "== data-copy check (mk/check-data-copies.c)"
if [ ! -d ../shared/data ]; then S=$((S + 1)); echo "data-copies: skipped (no ../shared/data)"
elif mkdir -p build/tools && cc -std=c11 -O2 -o build/tools/check-data-copies mk/check-data-copies.c &&
	git ls-files -co --exclude-standard -z | build/tools/check-data-copies -; then P=$((P + 1)); echo "data-copies: ok"
else F=$((F + 1)); echo "data-copies: FAIL (files above share bytes with ../shared/data)"; fi
for mode in release asan tsan; do
	echo "== build $mode"
	if ! make -s --no-print-directory -j"$jobs" MODE=$mode tests >"$log.build" 2>&1; then
		tail -n 60 "$log.build"; echo "$mode: build FAILED"; F=$((F + 1)); continue
	fi
	echo "== test $mode"
	mk/run-tests.sh $mode "${TG_TEST_FILTER:-.}" | tee "$log"
	tally "$log"
done
rm -f "$log" "$log.build"
echo "$P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
