# faults.py -- faults of a PostgreSQL-backed deployment (issue 16, item 6;
# doc/scale-out.md, "Faults").  Each part starts a throw-away cluster
# (tests/pg/pg-cluster.sh) and two acapd nodes A and B on its database
# (B uses A's sasldb; nodes.py starts them), then:
#   kill     clients STORE new entries on A (each its own name and value)
#            while A is killed with SIGKILL; every STORE A acknowledged
#            is then served by B with its value, A restarted on the same
#            database serves the same entries with the same modtimes as
#            B, and the modtimes are all different (one order)
#   restart  clients STORE on A and on B while PostgreSQL is restarted
#            (pg_ctl restart): meanwhile every answer is OK or
#            NO (TRYLATER), never another NO, a BAD or a dropped
#            connection; within 20 s both nodes take STOREs again
#            without being restarted, B sees a STORE A acknowledged after
#            the restart, and every acknowledged STORE is on both nodes
# Usage: faults.py [PART...] (default all).
import os
import re
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reliability"))
import acaprel  # noqa: E402
from acaprel import Failure, check, log  # noqa: E402

NAME = "faults"
WRITERS = 4
# The cluster, the two nodes and the login are nodes.py's.
sys.path.insert(0, HERE)
from nodes import PG, client, run  # noqa: E402


def pg_restart(cl):
    r = subprocess.run(["sh", PG, "restart", cl.dir],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(r.returncode == 0, "pg_ctl restart: %s" % r.stderr)


def store(c, name, value):
    return c.command('STORE ("/addressbook/~/%s" "addressbook.Alias" "%s")'
                     % (name, value), timeout=10.0)


def entries(c, prefix):
    """{entry: (value, modtime)} of /addressbook/~/ entries with prefix."""
    data, final = c.command('SEARCH "/addressbook/~/" RETURN '
                            '("addressbook.Alias" "modtime") PREFIX '
                            '"entry" "i;octet" "%s"' % prefix, timeout=20.0)
    check(re.match(rb"t\d+ OK", final) is not None, "SEARCH: %r" % final)
    out = {}
    for ln in data:
        m = re.match(rb'^\S+ ENTRY "([^"]*)" "([^"]*)" "([^"]*)"$', ln)
        if m:
            out[m.group(1).decode()] = (m.group(2).decode(),
                                        m.group(3).decode())
    return out


class Writer(threading.Thread):
    """STOREs new entries (PREFIX-N, value vN) until told to stop or the
    connection breaks; acked: the names whose OK arrived; answers: every
    final line that was not OK; broken: the error that ended it."""

    def __init__(self, node, prefix, trylater_ok=False):
        super().__init__(daemon=True)
        self.c = client(node)
        self.prefix = prefix
        self.trylater_ok = trylater_ok
        self.acked = {}
        self.others = []
        self.trylater = 0
        self.broken = None
        self.halt = threading.Event()

    def run(self):
        i = 0
        while not self.halt.is_set():
            name, value = "%s-%d" % (self.prefix, i), "v%d" % i
            try:
                _, final = store(self.c, name, value)
            except (Failure, OSError) as e:
                self.broken = str(e)
                return
            if re.match(rb"t\d+ OK", final):
                self.acked[name] = value
            elif re.match(rb"t\d+ NO \(TRYLATER", final):
                self.trylater += 1
                time.sleep(0.02)
            else:
                self.others.append(final)
            i += 1


def wait_all(c, prefix, acked, timeout=10.0):
    """Until c serves every acked entry with its value; returns them."""
    deadline = time.monotonic() + timeout
    while True:
        got = entries(c, prefix)
        missing = [n for n, v in acked.items()
                   if n not in got or got[n][0] != v]
        if not missing:
            return got
        if time.monotonic() > deadline:
            raise Failure("%d acknowledged STOREs missing, e.g. %s"
                          % (len(missing), missing[:3]))
        time.sleep(0.1)


def part_kill(cl, a, b):
    ws = [Writer(a, "k%d" % i) for i in range(WRITERS)]
    for w in ws:
        w.start()
    time.sleep(2.0)
    a.kill()
    for w in ws:
        w.join(15)
        check(not w.is_alive(), "a writer still runs after the kill")
        check(not w.others, "answers other than OK: %r" % w.others[:3])
    acked = {}
    for w in ws:
        acked.update(w.acked)
    check(len(acked) > 20, "only %d STOREs acknowledged before the kill"
          % len(acked))
    log(NAME, "kill: %d STOREs acknowledged before SIGKILL" % len(acked))
    cb = client(b)
    on_b = wait_all(cb, "k", acked)
    a.start()
    on_a = wait_all(client(a), "k", acked)
    for n in acked:
        check(on_a[n] == on_b[n], "%s: A restarted serves %r, B %r"
              % (n, on_a[n], on_b[n]))
    mods = [on_b[n][1] for n in acked]
    check(len(set(mods)) == len(mods), "two acknowledged STOREs share a "
          "modtime")


def part_restart(cl, a, b):
    ws = [Writer(a, "ra%d" % i) for i in range(WRITERS // 2)] + \
         [Writer(b, "rb%d" % i) for i in range(WRITERS // 2)]
    for w in ws:
        w.start()
    time.sleep(1.5)
    t0 = time.monotonic()
    pg_restart(cl)
    log(NAME, "restart: pg_ctl restart took %.1f s"
        % (time.monotonic() - t0))
    time.sleep(1.0)
    # both nodes take STOREs again, by themselves
    ca, cb = client(a), client(b)
    for c, name in ((ca, "after-a"), (cb, "after-b")):
        deadline = time.monotonic() + 20
        while True:
            _, final = store(c, name, "1")
            if re.match(rb"t\d+ OK", final):
                break
            check(re.match(rb"t\d+ NO \(TRYLATER", final) is not None,
                  "%s: %r" % (name, final))
            check(time.monotonic() < deadline,
                  "%s: still TRYLATER 20 s after the restart" % name)
            time.sleep(0.1)
    time.sleep(0.5)
    for w in ws:
        w.halt.set()
    for w in ws:
        w.join(15)
        check(w.broken is None, "a connection broke: %s" % w.broken)
        check(not w.others, "answers other than OK and NO (TRYLATER): %r"
              % w.others[:3])
    tl = sum(w.trylater for w in ws)
    log(NAME, "restart: %d STOREs acknowledged, %d NO (TRYLATER) during "
        "the restart" % (sum(len(w.acked) for w in ws), tl))
    check(all(a.alive() and b.alive() for _ in [0]), "a node died")
    wait_all(cb, "after-a", {"after-a": "1"})
    wait_all(ca, "after-b", {"after-b": "1"})
    acked = {}
    for w in ws:
        acked.update(w.acked)
    on_a = wait_all(ca, "r", acked)
    on_b = wait_all(cb, "r", acked)
    for n in acked:
        check(on_a[n] == on_b[n], "%s: A serves %r, B %r"
              % (n, on_a[n], on_b[n]))


PARTS = {
    "kill": lambda: run(part_kill),
    "restart": lambda: run(part_restart),
}

if __name__ == "__main__":
    sys.exit(acaprel.run_parts(NAME, PARTS))
