#!/bin/sh
# A throw-away PostgreSQL cluster for the tests and benchmarks.
#
#   pg-cluster.sh start DIR     initdb in DIR/data, start it, create the
#                               database "acapd"; prints its libpq URI
#   pg-cluster.sh url DIR       prints the URI of the cluster in DIR
#   pg-cluster.sh stop DIR      stops it (fast); DIR is left for the caller
#   pg-cluster.sh restart DIR   pg_ctl restart (fault tests)
#   pg-cluster.sh kill DIR      SIGKILL the postmaster (crash tests)
#   pg-cluster.sh psql DIR ...  psql on the database, extra arguments passed
#   pg-cluster.sh bindir        prints the PostgreSQL server bin directory
#
# The cluster listens on a Unix socket in DIR only (listen_addresses=''),
# never on TCP; it trusts local connections (the socket's directory is the
# only way in), keeps fsync and synchronous_commit on (the benchmarks and
# the fault tests measure durable commits) and uses little memory.  It
# never touches the system cluster.
#
# initdb refuses to run as root: run as root, the cluster runs as an
# unprivileged user ($ACAPD_PG_OSUSER, else "postgres" when it exists,
# else "nobody"), DIR is made its and must be reachable by it (use a
# directory under /tmp, e.g. mktemp -d).  The database user is always
# "acapd", whoever owns the files.
#
# Environment: ACAPD_PG_BINDIR (server binaries), ACAPD_PG_OSUSER,
# ACAPD_PG_PORT (socket name .s.PGSQL.PORT, default 5432),
# ACAPD_PG_SETTINGS (extra postgresql.conf lines, newline separated).
# Exit status: 0 done, 1 failed (message on stderr), 2 usage.
set -u

me=pg-cluster.sh
DB=acapd
DBUSER=acapd

die() { echo "$me: $*" >&2; exit 1; }

usage() {
	echo "usage: $me start|stop|url|restart|kill|psql DIR [psql args] | bindir" >&2
	exit 2
}

