# startup.py -- what acapd's port file says about start-up: it must mean
# "ready" and nothing else (supervisors and every test here wait for it).
# Cases, each PASS or FAIL:
#   ready        a good start: the port file is complete, no temporary
#                file is left beside it; a SIGTERM stop (exit 0) removes it
#   failed-late  a start that fails after the listeners are bound (TLS
#                certificate missing): exit status 1, the stale port file
#                of an earlier crash (SIGKILL) is gone, none was written
#   failed-bind  a start that fails while binding the second of two
#                listen addresses (in use): the same
# Only 127.0.0.1 is used.  Method and figures: doc/reliability.md.

import glob
import os
import socket
import subprocess
import sys

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
from acaprel import Failure, case, check  # noqa: E402

NAME = "startup"


def leftovers(inst):
    """Temporary port files left in the instance's directory."""
    return [os.path.basename(p) for p in
            glob.glob(inst.portfile + ".*")]


def port_lines(inst):
    with open(inst.portfile) as fp:
        return fp.read().splitlines()


def case_ready():
    inst = acaprel.Instance(NAME + "-ready")
    try:
        inst.start()
        lines = port_lines(inst)
        check(len(lines) == 1 and lines[0].startswith("127.0.0.1 ") and
              int(lines[0].split()[1]) == inst.port,
              "port file: %r" % lines)
        check(not leftovers(inst), "left beside the port file: %r" %
              leftovers(inst))
        c = inst.connect()
        c.close()
        check(inst.stop() == 0, "SIGTERM: exit status %r" %
              inst.proc.returncode)
        check(not os.path.exists(inst.portfile),
              "the port file is still there after acapd stopped: a "
              "supervisor would see a stopped acapd as ready")
    finally:
        inst.cleanup()


def failed_start(inst, bad, why):
    """A first good start, SIGKILL (the port file stays, stale), then a
    start with the options bad that must fail: exit 1, no port file at
    all afterwards, why in the log."""
    inst.start()
    inst.kill()
    check(os.path.exists(inst.portfile), "no stale port file to start "
          "with")
    inst.config.update(bad)
    inst.write_config()
    mark = len(inst.log_text())
    # not inst.spawn(): it removes the stale port file itself
    with open(inst.logpath, "ab") as log:
        inst.proc = subprocess.Popen([inst.acapd, "-f", inst.conf],
                                     stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
    inst.wait_failed_start()
    check(why in inst.log_text()[mark:], "the log does not say %r:\n%s" %
          (why, inst.log_tail(5)))
    if os.path.exists(inst.portfile):
        raise Failure("a failed start left a port file: a supervisor would "
                      "see an exiting acapd as ready (%s)" % port_lines(inst))
    check(not leftovers(inst), "a failed start left %r" % leftovers(inst))


def case_failed_late():
    inst = acaprel.Instance(NAME + "-late")
    try:
        # the certificate is loaded after the listeners are bound
        failed_start(inst, {"tls_cert": "missing-cert.pem",
                            "tls_key": "missing-key.pem"}, "TLS")
    finally:
        inst.cleanup()


def case_failed_bind():
    inst = acaprel.Instance(NAME + "-bind")
    busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        # the first address binds, the second is in use
        failed_start(inst, {"listen": "127.0.0.1:0 127.0.0.1:%d" %
                            busy.getsockname()[1]}, "bind")
    finally:
        busy.close()
        inst.cleanup()


CASES = {
    "ready": case_ready,
    "failed-late": case_failed_late,
    "failed-bind": case_failed_bind,
}


def main():
    acaprel.python_ok(NAME)
    results = {}
    for name in sys.argv[1:] or list(CASES):
        case(NAME, results, name, CASES[name])
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
