#!/bin/sh
# run-store.sh -- durable STOREs per second, each client storing to its own
# user dataset, against a plain C program doing single-row durable SQLite
# commits (WAL, synchronous=FULL) on the same disk, measured right before
# and after each acapd run.  Target: >= 10000 STOREs/s (group commit).
#   CLIENTS=64 DURATION=20 REPEAT=3 sh tests/bench/run-store.sh
. "$(dirname "$0")/lib.sh"

CLIENTS=${CLIENTS:-64}
DURATION=${DURATION:-20}
TLS=${TLS:---tls}

machine_info
provision
dir=$(dirname "$STATE")
i=1
: > "$OUT/store-ratio.txt"
while [ "$i" -le "$REPEAT" ]; do
	"$SQLITE_COMMIT" -d "$DURATION" --json "$dir" \
	    > "$OUT/sqlite-before-$i.json"
	bench -c "$CLIENTS" -d "$DURATION" --warmup 3 $TLS --json \
	    --label "store run $i" store > "$OUT/store-$i.json"
	"$SQLITE_COMMIT" -d "$DURATION" --json "$dir" \
	    > "$OUT/sqlite-after-$i.json"
	s=$(jq -r '.roles[0].throughput' "$OUT/store-$i.json")
	b=$(jq -r .throughput "$OUT/sqlite-before-$i.json")
	a=$(jq -r .throughput "$OUT/sqlite-after-$i.json")
	echo "$s $b $a" | awk '{ printf "%.3f\n", $1 / (($2 + $3) / 2) }' \
	    >> "$OUT/store-ratio.txt"
	i=$((i + 1))
done
files=$(ls "$OUT"/store-*.json)
say "store ($CLIENTS clients, $TLS): $(median_of '.roles[0].throughput' \
    $files) STOREs/s; p50 $(median_of '.roles[0].latency.p50_ms' $files)" \
    "ms, p99 $(median_of '.roles[0].latency.p99_ms' $files) ms;" \
    "acapd $(median_of .server_cpu_us_per_request $files) us CPU per" \
    "STORE; SQLite single-row commits $(median_of .throughput \
    "$OUT"/sqlite-*.json)/s; ratio acapd/SQLite" \
    "$(median < "$OUT/store-ratio.txt") (median of $REPEAT)"
