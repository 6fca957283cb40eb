# acaprel.py -- shared helpers for the reliability tests (tests/reliability).
#
# Owns a throw-away acapd instance (state directory, acapd.conf, SASL
# users made with acapctl, the daemon process on 127.0.0.1 with an
# ephemeral port) and two small ACAP clients: a blocking one for scripted
# abuse and an asyncio one for load.  Only loopback addresses are used.
# Responses are framed per RFC 2244 §2.6 (a line ending in "{n}" is
# followed by n octets of literal, then the rest of the line).

import asyncio
import os
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77

LITERAL_AT_END = re.compile(rb"\{(\d+)\}$")


def log(name, msg):
    sys.stderr.write("%s: %s\n" % (name, msg))
    sys.stderr.flush()


def paths():
    """Return (acapd, acapctl) from $ACAPD/$ACAPCTL or $top_builddir."""
    top = os.environ.get("top_builddir", ".")
    acapd = os.environ.get("ACAPD", os.path.join(top, "acapd", "acapd"))
    acapctl = os.environ.get("ACAPCTL",
                             os.path.join(top, "acapctl", "acapctl"))
    return acapd, acapctl


class Failure(Exception):
    """A broken expectation; the test prints it and exits 1."""


def check(cond, msg):
    if not cond:
        raise Failure(msg)


# Under ASan (tests/sanitizers.sh sets ACAPD_SANITIZERS=1) freed memory sits
# in quarantine and shadow memory counts in RSS: RSS says nothing about
# leaks there (LeakSanitizer checks them), so memory bounds stand down.
RSS_CHECKS = not os.environ.get("ACAPD_SANITIZERS")


def check_rss(cond, msg):
    """check() for a bound on acapd's RSS; skipped under sanitizers."""
    if RSS_CHECKS:
        check(cond, msg)


# ---- Simulated power loss (tests/reliability/powerloss.c) ---------------

# one undo record: kind, position, length, size before, octets saved
POWERLOSS_REC = struct.Struct("=8sQQQQ")


def powerloss_env(files, lie=False):
    """Environment that starts acapd under the power-loss shim, logging
    every unsynced change to files (absolute paths)."""
    top = os.environ.get("top_builddir", ".")
    shim = os.path.abspath(os.path.join(top, "tests", "reliability",
                                        "powerloss.so"))
    check(os.path.exists(shim), "%s not built (make check builds it)" %
          shim)
    env = dict(os.environ, LD_PRELOAD=shim,
               POWERLOSS_FILES=":".join(os.path.realpath(f) for f in files))
    if lie:
        env["POWERLOSS_LIE"] = "1"
    # under ASan the shim is preloaded ahead of the ASan runtime
    asan = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + \
        "verify_asan_link_order=0"
    return env


def powerloss_revert(path):
    """Undo, newest first, every change to path that no sync made durable:
    the file as the disk would hold it had the power failed when acapd
    was killed.  Returns (records undone, octets of the file changed)."""
    undo = path + ".undo"
    try:
        with open(undo, "rb") as fp:
            data = fp.read()
    except FileNotFoundError:
        return 0, 0
    recs, off = [], 0
    while off + POWERLOSS_REC.size <= len(data):
        _, pos, length, size, saved = POWERLOSS_REC.unpack_from(data, off)
        start = off + POWERLOSS_REC.size
        if start + saved > len(data):
            break           # cut short by the kill: its call never ran
        recs.append((pos, length, size, data[start:start + saved]))
        off = start + saved
    changed = 0
    if recs:
        with open(path, "r+b") as fp:
            for pos, length, size, old in reversed(recs):
                fp.truncate(size)
                if old:
                    fp.seek(pos)
                    fp.write(old)
                changed += max(length, len(old))
    os.unlink(undo)
    return len(recs), changed


# ---- Framing and tokens ---------------------------------------------------

