# stream.py -- SEARCH answers larger than max_output, written in pieces
# (conn_stream() in acapd/conn.c; doc/reliability.md §7, "big-search"),
# against a live acapd.  The user stores 150 entries of 60,000 octets in
# /option/~/ (9 MB, within the default 10 MiB quota), more than max_output
# (4 MiB) and than the kernel buffers of a client with a small receive
# buffer, so the answer has to wait for the client many times:
#   read      a client reading promptly, without and with TLS, gets every
#             ENTRY, MODTIME and the tagged OK, then the answer of a NOOP
#             pipelined after the SEARCH; acapd's RSS stays far below the
#             answer's size (at most output_hiwat plus one line queued)
#   stall     a client that sends the SEARCH and stops reading is dropped
#             with BYE after output_timeout (2 s here), after whole lines
#             only, and RSS stays bounded; a stalled answer whose client
#             goes away, and one pending at SIGTERM (BYE after whole
#             lines, clean exit: LeakSanitizer checks the frees under
#             tests/sanitizers.sh) free everything
#   notify    a change to a NOTIFY context of the connection while its
#             answer waits: the ADDTO and MODTIME come whole, after the
#             SEARCH's OK, never between its lines
# Usage: stream.py [PART...]  (default all)

import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
from acaprel import Failure, check, check_rss, quote  # noqa: E402

NAME = "stream"
FIGURES = []
NENTRIES = 150                     # + the dataset's "" entry
VALUE = 60000
SEARCH = b's SEARCH "/option/~/" RETURN ("option.v") ALL\r\n'
TLS_CONF = {"tls_generate": "yes", "tls_cert": "cert.pem",
            "tls_key": "key.pem"}
SMALL_RCVBUF = 16384


def figure(fmt, *args):
    FIGURES.append(fmt % args)


def provision(inst):
    """fred with NENTRIES entries of VALUE octets in /option/~/.  A
    SEARCH without RETURN then loads the dataset's snapshot (9 MB, kept in
    acapd's cache), so RSS measured afterwards is the answers' own."""
    c = inst.connect(timeout=20)
    c.login("fred", "pw")
    for i in range(NENTRIES):
        c.ok(b'STORE ("/option/~/e%03d" "option.v" ' % i +
             quote(b"%03d" % i + b"v" * (VALUE - 3)) + b")")
    c.ok('SEARCH "/option/~/" ALL')
    return c


def login(inst, tls, rcvbuf):
    c = inst.connect(timeout=20, rcvbuf=rcvbuf)
    if tls:
        c.starttls()
    check(acaprel.is_ok(c.login("fred", "pw")), "login refused")
    return c


def check_entry(ln, i):
    """ln is ENTRY number i of the answer, whole."""
    if i == 0:
        check(ln.startswith(b's ENTRY "" '), "first line %r" % ln[:60])
        return
    want = b's ENTRY "e%03d" {%d}\r\n%03d' % (i - 1, VALUE, i - 1)
    check(ln.startswith(want) and len(ln) == len(want) + VALUE - 3,
          "ENTRY %d: %r... (%d octets)" % (i, ln[:40], len(ln)))


def read_answer(c, inst, timeout=20):
    """Read the SEARCH's lines up to its OK; returns the peak RSS growth
    (KiB) seen while reading and the lines that were not its ENTRYs."""
    rss0 = inst.rss_kb()
    peak = 0
    entries = 0
    other = []
    while True:
        ln = c.line_or_none(timeout)
        if ln is None:
            raise Failure("answer cut after %d of %d entries (log: %s)" %
                          (entries, NENTRIES + 1, inst.log_tail(3)))
        if ln.startswith(b"s ENTRY "):
            check(not other, "ENTRY after %r" % other[-1:])
            check_entry(ln, entries)
            entries += 1
            if entries % 10 == 0:
                peak = max(peak, inst.rss_kb() - rss0)
            continue
        other.append(ln)
        if ln.startswith(b"s OK"):
            break
    check(entries == NENTRIES + 1, "%d entries" % entries)
    check(len(other) == 2 and other[0].startswith(b"s MODTIME "),
          "after the entries: %r" % other)
    return peak, other


def part_read():
    inst = acaprel.Instance(NAME + "-read", TLS_CONF)
    try:
        inst.useradd("fred", "pw")
        inst.start()
        provision(inst).close()
        for tls in (False, True):
            what = "TLS" if tls else "plain"
            c = login(inst, tls, SMALL_RCVBUF)
            t = time.monotonic()
            # the NOOP waits for the whole answer and comes after it
            c.send(SEARCH + b"n NOOP\r\n")
            peak, _ = read_answer(c, inst)
            secs = time.monotonic() - t
            ln = c.line()
            check(ln.startswith(b"n OK"), "%s: after the SEARCH: %r" %
                  (what, ln[:60]))
            c.close()
            check_rss(peak < 4096, "read: %s: RSS grew %d KiB while a "
                      "client read a 9 MB answer" % (what, peak))
            figure("%s: a 9 MB SEARCH answer (151 entries) read with a "
                   "%d-octet receive buffer in %.2f s; acapd's RSS grew "
                   "by at most %d KiB meanwhile", what, SMALL_RCVBUF, secs,
                   peak)
        check("dropping" not in inst.log_text(), "a reader was dropped")
        check(inst.alive(), "acapd died")
    finally:
        inst.cleanup()


