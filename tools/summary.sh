#!/bin/sh
# Count test results under a build directory: Check suites report their
# individual test cases; every other test (scenario script, interop run)
# counts as one.  Prints the failures, then "N passed, M failed[, K skipped]".
dir=${1:-.}
passed=0 failed=0 skipped=0
for trs in $(find "$dir/tests" -name '*.trs' | sort); do
	log=${trs%.trs}.log
	res=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
	checks=$(sed -n 's/^[0-9]*%: Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$log" 2>/dev/null | tail -n 1)
	if [ -n "$checks" ]; then
		set -- $checks
		passed=$((passed + $1 - $2 - $3))
		failed=$((failed + $2 + $3))
		[ "$res" = PASS ] || [ $(($2 + $3)) -gt 0 ] || failed=$((failed + 1))
	else
		case "$res" in
		PASS|XFAIL) passed=$((passed + 1)) ;;
		SKIP) skipped=$((skipped + 1)) ;;
		*) failed=$((failed + 1)) ;;
		esac
	fi
	if [ "$res" != PASS ] && [ "$res" != SKIP ] && [ "$res" != XFAIL ]; then
		echo "--- $res: ${trs%.trs}"
		tail -n 40 "$log"
	fi
done
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
