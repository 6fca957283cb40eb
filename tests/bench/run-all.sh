#!/bin/sh
# run-all.sh -- every benchmark of doc/performance.md, in order, into one
# results directory ($OUT/summary.txt collects the headline lines).
# Takes about an hour with the defaults (the mixed run alone is 10 min).
#   sh tests/bench/run-all.sh            (from the build directory)
. "$(dirname "$0")/lib.sh"

export BUILD STATE USERS REPEAT OUT PIN
: > "$OUT/summary.txt"
sh "$BENCH_SRC/run-idle.sh"
sh "$BENCH_SRC/run-fanout.sh"
sh "$BENCH_SRC/run-store.sh"
sh "$BENCH_SRC/run-setup.sh"
SCENARIO=setup sh "$BENCH_SRC/run-scaling.sh"
SCENARIO=store COUNTS="1 4 16 64 256" sh "$BENCH_SRC/run-scaling.sh"
if command -v gnuplot >/dev/null; then
	sh "$BENCH_SRC/plot.sh" "$OUT/scaling-setup.dat"
	sh "$BENCH_SRC/plot.sh" "$OUT/scaling-store.dat"
fi
sh "$BENCH_SRC/run-growth.sh"
sh "$BENCH_SRC/run-mixed.sh"
echo
cat "$OUT/summary.txt"
