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
#   stale    B's change feed is cut (pg_terminate_backend of its LISTEN
#            connection): B answers NO (TRYLATER) or serves data that
#            includes A's later STORE, never an older state, and catches
#            up by itself
#   down     PostgreSQL stopped: a STORE on A is NO (TRYLATER), B refuses
#            reads (its feed is lost); once PostgreSQL is back both nodes
#            take STOREs again and B shows A's, without a restart
#   load     4 clients on each node store their own entries at once
#            (retrying on NO (TRYLATER)): afterwards both nodes show every
#            entry with the same value and modtime; the share of STOREs
#            refused because the other node committed first is logged
#   prune    the log rows older than tombstone_days are pruned when a
#            node writes a new base image (at start and hourly): after a
#            restart of B with the log aged, the log is empty, the base
#            image is at the last row, and a third node started then
#            shows every entry with its modtime, and DELETEDSINCE too
#   copy     a SQLite instance with entries, ACLs (dataset and attribute),
#            deletions and quota usage is copied with acapd --copy-to;
#            a node on PostgreSQL then answers SEARCH (values, modtimes,
#            ACLs), DELETEDSINCE, MYRIGHTS and GETQUOTA exactly as the
#            SQLite instance did; a second copy is refused
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
    wait_for(cb, "counter")
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
    inorder = [m for m, _ in sorted(allok, key=lambda x: x[1])]
    check(all(x < y for x, y in zip(inorder, inorder[1:])),
          "modtimes do not increase across the nodes")
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
    # a client of B holding a NOTIFY context is told, not left stale
    cx = client(b)
    cx.ok('SEARCH "/addressbook/~/" RETURN ("addressbook.Alias") '
          'MAKECONTEXT NOTIFY "ctx" ALL')
    # cut B's LISTEN connection (every idle LISTENer of the database;
    # A's is cut too, both must recover)
    cl.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE query LIKE 'LISTEN%' OR query LIKE 'SELECT seq, data%'")
    last = None
    refused = 0
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
            refused += 1
            time.sleep(0.05)
            continue
        check(re.match(rb"t\d+ OK", final) is not None, "B: %r" % final)
        last = data
        if stored and re.match(rb't\d+ ENTRY "s" "2"$', data[0]):
            check(refused > 0, "B served reads while its feed was cut")
            stale_alerts(cx)
            return
        time.sleep(0.05)
    raise Failure("B did not catch up within 10 s (stored %s, B: %r)"
                  % (stored, last))


def stale_alerts(cx):
    """The context's client got: an ALERT that the feed was lost, the
    change missed meanwhile, and an ALERT that the feed is back."""
    got = []
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        ln = cx.line_or_none(timeout=0.2)
        if ln is None:
            if any(b"up to date again" in g for g in got):
                break
            continue
        got.append(ln)
    lost = [i for i, g in enumerate(got)
            if g.startswith(b"* ALERT ") and b"lost the change feed" in g]
    back = [i for i, g in enumerate(got)
            if g.startswith(b"* ALERT ") and b"up to date again" in g]
    change = [i for i, g in enumerate(got)
              if re.match(rb'^\* (ADDTO|CHANGE) "ctx" "s" .*"2"$', g)]
    check(len(lost) == 1 and len(back) == 1 and change,
          "the context's client got %r" % got)
    check(lost[0] < change[0] and lost[0] < back[0],
          "ALERTs out of order: %r" % got)


def until_ok(c, cmd, timeout=15.0):
    """Send cmd until it is answered OK (TRYLATER meanwhile)."""
    deadline = time.monotonic() + timeout
    while True:
        data, final = c.command(cmd)
        if re.match(rb"t\d+ OK", final):
            return data
        check(re.match(rb"t\d+ NO \(TRYLATER", final) is not None,
              "%s: %r" % (cmd, final))
        check(time.monotonic() < deadline, "%s: still %r" % (cmd, final))
        time.sleep(0.1)


