# soak.py -- the mixed-load soak of the reliability issue (part 4): 1,000
# concurrent clients against one acapd for MINUTES, zero protocol errors,
# flat memory.  Not part of "make check" (run by soak.sh on demand).
#
# The crowd (from 127.0.0.2-11, 100 users):
#   600 subscribers  log in, SEARCH ... MAKECONTEXT NOTIFY on their user's
#                    /option/~/, then mostly sleep (NOOP every 60 s); they
#                    apply every ADDTO/CHANGE/REMOVEFROM to a local copy
#   250 workers      STORE (new, changed, deleted entries of their own),
#                    SEARCH with SORT, GETQUOTA, think 0.5-3 s
#   100 churners     connect, log in, SEARCH, LOGOUT, pause 1-5 s, again
#    50 misbehavers  unknown commands, oversized literals, bad nesting
#                    (each must get BAD) with NOOPs (OK) in between, until
#                    the 20th BAD brings BYE and the close; then again
# A protocol error is any answer other than the one expected, a line that
# does not parse, an unexpected BYE or close, or a 30 s timeout.  At the
# end every worker's entries must match what it was told was stored, and
# every subscriber's NOTIFY-maintained copy must match a fresh SEARCH.
# acapd's RSS, fds and CPU and the host's load average are sampled
# every 10 s (latencies mean little on a busy host).
# Usage: soak.py MINUTES [CLIENTS]   (prints a report; exit 1 on errors)

import asyncio
import os
import random
import re
import sys
import time

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
from acaprel import AsyncClient, log, tokens  # noqa: E402

NAME = "soak"
USERS = 100
SOURCES = ["127.0.0.%d" % i for i in range(2, 12)]


class Stats:
    def __init__(self):
        self.errors = []
        self.nerrors = 0
        self.ops = {}           # op -> list of latencies (ms)
        self.notifications = 0
        self.sessions = 0
        self.samples = []       # (seconds, rss KiB, fds, cpu seconds)

    def error(self, who, msg):
        self.nerrors += 1
        if len(self.errors) < 50:
            self.errors.append("%s: %s" % (who, msg))

    def op(self, name, ms):
        self.ops.setdefault(name, []).append(ms)


def loadavg():
    with open("/proc/loadavg") as fp:
        return float(fp.read().split()[0])


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as fp:
        f = fp.read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


