# ctl-lib.sh -- shared helpers for the acapctl scenario scripts
# (tests/protocol/ctl-*.sh).  Sourced, not run.
#
# Starts a real acapd on 127.0.0.1 with an ephemeral port (acapd writes the
# bound port to a port file, as tests/protocol/acap-script.c expects) in a
# fresh state directory, creates an admin account with acapctl itself, and
# offers:
#   ctl ARGS...            run acapctl as admin over STARTTLS (the
#                          instance's self-signed certificate is trusted);
#                          output in $CTL_OUT, status in $CTL_STATUS
#   ok ARGS...             ctl, and fail the test unless it exits 0
#   status N ARGS...       ctl, and fail unless it exits N
#   has REGEX              the last output matches (grep -E)
#   hasnt REGEX            the last output does not match
#   json_has KEY VALUE     the last output has "KEY":VALUE (compact JSON)
#   fail MESSAGE           stop with a failure (prints the acapd log)
#   skip MESSAGE           stop with status 77
# Only loopback addresses are used.  Set CTL_KEEP=1 to keep the directory.

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
ACAPD=${ACAPD:-$top_builddir/acapd/acapd}
ACAPCTL=${ACAPCTL:-$top_builddir/acapctl/acapctl}
CTL_NAME=$(basename "$0" .sh)

skip() {
	echo "$CTL_NAME: SKIP: $*" >&2
	exit 77
}

# built by make: missing is a failure, not a skip
[ -x "$ACAPD" ] || { echo "$CTL_NAME: FAIL: no $ACAPD" >&2; exit 1; }
[ -x "$ACAPCTL" ] || { echo "$CTL_NAME: FAIL: no $ACAPCTL" >&2; exit 1; }

CTL_DIR=$(mktemp -d /tmp/acapctl-test.XXXXXX) || exit 1
CTL_PID=
CTL_OUT=
CTL_STATUS=0
# never read the tester's own configuration or history
ACAPCTL_CONFIG=/dev/null
HOME=$CTL_DIR
XDG_DATA_HOME=$CTL_DIR/data
unset ACAPCTL_PASSWORD XDG_CONFIG_HOME
export ACAPCTL_CONFIG HOME XDG_DATA_HOME

ctl_stop() {
	if [ -n "$CTL_PID" ]; then
		kill -TERM "$CTL_PID" 2>/dev/null
		n=0
		while kill -0 "$CTL_PID" 2>/dev/null && [ $n -lt 100 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		kill -KILL "$CTL_PID" 2>/dev/null
		wait "$CTL_PID" 2>/dev/null
		CTL_PID=
	fi
}

ctl_cleanup() {
	ctl_stop
	if [ -n "$CTL_KEEP" ]; then
		echo "$CTL_NAME: kept $CTL_DIR" >&2
	else
		rm -rf "$CTL_DIR"
	fi
}
trap ctl_cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "$CTL_NAME: FAIL: $*" >&2
	if [ -n "$CTL_OUT" ]; then
		echo "--- last acapctl output (status $CTL_STATUS) ---" >&2
		printf '%s\n' "$CTL_OUT" >&2
	fi
	if [ -f "$CTL_DIR/acapd.log" ]; then
		echo "--- acapd log (tail) ---" >&2
		tail -n 30 "$CTL_DIR/acapd.log" >&2
	fi
	exit 1
}

# ctl_start [acapd.conf lines...]
ctl_start() {
	{
		echo "listen 127.0.0.1:0"
		echo "statedir $CTL_DIR"
		echo "portfile $CTL_DIR/port"
		echo "tls_generate yes"
		echo "tls_cert cert.pem"
		echo "tls_key key.pem"
		echo "auth_fail_delay_ms 0"
		echo "seed_site no"
		echo "admins admin"
		[ -z "${ACAPD_TEST_DATABASE:-}" ] || echo "database $ACAPD_TEST_DATABASE"
		for line in "$@"; do
			echo "$line"
		done
	} > "$CTL_DIR/acapd.conf"
	rm -f "$CTL_DIR/port"
	"$ACAPD" -d -f "$CTL_DIR/acapd.conf" >> "$CTL_DIR/acapd.log" 2>&1 &
	CTL_PID=$!
	n=0
	CTL_PORT=
	while [ $n -lt 200 ]; do
		if ! kill -0 "$CTL_PID" 2>/dev/null; then
			CTL_PID=
			fail "acapd exited during start-up"
		fi
		if [ -s "$CTL_DIR/port" ] &&
		    CTL_PORT=$(awk 'NR == 1 && NF == 2 { print $2 }' \
		    "$CTL_DIR/port") && [ -n "$CTL_PORT" ]; then
			break
		fi
		sleep 0.1
		n=$((n + 1))
	done
	[ -n "$CTL_PORT" ] || fail "acapd did not start within 20 s"
	sleep 0.1
	export CTL_PORT
}

# ctl_admin [USER [PASSWORD]]: the account the ctl helper logs in as
ctl_admin() {
	CTL_USER=${1:-admin}
	printf '%s\n' "${2:-admin-secret-pw}" > "$CTL_DIR/$CTL_USER.pw"
	chmod 600 "$CTL_DIR/$CTL_USER.pw"
	printf '%s\n' "${2:-admin-secret-pw}" |
	    "$ACAPCTL" -s "$CTL_DIR" user add --password-stdin "$CTL_USER" \
	    > "$CTL_DIR/useradd.out" 2>&1 ||
	    { CTL_OUT=$(cat "$CTL_DIR/useradd.out"); fail "user add $CTL_USER"; }
}

ctl() {
	CTL_OUT=$("$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u "${CTL_USER:-admin}" \
	    --password-file "$CTL_DIR/${CTL_USER:-admin}.pw" \
	    --cafile "$CTL_DIR/cert.pem" --timeout 10 "$@" 2>&1)
	CTL_STATUS=$?
	return 0
}

ok() {
	ctl "$@"
	[ "$CTL_STATUS" -eq 0 ] || fail "acapctl $* exited $CTL_STATUS"
}

status() {
	want=$1
	shift
	ctl "$@"
	[ "$CTL_STATUS" -eq "$want" ] ||
	    fail "acapctl $* exited $CTL_STATUS, expected $want"
}

has() {
	printf '%s\n' "$CTL_OUT" | grep -E -q -- "$1" ||
	    fail "output does not match /$1/"
}

hasnt() {
	if printf '%s\n' "$CTL_OUT" | grep -E -q -- "$1"; then
		fail "output matches /$1/"
	fi
}

json_has() {
	printf '%s\n' "$CTL_OUT" | grep -F -q -- "\"$1\":$2" ||
	    fail "output has no \"$1\":$2"
}
