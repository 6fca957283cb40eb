#!/bin/sh
# Count test results under a build directory and print the failures, then
# "N passed, M failed[, K skipped]"; exit non-zero unless everything
# passed or was skipped with leave.
#
# Check suites (their log has Check's "Checks: N" line) count one result
# per test function, from CK_VERBOSE's "file:line:R:tcase:test:iter: msg"
# lines: a loop test over a table of 160 rows is one test, which fails
# when any row fails.  A function that printed "SKIP: <function>: why"
# (tests/unit/check_skip.h) counts as skipped.  Every other test
# (scenario script, shell or Python test) counts as one, exit 77 being a
# skip.
#
# A skip is only a skip when tools/skips-allowed names it (a Check
# function as tests/unit/check_x:test_name, any other test by its path,
# e.g. tests/protocol/privdrop) for the conditions the run is in;
# any other skip counts as a failure: a test that did not run is not a
# pass, and a missing tool that tools/deps.sh installs is a failure.
dir=${1:-.}
allowed_file=$(dirname "$0")/skips-allowed
if [ "$(id -u)" -eq 0 ]; then
	cond=root
else
	cond=not-root
fi
passed=0 failed=0 skipped=0
badskips=""

# skip_ok NAME: does tools/skips-allowed let NAME skip in this run?
skip_ok() {
	[ -f "$allowed_file" ] || return 1
	awk -v name="$1" -v cond="$cond" '
	    /^[ \t]*(#|$)/ { next }
	    $1 == name && ($2 == "always" || $2 == cond) { found = 1 }
	    END { exit !found }' "$allowed_file"
}

# note_skip NAME WHY: count an allowed skip, or a failure
note_skip() {
	if skip_ok "$1"; then
		skipped=$((skipped + 1))
	else
		failed=$((failed + 1))
		badskips="$badskips
--- SKIP not allowed (tools/skips-allowed): $1${2:+: $2}"
	fi
}

for trs in $(find "$dir/tests" -name '*.trs' | sort); do
	log=${trs%.trs}.log
	name=${trs#"$dir"/}
	name=${name%.trs}
	res=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
	if grep -q '^[0-9]*%: Checks: [0-9]*' "$log" 2>/dev/null; then
		# P F S, then one "skip NAME: why" line per skipped function
		counts=$(awk '
		    /^SKIP: [^:]+: / {
			fn = $2; sub(/:$/, "", fn); sub(/_fn$/, "", fn)
			why = $0; sub(/^SKIP: [^:]+: /, "", why)
			skip[fn] = why; next
		    }
		    /^[^:]+:[0-9]+:[PFE]:[^:]*:[^:]+:[0-9]+: / {
			split($0, f, ":")
			key = f[4] ":" f[5]
			if (!(key in seen)) { seen[key] = 1; fnof[key] = f[5] }
			if (f[3] != "P") bad[key] = 1
		    }
		    END {
			p = 0; F = 0; s = 0; out = ""
			for (k in seen) {
				if (k in bad) F++
				else if (fnof[k] in skip) {
					s++
					out = out "skip " fnof[k] ": " \
					    skip[fnof[k]] "\n"
				} else p++
			}
			printf "%d %d %d\n%s", p, F, s, out
		    }' "$log")
		set -- $(printf '%s\n' "$counts" | head -n 1)
		passed=$((passed + $1))
		failed=$((failed + $2))
		[ "$res" = PASS ] || [ "$2" -gt 0 ] || failed=$((failed + 1))
		printf '%s\n' "$counts" | sed -n 's/^skip //p' |
		    while IFS= read -r s; do
			echo "${s%%: *}	${s#*: }"
		    done > "$trs.skips"
		while IFS='	' read -r fn why; do
			note_skip "$name:$fn" "$why"
		done < "$trs.skips"
		rm -f "$trs.skips"
	else
		case "$res" in
		PASS|XFAIL) passed=$((passed + 1)) ;;
		SKIP)
			why=$(grep -i -m 1 'skip' "$log" 2>/dev/null)
			note_skip "$name" "$why" ;;
		*) failed=$((failed + 1)) ;;
		esac
	fi
	if [ "$res" != PASS ] && [ "$res" != SKIP ] && [ "$res" != XFAIL ]; then
		echo "--- $res: ${trs%.trs}"
		tail -n 40 "$log"
	fi
done
[ -z "$badskips" ] || printf '%s\n' "$badskips" | sed 1d
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
