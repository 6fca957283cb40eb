#!/bin/sh
# run-pg-nodes.sh -- two PostgreSQL-backed acapd nodes under load at once
# (doc/scale-out.md, "Measured: two nodes"), on a throw-away cluster
# (tests/pg/pg-cluster.sh: fsync and synchronous_commit on):
#   * users and settings are provisioned once through an acapd on the
#     database (acap-bench provision, state directory A);
#   * node A (state directory A, its sasldb) and node B (state directory
#     B, sasl_sasldb pointing at A's, as tests/pg/nodes.py) are started
#     on the same database, each on an ephemeral port of 127.0.0.1;
#   * for the effective-settings SEARCH (acap-bench setup) and for durable
#     STOREs (acap-bench store), one run on node A alone with 2 x CLIENTS
#     clients (B running, replaying A's log), then two acap-bench
#     processes at the same time, CLIENTS clients on each node
#     (--connect, --server-pid): throughput per node and summed, p50/p99,
#     acapd CPU per request on each node, and for STOREs the share of
#     refused STOREs (NO (TRYLATER): a batch that lost the race on the
#     head row 8 times, doc/scale-out.md) with the first refusal's text.
#     A's clients store to .../bench-a, B's to .../bench-b of the same
#     user datasets: no entry is written from both nodes, the only
#     contention is the head row;
#   * afterwards both nodes must agree: as the admin, the same SEARCH of
#     every user's option dataset (entry, value, modtime) on A and on B
#     returns identical answers (B is given up to 10 s to catch up), and
#     they hold every entry the STORE runs wrote (bench-a of the first
#     2 x CLIENTS users, bench-b of the first CLIENTS).  A mismatch
#     fails the script (exit 1).
# REPEAT (lib.sh, default 3) rounds of the four runs; NUSERS users
# (default 2 x CLIENTS).
#   CLIENTS=32 DURATION=10 REPEAT=2 sh tests/bench/run-pg-nodes.sh
# Run from the build directory (or set BUILD); needs jq, python3 and
# PostgreSQL (tools/deps.sh).  The cluster, both acapd processes and the
# temporary directories are removed at the end, whatever happens.
. "$(dirname "$0")/lib.sh"

CLIENTS=${CLIENTS:-32}
DURATION=${DURATION:-10}
TLS=${TLS:---tls}
NUSERS=${NUSERS:-$((CLIENTS * 2))}
PG=$BENCH_SRC/../pg/pg-cluster.sh
ACAPD=${ACAPD:-$BUILD/acapd/acapd}
ADMIN=benchadmin
ADMIN_PASS=bench-admin-secret

[ -x "$ACAPD" ] || { echo "$0: $ACAPD not found" >&2; exit 1; }
tmp=$(mktemp -d /tmp/acapd-pgnodes.XXXXXX)
chmod 0755 "$tmp"
pgdir=$tmp/pg
mkdir "$pgdir"
pid_a= pid_b= ba= bb=
cleanup() {
	for p in $ba $bb $pid_a $pid_b; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	sh "$PG" stop "$pgdir" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
url=$(sh "$PG" start "$pgdir")

machine_info
{
	echo "uptime: $(uptime)"
	echo "shared machine: other jobs may run (see load average)"
} >> "$OUT/machine.txt"

# Users (A's sasldb) and settings (in PostgreSQL), once.
"$ACAP_BENCH" -u "$NUSERS" $TLS --statedir "$tmp/A" --keep \
    --config "database $url" provision

# node NAME [EXTRA-LINE]: start acapd on state directory $tmp/NAME;
# sets started_pid and started_port.
node() {
	d=$tmp/$1
	mkdir -p "$d"
	rm -f "$d/port"
	cat > "$d/acapd.conf" <<EOF
listen 127.0.0.1:0
statedir $d
portfile $d/port
tls_generate yes
tls_cert cert.pem
tls_key key.pem
allow_plaintext yes
auth_fail_delay_ms 0
seed_site no
log_level warning
admins $ADMIN
max_connections_per_ip $((CLIENTS * 2 + 64))
database $url
${2:-}
EOF
	"$ACAPD" -f "$d/acapd.conf" > "$d/log" 2>&1 &
	started_pid=$!
	i=0
	while [ ! -s "$d/port" ]; do
		i=$((i + 1))
		if [ "$i" -gt 300 ] || ! kill -0 "$started_pid" 2>/dev/null
		then
			echo "$0: node $1 did not start:" >&2
			cat "$d/log" >&2
			exit 1
		fi
		sleep 0.1
	done
	started_port=$(sed "s/.* //; s/.*://" "$d/port")
}
node A
pid_a=$started_pid port_a=$started_port
node B "sasl_sasldb $tmp/A/sasldb2"
pid_b=$started_pid port_b=$started_port
say "node A pid $pid_a port $port_a; node B pid $pid_b port $port_b;" \
    "$NUSERS users; $(uptime | sed 's/.*load/load/')"

# bench NODE SCENARIO CLIENTS LABEL [ARGS...]: acap-bench against a node.
bench_node() {
	_n=$1 _s=$2 _c=$3 _l=$4
	shift 4
	if [ "$_n" = A ]; then _p=$port_a _pid=$pid_a
	else _p=$port_b _pid=$pid_b; fi
	"$ACAP_BENCH" -u "$NUSERS" -c "$_c" -d "$DURATION" --warmup 3 \
	    $TLS $PIN_ARG --statedir "$tmp/A" --connect "$_p" \
	    --server-pid "$_pid" --json --label "$_l" "$@" "$_s"
}
store_a='STORE ("/option/user/{user}/bench-a" "option.bench.n" "{n}")'
store_b='STORE ("/option/user/{user}/bench-b" "option.bench.n" "{n}")'

# report FILE WHAT: one line of figures of one acap-bench run.
report() {
	jq -r --arg w "$2" '"\($w): \(.roles[0].throughput | floor)/s" +
	    " (\(.roles[0].completed) answers, \(.roles[0].errors) refused" +
	    " = \(if .roles[0].completed > 0 then (1000 *
	    .roles[0].errors / .roles[0].completed | floor) / 10 else 0
	    end)%), p50 \(.roles[0].latency.p50_ms) ms, p99" +
	    " \(.roles[0].latency.p99_ms) ms, acapd" +
	    " \(.server_cpu_us_per_request // "?" | tostring |
	    .[0:6]) us CPU per request" +
	    (if .first_error != null and .first_error != "" then
	    "; first refusal: \(.first_error)" else "" end)' "$1" |
	    tee -a "$OUT/summary.txt"
}

