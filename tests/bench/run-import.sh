#!/bin/sh
# run-import.sh -- users/s of "acapctl import" of USERS users with their
# SASL accounts (tests/bench/gen-users.py) into a fresh acapd on
# 127.0.0.1, with the time of each phase (users' settings layers,
# accounts).  Target (issue: provisioning): 100,000 users at >= 5,000/s.
#   USERS=2000 ORGS=3 sh tests/bench/run-import.sh
#   ACAPCTL=/path/to/other/acapctl ... compares another build
# Run from the top of a build tree.  Prints the machine load first.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
export top_srcdir top_builddir
. "$top_srcdir/tests/protocol/ctl-lib.sh"

USERS=${USERS:-2000}
ORGS=${ORGS:-3}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
ctl_start
ctl_admin
python3 "$top_srcdir/tests/bench/gen-users.py" "$USERS" "$ORGS" \
    > "$CTL_DIR/users.json" || fail "gen-users.py"
# user+system CPU seconds of a process, from /proc (fields 14 and 15)
cpu_of() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' \
	    "/proc/$1/stat" 2>/dev/null || echo 0
}
c0=$(cpu_of "$CTL_PID")
times > "$CTL_DIR/times0"
t0=$(date +%s.%N)
"$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u admin \
    --password-file "$CTL_DIR/admin.pw" --cafile "$CTL_DIR/cert.pem" \
    --timeout 600 -s "$CTL_DIR" import --progress "$CTL_DIR/users.json" \
    > "$CTL_DIR/import.out" 2> "$CTL_DIR/import.err"
st=$?
t1=$(date +%s.%N)
c1=$(cpu_of "$CTL_PID")
times > "$CTL_DIR/times1"
# acapctl's CPU (and its children's: db5.3_load): the shell's children
secs() {
	awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' "$1"
}
ctlcpu=$(echo "$(secs "$CTL_DIR/times1") $(secs "$CTL_DIR/times0")" |
    awk '{ print $1 - $2 }')
tail -n 1 "$CTL_DIR/import.out"
[ $st -eq 0 ] || { cat "$CTL_DIR/import.err"; fail "import exited $st"; }
accounts=$("$ACAPCTL" -s "$CTL_DIR" user list | grep -c '^u[0-9]')
awk -v n="$USERS" -v a="$t0" -v b="$t1" -v acc="$accounts" 'BEGIN {
	printf "%d users (%d accounts) in %.2f s: %.0f users/s\n",
	    n, acc, b - a, n / (b - a) }'
awk -v a="$c0" -v b="$c1" -v n="$USERS" -v c="$ctlcpu" 'BEGIN {
	printf "acapd CPU %.2f s (%.0f us per user); acapctl and children %.2f s\n",
	    b - a, (b - a) * 1e6 / n, c }'
# the last progress lines: the rate of each phase
tr '\r' '\n' < "$CTL_DIR/import.err" | grep -E '^(users|accounts)' |
    grep -v '^$' | tail -n 2
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
