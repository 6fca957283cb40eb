# diskfull-known-bug.py -- open bugs of acapd on a full disk or a
# read-only database (issue "Reliability and security hardening", part 3).
# Not in TESTS: it fails until acapd/store.c is fixed; see
# doc/reliability.md, "Known bugs".  Each case prints PASS or FAIL:
#   full-text    STORE on a full disk must say the storage is full (fixed
#                in 3aa3239: NO (TRYLATER) "...storage is full...")
#   full-log     the log must name the cause, not the failed ROLLBACK's
#                "cannot rollback - no transaction is active" (3aa3239)
#   full-restart acapd restarted while the disk is full must start and
#                serve reads; it exits at start-up
#   ro-text      the same for a database that became read-only under a
#                running acapd (chattr +i: writes fail with EPERM, which
#                SQLite reports as SQLITE_IOERR_WRITE, not READONLY):
#                the answer is NO "...internal database error"
#   ro-restart   acapd restarted on an immutable database must serve reads
# Needs root (mount, chattr); exits 77 otherwise.

import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
import diskfull  # noqa: E402
from acaprel import Failure, log  # noqa: E402

NAME = "diskfull-known-bug"
FULL_TEXT = re.compile(rb"(disk|space|full|storage)", re.I)
RO_TEXT = re.compile(rb"(read-only|readonly|write-protected|not writable|"
                     rb"not permitted)", re.I)


def case(results, name, fn):
    try:
        fn()
        results[name] = True
        log(NAME, "PASS %s" % name)
    except Failure as e:
        results[name] = False
        log(NAME, "FAIL %s: %s" % (name, e))


def restart_serves(inst, m):
    inst.stop()
    try:
        # acapd's fatal() exits through exit(), which flushes a complete
        # port file: "ready" may be seen for a daemon that is exiting
        inst.start(timeout=10)
        c = diskfull.login(inst, m.user)
        m.verify(c, "after restart")
        c.close()
    except (Failure, OSError) as e:
        raise Failure("%s; log: %s" % (e, inst.log_tail(1)))


def full(results):
    inst = acaprel.Instance(NAME + "-full")
    state = os.path.join(inst.dir, "state")
    os.mkdir(state)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700",
                       "tmpfs", state]).returncode != 0:
        inst.cleanup()
        return acaprel.SKIP
    try:
        inst.statedir = inst.config["statedir"] = state
        inst.db = os.path.join(state, "acapd.db")
        inst.useradd("fred", "pw")
        inst.start()
        m = diskfull.Model(inst, "fred")
        c = diskfull.login(inst, "fred")
        m.store(c, [("a", "1")])
        diskfull.fill(os.path.join(state, "filler"))
        m.store(c, [("b", "x" * 300000)], must_fail=True)
        fin = m.refused[-1]

        def text():
            if not FULL_TEXT.search(fin):
                raise Failure("NO text does not name the cause: %r" % fin)
        case(results, "full-text", text)

        def logged():
            tail = inst.log_tail(3)
            if "full" not in tail:
                raise Failure("log does not name the cause: %s" % tail)
        case(results, "full-log", logged)
        c.close()
        case(results, "full-restart", lambda: restart_serves(inst, m))
    finally:
        inst.kill()
        subprocess.run(["umount", state])
        inst.cleanup()
    return 0


def ro(results):
    inst = acaprel.Instance(NAME + "-ro")
    files = [inst.db, inst.db + "-wal"]
    try:
        inst.useradd("fred", "pw")
        inst.start()
        m = diskfull.Model(inst, "fred")
        c = diskfull.login(inst, "fred")
        m.store(c, [("a", "1")])
        if not diskfull.chattr("+i", files):
            return acaprel.SKIP
        m.store(c, [("b", "x")], must_fail=True)
        fin = m.refused[-1]

        def text():
            if not RO_TEXT.search(fin):
                raise Failure("NO text does not name the cause: %r" % fin)
        case(results, "ro-text", text)
        c.close()
        # a clean stop checkpoints into the database file: immutable too
        case(results, "ro-restart", lambda: restart_serves(inst, m))
    finally:
        diskfull.chattr("-i", files)
        inst.kill()
        inst.cleanup()
    return 0


def main():
    acaprel.python_ok(NAME)
    if os.geteuid() != 0:
        log(NAME, "SKIP: not root")
        return acaprel.SKIP
    results = {}
    full(results)
    ro(results)
    if not results:
        return acaprel.SKIP
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
