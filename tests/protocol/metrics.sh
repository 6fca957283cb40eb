#!/bin/sh
# The metrics endpoint (acapd.conf(5) metrics_listen, acapd(8) METRICS):
# acapd on 127.0.0.1 with metrics_listen on an ephemeral port is scraped,
# does ACAP work (AUTHENTICATE good and bad, STORE, SEARCH, a context
# with a notification, STARTTLS completed and abandoned, an unknown
# command), and is scraped again.  Every scrape goes through a strict
# parser of the Prometheus text format 0.0.4 (HELP and TYPE once per
# family and before its samples, families contiguous, counters ending in
# _total, histogram buckets cumulative and ending with +Inf equal to
# _count, no duplicate series), and the counters must have moved by
# exactly the work done.  Also: 404 for other paths, 405 for other
# methods, the metrics port is not the ACAP port, "metrics_listen none"
# serves nothing, a malformed value is refused, and "acapctl stats"
# (text and --json) reports the same figures.
. "${top_srcdir:-.}/tests/protocol/ds-lib.sh"

# a malformed address is a configuration error, named
"$ACAPD" -t -o metrics_listen=nonsense > "$DS_DIR/t.out" 2>&1 &&
    ds_fail "metrics_listen nonsense accepted"
grep -q 'metrics_listen' "$DS_DIR/t.out" ||
    ds_fail "no message naming metrics_listen: $(cat "$DS_DIR/t.out")"

ds_useradd alice alice-pw
ds_start "metrics_listen 127.0.0.1:0" "tls_generate yes" \
    "tls_cert cert.pem" "tls_key key.pem"
METRICS_PORT=$(sed -n \
    's|.*metrics on http://127\.0\.0\.1:\([0-9][0-9]*\)/metrics$|\1|p' \
    "$DS_DIR/acapd.log" | tail -n 1)
[ -n "$METRICS_PORT" ] || ds_fail "no \"metrics on\" line in the log"
export METRICS_PORT ACAPCTL

cat > "$DS_DIR/promparse.py" <<'PY'
"""A strict reader of the Prometheus text exposition format 0.0.4."""
import math, re, socket

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*$')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*$')
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')


class FormatError(Exception):
    pass


def http(port, method='GET', path='/metrics'):
    """(status, headers dict lower-case, body str) of one HTTP/1.0 request."""
    s = socket.create_connection(('127.0.0.1', port), 10)
    s.sendall(('%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n'
               % (method, path)).encode())
    data = b''
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    head, _, body = data.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(':')
        headers[k.strip().lower()] = v.strip()
    return status, headers, body.decode('utf-8')


def parse_value(s, where):
    if s in ('+Inf', 'Inf'):
        return math.inf
    if s == '-Inf':
        return -math.inf
    if s == 'NaN':
        return math.nan
    if not re.match(r'^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$', s):
        raise FormatError('%s: bad value %r' % (where, s))
    return float(s)


def parse_labels(text, where):
    """'a="x",b="y"' -> tuple of (name, value), in order."""
    out, i = [], 0
    while i < len(text):
        m = re.match(r'([^=]*)="', text[i:])
        if m is None or not LABEL.match(m.group(1)):
            raise FormatError('%s: bad label at %r' % (where, text[i:]))
        i += m.end()
        val = ''
        while True:
            if i >= len(text):
                raise FormatError('%s: unterminated label value' % where)
            c = text[i]
            if c == '\\':
                nxt = text[i + 1:i + 2]
                if nxt not in ('\\', '"', 'n'):
                    raise FormatError('%s: bad escape \\%s' % (where, nxt))
                val += {'\\': '\\', '"': '"', 'n': '\n'}[nxt]
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                val += c
                i += 1
        if m.group(1) in [k for k, _ in out]:
            raise FormatError('%s: label %s twice' % (where, m.group(1)))
        out.append((m.group(1), val))
        if i < len(text):
            if text[i] != ',':
                raise FormatError('%s: expected "," at %r' % (where, text[i:]))
            i += 1
    return tuple(out)


