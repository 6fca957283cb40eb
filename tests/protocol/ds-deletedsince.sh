#!/bin/sh
# DELETEDSINCE (RFC 2244 §6.6.2, §6.6.3) with real times: the client takes
# times from SEARCH's MODTIME (§6.4.3) and asks which entries were deleted
# since; renames count for the old name, inherited deletions show in the
# inheriting dataset, a time before the log's horizon is NO (TOOOLD).
. "${top_srcdir:-.}/tests/protocol/ds-lib.sh"

ds_useradd admin adminpw
ds_useradd fred pw
ds_useradd joe pw
ds_start "admins admin"
ds_python <<'PY' || ds_fail "scenario failed"
from dsclient import Conn, check, fail

def now(c, ds='/addressbook/~/'):
    got, done = c.cmd('SEARCH "%s" RETURN () NOT ALL' % ds)
    check(done[1] == 'OK' and got[-1][1] == 'MODTIME', 'MODTIME %r' % got)
    return got[-1][2].decode()

def deleted(c, ds, t, quoted=True):
    arg = '"%s"' % t if quoted else t
    got, done = c.cmd('DELETEDSINCE "%s" %s' % (ds, arg))
    check(done[1] == 'OK', 'DELETEDSINCE %s %s: %r' % (ds, t, done))
    for g in got:
        check(g[1] == 'DELETED' and len(g) == 3, 'bad response %r' % g)
    return [g[2].decode() for g in got]

def expect(c, ds, t, names, quoted=True):
    got = deleted(c, ds, t, quoted)
    check(sorted(got) == sorted(names),
        'DELETEDSINCE %s %s: %r, expected %r' % (ds, t, got, names))
    check(len(set(got)) == len(got), 'names repeated: %r' % got)

def minus_one(t):
    return '%0*d' % (len(t), int(t) - 1)

f = Conn()
f.login('fred', 'pw')
f.ok('STORE ("/addressbook/~/A" "ab.v" "a") ("/addressbook/~/B" "ab.v" "b")'
     ' ("/addressbook/~/C" "ab.v" "c") ("/addressbook/~/D" "ab.v" "d")'
     ' ("/addressbook/~/E" "ab.v" "e")')
t0 = now(f)
check(len(t0) == 20 and t0.isdigit(), 'MODTIME %r' % t0)
# nothing deleted yet
expect(f, '/addressbook/~/', t0, [])
# A deleted, B renamed to B2: both old names are reported
f.ok('STORE ("/addressbook/~/A" "entry" NIL)')
f.ok('STORE ("/addressbook/~/B" "entry" "B2")')
t1 = now(f)
expect(f, '/addressbook/~/', t0, ['A', 'B'])
expect(f, '/addressbook/~/', t1, [])
# the time as in the RFC's example (bare), and as a literal
expect(f, '/addressbook/~/', t0, ['A', 'B'], quoted=False)
got, done = f.cmd('DELETEDSINCE "/addressbook/~/" {%d+}\r\n%s' % (len(t0), t0))
check(done[1] == 'OK' and len(got) == 2, 'literal time: %r %r' % (got, done))
# C deleted at tc: since tc-1 it is listed, since tc it is not (§6.6.2:
# deleted after the given time)
f.ok('STORE ("/addressbook/~/C" "entry" NIL)')
tc = now(f)
expect(f, '/addressbook/~/', minus_one(tc), ['C'])
expect(f, '/addressbook/~/', tc, [])
expect(f, '/addressbook/~/', t1, ['C'])
expect(f, '/addressbook/~/', t0, ['A', 'B', 'C'])
# a 14-digit time (whole seconds) is compared as a time: the second in
# which the dataset was created began before it (TOOOLD); a later second
# has nothing
got, done = f.cmd('DELETEDSINCE "/addressbook/~/" "%s"' % t0[:14])
check(done[1] == 'NO' and done[2] == ['TOOOLD'], '14 digits: %r' % done)
expect(f, '/addressbook/~/', '%014d' % (int(t0[:14]) + 10 ** 10), [])
# an entry deleted in a multi-entry STORE: both names
f.ok('STORE ("/addressbook/~/D" "entry" NIL) ("/addressbook/~/E" "entry" NIL)')
expect(f, '/addressbook/~/', tc, ['D', 'E'])
# re-created: no longer deleted
f.ok('STORE ("/addressbook/~/A" "ab.v" "again")')
expect(f, '/addressbook/~/', t0, ['B', 'C', 'D', 'E'])
# before the dataset existed: no information (TOOOLD), the RFC's Z4U3
got, done = f.cmd('DELETEDSINCE "/addressbook/~/" 19951009040854')
check(done[1] == 'NO' and done[2] == ['TOOOLD'], 'TOOOLD: %r' % done)
check(got == [], 'no DELETED with TOOOLD: %r' % got)
got, done = f.cmd('DELETEDSINCE "/addressbook/~/" "%s"' % minus_one(
    '%020d' % (int(t0) - 10 ** 8)))
