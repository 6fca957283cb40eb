#!/bin/sh
# run-export.sh -- the time of "acapctl export" of a site of USERS users
# (tests/bench/gen-users.py, imported without accounts first) with
# acapd's default work budget (search_max_entries 20000): the registries
# are read in pages of ACAPCTL_PAGE_SIZE (default 1000) entries, each
# served from the store's index (doc/protocol-notes.md "Paging").
#   USERS=100000 ORGS=3 sh tests/bench/run-export.sh
# Then the time of "acapctl history --since 2099-01-01" (the whole audit
# trail read in pages by record, none of them printed).
# Run from the top of a build tree.  Prints the machine load first.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
export top_srcdir top_builddir
. "$top_srcdir/tests/protocol/ctl-lib.sh"

USERS=${USERS:-20000}
ORGS=${ORGS:-3}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
ctl_start
ctl_admin
python3 "$top_srcdir/tests/bench/gen-users.py" "$USERS" "$ORGS" |
    python3 -c '
import json, sys
d = json.load(sys.stdin)
for u in d["users"]:
    del u["password"]
json.dump(d, sys.stdout)' > "$CTL_DIR/users.json" || fail "gen-users.py"
"$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u admin \
    --password-file "$CTL_DIR/admin.pw" --cafile "$CTL_DIR/cert.pem" \
    --timeout 600 import --no-progress "$CTL_DIR/users.json" \
    > "$CTL_DIR/import.out" 2>&1 || { CTL_OUT=$(cat "$CTL_DIR/import.out");
    fail "import"; }
cpu_of() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' \
	    "/proc/$1/stat" 2>/dev/null || echo 0
}
c0=$(cpu_of "$CTL_PID")
t0=$(date +%s.%N)
"$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u admin \
    --password-file "$CTL_DIR/admin.pw" --cafile "$CTL_DIR/cert.pem" \
    --timeout 600 export --output "$CTL_DIR/export.json" \
    > "$CTL_DIR/export.out" 2>&1
st=$?
t1=$(date +%s.%N)
c1=$(cpu_of "$CTL_PID")
[ "$st" -eq 0 ] || { CTL_OUT=$(cat "$CTL_DIR/export.out"); fail "export"; }
n=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["users"]))' \
    "$CTL_DIR/export.json")
[ "$n" -eq "$USERS" ] || fail "exported $n users, not $USERS"
awk -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v n="$USERS" 'BEGIN {
	printf "export of %d users: %.2f s (%.0f users/s), acapd CPU %.2f s\n",
	    n, t1 - t0, n / (t1 - t0), c1 - c0 }'
c0=$(cpu_of "$CTL_PID")
t0=$(date +%s.%N)
"$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u admin \
    --password-file "$CTL_DIR/admin.pw" --cafile "$CTL_DIR/cert.pem" \
    --timeout 600 --json history --since 2099-01-01 \
    > "$CTL_DIR/history.out" 2>&1
st=$?
t1=$(date +%s.%N)
c1=$(cpu_of "$CTL_PID")
[ "$st" -eq 0 ] || { CTL_OUT=$(cat "$CTL_DIR/history.out"); fail "history"; }
n=$(sqlite3 "$CTL_DIR/acapd.db" 'SELECT count(*) FROM audit' 2>/dev/null ||
    echo '?')
awk -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v n="$n" 'BEGIN {
	printf "history of %s audit records: %.2f s, acapd CPU %.2f s\n",
	    n, t1 - t0, c1 - c0 }'
