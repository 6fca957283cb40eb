#!/bin/sh
# acapd -t: a valid file passes; each kind of mistake is reported with the
# file, line and option, and a non-zero exit (acapd(8), acapd.conf(5)).
set -u
ACAPD=${ACAPD:-$top_builddir/acapd/acapd}
dir=$(mktemp -d /tmp/acapd-conf.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cat > "$dir/good.conf" <<CONF
# comment
listen 127.0.0.1:1674 [::1]:1674
statedir $dir/state
idle_timeout 1800
quota 5m
require_tls yes
CONF
out=$("$ACAPD" -t -f "$dir/good.conf" 2>&1) || fail "valid file rejected: $out"
echo "$out" | grep -q "is valid" || fail "no confirmation: $out"

check_bad() {	# content, expected message fragment
	printf '%s\n' "$1" > "$dir/bad.conf"
	out=$("$ACAPD" -t -f "$dir/bad.conf" 2>&1) && fail "accepted: $1"
	echo "$out" | grep -qF -- "$2" || fail "for '$1' expected '$2', got: $out"
}
check_bad "frobnicate yes" "bad.conf:1: unknown option \"frobnicate\""
check_bad "idle_timeout 60" "idle_timeout: 60 is outside 1800"
check_bad "tcp_keepalive maybe" "tcp_keepalive: \"maybe\" is not yes or no"
check_bad "max_line lots" "max_line: \"lots\" is not a number"
check_bad "log_level chatty" "log_level"
# max_line: 0 (no bound of its own, the default) or 1024 and more
check_bad "max_line 1000" "max_line: 1000 is outside 1024"
out=$("$ACAPD" -t -f "$dir/good.conf" -o max_line=0 2>&1) || fail "max_line 0 refused: $out"
check_bad "tls_cert /x.pem" "tls_cert and tls_key go together"
printf '#\n#\nquota -1\n' > "$dir/bad.conf"
out=$("$ACAPD" -t -f "$dir/bad.conf" 2>&1) && fail "negative quota accepted"
echo "$out" | grep -q "bad.conf:3:" || fail "line number missing: $out"

# -o overrides and a missing explicit file
out=$("$ACAPD" -t -f "$dir/good.conf" -o idle_timeout=5 2>&1) && fail "-o not checked"
echo "$out" | grep -q "idle_timeout" || fail "-o message: $out"
"$ACAPD" -t -f "$dir/missing.conf" >/dev/null 2>&1 && fail "missing file accepted"
"$ACAPD" -V | grep -q "^acapd " || fail "-V"
"$ACAPD" -Z >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad flag must exit 2"
echo "config-check: ok"
