# crash.py -- kill -9 / restart cycles under concurrent STORE load.
#
# Owns the crash-safety check of the reliability issue (part 3): acapd is
# killed with SIGKILL at random moments while writers send multi-entry
# STOREs, restarted on the same database, and the data is verified after
# every restart:
#   * every acknowledged STORE is present (an OK is sent only after the
#     commit, DESIGN §3; RFC 2244 §6.5 STORE is all-or-nothing),
#   * no STORE is half-applied: the entries of one STORE (two datasets,
#     with an entry deleted or re-created) all show the same sequence
#     number and the exact padding written with it,
#   * nothing appears that was never sent,
#   * entry modtimes and the SEARCH MODTIME only increase, also across
#     restarts (RFC 2244 §3.1.3: modtime is unique and increasing),
#   * PRAGMA integrity_check is "ok" on a copy taken after a kill, and
#     on the database after the last clean shutdown.
# Every tenth cycle kills acapd during start-up instead (crash during
# recovery).  Usage: crash.py [--powerloss [--lying-disk]] [CYCLES]
# (default 100, or $REL_CYCLES).
# Self-check of the verifier: REL_TAMPER="SQL" runs SQL on the database
# after the fifth kill; any damage to acknowledged data must then fail.
#
# --powerloss: each kill is a power loss.  acapd runs under the
# powerloss.so shim, which logs every change to the database and its WAL
# that no fsync/fdatasync has made durable yet; after the kill those
# changes are undone (acaprel.powerloss_revert) before the restart, and
# the WAL index is removed, as a power failure would leave them.  Every
# check above must still hold: an OK means the STORE is on the disk
# (synchronous=FULL, DESIGN §3).
# --lying-disk (with --powerloss): the control.  The shim reports every
# sync as done without doing it, like a disk that lies about its write
# cache; the run must then find acknowledged STOREs lost, or the test
# could not tell durable from not.

import asyncio
import os
import random
import shutil
import sqlite3
import sys
import time

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
from acaprel import Failure, check, log, tokens  # noqa: E402

NAME = "crash"
USERS = 4
WRITERS_PER_USER = 2
READERS = 2
PASSWORD = "crash-pw"


def pad(w, n):
    """The padding written with sequence n by writer w (0..1499 octets)."""
    length = (n * 7919 + w * 104729) % 1500
    return chr(ord("a") + (n + w) % 26) * length


class Writer:
    def __init__(self, wid, user):
        self.wid = wid
        self.user = user
        self.acked = 0          # highest sequence number answered OK
        self.sent = 0           # highest sequence number sent
        self.unacked_committed = 0

    def store_command(self, n):
        p = acaprel.quote(pad(self.wid, n))
        s = b'"%d"' % n
        w = b"w%d" % self.wid
        cmd = (b'STORE ("/option/~/' + w + b'-a" "option.rel.seq" ' + s +
               b' "option.rel.pad" ' + p + b') ("/option/~/' + w +
               b'-b" "option.rel.seq" ' + s + b') ("/vendor.rel/~/' + w +
               b'-c" "vendor.rel.seq" ' + s + b' "vendor.rel.pad" ' + p +
               b')')
        if n % 2 == 0:
            cmd += b' ("/option/~/' + w + b'-d" "option.rel.seq" ' + s + b')'
        else:
            cmd += b' ("/option/~/' + w + b'-d" "entry" NIL)'
        return cmd


