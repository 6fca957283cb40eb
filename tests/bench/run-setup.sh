#!/bin/sh
# run-setup.sh -- effective-settings SEARCHes per second with USERS
# provisioned users: first closed loop (capacity), then open loop at half
# that rate (latency), then the same client count against
# redis-benchmark -t get (run-redis.sh) for the ratio.
# Targets: >= 50000 SEARCHes/s; p99 < 5 ms at half that rate.
#   CLIENTS=64 DURATION=20 REPEAT=3 sh tests/bench/run-setup.sh
. "$(dirname "$0")/lib.sh"

CLIENTS=${CLIENTS:-64}
DURATION=${DURATION:-20}
TLS=${TLS:---tls}
PIPELINE=${PIPELINE:-1}

machine_info
provision
i=1
while [ "$i" -le "$REPEAT" ]; do
	bench -c "$CLIENTS" -d "$DURATION" --pipeline "$PIPELINE" $TLS \
	    --json --label "setup capacity run $i" setup \
	    > "$OUT/setup-cap-$i.json"
	i=$((i + 1))
done
files=$(ls "$OUT"/setup-cap-*.json)
cap=$(median_of '.roles[0].throughput' $files)
say "setup capacity ($CLIENTS clients, pipeline $PIPELINE, $TLS):" \
    "$cap SEARCHes/s (median of $REPEAT); p50" \
    "$(median_of '.roles[0].latency.p50_ms' $files) ms, p99" \
    "$(median_of '.roles[0].latency.p99_ms' $files) ms, p99.9" \
    "$(median_of '.roles[0].latency.p999_ms' $files) ms; acapd" \
    "$(median_of .server_cpu_us_per_request $files) us CPU per SEARCH" \
    "($(median_of .server.window_cpu_pct $files)% of a core); clients" \
    "$(median_of .client_cpu_s $files) CPU s"

half=$(echo "$cap" | awk '{ printf "%d", $1 / 2 }')
i=1
while [ "$i" -le "$REPEAT" ]; do
	bench -c "$CLIENTS" -d "$DURATION" --rate "$half" $TLS --json \
	    --label "setup at half rate run $i" setup \
	    > "$OUT/setup-half-$i.json"
	i=$((i + 1))
done
files=$(ls "$OUT"/setup-half-*.json)
say "setup at half that rate ($half/s offered, open loop): achieved" \
    "$(median_of '.roles[0].throughput' $files)/s; p50" \
    "$(median_of '.roles[0].latency.p50_ms' $files) ms, p99" \
    "$(median_of '.roles[0].latency.p99_ms' $files) ms, p99.9" \
    "$(median_of '.roles[0].latency.p999_ms' $files) ms (from the" \
    "scheduled send); client send lag p99" \
    "$(median_of '.roles[0].send_lag.p99_ms' $files) ms; service time" \
    "(actual send to reply) p50 $(median_of '.roles[0].service.p50_ms' \
    $files) ms, p99 $(median_of '.roles[0].service.p99_ms' $files) ms"

if command -v redis-server >/dev/null && command -v redis-benchmark \
    >/dev/null; then
	CLIENTS=$CLIENTS sh "$BENCH_SRC/run-redis.sh" > "$OUT/redis.txt"
	r=$(cat "$OUT/redis.txt")
	say "redis-benchmark -t get, $CLIENTS clients: $r requests/s;" \
	    "ratio acapd setup / redis GET: $(echo "$cap $r" | \
	    awk '{ printf "%.3f", $1 / $2 }')"
else
	say "redis-benchmark not installed: no ratio"
fi
