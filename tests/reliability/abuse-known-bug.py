# abuse-known-bug.py -- open bugs of acapd against hostile clients (issue
# "Reliability and security hardening", part 4).  Not in TESTS: it fails
# until acapd/conn.c is fixed; see doc/reliability.md, "Known bugs".  Each
# case prints PASS or FAIL:
#   loris-line     one byte of an unfinished command line every 0.5 s
#                  re-arms preauth_idle_timeout (2 s here): the connection
#                  is never logged out.  RFC 2244 §2.4.3 resets the timer
#                  on a *command*; a partial line is not one.
#   loris-literal  the same inside a synchronizing literal.
#   preauth-noop   an unauthenticated client that sends NOOP every second
#                  stays forever: nothing bounds the pre-authentication
#                  phase (a login grace period, like sshd's
#                  LoginGraceTime).  This case expects the connection to
#                  end within 20 s, ten times preauth_idle_timeout.
#   unauth-lockout max_connections 20 and 20 idle unauthenticated
#                  connections: a real user cannot connect until the
#                  attackers time out (or never, with the two cases
#                  above).  Unauthenticated connections need a cap of
#                  their own below max_connections (srv->nconns_unauth is
#                  counted but never checked).
#   authfail-ip    max_auth_failures and auth_fail_delay_ms are per
#                  connection: reconnecting gives unlimited guesses.
#                  This case expects no more than 2 x max_auth_failures
#                  password verdicts per second for one address.
# Usage: abuse-known-bug.py [CASE...]

import os
import re
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
from acaprel import Client, Failure, check, log  # noqa: E402

NAME = "abuse-known-bug"


def trickle_closed(c, prefix, seconds):
    """Send prefix, then one byte every 0.5 s; the time until the server
    closed the connection, or None if it was still open after seconds."""
    t = time.monotonic()
    c.send(prefix)
    while time.monotonic() - t < seconds:
        if not c.try_send(b"x") or c.wait_eof(0.5):
            return time.monotonic() - t
    return None


def case_loris_line():
    inst = acaprel.Instance(NAME, {"preauth_idle_timeout": "2"})
    try:
        inst.start()
        took = trickle_closed(inst.connect(), b"a NOOP ", 6)
        check(took is not None, "pre-auth connection trickling a line "
              "still open after 6 s (preauth_idle_timeout 2)")
    finally:
        inst.cleanup()


def case_loris_literal():
    inst = acaprel.Instance(NAME, {"preauth_idle_timeout": "2"})
    try:
        inst.start()
        c = inst.connect()
        c.send(b"a LANG {16000}\r\n")
        check(c.line().startswith(b"+ "), "no continuation")
        took = trickle_closed(c, b"", 6)
        check(took is not None, "pre-auth connection trickling a literal "
              "still open after 6 s (preauth_idle_timeout 2)")
    finally:
        inst.cleanup()


def case_preauth_noop():
    inst = acaprel.Instance(NAME, {"preauth_idle_timeout": "2"})
    try:
        inst.start()
        c = inst.connect()
        t = time.monotonic()
        while time.monotonic() - t < 20:
            if not c.try_send(b"a NOOP\r\n") or c.wait_eof(1):
                return
        raise Failure("unauthenticated connection sending NOOP every "
                      "second still open after 20 s")
    finally:
        inst.cleanup()


def case_unauth_lockout():
    inst = acaprel.Instance(NAME, {"max_connections": "20",
                                   "preauth_idle_timeout": "30"})
    try:
        inst.useradd("fred", "pw")
        inst.start()
        idle = []
        for i in range(20):
            s = socket.create_connection(("127.0.0.1", inst.port), 5,
                                         ("127.0.0.%d" % (2 + i), 0))
            s.recv(4096)
            idle.append(s)
        try:
            c = Client(inst.port, source="127.0.0.50", timeout=1)
            check(acaprel.is_ok(c.login("fred", "pw")), "login refused")
            c.close()
        except Failure:
            raise Failure("20 idle unauthenticated connections lock out a "
                          "real user (max_connections 20)")
        finally:
            for s in idle:
                s.close()
    finally:
        inst.cleanup()


def case_authfail_ip():
    inst = acaprel.Instance(NAME, {"max_auth_failures": "3",
                                   "auth_fail_delay_ms": "1000"})
    try:
        inst.useradd("fred", "pw")
        inst.start()
        verdicts = []
        t = time.monotonic()

        def guess(k):
            try:
                c = Client(inst.port, source="127.0.0.2", timeout=5)
            except (OSError, Failure):
                return
            if c.greeting is not None and c.greeting.startswith(b"* ACAP"):
                c.send(acaprel.plain_login("g", "fred", "guess%d" % k))
                ln = c.line_or_none(5)
                if ln is not None and re.match(rb"g NO ", ln):
                    verdicts.append(time.monotonic() - t)
            c.close()
        threads = [threading.Thread(target=guess, args=(k,))
                   for k in range(12)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        fast = [v for v in verdicts if v < 1.0]
        check(len(fast) <= 6, "%d wrong-password verdicts for one address "
              "within 1 s (max_auth_failures 3, auth_fail_delay_ms 1000)"
              % len(fast))
    finally:
        inst.cleanup()


CASES = {
    "loris-line": case_loris_line,
    "loris-literal": case_loris_literal,
    "preauth-noop": case_preauth_noop,
    "unauth-lockout": case_unauth_lockout,
    "authfail-ip": case_authfail_ip,
}


def main():
    acaprel.python_ok(NAME)
    rc = 0
    for name in sys.argv[1:] or list(CASES):
        try:
            CASES[name]()
            log(NAME, "PASS %s" % name)
        except Failure as e:
            log(NAME, "FAIL %s: %s" % (name, e))
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
