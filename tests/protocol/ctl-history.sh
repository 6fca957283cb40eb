#!/bin/sh
# acapctl history: the audit trail (doc/audit.md) filtered by layer,
# entry, user and time, as text and as JSON; "who changed bob's IMAP
# server last Tuesday"; non-admins are refused.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin
printf 'bob-secret-pw\n' > "$CTL_DIR/bob.pw"
chmod 600 "$CTL_DIR/bob.pw"
printf 'bob-secret-pw\n' |
    "$ACAPCTL" -s "$CTL_DIR" user add --password-stdin bob >/dev/null ||
    fail "bob's account"

ok org add acme
ok user add bob --org acme --no-account
ok user add carol --org acme --no-account
ok set user bob corp email.server.IMAP imap://old.example/
ok set user carol corp email.server.IMAP imap://carol.example/
CTL_USER=bob
ok set user bob corp email.server.IMAP imap://bob.example/
ok set user bob home email.check-interval 300
CTL_USER=admin

# who changed bob's IMAP server: the layer and entry filter
ok history user:bob corp
has 'admin +127\.0\.0\.1 +STORE +/email/user/bob/ corp email\.server\.IMAP +none -> "imap://old\.example/"'
has 'bob +127\.0\.0\.1 +STORE +/email/user/bob/ corp email\.server\.IMAP +"imap://old\.example/" -> "imap://bob\.example/"'
hasnt 'carol|check-interval'
# the layer in two words, and as a dataset path
ok history user bob
has 'check-interval'
hasnt carol
ok history /email/user/carol/
has 'carol\.example'
hasnt 'bob\.example'

# --user: what bob did himself
ok history --user bob
has 'imap://bob\.example/'
has 'check-interval'
hasnt 'old\.example/"$|carol|acme'

# --since: now and later is empty; a date long ago, 7d, an ACAP time
ok history --since "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M)"
has 'no changes recorded'
ok history user:bob corp --since 2020-01-01
has 'bob\.example'
ok history user:bob corp --since 7d
has 'bob\.example'
ok history user:bob --since 20200101
has 'check-interval'
status 2 history --since yesterdayish
has 'since'
status 2 history --since 2026-13-01

# --json parses, and carries every field
ok history user:bob corp --json
printf '%s\n' "$CTL_OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = d["result"]["records"]
assert len(r) == 2, r
assert r[0]["user"] == "admin" and r[0]["old"] is None, r[0]
assert r[0]["new"] == "imap://old.example/", r[0]
assert r[1]["user"] == "bob" and r[1]["old"] == "imap://old.example/", r[1]
assert r[1]["new"] == "imap://bob.example/", r[1]
for x in r:
    assert x["peer"] == "127.0.0.1" and x["op"] == "STORE", x
    assert x["dataset"] == "/email/user/bob/" and x["entry"] == "corp", x
    assert x["attr"] == "email.server.IMAP" and x["what"] == "value", x
    assert len(x["time"]) == 20 and len(x["session"]) == 16, x
    assert x["authz"] is None and x["redacted"] is False, x
assert r[0]["id"] < r[1]["id"] and r[0]["time"] < r[1]["time"]
' || fail "history --json"

# lock and unlock are SETACL and DELETEACL
ok set site corp vendor.acapd.tls starttls-required
ok lock site corp vendor.acapd.tls --reason policy
ok unlock site corp vendor.acapd.tls
ok history site corp
has 'SETACL +/email/site/ corp vendor\.acapd\.tls \(acl\)'
has 'DELETEACL +/email/site/ corp vendor\.acapd\.tls \(acl\)'

# a secret is redacted
ok set user bob corp email.app.password hunter2
ok set user bob corp email.app.password hunter3
ok history user:bob corp
has 'email\.app\.password +none -> \(redacted\)'
has 'email\.app\.password +\(redacted\) -> \(redacted\)'
hasnt hunter
ok history user:bob corp --json
hasnt hunter
json_has new '{"redacted":true}'


# bob is no admin: no trail for him
CTL_USER=bob
status 1 history
has 'admins'
hasnt 'old\.example'
exit 0
