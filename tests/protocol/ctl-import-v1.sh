#!/bin/sh
# An export written before acapctl moved to Jansson still imports:
# tests/protocol/fixtures/export-v1.json came from the earlier acapctl
# export (organisations, users at site and org level, devices with and
# without a name, multi-values, non-ASCII and escaped strings, a
# deliberate marker).  Importing it into a fresh server creates every
# record, a second import changes nothing, and the server's export of the
# result has the same keys, values and order as the fixture.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

FIXTURE=$top_srcdir/tests/protocol/fixtures/export-v1.json
[ -s "$FIXTURE" ] || fail "no $FIXTURE"

ctl_start
ctl_admin

ok import "$FIXTURE"
has '^created +org acme'
has '^created +org umbrella'
has '^created +user bob'
has '^created +user eve'
has '^created +device eve-laptop'
has '^created +device phone'
has '^created +setting org:acme email corp'
has '^created +setting user:eve option mua.default.account'
has '^12 created, 0 updated, 0 unchanged, 0 failed'
ok --json import "$FIXTURE"
json_has created 0
json_has updated 0
json_has failed 0

ok org show acme
has 'Acme Corp — Zürich'
ok show user eve --class email
has 'email.realname = "Ève \\"the tester\\" Ñandú\\\\tx"'
ok show user bob --class email
has 'email.boring-headers = \("X-Spam" "Received"\)'
ok device show phone
has "Bob's phone"

# the new export is the old one, but for the time stamp
ok export --output "$CTL_DIR/again.json"
grep -v '"exported":' "$FIXTURE" > "$CTL_DIR/want.json"
grep -v '"exported":' "$CTL_DIR/again.json" > "$CTL_DIR/got.json"
diff -u "$CTL_DIR/want.json" "$CTL_DIR/got.json" ||
    fail "export after importing the v1 fixture differs from it"
exit 0
