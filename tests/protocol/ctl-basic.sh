#!/bin/sh
# acapctl basics against a live acapd: the test driver's account form,
# STARTTLS with certificate checks, SASL login, exit statuses, --json,
# batches (-f, stdin, -k), the configuration file and password sources.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

ctl_start

# The form tests/protocol/acap-script.c relies on: local account only.
printf '%s\n' 'admin-secret-pw' |
    "$ACAPCTL" -s "$CTL_DIR" user add --password-stdin admin > /dev/null ||
    fail "user add --password-stdin (acap-script form)"
[ -s "$CTL_DIR/sasldb2" ] || fail "no sasldb2 in the state directory"
printf '%s\n' 'admin-secret-pw' > "$CTL_DIR/admin.pw"
chmod 600 "$CTL_DIR/admin.pw"
CTL_USER=admin

# The account logs in (SCRAM/CRAM over STARTTLS, verified certificate).
ok info
has 'implementation: +acapd'
has 'TLS: +yes'
has 'logged in as: +admin'

# A second add of the same account fails; a bad name is a usage error.
CTL_OUT=$(printf 'x\n' | "$ACAPCTL" -s "$CTL_DIR" user add \
    --password-stdin admin 2>&1); st=$?
[ $st -eq 1 ] || fail "second user add exited $st, expected 1"
CTL_OUT=$(printf 'x\n' | "$ACAPCTL" -s "$CTL_DIR" user add \
    --password-stdin 'bad/name' 2>&1); st=$?
[ $st -eq 2 ] || fail "user add bad/name exited $st, expected 2"

# Local account listing and password change; the new password works.
CTL_OUT=$("$ACAPCTL" -s "$CTL_DIR" user list --local 2>&1) ||
    fail "user list --local"
has '^admin@'
printf '%s\n' 'carol-pw-1' |
    "$ACAPCTL" -s "$CTL_DIR" user add --password-stdin carol >/dev/null ||
    fail "user add carol"
printf '%s\n' 'carol-pw-2' |
    "$ACAPCTL" -s "$CTL_DIR" user passwd --password-stdin carol \
    >/dev/null || fail "user passwd carol"
printf 'carol-pw-2\n' > "$CTL_DIR/carol.pw"
CTL_USER=carol
ok info
has 'logged in as: +carol'
printf 'carol-pw-1\n' > "$CTL_DIR/carol.pw"
status 1 info
has 'authentication failed'
CTL_USER=admin

# Certificate verification: a wrong CA fails, --insecure accepts.
CTL_OUT=$("$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u admin \
    --password-file "$CTL_DIR/admin.pw" --cafile /dev/null info 2>&1)
[ $? -eq 1 ] || fail "a bogus CA file was accepted"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$CTL_DIR/other.key" \
    -out "$CTL_DIR/other.pem" -days 1 -subj /CN=other >/dev/null 2>&1 &&
{
	CTL_OUT=$("$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u admin \
	    --password-file "$CTL_DIR/admin.pw" --cafile "$CTL_DIR/other.pem" \
	    info 2>&1)
	[ $? -eq 1 ] || fail "a certificate from another CA was accepted"
	has 'certificate verification failed'
}
CTL_OUT=$("$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u admin \
    --password-file "$CTL_DIR/admin.pw" --insecure info 2>&1) ||
    fail "--insecure refused"
# the name check: the certificate is for localhost/127.0.0.1, not this
CTL_OUT=$("$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u admin \
    --password-file "$CTL_DIR/admin.pw" --cafile "$CTL_DIR/cert.pem" \
    --tls-name wrong.example info 2>&1)
[ $? -eq 1 ] || fail "a wrong host name was accepted"
# Without TLS the password never goes in clear: no PLAIN offered or used.
CTL_OUT=$("$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u admin \
    --password-file "$CTL_DIR/admin.pw" --no-starttls info 2>&1) ||
    fail "--no-starttls login"
has 'TLS: +no'
hasnt 'logged in as: +admin \(PLAIN\)'

# Password from the environment; nothing in argv.
CTL_OUT=$(ACAPCTL_PASSWORD=admin-secret-pw "$ACAPCTL" -H 127.0.0.1 \
    -p "$CTL_PORT" -u admin --cafile "$CTL_DIR/cert.pem" info 2>&1) ||
    fail "ACAPCTL_PASSWORD login"
# ... and no password at all, no terminal: a clear error (setsid: no
# controlling terminal even when make check runs in one).
if command -v setsid >/dev/null 2>&1; then
	CTL_OUT=$(setsid -w "$ACAPCTL" -H 127.0.0.1 -p "$CTL_PORT" -u admin \
	    --cafile "$CTL_DIR/cert.pem" info 2>&1 < /dev/null)
	[ $? -eq 1 ] || fail "login without any password source"
	has 'no password'
fi

# Connection defaults from the configuration file.
cat > "$CTL_DIR/acapctl.conf" <<CONF
# test configuration
host 127.0.0.1
port $CTL_PORT
user admin
password-file $CTL_DIR/admin.pw
cafile $CTL_DIR/cert.pem
CONF
CTL_OUT=$(ACAPCTL_CONFIG="$CTL_DIR/acapctl.conf" "$ACAPCTL" info 2>&1) ||
    fail "info with the configuration file"
has 'logged in as: +admin'
echo "password secret" >> "$CTL_DIR/acapctl.conf"
CTL_OUT=$(ACAPCTL_CONFIG="$CTL_DIR/acapctl.conf" "$ACAPCTL" info 2>&1)
[ $? -eq 2 ] || fail "a password in the configuration file was accepted"

# Exit statuses and JSON.
status 2 frobnicate
status 2 org
status 2 set site
ok --json info
json_has ok true
json_has tls true
status 2 --json frobnicate
json_has ok false
json_has status 2
status 1 --json set site corp email.server.IMAP imap://h:0/
json_has ok false
has 'email.server.IMAP.*1-65535'

# Batches: one command per line, # comments, stop at the first failure.
cat > "$CTL_DIR/batch" <<'B'
# a comment
org add one
org add one
org add two
B
status 1 -f "$CTL_DIR/batch"
has 'already exists'
has 'stopped'
ok org list
has '^one'
hasnt '^two'
status 1 -k -f "$CTL_DIR/batch"
ok org list
has '^two'
# from standard input, in JSON: one object per line
CTL_OUT=$(printf 'org list\nhelp org\n' | "$ACAPCTL" -H 127.0.0.1 \
    -p "$CTL_PORT" -u admin --password-file "$CTL_DIR/admin.pw" \
    --cafile "$CTL_DIR/cert.pem" --json 2>&1) || fail "stdin batch"
[ "$(printf '%s\n' "$CTL_OUT" | grep -c '^{"command"')" -eq 2 ] ||
    fail "expected two JSON lines"
# --password-stdin cannot share stdin with the commands
CTL_OUT=$(printf 'user add x --password-stdin\n' | "$ACAPCTL" \
    -s "$CTL_DIR" 2>&1)
[ $? -eq 1 ] || fail "--password-stdin in a stdin batch"
has 'standard input carries the commands'

# raw
ok raw NOOP
has '^OK'
status 1 raw 'SEARCH "/nonexistent-class/site/" RETURN ("*") ALL'
exit 0
