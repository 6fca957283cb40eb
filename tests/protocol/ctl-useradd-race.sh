#!/bin/sh
# Parallel "acapctl -s DIR user add" while acapd authenticates users from
# the same sasldb (issue: xargs -P 2 over 1000 adds left 993 accounts, every
# command exiting 0).  Every add must exit 0, and afterwards every account
# must exist and authenticate.  RACE_USERS / RACE_JOBS change the size.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

N=${RACE_USERS:-240}
P=${RACE_JOBS:-4}
CRAM=$(cd "$top_srcdir" && pwd)/tests/protocol/cram-loop.py
LOOP="python3 $CRAM"

ctl_start
ctl_admin
# users acapd authenticates while the adds run
for i in 1 2 3 4; do
	printf 'old-pw\n' | "$ACAPCTL" -s "$CTL_DIR" user add --password-stdin \
	    "old$i" > /dev/null 2>&1 || fail "user add old$i"
done
(cd "$CTL_DIR" && exec $LOOP "$CTL_PORT" old-pw 120 old1 old2 old3 old4 \
    > loop1.out 2>&1) &
L1=$!
(cd "$CTL_DIR" && exec $LOOP "$CTL_PORT" old-pw 120 old4 old3 old2 old1 \
    > loop2.out 2>&1) &
L2=$!

export ACAPCTL CTL_DIR
seq 1 "$N" | xargs -P "$P" -I{} sh -c 'printf "pw-{}\n" |
    "$ACAPCTL" -s "$CTL_DIR" user add --password-stdin "x{}" \
    > "$CTL_DIR/add-{}.out" 2>&1 || echo "x{} exited $?"' \
    > "$CTL_DIR/adds.out" 2>&1
touch "$CTL_DIR/STOP"
wait $L1
S1=$?
wait $L2
S2=$?
if [ -s "$CTL_DIR/adds.out" ]; then
	CTL_OUT=$(head -n 20 "$CTL_DIR/adds.out"; cat "$CTL_DIR"/add-*.out |
	    grep -v '^SASL account' | sort | uniq -c | head -n 10)
	fail "$(wc -l < "$CTL_DIR/adds.out") of $N adds failed"
fi
CTL_OUT=$(cat "$CTL_DIR/loop1.out" "$CTL_DIR/loop2.out")
[ $S1 -eq 0 ] && [ $S2 -eq 0 ] ||
    fail "authentications of existing users failed during the adds"
grep -q '^[1-9][0-9]* ok' "$CTL_DIR/loop1.out" ||
    fail "no authentication ran during the adds"

CTL_OUT=$("$ACAPCTL" -s "$CTL_DIR" user list 2>&1) ||
    fail "user list exited $?"
got=$(printf '%s\n' "$CTL_OUT" | grep -c '^x[0-9]')
[ "$got" -eq "$N" ] || fail "$got of $N accounts exist after the adds"
i=1
while [ $i -le "$N" ]; do
	printf 'x%d\n' "$i"
	i=$((i + 1))
done > "$CTL_DIR/users"
# each with its own password: a lost or mixed-up secret fails here
CTL_OUT=$(cd "$CTL_DIR" && while read -r u; do
	python3 "$CRAM" --once "$CTL_PORT" \
	    "pw-${u#x}" "$u" || true
done < "$CTL_DIR/users")
[ -z "$CTL_OUT" ] || fail "accounts that do not authenticate"
echo "$CTL_NAME: $N adds with $P jobs, $(cat "$CTL_DIR/loop1.out") +" \
    "$(cat "$CTL_DIR/loop2.out") authentications meanwhile"
exit 0
