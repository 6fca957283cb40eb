# lib.sh -- shared settings and helpers for tests/bench/run-*.sh.
# Sourced, not run.  Every knob is an environment variable:
#   BUILD    build directory holding tests/bench/acap-bench (default: .)
#   STATE    kept instance directory, provisioned once (default
#            /tmp/acap-bench-state); users and settings are reused
#   USERS    provisioned users (default 100000)
#   REPEAT   runs per measurement; the summary quotes the median (3)
#   OUT      where JSON results go (default $BUILD/bench-results)
#   PIN      1: acapd on CPU 0, clients on the others (default 0)
# Needs: jq; gnuplot (plot.sh); redis-server, redis-benchmark
# (run-redis.sh).

set -eu

BENCH_SRC=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-.}
ACAP_BENCH=${ACAP_BENCH:-$BUILD/tests/bench/acap-bench}
SQLITE_COMMIT=${SQLITE_COMMIT:-$BUILD/tests/bench/sqlite-commit}
STATE=${STATE:-/tmp/acap-bench-state}
USERS=${USERS:-100000}
REPEAT=${REPEAT:-3}
OUT=${OUT:-$BUILD/bench-results/$(date +%Y%m%d-%H%M%S)}
PIN=${PIN:-0}

if [ ! -x "$ACAP_BENCH" ]; then
	echo "$0: $ACAP_BENCH not found; run from the build directory" \
	    "or set BUILD" >&2
	exit 1
fi
command -v jq >/dev/null || { echo "$0: needs jq" >&2; exit 1; }
mkdir -p "$OUT"

PIN_ARG=
[ "$PIN" = 1 ] && PIN_ARG=--pin

# Extra acapd.conf line for every run (empty: none).  Earlier runs set
# "preauth_idle_timeout 3600" to work around a pre-auth timer that outlived
# AUTHENTICATE; acapd cancels the login grace timer at authentication now
# (acap-bench -c 10 --no-context --config "preauth_idle_timeout 3"
# --hold 6 idle: 10 of 10 answer).
BENCH_CONF=${BENCH_CONF-}

# acap-bench on the shared, provisioned instance.
bench() {
	if [ -n "$BENCH_CONF" ]; then
		"$ACAP_BENCH" -u "$USERS" --statedir "$STATE" $PIN_ARG \
		    --config "$BENCH_CONF" "$@"
	else
		"$ACAP_BENCH" -u "$USERS" --statedir "$STATE" $PIN_ARG "$@"
	fi
}

# Users and settings, once (about three minutes for 100000 users).
provision() {
	bench -v provision
}

# Median of the numbers on stdin, one per line ("nan" when none).
median() {
	sort -g | awk '{ v[NR] = $1 }
	    END {
		if (NR == 0) print "nan";
		else if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2
	    }'
}

# jq FILTER over the given JSON files, one value per line.
field() {
	_f=$1
	shift
	for _j in "$@"; do jq -r "$_f" "$_j"; done
}

# Median of a field over files: median_of FILTER FILES...
median_of() {
	field "$@" | median
}

# What the run was made on.
machine_info() {
	{
		echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "kernel: $(uname -srm)"
		echo "cpus: $(nproc) x $(sed -n \
		    's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
		echo "memory: $(awk \
		    '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' \
		    /proc/meminfo)"
		echo "disk of $STATE: $(df -P "$(dirname "$STATE")" | \
		    awk 'NR == 2 { print $1 }')"
		echo "open files: soft $(ulimit -Sn), hard $(ulimit -Hn)"
		echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "openssl: $(openssl version 2>/dev/null || echo unknown)"
		echo "acapd: $(git -C "$BENCH_SRC" rev-parse --short HEAD \
		    2>/dev/null || echo unknown)"
	} > "$OUT/machine.txt"
}

say() {
	printf '%s\n' "$*" | tee -a "$OUT/summary.txt"
}