# The server's bin directory: pg_config --bindir when that has initdb (on
# Debian pg_config is libpq-dev's and may name the client's version), else
# the newest /usr/lib/postgresql/*/bin with initdb.
bindir() {
	if [ -n "${ACAPD_PG_BINDIR:-}" ]; then
		[ -x "$ACAPD_PG_BINDIR/initdb" ] ||
			die "ACAPD_PG_BINDIR=$ACAPD_PG_BINDIR has no initdb"
		echo "$ACAPD_PG_BINDIR"; return 0
	fi
	if command -v pg_config >/dev/null 2>&1; then
		b=$(pg_config --bindir 2>/dev/null)
		if [ -n "$b" ] && [ -x "$b/initdb" ]; then echo "$b"; return 0; fi
	fi
	# The highest major version by number (a glob sorts 10 before 9).
	best=$(for b in /usr/lib/postgresql/*/bin; do
		[ -x "$b/initdb" ] || continue
		v=${b#/usr/lib/postgresql/}; v=${v%/bin}
		echo "$v $b"
	done | sort -n | tail -1 | cut -d' ' -f2)
	[ -z "$best" ] && command -v initdb >/dev/null 2>&1 &&
		best=$(dirname "$(command -v initdb)")
	[ -n "$best" ] || die "no PostgreSQL server found (initdb); install postgresql (tools/deps.sh)"
	echo "$best"
}

# The OS user the cluster runs as ("" = the current user).
osuser() {
	[ "$(id -u)" -ne 0 ] && { echo ""; return 0; }
	if [ -n "${ACAPD_PG_OSUSER:-}" ]; then echo "$ACAPD_PG_OSUSER"
	elif id postgres >/dev/null 2>&1; then echo postgres
	else echo nobody; fi
}

# Run a command as the cluster's owner.
as_owner() {
	u=$(osuser)
	if [ -z "$u" ]; then "$@"
	elif command -v runuser >/dev/null 2>&1; then runuser -u "$u" -- "$@"
	else setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups -- "$@"
	fi
}

absdir() {
	[ -d "$1" ] || die "$1: no such directory"
	(cd "$1" && pwd -P)
}

port() { echo "${ACAPD_PG_PORT:-5432}"; }

url() {
	d=$(absdir "$1") || exit 1
	[ -f "$d/data/PG_VERSION" ] || die "$d: no cluster (run '$me start $d' first)"
	echo "postgresql:///$DB?host=$d&port=$(port)&user=$DBUSER"
}

start() {
	[ -n "$1" ] || usage
	mkdir -p "$1" || die "cannot create $1"
	d=$(absdir "$1") || exit 1
	b=$(bindir) || exit 1
	case $d in *[!A-Za-z0-9/._-]*)
		die "$d: use a directory name of letters, digits, / . _ - (it goes into a URI)";;
	esac
	# The socket path must fit in sun_path (107 bytes).
	[ ${#d} -le 90 ] || die "$d: too long for a Unix socket path; use a directory under /tmp"
	u=$(osuser)
	if [ -n "$u" ]; then
		chown "$u" "$d" || die "cannot give $d to $u"
		chmod 0700 "$d"
		as_owner test -x "$d" ||
			die "$d is not reachable by $u (a parent directory is closed); use a directory under /tmp"
	fi
	if [ ! -f "$d/data/PG_VERSION" ]; then
		as_owner "$b/initdb" -D "$d/data" -U "$DBUSER" -A trust -E UTF8 \
			--locale=C -N >"$d/initdb.log" 2>&1 ||
			{ cat "$d/initdb.log" >&2; die "initdb failed (log: $d/initdb.log)"; }
		{
			echo "# pg-cluster.sh: throw-away test cluster"
			echo "listen_addresses = ''"
			echo "unix_socket_directories = '$d'"
			echo "port = $(port)"
			echo "fsync = on"
			echo "synchronous_commit = on"
			echo "full_page_writes = on"
			echo "shared_buffers = 16MB"
			echo "max_connections = 300"
			echo "max_wal_size = 256MB"
			echo "dynamic_shared_memory_type = posix"
			echo "log_min_messages = warning"
			echo "logging_collector = off"
			[ -n "${ACAPD_PG_SETTINGS:-}" ] && printf '%s\n' "$ACAPD_PG_SETTINGS"
		} >>"$d/data/postgresql.conf"
	fi
	as_owner "$b/pg_ctl" -D "$d/data" -l "$d/server.log" -w -t 60 start \
		>"$d/pg_ctl.log" 2>&1 ||
		{ cat "$d/pg_ctl.log" "$d/server.log" >&2 2>/dev/null; die "pg_ctl start failed (log: $d/server.log)"; }
	if ! "$b/psql" -X -q -h "$d" -p "$(port)" -U "$DBUSER" -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
		"$b/createdb" -h "$d" -p "$(port)" -U "$DBUSER" "$DB" ||
			die "createdb $DB failed"
	fi
	url "$d"
}

stop() {
	d=$(absdir "$1") || exit 1
	b=$(bindir) || exit 1
	[ -f "$d/data/postmaster.pid" ] || return 0
	as_owner "$b/pg_ctl" -D "$d/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
		die "pg_ctl stop failed (log: $d/server.log)"
}

restart() {
	d=$(absdir "$1") || exit 1
	b=$(bindir) || exit 1
	as_owner "$b/pg_ctl" -D "$d/data" -l "$d/server.log" -m fast -w -t 60 \
		restart >/dev/null 2>&1 ||
		die "pg_ctl restart failed (log: $d/server.log)"
}

kill9() {
	d=$(absdir "$1") || exit 1
	[ -f "$d/data/postmaster.pid" ] || die "$d: not running"
	pid=$(head -1 "$d/data/postmaster.pid")
	kill -KILL "$pid" || die "cannot kill postmaster $pid"
}

[ $# -ge 1 ] || usage
cmd=$1; shift
case $cmd in
bindir) bindir ;;
start) [ $# -eq 1 ] || usage; start "$1" ;;
stop) [ $# -eq 1 ] || usage; stop "$1" ;;
url) [ $# -eq 1 ] || usage; url "$1" ;;
restart) [ $# -eq 1 ] || usage; restart "$1" ;;
kill) [ $# -eq 1 ] || usage; kill9 "$1" ;;
psql)
	[ $# -ge 1 ] || usage
	d=$(absdir "$1") || exit 1; shift
	b=$(bindir) || exit 1
	exec "$b/psql" -X -q -h "$d" -p "$(port)" -U "$DBUSER" -d "$DB" "$@" ;;
*) usage ;;
esac
