#!/bin/sh
# run-pg-node.sh -- what one PostgreSQL-backed acapd node costs
# (doc/scale-out.md, "Per-node cost"), on a throw-away cluster
# (tests/pg/pg-cluster.sh), each run on its own database:
#   * effective-settings SEARCHes (acap-bench setup, CLIENTS clients)
#     with USERS_SMALL and USERS_LARGE provisioned users: SEARCHes/s,
#     acapd CPU per SEARCH, and acapd's anonymous memory at the end; the
#     difference over the user difference is the in-memory replica's
#     cost per user (every node holds every dataset);
#   * IDLE_CONNS idle TLS connections with a NOTIFY context (acap-bench
#     idle): memory per connection, as in doc/performance.md;
#   * new PostgreSQL connections per second (pgbench -C, one SELECT per
#     connection): what libsasl2's sql plugin costs the database per
#     log-in (it connects for each authentication, sasl_sql).
#   CLIENTS=64 DURATION=10 USERS_SMALL=1000 USERS_LARGE=10000 \
#       IDLE_CONNS=2000 sh tests/bench/run-pg-node.sh
# Run from the build directory (or set BUILD); needs jq and PostgreSQL.
. "$(dirname "$0")/lib.sh"

CLIENTS=${CLIENTS:-64}
DURATION=${DURATION:-10}
TLS=${TLS:---tls}
USERS_SMALL=${USERS_SMALL:-1000}
USERS_LARGE=${USERS_LARGE:-10000}
IDLE_CONNS=${IDLE_CONNS:-2000}
PG=$BENCH_SRC/../pg/pg-cluster.sh

pgdir=$(mktemp -d /tmp/acapd-pgnode.XXXXXX)
trap 'sh "$PG" stop "$pgdir" >/dev/null 2>&1; rm -rf "$pgdir"' EXIT
url=$(sh "$PG" start "$pgdir")
# A database of its own for each run: db NAME prints its URI.
db() {
	sh "$PG" psql "$pgdir" -c "CREATE DATABASE $1" >/dev/null
	echo "$url" | sed "s|^postgresql:///acapd?|postgresql:///$1?|"
}

machine_info
echo "shared machine: other jobs may run (see load average)" \
    >> "$OUT/machine.txt"
for u in "$USERS_SMALL" "$USERS_LARGE"; do
	"$ACAP_BENCH" -u "$u" -c "$CLIENTS" -d "$DURATION" --warmup 3 $TLS \
	    $PIN_ARG --config "database $(db "u$u")" --json \
	    --label "pg setup $u users" setup > "$OUT/pg-setup-$u.json"
	f=$OUT/pg-setup-$u.json
	say "setup, $u users: $(jq -r '.roles[0].throughput' "$f")" \
	    "SEARCHes/s, acapd $(jq -r .server_cpu_us_per_request "$f") us" \
	    "CPU per SEARCH, p99 $(jq -r '.roles[0].latency.p99_ms' "$f")" \
	    "ms; acapd anonymous memory $(jq -r .server.end.rss_anon_kb "$f")" \
	    "KiB, RSS $(jq -r .server.end.rss_kb "$f") KiB"
done
s=$(jq -r .server.end.rss_anon_kb "$OUT/pg-setup-$USERS_SMALL.json")
l=$(jq -r .server.end.rss_anon_kb "$OUT/pg-setup-$USERS_LARGE.json")
say "replica: $(echo "$s $l $USERS_SMALL $USERS_LARGE" | awk \
    '{ printf "%.2f", ($2 - $1) / ($4 - $3) }') KiB of acapd anonymous" \
    "memory per provisioned user ($USERS_SMALL to $USERS_LARGE users)"
"$ACAP_BENCH" -u "$USERS_SMALL" -c "$IDLE_CONNS" --hold 10 $TLS $PIN_ARG \
    --config "database $(db idle)" --json --label "pg idle" idle \
    > "$OUT/pg-idle.json"
f=$OUT/pg-idle.json
say "idle, $IDLE_CONNS connections ($TLS, NOTIFY context):" \
    "$(jq -r .idle.rss_kib_per_conn "$f") KiB RSS," \
    "$(jq -r .idle.anon_kib_per_conn "$f") KiB anonymous per connection;" \
    "$(jq -r .setup.ready "$f") of $IDLE_CONNS ready"
PGBIN=$(sh "$PG" bindir)
echo 'SELECT 1;' > "$pgdir/connect.sql"
chmod 0644 "$pgdir/connect.sql"
c=$("$PGBIN/pgbench" -n -C -h "$pgdir" -U acapd -c 4 -j 2 -T "$DURATION" \
    -f "$pgdir/connect.sql" acapd 2>/dev/null |
    sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | head -1)
say "PostgreSQL: $c new connections/s with one SELECT each (pgbench -C," \
    "4 clients; libsasl2's sql plugin connects once per log-in)"
