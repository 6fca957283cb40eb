# tlsread.py -- TLS records that arrive together.
#
# acapd reads TLS ahead (conn.c, conn_switch_tls() and conn_tls_pull()):
# one read(2) takes every record the socket holds.  libevent only asks
# OpenSSL for more while SSL_pending() is non-zero, which counts the
# record being returned and not the ones behind it, so acapd must take
# those itself: the socket has nothing more to report for them.  The
# client here makes its TLS records itself (ssl.MemoryBIO) and decides
# exactly which go out in one send().  Parts:
#   records  5 NOOPs, one record each, in one send, then 200 in one send:
#            every one answered, nothing more sent
#   split    3 records cut in the middle of the second, the halves 50 ms
#            apart: all answered once the rest comes
#   bye      LOGOUT and a close_notify in one send: BYE, OK, then the close
# Usage: tlsread.py [PART...]

import os
import socket
import ssl
import sys
import time

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
from acaprel import Failure, check  # noqa: E402

NAME = "tlsread"


class TlsClient:
    """STARTTLS on a plain connection, then TLS through memory BIOs."""

    def __init__(self, inst):
        self.plain = inst.connect()
        _, final = self.plain.command("STARTTLS")
        check(acaprel.is_ok(final), "STARTTLS: %r" % final)
        self.sock = self.plain.sock
        self.sock.settimeout(5)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inc, self.out)
        self.text = b""
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.receive()
        self.flush()
        check(self.line().startswith(b"* ACAP"), "no greeting after TLS")

    def flush(self):
        """Send every record made so far, in one send()."""
        data = self.out.read()
        if data:
            self.sock.sendall(data)
        return data

    def receive(self):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise Failure("nothing from acapd within 5 s")
        if not data:
            raise Failure("acapd closed the connection")
        self.inc.write(data)

    def line(self):
        while b"\r\n" not in self.text:
            try:
                self.text += self.tls.read(65536)
                continue
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLZeroReturnError:
                raise Failure("TLS closed by acapd")
            self.receive()
        ln, self.text = self.text.split(b"\r\n", 1)
        return ln

    def records(self, lines):
        """One TLS record per line, all kept for one send."""
        for ln in lines:
            self.tls.write(ln + b"\r\n")

    def expect(self, tags):
        for t in tags:
            ln = self.line()
            check(ln == t + b' OK "NOOP completed"',
                  "expected %r's OK, got %r" % (t, ln))


def with_client(body):
    """Run body(client) on a TLS client of a fresh instance."""
    inst = acaprel.Instance(NAME, {"tls_generate": "yes",
                                   "tls_cert": "cert.pem",
                                   "tls_key": "key.pem"})
    try:
        inst.start()
        body(TlsClient(inst))
    finally:
        inst.cleanup()


def records(c):
    for n in (5, 200):
        tags = [b"r%d" % i for i in range(n)]
        c.records([t + b" NOOP" for t in tags])
        c.flush()
        c.expect(tags)


def split(c):
    tags = [b"s1", b"s2", b"s3"]
    c.records([t + b" NOOP" for t in tags])
    data = c.out.read()
    cut = len(data) // 2
    c.sock.sendall(data[:cut])
    time.sleep(0.05)
    c.sock.sendall(data[cut:])
    c.expect(tags)


def bye(c):
    c.records([b"z LOGOUT"])
    try:
        c.tls.unwrap()              # writes our close_notify
    except ssl.SSLWantReadError:
        pass
    c.flush()
    check(c.line().startswith(b"* BYE"), "LOGOUT: no BYE")
    ln = c.line()
    check(ln == b'z OK "LOGOUT completed"', "LOGOUT: got %r" % ln)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if not c.sock.recv(65536):
                return
        except socket.timeout:
            break
    raise Failure("LOGOUT: connection not closed")


PARTS = {name: (lambda body=body: with_client(body))
         for name, body in (("records", records), ("split", split),
                            ("bye", bye))}

if __name__ == "__main__":
    sys.exit(acaprel.run_parts(NAME, PARTS))
