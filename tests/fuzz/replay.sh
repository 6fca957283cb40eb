#!/bin/sh
# make check: run every seed (tests/fuzz/corpus/<target>/) and regression
# input (tests/fuzz/regressions/<target>/) once through its fuzz target:
# replay-<t> in ordinary builds, the libFuzzer binary with --enable-fuzzer.
# Inputs under tests/fuzz/regressions/open/ reproduce bugs not fixed yet
# and are not replayed here.  A target with inputs but neither binary
# built fails the test: both kinds are built by "make check".
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
status=0
ran=0
for t in parser writer dspath comparator command discovery; do
	dirs=""
	for d in "$top_srcdir/tests/fuzz/corpus/fuzz-$t" \
	    "$top_srcdir/tests/fuzz/regressions/fuzz-$t"; do
		[ -d "$d" ] && dirs="$dirs $d"
	done
	[ -n "$dirs" ] || continue
	if [ -x "$top_builddir/tests/fuzz/replay-$t" ]; then
		# shellcheck disable=SC2086
		"$top_builddir/tests/fuzz/replay-$t" $dirs 2>replay-$t.err ||
		    { cat replay-$t.err; status=1; }
	elif [ -x "$top_builddir/tests/fuzz/fuzz-$t" ]; then
		# libFuzzer runs each file named once and exits
		# shellcheck disable=SC2086
		find $dirs -type f | sort | xargs \
		    "$top_builddir/tests/fuzz/fuzz-$t" 2>replay-$t.err ||
		    { cat replay-$t.err; status=1; }
	else
		echo "fuzz-$t: FAIL: neither replay-$t nor fuzz-$t is built"
		status=1
		continue
	fi
	rm -f replay-$t.err
	echo "fuzz-$t: replayed $(find $dirs -type f | wc -l) inputs"
	ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || { echo "FAIL: no fuzz target replayed"; status=1; }
exit $status
