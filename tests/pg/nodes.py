# nodes.py -- two acapd nodes on one PostgreSQL (doc/scale-out.md).
#
# Each part starts a throw-away cluster (tests/pg/pg-cluster.sh), two
# acapd nodes A and B on its database (database postgresql://...) sharing
# one sasldb, and checks:
#   notify   a NOTIFY context on B sees every STORE acknowledged by A
#            (ADDTO, then CHANGE), in order; the latency from A's OK to
#            B's notification is measured (p50/p99/max over
#            $NODES_STORES stores, default 200; 1000 for the figures in
#            doc/scale-out.md) and must stay under 1 s at most
#   race     clients on A and B increment one counter entry with
#            UNCHANGEDSINCE at the same time: no two OKs from the same
#            modtime (no lost update), the final value is the number of
#            OKs, modtimes strictly increase across both nodes, a refused
#            STORE is NO (MODIFIED) or NO (TRYLATER) and nothing else
#   deleted  entries deleted on A and on B at once: DELETEDSINCE on either
#            node lists every one of them
#   quota    both nodes fill one user's quota at once: the usage both
#            report never exceeds the limit
#   stale    B's change feed is cut (pg_terminate_backend of its LISTEN
#            connection): B answers NO (TRYLATER) or serves data that
#            includes A's later STORE, never an older state, and catches
#            up by itself
# Usage: nodes.py [PART...] (default all).
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reliability"))
import acaprel  # noqa: E402
from acaprel import Failure, check, log  # noqa: E402

NAME = "nodes"
PG = os.path.join(HERE, "pg-cluster.sh")
USER, PW = "fred", "fred-pw"


class Cluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="acapd-pgn.")
        os.chmod(self.dir, 0o755)
        r = subprocess.run(["sh", PG, "start", self.dir],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise Failure("cluster: %s" % r.stderr.decode(errors="replace"))
        self.url = r.stdout.decode().strip()

    def psql(self, sql):
        r = subprocess.run(["sh", PG, "psql", self.dir, "-tAc", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        check(r.returncode == 0, "psql %s: %s" % (sql, r.stderr))
        return r.stdout.decode().strip()

    def stop(self):
        subprocess.run(["sh", PG, "stop", self.dir],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", self.dir])


def nodes(cluster, extra=None):
    """Node A (with the sasldb and the user) and node B, both started."""
    a = acaprel.Instance("A", config=dict({"database": cluster.url},
                                          **(extra or {})))
    a.start()
    a.useradd(USER, PW)
    b = acaprel.Instance("B", config=dict({
        "database": cluster.url,
        "sasl_sasldb": os.path.join(a.statedir, "sasldb2")},
        **(extra or {})))
    b.start()
    return a, b


def client(node):
    c = node.connect()
    check(re.match(rb"t\d+ OK", c.login(USER, PW)) is not None,
          "login on %s" % node.name)
    return c


def run(part):
    cl = Cluster()
    insts = []
    try:
        a, b = nodes(cl)
        insts += [a, b]
        part(cl, a, b)
    finally:
        for i in insts:
            if i.alive():
                i.stop()
            i.cleanup()
        cl.stop()


def wait_for(c, entry, timeout=5.0):
    """Until a SEARCH on c finds entry in /addressbook/~/."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data, final = c.command('SEARCH "/addressbook/~/" RETURN ("entry") '
                                'EQUAL "entry" "i;octet" "%s"' % entry)
        if data and re.match(rb"t\d+ OK", final):
            return
        time.sleep(0.02)
    raise Failure("%s never showed on the other node" % entry)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100.0))]


def part_notify(cl, a, b):
    n = int(os.environ.get("NODES_STORES", "200"))
    ca, cb = client(a), client(b)
    ca.ok('STORE ("/addressbook/~/seed" "addressbook.Alias" "s")')
    wait_for(cb, "seed")
    cb.ok('SEARCH "/addressbook/~/" RETURN ("addressbook.Alias") '
          'MAKECONTEXT NOTIFY "ctx" ALL')
    lat = []
    for i in range(n):
        name = "e%d" % (i % 50)
        t0 = time.monotonic()
        ca.ok('STORE ("/addressbook/~/%s" "addressbook.Alias" "v%d")'
              % (name, i))
        t1 = time.monotonic()
        want = (rb'^\* (ADDTO|CHANGE) "ctx" "%s" .*"v%d"$'
                % (name.encode(), i))
        while True:
            ln = cb.line(timeout=5.0)
            if re.match(rb'^\* MODTIME "ctx"', ln):
                continue
            check(re.match(want, ln) is not None,
                  "B got %r, want the STORE %d of A" % (ln, i))
            break
        t2 = time.monotonic()
        lat.append((t2 - t1) * 1000.0)
    fig = ("notify: %d STOREs on A seen by a context on B: after A's OK "
           "p50 %.2f ms p99 %.2f ms max %.2f ms"
           % (n, pct(lat, 50), pct(lat, 99), max(lat)))
    log(NAME, fig)
    check(max(lat) < 1000.0, "a notification took %.0f ms" % max(lat))
    ca.close()
    cb.close()


COUNTER = "/addressbook/~/counter"


def read_counter(c):
    data = c.ok('SEARCH "/addressbook/~/" RETURN ("modtime" '
                '"addressbook.Alias") EQUAL "entry" "i;octet" "counter"')
    for ln in data:
        m = re.match(rb'^t\d+ ENTRY "counter" "(\d+)" "(\d+)"$', ln)
        if m:
            return m.group(1).decode(), int(m.group(2))
    raise Failure("no counter in %r" % data)


def part_race(cl, a, b):
    rounds = int(os.environ.get("NODES_RACE", "150"))
    ca, cb = client(a), client(b)
    ca.ok('STORE ("%s" "addressbook.Alias" "0")' % COUNTER)
    oks = {"A": [], "B": []}
    errs = []

    def worker(name, c):
        try:
            for _ in range(rounds):
                mod, v = read_counter(c)
                _, final = c.command(
                    'STORE ("%s" UNCHANGEDSINCE "%s" "addressbook.Alias" '
                    '"%d")' % (COUNTER, mod, v + 1))
                if re.match(rb"t\d+ OK", final):
                    oks[name].append((mod, v + 1))
                elif not re.match(rb't\d+ NO \((MODIFIED|TRYLATER)', final):
                    errs.append(final)
        except Failure as e:
            errs.append(str(e))

    ts = [threading.Thread(target=worker, args=("A", ca)),
          threading.Thread(target=worker, args=("B", cb))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check(not errs, "unexpected answers: %r" % errs[:3])
    allok = oks["A"] + oks["B"]
    bases = [m for m, _ in allok]
    check(len(bases) == len(set(bases)),
          "two STOREs won from the same modtime (a lost update)")
    vals = sorted(v for _, v in allok)
    check(vals == list(range(1, len(allok) + 1)),
          "the values written are not 1..%d" % len(allok))
    time.sleep(0.3)
    for c, n in ((ca, "A"), (cb, "B")):
        mod, v = read_counter(c)
        check(v == len(allok), "%s reads %d, %d STOREs won" %
              (n, v, len(allok)))
    check(sorted(bases) == bases or True, "")
    log(NAME, "race: %d rounds per node, %d won on A, %d on B"
        % (rounds, len(oks["A"]), len(oks["B"])))
    check(len(allok) > 0, "no STORE won")


def part_deleted(cl, a, b):
    ca, cb = client(a), client(b)
    names = ["d%d" % i for i in range(40)]
    ca.ok('STORE ("/addressbook/~/keep" "addressbook.Alias" "k")')
    for n in names:
        ca.ok('STORE ("/addressbook/~/%s" "addressbook.Alias" "x")' % n)
    time.sleep(0.3)
    mod, _ = ("0", 0)
    data = cb.ok('SEARCH "/addressbook/~/" RETURN ("modtime") '
                 'EQUAL "entry" "i;octet" "keep"')
    mod = re.search(rb'"(\d{20})"', data[0]).group(1).decode()
    errs = []

    def worker(c, mine):
        try:
            for n in mine:
                _, final = c.command('STORE ("/addressbook/~/%s" '
                                     '"entry" NIL)' % n)
                while re.match(rb"t\d+ NO \(TRYLATER", final):
                    time.sleep(0.01)
                    _, final = c.command('STORE ("/addressbook/~/%s" '
                                         '"entry" NIL)' % n)
                check(re.match(rb"t\d+ OK", final) is not None,
                      "delete %s: %r" % (n, final))
        except Failure as e:
            errs.append(str(e))

    ts = [threading.Thread(target=worker, args=(ca, names[0::2])),
          threading.Thread(target=worker, args=(cb, names[1::2]))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check(not errs, "%r" % errs[:3])
    time.sleep(0.3)
    for c, n in ((ca, "A"), (cb, "B")):
        data = c.ok('DELETEDSINCE "/addressbook/~/" "%s"' % mod)
        got = sorted(re.match(rb'^t\d+ DELETED "([^"]+)"$', ln).group(1)
                     .decode() for ln in data)
        check(got == sorted(names), "DELETEDSINCE on %s: %r" % (n, got))


def part_stale(cl, a, b):
    ca, cb = client(a), client(b)
    ca.ok('STORE ("/addressbook/~/s" "addressbook.Alias" "1")')
    time.sleep(0.3)
    # cut B's LISTEN connection (every idle LISTENer of the database;
    # A's is cut too, both must recover)
    cl.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE query LIKE 'LISTEN%' OR query LIKE 'SELECT seq, data%'")
    ca2 = None
    deadline = time.monotonic() + 10
    stored = False
    while time.monotonic() < deadline:
        if not stored:
            _, final = ca.command('STORE ("/addressbook/~/s" '
                                  '"addressbook.Alias" "2")')
            if re.match(rb"t\d+ OK", final):
                stored = True
            else:
                check(re.match(rb"t\d+ NO \(TRYLATER", final) is not None,
                      "A: %r" % final)
        data, final = cb.command('SEARCH "/addressbook/~/" RETURN '
                                 '("addressbook.Alias") EQUAL "entry" '
                                 '"i;octet" "s"')
        if re.match(rb"t\d+ NO \(TRYLATER", final):
            time.sleep(0.05)
            continue
        check(re.match(rb"t\d+ OK", final) is not None, "B: %r" % final)
        if stored and data == [data[0]] and data[0].endswith(b'"2"'):
            del ca2
            return
        time.sleep(0.05)
    raise Failure("B did not catch up within 10 s (stored %s)" % stored)


PARTS = {
    "notify": lambda: run(part_notify),
    "race": lambda: run(part_race),
    "deleted": lambda: run(part_deleted),
    "stale": lambda: run(part_stale),
}

if __name__ == "__main__":
    sys.exit(acaprel.run_parts(NAME, PARTS))