class Soak:
    def __init__(self, minutes, clients):
        self.duration = minutes * 60
        self.clients = clients
        self.inst = acaprel.Instance(NAME, {"log_level": "warning"})
        self.stats = Stats()
        self.rnd = random.Random(2244)
        self.deadline = None
        self.workers = []
        self.subscribers = []

    async def timed(self, c, name, text, want=b"OK"):
        t = time.monotonic()
        data, fin = await c.command(text, timeout=30)
        self.stats.op(name, (time.monotonic() - t) * 1000)
        parts = fin.split(b" ", 2)
        if len(parts) < 2 or parts[1] != want:
            raise ProtocolError("%s answered %r (want %s)" %
                                (name, fin[:120], want.decode()))
        for ln in data:
            tokens(ln)              # every line must parse
        return data

    def source(self, i):
        return SOURCES[i % len(SOURCES)]

    async def connect(self, i, user, on_untagged=None):
        c = await AsyncClient.open(self.inst.port, source=self.source(i),
                                   on_untagged=on_untagged, timeout=30)
        if not c.greeting.startswith(b"* ACAP"):
            raise ProtocolError("greeting %r" % c.greeting[:80])
        _, fin = await c.login(user, "pw")
        if not acaprel.is_ok(fin):
            raise ProtocolError("login %r" % fin)
        return c

    def running(self):
        return time.monotonic() < self.deadline

    async def pause(self, lo, hi):
        await asyncio.sleep(min(self.rnd.uniform(lo, hi),
                                max(0, self.deadline - time.monotonic())))

    # -- subscribers ----------------------------------------------------

    async def subscriber(self, i, j):
        user = "u%d" % (j % USERS)
        view = {}
        state = {"c": None}

        def on_untagged(c, ln):
            try:
                t = tokens(ln)
            except ValueError as e:
                self.stats.error("sub%d" % i, "unparsable %r: %s" %
                                 (ln[:80], e))
                return
            kind = t[1] if len(t) > 1 else None
            if kind == "ADDTO" and t[2] == "s":
                view[t[3]] = t[5]
            elif kind == "CHANGE" and t[2] == "s":
                view[t[3]] = t[6]
            elif kind == "REMOVEFROM" and t[2] == "s":
                view.pop(t[3], None)
            elif kind == "MODTIME" and t[2] == "s":
                pass
            else:
                self.stats.error("sub%d" % i, "unexpected %r" % ln[:80])
                return
            self.stats.notifications += 1
        await self.pause(0, 20)                 # ramp-up
        try:
            c = await self.connect(i, user, on_untagged)
            state["c"] = c
            data = await self.timed(
                c, "SEARCH+NOTIFY", 'SEARCH "/option/~/" RETURN '
                '("option.v") MAKECONTEXT NOTIFY "s" NOT EQUAL "entry" '
                '"i;octet" ""')
            for ln in data:
                t = tokens(ln)
                if t[1] == "ENTRY":
                    view[t[2]] = t[3]
            self.subscribers.append((i, user, view, c))
            while self.running():
                await self.pause(50, 70)
                if self.running():
                    await self.timed(c, "NOOP", "NOOP")
        except ProtocolError as e:
            self.stats.error("sub%d" % i, str(e))
        except (ConnectionError, OSError, asyncio.TimeoutError) as e:
            self.stats.error("sub%d" % i, "connection: %r" % e)

    # -- workers --------------------------------------------------------

    async def worker(self, i, j):
        user = "u%d" % (j % USERS)
        mine = {}                   # entry -> value acknowledged
        self.workers.append((i, user, mine))
        await self.pause(0, 20)
        try:
            c = await self.connect(i, user)
            while self.running():
                r = self.rnd.random()
                entry = "w%d-%d" % (i, self.rnd.randrange(20))
                if r < 0.45:
                    value = "v%d-" % i + "x" * self.rnd.randrange(2000)
                    await self.timed(c, "STORE", b'STORE ("/option/~/' +
                                     entry.encode() + b'" "option.v" ' +
                                     acaprel.quote(value) + b")")
                    mine[entry] = value
                elif r < 0.55:
                    await self.timed(c, "STORE", 'STORE ("/option/~/%s" '
                                     '"entry" NIL)' % entry)
                    mine.pop(entry, None)
                elif r < 0.9:
                    await self.timed(c, "SEARCH", 'SEARCH "/option/~/" '
                                     'RETURN ("option.v") SORT ("option.v" '
                                     '"i;octet") NOT EQUAL "entry" "i;octet" '
                                     '""')
                else:
                    await self.timed(c, "GETQUOTA", 'GETQUOTA "/option/~/"')
                await self.pause(0.5, 3)
            await self.timed(c, "LOGOUT", "LOGOUT")
            c.close()
        except ProtocolError as e:
            self.stats.error("worker%d" % i, str(e))
        except (ConnectionError, OSError, asyncio.TimeoutError) as e:
            self.stats.error("worker%d" % i, "connection: %r" % e)

    # -- churners -------------------------------------------------------

    async def churner(self, i, j):
        await self.pause(0, 20)
        while self.running():
            try:
                t = time.monotonic()
                c = await self.connect(i, "u%d" % (j % USERS))
                self.stats.op("connect+login", (time.monotonic() - t) * 1000)
                await self.timed(c, "SEARCH", 'SEARCH "/option/~/" RETURN '
                                 '("option.v") ALL')
                await self.timed(c, "LOGOUT", "LOGOUT")
                await asyncio.wait_for(c.closed, 10)
                c.close()
                self.stats.sessions += 1
            except ProtocolError as e:
                self.stats.error("churn%d" % i, str(e))
            except (ConnectionError, OSError, asyncio.TimeoutError) as e:
                self.stats.error("churn%d" % i, "connection: %r" % e)
            await self.pause(1, 5)

    # -- misbehavers ----------------------------------------------------

    async def misbehaver(self, i, j):
        """BAD after BAD until max_bad_commands (20) ends the session with
        BYE; then a new session."""
        byes = []

        def on_untagged(c, ln):
            if ln == b'* BYE "Too many invalid commands"':
                byes.append(ln)
            else:
                self.stats.error("bad%d" % i, "unexpected %r" % ln[:80])
        await self.pause(0, 20)
        while self.running():
            try:
                c = await self.connect(i, "u%d" % (j % USERS), on_untagged)
                for k in range(20):
                    r = self.rnd.random()
                    if r < 0.4:
                        await self.timed(c, "BAD-unknown", "FROBNICATE",
                                         b"BAD")
                    elif r < 0.7:
                        await self.timed(c, "BAD-literal",
                                         "STORE {99999999}", b"BAD")
                    else:
                        await self.timed(c, "BAD-nesting",
                                         "SEARCH " + "(" * 40, b"BAD")
                    if k < 19:
                        await self.timed(c, "NOOP", "NOOP")
                        await self.pause(0.5, 2)
                await asyncio.wait_for(asyncio.shield(c.closed), 10)
                c.close()
                if len(byes) != 1:
                    raise ProtocolError("%d BYE after 20 BADs" % len(byes))
                byes.clear()
                self.stats.sessions += 1
            except ProtocolError as e:
                self.stats.error("bad%d" % i, str(e))
            except (ConnectionError, OSError, asyncio.TimeoutError) as e:
                self.stats.error("bad%d" % i, "connection: %r" % e)
            await self.pause(1, 4)

    # -- sampling and the end -------------------------------------------

    async def sampler(self, t0):
        while self.running():
            self.stats.samples.append((
                time.monotonic() - t0, self.inst.rss_kb(), self.inst.fds(),
                cpu_seconds(self.inst.pid), loadavg()))
            await asyncio.sleep(10)

    async def verify(self):
        await asyncio.sleep(2)              # notifications in flight
        byuser = {}
        c = await self.connect(0, "admin")
        for u in range(USERS):
            data, fin = await c.command(
                'SEARCH "/option/user/u%d/" RETURN ("option.v") NOT EQUAL '
                '"entry" "i;octet" ""' % u, timeout=30)
            if b" NO (NOEXIST " in fin:
                data = []               # nothing ever stored
            elif not acaprel.is_ok(fin):
                raise ProtocolError("verify answered %r" % fin)
            byuser["u%d" % u] = {t[2]: t[3] for t in map(tokens, data)
                                 if t[1] == "ENTRY"}
        c.close()
        bad_workers = bad_subs = 0
        for i, user, mine in self.workers:
            got = {k: v for k, v in byuser[user].items()
                   if k.startswith("w%d-" % i)}
            if got != mine:
                bad_workers += 1
                self.stats.error("worker%d" % i, "stored data differs: "
                                 "%d entries acknowledged, %d found" %
                                 (len(mine), len(got)))
        for i, user, view, sc in self.subscribers:
            if view != byuser[user]:
                bad_subs += 1
                self.stats.error("sub%d" % i, "NOTIFY copy differs from "
                                 "SEARCH: %d vs %d entries" %
                                 (len(view), len(byuser[user])))
            sc.close()
        return bad_workers, bad_subs

    async def main(self):
        n_sub = self.clients * 600 // 1000
        n_work = self.clients * 250 // 1000
        n_churn = self.clients * 100 // 1000
        n_bad = self.clients - n_sub - n_work - n_churn
        t0 = time.monotonic()
        self.deadline = t0 + self.duration
        tasks = [asyncio.ensure_future(self.sampler(t0))]
        k = 0
        for fn, n in ((self.subscriber, n_sub), (self.worker, n_work),
                      (self.churner, n_churn), (self.misbehaver, n_bad)):
            for j in range(n):
                # k: the client's number, j: its number within its role
                # (so every user has subscribers, workers and churners)
                tasks.append(asyncio.ensure_future(fn(k, j)))
                k += 1
        await asyncio.gather(*tasks)
        bad = await self.verify()
        self.stats.samples.append((
            time.monotonic() - t0, self.inst.rss_kb(), self.inst.fds(),
            cpu_seconds(self.inst.pid), loadavg()))
        return (n_sub, n_work, n_churn, n_bad) + bad

    def run(self):
        for u in range(USERS):
            self.inst.useradd("u%d" % u, "pw")
        self.inst.useradd("admin", "pw")
        self.inst.config["admins"] = "admin"
        self.inst.start()
        # every user's /option/~/ exists before the crowd arrives (a
        # NOTIFY context needs an existing dataset)
        c = self.inst.connect()
        c.login("admin", "pw")
        for u in range(USERS):
            c.ok('STORE ("/option/user/u%d/seed" "option.v" "s")' % u)
        c.close()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            crowd = loop.run_until_complete(self.main())
        finally:
            acaprel.close_loop(loop)
        rc = self.inst.stop()
        self.report(crowd, rc)
        return 0 if self.stats.nerrors == 0 and rc == 0 else 1

    def report(self, crowd, rc):
        s = self.stats
        n_sub, n_work, n_churn, n_bad, bad_workers, bad_subs = crowd
        print("soak: %.1f minutes, %d clients (%d subscribers, %d workers, "
              "%d churners, %d misbehavers), acapd exit %s" %
              (self.duration / 60, self.clients, n_sub, n_work, n_churn,
               n_bad, rc))
        total = sum(len(v) for v in s.ops.values())
        print("soak: %d commands (%.0f/s), %d short sessions (churn and "
              "BYE after 20 BADs), %d NOTIFY lines received" %
              (total, total / self.duration, s.sessions, s.notifications))
        print("soak: %-14s %8s %8s %8s %8s" % ("op", "count", "p50 ms",
                                               "p99 ms", "max ms"))
        for name in sorted(s.ops):
            v = sorted(s.ops[name])
            print("soak: %-14s %8d %8.1f %8.1f %8.1f" %
                  (name, len(v), v[len(v) // 2],
                   v[max(0, int(len(v) * 0.99) - 1)], v[-1]))
        print("soak: %8s %10s %6s %8s %8s" % ("t (s)", "RSS KiB", "fds",
                                               "CPU s", "loadavg"))
        step = max(1, len(s.samples) // 12)
        for smp in s.samples[::step] + [s.samples[-1]]:
            print("soak: %8.0f %10d %6d %8.1f %8.2f" % smp)
        steady = [x[1] for x in s.samples if x[0] >= 60] or \
            [s.samples[-1][1]]
        print("soak: RSS after the first minute: min %d, max %d, last %d "
              "KiB" % (min(steady), max(steady), steady[-1]))
        size = sum(os.path.getsize(self.inst.db + x)
                   for x in ("", "-wal") if os.path.exists(self.inst.db + x))
        print("soak: database and WAL at the end: %d KiB (with mmap I/O, "
              "pages read count in RSS)" % (size // 1024))
        print("soak: end check: %d workers and %d subscribers differ" %
              (bad_workers, bad_subs))
        print("soak: protocol errors: %d" % s.nerrors)
        for e in s.errors[:20]:
            print("soak:   " + e)


class ProtocolError(Exception):
    pass


def main():
    acaprel.python_ok(NAME)
    if len(sys.argv) < 2:
        print("usage: soak.py MINUTES [CLIENTS]", file=sys.stderr)
        return 2
    minutes = float(sys.argv[1])
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    soak = Soak(minutes, clients)
    rc = 1
    try:
        rc = acaprel.run_main(NAME, soak.run)
        if rc != 0:
            log(NAME, "acapd log tail:\n" + soak.inst.log_tail())
    finally:
        soak.inst.cleanup(keep=rc != 0)
    return rc


if __name__ == "__main__":
    sys.exit(main())
