#!/bin/sh
# Devices: enrolment with globally unique ids, device layers inheriting
# from their user, and "device clone" -- a full copy of the source's own
# layer in one atomic STORE, refusing an existing destination unless
# --force, rewriting owner-relative values for another user.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin

ok org add acme
ok user add bob --org acme
ok user add carol --org acme
ok set site corp email.server.IMAP imap://mail.example.com/
ok set user bob corp email.check-interval 600

# enrolment: explicit and generated ids; ids are unique across users
ok device enrol bob --id phone --name 'Bob phone'
has '^phone$'
ok device enrol bob
gen=$(printf '%s\n' "$CTL_OUT" | grep -E '^d[0-9a-f]{20}$') ||
    fail "no generated id"
status 1 device enrol carol --id phone
has 'already taken'
status 2 device enrol bob --id '../x'
status 1 device enrol nobody --id x1
has 'no user'
ok device list bob
has '^phone	bob	Bob phone'
has "^$gen"
ok device list
has '^phone	bob'

# the device layer inherits from the user (and through it org and site)
ok set device phone corp email.connection-type mobile-phone
ok set device phone corp email.imap.download-type headers
ok set device phone corp personality.File-Into.Local Sent
ok set device phone corp email.personality \
    acap://acap.example.com/personality/user/bob/corp
ok show device phone --effective --class email
has 'chain: device:phone -> user:bob -> org:acme -> site'
has 'email.check-interval = "600".*\(user:bob\)'
has 'email.connection-type = "mobile-phone".*\(device:phone\)'
# device data stays out of the user's own account list
ok show user bob --class email
hasnt 'connection-type'

# clone to a new device of the same user
ok device clone phone tablet
has 'copy +email corp email.connection-type'
has 'copy +personality corp personality.File-Into.Local'
ok device show tablet
has 'user: +bob'
has 'email.connection-type = "mobile-phone"'
has 'personality.File-Into.Local = "Sent"'
ok show device tablet --effective --class email
has 'chain: device:tablet -> user:bob'

# an existing destination needs --force, and then becomes a full copy:
# its own extra values revert to inheritance
ok set device tablet corp email.maximum.download-size 1000
ok set device tablet other email.check-interval 5
ok set device phone corp email.imap.download-type body
status 1 device clone phone tablet
has 'exists'
ok device show tablet
has 'download-type = "headers"'
ok device clone phone tablet --force
has 'revert +email corp email.maximum.download-size'
has 'revert +email other'
ok device show tablet
has 'download-type = "body"'
hasnt 'maximum.download-size'
hasnt 'other'

# cloning to another user's new device rewrites owner-relative values
ok device clone phone carolphone --user carol
has 'owner-relative value rewritten'
ok device show carolphone
has 'user: +carol'
has 'personality/user/carol/corp'
ok show device carolphone --effective --class email
has 'chain: device:carolphone -> user:carol'
status 1 device clone phone tablet --force --user carol
has 'belongs to bob'

# atomicity: RFC 2244 §6.6.1 makes one STORE all-or-nothing, and the
# clone (registry entries, inheritance and every value) is one STORE
ok -v device clone phone tablet2
[ "$(printf '%s\n' "$CTL_OUT" | grep -c '^C: a[0-9]* STORE ')" -eq 1 ] ||
    fail "the clone was not exactly one STORE"
has '^C: a[0-9]* STORE .*vendor.acapd.device/site/tablet2.*email/host/tablet2/corp'
ok --json device clone phone tablet3
has '"created":true'
ok device show tablet2
has 'download-type = "body"'
has 'connection-type = "mobile-phone"'

# deleting a device removes its layer and registry entries
ok device del tablet2
ok device list bob
hasnt tablet2
status 1 device show tablet2
has 'no device'
ok show device tablet2 --class email
hasnt 'connection-type'
exit 0