class Crash:
    def __init__(self, cycles, powerloss=False, lie=False):
        self.cycles = cycles
        self.inst = acaprel.Instance(NAME, {"admins": "admin"})
        self.powerloss = powerloss
        if powerloss:
            self.inst.env = acaprel.powerloss_env(
                [self.inst.db, self.inst.db + "-wal"], lie)
        self.writers = [Writer(u * WRITERS_PER_USER + k, "u%d" % u)
                        for u in range(USERS) for k in range(WRITERS_PER_USER)]
        self.modtimes = {}          # (user, dataset, entry) -> modtime
        self.seqs = {}              # (user, dataset, entry) -> seq or None
        self.max_modtime = ""       # largest modtime seen so far
        self.ds_modtime = {}        # (user, dataset) -> SEARCH MODTIME
        self.stats = {"acked": 0, "unacked_committed": 0, "startup_kills": 0,
                      "verifications": 0, "ready_ms": [], "integrity": 0,
                      "reader_searches": 0, "lost_writes": 0,
                      "lost_octets": 0, "lossy_kills": 0}
        self.errors = []

    # -- verification -------------------------------------------------

    def search(self, c, user, dataset, attrs):
        data, fin = c.command('SEARCH "%s" RETURN (%s "modtime") ALL' %
                              (dataset, " ".join('"%s"' % a for a in attrs)))
        rows, modtime = {}, None
        if b" NO (NOEXIST " in fin:
            return rows     # nothing stored: verify_writer() judges
        check(acaprel.is_ok(fin), "SEARCH %s for %s: %r" %
              (dataset, user, fin))
        for ln in data:
            t = tokens(ln)
            if len(t) >= 2 and t[1] == "ENTRY":
                rows[t[2]] = t[3:]
            elif len(t) >= 3 and t[1] == "MODTIME":
                modtime = t[2]
        check(modtime is not None, "SEARCH %s for %s: no MODTIME" %
              (dataset, user))
        key = (user, dataset)
        check(modtime >= self.ds_modtime.get(key, ""),
              "%s %s: MODTIME went back from %s to %s" %
              (user, dataset, self.ds_modtime.get(key), modtime))
        self.ds_modtime[key] = modtime
        for name, vals in rows.items():
            check(vals[-1] is not None and vals[-1] <= modtime,
                  "%s %s%s: entry modtime %s after SEARCH MODTIME %s" %
                  (user, dataset, name, vals[-1], modtime))
        return rows

    def track(self, user, dataset, entry, seq, modtime, prev_max):
        key = (user, dataset, entry)
        old_seq = self.seqs.get(key, "unset")
        old_mt = self.modtimes.get(key)
        if old_seq != "unset" and seq == old_seq:
            check(modtime == old_mt, "%s%s (%s): modtime changed from %s to "
                  "%s without a write" % (dataset, entry, user, old_mt,
                                          modtime))
        elif modtime is not None:
            check(modtime > prev_max, "%s%s (%s): written after a restart "
                  "with modtime %s, not after %s" %
                  (dataset, entry, user, modtime, prev_max))
        self.seqs[key] = seq
        self.modtimes[key] = modtime

    def verify(self):
        prev_max = self.max_modtime
        new_max = prev_max
        # one administrator connection reads every user's datasets
        c = self.inst.connect()
        check(acaprel.is_ok(c.login("admin", PASSWORD)), "admin login")
        for u in range(USERS):
            user = "u%d" % u
            opt = self.search(c, user, "/option/user/%s/" % user,
                              ["option.rel.seq", "option.rel.pad"])
            ven = self.search(c, user, "/vendor.rel/user/%s/" % user,
                              ["vendor.rel.seq", "vendor.rel.pad"])
            for w in self.writers:
                if w.user != user:
                    continue
                self.verify_writer(w, opt, ven, prev_max)
            for rows in (opt, ven):
                for vals in rows.values():
                    if vals[-1] is not None and vals[-1] > new_max:
                        new_max = vals[-1]
        c.close()
        self.max_modtime = new_max
        self.stats["verifications"] += 1

    def verify_writer(self, w, opt, ven, prev_max):
        name = "w%d" % w.wid
        a = opt.get(name + "-a")
        b = opt.get(name + "-b")
        c = ven.get(name + "-c")
        d = opt.get(name + "-d")
        if a is None and b is None and c is None:
            n = 0
        else:
            check(a is not None and b is not None and c is not None,
                  "%s: half-applied STORE: a=%r b=%r c=%r" %
                  (name, a and a[0], b and b[0], c and c[0]))
            n = int(a[0])
            check(b[0] == a[0] and c[0] == a[0],
                  "%s: half-applied STORE: seq a=%s b=%s c=%s" %
                  (name, a[0], b[0], c[0]))
            check(a[1] == pad(w.wid, n) and c[1] == pad(w.wid, n),
                  "%s: torn value at seq %d (pad lengths %d, %d, want %d)" %
                  (name, n, len(a[1] or ""), len(c[1] or ""),
                   len(pad(w.wid, n))))
        if n % 2 == 0 and n > 0:
            check(d is not None and d[0] == str(n),
                  "%s: entry d missing or stale at seq %d: %r" %
                  (name, n, d))
        else:
            check(d is None, "%s: entry d present at odd seq %d" % (name, n))
        check(n >= w.acked, "%s: acknowledged STORE lost: seq %d was "
              "acknowledged, database has %d" % (name, w.acked, n))
        check(n <= w.sent, "%s: seq %d in the database was never sent "
              "(last sent %d)" % (name, n, w.sent))
        if n > w.acked:
            self.stats["unacked_committed"] += 1
        user = w.user
        opt = "/option/user/%s/" % user
        self.track(user, opt, name + "-a", a and a[0], a and a[-1], prev_max)
        self.track(user, opt, name + "-b", b and b[0], b and b[-1], prev_max)
        self.track(user, "/vendor.rel/user/%s/" % user, name + "-c",
                   c and c[0], c and c[-1], prev_max)
        self.track(user, opt, name + "-d", d and d[0], d and d[-1], prev_max)
        w.acked = w.sent = n

    def kill(self):
        """SIGKILL; under --powerloss, also what no sync made durable."""
        self.inst.kill()
        if not self.powerloss:
            return
        lost = 0
        for f in (self.inst.db, self.inst.db + "-wal"):
            n, octets = acaprel.powerloss_revert(f)
            lost += n
            self.stats["lost_writes"] += n
            self.stats["lost_octets"] += octets
        if lost:
            self.stats["lossy_kills"] += 1
        try:
            os.unlink(self.inst.db + "-shm")
        except FileNotFoundError:
            pass

    # -- load ---------------------------------------------------------

    async def writer(self, w, stop, ready):
        c = None
        try:
            c = await acaprel.AsyncClient.open(self.inst.port)
            _, fin = await c.login(w.user, PASSWORD)
            if not acaprel.is_ok(fin):
                self.errors.append("login %s: %r" % (w.user, fin))
                return
            ready.append(w)
            while not stop.is_set():
                n = w.sent + 1
                w.sent = n
                _, fin = await c.command(w.store_command(n))
                if not acaprel.is_ok(fin):
                    self.errors.append("w%d seq %d: %r" % (w.wid, n, fin))
                    return
                w.acked = n
                self.stats["acked"] += 1
        except (ConnectionError, OSError, asyncio.TimeoutError,
                asyncio.CancelledError) as e:
            self.lost("w%d" % w.wid, e)
            return
        finally:
            if c is not None:
                c.close()

    async def reader(self, user, stop):
        c = None
        try:
            c = await acaprel.AsyncClient.open(self.inst.port)
            await c.login(user, PASSWORD)
            while not stop.is_set():
                # the user's dataset exists once one of its STOREs is
                # acknowledged; before that a SEARCH may well come first
                acked = any(w.acked > 0 for w in self.writers
                            if w.user == user)
                _, fin = await c.command('SEARCH "/option/~/" RETURN '
                                         '("option.rel.seq") ALL')
                if not acaprel.is_ok(fin) and \
                        (acked or b"(NOEXIST " not in fin):
                    self.errors.append("reader: %r" % fin)
                    return
                self.stats["reader_searches"] += 1
        except (ConnectionError, OSError, asyncio.TimeoutError,
                asyncio.CancelledError) as e:
            self.lost("reader %s" % user, e)
            return
        finally:
            if c is not None:
                c.close()

    def lost(self, who, e):
        """A client's connection ended: only the planned kill may end
        it.  Before it, a lost connection is acapd crashing (or closing
        on a client), never taken for the kill."""
        if self.killed:
            return
        what = acaprel.describe_exit(self.inst.proc.returncode) \
            if self.inst.proc.poll() is not None else "still running"
        self.errors.append("%s: connection lost before the planned kill "
                           "(%s: %s); acapd %s" %
                           (who, type(e).__name__, e, what))

    async def load_and_kill(self, duration):
        self.killed = False
        stop = asyncio.Event()
        ready = []
        tasks = [asyncio.ensure_future(self.writer(w, stop, ready))
                 for w in self.writers]
        tasks += [asyncio.ensure_future(self.reader("u%d" % r, stop))
                  for r in range(READERS)]
        # the kill comes once every writer is logged in and storing
        t = time.monotonic()
        while len(ready) < len(self.writers) and not self.errors and \
                time.monotonic() - t < 10:
            await asyncio.sleep(0.005)
        await asyncio.sleep(duration)
        # SIGKILL while STOREs are in flight; a Failure if acapd is gone
        # already (a crash is not the kill)
        self.killed = True
        self.kill()
        stop.set()
        done, pending = await asyncio.wait(tasks, timeout=10)
        for t in pending:
            t.cancel()
        check(not pending, "%d clients still waiting 10 s after the kill" %
              len(pending))

    # -- integrity ----------------------------------------------------

    def integrity(self, copy):
        """PRAGMA integrity_check on the database (or a copy of it)."""
        path = self.inst.db
        if copy:
            d = os.path.join(self.inst.dir, "copy")
            shutil.rmtree(d, ignore_errors=True)
            os.mkdir(d)
            for suffix in ("", "-wal"):
                if os.path.exists(self.inst.db + suffix):
                    shutil.copy(self.inst.db + suffix,
                                os.path.join(d, "acapd.db" + suffix))
            path = os.path.join(d, "acapd.db")
        db = sqlite3.connect(path)
        res = [r[0] for r in db.execute("PRAGMA integrity_check")]
        fk = list(db.execute("PRAGMA foreign_key_check"))
        db.close()
        check(res == ["ok"], "integrity_check: %s" % "; ".join(res[:5]))
        check(fk == [], "foreign_key_check: %r" % fk[:5])
        self.stats["integrity"] += 1

    # -- the run ------------------------------------------------------

    def run(self):
        for u in range(USERS):
            self.inst.useradd("u%d" % u, PASSWORD)
        self.inst.useradd("admin", PASSWORD)
        rnd = random.Random(int(os.environ.get("REL_SEED", "2244")))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        t0 = time.monotonic()
        for cycle in range(self.cycles):
            if cycle % 10 == 9:
                # crash during start-up / WAL recovery
                self.inst.spawn()
                time.sleep(rnd.uniform(0.0, 0.08))
                self.kill()
                self.stats["startup_kills"] += 1
                continue
            t = time.monotonic()
            self.inst.start()
            self.stats["ready_ms"].append((time.monotonic() - t) * 1000)
            self.verify()
            loop.run_until_complete(self.load_and_kill(
                rnd.uniform(0.02, 0.15)))
            check(not self.errors, "; ".join(self.errors[:5]))
            if cycle == 4 and os.environ.get("REL_TAMPER"):
                db = sqlite3.connect(self.inst.db)
                db.executescript(os.environ["REL_TAMPER"])
                db.close()
            if cycle % 25 == 24:
                self.integrity(copy=True)
        elapsed = time.monotonic() - t0
        # one last start: everything acknowledged must be there
        self.inst.start()
        self.verify()
        rc = self.inst.stop()
        check(rc == 0, "acapd exited %s on SIGTERM" % rc)
        self.integrity(copy=False)
        text = self.inst.log_text()
        for bad in ("corrupt", "malformed", "disk image"):
            check(bad not in text.lower(), "acapd log mentions %r" % bad)
        acaprel.close_loop(loop)
        r = self.stats["ready_ms"]
        log(NAME, "%d cycles (%d kills during start-up) in %.1f s "
            "(%.2f s/cycle); %d STOREs acknowledged, all present; "
            "%d unacknowledged STOREs found committed, none half-applied; "
            "%d reader SEARCHes; restart to ready: median %.0f ms, "
            "max %.0f ms; %d verifications; integrity_check ok %d times; "
            "database %d KiB" %
            (self.cycles, self.stats["startup_kills"], elapsed,
             elapsed / self.cycles, self.stats["acked"],
             self.stats["unacked_committed"],
             self.stats["reader_searches"], sorted(r)[len(r) // 2],
             max(r), self.stats["verifications"], self.stats["integrity"],
             os.path.getsize(self.inst.db) // 1024))
        if self.powerloss:
            log(NAME, "power loss: %d of %d kills lost unsynced writes "
                "(%d writes, %d KiB undone), every acknowledged STORE "
                "still present" %
                (self.stats["lossy_kills"], self.cycles,
                 self.stats["lost_writes"], self.stats["lost_octets"] // 1024))


def main():
    acaprel.python_ok(NAME)
    args = sys.argv[1:]
    powerloss = "--powerloss" in args
    lie = "--lying-disk" in args
    args = [a for a in args if a not in ("--powerloss", "--lying-disk")]
    cycles = int(args[0]) if args else \
        int(os.environ.get("REL_CYCLES", "100"))
    crash = Crash(cycles, powerloss, lie)
    if lie:
        return lying_disk(crash)
    rc = 1
    try:
        rc = acaprel.run_main(NAME, crash.run)
        if rc != 0:
            log(NAME, "acapd log tail:\n" + crash.inst.log_tail())
    finally:
        crash.inst.cleanup(keep=rc != 0)
    return rc


def lying_disk(crash):
    """The control: with syncs that do nothing, a power loss must lose
    acknowledged STOREs, and the verifier must say so."""
    try:
        crash.run()
    except Failure as e:
        if "acknowledged STORE lost" in str(e):
            log(NAME, "lying disk: the verifier caught it: %s" % e)
            return 0
        log(NAME, "lying disk: unexpected failure: %s" % e)
        return 1
    finally:
        crash.inst.cleanup()
    log(NAME, "lying disk: FAIL: no acknowledged STORE was lost although "
        "no sync reached the disk")
    return 1


if __name__ == "__main__":
    sys.exit(main())
