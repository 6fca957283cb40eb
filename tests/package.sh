#!/bin/sh
# tests/package.sh [TARBALL] -- the Debian package end to end, as root on
# a Debian machine where acapd is not installed (CI, .ci/run):
#  1. build it with "dpkg-buildpackage -us -uc -b" from a clean copy: the
#     release TARBALL (make dist) if given, else the checkout's files
#     (git ls-files: tracked and untracked, not ignored);
#  2. lintian: no error or warning (explained tags are overridden, see
#     doc/packaging.md);
#  3. dpkg -i; the files, the conffile, the user, /var/lib/acapd 0700;
#  4. acapd from the installed files and configuration, as the user
#     acapd, on 127.0.0.1 with a kernel-chosen port (systemd's
#     acapd.service with a drop-in when systemd runs, else started
#     directly the way the unit does); a scenario with the installed
#     acapctl: the bootstrap admin, org add, user add, set, show
#     --effective, the new user's own SEARCH and NOOP, a raw NOOP over
#     127.0.0.1; a clean stop;
#  5. dpkg -r keeps the data and the user, a reinstall finds them;
#  6. dpkg --purge removes files, configuration, /var/lib/acapd, user
#     and group.
# Prints "package: ok" and the time of each step.  Refuses to run where
# acapd is installed or its user or state directory exist (it would
# purge them).  PACKAGE_KEEP=1 keeps the work directory; PACKAGE_DEB=FILE
# tests that .deb instead of building one (steps 3 to 6 only).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tarball=${1:-}
PORT_FILE=/var/lib/acapd/acapd.port
DROPIN=/run/systemd/system/acapd.service.d/zz-package-test.conf

say() { echo "package: $*"; }
fail() {
	say "FAIL: $*" >&2
	if [ -n "${log:-}" ] && [ -s "$log" ]; then
		echo "--- acapd log (tail) ---" >&2
		tail -n 30 "$log" >&2
	fi
	if [ -n "${out:-}" ]; then
		echo "--- last output ---" >&2
		printf '%s\n' "$out" >&2
	fi
	exit 1
}
step_t0=$(date +%s)
step() {	# the time of the step that ends here
	now=$(date +%s)
	say "$1 ($((now - step_t0)) s)"
	step_t0=$now
}

[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg -i, the user acapd)"
command -v dpkg-buildpackage >/dev/null ||
	fail "no dpkg-buildpackage (apt-get install dpkg-dev debhelper)"
if dpkg-query -W -f='${Status}' acapd 2>/dev/null | grep -q installed ||
    getent passwd acapd >/dev/null || getent group acapd >/dev/null ||
    [ -e /var/lib/acapd ] || [ -e /etc/acapd ]; then
	fail "acapd is installed here, or its user, group, /etc/acapd or" \
	    "/var/lib/acapd exist: this test purges them, run it elsewhere"
fi

