#!/bin/sh
# export / import: a JSON snapshot of organisations, users, devices and
# every layer's own settings; importing it elsewhere recreates them with a
# result per record, and importing it again changes nothing.  Also seeds
# a site from schema/site-template.json.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin

ok org add acme --description 'Acme Corp'
ok user add bob --org acme
ok user add eve
ok device enrol bob --id phone --name Phone
ok set site corp email.server.IMAP imap://mail.example.com/
ok set org acme corp vendor.acapd.idle-ceiling 900
ok set user bob corp email.boring-headers X-Spam Received
ok set device phone corp email.connection-type mobile-phone
ok set user eve mua.default.account option.value \
    'acap://acap.example.com/email/user/eve/corp'
ok export --output "$CTL_DIR/export.json"
[ -s "$CTL_DIR/export.json" ] || fail "no export file"
grep -q '"format": "acapctl-export"' "$CTL_DIR/export.json" ||
    fail "export format"

# re-importing into the same server changes nothing
ok import "$CTL_DIR/export.json"
has '0 created, 0 updated, [0-9]+ unchanged, 0 failed'

# a fresh server: everything is created, then nothing changes
ctl_stop
mv "$CTL_DIR/export.json" "$CTL_DIR/../$(basename "$CTL_DIR").export.json"
EXPORT="$CTL_DIR/../$(basename "$CTL_DIR").export.json"
rm -rf "$CTL_DIR"/acapd.db* "$CTL_DIR/port"
ctl_start
ok import "$EXPORT" --dry-run
has 'dry run: '
ok org list
hasnt acme
ok import "$EXPORT"
has '^created +org acme'
has '^created +user bob'
has '^created +device phone'
has '^created +setting org:acme email corp'
has ' 0 failed'
ok --json import "$EXPORT"
json_has created 0
json_has updated 0
json_has failed 0
ok show user bob --effective --class email
has 'vendor.acapd.idle-ceiling = "900".*\(org:acme\)'
has 'email.boring-headers = \("X-Spam" "Received"\)'
ok show device phone --effective --class email
has 'chain: device:phone -> user:bob -> org:acme -> site'
ok show user eve --class option
has 'option.value = "acap://acap.example.com/email/user/eve/corp"'

# a changed record is updated, the rest left alone; bad records fail
# alone with a reason; the exit status says something failed
sed -e 's/"900"/"1200"/' -e 's/"Acme Corp"/"Acme Inc"/' "$EXPORT" \
    > "$CTL_DIR/changed.json"
cat > "$CTL_DIR/bad.json" <<'J'
{"format": "acapctl-export", "version": 1,
 "orgs": [{"name": "ok-org"}, {"name": "bad/org"}],
 "settings": [
  {"layer": "site", "class": "email", "entry": "corp",
   "attributes": {"vendor.acapd.tls": "sometimes"}},
  {"layer": "org:ok-org", "class": "email", "entry": "corp",
   "attributes": {"vendor.acapd.idle-ceiling": 600}}
 ]}
J
ok import "$CTL_DIR/changed.json"
has '^updated +org acme: description'
has '^updated +setting org:acme email corp: vendor.acapd.idle-ceiling'
has '^unchanged +user bob'
status 1 import "$CTL_DIR/bad.json"
has '^created +org ok-org'
has '^failed +org bad/org'
has '^failed +setting site email corp: vendor.acapd.tls'
has '^created +setting org:ok-org email corp'
ok show org ok-org --class email
has 'vendor.acapd.idle-ceiling = "600"'
echo '{"format": "something-else"}' > "$CTL_DIR/other.json"
status 1 import "$CTL_DIR/other.json"
has 'not an acapctl export'
echo '{"format": ' > "$CTL_DIR/broken.json"
status 1 import "$CTL_DIR/broken.json"
has 'line [0-9]+ column [0-9]+'

# the site template is an import file
ok import "$top_srcdir/schema/site-template.json"
ok import "$top_srcdir/schema/site-template.json"
has '^0 created, 0 updated'
ok lint
has '0 errors'
rm -f "$EXPORT"
exit 0
