#!/bin/sh
# Concurrent STOREs and modtime values (RFC 2244 §3.1.1, §6.4.3, §6.6.1):
# STOREs pipelined on four connections at once all get distinct modtimes,
# each connection's in increasing order; the entries of one STORE share
# one; every value is 20 digits and a current UTC time; SEARCH's MODTIME
# covers every entry; UNCHANGEDSINCE passes at the entry's modtime and
# fails one unit before.
. "${top_srcdir:-.}/tests/protocol/ds-lib.sh"

ds_useradd fred pw
ds_start
ds_python <<'PY' || ds_fail "scenario failed"
import calendar, time
from dsclient import Conn, check, fail

N, CONNS = 150, 4
conns = []
for i in range(CONNS):
    c = Conn()
    c.login('fred', 'pw')
    conns.append(c)
# pipeline N STOREs on every connection before reading any reply
tags = []
for i, c in enumerate(conns):
    tags.append([c.send('STORE ("/addressbook/~/c%d-%03d" "ab.n" "%d")'
                        % (i, n, n)) for n in range(N)])
for i, c in enumerate(conns):
    for t in tags[i]:
        got, done = c.result(t)
        check(done[1] == 'OK', 'STORE: %r' % done)
c = conns[0]
got, done = c.cmd('SEARCH "/addressbook/~/" RETURN ("modtime") '
                  'NOT EQUAL "entry" "i;octet" ""')
check(done[1] == 'OK', 'SEARCH: %r' % done)
entries = {g[2].decode(): g[3].decode() for g in got if g[1] == 'ENTRY'}
last = [g for g in got if g[1] == 'MODTIME']
check(len(last) == 1 and got[-1][1] == 'MODTIME', 'one MODTIME, last')
search_modtime = last[0][2].decode()
check(len(entries) == N * CONNS, '%d entries' % len(entries))
values = list(entries.values())
for v in values + [search_modtime]:
    check(len(v) == 20 and v.isdigit(), 'modtime %r' % v)
check(len(set(values)) == len(values), 'modtimes not distinct: %d of %d'
      % (len(set(values)), len(values)))
for i in range(CONNS):
    seq = [entries['c%d-%03d' % (i, n)] for n in range(N)]
    check(seq == sorted(seq), 'connection %d: modtimes out of order' % i)
check(search_modtime >= max(values), 'MODTIME %s < an entry\'s %s'
      % (search_modtime, max(values)))
# a UTC time of now (give or take a day for slow machines and clocks)
t = calendar.timegm(time.strptime(search_modtime[:14], '%Y%m%d%H%M%S'))
check(abs(t - time.time()) < 86400, 'modtime %s is not now (UTC)'
      % search_modtime)

# one STORE, three entries: one modtime, later than everything before
c.ok('STORE ("/addressbook/~/m1" "ab.n" "1") ("/addressbook/~/m2" "ab.n" '
     '"2") ("/option/~/common/m3" "option.value" "3")')
got, done = c.cmd('SEARCH "/" DEPTH 0 RETURN ("modtime") OR OR EQUAL '
                  '"entry" "i;octet" "m1" EQUAL "entry" "i;octet" "m2" '
                  'EQUAL "entry" "i;octet" "m3"')
ms = [g[3].decode() for g in got if g[1] == 'ENTRY']
check(len(ms) == 3 and len(set(ms)) == 1, 'one STORE, modtimes %r' % ms)
check(ms[0] > search_modtime, 'later STORE has an older modtime')
# ... and SEARCH's MODTIME is that value now
check(got[-1][1] == 'MODTIME' and got[-1][2].decode() >= ms[0],
      'MODTIME %r after %s' % (got[-1], ms[0]))

# UNCHANGEDSINCE at the entry's modtime passes; one unit earlier fails
m = entries['c0-000']
earlier = '%020d' % (int(m) - 1)
got, done = c.cmd('STORE ("/addressbook/~/c0-000" UNCHANGEDSINCE "%s" '
                  '"ab.n" "x")' % earlier)
check(done[1] == 'NO' and done[2] == ['MODIFIED',
      b'/addressbook/user/fred/c0-000'], 'UNCHANGEDSINCE earlier: %r' % done)
got, done = c.cmd('STORE ("/addressbook/~/c0-000" UNCHANGEDSINCE "%s" '
                  '"ab.n" "y")' % m)
check(done[1] == 'OK', 'UNCHANGEDSINCE equal: %r' % done)
# the entry changed: the old modtime fails now
got, done = c.cmd('STORE ("/addressbook/~/c0-000" UNCHANGEDSINCE "%s" '
                  '"ab.n" "z")' % m)
check(done[1] == 'NO' and done[2][0] == 'MODIFIED', 'stale: %r' % done)
# an unchanged neighbour keeps its modtime
got, done = c.cmd('SEARCH "/addressbook/~/" RETURN ("modtime") EQUAL '
                  '"entry" "i;octet" "c0-001"')
check(got[0][3].decode() == entries['c0-001'], 'neighbour changed')
# COMPARE on modtime is exact at the boundary
m = entries['c1-050']
got, done = c.cmd('SEARCH "/addressbook/~/" RETURN () AND PREFIX "entry" '
                  '"i;octet" "c1-" COMPARE "modtime" "i;octet" "%s"' % m)
names = sorted(g[2].decode() for g in got if g[1] == 'ENTRY')
check(names == ['c1-%03d' % n for n in range(50, N)], 'COMPARE %r' % names)
got, done = c.cmd('SEARCH "/addressbook/~/" RETURN () AND PREFIX "entry" '
                  '"i;octet" "c1-" COMPARESTRICT "modtime" "-i;octet" "%s"'
                  % m)
names = sorted(g[2].decode() for g in got if g[1] == 'ENTRY')
check(names == ['c1-%03d' % n for n in range(50)], 'COMPARESTRICT - %r'
      % names)
PY
ds_stop
