#!/bin/sh
# The whole test suite (unit suites, protocol scenarios, fuzz replays)
# built with AddressSanitizer + UndefinedBehaviorSanitizer, in a build
# directory of its own (configure --enable-sanitizers).  Any sanitizer
# report ends the process that made it with an error, so the test that
# ran it fails; leaks are reported at exit (LeakSanitizer) and fail too.
# Prints the failing tests' logs and "N passed, M failed", like
# tools/test.sh.
#
# Usage: tests/sanitizers.sh
#   SAN_BUILD   build directory (default /tmp/acapd-sanitizers-build-<N>,
#               N a checksum of the source directory)
#   CC          compiler (default: configure's choice)
#   SAN_JOBS    make -j (default: number of CPUs)
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
tag=$(printf '%s' "$src" | cksum | cut -d' ' -f1)
build=${SAN_BUILD:-/tmp/acapd-sanitizers-build-$tag}
jobs=${SAN_JOBS:-$(nproc 2>/dev/null || echo 2)}

# halt on the first report; keep stacks readable; leaks are errors
asan=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1
asan=$asan:strict_string_checks=1:check_initialization_order=1
ASAN_OPTIONS=${ASAN_OPTIONS:-$asan}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# sanitized code runs 2-3 times slower: give Check's per-test timeouts
# (e.g. the linear-time comparator test) room
CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-4}
# ASan keeps freed memory in quarantine and adds shadow memory, so RSS is
# no measure of leaks here: tests that assert on RSS growth can look at
# this and skip those assertions (LeakSanitizer checks leaks instead)
ACAPD_SANITIZERS=1
export ASAN_OPTIONS UBSAN_OPTIONS CK_TIMEOUT_MULTIPLIER ACAPD_SANITIZERS

[ -x "$src/configure" ] || (cd "$src" && ./autogen.sh >/dev/null) || exit 1
mkdir -p "$build" || exit 1
cd "$build" || exit 1
if [ ! -f Makefile ]; then
	"$src/configure" -q --enable-sanitizers ${CC:+CC="$CC"} \
	    CFLAGS="-g -O1" || exit 1
fi
make -s -j"$jobs" || exit 1
status=0
make -s -j"$jobs" check >/dev/null 2>&1 || status=1

# Sanitizer reports found in any test log, even of tests that passed
# (e.g. a report from a child the test did not wait for).
reports=$(grep -rlE 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
    --include='*.log' "$build/tests" 2>/dev/null)
if [ -n "$reports" ]; then
	status=1
	echo "sanitizer reports in:"
	echo "$reports" | sed 's/^/  /'
	for f in $reports; do
		echo "--- $f"
		grep -A25 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
		    "$f" | head -n 40
	done
fi
sh "$src/tools/summary.sh" "$build" || status=1
exit $status
