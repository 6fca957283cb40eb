# bounded.py -- bounded work (issue 14, findings 1 and 8): what one user
# can make acapd do for everyone else.  Users alice (the attacker) and bob
# (the bystander); while each attack runs, bob sends NOOPs one after the
# other and the slowest round trip (p100) must stay under NOOP_P100_MS.
#   inherit   self-inheritance: dataset.inherit naming an ancestor is
#             refused (NO (INVALID)); a database that already holds two
#             such datasets (written into the file while acapd is down,
#             as an older acapd let it be stored) answers SEARCH DEPTH 0
#             at once with the few entries really there (it returned
#             279,943 with the loop held 10 s); a DEPTH 12 NOTIFY context
#             on it and 20 STOREs into alice's tree go through with bob's
#             NOOPs fast, and RSS stays flat
#   budget    a tree that grows over the default work budget
#             (search_max_entries 20000): a NOTIFY context within it is
#             re-evaluated after STOREs, then stops with an ALERT when the
#             tree outgrows it (UPDATECONTEXT then NO (WAYTOOMANY/WORK));
#             SEARCH DEPTH 0 gets NO (WAYTOOMANY/WORK) naming the limit,
#             MAKECONTEXT is refused the same way; never a truncated
#             answer
#   literal   24 connections of alice each announcing a {4194304+} literal
#             and sending 3 MiB of it: only max_literal_inflight (16 MiB)
#             worth are accepted, the others get BYE; a {4194304} gets BAD
#             without a continuation while the budget is spent; once the
#             holders go, the budget is free again; RSS bounded
# Usage: bounded.py [PART...]  (default all).  Figures: doc/reliability.md
# "Bounded work".

import os
import re
import sqlite3
import sys
import threading
import time

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
from acaprel import Failure, check, check_rss  # noqa: E402

NAME = "bounded"
FIGURES = []
MIB = 1 << 20
# Generous: ASan and a 2-core machine shared with other work; the figures
# measured on a quiet machine are in doc/reliability.md.
NOOP_P100_MS = 1000


def figure(fmt, *args):
    FIGURES.append(fmt % args)


