#!/bin/sh
# pg-cluster.sh itself: a throw-away cluster starts as an unprivileged
# owner (never root), answers on its Unix socket only, keeps fsync and
# synchronous_commit on, survives a restart and stops.  Fails (never
# skips) without PostgreSQL: tools/deps.sh installs it.
: "${top_srcdir:=.}"
PG=$top_srcdir/tests/pg/pg-cluster.sh
fail() { echo "cluster.sh: FAIL: $*" >&2; sh "$PG" stop "$dir" 2>/dev/null; exit 1; }
dir=$(mktemp -d /tmp/acapd-pgc.XXXXXX) || exit 1
trap 'sh "$PG" stop "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
url=$(sh "$PG" start "$dir") || fail "start"
case $url in "postgresql:///acapd?host=$(cd "$dir" && pwd -P)&"*) ;;
*) fail "URI $url";; esac
[ "$(sh "$PG" url "$dir")" = "$url" ] || fail "url differs from start's"
q() { sh "$PG" psql "$dir" -tAc "$1"; }
[ "$(q 'SHOW fsync')" = on ] || fail "fsync is not on"
[ "$(q 'SHOW synchronous_commit')" = on ] || fail "synchronous_commit is not on"
[ -z "$(q 'SHOW listen_addresses')" ] || fail "listens on TCP"
[ -S "$dir/.s.PGSQL.${ACAPD_PG_PORT:-5432}" ] || fail "no socket in $dir"
[ "$(q 'SELECT current_database()')" = acapd ] || fail "no database acapd"
[ "$(stat -c %u "$dir/data")" -ne 0 ] || fail "the cluster runs as root"
q 'CREATE TABLE t (v int); INSERT INTO t VALUES (7)' >/dev/null || fail "insert"
sh "$PG" restart "$dir" || fail "restart"
[ "$(q 'SELECT v FROM t')" = 7 ] || fail "row lost over a restart"
sh "$PG" stop "$dir" || fail "stop"
[ ! -S "$dir/.s.PGSQL.${ACAPD_PG_PORT:-5432}" ] || fail "socket left after stop"
sh "$PG" stop "$dir" || fail "a second stop is not a no-op"
echo "cluster.sh: ok"
