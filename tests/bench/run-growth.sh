#!/bin/sh
# run-growth.sh -- how the cost of the set-up SEARCH grows with the number
# of attributes, the inheritance depth and the number of users: closed
# loop, CLIENTS clients, no TLS (its cost per request is constant), one
# small instance per data shape under $GROWTH_STATE.  Prints, per shape,
# the median throughput, p50/p99 and acapd CPU per SEARCH.
#   CLIENTS=8 DURATION=10 REPEAT=3 sh tests/bench/run-growth.sh
. "$(dirname "$0")/lib.sh"

CLIENTS=${CLIENTS:-8}
DURATION=${DURATION:-10}
SMALL=${SMALL:-2000}
GROWTH_STATE=${GROWTH_STATE:-/tmp/acap-bench-growth}
ATTRS_LIST=${ATTRS_LIST:-0 8 64 256}
DEPTH_LIST=${DEPTH_LIST:-1 2 4 8}

machine_info
mkdir -p "$GROWTH_STATE"
dat=$OUT/growth.dat
echo "# shape users attrs depth rps p50_ms p99_ms cpu_us_per_search" \
    "bytes_per_response (median of $REPEAT, $CLIENTS clients, no TLS)" \
    > "$dat"

# one shape: NAME USERS ATTRS DEPTH
shape() {
	_name=$1 _users=$2 _attrs=$3 _depth=$4
	_st=$GROWTH_STATE/$_name
	[ "$_users" = "$USERS" ] && [ "$_attrs" = 8 ] && [ "$_depth" = 1 ] &&
	    _st=$STATE
	i=1
	while [ "$i" -le "$REPEAT" ]; do
		"$ACAP_BENCH" -u "$_users" --attrs "$_attrs" --depth "$_depth" \
		    --statedir "$_st" $PIN_ARG -c "$CLIENTS" -d "$DURATION" \
		    --warmup 2 --no-tls --json --label "growth $_name run $i" \
		    setup > "$OUT/growth-$_name-$i.json"
		i=$((i + 1))
	done
	_f=$(ls "$OUT"/growth-"$_name"-*.json)
	echo "$_name $_users $_attrs $_depth" \
	    "$(median_of '.roles[0].throughput' $_f)" \
	    "$(median_of '.roles[0].latency.p50_ms' $_f)" \
	    "$(median_of '.roles[0].latency.p99_ms' $_f)" \
	    "$(median_of .server_cpu_us_per_request $_f)" \
	    "$(median_of '.roles[0].bytes_in / .roles[0].completed | floor' \
	    $_f)" >> "$dat"
}

for a in $ATTRS_LIST; do
	shape "attrs$a" "$SMALL" "$a" 1
done
for d in $DEPTH_LIST; do
	[ "$d" = 1 ] && continue	# same as attrs8
	shape "depth$d" "$SMALL" 8 "$d"
done
shape "users$USERS" "$USERS" 8 1
cat "$dat" | tee -a "$OUT/summary.txt"
