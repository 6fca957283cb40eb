#!/bin/sh
# Parallel "acapctl -s DIR user add" while acapd authenticates users from
# the same sasldb.  The sasldb is a Berkeley DB file opened without an
# environment, so without acapctl's writers' lock concurrent writers lose
# records silently (a report: xargs -P 2 over 1000 adds left 993 accounts,
# every command exiting 0).  Four batch processes (-f: many adds per
# process, so their writes overlap) and an xargs -P 4 of single adds run
# together; every command must exit 0, and afterwards every account must
# exist and authenticate with its own password.  RACE_USERS (per batch)
# and RACE_SINGLE change the size.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

N=${RACE_USERS:-150}
S=${RACE_SINGLE:-40}
# fewer under valgrind (tests/valgrind.sh), where acapd runs ~30x slower
if [ -n "${VALGRIND_SCENARIO:-}" ]; then
	N=${RACE_USERS:-25}
	S=${RACE_SINGLE:-12}
fi
CRAM=$(cd "$top_srcdir" && pwd)/tests/protocol/cram-loop.py

ctl_start
ctl_admin
# users acapd authenticates while the adds run
for i in 1 2 3 4; do
	printf 'old-pw\n' | "$ACAPCTL" -s "$CTL_DIR" user add --password-stdin \
	    "old$i" > /dev/null 2>&1 || fail "user add old$i"
done
(cd "$CTL_DIR" && exec python3 "$CRAM" --ready ready1 "$CTL_PORT" old-pw \
    300 old1 old2 old3 old4 > loop1.out 2>&1) &
L1=$!
(cd "$CTL_DIR" && exec python3 "$CRAM" --ready ready2 "$CTL_PORT" old-pw \
    300 old4 old3 old2 old1 > loop2.out 2>&1) &
L2=$!
# the adds start once both loops authenticate
n=0
while ! [ -f "$CTL_DIR/ready1" ] || ! [ -f "$CTL_DIR/ready2" ]; do
	kill -0 $L1 2>/dev/null && kill -0 $L2 2>/dev/null ||
	    { CTL_OUT=$(cat "$CTL_DIR"/loop?.out); fail "a CRAM-MD5 loop ended"; }
	[ $n -lt 600 ] || fail "the CRAM-MD5 loops did not start in 60 s"
	sleep 0.1
	n=$((n + 1))
done

: > "$CTL_DIR/users"
for b in a b c d; do
	printf 'pw-%s\n' "$b" > "$CTL_DIR/pw-$b"
	i=1
	while [ $i -le "$N" ]; do
		echo "user add --password-file $CTL_DIR/pw-$b $b$i"
		echo "$b$i pw-$b" >> "$CTL_DIR/users"
		i=$((i + 1))
	done > "$CTL_DIR/batch-$b"
done
i=1
while [ $i -le "$S" ]; do
	echo "x$i pw-x$i" >> "$CTL_DIR/users"
	i=$((i + 1))
done
for b in a b c d; do
	"$ACAPCTL" -s "$CTL_DIR" -f "$CTL_DIR/batch-$b" \
	    > "$CTL_DIR/batch-$b.out" 2>&1 &
	eval "B_$b=\$!"
done
# the report's form: one process per add
export ACAPCTL CTL_DIR
seq 1 "$S" | xargs -P 4 -I{} sh -c 'printf "pw-x{}\n" |
    "$ACAPCTL" -s "$CTL_DIR" user add --password-stdin "x{}" \
    > "$CTL_DIR/add-{}.out" 2>&1 || echo "x{} exited $?"' \
    > "$CTL_DIR/adds.out" 2>&1
for b in a b c d; do
	eval "wait \$B_$b" || echo "batch $b exited $?" >> "$CTL_DIR/adds.out"
done
touch "$CTL_DIR/STOP"
wait $L1
S1=$?
wait $L2
S2=$?
if [ -s "$CTL_DIR/adds.out" ]; then
	CTL_OUT=$(cat "$CTL_DIR/adds.out"; cat "$CTL_DIR"/add-*.out \
	    "$CTL_DIR"/batch-?.out | grep -v '^SASL account' | sort |
	    uniq -c | head -n 10)
	fail "adds failed"
fi
CTL_OUT=$(cat "$CTL_DIR/loop1.out" "$CTL_DIR/loop2.out")
[ $S1 -eq 0 ] && [ $S2 -eq 0 ] ||
    fail "authentications of existing users failed during the adds"
grep -q '^[1-9][0-9]* ok' "$CTL_DIR/loop1.out" ||
    fail "no authentication ran during the adds"

want=$((4 * N + S))
CTL_OUT=$("$ACAPCTL" -s "$CTL_DIR" user list 2>&1) ||
    fail "user list exited $?"
got=$(printf '%s\n' "$CTL_OUT" | grep -c '^[abcdx][0-9]')
[ "$got" -eq "$want" ] || fail "$got of $want accounts exist after the adds"
# each with its own password: a lost or mixed-up secret fails here
CTL_OUT=$(cd "$CTL_DIR" && python3 "$CRAM" --once "$CTL_PORT" \
    "$CTL_DIR/users" 2>&1) || fail "accounts that do not authenticate"
echo "$CTL_NAME: $want adds, $(cat "$CTL_DIR/loop1.out") +" \
    "$(cat "$CTL_DIR/loop2.out") authentications meanwhile"
exit 0
