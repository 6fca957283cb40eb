#!/bin/sh
# Crash safety (RFC 2244 §6.6.1: all of a STORE or none of it): clients
# pipeline STOREs, acapd is killed with SIGKILL in the middle, and after a
# restart every acknowledged STORE is there, every STORE is all-or-nothing
# (each one writes two entries in two datasets), modtimes still increase,
# and SQLite's integrity_check on the database says ok.
. "${top_srcdir:-.}/tests/protocol/ds-lib.sh"

command -v sqlite3 >/dev/null 2>&1 ||
    ds_missing "sqlite3 is not installed (tools/deps.sh)"
ds_useradd fred pw
ds_useradd joe pw
ds_start
export DS_PID
ds_python <<'PY' || ds_fail "store loop failed"
import os, signal, socket, threading, time
from dsclient import Conn, check, fail

WINDOW, KILL_AFTER = 16, 400
lock = threading.Lock()
acked = []
count = [0]
errors = []

def run(user):
    try:
        c = Conn()
        c.login(user, 'pw')
    except Exception as e:
        errors.append('%s: %r' % (user, e))
        return
    inflight, n = [], 0
    while True:
        try:
            while len(inflight) < WINDOW:
                n += 1
                # two entries, two datasets, one STORE
                v = '%s-%05d' % (user, n) + 'x' * (n % 97)
                inflight.append((c.send(
                    'STORE ("/addressbook/~/e%05d" "ab.v" "%s") '
                    '("/option/~/crash/e%05d" "option.value" "%s")'
                    % (n, v, n, v)), n, v))
            tag, k, v = inflight.pop(0)
            got, done = c.result(tag)
        except (EOFError, OSError):
            return
        if done[1] != 'OK':
            errors.append('%s: %r' % (user, done))
            return
        with lock:
            acked.append((user, k, v))
            count[0] += 1
            if count[0] == KILL_AFTER:
                os.kill(int(os.environ['DS_PID']), signal.SIGKILL)

threads = [threading.Thread(target=run, args=(u,), daemon=True)
           for u in ('fred', 'joe')]
for t in threads:
    t.start()
for t in threads:
    t.join(120)
check(not errors, 'errors: %r' % errors)
check(not any(t.is_alive() for t in threads), 'clients still running')
check(len(acked) >= KILL_AFTER, 'only %d STOREs acknowledged' % len(acked))
with open(os.path.join(os.environ['DS_DIR'], 'acked'), 'w') as f:
    for user, k, v in acked:
        f.write('%s %d %s\n' % (user, k, v))
PY
# acapd died of SIGKILL
wait "$DS_PID"
st=$?
DS_PID=
[ "$st" -eq 137 ] || ds_fail "acapd exited $st, expected death by SIGKILL"
# integrity of the database as the crash left it (on a copy: the restart
# below must do its own recovery of the original)
mkdir "$DS_DIR/copy"
cp "$DS_DIR"/acapd.db* "$DS_DIR/copy/" || ds_fail "no database"
ic=$(sqlite3 "$DS_DIR/copy/acapd.db" 'PRAGMA integrity_check' 2>&1)
[ "$ic" = ok ] || ds_fail "integrity_check after the crash: $ic"
ds_start "integrity_check yes"
ds_python <<'PY' || ds_fail "check after restart failed"
import os
from dsclient import Conn, check, fail

acked = {}
with open(os.path.join(os.environ['DS_DIR'], 'acked')) as f:
    for line in f:
        user, k, v = line.split()
        acked[(user, int(k))] = v
for user in ('fred', 'joe'):
    c = Conn()
    c.login(user, 'pw')
    seen = {}
    for ds in ('/addressbook/~/', '/option/~/crash/'):
        got, done = c.cmd('SEARCH "%s" RETURN ("ab.v" "option.value" '
                          '"modtime") NOT EQUAL "entry" "i;octet" ""' % ds)
        check(done[1] == 'OK', '%s SEARCH %s: %r' % (user, ds, done))
        for g in got[:-1]:
            v = g[3] if g[3] is not None else g[4]
            seen.setdefault(g[2].decode(), []).append((v.decode(),
                                                       g[5].decode()))
    for (u, k), v in acked.items():
        if u != user:
            continue
        name = 'e%05d' % k
        check(name in seen, '%s: acknowledged %s is missing' % (user, name))
    top = 0
    for name, vals in seen.items():
        # all or nothing: both datasets, the same value and modtime
        check(len(vals) == 2, '%s: %s is in one dataset only: %r'
              % (user, name, vals))
        check(vals[0] == vals[1], '%s: %s differs: %r' % (user, name, vals))
        k = int(name[1:])
        if (user, k) in acked:
            check(vals[0][0] == acked[(user, k)], '%s: %s has %r'
                  % (user, name, vals[0][0]))
        else:
            check(vals[0][0].startswith('%s-%05d' % (user, k)),
                  '%s: unacknowledged %s holds %r' % (user, name, vals))
        top = max(top, int(vals[0][1]))
    # modtimes keep increasing after the crash
    c.ok('STORE ("/addressbook/~/after" "ab.v" "1")')
    got, done = c.cmd('SEARCH "/addressbook/~/" RETURN ("modtime") EQUAL '
                      '"entry" "i;octet" "after"')
    check(int(got[0][3]) > top, '%s: modtime went back after the crash'
          % user)
PY
ds_stop
ic=$(sqlite3 "$DS_DIR/acapd.db" 'PRAGMA integrity_check' 2>&1)
[ "$ic" = ok ] || ds_fail "integrity_check after the restart: $ic"
