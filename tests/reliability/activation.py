# activation.py -- socket activation (sd_listen_fds(3), as systemd's
# acapd.socket does it): acapd started with listening sockets from
# descriptor 3 on, LISTEN_FDS=N and LISTEN_PID=its own process id.
# Cases, each PASS or FAIL:
#   one        one socket on 127.0.0.1: the "listen" option (the same
#              address, so binding it would fail) is not used; a client
#              that connected before acapd started is served; the port
#              file names the socket; a client connecting while acapd is
#              stopped is served by the next start on the same socket
#   two        two sockets: both serve
#   not-ours   LISTEN_PID of another process: the descriptors are not
#              used, acapd binds its "listen" address
#   bad-fd     descriptor 3 is a socket that is not listening: acapd
#              exits at start-up with a message saying so
# Only 127.0.0.1 is used.  Method and figures: doc/reliability.md.

import fcntl
import os
import socket
import subprocess
import sys

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
from acaprel import Failure, case, check  # noqa: E402

NAME = "activation"


def listening():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s


class Activated(acaprel.Instance):
    """acapd started the way systemd starts a socket-activated service."""

    def __init__(self, name, socks, listen_pid="self"):
        super().__init__(name)
        self.socks = socks
        self.listen_pid = listen_pid

    def spawn(self):
        fds = [s.fileno() for s in self.socks]
        n = len(fds)

        def place():
            # the sockets go to 3, 4, ...; via high numbers first, so
            # that no source is overwritten before it is copied
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i)
                os.close(fd)

        env = dict(os.environ, LISTEN_FDS=str(n),
                   LISTEN_FDNAMES=":".join(["acap"] * n))
        # sh's $$ is acapd's process id after the exec
        pid = '$$' if self.listen_pid == "self" else self.listen_pid
        super().spawn(["sh", "-c", 'LISTEN_PID=%s exec "$0" -f "$1"' % pid,
                       self.acapd, self.conf], env=env,
                      pass_fds=tuple(range(3, 3 + n)), preexec_fn=place)

    def ports(self):
        with open(self.portfile) as fp:
            return [int(ln.split()[1]) for ln in fp if ln.strip()]


def serves(port, c=None):
    """A client (connected before, or now) gets the greeting and a login."""
    if c is None:
        c = acaprel.Client(port, greeting=False, timeout=10)
    g = c.line(10)
    check(g.startswith(b"* ACAP "), "greeting on %d: %r" % (port, g))
    check(acaprel.is_ok(c.login("fred", "pw")), "login on %d" % port)
    c.ok("NOOP")
    c.close()


def one():
    s = listening()
    port = s.getsockname()[1]
    inst = Activated(NAME + "-one", [s])
    inst.config["listen"] = "127.0.0.1:%d" % port
    try:
        inst.useradd("fred", "pw")
        early = acaprel.Client(port, greeting=False, timeout=10)
        inst.start()
        check(inst.ports() == [port], "port file %r, socket on %d" %
              (inst.ports(), port))
        serves(port, early)
        serves(port)
        text = inst.log_text()
        check("socket activation, descriptor 3" in text and
              "\"listen\" option is not used" in text,
              "log does not say: %s" % inst.log_tail(8))
        with open("/proc/%d/environ" % inst.pid, "rb") as fp:
            environ = fp.read()
        # as started (acapd's unsetenv() does not change what /proc shows)
        check(b"LISTEN_FDS=1" in environ, "LISTEN_FDS not passed")
        check(os.readlink("/proc/%d/fd/3" % inst.pid).startswith(
            "socket:"), "descriptor 3 of acapd is not a socket")
        check(inst.stop() == 0, "acapd did not exit 0 on SIGTERM")
        # the socket stays open here, as in systemd: connections wait
        waiting = acaprel.Client(port, greeting=False, timeout=10)
        inst.start()
        serves(port, waiting)
        check(inst.stop() == 0, "acapd did not exit 0 on SIGTERM")
    finally:
        inst.kill()
        inst.cleanup()
        s.close()


def two():
    socks = [listening(), listening()]
    inst = Activated(NAME + "-two", socks)
    try:
        inst.useradd("fred", "pw")
        inst.start()
        want = [x.getsockname()[1] for x in socks]
        check(inst.ports() == want, "port file %r, sockets %r" %
              (inst.ports(), want))
        for p in want:
            serves(p)
        check("descriptor 4" in inst.log_text(), "fd 4 not logged")
        check(inst.stop() == 0, "acapd did not exit 0 on SIGTERM")
    finally:
        inst.kill()
        inst.cleanup()
        for x in socks:
            x.close()


def not_ours():
    s = listening()
    inst = Activated(NAME + "-not-ours", [s], listen_pid="1")
    try:
        inst.useradd("fred", "pw")
        inst.start()
        ports = inst.ports()
        check(len(ports) == 1 and ports[0] != s.getsockname()[1],
              "acapd used a socket that was not its own: %r" % ports)
        check("is not acapd's process id" in inst.log_text(),
              "no log line: %s" % inst.log_tail(5))
        serves(ports[0])
        check(inst.stop() == 0, "acapd did not exit 0 on SIGTERM")
    finally:
        inst.kill()
        inst.cleanup()
        s.close()


def bad_fd():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)   # not listening
    inst = Activated(NAME + "-bad-fd", [s])
    try:
        inst.spawn()
        inst.wait_failed_start(10)
        check("descriptor 3 is not a listening stream socket" in
              inst.log_text(), "no clear message: %s" % inst.log_tail(3))
        check(not os.path.exists(inst.portfile), "port file written")
    finally:
        inst.kill()
        inst.cleanup()
        s.close()


def main():
    acaprel.python_ok(NAME)
    results = {}
    for label, fn in (("one", one), ("two", two), ("not-ours", not_ours),
                      ("bad-fd", bad_fd)):
        case(NAME, results, label, fn)
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
