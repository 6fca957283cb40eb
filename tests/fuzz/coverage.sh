#!/bin/sh
# Line and branch coverage of the code under test reached by the fuzz
# corpora: builds the replay programs with clang source-based coverage in
# a build directory of its own, replays the committed seeds, the
# regression inputs and whatever tests/fuzz/run.sh has found (its corpus
# directories), and prints llvm-cov's report for the files each target is
# about.  Used for the figures in doc/fuzzing.md.
#
# Usage: tests/fuzz/coverage.sh [TARGET...]
#   COV_BUILD   build directory (default /tmp/acapd-cov-build-<N>, N a
#               checksum of the source directory)
#   FUZZ_BUILD  where run.sh kept its corpora (default: run.sh's)
#   CLANG, LLVM_COV, LLVM_PROFDATA   tools (default: clang, llvm-cov,
#               llvm-profdata, or the llvm-14 ones)
set -e
src=$(cd "$(dirname "$0")/../.." && pwd)
tag=$(printf '%s' "$src" | cksum | cut -d' ' -f1)
build=${COV_BUILD:-/tmp/acapd-cov-build-$tag}
found=${FUZZ_BUILD:-/tmp/acapd-fuzz-build-$tag}/corpus
cc=${CLANG:-clang}
targets=${*:-fuzz-parser fuzz-writer fuzz-dspath fuzz-comparator fuzz-command}

tool() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 && { echo "$t"; return; }
	done
	echo "coverage.sh: none of $* found" >&2
	exit 77
}
cov=${LLVM_COV:-$(tool llvm-cov llvm-cov-14 /usr/lib/llvm-14/bin/llvm-cov)}
prof=${LLVM_PROFDATA:-$(tool llvm-profdata llvm-profdata-14 \
    /usr/lib/llvm-14/bin/llvm-profdata)}
command -v "$cc" >/dev/null 2>&1 || { echo "coverage.sh: no $cc" >&2; exit 77; }
[ -x "$src/configure" ] || (cd "$src" && ./autogen.sh >/dev/null)

mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
	flags="-O0 -g -fprofile-instr-generate -fcoverage-mapping"
	"$src/configure" -q CC="$cc" CFLAGS="$flags" LDFLAGS="$flags"
fi

for t in $targets; do
	short=${t#fuzz-}
	make -s "tests/fuzz/replay-$short" >/dev/null
	case $short in
	parser) files="$src/libacap/acap-parser.c" ;;
	writer) files="$src/libacap/acap-buf.c" ;;
	dspath) files="$src/acapd/dspath.c" ;;
	comparator) files="$src/acapd/comparator.c" ;;
	command) files=$(echo "$src"/acapd/conn.c "$src"/acapd/commands.c \
	    "$src"/acapd/cmd-*.c "$src"/acapd/context.c \
	    "$src"/acapd/sasl.c) ;;
	esac
	rm -rf "prof-$short"
	mkdir -p "prof-$short"
	dirs=""
	for d in "$src/tests/fuzz/corpus/$t" "$src/tests/fuzz/regressions/$t" \
	    "$found/$t"; do
		[ -d "$d" ] && dirs="$dirs $d"
	done
	# shellcheck disable=SC2086
	LLVM_PROFILE_FILE="$build/prof-$short/%p.profraw" \
	    "./tests/fuzz/replay-$short" $dirs >/dev/null 2>&1
	"$prof" merge -sparse "prof-$short"/*.profraw -o "$short.profdata"
	echo "== $t: $(find $dirs -type f | wc -l) inputs"
	# shellcheck disable=SC2086
	"$cov" report "$build/tests/fuzz/replay-$short" \
	    -instr-profile="$build/$short.profdata" $files |
	    sed "/^---/d; s|$src/||; s/^/  /"
done