work=$(mktemp -d /tmp/acapd-package.XXXXXX) || exit 1
chmod 0755 "$work"
pid=
installed=
systemd=
log=
out=
cleanup() {
	if [ -n "$systemd" ]; then
		systemctl stop acapd.service acapd.socket >/dev/null 2>&1
		rm -f "$DROPIN"
		rmdir "$(dirname "$DROPIN")" 2>/dev/null
		systemctl daemon-reload >/dev/null 2>&1
	fi
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		sleep 1
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	[ -n "$installed" ] && dpkg --purge acapd >/dev/null 2>&1
	if [ -n "${PACKAGE_KEEP:-}" ]; then
		say "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# 1. A clean copy, then the package.
mkdir "$work/src"
if [ -n "${PACKAGE_DEB:-}" ]; then
	cp "$PACKAGE_DEB" "$work/src/" || fail "no $PACKAGE_DEB"
elif [ -n "$tarball" ]; then
	tar -xzf "$tarball" -C "$work/src" || fail "cannot unpack $tarball"
	src=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	[ -f "$src/debian/rules" ] ||
		fail "$tarball has no debian/ (EXTRA_DIST, debian/local.mk)"
else
	(cd "$top" && git ls-files -co --exclude-standard |
	    grep -v '^build/' | tar -cf - -T -) |
	    (mkdir "$work/src/acapd" && tar -xf - -C "$work/src/acapd") ||
	    fail "cannot copy the checkout (git ls-files)"
	src=$work/src/acapd
fi
if [ -z "${PACKAGE_DEB:-}" ]; then
	(cd "$src" && dpkg-buildpackage -us -uc -b -j"$(nproc)") \
	    > "$work/build.log" 2>&1 || {
		tail -n 40 "$work/build.log" >&2
		fail "dpkg-buildpackage failed (log above)"
	}
	grep -q '^PASS: tests/unit/check_store' "$work/build.log" ||
		fail "the build ran no unit suites (dh_auto_test)"
fi
deb=$(ls "$work"/src/acapd_*.deb 2>/dev/null | grep -v dbgsym | head -n 1)
[ -f "$deb" ] || fail "no acapd_*.deb in $work/src"
step "built $(basename "$deb")"

# 2. lintian: errors and warnings fail; what stays is explained in
# debian/acapd.lintian-overrides and doc/packaging.md.
command -v lintian >/dev/null || fail "no lintian (apt-get install lintian)"
if [ -z "${PACKAGE_DEB:-}" ]; then
	# lintian refuses nothing as root, but says so on every run
	out=$(lintian --fail-on error,warning --display-info \
	    "$work"/src/acapd_*.changes 2>&1) ||
		fail "lintian found errors or warnings"
	out=$(printf '%s\n' "$out" | grep -v 'root privileges is not recommended')
	[ -n "$out" ] && printf '%s\n' "$out"
	out=
	step "lintian: no error, no warning"
fi

# 3. Install; what the package put where.  Under systemd, postinst starts
# acapd.service: a drop-in written first makes it listen on 127.0.0.1
# with a kernel-chosen port instead of port 674 on every address (only
# where it listens changes; the unit is the installed one).
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
	systemd=1
	mkdir -p "$(dirname "$DROPIN")"
	printf '%s\n' '[Service]' 'ExecStart=' \
	    "ExecStart=/usr/sbin/acapd -f /etc/acapd/acapd.conf -l 127.0.0.1:0 -o portfile=$PORT_FILE" \
	    > "$DROPIN"
fi
out=$(dpkg -i "$deb" 2>&1) || fail "dpkg -i $(basename "$deb")"
installed=1
for f in /usr/sbin/acapd /usr/bin/acapctl; do
	[ -x "$f" ] || fail "no $f"
done
for f in /usr/share/man/man8/acapd.8.gz /usr/share/man/man1/acapctl.1.gz \
    /usr/share/man/man5/acapd.conf.5.gz /usr/share/doc/acapd/copyright \
    /usr/share/doc/acapd/packaging.md.gz \
    /usr/share/doc/acapd/examples/logrotate.acapd \
    /usr/share/acapd/site-template.json; do
	[ -f "$f" ] || fail "no $f"
done
unitdir=
for d in /lib/systemd/system /usr/lib/systemd/system; do
	[ -f "$d/acapd.service" ] && unitdir=$d
done
[ -n "$unitdir" ] || fail "no acapd.service"
[ -f "$unitdir/acapd.socket" ] || fail "no acapd.socket"
grep -q '^ExecStart=/usr/sbin/acapd -f /etc/acapd/acapd.conf$' \
    "$unitdir/acapd.service" || fail "acapd.service: unexpected ExecStart"
[ ! -e /etc/logrotate.d/acapd ] ||
	fail "/etc/logrotate.d/acapd: acapd writes no log file"
dpkg-query -W -f='${Conffiles}\n' acapd | grep -q '^ /etc/acapd/acapd.conf ' ||
	fail "/etc/acapd/acapd.conf is not a conffile"
grep -q '^statedir /var/lib/acapd$' /etc/acapd/acapd.conf ||
	fail "acapd.conf: no statedir /var/lib/acapd"
getent passwd acapd | grep -q ':/var/lib/acapd:/usr/sbin/nologin$' ||
	fail "user acapd: $(getent passwd acapd)"
[ "$(stat -c '%a %U %G' /var/lib/acapd)" = "700 acapd acapd" ] ||
	fail "/var/lib/acapd is $(stat -c '%a %U %G' /var/lib/acapd)"
# acapd's default configuration file is the packaged one
out=$(/usr/sbin/acapd -t 2>&1) || fail "acapd -t (/etc/acapd/acapd.conf)"
out=$(/usr/sbin/acapd -V 2>&1) || fail "acapd -V"
printf '%s\n' "$out" | grep -q "$(dpkg-query -W -f='${Version}' acapd)" ||
	fail "acapd -V does not name the package version"
out=
step "installed: files, conffile, user acapd, /var/lib/acapd 700"

# 4. acapd from the installed files, on 127.0.0.1 only.
start_acapd() {
	rm -f "$PORT_FILE"
	log=$work/acapd.log
	: > "$log"
	if [ -n "$systemd" ]; then
		# the installed unit with the drop-in (step 3)
		systemctl restart acapd.service ||
			fail "systemctl restart acapd"
	else
		# no systemd (a container): as the unit would, as user acapd
		setpriv --reuid=acapd --regid=acapd --init-groups \
		    /usr/sbin/acapd -f /etc/acapd/acapd.conf \
		    -l 127.0.0.1:0 -o "portfile=$PORT_FILE" >> "$log" 2>&1 &
		pid=$!
	fi
	n=0
	port=
	while [ $n -lt 300 ]; do
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			pid=
			fail "acapd exited during start-up"
		fi
		port=$(awk 'NR == 1 && NF == 2 { print $2 }' "$PORT_FILE" \
		    2>/dev/null)
		[ -n "$port" ] && break
		sleep 0.1
		n=$((n + 1))
	done
	[ -n "$port" ] || fail "acapd did not start within 30 s"
}

stop_acapd() {
	if [ -n "$systemd" ]; then
		systemctl stop acapd.service || fail "systemctl stop acapd"
		journalctl -u acapd.service --no-pager > "$log" 2>&1
	else
		kill -TERM "$pid"
		wait "$pid"
		st=$?
		pid=
		[ "$st" -eq 0 ] || fail "acapd exited $st on SIGTERM"
	fi
	[ ! -e "$PORT_FILE" ] || fail "port file left after the stop"
}

ctl() {		# USER PASSWORD-FILE acapctl-arguments...
	u=$1
	pwf=$2
	shift 2
	out=$(ACAPCTL_CONFIG=/dev/null /usr/bin/acapctl -H 127.0.0.1 \
	    -p "$port" -u "$u" --password-file "$pwf" \
	    --cafile /var/lib/acapd/cert.pem --timeout 20 "$@" 2>&1) ||
		fail "acapctl -u $u $*"
}
has() {
	printf '%s\n' "$out" | grep -E -q -- "$1" ||
		fail "output does not match /$1/"
}

start_acapd
# the first start made the certificate and the admin with its password
for f in acapd.db sasldb2 cert.pem key.pem admin-password; do
	[ -f "/var/lib/acapd/$f" ] || fail "no /var/lib/acapd/$f"
	[ "$(stat -c %U "/var/lib/acapd/$f")" = acapd ] ||
		fail "/var/lib/acapd/$f belongs to $(stat -c %U \
		    "/var/lib/acapd/$f")"
done
[ "$(stat -c %a /var/lib/acapd/admin-password)" = 600 ] ||
	fail "admin-password is not mode 600"
admin_pw=/var/lib/acapd/admin-password
if [ -n "$systemd" ]; then
	main=$(systemctl show -p MainPID --value acapd.service)
else
	main=$pid	# setpriv execs acapd
fi
[ "$(ps -o user= -o comm= -p "$main" | awk '{ print $1, $2 }')" = \
    "acapd acapd" ] || fail "process $main is not acapd run by acapd"

# the greeting and a NOOP with no client but a socket
out=$(printf 'a1 NOOP\r\na2 LOGOUT\r\n' |
    timeout 20 socat -t 5 - "TCP:127.0.0.1:$port" 2>&1) ||
	fail "socat to 127.0.0.1:$port"
has '^\* ACAP \(IMPLEMENTATION "acapd'
has '^a1 OK'
has '^a2 OK'

ctl admin "$admin_pw" info
has 'implementation: +acapd'
has 'TLS: +yes'
has 'logged in as: +admin'
ctl admin "$admin_pw" org add acme --description "Acme Corp"
# the account in the installed sasldb (as root, like an administrator
# with sudo) and the settings layer, in one command
printf 'bob-secret-pw\n' > "$work/bob.pw"
chmod 600 "$work/bob.pw"
ctl admin "$admin_pw" -s /var/lib/acapd user add bob --org acme \
    --password-file "$work/bob.pw"
[ "$(stat -c '%U %a' /var/lib/acapd/sasldb2)" = "acapd 600" ] ||
	fail "sasldb2 is $(stat -c '%U %a' /var/lib/acapd/sasldb2) after" \
	    "acapctl as root"
ctl admin "$admin_pw" set org:acme mail email.server.IMAP \
    imap://imap.acme.example/
ctl admin "$admin_pw" set user:bob mail email.server.SMTP \
    submission://smtp.acme.example:587/
ctl admin "$admin_pw" show user bob --effective
# each value with the layer it comes from
has 'email\.server\.IMAP = "imap://imap\.acme\.example/".*\(org:acme\)'
has 'email\.server\.SMTP = "submission://smtp\.acme\.example:587/".*\(user:bob\)'
# bob himself: his effective entry by SEARCH, and a NOOP
search='SEARCH "/email/user/bob/" RETURN ("email.server.IMAP")'
ctl bob "$work/bob.pw" raw "$search EQUAL \"entry\" \"i;octet\" \"mail\""
has 'imap://imap\.acme\.example/'
has 'OK'
ctl bob "$work/bob.pw" raw NOOP
has 'OK'
stop_acapd
step "acapd from the installed files: scenario passed, clean stop"

# 5. Remove keeps the data and the user; a reinstall finds them.
out=$(dpkg -r acapd 2>&1) || fail "dpkg -r acapd"
[ ! -e /usr/sbin/acapd ] || fail "/usr/sbin/acapd after dpkg -r"
[ -f /var/lib/acapd/acapd.db ] || fail "dpkg -r removed the database"
[ -f /etc/acapd/acapd.conf ] || fail "dpkg -r removed the conffile"
getent passwd acapd >/dev/null || fail "dpkg -r removed the user"
out=$(dpkg -i "$deb" 2>&1) || fail "dpkg -i after dpkg -r"
start_acapd
ctl admin "$admin_pw" show user bob --effective
has 'imap://imap\.acme\.example/'
stop_acapd
step "dpkg -r kept data and user; reinstalled, bob is still there"

# 6. Purge removes everything.
out=$(dpkg --purge acapd 2>&1) || fail "dpkg --purge acapd"
installed=
if dpkg-query -W -f='${Status}' acapd 2>/dev/null | grep -q installed; then
	fail "acapd still known to dpkg after the purge"
fi
for f in /usr/sbin/acapd /usr/bin/acapctl /etc/acapd /var/lib/acapd \
    "$unitdir/acapd.service" /usr/share/doc/acapd \
    /usr/share/man/man8/acapd.8.gz; do
	[ ! -e "$f" ] || fail "$f left after dpkg --purge"
done
getent passwd acapd >/dev/null && fail "user acapd left after the purge"
getent group acapd >/dev/null && fail "group acapd left after the purge"
step "purged: no files, no /etc/acapd, no /var/lib/acapd, no user"
say ok
