#!/usr/bin/env python3
"""cram-loop.py -- authenticate users against a live acapd with CRAM-MD5,
one connection per attempt, in a loop (tests/protocol/ctl-useradd-race.sh).

  cram-loop.py [--ready FILE] PORT PASSWORD SECONDS USER...   loop until
      SECONDS pass or a file named STOP appears in the current directory
      (FILE is created after the first success); print "N ok M failed"
      and exit 1 if any attempt failed
  cram-loop.py --once PORT FILE    authenticate each "USER PASSWORD" line
      of FILE once; print the ones that fail, exit 1 if any did

Only 127.0.0.1.  The challenge is quoted (RFC 2244 §6.3.1)."""
import hashlib
import hmac
import os
import socket
import sys
import time


def readline(f):
    line = f.readline()
    if not line:
        raise EOFError("connection closed")
    return line.decode("utf-8", "replace").rstrip("\r\n")


def cram(port, user, password):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    f = s.makefile("rb")
    try:
        if not readline(f).startswith("* ACAP"):
            return False
        s.sendall(b'a AUTHENTICATE "CRAM-MD5"\r\n')
        line = readline(f)
        if not line.startswith('+ "') or not line.endswith('"'):
            return False
        chal = line[3:-1].encode()
        mac = hmac.new(password.encode(), chal, hashlib.md5).hexdigest()
        s.sendall(('"%s %s"\r\n' % (user, mac)).encode())
        ok = readline(f).startswith("a OK")
        s.sendall(b"b LOGOUT\r\n")
        return ok
    finally:
        f.close()
        s.close()


def main():
    args = sys.argv[1:]
    if args and args[0] == "--once":
        port = int(args[1])
        with open(args[2]) as f:
            pairs = [line.split(None, 1) for line in f if line.strip()]
        bad = []
        for u, p in pairs:
            try:
                if not cram(port, u, p.rstrip("\n")):
                    bad.append(u)
            except (OSError, EOFError):
                bad.append(u)
        for u in bad:
            print("authentication failed: %s" % u)
        return 1 if bad else 0
    ready = None
    if args and args[0] == "--ready":
        ready, args = args[1], args[2:]
    port, password, seconds, users = (int(args[0]), args[1],
                                      float(args[2]), args[3:])
    end = time.time() + seconds
    ok = failed = i = 0
    while time.time() < end and not os.path.exists("STOP"):
        u = users[i % len(users)]
        i += 1
        try:
            good = cram(port, u, password)
        except (OSError, EOFError):
            good = False
        if good:
            ok += 1
            if ready is not None and ok == 1:
                open(ready, "w").close()
        else:
            failed += 1
            print("authentication failed: %s" % u, file=sys.stderr)
    print("%d ok %d failed" % (ok, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