def family_of(sample, families):
    for suffix in ('_bucket', '_sum', '_count'):
        if sample.endswith(suffix):
            base = sample[:-len(suffix)]
            if families.get(base, {}).get('type') in ('histogram', 'summary'):
                return base
    return sample


def parse(text):
    """{family: {'type', 'help', 'samples': [(name, labels, value)]}};
    raises FormatError for anything the format does not allow."""
    if not text.endswith('\n'):
        raise FormatError('the exposition does not end with a newline')
    fams, order, series = {}, [], set()
    current = None
    for n, line in enumerate(text[:-1].split('\n'), 1):
        where = 'line %d' % n
        if line == '':
            continue
        if line.startswith('#'):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ('HELP', 'TYPE'):
                name = parts[2]
                if not NAME.match(name):
                    raise FormatError('%s: bad name %r' % (where, name))
                f = fams.setdefault(name, {'samples': []})
                if name not in order:
                    order.append(name)
                if parts[1].lower() in f:
                    raise FormatError('%s: second %s for %s'
                                      % (where, parts[1], name))
                if f['samples']:
                    raise FormatError('%s: %s after samples of %s'
                                      % (where, parts[1], name))
                if parts[1] == 'TYPE':
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise FormatError('%s: bad TYPE' % where)
                    f['type'] = parts[3]
                else:
                    if len(parts) != 4 or parts[3].strip() == '':
                        raise FormatError('%s: empty HELP' % where)
                    f['help'] = parts[3]
                current = name
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$',
                     line)
        if m is None:
            raise FormatError('%s: not a sample: %r' % (where, line))
        name, labels = m.group(1), parse_labels(m.group(3) or '', where)
        value = parse_value(m.group(4), where)
        fam = family_of(name, fams)
        if fam not in fams or 'type' not in fams[fam] or \
                'help' not in fams[fam]:
            raise FormatError('%s: sample %s before HELP and TYPE' %
                              (where, name))
        if fam != current:
            raise FormatError('%s: %s is not with the rest of family %s'
                              % (where, name, fam))
        key = (name, tuple(sorted(labels)))
        if key in series:
            raise FormatError('%s: series %r twice' % (where, key))
        series.add(key)
        fams[fam]['samples'].append((name, labels, value))
    for name in order:
        check_family(name, fams[name])
    return fams


def check_family(name, f):
    if 'type' not in f or 'help' not in f:
        raise FormatError('%s: no TYPE or no HELP' % name)
    if not f['samples']:
        raise FormatError('%s: no samples' % name)
    t = f['type']
    if t == 'counter':
        if not name.endswith('_total'):
            raise FormatError('counter %s does not end in _total' % name)
        for s, labels, v in f['samples']:
            if s != name or not v >= 0:
                raise FormatError('counter %s: sample %s %r' % (name, s, v))
    elif t == 'gauge':
        for s, _, _ in f['samples']:
            if s != name:
                raise FormatError('gauge %s: sample %s' % (name, s))
    elif t == 'histogram':
        groups = {}
        for s, labels, v in f['samples']:
            rest = tuple(kv for kv in labels if kv[0] != 'le')
            g = groups.setdefault(rest, {'buckets': []})
            if s == name + '_bucket':
                le = [val for k, val in labels if k == 'le']
                if len(le) != 1:
                    raise FormatError('%s: bucket without le' % name)
                g['buckets'].append((parse_value(le[0], name), v))
            elif s == name + '_sum':
                g['sum'] = v
            elif s == name + '_count':
                g['count'] = v
            else:
                raise FormatError('histogram %s: sample %s' % (name, s))
        for rest, g in groups.items():
            b = g['buckets']
            if not b or 'sum' not in g or 'count' not in g:
                raise FormatError('%s%r: buckets, _sum or _count missing'
                                  % (name, rest))
            les = [le for le, _ in b]
            if les != sorted(les) or len(set(les)) != len(les):
                raise FormatError('%s%r: le not increasing' % (name, rest))
            if les[-1] != math.inf:
                raise FormatError('%s%r: no +Inf bucket last' % (name, rest))
            counts = [c for _, c in b]
            if counts != sorted(counts):
                raise FormatError('%s%r: buckets not cumulative'
                                  % (name, rest))
            if counts[-1] != g['count']:
                raise FormatError('%s%r: +Inf bucket %r != _count %r'
                                  % (name, rest, counts[-1], g['count']))
            if g['sum'] < 0:
                raise FormatError('%s%r: negative _sum' % (name, rest))


