#!/bin/sh
# run-http.sh -- autoconfig answers per second from acapd's HTTP listener
# (doc/discovery.md), over keep-alive HTTP and HTTPS: closed loop
# (capacity), then open loop at half the HTTP capacity (latency).
# Targets: >= 20000 answers/s on one core without TLS; p99 < 5 ms at half.
# Starts its own acapd (127.0.0.1, ephemeral ports, a throw-away state
# directory) with one organisation and domain; run from the build
# directory:
#   CONNS=4 DURATION=10 PIN=1 sh ../tests/bench/run-http.sh
set -eu
BUILD=${BUILD:-.}
CONNS=${CONNS:-4}
DURATION=${DURATION:-10}
PIN=${PIN:-1}
ACAPD=$BUILD/acapd/acapd
ACAPCTL=$BUILD/acapctl/acapctl
HB=$BUILD/tests/bench/http-bench
for f in "$ACAPD" "$ACAPCTL" "$HB"; do
	[ -x "$f" ] || { echo "$0: $f not built" >&2; exit 1; }
done
dir=$(mktemp -d /tmp/acapd-http-bench.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cat > "$dir/acapd.conf" <<CONF
listen 127.0.0.1:0
http_listen 127.0.0.1:0
https_listen 127.0.0.1:0
statedir $dir
portfile $dir/port
tls_generate yes
tls_cert cert.pem
tls_key key.pem
admins admin
log_level warning
CONF
# acapd on CPU 0, the clients on the others ("one core" for the server)
taskset=
if [ "$PIN" = 1 ] && command -v taskset >/dev/null &&
    [ "$(nproc)" -gt 1 ]; then
	taskset="taskset -c 0"
fi
$taskset "$ACAPD" -f "$dir/acapd.conf" > "$dir/log" 2>&1 &
pid=$!
n=0
while [ ! -s "$dir/port" ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
[ -s "$dir/port" ] || { cat "$dir/log"; exit 1; }
ap=$(awk 'NR == 1 { print $2 }' "$dir/port")
hp=$(awk '$3 == "http" { print $2 }' "$dir/port")
sp=$(awk '$3 == "https" { print $2 }' "$dir/port")
echo 'admin-bench-pw' > "$dir/pw"
chmod 600 "$dir/pw"
"$ACAPCTL" -s "$dir" user add --password-file "$dir/pw" --local-only admin \
    >/dev/null
ctl() {
	"$ACAPCTL" -H 127.0.0.1 -p "$ap" -u admin --password-file "$dir/pw" \
	    --cafile "$dir/cert.pem" "$@" >/dev/null
}
ctl org add acme --description 'Acme'
ctl set org acme mail email.server.IMAP imaps://imap.acme.example/
ctl set org acme mail personality.Server.SMTP smtp:smtp.acme.example:587
ctl raw 'STORE ("/vendor.acapd.domain/site/acme.example" "vendor.acapd.domain.org" "acme")'

clients=""
[ -n "$taskset" ] && clients="taskset -c 1-$(($(nproc) - 1))"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
    "acapd ${taskset:+pinned to CPU 0}"
url="/mail/config-v1.1.xml?emailaddress=someone%40acme.example"
# acapd's CPU time (utime + stime, clock ticks) around each run: the CPU
# cost per answer does not depend on what else the machine runs
ticks() { awk '{ print $14 + $15, $14 }' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
run() {
	t0=$(ticks)
	out=$($clients "$HB" "$@")
	t1=$(ticks)
	n=$(echo "$out" | sed -n 's/.*: \([0-9]*\) answers.*/\1/p')
	echo "$out"
	echo "  acapd CPU: $(echo "$t0 $t1" | awk -v n="$n" -v hz="$hz" \
	    '{ us = ($3 - $1) * 1e6 / hz / n; u = ($4 - $2) * 1e6 / hz / n;
	    printf "%.1f us per answer (%.1f user, %.1f system), i.e. " \
	    "%.0f answers/s per core", us, u, us - u, 1e6 / us }')"
}
run -p "$hp" -c "$CONNS" -d "$DURATION" --path "$url"
cap=$(echo "$out" | sed -n 's/.*= \([0-9]*\)\/s.*/\1/p')
run -p "$sp" -c "$CONNS" -d "$DURATION" --tls --path "$url"
run -p "$hp" -c "$CONNS" -d "$DURATION" --path "$url" --rate $((cap / 2))
