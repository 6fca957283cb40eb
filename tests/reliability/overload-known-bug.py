# overload-known-bug.py -- open bugs of acapd under overload (issue
# "Reliability and security hardening", part 4).  Not in TESTS: it fails
# until acapd is fixed; see doc/reliability.md, "Known bugs".  Each case
# prints PASS or FAIL:
#   big-search     a SEARCH whose answer is larger than max_output (4 MiB)
#                  drops a client that reads promptly as a "slow reader":
#                  conn_write() measures the whole answer, queued in one
#                  go, against the cap, and the BYE path frees the
#                  connection at once, so even the queued part is lost.
#                  The default quota (10 MiB) lets any user store a
#                  dataset that can then never be read back in full.
#   unauth-default with RLIMIT_NOFILE 256 max_connections is 192 while
#                  max_unauth_connections stays 10,000: 192 idle
#                  unauthenticated connections lock every user out for
#                  the whole login grace period, again and again.  The
#                  default should stay below max_connections.
#   total-bye      acapd.conf(5): connections over max_connections "get a
#                  * BYE greeting"; in fact accept() pauses and they wait
#                  in the listen backlog with no greeting at all.
# Usage: overload-known-bug.py [CASE...]

import os
import socket
import sys
import time

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
from acaprel import Client, Failure, check, log, quote  # noqa: E402

NAME = "overload-known-bug"


def case_big_search():
    inst = acaprel.Instance(NAME)
    try:
        inst.useradd("fred", "pw")
        inst.start()
        c = inst.connect(timeout=20)
        c.login("fred", "pw")
        for i in range(100):            # 6 MB, within the 10 MiB quota
            c.ok(b'STORE ("/option/~/e%03d" "option.v" ' % i +
                 quote("v" * 60000) + b")")
        c.send(b's SEARCH "/option/~/" RETURN ("option.v") ALL\r\n')
        entries = 0
        while True:
            ln = c.line_or_none(10)
            if ln is None:
                raise Failure("a client reading a 6 MB SEARCH answer was "
                              "dropped after %d of 101 entries (log: %s)" %
                              (entries, inst.log_tail(1)))
            if ln.startswith(b"s ENTRY "):
                entries += 1
            elif ln.startswith(b"s OK"):
                break
        check(entries == 101, "%d entries" % entries)
    finally:
        inst.cleanup()


def case_unauth_default():
    inst = acaprel.Instance(NAME, nofile=256)
    try:
        inst.useradd("fred", "pw")
        inst.start()
        check("up to 192 connections" in inst.log_text(), "cap not 192")
        idle = []
        try:
            for i in range(192):
                s = socket.create_connection(
                    ("127.0.0.1", inst.port), 5, ("127.0.0.%d" % (2 + i), 0))
                s.recv(4096)
                idle.append(s)
            try:
                c = Client(inst.port, source="127.0.0.250", timeout=1)
                check(acaprel.is_ok(c.login("fred", "pw")), "login refused")
                c.close()
            except (Failure, OSError):
                raise Failure("192 idle unauthenticated connections lock out "
                              "a real user (defaults, RLIMIT_NOFILE 256)")
        finally:
            for s in idle:
                s.close()
    finally:
        inst.cleanup()


def case_total_bye():
    inst = acaprel.Instance(NAME, {"max_connections": "5"})
    try:
        inst.start()
        held = [inst.connect() for _ in range(5)]
        s = socket.create_connection(("127.0.0.1", inst.port), 5)
        s.settimeout(1)
        try:
            got = s.recv(4096)
        except socket.timeout:
            got = None
        s.close()
        for c in held:
            c.close()
        check(got is not None and got.startswith(b"* BYE"),
              "the 6th connection over max_connections 5 got %r within 1 s, "
              "not the BYE greeting acapd.conf(5) promises" % got)
    finally:
        inst.cleanup()


CASES = {
    "big-search": case_big_search,
    "unauth-default": case_unauth_default,
    "total-bye": case_total_bye,
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
