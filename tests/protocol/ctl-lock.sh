#!/bin/sh
# lock / unlock: an admin-locked setting is an inherited "-anyone" right
# on the attribute (RFC 2244 §3.5, SETACL/DELETEACL §6.7), with a visible
# reason; lower overrides are reverted, and the user cannot override it
# until it is unlocked.  Needs the server's ACL commands and enforcement:
# skipped (77) while the server answers SETACL with BAD.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin
printf 'bob-secret-pw\n' > "$CTL_DIR/bob.pw"
printf 'bob-secret-pw\n' |
    "$ACAPCTL" -s "$CTL_DIR" user add --password-stdin bob >/dev/null ||
    fail "bob's account"

ok org add acme
ok user add bob --org acme --no-account
ok set site corp vendor.acapd.tls starttls-required
ok set user bob corp vendor.acapd.tls starttls-optional

ctl lock site corp vendor.acapd.tls --reason 'security policy 7'
[ "$CTL_STATUS" -eq 0 ] || fail "lock exited $CTL_STATUS"
has 'overrides reset to inherit: user:bob'
ok show user bob --effective --class email
has 'vendor.acapd.tls = "starttls-required".*\(site\)'
has 'vendor.acapd.lock.vendor.acapd.tls = "security policy 7"'

# bob, logged in as himself, cannot override the locked value ...
CTL_USER=bob
status 1 set user bob corp vendor.acapd.tls starttls-optional
has 'PERMISSION'
# ... but other attributes are still his
ok set user bob corp email.check-interval 300
CTL_USER=admin

ok unlock site corp vendor.acapd.tls
ok show user bob --effective --class email
hasnt 'vendor.acapd.lock'
CTL_USER=bob
ok set user bob corp vendor.acapd.tls starttls-optional
exit 0
