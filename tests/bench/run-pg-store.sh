#!/bin/sh
# run-pg-store.sh -- durable STOREs per second of a PostgreSQL-backed acapd
# (database postgresql://..., doc/scale-out.md) against pgbench's
# single-row commit rate on the same throw-away cluster in the same run
# (tests/pg/pg-cluster.sh: fsync and synchronous_commit on).  Each
# repetition: pgbench, acapd, pgbench again; the ratio is acapd's rate
# over the mean of the two pgbench runs around it.  pgbench runs a custom
# script, one INSERT ... ON CONFLICT UPDATE of one row per transaction,
# once with one client (the serial commit rate: one WAL flush per commit)
# and once with PGB_CLIENTS clients (default 16: PostgreSQL's own flush
# sharing; hundreds of pgbench connections take longer to start than a
# short run lasts on a busy machine).
# Target (issue 16, item 4): >= 10000 STOREs/s per node.
#   CLIENTS=64 PGB_CLIENTS=16 DURATION=20 REPEAT=3 \
#       sh tests/bench/run-pg-store.sh
# Run from the build directory (or set BUILD); needs jq and PostgreSQL
# (tools/deps.sh).  The cluster and its directory are removed at the end.
. "$(dirname "$0")/lib.sh"

CLIENTS=${CLIENTS:-64}
PGB_CLIENTS=${PGB_CLIENTS:-16}
DURATION=${DURATION:-20}
TLS=${TLS:---tls}
PG=$BENCH_SRC/../pg/pg-cluster.sh
PGBIN=$(sh "$PG" bindir)

pgdir=$(mktemp -d /tmp/acapd-pgbench.XXXXXX)
trap 'sh "$PG" stop "$pgdir" >/dev/null 2>&1; rm -rf "$pgdir"' EXIT
url=$(sh "$PG" start "$pgdir")
cat > "$pgdir/one-row.sql" <<'SQL'
\set id random(1, 100000)
INSERT INTO bench_kv (id, v) VALUES (:id, 'x')
    ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v;
SQL
chmod 0644 "$pgdir/one-row.sql"
sh "$PG" psql "$pgdir" -c \
    "CREATE TABLE bench_kv (id int PRIMARY KEY, v text)" >/dev/null

# pgbench N: transactions per second with N clients (one row each).
pgb() {
	"$PGBIN/pgbench" -n -h "$pgdir" -U acapd -c "$1" -j 2 \
	    -T "$DURATION" -f "$pgdir/one-row.sql" acapd 2>/dev/null |
	    sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | head -1 | grep . ||
	    echo null
}

machine_info
{
	echo "postgresql: $("$PGBIN/postgres" --version)"
	echo "cluster: $(sh "$PG" psql "$pgdir" -tAc "SELECT
	    'fsync=' || current_setting('fsync') ||
	    ' synchronous_commit=' || current_setting('synchronous_commit') ||
	    ' shared_buffers=' || current_setting('shared_buffers')")"
	echo "shared machine: other jobs may run (see load average)"
} >> "$OUT/machine.txt"
: > "$OUT/ratio1.txt"
: > "$OUT/ratioN.txt"
i=1
while [ "$i" -le "$REPEAT" ]; do
	b1=$(pgb 1)
	bn=$(pgb "$PGB_CLIENTS")
	"$ACAP_BENCH" -c "$CLIENTS" -d "$DURATION" --warmup 3 $TLS $PIN_ARG \
	    --config "database $url" --json --label "pg store run $i" \
	    store > "$OUT/pg-store-$i.json"
	a1=$(pgb 1)
	an=$(pgb "$PGB_CLIENTS")
	s=$(jq -r '.roles[0].throughput' "$OUT/pg-store-$i.json")
	echo "{\"run\": $i, \"pgbench_1\": [$b1, $a1]," \
	    "\"pgbench_n\": [$bn, $an], \"acapd\": $s}" \
	    > "$OUT/pgbench-$i.json"
	echo "$s $b1 $a1" | awk '{ printf "%.3f\n", $1 / (($2 + $3) / 2) }' \
	    >> "$OUT/ratio1.txt"
	echo "$s $bn $an" | awk '{ printf "%.3f\n", $1 / (($2 + $3) / 2) }' \
	    >> "$OUT/ratioN.txt"
	say "run $i: acapd $s STOREs/s; pgbench 1 client $b1, $a1 tps;" \
	    "pgbench $PGB_CLIENTS clients $bn, $an tps"
	i=$((i + 1))
done
files=$(ls "$OUT"/pg-store-*.json)
say "PostgreSQL store ($CLIENTS clients, $TLS): $(median_of \
    '.roles[0].throughput' $files) STOREs/s; p50 $(median_of \
    '.roles[0].latency.p50_ms' $files) ms, p99 $(median_of \
    '.roles[0].latency.p99_ms' $files) ms; acapd $(median_of \
    .server_cpu_us_per_request $files) us CPU per STORE;" \
    "pgbench single-row commits: 1 client $(field '.pgbench_1[]' \
    "$OUT"/pgbench-*.json | median) tps, $PGB_CLIENTS clients $(field \
    '.pgbench_n[]' "$OUT"/pgbench-*.json | median) tps;" \
    "ratio acapd/pgbench-1 $(median < "$OUT/ratio1.txt")," \
    "acapd/pgbench-$PGB_CLIENTS" \
    "$(median < "$OUT/ratioN.txt") (median of $REPEAT)"
