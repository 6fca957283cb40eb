#!/bin/sh
# Issue "Trust", finding 5 (no walls between tenants): as provisioned by
# acapctl, an organisation's layers are readable by its members and the
# admins only, a device's by its user and the admins, and the registries
# by the admins, plus each user's own records, read-only
# (doc/security.md §4, doc/acl.md).  alice (org evil) must get no byte of
# what is planted in acme's and bob's layers, whatever she asks.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin
ctl_admin alice alice-secret-pw
ctl_admin bob bob-secret-pw
CTL_USER=admin

ok org add evil
ok org add acme --description 'SECRET-orgdesc'
ok user add alice --org evil
ok user add bob --org acme
ok device enrol alice --id alice-phone
ok device enrol bob --id bob-phone --name 'SECRET-devname'
ok set site mail email.server.IMAP imap://mail.example.org:143/
ok set org acme mail email.server.IMAP imap://secret-acme.example:143/
ok set org acme SECRET-entry email.server.IMAP imap://mail.example.org:143/
ok lock org acme mail email.server.IMAP --reason 'SECRET-reason'
ok set user bob mail email.check-interval 60
ok set device bob-phone mail email.connection-type LAN
ok set org evil mail email.mailbox-prefix INBOX.

# as USER COMMAND: acapctl raw as USER (back to admin afterwards)
as() {
	who=$1
	shift
	CTL_USER=$who
	ctl raw "$@"
	CTL_USER=admin
	printf '%s\n' "$CTL_OUT" >> "$CTL_DIR/$who.seen"
}
noexist() {	# USER DATASET
	as "$1" "SEARCH \"$2\" RETURN (\"*\") ALL"
	[ "$CTL_STATUS" -ne 0 ] || fail "$1 reads $2"
	has "NOEXIST \"?$2"
}

# --- organisations: members only
noexist alice /email/group/acme/
noexist alice /personality/group/acme/
noexist alice /option/group/acme/
as alice 'SEARCH "/email/group/acme/" RETURN ("entry") EQUAL "entry" "i;octet" "mail"'
has 'NOEXIST'
as alice 'DELETEDSINCE "/email/group/acme/" "20000101000000"'
has 'NOEXIST'
as alice 'MYRIGHTS ("/email/group/acme/")'
has 'NOEXIST'
as alice 'SEARCH "/email/group/evil/" RETURN ("email.mailbox-prefix") ALL'
[ "$CTL_STATUS" -eq 0 ] || fail "alice cannot read her own organisation"
has 'INBOX\.'
as bob 'SEARCH "/email/group/acme/" RETURN ("email.server.IMAP") ALL'
[ "$CTL_STATUS" -eq 0 ] || fail "bob cannot read his organisation"
has 'secret-acme'
# the directory of organisations lists only hers
as alice 'SEARCH "/email/group/" RETURN ("entry") ALL'
has '"evil"'
hasnt 'acme'

# --- devices: their user only
noexist alice /email/host/bob-phone/
as alice 'SEARCH "/email/host/alice-phone/" RETURN ("*") ALL'
[ "$CTL_STATUS" -eq 0 ] || fail "alice cannot read her own device"
as bob 'SEARCH "/email/host/bob-phone/" RETURN ("email.connection-type") ALL'
[ "$CTL_STATUS" -eq 0 ] || fail "bob cannot read his device"
has 'LAN'

# --- registries: her own records, read-only
as alice 'SEARCH "/vendor.acapd.user/site/" RETURN ("entry" "vendor.acapd.user.org") ALL'
[ "$CTL_STATUS" -eq 0 ] || fail "alice cannot read her own user record"
has '"alice" "evil"'
hasnt 'bob'
as alice 'SEARCH "/vendor.acapd.device/site/" RETURN ("entry" "vendor.acapd.device.user") ALL'
has '"alice-phone" "alice"'
hasnt 'bob'
as alice 'SEARCH "/vendor.acapd.org/site/" RETURN ("*") ALL'
has '"evil"'
hasnt 'acme'
as alice 'STORE ("/vendor.acapd.user/site/alice" "vendor.acapd.user.org" "acme")'
[ "$CTL_STATUS" -ne 0 ] || fail "alice changed her organisation"
as alice 'STORE ("/vendor.acapd.user/site/alice" "vendor.acapd.user.groups" ("value" ("acme")))'
[ "$CTL_STATUS" -ne 0 ] || fail "alice joined a group"
as alice 'STORE ("/vendor.acapd.device/site/bob-tablet" "vendor.acapd.device.user" "alice")'
[ "$CTL_STATUS" -ne 0 ] || fail "alice wrote the device index"
as alice 'SETACL ("/vendor.acapd.user/site/") "alice" "xrwia"'
[ "$CTL_STATUS" -ne 0 ] || fail "alice administers the user registry"
ok user show alice
has 'org: +evil'
status 1 device show bob-tablet
has 'no device "bob-tablet"'

# --- nothing planted reached alice, whatever she asked
if grep -qi secret "$CTL_DIR/alice.seen"; then
	CTL_OUT=$(grep -i secret "$CTL_DIR/alice.seen")
	fail "alice saw a secret"
fi
grep -q 'secret-acme' "$CTL_DIR/bob.seen" &&
    grep -q 'LAN' "$CTL_DIR/bob.seen" || fail "bob saw nothing of his"
exit 0
