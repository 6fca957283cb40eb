#!/bin/sh
# Issue "Trust", finding 4 (a user steers an admin's delete): alice
# writes bob's device id into her own device registry
# (/vendor.acapd.device/user/alice/, her tree, so hers to write);
# "acapctl user del alice" must still delete only alice's devices, which
# it takes from the device index that only admins write, and leave bob's
# device and its settings alone.  The planted record goes with her.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start
ctl_admin
ctl_admin alice alice-secret-pw
CTL_USER=admin

ok org add evil
ok org add acme
ok user add alice --org evil
ok user add bob --org acme
ok device enrol alice --id alice-phone
ok device enrol bob --id bob-phone --name 'Bob phone'
ok set device bob-phone mail email.connection-type LAN
ok set device alice-phone mail email.connection-type cable-modem

CTL_USER=alice
ctl raw 'STORE ("/vendor.acapd.device/user/alice/bob-phone" "vendor.acapd.device.user" "alice" "vendor.acapd.device.name" "planted")'
[ "$CTL_STATUS" -eq 0 ] || fail "alice cannot write her own device registry"
CTL_USER=admin

# the record she wrote does not make bob's device hers
ok device list alice
has '^alice-phone'
hasnt 'bob-phone'
ok user show alice
hasnt 'bob-phone'
ok user del alice --keep-account
has '1 device\)'
ok device show bob-phone
has 'user: +bob'
ok show device bob-phone --class email
has 'email.connection-type = "LAN"'
status 1 device show alice-phone
ok raw 'SEARCH "/vendor.acapd.device/user/alice/" RETURN ("entry") ALL'
hasnt 'bob-phone'
ok raw 'SEARCH "/email/host/alice-phone/" RETURN ("*") NOT EQUAL "entry" "i;octet" ""'
hasnt 'cable-modem'
exit 0
