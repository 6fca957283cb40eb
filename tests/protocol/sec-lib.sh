# sec-lib.sh -- shared helpers for the file-safety scenarios
# (tests/protocol/sec-*.sh: state directory, admin password, database
# modes).  Sourced, not run.  Builds on ctl-lib.sh (fail, skip, $CTL_DIR
# as the scratch directory, $ACAPD) and adds:
#   sec_conf STATEDIR [LINES...]  write $CTL_DIR/sec.conf: acapd on
#                                 127.0.0.1, ephemeral port, that statedir,
#                                 port file $SEC_PORTFILE ($CTL_DIR/port)
#   sec_refused MESSAGE           acapd -f sec.conf must exit non-zero
#                                 within 20 s, saying MESSAGE (grep -F)
#   sec_serves                    acapd -f sec.conf must start (it writes
#                                 its port file); it is stopped again
#   sec_kill                      as sec_serves, but acapd is killed
#                                 (SIGKILL: the -wal and -shm stay)
#   mode FILE                     FILE's permission bits in octal
#   other_user                    a user that is not the tester: "nobody"
#                                 when running as root, else empty
# Output of the last acapd is in $SEC_OUT.

. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

SEC_OUT=
SEC_PORTFILE=$CTL_DIR/port

sec_conf() {
	dir=$1
	shift
	{
		echo "listen 127.0.0.1:0"
		echo "statedir $dir"
		echo "portfile $SEC_PORTFILE"
		echo "seed_site no"
		[ -z "${ACAPD_TEST_DATABASE:-}" ] || echo "database $ACAPD_TEST_DATABASE"
		for line in "$@"; do
			echo "$line"
		done
	} > "$CTL_DIR/sec.conf"
}

sec_refused() {
	rm -f "$SEC_PORTFILE"
	SEC_OUT=$(timeout 20 "$ACAPD" -f "$CTL_DIR/sec.conf" 2>&1)
	st=$?
	[ "$st" -ne 124 ] || fail "acapd still running after 20 s, expected: $1"
	[ "$st" -ne 0 ] || fail "acapd exited 0, expected a refusal: $1"
	printf '%s\n' "$SEC_OUT" | grep -F -q -- "$1" ||
	    fail "acapd exited $st without saying \"$1\": $SEC_OUT"
	[ ! -e "$SEC_PORTFILE" ] || fail "a refused acapd wrote its port file"
}

# sec_start: acapd -f sec.conf in the background until its port file
# appears; $SEC_PID is its process id.
sec_start() {
	rm -f "$SEC_PORTFILE"
	"$ACAPD" -f "$CTL_DIR/sec.conf" > "$CTL_DIR/sec.out" 2>&1 &
	SEC_PID=$!
	CTL_PID=$SEC_PID	# ctl_cleanup stops it if the test fails
	n=0
	while [ ! -s "$SEC_PORTFILE" ]; do
		if ! kill -0 "$SEC_PID" 2>/dev/null || [ $n -ge 200 ]; then
			kill -KILL "$SEC_PID" 2>/dev/null
			wait "$SEC_PID" 2>/dev/null
			CTL_PID=
			SEC_OUT=$(cat "$CTL_DIR/sec.out")
			fail "acapd did not start: $SEC_OUT"
		fi
		sleep 0.1
		n=$((n + 1))
	done
}

sec_serves() {
	sec_start
	kill -TERM "$SEC_PID"
	wait "$SEC_PID"
	st=$?
	CTL_PID=
	SEC_OUT=$(cat "$CTL_DIR/sec.out")
	[ "$st" -eq 0 ] || fail "acapd exited $st after SIGTERM: $SEC_OUT"
}

sec_kill() {
	sec_start
	kill -KILL "$SEC_PID"
	wait "$SEC_PID" 2>/dev/null
	CTL_PID=
	SEC_OUT=$(cat "$CTL_DIR/sec.out")
}

mode() {
	stat -c %a "$1"
}

other_user() {
	if [ "$(id -u)" -eq 0 ] && id nobody > /dev/null 2>&1; then
		echo nobody
	fi
}
