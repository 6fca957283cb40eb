#!/bin/sh
# Build the libFuzzer targets with clang (ASan + UBSan, in a build
# directory of their own, never in the source tree) and run each for
# SECONDS, starting from the committed seeds and regression inputs.
# Prints one line per target (executions, coverage, corpus size, crashes)
# and exits non-zero when a target crashed, leaked or hit a limit; the
# crashing inputs are left in $FUZZ_BUILD/artifacts/.
#
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
#   FUZZ_BUILD  build directory (default /tmp/acapd-fuzz-build-<N>, N
#               a checksum of the source directory, so that two checkouts
#               never share one)
#   FUZZ_JOBS   make -j (default 2)
#   FUZZ_PARALLEL  targets fuzzed at once (default 1; each uses one core)
#   CLANG       compiler (default clang)
#   FUZZ_SEED   libFuzzer's -seed (default: a new random seed each run);
#               a fixed seed makes a run repeatable, as CI wants
set -e
seconds=${1:-60}
[ $# -gt 0 ] && shift
src=$(cd "$(dirname "$0")/../.." && pwd)
tag=$(printf '%s' "$src" | cksum | cut -d' ' -f1)
build=${FUZZ_BUILD:-/tmp/acapd-fuzz-build-$tag}
cc=${CLANG:-clang}
targets=${*:-fuzz-parser fuzz-writer fuzz-dspath fuzz-comparator fuzz-command fuzz-discovery}

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "run.sh: $cc not found; libFuzzer targets need clang" >&2
	exit 77
fi
[ -x "$src/configure" ] || (cd "$src" && ./autogen.sh >/dev/null)

mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
	# all code under test gets coverage instrumentation and sanitizers;
	# only the targets link libFuzzer's main (tests/fuzz/local.mk)
	san="-fsanitize=address,undefined -fno-sanitize-recover=all"
	cflags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link"
	"$src/configure" -q --enable-fuzzer CC="$cc" CFLAGS="$cflags $san" \
	    LDFLAGS="$san"
fi
for t in $targets; do
	make -s -j"${FUZZ_JOBS:-2}" "tests/fuzz/$t"
done

mkdir -p artifacts

# One target: its summary goes to $build/$t.result, first line
# "TARGET ok: ..." or "TARGET FAILED: ...".
fuzz_one() {	# target
	t=$1
	corpus=$build/corpus/$t
	mkdir -p "$corpus"
	seeds=""
	for d in "$src/tests/fuzz/corpus/$t" \
	    "$src/tests/fuzz/regressions/$t"; do
		[ -d "$d" ] && seeds="$seeds $d"
	done
	dict=""
	case $t in
	fuzz-parser|fuzz-writer|fuzz-command)
		dict="-dict=$src/tests/fuzz/acap.dict" ;;
	esac
	log=$build/$t.log
	rm -f "$build/artifacts/$t-"*	# only this run's findings count
	# new inputs go to the first directory, which is not in the tree
	# shellcheck disable=SC2086
	if ASAN_OPTIONS=detect_leaks=1 "./tests/fuzz/$t" \
	    ${FUZZ_SEED:+-seed="$FUZZ_SEED"} \
	    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	    -malloc_limit_mb=512 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="$build/artifacts/$t-" $dict \
	    "$corpus" $seeds >"$log" 2>&1; then
		result=ok
	else
		result=FAILED
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	units=$(find "$corpus" -type f | wc -l)
	crashes=$(find "$build/artifacts" -name "$t-*" -type f | wc -l)
	{
		printf '%-16s %s: %s runs in %ss, cov %s, ft %s, ' "$t" \
		    "$result" "${runs:-?}" "$seconds" "${cov:-?}" "${ft:-?}"
		printf '%s new inputs, %s artifacts\n' "$units" "$crashes"
		if [ $result = FAILED ]; then
			grep -E 'ERROR|invariant failed|SUMMARY|Test unit written' \
			    "$log" | head -n 5 | sed 's/^/    /'
		fi
	} >"$build/$t.result"
}

# In batches of FUZZ_PARALLEL; the results in the order given.
set -- $targets
while [ $# -gt 0 ]; do
	n=0
	while [ $# -gt 0 ] && [ $n -lt "${FUZZ_PARALLEL:-1}" ]; do
		rm -f "$build/$1.result"
		fuzz_one "$1" &
		shift
		n=$((n + 1))
	done
	wait
done
status=0
for t in $targets; do
	if [ -f "$build/$t.result" ]; then
		cat "$build/$t.result"
	else
		echo "$t FAILED: no result"
	fi
	grep -q "^$t *ok:" "$build/$t.result" 2>/dev/null || status=1
done
exit $status
