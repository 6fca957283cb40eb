#!/bin/sh
# One-time enrol URLs (doc/discovery.md "Devices"): "device url" and
# "device enrol --url" print https://HOST:PORT/enrol/<token>; acapd serves
# the device's signed profile once (deleting the token before it
# answers), a second fetch and an expired or unknown token get the same
# 404, two racing fetches get one profile; only the token's hash is
# stored, in a registry users cannot read.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"
command -v python3 >/dev/null 2>&1 || fail "no python3 (tools/deps.sh)"

ctl_start "http_listen 127.0.0.1:0" "https_listen 127.0.0.1:0"
ctl_admin
D=$CTL_DIR
SP=$(awk '$3 == "https" { print $2 }' "$D/port")
[ -n "$SP" ] || fail "no https line in the port file"
BASE=https://127.0.0.1:$SP

ok org add acme --domain acme.example
ok user add bob --org acme
ok set org acme mail email.server.IMAP imaps://imap.acme.example/
ok set org acme mail --class personality personality.Server.SMTP \
    submission:smtp.acme.example:587
ok device enrol bob --id phone

# no base: a clear usage error, nothing stored
status 2 device url phone
has 'enrol-url'
status 2 --enrol-url "$BASE" device url phone --ttl 0
has -- '--ttl'
status 2 --enrol-url "$BASE" device url phone --format pdf
status 1 --enrol-url "$BASE" device url nosuch
has 'no device "nosuch"'

fetch() {	# fetch URL FILE: prints the HTTP status; headers in FILE.h
	python3 - "$1" "$2" <<'PY'
import ssl, sys, urllib.request, urllib.error
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
try:
    r = urllib.request.urlopen(sys.argv[1], context=ctx, timeout=20)
except urllib.error.HTTPError as e:
    r = e
open(sys.argv[2], 'wb').write(r.read())
open(sys.argv[2] + '.h', 'w').write(''.join(
    '%s: %s\n' % kv for kv in r.headers.items()))
print(r.status if hasattr(r, 'status') else r.code)
PY
}

ok --enrol-url "$BASE/" device url phone
URL=$(printf '%s\n' "$CTL_OUT" | grep -E '^https://')
case $URL in
"$BASE/enrol/"???????????????????????????????????????????) ;;
*) fail "enrol URL \"$URL\"" ;;
esac
TOKEN=${URL##*/}
# only the hash is stored
ok raw 'SEARCH "/vendor.acapd.enrol/site/" RETURN ("*") ALL'
hasnt "$TOKEN"
HASH=$(printf '%s' "$TOKEN" | openssl dgst -sha256 -r | cut -d' ' -f1)
has "ENTRY \"$HASH\""
has '"vendor.acapd.enrol.device" "phone"'
# a user reads none of it
printf 'bob-secret-pw\n' | "$ACAPCTL" -s "$D" user add --password-stdin \
    bob >/dev/null 2>&1 || fail "account bob"
printf 'bob-secret-pw\n' > "$D/bob.pw"
chmod 600 "$D/bob.pw"
CTL_USER=bob
status 1 raw 'SEARCH "/vendor.acapd.enrol/site/" RETURN ("*") ALL'
has 'NOEXIST'
hasnt "$HASH"
CTL_USER=admin

# a HEAD (a link checker) does not use it up
python3 - "$URL" <<'PY' || fail "HEAD"
import ssl, sys, urllib.request, urllib.error
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
try:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1],
        method='HEAD'), context=ctx, timeout=20)
    sys.exit(1)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 405 else 1)
PY
# served once: a signed profile of the device
code=$(fetch "$URL" "$D/p1")
[ "$code" = 200 ] || fail "first fetch: $code"
grep -qi '^content-type: application/x-apple-aspen-config' "$D/p1.h" ||
    fail "content type"
openssl cms -verify -inform DER -in "$D/p1" -CAfile "$D/cert.pem" \
    -purpose any -out "$D/p1.plist" 2>"$D/v.err" ||
    { cat "$D/v.err" >&2; fail "cms verify"; }
# the same profile acapctl writes for the device (same instance name)
ok --enrol-url "$BASE" device profile phone --unsigned \
    --output "$D/ctl.plist"
python3 - "$D/p1.plist" "$D/ctl.plist" <<'PY' || fail "served profile"
import plistlib, sys
a, b = (plistlib.load(open(f, 'rb')) for f in sys.argv[1:])
m = a['PayloadContent'][0]
assert m['IncomingMailServerHostName'] == 'imap.acme.example', m
assert m['IncomingMailServerPortNumber'] == 993
assert m['OutgoingMailServerPortNumber'] == 587
assert m['EmailAddress'] == 'bob@acme.example'
assert a == b, (a, b)
PY
# the entry went before the answer; a second fetch is a 404
ok raw 'SEARCH "/vendor.acapd.enrol/site/" RETURN ("*") ALL'
hasnt "$HASH"
code=$(fetch "$URL" "$D/p2")
[ "$code" = 404 ] || fail "second fetch: $code"
cp "$D/p2" "$D/used.body"

# expired: the same 404, byte for byte
ok --enrol-url "$BASE" device url phone --ttl 1
EXP=$(printf '%s\n' "$CTL_OUT" | grep -E '^https://')
sleep 2
code=$(fetch "$EXP" "$D/p3")
[ "$code" = 404 ] || fail "expired fetch: $code"
cmp -s "$D/p3" "$D/used.body" || fail "expired and used answers differ"
# unknown and malformed tokens too
code=$(fetch "$BASE/enrol/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$D/p4")
[ "$code" = 404 ] || fail "unknown token: $code"
cmp -s "$D/p4" "$D/used.body" || fail "unknown and used answers differ"
code=$(fetch "$BASE/enrol/short" "$D/p5")
[ "$code" = 404 ] || fail "malformed token: $code"

# two racing fetches: one profile, one 404
ok --enrol-url "$BASE" device url phone --format json
RACE=$(printf '%s\n' "$CTL_OUT" | grep -E '^https://')
fetch "$RACE" "$D/r1" > "$D/r1.code" &
p1=$!
fetch "$RACE" "$D/r2" > "$D/r2.code" &
p2=$!
wait "$p1" "$p2"	# not acapd
codes=$(cat "$D/r1.code" "$D/r2.code" | sort | tr '\n' ' ')
[ "$codes" = "200 404 " ] || fail "racing fetches: $codes"

# enrol --url: a new device and its link at once (JSON format)
ok --enrol-url "$BASE" device enrol bob --id tablet --url --format json
has '^tablet$'
TURL=$(printf '%s\n' "$CTL_OUT" | grep -E '^https://')
code=$(fetch "$TURL" "$D/t1")
[ "$code" = 200 ] || fail "tablet fetch: $code"
python3 - "$D/t1" <<'PY' || fail "tablet json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j['device'] == 'tablet' and j['imap']['host'] == 'imap.acme.example'
PY
status 2 device enrol bob --id x2 --ttl 5
has -- '--url'
exit 0
