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
# (unauth-default and total-bye, once here, are fixed and checked by
# overload.py unauth and total.)
# Usage: overload-known-bug.py [CASE...]

import os
import sys

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
from acaprel import Failure, check, log, quote  # noqa: E402

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


CASES = {
    "big-search": case_big_search,
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
