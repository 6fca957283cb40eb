#!/bin/sh
# Device profiles (doc/discovery.md): "device profile" writes a device's
# mail account from its effective settings as a signed Apple
# configuration profile (parsed with plistlib, verified with openssl cms),
# Mozilla autoconfig or JSON; identifiers are stable per device and differ
# between devices; a clone's profile carries the source's settings; "dns"
# prints the SRV records of a domain from its organisation's settings.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"
command -v python3 >/dev/null 2>&1 || fail "no python3 (tools/deps.sh)"
command -v openssl >/dev/null 2>&1 || fail "no openssl (tools/deps.sh)"

ctl_start
ctl_admin
D=$CTL_DIR

ok org add acme --domain acme.example --description 'Acme & <Co>'
ok site domain add site.example
ok user add bob --org acme
ok user add sam
# the site: STARTTLS IMAP, implicit-TLS submission
ok set site mail email.server.IMAP imap://imap.site.example:143/
ok set site mail email.personality /personality/~/mail
ok set site mail vendor.acapd.tls starttls-required
ok set site mail --class personality personality.Server.SMTP \
    smtps:smtp.site.example:465
ok set site mail --class personality vendor.acapd.tls implicit
# acme: implicit-TLS IMAP, STARTTLS submission
ok set org acme mail email.server.IMAP imaps://imap.acme.example/
ok set org acme mail --class personality personality.Server.SMTP \
    submission:smtp.acme.example:587
ok set org acme mail --class personality vendor.acapd.tls \
    starttls-required
ok device enrol bob --id phone
ok device enrol bob --id tablet
ok set device phone mail --class personality personality.Real-Name \
    'Bob "B" <&> Smith'

# unsigned plist: parsed by a real parser, values as the settings say
ok device profile phone --unsigned --output "$D/phone.plist"
has 'written to'
python3 - "$D/phone.plist" <<'PY' || fail "plist content"
import plistlib, sys
p = plistlib.load(open(sys.argv[1], 'rb'))
assert p['PayloadType'] == 'Configuration', p
assert p['PayloadOrganization'] == 'Acme & <Co>', p
m = p['PayloadContent'][0]
want = {
    'PayloadType': 'com.apple.mail.managed',
    'EmailAccountType': 'EmailTypeIMAP',
    'EmailAddress': 'bob@acme.example',
    'EmailAccountName': 'Bob "B" <&> Smith',
    'IncomingMailServerHostName': 'imap.acme.example',
    'IncomingMailServerPortNumber': 993,
    'IncomingMailServerUseSSL': True,
    'IncomingMailServerUsername': 'bob',
    'OutgoingMailServerHostName': 'smtp.acme.example',
    'OutgoingMailServerPortNumber': 587,
    'OutgoingMailServerUseSSL': True,
}
for k, v in want.items():
    assert m.get(k) == v, (k, m.get(k), v)
assert m['PayloadUUID'] != p['PayloadUUID']
PY
# the same as "show --effective" says
ok --json show device phone mail --effective
has '"email.server.IMAP":\{"value":"imaps://imap.acme.example/"'

# signed: CMS SignedData over the same plist, verified against the
# instance certificate
ok -s "$D" device profile phone --output "$D/phone.mobileconfig"
has 'signed'
openssl cms -verify -inform DER -in "$D/phone.mobileconfig" \
    -CAfile "$D/cert.pem" -purpose any -out "$D/phone.content" \
    2>"$D/verify.err" || { cat "$D/verify.err" >&2; fail "cms verify"; }
cmp -s "$D/phone.content" "$D/phone.plist" ||
    fail "signed content differs from the unsigned profile"
openssl cms -cmsout -print -inform DER -in "$D/phone.mobileconfig" \
    > "$D/cms.txt" 2>&1 || fail "cms print"
grep -q 'pkcs7-signedData' "$D/cms.txt" || fail "not SignedData"
# a tampered profile does not verify
python3 -c "
import sys; b = bytearray(open('$D/phone.mobileconfig','rb').read())
i = b.find(b'imap.acme.example'); b[i] ^= 1
open('$D/bad.mobileconfig','wb').write(b)"
if openssl cms -verify -inform DER -in "$D/bad.mobileconfig" \
    -CAfile "$D/cert.pem" -purpose any -out /dev/null 2>/dev/null; then
	fail "a tampered profile verified"
fi
# without a signing key: a clear usage error
status 2 device profile phone --output "$D/x"
has 'no signing certificate'
status 1 device profile phone --cert "$D/cert.pem" --key "$D/nokey.pem" \
    --output "$D/x"
has 'nokey.pem'

