#!/bin/sh
# run-mixed.sh -- the 10-minute mixed run: N connections, MIX shares of
# idle (with NOTIFY contexts), setup clients (open loop, SETUP_RATE/s in
# all) and store clients (STORE_RATE/s), plus one fan-out STORE every
# FANOUT_EVERY seconds; acapd's memory is sampled every SAMPLE seconds.
# Target: memory flat (slope ~ 0 after warm-up).
#   N=19000 DURATION=600 sh tests/bench/run-mixed.sh
. "$(dirname "$0")/lib.sh"

N=${N:-19000}
DURATION=${DURATION:-600}
MIX=${MIX:-90:5:5}
SETUP_RATE=${SETUP_RATE:-1000}
STORE_RATE=${STORE_RATE:-50}
FANOUT_EVERY=${FANOUT_EVERY:-30}
SAMPLE=${SAMPLE:-10}
TLS=${TLS:---tls}

machine_info
provision
bench -c "$N" -d "$DURATION" --warmup 30 --mix "$MIX" \
    --rate "$SETUP_RATE" --store-rate "$STORE_RATE" \
    --interval "$FANOUT_EVERY" --sample "$SAMPLE" $TLS --json \
    --label "mixed" mixed > "$OUT/mixed.json"
f=$OUT/mixed.json
jq -r '.samples[] | "\(.t) \(.rss_kb) \(.cpu_s)"' "$f" > "$OUT/mixed-rss.dat"
say "mixed ($N connections, $MIX, $DURATION s, $TLS): RSS" \
    "$(jq -r '.samples[0].rss_kb / 1024 | floor' "$f") MiB at the" \
    "start, $(jq -r '.samples[-1].rss_kb / 1024 | floor' "$f") MiB at the" \
    "end, slope $(jq -r .rss_slope_kib_per_min "$f") KiB/min;" \
    "setup $(jq -r '.roles[1].throughput' "$f")/s p99" \
    "$(jq -r '.roles[1].latency.p99_ms' "$f") ms; store" \
    "$(jq -r '.roles[2].throughput' "$f")/s p99" \
    "$(jq -r '.roles[2].latency.p99_ms' "$f") ms; fan-outs: last" \
    "context after $(jq -r '[.fanout[].last_ms] | max' "$f") ms at" \
    "worst; lost connections $(jq -r .lost "$f")"
