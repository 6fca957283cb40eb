#!/bin/sh
# run-redis.sh -- the reference point for run-setup.sh: a throw-away
# redis-server on 127.0.0.1 (no persistence), redis-benchmark -t get with
# the same number of clients, one request in flight each.  Prints the
# median requests/s of REPEAT runs.
#   CLIENTS=64 REQUESTS=1000000 REPEAT=3 sh tests/bench/run-redis.sh
set -eu
CLIENTS=${CLIENTS:-64}
REQUESTS=${REQUESTS:-1000000}
REPEAT=${REPEAT:-3}
PORT=${REDIS_PORT:-$((20000 + $$ % 20000))}

dir=$(mktemp -d /tmp/acap-bench-redis.XXXXXX)
redis-server --bind 127.0.0.1 --port "$PORT" --save "" \
    --appendonly no --dir "$dir" --daemonize no \
    > "$dir/redis.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
i=0
while ! redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -gt 100 ] && { echo "redis-server did not start" >&2; exit 1; }
	sleep 0.1
done
i=1
while [ "$i" -le "$REPEAT" ]; do
	redis-benchmark -h 127.0.0.1 -p "$PORT" -t get -c "$CLIENTS" \
	    -n "$REQUESTS" -P 1 --csv 2>/dev/null | \
	    awk -F, '/GET/ { gsub(/"/, "", $2); print $2 }'
	i=$((i + 1))
done | sort -g | awk '{ v[NR] = $1 }
    END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
