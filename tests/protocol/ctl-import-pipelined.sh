#!/bin/sh
# import of many users with several STOREs in flight (acapctl sends a
# batch on each of its extra connections before the answer of the one
# before): batches in the middle that acapd refuses (a user there exists
# already) go one by one and report the right users; a name given twice
# in batches in flight together ends with the later record, as one
# connection would; a bad record fails with its name and a non-zero
# exit; every record is reported once, in the file's order.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

# fewer under valgrind (tests/valgrind.sh), where acapd runs ~30x slower;
# at least 4 batches of 50 (acapctl's IMPORT_BATCH, IMPORT_FLIGHT)
if [ -n "${VALGRIND_SCENARIO:-}" ]; then
	N=${IMPORT_USERS:-250}
else
	N=${IMPORT_USERS:-1000}
fi
A=$((N / 3))		# exists, in another organisation
B=$((N * 7 / 10))	# exists, as in the file
BAD=$((N / 2))		# a bad name after this one

ctl_start
ctl_admin
# before: the organisations, uA in another organisation than the file's
# (the import moves it) and uB in the file's
cat > "$CTL_DIR/before.json" <<J
{"format": "acapctl-export", "version": 1,
 "orgs": [{"name": "o1"}, {"name": "o2"}, {"name": "o3"}],
 "users": [{"name": "u$A", "org": "o$(((A + 1) % 3 + 1))"},
  {"name": "u$B", "org": "o$((B % 3 + 1))"}]}
J
ok import --no-progress "$CTL_DIR/before.json"
has '^5 created, 0 updated, 0 unchanged, 0 failed'

# users u1..uN in o(i % 3 + 1); after u60 u5 again, in o1 (it was in
# o3: the second record moves it); after uBAD a bad name
python3 - "$N" "$BAD" > "$CTL_DIR/users.json" <<'P' || fail "python3"
import json, sys
n, bad = int(sys.argv[1]), int(sys.argv[2])
users = []
for i in range(1, n + 1):
    users.append({"name": "u%d" % i, "org": "o%d" % (i % 3 + 1)})
    if i == 60:
        users.append({"name": "u5", "org": "o1"})
    if i == bad:
        users.append({"name": "bad*name", "org": "o1"})
json.dump({"format": "acapctl-export", "version": 1,
           "orgs": [{"name": "o%d" % j} for j in (1, 2, 3)],
           "users": users}, sys.stdout)
P

# import_users: the import with its standard output alone in CTL_OUT
# (the ctl helper mixes in standard error, whose "1 record failed" may
# land inside a line of the buffered output); it must exit 1 and say so
import_users() {
	CTL_OUT=$("$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u admin \
	    --password-file "$CTL_DIR/admin.pw" --cafile "$CTL_DIR/cert.pem" \
	    --timeout 60 import --no-progress "$CTL_DIR/users.json" \
	    2> "$CTL_DIR/import.err")
	CTL_STATUS=$?
	[ "$CTL_STATUS" -eq 1 ] || fail "import exited $CTL_STATUS, not 1"
	grep -q '1 record failed' "$CTL_DIR/import.err" ||
	    fail "no \"1 record failed\" on standard error"
}

import_users
# created: all but uA and uB; updated: uA and the second u5;
# unchanged: uB and the three organisations; failed: the bad name
has "^$((N - 2)) created, 2 updated, 4 unchanged, 1 failed"
has "^updated +user u$A: moved to its organisation\$"
has "^unchanged +user u$B\$"
has '^updated +user u5: moved to its organisation$'
has '^created +user u5$'
has '^failed +user bad\*name: a name must not contain'
# every user record once, in the file's order
printf '%s\n' "$CTL_OUT" | awk '$2 == "user" { print $3 }' | tr -d : \
    > "$CTL_DIR/got"
python3 -c '
import json, sys
for u in json.load(open(sys.argv[1]))["users"]:
    print(u["name"])' "$CTL_DIR/users.json" > "$CTL_DIR/want"
cmp -s "$CTL_DIR/want" "$CTL_DIR/got" ||
    fail "user records not reported once each in order: $(diff \
    "$CTL_DIR/want" "$CTL_DIR/got" | head -n 5)"
# the store agrees
ok show user u5
has 'o1'
hasnt 'o3'
ok show user "u$A"
has "o$((A % 3 + 1))"
ok show user "u$N"
has "o$((N % 3 + 1))"
ok show user "u$((BAD - 1))"
has "o$(((BAD - 1) % 3 + 1))"

# several connections stored at once (the admin's login, logged by acapd)
[ "$(grep -c 'authenticated as admin (admin)' "$CTL_DIR/acapd.log")" -ge 4 ] ||
    fail "the import did not use extra connections"

# again: every batch refused, one by one: all unchanged but u5, moved to
# o3 and back to o1, and the bad name
import_users
has "^0 created, 2 updated, $((N + 2)) unchanged, 1 failed"
exit 0