def value(fams, sample, **labels):
    """The one sample named sample with exactly these labels."""
    want = tuple(sorted(labels.items()))
    for f in fams.values():
        for s, ls, v in f['samples']:
            if s == sample and tuple(sorted(ls)) == want:
                return v
    raise KeyError('%s%r' % (sample, want))


def total(fams, sample, **labels):
    """The sum of the samples named sample whose labels include these."""
    t = 0
    for f in fams.values():
        for s, ls, v in f['samples']:
            if s == sample and all((k, v2) in ls for k, v2 in labels.items()):
                t += v
    return t
PY

ds_python <<'PY' || ds_fail "scenario failed"
import os, socket, ssl, subprocess
from dsclient import Conn, check, fail, q
import promparse as pp

port = int(os.environ['METRICS_PORT'])
acap = int(os.environ['DS_PORT'])
check(port != acap, 'the metrics port is the ACAP port %d' % acap)


def scrape():
    st, h, body = pp.http(port)
    check(st == 200, 'GET /metrics: status %d' % st)
    check(h.get('content-type') ==
          'text/plain; version=0.0.4; charset=utf-8',
          'Content-Type %r' % h.get('content-type'))
    try:
        return pp.parse(body)
    except pp.FormatError as e:
        fail('malformed exposition: %s' % e)


# The parser itself refuses what the format does not allow.
for bad in ('x_total 1\n',                                  # no HELP/TYPE
            '# HELP a_total h\n# TYPE a_total counter\na_total 1',  # no \n
            '# HELP a h\n# TYPE a counter\na 1\n',          # no _total
            '# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 2\n'
            'h_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',  # decreasing
            '# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 1\n'
            'h_bucket{le="+Inf"} 1\nh_sum 1\nh_count 2\n',  # +Inf != count
            '# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 1\n'
            'h_sum 1\nh_count 1\n',                         # no +Inf
            '# HELP g h\n# TYPE g gauge\n# HELP g again\ng 1\n',
            '# HELP g h\n# TYPE g gauge\ng{a="1"} 1\ng{a="1"} 2\n',
            '# HELP g h\n# TYPE g gauge\n# HELP k h\n# TYPE k gauge\n'
            'k 1\ng 1\n',                                   # interleaved
            '# HELP g h\n# TYPE g gauge\ng{a="\\x"} 1\n'):  # bad escape
    try:
        pp.parse(bad)
    except pp.FormatError:
        continue
    fail('the parser accepted %r' % bad)

# Not ACAP: no greeting on the metrics port (HTTP waits for a request).
s = socket.create_connection(('127.0.0.1', port), 5)
s.settimeout(0.5)
try:
    got = s.recv(100)
except socket.timeout:
    got = b''
s.close()
check(not got.startswith(b'* ACAP'), 'ACAP greeting on the metrics port')

# Only GET /metrics.
for path in ('/', '/metrics/', '/metricsx', '/favicon.ico', '/x/metrics'):
    st, _, _ = pp.http(port, 'GET', path)
    check(st == 404, 'GET %s: %d, not 404' % (path, st))
for method in ('POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'):
    st, h, _ = pp.http(port, method, '/metrics')
    check(st == 405, '%s /metrics: %d, not 405' % (method, st))
    check(h.get('allow') == 'GET', '%s: Allow %r' % (method, h.get('allow')))

m0 = scrape()
v0 = lambda name, **l: pp.value(m0, name, **l)

# --- the work ---
# a: good login, a context with NOTIFY on b's dataset
a = Conn()
a.login('alice', 'alice-pw')
# b: a bad password, then the right one; three STOREs, one SEARCH
b = Conn()
got, done = b.cmd(b'AUTHENTICATE "PLAIN" ' +
                  q(b'\0alice\0wrong-password'))