# stable identifiers per device, different between devices
ok device profile phone --unsigned --output "$D/phone2.plist"
ok device profile tablet --unsigned --output "$D/tablet.plist"
python3 - "$D/phone.plist" "$D/phone2.plist" "$D/tablet.plist" <<'PY' ||
import plistlib, sys
a, b, c = (plistlib.load(open(f, 'rb')) for f in sys.argv[1:])
for k in ('PayloadUUID', 'PayloadIdentifier'):
    assert a[k] == b[k], k
    assert a[k] != c[k], k
    assert a['PayloadContent'][0][k] == b['PayloadContent'][0][k], k
    assert a['PayloadContent'][0][k] != c['PayloadContent'][0][k], k
PY
    fail "identifiers"

# a clone's profile carries the source's settings
ok device clone phone clone1
ok device profile clone1 --unsigned --output "$D/clone1.plist"
python3 - "$D/phone.plist" "$D/clone1.plist" <<'PY' || fail "clone"
import plistlib, sys
a, b = (plistlib.load(open(f, 'rb')) for f in sys.argv[1:])
strip = lambda d: {k: v for k, v in d.items() if not k.startswith('Payload')}
assert strip(a['PayloadContent'][0]) == strip(b['PayloadContent'][0])
assert a['PayloadContent'][0]['EmailAccountName'] == 'Bob "B" <&> Smith'
assert a['PayloadUUID'] != b['PayloadUUID']
PY

# autoconfig and JSON of the same device
ok device profile phone --format autoconfig --output "$D/phone.xml"
xmllint --noout "$D/phone.xml" || fail "autoconfig XML"
grep -q '<hostname>imap.acme.example</hostname>' "$D/phone.xml" ||
    fail "autoconfig host"
ok device profile phone --format json --output "$D/phone.json"
python3 - "$D/phone.json" <<'PY' || fail "json profile"
import json, sys
j = json.load(open(sys.argv[1]))
assert j['imap'] == {'host': 'imap.acme.example', 'port': 993,
    'socket': 'SSL', 'login': None, 'auth': None}, j['imap']
assert j['smtp']['socket'] == 'STARTTLS' and j['smtp']['port'] == 587
assert j['email'] == 'bob@acme.example' and j['device'] == 'phone'
PY
# bad input
status 2 device profile phone --format pdf
has 'expected mobileconfig, autoconfig or json'
status 1 device profile nosuch --unsigned
has 'no device "nosuch"'
status 2 device profile ../x --unsigned

# dns: fields of the records, from each domain's layer
ok dns acme.example --http-host web.example.net --acap-host acap.example.net
python3 - <<PY || fail "dns acme"
out = '''$CTL_OUT'''
recs = {}
for line in out.splitlines():
    if not line or line[0] in ';\$':
        continue
    f = line.split()
    recs[f[0]] = f
assert recs['_imaps._tcp.acme.example.'][1:] == \
    ['3600', 'IN', 'SRV', '0', '1', '993', 'imap.acme.example.'], recs
assert recs['_submission._tcp.acme.example.'][3:] == \
    ['SRV', '0', '1', '587', 'smtp.acme.example.'], recs
# the other socket type of each pair: not offered (RFC 6186 §3.4)
assert recs['_imap._tcp.acme.example.'][3:] == ['SRV', '0', '0', '0', '.']
assert recs['_submissions._tcp.acme.example.'][3:] == \
    ['SRV', '0', '0', '0', '.']
assert recs['_autodiscover._tcp.acme.example.'][3:] == \
    ['SRV', '0', '0', '443', 'web.example.net.']
assert recs['_acap._tcp.acme.example.'][3:6] == ['SRV', '0', '1']
assert recs['_acap._tcp.acme.example.'][7] == 'acap.example.net.'
assert recs['autoconfig.acme.example.'][3:] == ['CNAME', 'web.example.net.']
assert recs['autodiscover.acme.example.'][3:] == ['CNAME', 'web.example.net.']
PY
ok dns Site.Example --ttl 300
python3 - <<PY || fail "dns site"
out = '''$CTL_OUT'''
recs = {l.split()[0]: l.split() for l in out.splitlines()
        if l and l[0] not in ';\$'}
assert recs['_imap._tcp.site.example.'][1:] == \
    ['300', 'IN', 'SRV', '0', '1', '143', 'imap.site.example.'], recs
assert recs['_submissions._tcp.site.example.'][1:] == \
    ['300', 'IN', 'SRV', '0', '1', '465', 'smtp.site.example.'], recs
assert recs['_imaps._tcp.site.example.'][4:] == ['0', '0', '0', '.']
assert recs['_submission._tcp.site.example.'][4:] == ['0', '0', '0', '.']
PY
status 1 dns unknown.example
has 'unknown domain unknown.example'
status 2 dns 'not a domain'
has 'domain "not a domain"'
status 2 dns acme.example --ttl -5
exit 0