class Framer:
    """Split a byte stream into logical response lines (literals inline).

    feed() adds bytes; next_line() returns one logical line without its
    final CRLF, literal payloads included verbatim after their "{n}\\r\\n",
    or None when the line is not complete yet.
    """

    def __init__(self):
        self.buf = bytearray()
        self.pos = 0            # scan position inside a partial line

    def feed(self, data):
        self.buf += data

    def next_line(self):
        pos = self.pos
        while True:
            crlf = self.buf.find(b"\r\n", pos)
            if crlf == -1:
                self.pos = pos
                return None
            m = LITERAL_AT_END.search(self.buf, pos, crlf)
            if m is None or m.end() != crlf:
                line = bytes(self.buf[:crlf])
                del self.buf[:crlf + 2]
                self.pos = 0
                return line
            n = int(m.group(1))
            if len(self.buf) < crlf + 2 + n:
                self.pos = pos
                return None
            pos = crlf + 2 + n

    def pending(self):
        return len(self.buf)


class Atom(str):
    """An atom, as opposed to a quoted string or literal (both plain str)."""


def tokens(line):
    """Parse a logical response line into a list of tokens.

    Atoms are Atom, strings and literals str (UTF-8, surrogateescape),
    NIL is None, parenthesised lists are Python lists.  Raises ValueError
    on a malformed line.
    """
    out = []
    stack = [out]
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == 0x20:
            i += 1
        elif c == 0x28:                       # (
            lst = []
            stack[-1].append(lst)
            stack.append(lst)
            i += 1
        elif c == 0x29:                       # )
            if len(stack) == 1:
                raise ValueError("unbalanced ) at %d" % i)
            stack.pop()
            i += 1
        elif c == 0x22:                       # quoted string
            j = i + 1
            s = bytearray()
            while True:
                if j >= n:
                    raise ValueError("unterminated string")
                if line[j] == 0x5c and j + 1 < n:
                    s.append(line[j + 1])
                    j += 2
                elif line[j] == 0x22:
                    break
                else:
                    s.append(line[j])
                    j += 1
            stack[-1].append(s.decode("utf-8", "surrogateescape"))
            i = j + 1
        elif c == 0x7b:                       # {n}\r\n literal
            m = re.match(rb"\{(\d+)\}\r\n", line[i:i + 24])
            if m is None:
                raise ValueError("bad literal at %d" % i)
            start = i + m.end()
            cnt = int(m.group(1))
            stack[-1].append(line[start:start + cnt].decode(
                "utf-8", "surrogateescape"))
            i = start + cnt
        else:
            j = i
            while j < n and line[j] not in b" ()\"{":
                j += 1
            word = line[i:j].decode("utf-8", "surrogateescape")
            stack[-1].append(None if word.upper() == "NIL" else Atom(word))
            i = j
    if len(stack) != 1:
        raise ValueError("unbalanced (")
    return out


def quote(s):
    """An ACAP quoted string for s (RFC 2244 §2.6.3), or a literal."""
    if isinstance(s, str):
        s = s.encode()
    if len(s) > 1024 or any(b in s for b in b"\r\n\0") or \
            any(b > 0x7f for b in s):
        return b"{%d+}\r\n" % len(s) + s
    return b'"' + s.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def plain_login(tag, user, password):
    msg = b"\0" + user.encode() + b"\0" + password.encode()
    return b'%s AUTHENTICATE "PLAIN" {%d+}\r\n%s\r\n' % (
        tag.encode(), len(msg), msg)


# ---- The daemon -----------------------------------------------------------

