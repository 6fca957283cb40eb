#!/bin/sh
# run-idle.sh -- memory per idle connection: N authenticated connections,
# each with a NOTIFY context, held HOLD seconds; with and without TLS, and
# (DECOMPOSE=1) without the context too, to separate the costs.
# Target (issue "Performance"): ~19000 connections, < 8 KiB of acapd
# memory per connection without TLS and < 16 KiB with TLS.
#   N=19000 HOLD=30 REPEAT=3 sh tests/bench/run-idle.sh
. "$(dirname "$0")/lib.sh"

N=${N:-19000}
HOLD=${HOLD:-30}
DECOMPOSE=${DECOMPOSE:-1}

machine_info
provision
variants="tls-context notls-context"
[ "$DECOMPOSE" = 1 ] && variants="$variants tls-nocontext notls-nocontext"
for v in $variants; do
	case $v in
	tls-*) t=--tls ;;
	*) t=--no-tls ;;
	esac
	case $v in
	*-nocontext) c=--no-context ;;
	*) c=--context ;;
	esac
	i=1
	while [ "$i" -le "$REPEAT" ]; do
		bench -c "$N" --hold "$HOLD" $t $c --json \
		    --label "idle $v run $i" idle > "$OUT/idle-$v-$i.json"
		i=$((i + 1))
	done
	files=$(ls "$OUT"/idle-$v-*.json)
	say "idle $v: $(median_of .setup.ready $files) of $N ready," \
	    "$(median_of .idle.closed_by_server $files) closed by acapd" \
	    "during the hold;" \
	    "acapd $(median_of .idle.rss_kib_per_conn $files) KiB RSS" \
	    "per connection (median of $REPEAT; anon" \
	    "$(median_of .idle.anon_kib_per_conn $files) KiB);" \
	    "set-up $(median_of .setup.seconds $files) s," \
	    "acapd set-up CPU $(median_of '.server.setup_cpu_s' $files) s;" \
	    "kernel slab $(median_of .idle.kernel_slab_kib_per_conn $files)" \
	    "KiB per connection (both ends)"
done