i=1
while [ "$i" -le "$REPEAT" ]; do
	for s in setup store; do
		# one node alone, the clients of both
		if [ "$s" = store ]; then set -- --store "$store_a"
		else set --; fi
		bench_node A "$s" $((CLIENTS * 2)) "pg one node $s $i" "$@" \
		    > "$OUT/one-$s-$i.json"
		report "$OUT/one-$s-$i.json" \
		    "run $i $s, node A alone, $((CLIENTS * 2)) clients"
		# both nodes at once
		if [ "$s" = store ]; then set -- --store "$store_a"
		else set --; fi
		bench_node A "$s" "$CLIENTS" "pg two nodes $s A $i" "$@" \
		    > "$OUT/two-$s-A-$i.json" &
		ba=$!
		if [ "$s" = store ]; then set -- --store "$store_b"
		else set --; fi
		bench_node B "$s" "$CLIENTS" "pg two nodes $s B $i" "$@" \
		    > "$OUT/two-$s-B-$i.json" &
		bb=$!
		wait "$ba" || { echo "$0: acap-bench on A failed" >&2; exit 1; }
		wait "$bb" || { echo "$0: acap-bench on B failed" >&2; exit 1; }
		ba= bb=
		for n in A B; do
			report "$OUT/two-$s-$n-$i.json" \
			    "run $i $s, two nodes, node $n, $CLIENTS clients"
		done
		jq -s -r --arg w "run $i $s, two nodes summed" \
		    '"\($w): \(map(.roles[0].throughput) | add | floor)/s" +
		    " (refused \(map(.roles[0].errors) | add) of" +
		    " \(map(.roles[0].completed) | add))"' \
		    "$OUT/two-$s-A-$i.json" "$OUT/two-$s-B-$i.json" |
		    tee -a "$OUT/summary.txt"
	done
	i=$((i + 1))
done

# Both nodes must hold the same state, and every STORE run is in it.
python3 - "$BENCH_SRC/../reliability" "$port_a" "$port_b" "$ADMIN" \
    "$ADMIN_PASS" "$NUSERS" "$CLIENTS" <<'PY' | tee -a "$OUT/summary.txt"
import re, sys, time
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
import acaprel
pa, pb, admin, pw, nusers, clients = (
    int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5],
    int(sys.argv[6]), int(sys.argv[7]))
Q = ('SEARCH "/option/user/" DEPTH 2 RETURN ("entry" "option.bench.n" '
     '"modtime") NOT EQUAL "entry" "i;octet" ""')

def state(port):
    c = acaprel.Client(port, timeout=30.0)
    if not re.match(rb"t\d+ OK", c.login(admin, pw)):
        sys.exit("cannot log in as %s on port %d" % (admin, port))
    data, final = c.command(Q, timeout=30.0)
    if not re.match(rb"t\d+ OK", final):
        sys.exit("SEARCH on port %d: %r" % (port, final))
    c.close()
    return sorted(data)

deadline = time.monotonic() + 10
while True:
    a, b = state(pa), state(pb)
    if a == b or time.monotonic() > deadline:
        break
    time.sleep(0.5)
if a != b:
    print("DIVERGED: node A %d entries, node B %d; first difference: %r"
          % (len(a), len(b), next(((x, y) for x, y in zip(a, b) if x != y),
                                  None)))
    sys.exit(1)
# Connection k logs in as user k % nusers + 1: A's 2 x clients (alone)
# wrote bench-a, B's clients bench-b; every one must be there.
want_a, want_b = min(2 * clients, nusers), min(clients, nusers)
na = sum(1 for l in a if re.search(rb'/bench-a" ', l))
nb = sum(1 for l in a if re.search(rb'/bench-b" ', l))
if na != want_a or nb != want_b:
    print("MISSING: %d bench-a entries (want %d), %d bench-b (want %d)"
          % (na, want_a, nb, want_b))
    sys.exit(1)
stored = na + nb
print("consistency: nodes A and B return the same %d entries (entry, "
      "value, modtime) for %d users' option datasets, %d of them "
      "written by the runs" % (len(a), nusers, stored))
PY
[ "$(tail -1 "$OUT/summary.txt" | cut -c1-12)" = "consistency:" ] ||
	{ echo "$0: consistency check failed" >&2; exit 1; }
for p in $pid_a $pid_b; do
	[ -r "/proc/$p/stat" ] || { echo "$0: a node died" >&2; exit 1; }
done
say "results in $OUT; $(uptime | sed 's/.*load/load/')"