check(done[1] == 'NO', 'a wrong password: %r' % done)
b.login('alice', 'alice-pw')
b.ok('STORE ("/addressbook/~/x" "addressbook.Alias" "ex")')
a.ok('SEARCH "/addressbook/~/" RETURN ("addressbook.Alias") '
     'MAKECONTEXT NOTIFY "ctx" ALL')
b.ok('STORE ("/addressbook/~/y" "addressbook.Alias" "why")')
b.ok('STORE ("/addressbook/~/z" "addressbook.Alias" "zed")')
b.ok('SEARCH "/addressbook/~/" RETURN ("addressbook.Alias") ALL')
got, done = b.cmd('FROBNICATE')
check(done[1] == 'BAD', 'unknown command: %r' % done)
# the notifications that reached a (ADDTO y, ADDTO z, a MODTIME each)
a.sock.settimeout(5)
notes = {'ADDTO': 0, 'MODTIME': 0, 'CHANGE': 0, 'REMOVEFROM': 0}
while notes['MODTIME'] < 2:
    line = a.read()
    kind = line.split(b' ')[1].decode()
    check(kind in notes, 'unexpected line on a: %r' % line)
    notes[kind] += 1
check(notes['ADDTO'] == 2, 'notifications %r' % notes)
# c: STARTTLS with a handshake; d: STARTTLS, then gone before the handshake
c = Conn()
c.ok('STARTTLS')
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
c.sock = ctx.wrap_socket(c.sock)
check(c.readline().startswith(b'* ACAP'), 'no greeting after TLS')
d = Conn()
d.ok('STARTTLS')
d.close()
# c's handshake is done (its greeting came); d's end is seen in a moment
import time
for _ in range(50):
    m1 = scrape()
    if pp.value(m1, 'acapd_tls_handshakes_total', result='failed') > \
            v0('acapd_tls_handshakes_total', result='failed'):
        break
    time.sleep(0.1)
v1 = lambda name, **l: pp.value(m1, name, **l)


def moved(name, want, **labels):
    got = v1(name, **labels) - v0(name, **labels)
    check(got == want, '%s%r moved by %r, expected %r'
          % (name, labels, got, want))


# connections: a, b, c open (a and b authenticated, c with TLS); d closed
moved('acapd_connections_accepted_total', 4)
moved('acapd_connections_closed_total', 1)
check(v1('acapd_connections', state='authenticated') == 2,
      'authenticated %r' % v1('acapd_connections', state='authenticated'))
check(v1('acapd_connections', state='unauthenticated') == 1,
      'unauthenticated %r'
      % v1('acapd_connections', state='unauthenticated'))
check(v1('acapd_connections_tls') == 1, 'tls %r' % v1('acapd_connections_tls'))
moved('acapd_tls_handshakes_total', 1, result='ok')
moved('acapd_tls_handshakes_total', 1, result='failed')
# commands by verb and result
moved('acapd_commands_total', 2, verb='AUTHENTICATE', result='OK')
moved('acapd_commands_total', 1, verb='AUTHENTICATE', result='NO')
moved('acapd_commands_total', 3, verb='STORE', result='OK')
moved('acapd_commands_total', 2, verb='SEARCH', result='OK')
moved('acapd_commands_total', 2, verb='STARTTLS', result='OK')
moved('acapd_commands_total', 1, verb='unknown', result='BAD')
moved('acapd_commands_total', 0, verb='STORE', result='NO')
check(pp.total(m1, 'acapd_commands_total') -
      pp.total(m0, 'acapd_commands_total') == 11, 'commands in all')
# the latency histograms count every completion of their verb
for verb, n in (('AUTHENTICATE', 3), ('STORE', 3), ('SEARCH', 2),
                ('STARTTLS', 2), ('unknown', 1), ('NOOP', 0)):
    moved('acapd_command_duration_seconds_count', n, verb=verb)
    moved('acapd_command_duration_seconds_bucket', n, verb=verb, le='+Inf')
