#!/bin/sh
# Issue 14, finding 6: the bootstrap admin's password goes only into a
# fresh file acapd creates itself, mode 0600 whatever the umask.  A file
# already at statedir/admin-password that acapd did not write (a symbolic
# link, another mode, another owner) stops the start-up and receives
# nothing; acapd's own file from an earlier first start is replaced
# (acapd(8), doc/security.md).  The first start takes the sasldb
# writers' lock around its account (doc/sasl.md).
. "${top_srcdir:-.}/tests/protocol/sec-lib.sh"

S=$CTL_DIR/state
P=$S/admin-password

fresh() {
	rm -rf "$S"
	mkdir -m 0700 "$S"
	sec_conf "$S" "bootstrap_admin admin" "admins admin" \
	    "tls_generate yes" "tls_cert cert.pem" "tls_key key.pem"
}

# planted 0644 file: refused, still empty, no account created
fresh
: > "$P"
chmod 0644 "$P"
sec_refused "bootstrap admin: $P exists with mode 0644"
[ ! -s "$P" ] || fail "the planted 0644 file received a password"
[ "$(mode "$P")" = 644 ] || fail "the planted file's mode changed"
# once it is removed, the same instance starts and writes its own
rm -f "$P"
sec_serves
[ -s "$P" ] && [ "$(mode "$P")" = 600 ] || fail "no password after removal"

# symbolic link to a file elsewhere: refused, the target untouched
fresh
printf 'precious\n' > "$CTL_DIR/target"
chmod 0644 "$CTL_DIR/target"
ln -s "$CTL_DIR/target" "$P"
sec_refused "bootstrap admin: $P exists and is not a regular file"
[ "$(cat "$CTL_DIR/target")" = precious ] || fail "the link's target changed"
[ -L "$P" ] || fail "the link was replaced"
# a dangling one (the file it names would be created): refused as well
rm -f "$P" "$CTL_DIR/target"
ln -s "$CTL_DIR/target" "$P"
sec_refused "bootstrap admin: $P exists and is not a regular file"
[ ! -e "$CTL_DIR/target" ] || fail "a file was created through the link"

# another user's 0600 file (root only: a file we do not own)
other=$(other_user)
if [ -n "$other" ]; then
	fresh
	: > "$P"
	chmod 0600 "$P"
	chown "$other" "$P"
	sec_refused "bootstrap admin: $P exists and belongs to $other"
	[ ! -s "$P" ] || fail "$other's file received a password"
else
	echo "sec-admin-password: not root: the other-owner case needs root" \
	    "to create a file of another user; not run" >&2
	sec_not_run="other-owner"
fi

# acapctl is writing the sasldb (it holds the writers' lock, and will
# rename its copy over the file): the first start waits for it before
# it adds its admin account, else the rename would drop the account
fresh
flock "$S/sasldb2.lock" sh -c ": > '$CTL_DIR/held'; sleep 2" &
holder=$!
n=0
while [ ! -e "$CTL_DIR/held" ]; do
	[ $n -lt 100 ] || fail "the lock holder did not start"
	sleep 0.1
	n=$((n + 1))
done
sec_start
! kill -0 "$holder" 2>/dev/null ||
    fail "acapd created its admin account while the writers' lock was held"
wait "$holder"
kill -TERM "$SEC_PID"
wait "$SEC_PID"
CTL_PID=
[ -s "$P" ] || fail "no admin-password after waiting for the lock"
rm -f "$CTL_DIR/held"

# the normal case, with a permissive umask: a new 0600 regular file
fresh
(umask 000 && sec_serves) || exit 1
[ -f "$P" ] && [ ! -L "$P" ] || fail "no admin-password file"
[ "$(mode "$P")" = 600 ] || fail "admin-password is $(mode "$P"), not 600"
[ "$(wc -l < "$P")" -eq 1 ] && [ "$(wc -c < "$P")" -gt 16 ] ||
    fail "admin-password does not hold one password line"
grep -F -q "(mode 0600)" "$CTL_DIR/sec.out" || fail "no first-start note"
first=$(cat "$P")
# the password works: log in with it
sec_start
CTL_PORT=$(awk 'NR == 1 { print $2 }' "$SEC_PORTFILE")
CTL_OUT=$("$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u admin --password-file "$P" \
    --cafile "$S/cert.pem" --timeout 10 info 2>&1) ||
    fail "admin cannot log in with the password in $P"
kill -TERM "$SEC_PID"
wait "$SEC_PID"
CTL_PID=

# a later start: the account exists, the file stays as it is
sec_serves
[ "$(cat "$P")" = "$first" ] || fail "a later start rewrote admin-password"

# acapd's own file from an earlier first start (its account is gone:
# here a new bootstrap_admin name) is replaced by a fresh one
sec_conf "$S" "bootstrap_admin admin2" "admins admin2" \
    "tls_generate yes" "tls_cert cert.pem" "tls_key key.pem"
sec_serves
[ "$(mode "$P")" = 600 ] || fail "the replaced file is $(mode "$P")"
[ "$(cat "$P")" != "$first" ] || fail "admin-password not replaced"

# started as root with "user": the file from the first start is that
# user's (startup_chown), and still acapd's own at the next first start
if [ -n "$other" ]; then
	chmod 0711 "$CTL_DIR"	# so that $other reaches $S
	SEC_PORTFILE=$S/port	# written after the privilege drop
	fresh
	sec_conf "$S" "bootstrap_admin admin" "admins admin" "user $other"
	sec_serves
	[ "$(stat -c %U:%a "$P")" = "$other:600" ] ||
	    fail "admin-password is $(stat -c %U:%a "$P"), not $other:600"
	first=$(cat "$P")
	sec_conf "$S" "bootstrap_admin admin2" "admins admin2" "user $other"
	sec_serves
	[ "$(cat "$P")" != "$first" ] || fail "$other's file not replaced"
fi
if [ -n "${sec_not_run:-}" ]; then
	# a part not run is not a pass: report the whole test skipped
	skip "not run (needs root): $sec_not_run"
fi
echo "sec-admin-password: ok"