class Noops:
    """bob's NOOPs, one after the other, in a thread, until stop()."""

    def __init__(self, inst):
        self.c = inst.connect()
        check(acaprel.is_ok(self.c.login("bob", "pw-b")), "bob: login")
        self.lat = []
        self.err = None
        self.done = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        try:
            while not self.done.is_set():
                t = time.monotonic()
                self.c.ok("NOOP", timeout=30)
                self.lat.append((time.monotonic() - t) * 1000)
                time.sleep(0.002)
        except Exception as e:      # reported by stop()
            self.err = e

    def stop(self, what):
        self.done.set()
        self.t.join(60)
        self.c.close()
        check(self.err is None, "%s: bob's NOOP failed: %s" %
              (what, self.err))
        check(len(self.lat) >= 5, "%s: only %d NOOPs" %
              (what, len(self.lat)))
        p100 = max(self.lat)
        check(p100 < NOOP_P100_MS, "%s: bob's NOOP p100 %.0f ms (bound "
              "%d ms)" % (what, p100, NOOP_P100_MS))
        lat = sorted(self.lat)
        return len(lat), lat[len(lat) // 2], p100


def instance(part, config=None):
    inst = acaprel.Instance(NAME + "-" + part, config)
    inst.useradd("alice", "pw-a")
    inst.useradd("bob", "pw-b")
    inst.start()
    return inst


def login(inst, user="alice", password="pw-a"):
    c = inst.connect(timeout=30)
    check(acaprel.is_ok(c.login(user, password)), "%s: login" % user)
    return c


def part_inherit():
    inst = instance("inherit")
    try:
        a = login(inst)
        # the tree: two entries with subdatasets, each a dataset of its
        # own; d inherits from a sibling for now
        a.ok('STORE ("/email/user/alice/d" "subdataset" ("value" (".")) '
             '"email.v" "d") ("/email/user/alice/e" "subdataset" '
             '("value" (".")) "email.v" "e") ("/email/user/alice/x" '
             '"email.v" "x")')
        a.ok('STORE ("/email/user/alice/d/" "dataset.inherit" '
             '"/email/user/alice/x/") ("/email/user/alice/d/in-d" '
             '"email.v" "1")')
        a.ok('STORE ("/email/user/alice/e/in-e" "email.v" "2")')
        # finding 1's STOREs are refused now
        for ds in ("d", "e"):
            _, final = a.command('STORE ("/email/user/alice/%s/" '
                                 '"dataset.inherit" "/email/user/alice/")'
                                 % ds)
            check(re.match(rb't\d+ NO \(INVALID "/email/user/alice/%s/" '
                           rb'"dataset.inherit"\)' % ds.encode(), final),
                  "inherit: self-inheritance STORE: %r" % final)
        a.close()
        # ... but an older acapd stored them: put them in the file
        check(inst.stop() == 0, "inherit: acapd did not stop cleanly")
        db = sqlite3.connect(inst.db)
        for ds in ("d", "e"):
            db.execute("INSERT OR REPLACE INTO attr (entry_id, name, kind, "
                       "value, bytes) SELECT e.id, 'dataset.inherit', 2, "
                       "?, 40 FROM entry e JOIN dataset d ON e.dataset_id "
                       "= d.id WHERE d.path = ? AND e.name = ''",
                       (b"/email/user/alice/", "/email/user/alice/%s/" % ds))
        db.commit()
        n = db.execute("SELECT count(*) FROM attr WHERE name = "
                       "'dataset.inherit' AND value = ?",
                       (b"/email/user/alice/",)).fetchone()[0]
        db.close()
        check(n == 2, "inherit: %d self-inheriting datasets written" % n)
        inst.start()
        rss0 = inst.rss_kb()
        a = login(inst)
        bob = Noops(inst)
        search_ms = 0
        for _ in range(20):         # the attack, again and again
            t = time.monotonic()
            data, final = a.command('SEARCH "/email/user/alice/" DEPTH 0 '
                                    'RETURN ("entry") ALL', timeout=60)
            search_ms = max(search_ms, (time.monotonic() - t) * 1000)
        check(acaprel.is_ok(final), "inherit: SEARCH DEPTH 0: %r" % final)
        entries = sorted(ln.split(b" ")[2] for ln in data
                         if ln.split(b" ")[1:2] == [b"ENTRY"])
        # alice's 4, d's own 1 plus the 4 it inherits, e's 1 plus 4: no
        # copy of a copy below them
        check(len(entries) <= 20, "inherit: SEARCH DEPTH 0 returned %d "
              "entries: %r" % (len(entries), entries[:30]))
        check(b'"/email/user/alice/d/in-d"' in entries and
              b'"/email/user/alice/e/in-e"' in entries,
              "inherit: the real entries are missing: %r" % entries)
        check(not any(e.startswith(b'"/email/user/alice/d/d/') or
                      e.startswith(b'"/email/user/alice/d/e/')
                      for e in entries),
              "inherit: a self-copy was followed: %r" % entries)
        # the NOTIFY context and STOREs into the tree
        t1 = time.monotonic()
        a.ok('SEARCH "/email/user/alice/" DEPTH 12 MAKECONTEXT NOTIFY '
             '"big" RETURN ("email.v") ALL', timeout=60)
        ctx_ms = (time.monotonic() - t1) * 1000
        store_ms = []
        for i in range(20):
            t1 = time.monotonic()
            a.ok('STORE ("/email/user/alice/s%d" "email.v" "%d")' %
                 (i, i), timeout=60)
            store_ms.append((time.monotonic() - t1) * 1000)
        a.ok("UPDATECONTEXT \"big\"", timeout=60)
        # a new connection is greeted at once
        t1 = time.monotonic()
        inst.connect(timeout=5).close()
        greet_ms = (time.monotonic() - t1) * 1000
        n, med, p100 = bob.stop("inherit")
        rss1 = inst.rss_kb()
        check_rss(rss1 - rss0 < 16384, "inherit: RSS grew %d KiB" %
                  (rss1 - rss0))
        a.close()
        figure("self-inheritance (database with 2 datasets inheriting "
               "their parent): SEARCH DEPTH 0 x 20, %d entries, slowest %.0f ms; "
               "NOTIFY context DEPTH 12 made in %.0f ms; 20 STOREs into "
               "the tree: slowest %.0f ms; greeting %.0f ms; bob's %d "
               "NOOPs: median %.1f ms, p100 %.1f ms; RSS +%d KiB",
               len(entries), search_ms, ctx_ms, max(store_ms), greet_ms,
               n, med, p100, rss1 - rss0)
    finally:
        inst.cleanup()


WORK = rb"NO \(WAYTOOMANY/WORK\)"


def part_budget():
    # the default budget (search_max_entries 20000), as a user fills it
    inst = instance("budget")
    try:
        a = login(inst)
        # 19,000 entries in 19 datasets: within the budget
        a.ok('STORE ' + " ".join(
            '("/email/user/alice/b%d" "subdataset" ("value" (".")))' % d
            for d in range(19)))
        for d in range(19):
            a.ok("STORE " + " ".join(
                '("/email/user/alice/b%d/e%d" "email.v" "%d")' % (d, i, i)
                for i in range(1000)), timeout=60)
        bob = Noops(inst)
        t = time.monotonic()
        data, final = a.command('SEARCH "/email/user/alice/" DEPTH 0 '
                                'MAKECONTEXT NOTIFY "grow" RETURN '
                                '("email.v") EQUAL "entry" "i;octet" '
                                '"e1"', timeout=60)
        ctx_ms = (time.monotonic() - t) * 1000
        check(acaprel.is_ok(final), "budget: context within the budget: "
              "%r" % final)
        check(len(data) == 20, "budget: %d lines" % len(data))
        # re-evaluated after each STORE, still within it
        for i in range(10):
            a.ok('STORE ("/email/user/alice/b0/e1" "email.v" "x%d")' % i)
        # grow past it: the context stops with an ALERT
        a.ok("STORE " + " ".join(
            '("/email/user/alice/b0/f%d" "email.v" "%d")' % (i, i)
            for i in range(1000)), timeout=60)
        alert = None
        deadline = time.monotonic() + 20
        while alert is None and time.monotonic() < deadline:
            ln = a.line_or_none(1)
            if ln is not None and ln.startswith(b"* ALERT"):
                alert = ln
        check(alert is not None and re.match(
            rb'\* ALERT \(WAYTOOMANY/WORK\) "Context grow is no longer '
            rb'updated: its search would look at more than 20000 entries '
            rb'\(search_max_entries\)"', alert),
              "budget: ALERT for the context: %r" % alert)
        _, final = a.command('UPDATECONTEXT "grow"')
        check(re.search(WORK, final), "budget: UPDATECONTEXT: %r" % final)
        # the SEARCH and the MAKECONTEXT over it: NO, no ENTRY at all
        over_ms = []
        for q in ['SEARCH "/email/user/alice/" DEPTH 0 RETURN ("email.v") '
                  'ALL'] * 5 + [
                  'SEARCH "/email/user/alice/" DEPTH 0 MAKECONTEXT NOTIFY '
                  '"again" RETURN ("email.v") ALL']:
            t = time.monotonic()
            data, final = a.command(q, timeout=60)
            over_ms.append((time.monotonic() - t) * 1000)
            check(re.search(WORK + rb' "SEARCH stopped: it would look at '
                            rb'more than 20000 entries '
                            rb'\(search_max_entries\)"', final),
                  "budget: %s: %r" % (q, final))
            check(not data, "budget: %d lines before the NO" % len(data))
        _, final = a.command('UPDATECONTEXT "again"')
        check(not acaprel.is_ok(final), "budget: a context was made "
              "over the budget: %r" % final)
        n, med, p100 = bob.stop("budget")
        a.close()
        figure("work budget (default, search_max_entries 20000): a DEPTH 0 "
               "NOTIFY context over 19,000 entries made in %.0f ms and "
               "re-evaluated after 10 STOREs; grown over the budget, it "
               "stopped with an ALERT; SEARCH and MAKECONTEXT over it NO "
               "(WAYTOOMANY/WORK) in %.0f to %.0f ms; bob's %d NOOPs: "
               "median %.1f ms, p100 %.1f ms", ctx_ms, min(over_ms),
               max(over_ms), n, med, p100)
    finally:
        inst.cleanup()


def part_literal():
    inst = instance("literal")
    try:
        rss0 = inst.rss_kb()
        bob = Noops(inst)
        conns, held, refused = [], 0, 0
        chunk = b"x" * 65536
        for i in range(24):
            c = login(inst)
            c.send(b"t1 STORE (\"/email/user/alice/big%d\" \"email.v\" "
                   b"{4194304+}\r\n" % i)
            ok = True
            for _ in range(48):                 # 3 MiB of the 4
                if not c.try_send(chunk):
                    ok = False
                    break
            conns.append(c)
            if ok and c.silent(300):
                held += 1
            else:
                ln = c.line_or_none(5)
                check(ln is not None and ln.startswith(
                    b'* BYE "Too many literal octets in flight for this '
                    b'user"'), "literal: connection %d: %r" % (i, ln))
                check(c.wait_eof(5), "literal: connection %d not closed"
                      % i)
                refused += 1
        rss1 = inst.rss_kb()
        check(held == 4, "literal: %d connections hold a 4 MiB literal "
              "(max_literal_inflight 16 MiB: 4)" % held)
        check(refused == 20, "literal: %d refused" % refused)
        # a synchronizing literal: BAD, no continuation
        s = login(inst)
        _, final = s.command(b'STORE ("/email/user/alice/s" "email.v" '
                             b'{4194304}')
        check(re.match(rb't\d+ BAD "Too many literal octets in flight '
                       rb'for this user"', final),
              "literal: {4194304} while the budget is spent: %r" % final)
        s.ok("NOOP")
        # the holders go: the budget is free again
        for c in conns:
            c.close()
        time.sleep(0.5)
        data = b"y" * 4194304
        s.send(b't2 STORE ("/email/user/alice/s" "email.v" {4194304+}\r\n'
               + data + b")\r\n")
        _, final = s.collect("t2", timeout=30)
        check(acaprel.is_ok(final), "literal: a 4 MiB literal after the "
              "others went: %r" % final)
        s.close()
        n, med, p100 = bob.stop("literal")
        check_rss(rss1 - rss0 < 48 * 1024, "literal: RSS grew %d KiB with "
                  "24 connections announcing 4 MiB literals" %
                  (rss1 - rss0))
        figure("literal bytes in flight: 24 connections of one user each "
               "sending 3 MiB of a {4194304+}: %d held, %d got BYE; RSS "
               "+%d KiB; bob's %d NOOPs: median %.1f ms, p100 %.1f ms",
               held, refused, rss1 - rss0, n, med, p100)
    finally:
        inst.cleanup()


PARTS = {
    "inherit": part_inherit,
    "budget": part_budget,
    "literal": part_literal,
}

if __name__ == "__main__":
    sys.exit(acaprel.run_parts(NAME, PARTS, FIGURES))
