#!/bin/sh
# Issue 14, finding 6: acapd refuses a state directory another user can
# write (group or other write permission, or owned by someone else), with
# a message naming the directory and the rule, before it creates anything
# there (acapd(8), doc/security.md).
. "${top_srcdir:-.}/tests/protocol/sec-lib.sh"

S=$CTL_DIR/state

# group- or world-writable, sticky or not: refused, nothing created
for m in 0777 1777 0770 0720 0702 0775; do
	rm -rf "$S"
	mkdir "$S"
	chmod "$m" "$S"
	sec_conf "$S" "bootstrap_admin admin"
	sec_refused "statedir $S is writable by"
	printf '%s\n' "$SEC_OUT" | grep -F -q "must be writable by its owner only" ||
	    fail "mode $m: the message does not state the rule: $SEC_OUT"
	[ -z "$(ls -A "$S")" ] || fail "mode $m: files created: $(ls -A "$S")"
	[ "$(mode "$S")" = "${m#0}" ] || fail "mode $m: acapd changed the mode"
done

# owned by another user: refused
other=$(other_user)
if [ -n "$other" ]; then
	rm -rf "$S"
	mkdir -m 0700 "$S"
	chown "$other" "$S"
	sec_conf "$S" "bootstrap_admin admin"
	sec_refused "statedir $S belongs to $other"
	[ -z "$(ls -A "$S")" ] || fail "foreign owner: files created"
else
	# not root: a directory of root's that we cannot write
	sec_conf / "bootstrap_admin admin"
	sec_refused "statedir / belongs to root"
fi

# acceptable: 0700 and 0755 of our own, and a missing one (created 0700)
for m in 0700 0755; do
	rm -rf "$S"
	mkdir "$S"
	chmod "$m" "$S"
	sec_conf "$S"
	sec_serves
	[ -s "$S/acapd.db" ] || fail "mode $m: no database"
done
rm -rf "$S"
sec_conf "$S"
(umask 000 && sec_serves) || exit 1
[ "$(mode "$S")" = 700 ] || fail "new statedir is $(mode "$S"), not 700"

# as root with "user": the directory may be root's or that user's
if [ -n "$other" ]; then
	chmod 0711 "$CTL_DIR"	# so that $other reaches $S
	rm -rf "$S"
	mkdir -m 0700 "$S"
	SEC_PORTFILE=$S/port	# written after the privilege drop
	sec_conf "$S" "user $other"
	sec_serves
	[ "$(stat -c %U "$S")" = "$other" ] || fail "statedir not given to $other"
	sec_serves	# owned by the user acapd runs as: accepted
	chmod 0770 "$S"
	sec_refused "statedir $S is writable by its group"
fi
echo "sec-statedir: ok"
