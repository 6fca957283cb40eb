#!/bin/sh
# import of users with their SASL accounts ("password", doc/settings.md
# §7): a few thousand users in batches, every account written in one go
# under the writers' lock; all registered, all accounts there, a sample
# authenticates with its own password; importing again changes nothing;
# passwords without -s are refused before anything is stored; a bad
# account name stops the import with its name and a non-zero exit.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

# fewer under valgrind (tests/valgrind.sh), where acapd runs ~30x slower
if [ -n "${VALGRIND_SCENARIO:-}" ]; then
	N=${IMPORT_USERS:-200}
else
	N=${IMPORT_USERS:-2000}
fi
SRC=$(cd "$top_srcdir" && pwd)

ctl_start
ctl_admin
python3 "$SRC/tests/bench/gen-users.py" "$N" 3 > "$CTL_DIR/users.json" ||
    fail "gen-users.py"

# accounts need the instance: refused whole, nothing stored
status 1 import "$CTL_DIR/users.json"
has 'need the instance.*nothing imported'
ok org list
hasnt 'o1'

ok -s "$CTL_DIR" import --no-progress "$CTL_DIR/users.json"
# N users, 3 organisations, N accounts
has "^$((N + N + 3)) created, 0 updated, 0 unchanged, 0 failed"
has '^created +account u1$'
has "^created +account u$N\$"
hasnt '\[K'		# no progress line when told so
[ "$(printf '%s\n' "$CTL_OUT" | grep -c '^created  *user ')" -eq "$N" ] ||
    fail "not every user reported created"
CTL_OUT=$("$ACAPCTL" -s "$CTL_DIR" user list 2>&1) || fail "user list"
[ "$(printf '%s\n' "$CTL_OUT" | grep -c '^u[0-9]')" -eq "$N" ] ||
    fail "$(printf '%s\n' "$CTL_OUT" | grep -c '^u[0-9]') of $N accounts"
ok show user "u$N"
has "o$((N % 3 + 1))"
# a sample authenticates with its own password
for i in 1 2 17 $((N / 2)) $((N - 1)) "$N"; do
	echo "u$i pw-u$i"
done > "$CTL_DIR/sample"
CTL_OUT=$(cd "$CTL_DIR" && python3 "$SRC/tests/protocol/cram-loop.py" \
    --once "$CTL_PORT" "$CTL_DIR/sample" 2>&1) ||
    fail "imported accounts do not authenticate"
# ... and the wrong password does not
echo "u1 pw-u2" > "$CTL_DIR/wrong"
(cd "$CTL_DIR" && python3 "$SRC/tests/protocol/cram-loop.py" --once \
    "$CTL_PORT" "$CTL_DIR/wrong" > /dev/null 2>&1) &&
    fail "u1 authenticates with u2's password"

# again: nothing changes, no account is rewritten
ok -s "$CTL_DIR" import --no-progress "$CTL_DIR/users.json"
has "^0 created, 0 updated, $((N + N + 3)) unchanged, 0 failed"

# a name the user database refuses stops the import, naming it
cat > "$CTL_DIR/bad.json" <<'J'
{"format": "acapctl-export", "version": 1,
 "users": [{"name": "good1", "password": "pw"},
  {"name": "bad@realm", "password": "pw"}]}
J
status 1 -s "$CTL_DIR" import --no-progress "$CTL_DIR/bad.json"
has 'bad@realm'
has 'run the import again'
CTL_OUT=$("$ACAPCTL" -s "$CTL_DIR" user list 2>&1)
hasnt '^good1'
exit 0