class Instance:
    """One acapd on 127.0.0.1 with its own state directory.

    config: dict of extra acapd.conf options (values as strings).
    statedir: where the database lives (default: the instance directory).
    """

    BASE = {
        "listen": "127.0.0.1:0",
        "seed_site": "no",
        "allow_plaintext": "yes",
        "auth_fail_delay_ms": "0",
        "log_level": "info",
    }

    def __init__(self, name, config=None, statedir=None, nofile=None):
        self.name = name
        self.acapd, self.acapctl = paths()
        if not os.access(self.acapd, os.X_OK):
            log(name, "FAIL: no %s (make builds it)" % self.acapd)
            sys.exit(1)
        self.dir = tempfile.mkdtemp(prefix="acapd-rel-%s." % name)
        self.statedir = statedir or self.dir
        self.conf = os.path.join(self.dir, "acapd.conf")
        self.portfile = os.path.join(self.dir, "port")
        self.logpath = os.path.join(self.dir, "acapd.log")
        self.db = os.path.join(self.statedir, "acapd.db")
        self.config = dict(self.BASE)
        self.config["statedir"] = self.statedir
        self.config["portfile"] = self.portfile
        self.config.update(config or {})
        self.nofile = nofile
        self.proc = None
        self.port = None
        self.starts = 0
        self.signalled = False  # we sent the signal it exits by
        self.env = None         # acapd's environment (None: ours)

    def write_config(self):
        with open(self.conf, "w") as fp:
            for k, v in self.config.items():
                fp.write("%s %s\n" % (k, v))

    def useradd(self, user, password):
        r = subprocess.run(
            [self.acapctl, "-s", self.statedir, "user", "add",
             "--password-stdin", user],
            input=(password + "\n").encode(), stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env=dict(os.environ,
                                             ACAPCTL_CONFIG="/dev/null"))
        check(r.returncode == 0, "acapctl user add %s: %s" %
              (user, r.stderr.decode(errors="replace")))

    def _limit(self):
        # nofile: one number (soft = hard) or a (soft, hard) pair
        if self.nofile is not None:
            lim = self.nofile if isinstance(self.nofile, tuple) else \
                (self.nofile, self.nofile)
            resource.setrlimit(resource.RLIMIT_NOFILE, lim)

    def spawn(self, argv=None, **popen):
        """Start acapd without waiting for it to be ready.  argv and
        popen (subprocess.Popen arguments) replace the defaults, e.g. to
        start it through a wrapper (activation.py)."""
        try:
            os.unlink(self.portfile)
        except FileNotFoundError:
            pass
        self.write_config()
        popen.setdefault("preexec_fn", self._limit)
        popen.setdefault("env", self.env)
        logfp = open(self.logpath, "ab")
        self.proc = subprocess.Popen(
            argv or [self.acapd, "-f", self.conf], stdout=logfp,
            stderr=logfp, stdin=subprocess.DEVNULL, **popen)
        logfp.close()
        self.starts += 1
        self.signalled = False

    def wait_ready(self, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise Failure("acapd exited during start-up (%s)"
                              % describe_exit(self.proc.returncode))
            try:
                with open(self.portfile) as fp:
                    line = fp.readline()
                if line.endswith("\n"):
                    self.port = int(line.split()[1])
                    return
            except (FileNotFoundError, IndexError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise Failure("acapd did not start within %g s" % timeout)
            time.sleep(0.005)

    def start(self, timeout=20.0):
        self.spawn()
        self.wait_ready(timeout)

    def wait_failed_start(self, timeout=10.0):
        """Wait for a start that must fail: acapd exits 1."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure("acapd neither started nor failed within %g s"
                          % timeout)
        self.signalled = True       # an exit was expected
        check(self.proc.returncode == 1, "%s, want exit status 1" %
              describe_exit(self.proc.returncode))

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self, what="the planned kill"):
        """Failure (with the exit signal or status) unless acapd is
        running or exited by a signal we sent: a crash is never taken
        for a planned stop."""
        if self.proc is None or self.signalled:
            return
        if self.proc.poll() is not None:
            raise Failure("acapd died before %s: %s" %
                          (what, describe_exit(self.proc.returncode)))

    def kill(self):
        """SIGKILL, and reap.  Failure if acapd had already exited by
        itself (a crash is not a planned kill)."""
        self.check_alive()
        if self.proc is not None and self.proc.poll() is None:
            self.signalled = True
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def stop(self, timeout=10.0):
        """SIGTERM; returns the exit status (SIGKILL after timeout).
        Failure if acapd had already exited by itself."""
        if self.proc is None:
            return None
        self.check_alive("the planned SIGTERM")
        if self.proc.poll() is None:
            self.signalled = True
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def rss_kb(self):
        """Resident set size of acapd in KiB."""
        with open("/proc/%d/status" % self.pid) as fp:
            for line in fp:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def log_text(self):
        try:
            with open(self.logpath, errors="replace") as fp:
                return fp.read()
        except FileNotFoundError:
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])

    def cleanup(self, keep=False):
        if self.alive():
            self.signalled = True
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        if keep or os.environ.get("REL_KEEP"):
            log(self.name, "kept %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def connect(self, source=None, timeout=5.0, greeting=True, rcvbuf=None):
        return Client(self.port, source=source, timeout=timeout,
                      greeting=greeting, rcvbuf=rcvbuf)


def describe_exit(rc):
    """A Popen returncode in words: "killed by signal 11 (SIGSEGV)" or
    "exit status 1"."""
    if rc is None:
        return "still running"
    if rc < 0:
        try:
            sig = signal.Signals(-rc).name
        except ValueError:
            sig = "?"
        return "killed by signal %d (%s)" % (-rc, sig)
    return "exit status %d" % rc


def case(name, results, label, fn):
    """Run fn(), one case of test name: results[label] says whether it
    passed, and a PASS or FAIL line is printed."""
    try:
        fn()
        results[label] = True
        log(name, "PASS %s" % label)
    except Failure as e:
        results[label] = False
        log(name, "FAIL %s: %s" % (label, e))


def run_main(name, body):
    """Run body(); map Failure to exit 1 and print it."""
    try:
        rc = body()
    except Failure as e:
        log(name, "FAIL: %s" % e)
        return 1
    return 0 if rc is None else rc


def run_parts(name, parts, figures=()):
    """Run the parts named on the command line (default all) of a test
    whose parts are a {name: function} dict, each timed and reported
    PASS or FAIL; then log the figures (strings) they collected.
    Returns the exit status."""
    python_ok(name)
    rc = 0
    for n in sys.argv[1:] or list(parts):
        t = time.monotonic()
        r = run_main(name, parts[n])
        log(name, "%s %s (%.1f s)" % ("PASS" if r == 0 else "FAIL", n,
                                      time.monotonic() - t))
        rc = rc or r
    for f in figures:
        log(name, f)
    return rc


# ---- A blocking client ----------------------------------------------------

class Client:
    """One ACAP connection with blocking reads that time out."""

    def __init__(self, port, source=None, timeout=5.0, greeting=True,
                 rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if rcvbuf is not None:
            # before connect: the kernel then neither autotunes it nor
            # advertises a larger window (a client that reads slowly)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source is not None:
            self.sock.bind((source, 0))
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.timeout = timeout
        self.framer = Framer()
        self.eof = False
        self.tagseq = 0
        self.greeting = self.line() if greeting else None

    def starttls(self):
        """STARTTLS, the handshake (any certificate) and the new
        greeting."""
        import ssl
        _, final = self.command("STARTTLS")
        check(is_ok(final), "STARTTLS: %r" % final)
        check(self.framer.pending() == 0, "STARTTLS: data after the OK")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock)
        self.greeting = self.line()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def try_send(self, data):
        """send(); False when the server has closed the connection."""
        try:
            self.send(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(262144)
        except socket.timeout:
            return None
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return b""
        self.framer.feed(data)
        return data

    def line(self, timeout=None):
        """The next logical line (bytes); Failure on timeout or EOF."""
        ln = self.line_or_none(timeout)
        if ln is None:
            raise Failure("expected a server line, got %s" %
                          ("end of connection" if self.eof else "nothing"))
        return ln

    def line_or_none(self, timeout=None):
        """The next line, or None on timeout or EOF (see .eof)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            ln = self.framer.next_line()
            if ln is not None:
                return ln
            if self.eof:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if self._fill(left) is None:
                return None

    def wait_eof(self, timeout=None):
        """True when the server closes within timeout (data is discarded)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._fill(left)
        return True

    def lines_until_eof(self, timeout=None):
        out = []
        while True:
            ln = self.line_or_none(timeout)
            if ln is None:
                return out
            out.append(ln)

    def silent(self, ms):
        """True when nothing arrives within ms (and no EOF)."""
        if self.framer.pending():
            return False
        return self._fill(ms / 1000.0) is None

    def tag(self):
        self.tagseq += 1
        return "t%d" % self.tagseq

    def command(self, text, timeout=None):
        """Send "TAG text"; return (untagged/intermediate lines, final).

        final is the tagged OK/NO/BAD line as bytes.
        """
        t = self.tag()
        if isinstance(text, str):
            text = text.encode()
        self.send(t.encode() + b" " + text + b"\r\n")
        return self.collect(t, timeout)

    def collect(self, tag, timeout=None):
        pre = tag.encode() + b" "
        data = []
        while True:
            ln = self.line(timeout)
            if ln.startswith(pre):
                rest = ln[len(pre):]
                if re.match(rb"(OK|NO|BAD)( |$)", rest):
                    return data, ln
            data.append(ln)

    def ok(self, text, timeout=None):
        data, final = self.command(text, timeout)
        check(re.match(rb"t\d+ OK", final) is not None,
              "%s: %r" % (text if isinstance(text, str) else
                          text[:60], final))
        return data

    def login(self, user, password):
        t = self.tag()
        self.send(plain_login(t, user, password))
        data, final = self.collect(t)
        return final


# ---- An asyncio client ----------------------------------------------------

class AsyncClient:
    """An asyncio ACAP connection: command() futures matched by tag,
    untagged lines passed to an optional callback."""

    def __init__(self, reader, writer, on_untagged=None):
        self.reader = reader
        self.writer = writer
        self.framer = Framer()
        self.waiting = {}           # tag -> (future, collected lines)
        self.on_untagged = on_untagged
        self.tagseq = 0
        self.task = None
        self.closed = asyncio.get_event_loop().create_future()
        self.greeting = None
        self.greeted = asyncio.get_event_loop().create_future()

    @classmethod
    async def open(cls, port, source=None, on_untagged=None, timeout=10.0):
        local = (source, 0) if source is not None else None
        reader, writer = await asyncio.wait_for(asyncio.open_connection(
            "127.0.0.1", port, local_addr=local, limit=1 << 22), timeout)
        c = cls(reader, writer, on_untagged)
        c.task = asyncio.ensure_future(c._read_loop())
        await asyncio.wait_for(asyncio.shield(c.greeted), timeout)
        return c

    async def _read_loop(self):
        err = None
        try:
            while True:
                data = await self.reader.read(262144)
                if not data:
                    break
                self.framer.feed(data)
                while True:
                    ln = self.framer.next_line()
                    if ln is None:
                        break
                    self._dispatch(ln)
        except (ConnectionError, OSError) as e:
            err = e
        for fut, _ in self.waiting.values():
            if not fut.done():
                fut.set_exception(ConnectionError(
                    "connection closed%s" % (": %s" % err if err else "")))
        self.waiting.clear()
        if not self.greeted.done():
            self.greeted.set_exception(ConnectionError("closed before "
                                                       "greeting"))
        if not self.closed.done():
            self.closed.set_result(err)

    def _dispatch(self, ln):
        if self.greeting is None:
            self.greeting = ln
            if not self.greeted.done():
                self.greeted.set_result(ln)
            return
        sp = ln.find(b" ")
        tag = ln[:sp].decode(errors="replace") if sp > 0 else ""
        w = self.waiting.get(tag)
        if w is not None:
            rest = ln[sp + 1:]
            if re.match(rb"(OK|NO|BAD)( |$)", rest):
                del self.waiting[tag]
                if not w[0].done():
                    w[0].set_result((w[1], ln))
                return
            w[1].append(ln)
            return
        if self.on_untagged is not None:
            self.on_untagged(self, ln)

    def send(self, data):
        self.writer.write(data)

    async def command(self, text, timeout=30.0):
        """Run "TAG text"; returns (lines, final line)."""
        if self.closed.done():
            raise ConnectionError("connection closed")
        self.tagseq += 1
        t = "a%d" % self.tagseq
        fut = asyncio.get_event_loop().create_future()
        self.waiting[t] = (fut, [])
        if isinstance(text, str):
            text = text.encode()
        self.writer.write(t.encode() + b" " + text + b"\r\n")
        return await asyncio.wait_for(fut, timeout)

    async def login(self, user, password, timeout=30.0):
        if self.closed.done():
            raise ConnectionError("connection closed")
        self.tagseq += 1
        t = "a%d" % self.tagseq
        fut = asyncio.get_event_loop().create_future()
        self.waiting[t] = (fut, [])
        self.writer.write(plain_login(t, user, password))
        return await asyncio.wait_for(fut, timeout)

    def close(self):
        try:
            self.writer.close()
        except (ConnectionError, OSError, RuntimeError):
            pass
        if self.task is not None:
            self.task.cancel()


def close_loop(loop):
    """Cancel what is left on an asyncio loop (read loops of closed
    clients), let it finish, and close the loop."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in pending:
        t.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending,
                                               return_exceptions=True))
    loop.close()


def is_ok(final):
    return re.match(rb"\S+ OK", final) is not None


def python_ok(name):
    """Exit 77 unless this Python is new enough for the helpers."""
    if sys.version_info < (3, 7):
        log(name, "SKIP: python3 >= 3.7 needed")
        sys.exit(SKIP)
