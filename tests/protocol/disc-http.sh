#!/bin/sh
# Discovery over acapd's HTTP listener (doc/discovery.md): every endpoint
# parsed by real parsers (tests/protocol/disc-check.py), live change,
# privacy (known and unknown address answers identical, compared with
# cmp), per-user answers only on the organisation's opt-in or HTTP Basic
# over TLS, bounds (414, 431, 413, timeout, per-address cap) with ACAP
# still answering.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"
CHECK="python3 ${top_srcdir:-.}/tests/protocol/disc-check.py"

ctl_start "http_listen 127.0.0.1:0" "https_listen 127.0.0.1:0" \
    "http_timeout 2" "http_max_connections_per_ip 6"
ctl_admin
HP=$(awk '$3 == "http" { print $2 }' "$CTL_DIR/port")
SP=$(awk '$3 == "https" { print $2 }' "$CTL_DIR/port")
[ -n "$HP" ] && [ -n "$SP" ] || fail "no http/https line in the port file"

# an organisation with a mail domain; two users, one homed elsewhere
ok org add acme --description 'Acme & Co <test>' --domain acme.example
ok set org acme mail email.server.IMAP imaps://imap.acme.example/
ok set org acme mail personality.Server.SMTP smtp:smtp.acme.example:587
for u in ann bob; do
	printf '%s-secret-pw\n' "$u" | "$ACAPCTL" -s "$CTL_DIR" user add \
	    --password-stdin --local-only "$u" >/dev/null 2>&1 ||
	    fail "sasl account $u"
	ok user add "$u" --org acme --no-account --address "$u@acme.example"
done
ok set user ann mail email.server.IMAP imaps://ann-store.acme.example/
ok set user ann mail personality.Real-Name 'Ann Example'

$CHECK endpoints "$HP" "$SP" "$CTL_DIR/cert.pem" || fail "endpoints"

# privacy: a known and an unknown address get the same octets
$CHECK fetch "$HP" '/mail/config-v1.1.xml?emailaddress=ann@acme.example' \
    "$CTL_DIR/known.xml" || fail "fetch known"
$CHECK fetch "$HP" '/mail/config-v1.1.xml?emailaddress=nobody@acme.example' \
    "$CTL_DIR/unknown.xml" || fail "fetch unknown"
cmp "$CTL_DIR/known.xml" "$CTL_DIR/unknown.xml" ||
    fail "autoconfig differs for a known and an unknown address"
grep -q ann-store "$CTL_DIR/known.xml" && fail "per-user value leaked"
$CHECK fetch-ad "$HP" ann@acme.example "$CTL_DIR/known-ad.xml" ||
    fail "fetch-ad known"
$CHECK fetch-ad "$HP" nobody@acme.example "$CTL_DIR/unknown-ad.xml" ||
    fail "fetch-ad unknown"
cmp "$CTL_DIR/known-ad.xml" "$CTL_DIR/unknown-ad.xml" ||
    fail "Autodiscover differs for a known and an unknown address"

# per-user answers with HTTP Basic over TLS only
$CHECK auth "$HP" "$SP" "$CTL_DIR/cert.pem" ann ann-secret-pw \
    ann@acme.example bob@acme.example || fail "auth"

# live change: the org's IMAP host, changed with acapctl, in the next answer
ok set org acme mail email.server.IMAP imaps://imap2.acme.example/
h=$($CHECK imap-host "$HP" nobody@acme.example) || fail "imap-host"
[ "$h" = imap2.acme.example ] || fail "live change not seen: $h"

# the organisation opts in to per-user answers
ok org discovery acme user
h=$($CHECK imap-host "$HP" ann@acme.example) || fail "imap-host ann"
[ "$h" = ann-store.acme.example ] || fail "opt-in: ann gets $h"
h=$($CHECK imap-host "$HP" nobody@acme.example) || fail "imap-host nobody"
[ "$h" = imap2.acme.example ] || fail "opt-in: unknown address gets $h"

# a domain of the site itself answers from the site layer; a domain that
# is dropped is unknown at once
ok set site mail email.server.IMAP imap://imap.site.example/
ok set site mail personality.Server.SMTP submission://smtp.site.example
ok site domain add site.example
h=$($CHECK imap-host "$HP" someone@site.example) || fail "site domain"
[ "$h" = imap.site.example ] || fail "site domain gets $h"
ok org domain del acme acme.example
$CHECK fetch "$HP" '/mail/config-v1.1.xml?emailaddress=ann@acme.example' \
    "$CTL_DIR/gone.xml" 2>/dev/null && fail "a dropped domain still answers"

# bounds; ACAP clients are not affected
$CHECK limits "$HP" || fail "limits"
$CHECK timeout "$HP" 2 || fail "timeout"
$CHECK cap "$HP" 6 || fail "per-address cap"
ok info
kill -0 "$CTL_PID" || fail "acapd died"
exit 0