def part_down(cl, a, b):
    ca, cb = client(a), client(b)
    ca.ok('STORE ("/addressbook/~/u" "addressbook.Alias" "1")')
    wait_for(cb, "u")
    subprocess.run(["sh", PG, "stop", cl.dir], check=True,
                   stdout=subprocess.DEVNULL)
    _, final = ca.command('STORE ("/addressbook/~/u" "addressbook.Alias" '
                          '"2")')
    check(re.match(rb"t\d+ NO \(TRYLATER", final) is not None,
          "STORE with PostgreSQL down: %r" % final)
    time.sleep(0.3)
    _, final = cb.command('SEARCH "/addressbook/~/" RETURN ("entry") ALL')
    check(re.match(rb"t\d+ NO \(TRYLATER", final) is not None,
          "SEARCH on B with PostgreSQL down: %r" % final)
    r = subprocess.run(["sh", PG, "start", cl.dir], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    check(r.returncode == 0, "restart: %r" % r.stderr)
    until_ok(ca, 'STORE ("/addressbook/~/u" "addressbook.Alias" "3")')
    until_ok(cb, 'STORE ("/addressbook/~/v" "addressbook.Alias" "b")')
    deadline = time.monotonic() + 10
    while True:
        data = until_ok(cb, 'SEARCH "/addressbook/~/" RETURN '
                        '("addressbook.Alias") EQUAL "entry" "i;octet" "u"')
        if re.match(rb't\d+ ENTRY "u" "3"$', data[0]):
            break
        check(time.monotonic() < deadline, "B never showed A's STORE")
        time.sleep(0.05)
    wait_for(ca, "v")
    check(a.alive() and b.alive(), "a node exited")


def part_load(cl, a, b):
    n = int(os.environ.get("NODES_LOAD", "100"))
    per = 4
    counts = {"ok": 0, "retry": 0}
    lock = threading.Lock()
    errs = []

    def worker(node, k):
        try:
            c = client(node)
            for i in range(n):
                cmd = ('STORE ("/addressbook/~/%s-%d-%d" "addressbook.Alias" '
                       '"v%d")' % (node.name, k, i, i))
                while True:
                    _, final = c.command(cmd)
                    if re.match(rb"t\d+ OK", final):
                        break
                    check(re.match(rb"t\d+ NO \(TRYLATER", final)
                          is not None, "%r" % final)
                    with lock:
                        counts["retry"] += 1
                    time.sleep(0.005)
                with lock:
                    counts["ok"] += 1
            c.close()
        except Failure as e:
            errs.append(str(e))

    ts = [threading.Thread(target=worker, args=(node, k))
          for node in (a, b) for k in range(per)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    secs = time.monotonic() - t0
    check(not errs, "%r" % errs[:3])
    time.sleep(0.5)
    views = []
    for node in (a, b):
        c = client(node)
        data = c.ok('SEARCH "/addressbook/~/" RETURN ("modtime" '
                    '"addressbook.Alias") ALL')
        c.close()
        views.append(sorted(ln.split(b" ", 1)[1] for ln in data
                            if re.match(rb't\d+ ENTRY "[AB]-', ln)))
    check(len(views[0]) == 2 * per * n, "A shows %d entries, want %d"
          % (len(views[0]), 2 * per * n))
    check(views[0] == views[1], "A and B differ")
    log(NAME, "load: %d STOREs from 2 nodes in %.1f s (%.0f/s), %d "
        "refused with TRYLATER and retried (%.0f %%)"
        % (counts["ok"], secs, counts["ok"] / secs, counts["retry"],
           100.0 * counts["retry"] / (counts["ok"] + counts["retry"])))


def part_prune(cl, a, b):
    ca = client(a)
    ca.ok('STORE ("/addressbook/~/first" "addressbook.Alias" "f")')
    since = re.search(rb'"(\d{20})"', ca.ok(
        'SEARCH "/addressbook/~/" RETURN ("modtime") ALL')[0]).group(1)
    for i in range(20):
        ca.ok('STORE ("/addressbook/~/p%d" "addressbook.Alias" "v%d")'
              % (i, i))
    for i in range(0, 20, 4):
        ca.ok('STORE ("/addressbook/~/p%d" "entry" NIL)' % i)
    last = cl.psql("SELECT max(seq) FROM acap_log")
    q = ['SEARCH "/addressbook/~/" RETURN ("modtime" "addressbook.Alias") '
         'ALL', 'DELETEDSINCE "/addressbook/~/" "%s"' % since.decode()]
    def untagged(c):
        return [[ln.split(b" ", 1)[1] for ln in d + [f]]
                for d, f in (c.command(x) for x in q)]

    want = untagged(ca)
    cl.psql("UPDATE acap_log SET committed = now() - interval '400 days'")
    b.stop()
    b.start()
    deadline = time.monotonic() + 10
    while cl.psql("SELECT count(*) FROM acap_log") != "0":
        check(time.monotonic() < deadline, "the log was not pruned")
        time.sleep(0.1)
    check(cl.psql("SELECT seq FROM acap_base") == last,
          "base image not at row %s" % last)
    c3 = acaprel.Instance("C", config={
        "database": cl.url,
        "sasl_sasldb": os.path.join(a.statedir, "sasldb2")})
    try:
        c3.start()
        cc = client(c3)
        got = untagged(cc)
        check(got == want, "node C after pruning: %r, want %r"
              % (got, want))
        cc.ok('STORE ("/addressbook/~/after" "addressbook.Alias" "a")')
        cc.close()
        wait_for(ca, "after")
    finally:
        if c3.alive():
            c3.stop()
        c3.cleanup()


COPY_QUERIES = [
    'SEARCH "/addressbook/~/" RETURN ("modtime" "addressbook.Alias" '
    '("value" "acl" "size")) ALL',
    'SEARCH "/addressbook/~/" RETURN ("dataset.acl" ("value" "acl")) '
    'EQUAL "entry" "i;octet" ""',
    'SEARCH "/addressbook/~/sub/" RETURN ("modtime" "addressbook.Alias") '
    'ALL',
    'MYRIGHTS ("/addressbook/~/" "addressbook.Alias")',
    'GETQUOTA "/addressbook/~/"',
]


def copy_answers(node, since):
    c = client(node)
    out = []
    for q in COPY_QUERIES + ['DELETEDSINCE "/addressbook/~/" "%s"' % since]:
        data, final = c.command(q)
        out.append((q, data, final))
    c.close()
    return out


def part_copy():
    cl = Cluster()
    sq = pg = None
    try:
        sq = acaprel.Instance("sqlite", config={"quota": "100000"})
        sq.start()
        sq.useradd(USER, PW)
        c = client(sq)
        c.ok('STORE ("/addressbook/~/first" "addressbook.Alias" "f")')
        since = re.search(rb'"(\d{20})"', c.ok(
            'SEARCH "/addressbook/~/" RETURN ("modtime") ALL')[0]) \
            .group(1).decode()
        for i in range(30):
            c.ok('STORE ("/addressbook/~/e%d" "addressbook.Alias" "v%d")'
                 % (i, i))
        for i in range(0, 30, 3):
            c.ok('STORE ("/addressbook/~/e%d" "entry" NIL)' % i)
        c.ok('STORE ("/addressbook/~/sub/x" "addressbook.Alias" "in sub")')
        c.ok('SETACL ("/addressbook/~/") "anyone" "r"')
        c.ok('SETACL ("/addressbook/~/" "addressbook.Alias" "e1") "joe" '
             '"rw"')
        c.close()
        want = copy_answers(sq, since)
        sq.stop()
        conf = sq.conf
        r = subprocess.run([sq.acapd, "-f", conf, "--copy-to", cl.url],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        check(r.returncode == 0, "--copy-to: %s" % r.stdout)
        r = subprocess.run([sq.acapd, "-f", conf, "--copy-to", cl.url],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        check(r.returncode == 1 and b"already holds" in r.stdout,
              "a second copy: %d %s" % (r.returncode, r.stdout))
        pg = acaprel.Instance("pg", config={
            "database": cl.url, "quota": "100000",
            "sasl_sasldb": os.path.join(sq.statedir, "sasldb2")})
        pg.start()
        got = copy_answers(pg, since)
        for (q, wd, wf), (_, gd, gf) in zip(want, got):
            check((wd, wf) == (gd, gf), "%s: SQLite %r %r, PostgreSQL "
                  "%r %r" % (q, wd, wf, gd, gf))
        check(b"joe" in b"".join(want[0][1]) and
              b"anyone" in b"".join(want[1][1]), "no ACLs in %r" % want[:2])
        check(len(want[-1][1]) == 10, "DELETEDSINCE listed %d names, "
              "want 10" % len(want[-1][1]))
        # and the copy goes on: a STORE on PostgreSQL works
        c = client(pg)
        c.ok('STORE ("/addressbook/~/after" "addressbook.Alias" "a")')
        c.close()
    finally:
        for i in (sq, pg):
            if i is not None:
                if i.alive():
                    i.stop()
                i.cleanup()
        cl.stop()


def part_audit():
    """A STORE acknowledged by A is in B's audit trail, alike (audit.md)."""
    cl = Cluster()
    insts = []
    try:
        a, b = nodes(cl, extra={"admins": "boss"})
        insts += [a, b]
        a.useradd("boss", "boss-pw")
        ca = client(a)
        ca.ok('STORE ("/addressbook/~/audited" "addressbook.Alias" "old")')
        ca.ok('STORE ("/addressbook/~/audited" "addressbook.Alias" "new")')
        ca.close()
        q = ('SEARCH "/vendor.acapd.audit/site/" RETURN ('
             '"vendor.acapd.audit.user" "vendor.acapd.audit.dataset" '
             '"vendor.acapd.audit.entry" "vendor.acapd.audit.old" '
             '"vendor.acapd.audit.new") ALL')
        trails = []
        for node in (a, b):
            c = node.connect()
            check(re.match(rb"t\d+ OK", c.login("boss", "boss-pw"))
                  is not None, "boss login on %s" % node.name)
            deadline = time.monotonic() + 5.0
            while True:
                data, final = c.command(q)
                if (re.match(rb"t\d+ OK", final) and
                        b'"new"' in b"".join(data)):
                    break
                check(time.monotonic() < deadline, "no audit record of "
                      "fred's STORE on %s: %r %r" % (node.name, data, final))
                time.sleep(0.05)
            trails.append(sorted(re.sub(rb"^t[0-9]+ ", b"", ln) for ln in data))
            c.close()
        joined = b"".join(trails[1])
        check(b'"fred"' in joined and b'"old"' in joined and
              b'"audited"' in joined, "B's trail: %r" % trails[1])
        check(trails[0] == trails[1], "the trails differ: A %r, B %r"
              % tuple(trails))
    finally:
        for i in insts:
            if i.alive():
                i.stop()
            i.cleanup()
        cl.stop()


PARTS = {
    "notify": lambda: run(part_notify),
    "race": lambda: run(part_race),
    "deleted": lambda: run(part_deleted),
    "stale": lambda: run(part_stale),
    "down": lambda: run(part_down),
    "load": lambda: run(part_load),
    "prune": lambda: run(part_prune),
    "copy": part_copy,
    "audit": part_audit,
}

if __name__ == "__main__":
    sys.exit(acaprel.run_parts(NAME, PARTS))
