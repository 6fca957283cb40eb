#!/bin/sh
# Issue 14, finding 9: the database and the -wal and -shm files SQLite
# keeps beside it are 0600 whatever the umask and whatever the mode of the
# state directory, and existing ones left readable (an older acapd, an
# operator) become 0600 at the next start (acapd(8), doc/security.md).
. "${top_srcdir:-.}/tests/protocol/sec-lib.sh"

S=$CTL_DIR/state
D=$S/acapd.db

# every database file there is 0600; the -wal and -shm must be there
db_private() {
	for f in "$D" "$D-wal" "$D-shm"; do
		[ -f "$f" ] || fail "$1: no $f"
		[ "$(mode "$f")" = 600 ] || fail "$1: $f is $(mode "$f"), not 600"
	done
}

# first start under umask 022 and 000 in a 0755 directory: SIGKILL keeps
# the -wal and -shm that a clean stop removes
for u in 022 000; do
	rm -rf "$S"
	mkdir -m 0755 "$S"
	sec_conf "$S" "seed_site yes"
	(umask "$u" && sec_kill) || exit 1
	db_private "umask $u"
	# the sasldb and the port file keep their own rules
	[ "$(mode "$SEC_PORTFILE")" = 644 ] || fail "port file $(mode "$SEC_PORTFILE")"
	rm -f "$SEC_PORTFILE"
done

# left 0644 by an earlier version: 0600 again after the next start
chmod 0644 "$D" "$D-wal" "$D-shm"
(umask 022 && sec_kill) || exit 1
db_private "existing 0644 files"
grep -F -q "$D: mode 0644 changed to 0600" "$CTL_DIR/sec.out" ||
    fail "the change is not logged: $(cat "$CTL_DIR/sec.out")"

# and after a clean stop and a restart (SQLite creates the -wal again)
sec_serves
[ ! -e "$D-wal" ] || fail "clean stop left $D-wal"
chmod 0644 "$D"
(umask 000 && sec_kill) || exit 1
db_private "restart"
echo "sec-db-mode: ok"
