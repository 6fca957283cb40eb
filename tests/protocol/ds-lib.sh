# ds-lib.sh -- shared harness for the dataset shell scenarios
# (tests/protocol/ds-*.sh).  Sourced, not run.
#
# Starts a real acapd on 127.0.0.1 (port 0: acapd writes the bound port to
# a port file, like tests/protocol/acap-script.c) in a fresh state
# directory, and writes a small ACAP client for python3 scenarios:
#   ds_start [CONF-LINE...]   write acapd.conf (plus the given lines), start
#                             acapd, wait for the port: $DS_PORT, $DS_PID
#   ds_stop                   SIGTERM, acapd must exit 0 within 10 s
#   ds_kill                   SIGKILL, reap it
#   ds_useradd USER PASS      create a SASL user with acapctl
#   ds_python                 run python3 on stdin with $DS_DIR on sys.path
#                             (module "dsclient", see below)
#   ds_fail MESSAGE           stop with a failure (prints the acapd log)
#   ds_skip MESSAGE           stop with status 77
# Only loopback addresses are used.  DS_KEEP=1 keeps the directory.

: "${top_builddir:=.}"
ACAPD=${ACAPD:-$top_builddir/acapd/acapd}
ACAPCTL=${ACAPCTL:-$top_builddir/acapctl/acapctl}
DS_NAME=$(basename "$0" .sh)
DS_PID=
DS_PORT=

ds_skip() {
	echo "$DS_NAME: SKIP: $*" >&2
	exit 77
}

ds_missing() {
	echo "$DS_NAME: FAIL: $*" >&2
	exit 1
}

# built by make, installed by tools/deps.sh: missing is a failure
[ -x "$ACAPD" ] || ds_missing "no $ACAPD"
[ -x "$ACAPCTL" ] || ds_missing "no $ACAPCTL"
command -v python3 >/dev/null 2>&1 ||
    ds_missing "python3 is not installed (tools/deps.sh)"

DS_DIR=$(mktemp -d /tmp/ds-test.XXXXXX) || exit 1
export DS_DIR

ds_kill() {
	if [ -n "$DS_PID" ]; then
		kill -KILL "$DS_PID" 2>/dev/null
		wait "$DS_PID" 2>/dev/null
		DS_PID=
	fi
}

ds_cleanup() {
	ds_kill
	if [ -n "${DS_KEEP:-}" ]; then
		echo "$DS_NAME: kept $DS_DIR" >&2
	else
		rm -rf "$DS_DIR"
	fi
}
trap ds_cleanup EXIT
trap 'exit 1' INT TERM

ds_fail() {
	echo "$DS_NAME: FAIL: $*" >&2
	if [ -f "$DS_DIR/acapd.log" ]; then
		echo "--- acapd log (tail) ---" >&2
		tail -n 30 "$DS_DIR/acapd.log" >&2
	fi
	exit 1
}

ds_start() {
	{
		echo "listen 127.0.0.1:0"
		echo "statedir $DS_DIR"
		echo "portfile $DS_DIR/port"
		echo "allow_plaintext yes"
		echo "auth_fail_delay_ms 0"
		echo "seed_site no"
		[ -z "${ACAPD_TEST_DATABASE:-}" ] || echo "database $ACAPD_TEST_DATABASE"
		for line in "$@"; do
			echo "$line"
		done
	} > "$DS_DIR/acapd.conf"
	rm -f "$DS_DIR/port"
	"$ACAPD" -d -f "$DS_DIR/acapd.conf" >> "$DS_DIR/acapd.log" 2>&1 &
	DS_PID=$!
	DS_PORT=
	n=0
	while [ $n -lt 200 ]; do
		if ! kill -0 "$DS_PID" 2>/dev/null; then
			wait "$DS_PID" 2>/dev/null
			DS_PID=
			ds_fail "acapd exited during start-up"
		fi
		if [ -s "$DS_DIR/port" ] &&
		    DS_PORT=$(awk 'NR == 1 && NF == 2 { print $2 }' \
		    "$DS_DIR/port") && [ -n "$DS_PORT" ]; then
			break
		fi
		sleep 0.1
		n=$((n + 1))
	done
	[ -n "$DS_PORT" ] || ds_fail "acapd did not start within 20 s"
	export DS_PORT
}

ds_stop() {
	[ -n "$DS_PID" ] || ds_fail "acapd is not running"
	kill -TERM "$DS_PID"
	n=0
	while kill -0 "$DS_PID" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if kill -0 "$DS_PID" 2>/dev/null; then
		ds_kill
		ds_fail "acapd did not exit within 10 s of SIGTERM"
	fi
	wait "$DS_PID"
	st=$?
	DS_PID=
	[ "$st" -eq 0 ] || ds_fail "acapd exited $st after SIGTERM"
}