def wait_log(inst, text, n, secs):
    """Wait until text occurs n times in the log."""
    deadline = time.monotonic() + secs
    while inst.log_text().count(text) < n:
        if time.monotonic() > deadline:
            raise Failure("no %r in the log within %g s: %s" %
                          (text, secs, inst.log_tail(3)))
        time.sleep(0.1)


def drain_until_eof(c, what):
    """Read everything until the server closes: whole ENTRY lines, then
    one BYE; returns its text."""
    lines = c.lines_until_eof(15)
    check(c.eof, "%s: no end of connection" % what)
    check(len(lines) >= 2, "%s: %d lines" % (what, len(lines)))
    for i, ln in enumerate(lines[:-1]):
        check_entry(ln, i)
    check(lines[-1].startswith(b"* BYE "), "%s: last line %r" %
          (what, lines[-1][:60]))
    return lines[-1]


def part_stall():
    inst = acaprel.Instance(NAME + "-stall", {"output_timeout": "2"})
    try:
        inst.useradd("fred", "pw")
        inst.start()
        provision(inst).close()
        wait_log(inst, "disconnect: ", 1, 10)
        rss0 = inst.rss_kb()
        fds0 = inst.fds()
        # sends the SEARCH and reads nothing more
        c = login(inst, False, 4096)
        c.send(SEARCH)
        time.sleep(1)
        grew = inst.rss_kb() - rss0
        wait_log(inst, "answer not read for 2 s", 1, 10)
        bye = drain_until_eof(c, "stall")
        check(bye == b'* BYE "Output not read in time"', "BYE: %r" % bye)
        c.close()
        check_rss(grew < 4096, "stall: RSS grew %d KiB with a 9 MB answer "
                  "not read" % grew)
        figure("a client that stopped reading a 9 MB answer: RSS grew by "
               "%d KiB; dropped with BYE after output_timeout", grew)
        # the client goes away while its answer waits
        c = login(inst, False, 4096)
        c.send(SEARCH)
        time.sleep(0.5)
        c.close()
        wait_log(inst, "disconnect: ", 3, 10)
        deadline = time.monotonic() + 5   # logged just before the close
        while inst.fds() > fds0 and time.monotonic() < deadline:
            time.sleep(0.05)
        check(inst.fds() <= fds0, "fds: %d, were %d" % (inst.fds(), fds0))
        # SIGTERM while an answer waits: BYE after whole lines, clean exit
        c = login(inst, False, 4096)
        c.send(SEARCH)
        time.sleep(0.5)
        inst.signalled = True
        inst.proc.send_signal(15)
        bye = drain_until_eof(c, "SIGTERM")
        check(bye == b'* BYE "Server shutting down"', "BYE: %r" % bye)
        c.close()
        try:
            status = inst.proc.wait(20)     # no second SIGTERM
        except subprocess.TimeoutExpired:
            status = None
        check(status == 0, "exit status %s: %s" % (status,
                                                   inst.log_tail(5)))
    finally:
        inst.cleanup()


def part_notify():
    inst = acaprel.Instance(NAME + "-notify")
    try:
        inst.useradd("fred", "pw")
        inst.start()
        w = provision(inst)
        w.ok('STORE ("/email/~/a" "email.x" "1")')
        c = login(inst, False, 4096)
        _, final = c.command('SEARCH "/email/~/" RETURN ("email.x") '
                             'MAKECONTEXT NOTIFY "c" ALL')
        check(acaprel.is_ok(final), "MAKECONTEXT: %r" % final)
        c.send(SEARCH + b"n NOOP\r\n")
        time.sleep(1)                   # the answer waits for the client
        w.ok('STORE ("/email/~/b" "email.x" "2")')
        time.sleep(0.5)                 # the change's re-evaluation ran
        _, other = read_answer(c, inst)
        rest = [c.line(), c.line(), c.line()]
        # the held notifications (one write) are queued again when the
        # answer is complete; the NOOP runs then or, if the answer's end
        # is still above output_hiwat, once it is read: either order
        notes = [ln for ln in rest if not ln.startswith(b"n OK ")]
        check(len(notes) == 2 and rest.index(notes[0]) + 1 ==
              rest.index(notes[1]) and
              re.match(rb'\* ADDTO "c" "b" 0 "2"$', notes[0]) is not None and
              re.match(rb'\* MODTIME "c" "\d+"$', notes[1]) is not None,
              "after the SEARCH: %r" % rest)
        check(c.silent(300), "more after the notifications")
        c.close()
        w.close()
    finally:
        inst.cleanup()


PARTS = {
    "read": part_read,
    "stall": part_stall,
    "notify": part_notify,
}


if __name__ == "__main__":
    sys.exit(acaprel.run_parts(NAME, PARTS, FIGURES))
