#!/bin/sh
# run-scaling.sh -- throughput and latency against client count, closed
# loop, for the plot (plot.sh).  One line per client count in
# $OUT/scaling-SCENARIO.dat: clients, requests/s, p50 ms, p99 ms,
# p99.9 ms, acapd CPU %.
#   SCENARIO=setup COUNTS="1 2 4 8 16 32 64 128 256" sh run-scaling.sh
. "$(dirname "$0")/lib.sh"

SCENARIO=${SCENARIO:-setup}
COUNTS=${COUNTS:-1 2 4 8 16 32 64 128 256 512}
DURATION=${DURATION:-10}
TLS=${TLS:---tls}

machine_info
provision
dat=$OUT/scaling-$SCENARIO.dat
echo "# clients rps p50_ms p99_ms p999_ms acapd_cpu_pct ($SCENARIO, $TLS," \
    "median of $REPEAT)" > "$dat"
for c in $COUNTS; do
	i=1
	while [ "$i" -le "$REPEAT" ]; do
		bench -c "$c" -d "$DURATION" --warmup 2 $TLS --json \
		    --label "$SCENARIO $c clients run $i" "$SCENARIO" \
		    > "$OUT/scaling-$SCENARIO-$c-$i.json"
		i=$((i + 1))
	done
	files=$(ls "$OUT"/scaling-"$SCENARIO"-"$c"-*.json)
	echo "$c $(median_of '.roles[0].throughput' $files)" \
	    "$(median_of '.roles[0].latency.p50_ms' $files)" \
	    "$(median_of '.roles[0].latency.p99_ms' $files)" \
	    "$(median_of '.roles[0].latency.p999_ms' $files)" \
	    "$(median_of .server.window_cpu_pct $files)" >> "$dat"
done
cat "$dat"
