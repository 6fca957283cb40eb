# diskfull-restart.py -- acapd started on a full disk or on a read-only
# database (issue "Reliability and security hardening", part 3): it must
# start in a degraded read-only mode and leave it by itself.  Each case
# prints PASS or FAIL:
#   full-text    STORE on a full disk says the storage is full:
#                NO (TRYLATER) "...storage is full..."
#   full-log     the log names the cause, not the failed ROLLBACK's
#                "cannot rollback - no transaction is active"
#   full-restart acapd stopped and started again while the disk is full
#                (its WAL and WAL index are still there)
#   full-cold    the disk filled while acapd was stopped (no WAL index
#                file: SQLite cannot create one), with seed_site on for a
#                database that has no site layer yet
#   full-first   the very first start on a full disk (the database cannot
#                be created): exit 1 with a message naming the database
#                and the full file system, no database file or port file
#                left, a normal start once space is freed
#   ro-text      a database made immutable under a running acapd (chattr
#                +i: writes fail with EPERM): NO (TRYLATER) "...read-only..."
#   ro-restart   acapd started on the immutable database
# A degraded start must: log the cause; serve logins and reads (the data
# acknowledged before is all there); answer every STORE NO (TRYLATER) with
# a text naming the cause; and once the fault is gone (space freed,
# chattr -i) take STOREs again within RETRY seconds without a restart,
# log that it did, let another process read the database (no exclusive
# lock left) and, for full-cold, seed the site layer.
# Needs root (mount, chattr); exits 77 otherwise.

import os
import re
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
import diskfull  # noqa: E402
from acaprel import Failure, case, check, log, tokens  # noqa: E402

NAME = "diskfull-restart"
FULL_TEXT = re.compile(rb"(disk|space|full|storage)", re.I)
RO_TEXT = re.compile(rb"(read-only|readonly|write-protected|not writable|"
                     rb"not permitted)", re.I)
TRYLATER = re.compile(rb't\d+ NO \(TRYLATER\) "[^"]+"$')
RETRY = 20          # seconds; acapd checks every 5 s (startup.c)


def names_cause(pattern, fin):
    check(pattern.search(fin) is not None,
          "NO text does not name the cause: %r" % fin)


def refused(m, c, pattern):
    """A STORE is refused with NO (TRYLATER) and a text naming the cause."""
    m.store(c, [("refused", "r" * 5000)], must_fail=True)
    fin = m.refused[-1]
    check(TRYLATER.match(fin) is not None,
          "want NO (TRYLATER) \"...\", got %r" % fin)
    names_cause(pattern, fin)


def degraded_start(inst, m, cause):
    """Restart acapd on the faulty store; it must serve reads.
    Returns a connection and where this start's log begins."""
    inst.stop()
    mark = len(inst.log_text())
    # the port file appears only once acapd serves (startup.py); the
    # check below still catches an exit just after start-up
    inst.start(timeout=10)
    time.sleep(0.2)
    check(inst.alive(), "acapd exited after start-up: %s" %
          inst.log_tail(3))
    started = inst.log_text()[mark:]
    check(re.search(r"cannot be written: .*%s.*starting read-only" % cause,
                    started, re.I) is not None,
          "start-up log does not name the cause: %s" % inst.log_tail(6))
    c = diskfull.login(inst, m.user)
    m.verify(c, "degraded start")
    c2 = diskfull.login(inst, m.user)
    m.verify(c2, "degraded start, second login")
    c2.close()
    return c, mark


def site_options(c):
    """The seeded /option/site/ entries: what fred inherits from them."""
    data, fin = c.command('SEARCH "/option/site/" RETURN ("option.v") '
                          'NOT EQUAL "entry" "i;octet" ""', timeout=20)
    if b"NOEXIST" in fin:
        return {}
    check(acaprel.is_ok(fin), "SEARCH /option/site/ answered %r" % fin)
    got = {}
    for ln in data:
        t = tokens(ln)
        if len(t) >= 4 and t[1] == "ENTRY":
            got[t[2]] = t[3]
    return got


def recovers(inst, m, c, mark, seeded=False):
    """STOREs work again within RETRY s, without a restart."""
    deadline = time.monotonic() + RETRY
    while not m.store(c, [("after", "a" * 1000)]):
        check(time.monotonic() < deadline, "STORE still refused %d s "
              "after the fault cleared: %r" % (RETRY, m.refused[-1]))
        time.sleep(0.5)
    while "read-only mode ended" not in inst.log_text()[mark:]:
        check(time.monotonic() < deadline,
              "no \"read-only mode ended\" in the log within %d s" % RETRY)
        time.sleep(0.2)
    if seeded:
        site = site_options(c)
        check(site, "site layer not seeded after recovery")
        m.values.update(site)       # fred inherits them
    m.verify(c, "after recovery")
    # no exclusive lock is left: another process can read the database
    con = sqlite3.connect(inst.db, timeout=2)
    try:
        n = con.execute("SELECT count(*) FROM entry").fetchone()[0]
    except sqlite3.Error as e:
        raise Failure("another process cannot read the database after "
                      "recovery: %s" % e)
    finally:
        con.close()
    check(n > 0, "no entries seen by another process")


def restart_recovers(inst, m, cause, pattern, clear):
    """Degraded restart, a refused STORE, clear() the fault, recovery."""
    c, mark = degraded_start(inst, m, cause)
    refused(m, c, pattern)
    clear()
    recovers(inst, m, c, mark)
    c.close()


def first_start(inst):
    """fred, acapd started, one value acknowledged: (model, connection)."""
    inst.useradd("fred", "pw")
    inst.start()
    m = diskfull.Model(inst, "fred")
    c = diskfull.login(inst, "fred")
    m.store(c, [("a", "1")])
    return m, c


