# diskfull.py -- a full disk and a read-only database under a live acapd.
#
# Owns the storage-failure check of the reliability issue (part 3):
#   full   the state directory is a 4 MiB tmpfs that a filler file fills;
#          every STORE then answers NO (never BAD, BYE or a crash), reads
#          and new logins keep working, NOTIFY contexts hear nothing of
#          the failed writes, memory stays put, and STORE works again as
#          soon as the filler is removed -- without a restart.  A kill -9
#          while full loses nothing acknowledged; integrity_check is ok.
#   ro     chattr +i on the database and its WAL (ext4 /tmp): the same
#          promises while the files are immutable, and after chattr -i.
# Needs root (mount, chattr); exits 77 otherwise.  The wording of the NO
# and start-up on a full or read-only store are in diskfull-known-bug.py.
# Usage: diskfull.py [full|ro]...  (default both)

import os
import re
import sqlite3
import subprocess
import sys

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
from acaprel import (Failure, check, check_rss, log, quote,  # noqa: E402
                     tokens)

NAME = "diskfull"
SIZES = [0, 10, 200, 1500, 5000, 40000, 300000, 1000000]


def fill(path):
    """Write path until the file system is full; returns octets written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    n = 0
    try:
        while True:
            n += os.write(fd, b"f" * 65536)
    except OSError as e:
        if e.errno != 28:
            raise
    try:
        while True:
            n += os.write(fd, b"f" * 512)
    except OSError:
        pass
    os.close(fd)
    return n


class Model:
    """What /option/~/ of one user must hold: entry -> option.v value."""

    def __init__(self, inst, user):
        self.inst = inst
        self.user = user
        self.values = {}
        self.acked = 0
        self.refused = []       # final lines of refused STOREs

    def store(self, c, ops, must_fail=False):
        """STORE [(entry, value or None to delete)]; NO or OK expected."""
        parts = []
        for entry, value in ops:
            if value is None:
                parts.append(b'("/option/~/%s" "entry" NIL)' %
                             entry.encode())
            else:
                parts.append(b'("/option/~/%s" "option.v" %s)' %
                             (entry.encode(), quote(value)))
        data, fin = c.command(b"STORE " + b" ".join(parts), timeout=20)
        check(re.match(rb"t\d+ (OK|NO) ", fin) is not None,
              "STORE answered %r (want OK or NO)" % fin)
        if fin.split()[1] == b"OK":
            check(not must_fail, "STORE of %d octets succeeded on a full "
                  "or read-only store" % sum(len(v or "") for _, v in ops))
            for entry, value in ops:
                if value is None:
                    self.values.pop(entry, None)
                else:
                    self.values[entry] = value
            self.acked += 1
            return True
        self.refused.append(fin)
        return False

    def verify(self, c, what):
        data, fin = c.command('SEARCH "/option/~/" RETURN ("option.v") '
                              'NOT EQUAL "entry" "i;octet" ""', timeout=20)
        check(acaprel.is_ok(fin), "%s: SEARCH answered %r" % (what, fin))
        got = {}
        for ln in data:
            t = tokens(ln)
            if len(t) >= 4 and t[1] == "ENTRY":
                got[t[2]] = t[3]
        if got != self.values:
            missing = sorted(set(self.values) - set(got))
            extra = sorted(set(got) - set(self.values))
            wrong = sorted(k for k in got if k in self.values and
                           got[k] != self.values[k])
            raise Failure("%s: data differs: missing %s, unexpected %s, "
                          "wrong value %s" % (what, missing, extra, wrong))


def login(inst, user):
    c = inst.connect(timeout=20)
    check(acaprel.is_ok(c.login(user, "pw")), "login %s" % user)
    return c


def watcher(inst, user):
    w = login(inst, user)
    w.ok('SEARCH "/option/~/" RETURN ("option.v") MAKECONTEXT NOTIFY '
         '"watch" NOT EQUAL "entry" "i;octet" ""')
    return w


def notifications(w):
    """Entry names the context heard about since the last call."""
    names = []
    while True:
        ln = w.line_or_none(0.3)
        if ln is None:
            return names
        t = tokens(ln)
        if len(t) >= 4 and t[0] == "*" and t[1] in ("ADDTO", "CHANGE",
                                                      "REMOVEFROM"):
            names.append(t[3])


def integrity(db):
    con = sqlite3.connect(db)
    res = [r[0] for r in con.execute("PRAGMA integrity_check")]
    con.close()
    check(res == ["ok"], "integrity_check: %s" % "; ".join(res[:5]))


def failing_phase(inst, m, c, w, label):
    """STOREs while writes cannot succeed; reads must keep working."""
    rss0 = inst.rss_kb()
    ok_before = m.acked
    for i, size in enumerate(SIZES * 3):
        ops = [("new%d" % i, "n" * size)]
        if i % 3 == 1:
            ops.append(("base1", "changed%d" % i))
        elif i % 3 == 2:
            ops = [("base2", None)]             # a delete
        # a write of more than the free space can never succeed
        m.store(c, ops, must_fail=size >= 300000 or label == "ro")
    check(m.refused, "%s: no STORE was refused" % label)
    for fin in m.refused:
        check(re.match(rb't\d+ NO (\([^)]*\) )?"[^"]+"$', fin) is not None,
              "%s: malformed NO: %r" % (label, fin))
    heard = notifications(w)
    check(m.acked > ok_before or not heard,
          "%s: NOTIFY for refused STOREs: %s" % (label, heard))
    m.verify(c, label + ": same connection")
    c2 = login(inst, m.user)
    m.verify(c2, label + ": new connection")
    c2.ok("NOOP")
    c2.close()
    check(inst.alive(), "%s: acapd died" % label)
    grew = inst.rss_kb() - rss0
    check_rss(grew < 32768, "%s: RSS grew by %d KiB" % (label, grew))
    return heard


def recovered_phase(inst, m, c, w, label):
    check(m.store(c, [("after", "x" * 100000), ("base1", "back")]),
          "%s: STORE still refused after the fault cleared: %r" %
          (label, m.refused[-1]))
    heard = notifications(w)
    check("after" in heard and "base1" in heard,
          "%s: NOTIFY after recovery missing: %s" % (label, heard))
    m.verify(c, label + ": after recovery")


def run_full():
    if os.geteuid() != 0:
        log(NAME, "SKIP full: not root (needs mount -t tmpfs)")
        return acaprel.SKIP
    inst = acaprel.Instance(NAME + "-full")
    state = os.path.join(inst.dir, "state")
    os.mkdir(state)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700",
                        "tmpfs", state], stderr=subprocess.PIPE)
    if r.returncode != 0:
        log(NAME, "SKIP full: cannot mount tmpfs: %s" % r.stderr.decode())
        inst.cleanup()
        return acaprel.SKIP
    rc = 1
    try:
        inst.statedir = inst.config["statedir"] = state
        inst.db = os.path.join(state, "acapd.db")
        inst.useradd("fred", "pw")
        inst.start()
        m = Model(inst, "fred")
        c = login(inst, "fred")
        for i in range(20):
            m.store(c, [("base%d" % i, "v%d" % i * 50)])
        w = watcher(inst, "fred")
        check(m.acked == 20, "baseline STOREs refused: %r" % m.refused)
        notifications(w)
        filler = os.path.join(state, "filler")
        fill(filler)
        failing_phase(inst, m, c, w, "full")
        refused = len(m.refused)
        os.unlink(filler)
        recovered_phase(inst, m, c, w, "full")
        # full again; kill -9 while full; restart after freeing space
        fill(filler)
        m.store(c, [("big", "b" * 1000000)], must_fail=True)
        inst.kill()
        os.unlink(filler)
        inst.start()
        c = login(inst, "fred")
        m.verify(c, "full: after kill -9 and restart")
        check(m.store(c, [("last", "z")]), "STORE after restart refused")
        c.close()
        w.close()
        check(inst.stop() == 0, "acapd did not exit 0 on SIGTERM")
        integrity(inst.db)
        log(NAME, "full: %d STOREs refused while full (first: %s), reads "
            "and logins kept working, %d acknowledged STOREs intact "
            "after recovery and kill -9; integrity_check ok" %
            (refused, m.refused[0].decode(errors="replace"), m.acked))
        rc = 0
    finally:
        try:
            inst.kill()
        finally:
            subprocess.run(["umount", state])
            if rc != 0:
                log(NAME, "acapd log tail:\n" + inst.log_tail())
            inst.cleanup(keep=rc != 0)
    return rc


def chattr(flag, files):
    return subprocess.run(["chattr", flag] + files, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT).returncode == 0


def run_ro():
    if os.geteuid() != 0:
        log(NAME, "SKIP ro: not root (chattr +i needs CAP_LINUX_IMMUTABLE)")
        return acaprel.SKIP
    inst = acaprel.Instance(NAME + "-ro")
    files = [inst.db, inst.db + "-wal"]
    rc = 1
    try:
        inst.useradd("fred", "pw")
        inst.start()
        m = Model(inst, "fred")
        c = login(inst, "fred")
        for i in range(20):
            m.store(c, [("base%d" % i, "v%d" % i * 50)])
        w = watcher(inst, "fred")
        notifications(w)
        if not chattr("+i", files):
            log(NAME, "SKIP ro: chattr +i not supported here")
            return acaprel.SKIP
        failing_phase(inst, m, c, w, "ro")
        refused = len(m.refused)
        check(chattr("-i", files), "chattr -i failed")
        recovered_phase(inst, m, c, w, "ro")
        c.close()
        w.close()
        check(inst.stop() == 0, "acapd did not exit 0 on SIGTERM")
        integrity(inst.db)
        log(NAME, "ro: %d STOREs refused while immutable (first: %s), "
            "reads and logins kept working; STORE resumed after chattr -i; "
            "integrity_check ok" %
            (refused, m.refused[0].decode(errors="replace")))
        rc = 0
    finally:
        chattr("-i", files)
        try:
            inst.kill()
        finally:
            if rc not in (0, acaprel.SKIP):
                log(NAME, "acapd log tail:\n" + inst.log_tail())
            inst.cleanup(keep=rc not in (0, acaprel.SKIP))
    return rc


def main():
    acaprel.python_ok(NAME)
    parts = sys.argv[1:] or ["full", "ro"]
    results = []
    for p in parts:
        body = {"full": run_full, "ro": run_ro}[p]
        results.append(acaprel.run_main(NAME, body))
    if any(r not in (0, acaprel.SKIP) for r in results):
        return 1
    if any(r == acaprel.SKIP for r in results):
        # a part not run is not a pass: the whole test reports SKIP
        log(NAME, "SKIP: %d of %d parts not run" %
            (results.count(acaprel.SKIP), len(results)))
        return acaprel.SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main())