check(done[1] == 'NO' and done[2] == ['TOOOLD'], 'TOOOLD: %r' % done)
# a dataset that does not exist; one fred may not read (NOEXIST too, so
# its existence does not leak)
got, done = f.cmd('DELETEDSINCE "/nothing/~/" "%s"' % t0)
check(done[1] == 'NO' and done[2] == ['NOEXIST', b'/nothing/user/fred/'],
      'NOEXIST: %r' % done)
j = Conn()
j.login('joe', 'pw')
j.ok('STORE ("/addressbook/~/J" "ab.v" "j")')
tj = now(j)
j.ok('STORE ("/addressbook/~/J" "entry" NIL)')
got, done = f.cmd('DELETEDSINCE "/addressbook/user/joe/" "%s"' % tj)
check(done[1] == 'NO' and done[2] == ['NOEXIST', b'/addressbook/user/joe/'],
      'unreadable: %r' % done)
got, done = f.cmd('DELETEDSINCE "/addressbook/user/nobody/" "%s"' % tj)
check(done[1] == 'NO' and done[2] == ['NOEXIST',
      b'/addressbook/user/nobody/'], 'missing: %r' % done)
# once joe lets fred read, fred gets the answer
j.ok('SETACL ("/addressbook/~/") "fred" "r"')
expect(f, '/addressbook/user/joe/', tj, ['J'])
# syntax: a time needs 14+ digits; one argument only
for bad in ['"2000"', '"1997072810530x"', '', '"%s" "%s"' % (t0, t0)]:
    got, done = f.cmd('DELETEDSINCE "/addressbook/~/" %s' % bad
                      if bad else 'DELETEDSINCE "/addressbook/~/"')
    check(done[1] == 'BAD', 'DELETEDSINCE ... %s: %r' % (bad, done))
got, done = f.cmd('DELETEDSINCE "addressbook" "%s"' % t0)
check(done[1] == 'BAD', 'relative dataset name: %r' % done)

# inheritance: fred's option dataset inherits the site's; an entry the
# site deletes disappears from fred's view and is reported there, unless
# fred has his own copy
a = Conn()
a.login('admin', 'adminpw')
a.ok('STORE ("/option/site/common/S1" "option.value" "1")'
     ' ("/option/site/common/S2" "option.value" "2")'
     ' ("/option/site/common/S3" "option.value" "3")')
f.ok('STORE ("/option/~/common/S2" "option.value" "mine")'
     ' ("/option/~/common/own" "option.value" "o")')
t2 = now(f, '/option/~/common/')
a.ok('STORE ("/option/site/common/S1" "entry" NIL)'
     ' ("/option/site/common/S2" "entry" NIL)')
expect(f, '/option/~/common/', t2, ['S1'])
expect(a, '/option/site/common/', t2, ['S1', 'S2'])
# fred's own tombstone over an inherited entry is a deletion too
f.ok('STORE ("/option/~/common/S3" "entry" NIL)')
expect(f, '/option/~/common/', t2, ['S1', 'S3'])
expect(a, '/option/site/common/', t2, ['S1', 'S2'])
# changing dataset.inherit changes what the dataset shows without log
# rows: older times are TOOOLD from then on
# (an admin's change: fred may not inherit from a missing dataset)
a.ok('STORE ("/option/user/fred/common/" "dataset.inherit" '
     '"/option/group/none/")')
got, done = f.cmd('DELETEDSINCE "/option/~/common/" "%s"' % t2)
check(done[1] == 'NO' and done[2] == ['TOOOLD'],
      'after dataset.inherit changed: %r' % done)
t3 = now(f, '/option/~/common/')
f.ok('STORE ("/option/~/common/own" "entry" NIL)')
expect(f, '/option/~/common/', t3, ['own'])
PY
ds_stop