# authentication by mechanism
moved('acapd_auth_total', 2, mechanism='PLAIN', result='success')
moved('acapd_auth_total', 1, mechanism='PLAIN', result='failure')
check(pp.total(m1, 'acapd_auth_total') - pp.total(m0, 'acapd_auth_total')
      == 3, 'authentications in all')
# contexts and notifications
check(v1('acapd_contexts') == 1, 'contexts %r' % v1('acapd_contexts'))
moved('acapd_contexts_created_total', 1)
moved('acapd_notifications_total', notes['ADDTO'], kind='ADDTO')
moved('acapd_notifications_total', notes['MODTIME'], kind='MODTIME')
moved('acapd_notifications_total', 0, kind='CHANGE')
# store: one commit per STORE (each waited for its OK), one STORE each
moved('acapd_store_commits_total', 3, result='ok')
moved('acapd_store_commits_total', 0, result='failed')
moved('acapd_store_batch_size_count', 3)
moved('acapd_store_batch_size_sum', 3)
moved('acapd_store_batch_size_bucket', 3, le='1')
moved('acapd_store_commit_duration_seconds_count', 3)
check(v1('acapd_store_commit_duration_seconds_sum') >
      v0('acapd_store_commit_duration_seconds_sum'), 'commit time')

# a second scrape of an idle server is equal but for nothing
m2 = scrape()
check(pp.total(m2, 'acapd_commands_total') ==
      pp.total(m1, 'acapd_commands_total'), 'a scrape counted a command')

# acapctl stats, text and JSON, from the same endpoint
env = dict(os.environ, ACAPCTL_CONFIG='/dev/null')
ctl = os.environ.get('ACAPCTL')
out = subprocess.run([ctl, '--metrics', '127.0.0.1:%d' % port, 'stats'],
                     capture_output=True, text=True, env=env)
check(out.returncode == 0, 'stats exited %d: %s' % (out.returncode,
                                                    out.stderr))
for want in ('connections: +3 open \\(2 authenticated, 1 with TLS\\)',
             'TLS handshakes: +1 ok, 1 failed',
             'authentication: +2 succeeded, 1 failed',
             'store: +3 commits of 3 STOREs',
             'contexts: +1 open, 1 created',
             'STORE +3 OK +0 NO +0 BAD'):
    import re
    check(re.search(want, out.stdout) is not None,
          'stats output lacks /%s/:\n%s' % (want, out.stdout))
import json
out = subprocess.run([ctl, '--json', 'stats', '--metrics',
                      '127.0.0.1:%d' % port],
                     capture_output=True, text=True, env=env)
check(out.returncode == 0, 'stats --json exited %d' % out.returncode)
j = json.loads(out.stdout)['result']
check(j['connections']['authenticated'] == 2, 'json %r' % j)
check(j['authentication']['failure'] == 1, 'json %r' % j)
check(j['authentication']['by_mechanism']['PLAIN'] ==
      {'success': 2, 'failure': 1}, 'json %r' % j)
check(j['store']['commits'] == 3 and j['store']['stores'] == 3,
      'json %r' % j)
check(j['commands']['by_verb']['STORE']['OK'] == 3, 'json %r' % j)
check(j['contexts']['open'] == 1, 'json %r' % j)
# nothing listens there: a clear failure, status 1
out = subprocess.run([ctl, 'stats', '--metrics', '127.0.0.1:%d' % acap],
                     capture_output=True, text=True, env=env)
check(out.returncode == 1 and 'metrics' in out.stderr,
      'stats against the ACAP port: %d %r' % (out.returncode, out.stderr))
for c in (a, b, c):
    c.close()
PY

ds_stop

# metrics_listen none: no listener, no "metrics on" line
: > "$DS_DIR/acapd.log"
ds_start "metrics_listen none"
grep -q 'metrics on' "$DS_DIR/acapd.log" &&
    ds_fail "metrics_listen none still serves metrics"
python3 -c "
import socket, sys
s = socket.socket()
try:
    s.connect(('127.0.0.1', $METRICS_PORT))
except OSError:
    sys.exit(0)
sys.exit(1)" || ds_fail "something still listens on the old metrics port"
ds_stop
exit 0
