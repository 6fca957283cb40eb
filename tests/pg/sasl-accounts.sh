#!/bin/sh
# SASL accounts shared by every node (doc/scale-out.md, "Accounts across
# nodes"): "acapctl --sasl-sql URI user add" writes the account into
# PostgreSQL; two acapd nodes (each its own state directory, no sasldb)
# configured with "sasl_sql URI" both authenticate it with SCRAM-SHA-256,
# SCRAM-SHA-1 and PLAIN at the same time, refuse a wrong password; after
# "user passwd" both take only the new password, after "user del" neither
# takes it.  A bad sasl_sql URI stops acapd with a clear message.
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
export top_builddir top_srcdir
PG=$top_srcdir/tests/pg/pg-cluster.sh
ACAPCTL=${ACAPCTL:-$top_builddir/acapctl/acapctl}
SCRIPT=$top_builddir/tests/protocol/acap-script
me=sasl-accounts.sh
dir=$(mktemp -d /tmp/acapd-pgsasl.XXXXXX) || exit 1
work=$dir/work
trap 'sh "$PG" stop "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM
fail() { echo "$me: FAIL: $*" >&2; exit 1; }
[ -x "$SCRIPT" ] || fail "no $SCRIPT"
url=$(sh "$PG" start "$dir") || fail "no PostgreSQL cluster"
mkdir "$work" || exit 1
export ACAPCTL_CONFIG=/dev/null

ctl() { "$ACAPCTL" --sasl-sql "$url" "$@"; }

# node NAME EXPECTATION...: one acapd with the accounts in PostgreSQL;
# each expectation is "ok MECH PASS" or "no PASS" (PLAIN refused).
node() {
	n=$1
	shift
	f=$work/$n.acap
	{
		p() { printf '%s\n' "$*"; }
		p "config sasl_sql $url"
		for e in "$@"; do
			set -- $e
			p "connect"
			p "skip ^\\* ACAP"
			p "C: s STARTTLS"
			p "S: s OK \"Begin TLS negotiation now\""
			p "tls"
			p "skip ^\\* ACAP"
			if [ "$1" = ok ]; then
				p "sasl $2 bob $3"
				p "C: n NOOP"
				p "S: n OK \"NOOP completed\""
			else
				len=$((5 + ${#2}))
				p "C: a AUTHENTICATE \"PLAIN\" {$len+}"
				p "C: \\0bob\\0$2"
				p "S~ ^a NO \"[^\"]*\"\$"
			fi
			p "close"
		done
	} > "$f"
	"$SCRIPT" "$f" > "$work/$n.out" 2>&1
}

# Both nodes at once; each must pass.
two_nodes() {
	node A "$@" & a=$!
	node B "$@" & b=$!
	wait $a || { cat "$work/A.out" >&2; fail "node A: $*"; }
	wait $b || { cat "$work/B.out" >&2; fail "node B: $*"; }
}

echo 'first-pass-123' | ctl user add bob --password-stdin > "$work/add.out" 2>&1 ||
	{ cat "$work/add.out" >&2; fail "acapctl user add"; }
grep -q "created in PostgreSQL database acapd" "$work/add.out" ||
	fail "user add did not say where: $(cat "$work/add.out")"
[ "$(sh "$PG" psql "$dir" -tAc "SELECT count(*) FROM acapd_sasl WHERE username = 'bob'")" = 1 ] ||
	fail "no row for bob in acapd_sasl"
echo 'x' | ctl user add bob --password-stdin > "$work/dup.out" 2>&1 &&
	fail "a second user add bob succeeded"
grep -q 'already exists' "$work/dup.out" || fail "duplicate: $(cat "$work/dup.out")"
[ "$(ctl user list)" = "bob" ] || fail "user list: $(ctl user list)"

two_nodes "ok SCRAM-SHA-256 first-pass-123" "ok SCRAM-SHA-1 first-pass-123" \
	"ok PLAIN first-pass-123" "no wrong-pass-123"

echo 'second-pass-456' | ctl user passwd bob --password-stdin >/dev/null 2>&1 ||
	fail "acapctl user passwd"
two_nodes "ok SCRAM-SHA-256 second-pass-456" "ok PLAIN second-pass-456" \
	"no first-pass-123"

ctl user del bob >/dev/null 2>&1 || fail "acapctl user del"
ctl user del bob >/dev/null 2>&1 && fail "a second user del succeeded"
two_nodes "no second-pass-456"

# A URI the plugin cannot use: acapd says so and stops.
printf 'listen 127.0.0.1:0\nstatedir %s/bad\nsasl_sql postgresql:///x?connect_timeout=3\n' \
	"$work" > "$work/bad.conf"
out=$(timeout 20 "${ACAPD:-$top_builddir/acapd/acapd}" -d -f "$work/bad.conf" 2>&1) &&
	fail "acapd started with an unusable sasl_sql"
echo "$out" | grep -q 'sasl_sql: parameter "connect_timeout" is not supported' ||
	fail "no clear message for a bad sasl_sql: $out"
out=$("${ACAPD:-$top_builddir/acapd/acapd}" -t -f "$work/bad.conf" 2>&1) &&
	fail "acapd -t accepted an unusable sasl_sql"
echo "$out" | grep -q 'sasl_sql: parameter "connect_timeout"' ||
	fail "acapd -t: no clear message for a bad sasl_sql: $out"
echo "$me: ok"
