#!/bin/sh
# Run the protocol scenarios with acapd under valgrind memcheck ("make
# check-valgrind", tests/valgrind.mk).  The scenario driver (for *.acap)
# and the *.sh scenarios start $ACAPD, so ACAPD points at a wrapper that
# execs valgrind on the real daemon; a memory error or leak makes acapd
# exit 99 (the driver then fails the scenario) and is found in any case
# in the per-process valgrind logs, which must all say "0 errors".
# Goal: zero errors and zero leaks (definite, indirect, possible);
# "still reachable" memory (one-time library state) is only reported.
#
# Usage: tests/valgrind.sh [SCENARIO.acap|SCENARIO.sh ...]
#        (default: every tests/protocol/*.acap)
#   top_builddir / top_srcdir   as exported by make (default: . and the
#                               source tree this script is in)
#   VALGRIND                    valgrind binary (default: valgrind)
#   VALGRIND_LOGDIR             where logs go (default
#                               $top_builddir/tests/valgrind-logs)
#   VALGRIND_EXTRA              more valgrind options
#   VALGRIND_JOBS               scenarios run at once (default 1); each
#                               has its own acapd, directory and port
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(dirname "$here")}
top_builddir=${top_builddir:-.}
top_builddir=$(cd "$top_builddir" && pwd)
vg=${VALGRIND:-valgrind}
logdir=${VALGRIND_LOGDIR:-$top_builddir/tests/valgrind-logs}
driver=$top_builddir/tests/protocol/acap-script
acapd=$top_builddir/acapd/acapd

if ! command -v "$vg" >/dev/null 2>&1; then
	echo "valgrind.sh: $vg not found: skipped" >&2
	exit 77
fi
for f in "$driver" "$acapd"; do
	if [ ! -x "$f" ]; then
		echo "valgrind.sh: $f is not built (make check first)" >&2
		exit 2
	fi
done
if [ $# -eq 0 ]; then
	set -- "$top_srcdir"/tests/protocol/*.acap
fi
wrapper=$logdir/acapd-valgrind

# One scenario; its status line goes to $logdir/NAME.status.
run_one() {	# SCRIPT
	name=$(basename "$1")
	name=${name%.acap}
	name=${name%.sh}
	out=$logdir/$name.driver.log
	# *.acap through the driver; *.sh scenarios start $ACAPD themselves
	case $1 in
	*.sh)	set -- sh "$1" ;;
	*)	set -- "$driver" "$1" ;;
	esac
	VALGRIND_SCENARIO=$name ACAPD=$wrapper top_builddir=$top_builddir \
	    top_srcdir=$top_srcdir "$@" >"$out" 2>&1
	rc=$?
	# every valgrind log of the scenario must say "0 errors" (leaks
	# of the kinds above count as errors); a process killed with
	# SIGKILL writes no summary and is only counted
	errors=0 logs=0 nosum=0 reach=0
	for log in "$logdir/$name".*.log; do
		[ -f "$log" ] || continue
		case $log in *.driver.log) continue ;; esac
		logs=$((logs + 1))
		e=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' \
		    "$log" | tail -n 1)
		if [ -z "$e" ]; then
			nosum=$((nosum + 1))
			continue
		fi
		errors=$((errors + e))
		r=$(sed -n 's/.*still reachable: \([0-9,]*\) bytes.*/\1/p' \
		    "$log" | tr -d , | tail -n 1)
		reach=$((reach + ${r:-0}))
	done
	if [ $rc -eq 77 ]; then
		status=SKIP
	elif [ $rc -eq 0 ] && [ $errors -eq 0 ] && [ $logs -gt 0 ]; then
		status=PASS
	else
		status=FAIL
	fi
	{
		printf '%s: %s (driver %d; %d acapd run(s), ' "$status" \
		    "$name" "$rc" "$logs"
		printf '%d without summary; %d errors; ' "$nosum" "$errors"
		printf '%d bytes still reachable)\n' "$reach"
	} >"$logdir/$name.status"
}

# xargs -P runs this script again for each scenario, with the set-up
# below already done.
if [ -n "${VALGRIND_ONE:-}" ]; then
	run_one "$1"
	exit 0
fi

rm -rf "$logdir"
mkdir -p "$logdir"
# The logs are written by acapd itself, possibly after it dropped to an
# unprivileged user (privdrop.acap): the files are opened before that,
# but keep the directory open to everyone anyway.
chmod 1777 "$logdir"

# The wrapper the driver runs as "acapd".  One log per process (restarts
# give several), named after the scenario.
supp=""
[ -f "$here/valgrind.supp" ] && supp="--suppressions=$here/valgrind.supp"
cat > "$wrapper" <<EOF
#!/bin/sh
exec "$vg" --tool=memcheck --leak-check=full \\
    --show-leak-kinds=definite,indirect,possible \\
    --errors-for-leak-kinds=definite,indirect,possible \\
    --error-exitcode=99 --num-callers=30 \\
    $supp ${VALGRIND_EXTRA:-} \\
    --log-file="$logdir/\${VALGRIND_SCENARIO:-acapd}.%p.log" \\
    "$acapd" "\$@"
EOF
chmod 755 "$wrapper"

if [ "${VALGRIND_JOBS:-1}" -gt 1 ]; then
	printf '%s\n' "$@" | VALGRIND_ONE=1 VALGRIND_LOGDIR=$logdir \
	    top_builddir=$top_builddir top_srcdir=$top_srcdir \
	    xargs -P "$VALGRIND_JOBS" -n 1 sh "$0"
else
	for script in "$@"; do
		run_one "$script"
	done
fi

# The results, in the order given.
passed=0 failed=0 skipped=0
failures=""
for script in "$@"; do
	name=$(basename "$script")
	name=${name%.acap}
	name=${name%.sh}
	line=$(cat "$logdir/$name.status" 2>/dev/null) ||
	    line="FAIL: $name (no result)"
	echo "$line"
	case $line in
	PASS:*)	passed=$((passed + 1)) ;;
	SKIP:*)	skipped=$((skipped + 1)) ;;
	*)	failed=$((failed + 1))
		failures="$failures $name" ;;
	esac
done
for name in $failures; do
	echo "--- $name"
	tail -n 15 "$logdir/$name.driver.log"
	for log in "$logdir/$name".*.log; do
		case $log in *.driver.log) continue ;; esac
		grep -q 'ERROR SUMMARY: [1-9]' "$log" &&
		    grep -v '^==[0-9]*== *$' "$log" | head -n 80
	done
done
echo "valgrind: $passed passed, $failed failed, $skipped skipped" \
    "(logs in $logdir)"
[ $failed -eq 0 ]
