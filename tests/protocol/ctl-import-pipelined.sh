#!/bin/sh
# import of many users with several STOREs in flight (acapctl sends a
# batch on each of its extra connections before the answer of the one
# before): batches in the middle that acapd refuses (a user there exists
# already) go one by one and report the right users; a name given twice
# in batches in flight together ends with the later record, as one
# connection would; a bad record fails with its name and a non-zero
# exit; every record is reported once, in the file's order.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

N=${IMPORT_USERS:-1000}

ctl_start
ctl_admin
# before: the organisations, u333 in o2 (the file moves it to o1) and
# u777 in o1 (as in the file)
cat > "$CTL_DIR/before.json" <<'J'
{"format": "acapctl-export", "version": 1,
 "orgs": [{"name": "o1"}, {"name": "o2"}, {"name": "o3"}],
 "users": [{"name": "u333", "org": "o2"}, {"name": "u777", "org": "o1"}]}
J
ok import --no-progress "$CTL_DIR/before.json"
has '^5 created, 0 updated, 0 unchanged, 0 failed'

# users u1..uN in o(i % 3 + 1); after u60 u5 again, in o1 (it was in
# o3: the second record moves it); after u500 a bad name
python3 - "$N" > "$CTL_DIR/users.json" <<'P' || fail "python3"
import json, sys
n = int(sys.argv[1])
users = []
for i in range(1, n + 1):
    users.append({"name": "u%d" % i, "org": "o%d" % (i % 3 + 1)})
    if i == 60:
        users.append({"name": "u5", "org": "o1"})
    if i == 500:
        users.append({"name": "bad*name", "org": "o1"})
json.dump({"format": "acapctl-export", "version": 1,
           "orgs": [{"name": "o%d" % j} for j in (1, 2, 3)],
           "users": users}, sys.stdout)
P

status 1 import --no-progress "$CTL_DIR/users.json"
# created: all but u333 and u777; updated: u333 and the second u5;
# unchanged: u777 and the three organisations; failed: the bad name
has "^$((N - 2)) created, 2 updated, 4 unchanged, 1 failed"
has '^updated +user u333: moved to its organisation$'
has '^unchanged +user u777$'
has '^updated +user u5: moved to its organisation$'
has '^created +user u5$'
has '^failed +user bad\*name: a name must not contain'
has '1 record failed'
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
ok show user u333
has 'o1'
ok show user "u$N"
has "o$((N % 3 + 1))"
ok show user u499
has "o$((499 % 3 + 1))"

# several connections stored at once (the admin's login, logged by acapd)
[ "$(grep -c 'authenticated as admin (admin)' "$CTL_DIR/acapd.log")" -ge 4 ] ||
    fail "the import did not use extra connections"

# again: every batch refused, one by one: all unchanged but u5, moved to
# o3 and back to o1, and the bad name
status 1 import --no-progress "$CTL_DIR/users.json"
has "^0 created, 2 updated, $((N + 2)) unchanged, 1 failed"
exit 0