SKIPPED = []     # parts that could not run here


def mount_state(inst):
    state = os.path.join(inst.dir, "state")
    os.mkdir(state)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700",
                       "tmpfs", state]).returncode != 0:
        return None
    inst.statedir = inst.config["statedir"] = state
    inst.db = os.path.join(state, "acapd.db")
    return state


def mounted_instance(label):
    """(instance, its tmpfs state directory, the filler's path), or
    (None, None, None) when the tmpfs cannot be mounted."""
    inst = acaprel.Instance(NAME + "-" + label)
    state = mount_state(inst)
    if state is None:
        log(NAME, "SKIP %s: cannot mount a tmpfs" % label)
        SKIPPED.append(label)
        inst.cleanup()
        return None, None, None
    return inst, state, os.path.join(state, "filler")


def unmount_state(inst, state, results):
    """Stop acapd, unmount the tmpfs; keep the instance if a case failed."""
    try:
        inst.kill()
    finally:
        subprocess.run(["umount", state])
        if not all(results.values()):
            log(NAME, "acapd log tail:\n" + inst.log_tail())
        inst.cleanup(keep=not all(results.values()))


def full(results):
    inst, state, filler = mounted_instance("full")
    if inst is None:
        return
    try:
        m, c = first_start(inst)
        diskfull.fill(filler)
        m.store(c, [("b", "x" * 300000)], must_fail=True)
        fin = m.refused[-1]
        case(NAME, results, "full-text", lambda: names_cause(FULL_TEXT, fin))

        def logged():
            tail = inst.log_tail(3)
            if "full" not in tail:
                raise Failure("log does not name the cause: %s" % tail)
        case(NAME, results, "full-log", logged)
        c.close()

        case(NAME, results, "full-restart", lambda: restart_recovers(
            inst, m, "full", FULL_TEXT, lambda: os.unlink(filler)))

        def cold():
            inst.stop()
            # the stop above checkpointed and removed the WAL and -shm
            check(not os.path.exists(inst.db + "-shm"),
                  "acapd.db-shm left after a clean stop")
            diskfull.fill(filler)
            inst.config["seed_site"] = "yes"
            c, mark = degraded_start(inst, m, "full")
            check("site layer not seeded" in inst.log_text()[mark:],
                  "no warning that seeding waits: %s" % inst.log_tail(5))
            refused(m, c, FULL_TEXT)
            check(not site_options(c), "site layer seeded while full")
            os.unlink(filler)
            recovers(inst, m, c, mark, seeded=True)
            c.close()
            check(inst.stop() == 0, "acapd did not exit 0 on SIGTERM")
            diskfull.integrity(inst.db)
        case(NAME, results, "full-cold", cold)
    finally:
        unmount_state(inst, state, results)


def full_first(results):
    """The very first start on a full disk: the database cannot be
    created.  acapd must exit 1 naming the database and the full file
    system, leave no database file and no port file, and start normally
    once space is freed."""
    inst, state, filler = mounted_instance("first")
    if inst is None:
        return

    def first():
        inst.useradd("fred", "pw")
        diskfull.fill(filler)
        inst.spawn()
        inst.wait_failed_start()
        said = inst.log_tail(1)
        check("database %s cannot be created" % inst.db in said and
              "the file system is full" in said,
              "the message does not name the database and the full disk: "
              "%s" % said)
        left = sorted(f for f in os.listdir(state) if f.startswith("acapd"))
        check(not left, "left behind: %r" % left)
        check(not os.path.exists(inst.portfile), "port file written")
        os.unlink(filler)
        inst.start(timeout=10)
        c = diskfull.login(inst, "fred")
        check(acaprel.is_ok(c.command('STORE ("/option/~/a" "option.v" '
                                      '"1")')[1]), "STORE after freeing")
        c.close()
        check(inst.stop() == 0, "acapd did not exit 0 on SIGTERM")
        diskfull.integrity(inst.db)
    try:
        case(NAME, results, "full-first", first)
    finally:
        unmount_state(inst, state, results)


def ro(results):
    inst = acaprel.Instance(NAME + "-ro")
    files = [inst.db, inst.db + "-wal"]
    try:
        m, c = first_start(inst)
        if not diskfull.chattr("+i", files):
            log(NAME, "SKIP ro: chattr +i not supported here")
            SKIPPED.append("ro")
            return
        m.store(c, [("b", "x")], must_fail=True)
        fin = m.refused[-1]
        case(NAME, results, "ro-text", lambda: names_cause(RO_TEXT, fin))
        c.close()

        def restart():
            # a clean stop checkpoints into the database file: immutable
            restart_recovers(inst, m, "read-only", RO_TEXT, lambda: check(
                diskfull.chattr("-i", files), "chattr -i failed"))
            check(inst.stop() == 0, "acapd did not exit 0 on SIGTERM")
            diskfull.integrity(inst.db)
        case(NAME, results, "ro-restart", restart)
    finally:
        diskfull.chattr("-i", files)
        inst.kill()
        if not all(results.values()):
            log(NAME, "acapd log tail:\n" + inst.log_tail())
        inst.cleanup(keep=not all(results.values()))


def main():
    acaprel.python_ok(NAME)
    if os.geteuid() != 0:
        log(NAME, "SKIP: not root")
        return acaprel.SKIP
    results = {}
    full(results)
    full_first(results)
    ro(results)
    if not all(results.values()):
        return 1
    if SKIPPED or not results:
        # a part not run is not a pass: the whole test reports SKIP
        log(NAME, "SKIP: not run: %s" % ", ".join(SKIPPED))
        return acaprel.SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main())
