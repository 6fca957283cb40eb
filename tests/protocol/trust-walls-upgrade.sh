#!/bin/sh
# Issue "Trust", finding 5, on an existing instance: a database that an
# older acapctl provisioned (every layer and registry "anyone xr", the
# per-user device registries inheriting the index) gets the walls at the
# next start of acapd (acapd/upgrade.c), in one STORE; ACLs an admin set
# stay; a second start changes nothing.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin
ctl_admin alice alice-secret-pw
CTL_USER=admin

# what the older acapctl wrote (server default ACLs everywhere)
ok raw 'STORE ("/vendor.acapd.org/site/acme" "vendor.acapd.org.created" "20260101000000" "vendor.acapd.org.description" "Acme") ("/vendor.acapd.org/site/evil" "vendor.acapd.org.created" "20260101000000") ("/vendor.acapd.user/site/bob" "vendor.acapd.user.org" "acme" "vendor.acapd.user.created" "20260101000000") ("/vendor.acapd.user/site/alice" "vendor.acapd.user.org" "evil" "vendor.acapd.user.created" "20260101000000") ("/vendor.acapd.device/site/bob-phone" "vendor.acapd.device.user" "bob") ("/vendor.acapd.device/user/bob/" "dataset.inherit" "/vendor.acapd.device/site/") ("/vendor.acapd.device/user/bob/bob-phone" "vendor.acapd.device.user" "bob") ("/email/group/acme/" "dataset.inherit" "/email/site/") ("/email/group/acme/mail" "email.server.IMAP" "imap://secret-acme.example/") ("/email/group/evil/" "dataset.inherit" "/email/site/") ("/email/user/alice/" "dataset.inherit" "/email/group/evil/") ("/email/user/bob/" "dataset.inherit" "/email/group/acme/") ("/email/host/bob-phone/" "dataset.inherit" "/email/user/bob/") ("/email/host/bob-phone/mail" "email.connection-type" "secret-LAN") ("/email/host/orphan/mail" "email.connection-type" "secret-orphan")'
# an organisation whose ACL an admin chose: kept as it is
TAB=$(printf '\t')
ok raw "STORE (\"/email/group/open/\" \"dataset.acl\" (\"value\" (\"anyone${TAB}xr\" \"carol${TAB}xrwia\"))) (\"/email/group/open/mail\" \"email.mailbox-prefix\" \"shared\")"

# before the upgrade alice reads everyone's (the finding)
CTL_USER=alice
ctl raw 'SEARCH "/email/group/acme/" RETURN ("email.server.IMAP") ALL'
has 'secret-acme'
CTL_USER=admin

# a restart upgrades
ctl_stop
ctl_start
grep -q 'walls between tenants: .* upgraded' "$CTL_DIR/acapd.log" ||
    fail "no upgrade logged"

CTL_USER=alice
for ds in /email/group/acme/ /email/host/bob-phone/ /email/host/orphan/; do
	ctl raw "SEARCH \"$ds\" RETURN (\"*\") ALL"
	has "NOEXIST \"?$ds"
	hasnt secret
done
ctl raw 'SEARCH "/vendor.acapd.user/site/" RETURN ("entry" "vendor.acapd.user.org") ALL'
has '"alice" "evil"'
hasnt bob
ctl raw 'SEARCH "/vendor.acapd.device/site/" RETURN ("entry") ALL'
hasnt bob-phone
ctl raw 'SEARCH "/vendor.acapd.org/site/" RETURN ("entry") ALL'
has '"evil"'
hasnt acme
ctl raw 'SEARCH "/email/group/evil/" RETURN ("entry") ALL'
[ "$CTL_STATUS" -eq 0 ] || fail "alice lost her own organisation"
ctl raw 'SEARCH "/email/group/open/" RETURN ("email.mailbox-prefix") ALL'
has 'shared'
CTL_USER=admin
ok raw 'SEARCH "/email/group/open/" RETURN ("dataset.acl") EQUAL "entry" "i;octet" ""'
has 'carol'
ok raw 'SEARCH "/email/host/bob-phone/" RETURN ("dataset.acl") EQUAL "entry" "i;octet" ""'
has '"bob	xr"'
ok raw 'SEARCH "/email/host/orphan/" RETURN ("dataset.acl") EQUAL "entry" "i;octet" ""'
has 'ENTRY "" \(\)'
ok raw 'SEARCH "/vendor.acapd.device/user/bob/" RETURN ("dataset.inherit") EQUAL "entry" "i;octet" ""'
hasnt 'vendor.acapd.device/site'
ok user show bob
has 'org: +acme'

# a second start finds nothing to do
ctl_stop
ctl_start
[ "$(grep -c 'walls between tenants' "$CTL_DIR/acapd.log")" -eq 1 ] ||
    fail "upgraded twice"
exit 0
