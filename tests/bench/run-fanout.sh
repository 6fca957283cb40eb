#!/bin/sh
# run-fanout.sh -- one STORE at the site layer reaching N NOTIFY contexts
# (every user's /email/~/ inherits from /email/site/ through its
# organisation).  Target: every context of the idle run notified within
# 1 s of the STORE.
#   N=19000 ROUNDS=5 REPEAT=3 sh tests/bench/run-fanout.sh
. "$(dirname "$0")/lib.sh"

N=${N:-19000}
ROUNDS=${ROUNDS:-5}
TLS=${TLS:---tls}

machine_info
provision
i=1
while [ "$i" -le "$REPEAT" ]; do
	bench -c "$N" --rounds "$ROUNDS" --interval 3 $TLS --json \
	    --label "fanout run $i" fanout > "$OUT/fanout-$i.json"
	i=$((i + 1))
done
files=$(ls "$OUT"/fanout-*.json)
say "fanout to $N contexts ($TLS): last context notified after" \
    "$(field '.fanout[].last_ms' $files | median) ms (median of" \
    "$ROUNDS rounds x $REPEAT runs; worst" \
    "$(field '.fanout[].last_ms' $files | sort -g | tail -1) ms);" \
    "p50 $(field '.fanout[].p50_ms' $files | median) ms;" \
    "notified $(field '.fanout[].notified' $files | median) of" \
    "$(field '.fanout[].contexts' $files | median);" \
    "STORE round trip $(field '.fanout[].store_ms' $files | median) ms"