ds_useradd() {
	printf '%s\n' "$2" |
	    "$ACAPCTL" -s "$DS_DIR" user add --password-stdin "$1" \
	    > "$DS_DIR/useradd.out" 2>&1 ||
	    ds_fail "user add $1: $(cat "$DS_DIR/useradd.out")"
}

ds_python() {
	PYTHONPATH=$DS_DIR${PYTHONPATH:+:$PYTHONPATH} python3 -
}

# The client: a blocking ACAP connection that parses responses into
# Python values (str for atoms, bytes for strings and literals, None for
# NIL, int for numbers, lists for parenthesised lists).
cat > "$DS_DIR/dsclient.py" <<'PY'
import os, re, socket, sys

def fail(msg):
    sys.stderr.write('FAIL: %s\n' % msg)
    sys.exit(1)

def check(cond, msg):
    if not cond:
        fail(msg)

def q(value):
    """A string argument: quoted when it can be, else a literal."""
    if isinstance(value, str):
        value = value.encode()
    if (len(value) <= 1024 and b'\0' not in value and b'\r' not in value
            and b'\n' not in value):
        return b'"' + value.replace(b'\\', b'\\\\').replace(b'"', b'\\"') \
            + b'"'
    return b'{%d+}\r\n' % len(value) + value

def parse(data):
    """Tokens of one response line (literals already inlined)."""
    out, stack, i = [], [], 0
    cur = out
    while i < len(data):
        c = data[i:i + 1]
        if c == b' ':
            i += 1
        elif c == b'(':
            stack.append(cur)
            cur.append([])
            cur = cur[-1]
            i += 1
        elif c == b')':
            cur = stack.pop()
            i += 1
        elif c == b'"':
            j, buf = i + 1, bytearray()
            while data[j:j + 1] != b'"':
                if data[j:j + 1] == b'\\':
                    j += 1
                buf += data[j:j + 1]
                j += 1
            cur.append(bytes(buf))
            i = j + 1
        elif c == b'\0':
            # a literal, inlined by Conn.read as NUL + length + NUL + data
            j = data.index(b'\0', i + 1)
            n = int(data[i + 1:j])
            cur.append(bytes(data[j + 1:j + 1 + n]))
            i = j + 1 + n
        else:
            j = i
            while j < len(data) and data[j:j + 1] not in b' ()':
                j += 1
            tok = data[i:j].decode()
            if tok == 'NIL':
                cur.append(None)
            elif tok.isdigit():
                cur.append(int(tok))
            else:
                cur.append(tok)
            i = j
    return out

class Conn:
    def __init__(self, port=None, timeout=10):
        port = int(port or os.environ['DS_PORT'])
        self.sock = socket.create_connection(('127.0.0.1', port), timeout)
        self.buf = b''
        self.seq = 0
        greeting = self.readline()
        check(greeting.startswith(b'* ACAP '), 'greeting %r' % greeting)

    def readline(self):
        while b'\r\n' not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError('connection closed')
            self.buf += data
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def read(self):
        """One response: a line with its literals inlined."""
        line = self.readline()
        out = b''
        while True:
            m = re.search(rb'\{(\d+)\}$', line)
            if m is None:
                return out + line
            n = int(m.group(1))
            while len(self.buf) < n:
                data = self.sock.recv(65536)
                if not data:
                    raise EOFError('connection closed')
                self.buf += data
            out += line[:m.start()] + b'\0%d\0' % n + self.buf[:n]
            self.buf = self.buf[n:]
            line = self.readline()

    def send(self, *parts):
        self.seq += 1
        tag = b'T%d' % self.seq
        self.sock.sendall(tag + b' ' + b' '.join(
            p if isinstance(p, bytes) else p.encode() for p in parts)
            + b'\r\n')
        return tag

    def result(self, tag):
        """(responses for tag as token lists, completion token list)."""
        got = []
        while True:
            r = self.read()
            toks = parse(r)
            if toks and toks[0] == tag.decode() and len(toks) > 1 and \
                    toks[1] in ('OK', 'NO', 'BAD'):
                return got, toks
            got.append(toks)

    def cmd(self, *parts):
        return self.result(self.send(*parts))

    def ok(self, *parts):
        got, done = self.cmd(*parts)
        check(done[1] == 'OK', '%r -> %r' % (parts, done))
        return got

    def login(self, user, password):
        """AUTHENTICATE "PLAIN" with the initial response as a literal."""
        got, done = self.cmd(b'AUTHENTICATE "PLAIN" ' + q(
            b'\0' + user.encode() + b'\0' + password.encode()))
        check(done[1] == 'OK', 'login %s: %r' % (user, done))

    def close(self):
        self.sock.close()
PY
