#!/usr/bin/env python3
"""search-paged.py -- paged SEARCHes give what one SEARCH gives
(tests/protocol/search-paged.sh, doc/protocol-notes.md "Paging").

  search-paged.py PORT ADMIN ADMINPW USER USERPW

Stores datasets with inheritance, tombstones, deleted entries and entries
USER may not see, then for the admin (pages read by acapd's index) and
for USER (pages read the normal way) and page sizes 1, 2, 3, 7 and 100:
the ENTRY responses of every page, one after the other, are those of one
SEARCH sorted by entry name (names, values, order), and each page's
TOOMANY count is the number of matches after its bound (RFC 2244
§6.4.1).  Only 127.0.0.1.  Exit 1 on a difference."""
import hashlib
import hmac
import re
import socket
import sys


class Conn:
    def __init__(self, port, user, password):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.s.makefile("rb")
        self.n = 0
        assert self.line().startswith("* ACAP")
        self.s.sendall(b'a AUTHENTICATE "CRAM-MD5"\r\n')
        chal = self.line()
        assert chal.startswith('+ "'), chal
        mac = hmac.new(password.encode(), chal[3:-1].encode(),
                       hashlib.md5).hexdigest()
        self.s.sendall(('"%s %s"\r\n' % (user, mac)).encode())
        done = self.line()
        assert done.startswith("a OK"), done

    def line(self):
        out = b""
        while True:
            ln = self.f.readline()
            if not ln:
                raise EOFError("connection closed")
            out += ln
            m = re.search(rb"\{(\d+)\+?\}\r\n$", ln)
            if not m:
                return out.decode("utf-8").rstrip("\r\n")
            out += self.f.read(int(m.group(1)))

    def cmd(self, text):
        """The untagged-free responses of one command and its completion."""
        self.n += 1
        tag = "t%d" % self.n
        self.s.sendall(("%s %s\r\n" % (tag, text)).encode("utf-8"))
        resp = []
        while True:
            ln = self.line()
            if ln.startswith(tag + " OK") or ln.startswith(tag + " NO") \
                    or ln.startswith(tag + " BAD"):
                return resp, ln[len(tag) + 1:]
            if ln.startswith(tag + " "):
                resp.append(ln[len(tag) + 1:])

    def ok(self, text):
        resp, done = self.cmd(text)
        assert done.startswith("OK"), (text, done)
        return resp


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def entry_name(line):
    m = re.match(r'ENTRY "((?:[^"\\]|\\.)*)"', line)
    assert m, line
    return re.sub(r"\\(.)", r"\1", m.group(1))


def entries(resp):
    return [r for r in resp if r.startswith("ENTRY ")]


def paged(c, ds, mods, size):
    """Every page's ENTRY lines, and a check of each page's count."""
    out, after = [], None
    mods = (mods + " ") if mods else ""
    full = entries(c.ok("SEARCH %s %sRETURN (\"*\") SORT (\"entry\" "
                        "\"i;octet\") ALL" % (q(ds), mods)))
    def name(x):
        # DEPTH names entries by their path (§6.4.2)
        n = entry_name(x)
        return n[len(ds):] if "DEPTH" in mods else n
    names = [name(x) for x in full]
    while True:
        crit = "ALL" if after is None else \
            'COMPARESTRICT "entry" "+i;octet" %s' % q(after)
        resp, done = c.cmd("SEARCH %s %sRETURN (\"*\") SORT (\"entry\" "
                           "\"i;octet\") LIMIT %d %d %s" %
                           (q(ds), mods, size, size, crit))
        assert done.startswith("OK"), (ds, after, done)
        page = entries(resp)
        rest = [n for n in names if after is None or n > after]
        m = re.match(r"OK \(TOOMANY (\d+)\)", done)
        if len(rest) > size:
            assert m and int(m.group(1)) == len(rest), \
                (ds, mods, size, after, done, len(rest))
        else:
            assert not m, (ds, after, done)
        assert len(page) == min(size, len(rest)), (ds, after, len(page))
        out += page
        if len(page) < size:
            break
        after = name(page[-1])
    assert out == full, (ds, mods, size, out, full)
    return full


def main():
    port, admin, apw, user, upw = sys.argv[1:6]
    port = int(port)
    a = Conn(port, admin, apw)
    base, child = "/option/site/", "/option/user/%s/" % user
    a.ok('STORE (%s "dataset.acl" ("value" (%s %s)))' %
         (q(base), q("%s\txrwia" % admin), q("%s\txr" % user)))
    names = ["a", "a!", "aa", "b", "z", "\u00e9", "\u00fc", "m m"] + \
        ["e%02d" % i for i in range(30)]
    for i, n in enumerate(names):
        a.ok('STORE (%s "option.v" %s "option.w" ("value" (%s %s)))' %
             (q(base + n), q("v%d" % i), q("x"), q(n)))
    # deleted entries; a NIL value; entries the user may not see
    for n in ("e10", "e11", "b"):
        a.ok('STORE (%s "entry" NIL)' % q(base + n))
    a.ok('STORE (%s "option.v" NIL)' % q(base + "e12"))
    for n in ("e03", "e20", "aa"):
        a.ok('SETACL (%s "entry" %s) %s "xrwia"' % (q(base), q(n), q(admin)))
    # the child inherits: overrides, a tombstone, entries of its own
    a.ok('STORE (%s "dataset.inherit" %s "dataset.acl" ("value" (%s %s)))' %
         (q(child), q(base), q("%s\txrwia" % admin), q("%s\txr" % user)))
    a.ok('STORE (%s "option.v" "mine")' % q(child + "e07"))
    a.ok('STORE (%s "entry" NIL)' % q(child + "e05"))
    a.ok('STORE (%s "option.v" "own")' % q(child + "e055"))
    a.ok('STORE (%s "option.v" "own2")' % q(child + "zz"))
    u = Conn(port, user, upw)
    seen = {}
    for who, c in (("admin", a), ("user", u)):
        for ds in (base, child):
            for mods in ("", "NOINHERIT", "DEPTH 1"):
                for size in (1, 2, 3, 7, 100):
                    seen[(who, ds, mods)] = paged(c, ds, mods, size)
    # the data is what the test means it to be
    adm = [entry_name(x) for x in seen[("admin", child, "")]]
    usr = [entry_name(x) for x in seen[("user", base, "")]]
    own = [entry_name(x) for x in seen[("admin", child, "NOINHERIT")]]
    assert "e05" not in adm and "e04" in adm and "e055" in adm, adm
    assert "e10" not in adm and "b" not in adm, adm
    assert "e03" not in usr and "aa" not in usr and "e04" in usr, usr
    assert own == ["", "e055", "e07", "zz"], own
    assert any('"mine"' in x for x in seen[("admin", child, "")])
    # LIMIT n m with m < n: the first m, TOOMANY all of them
    resp, done = a.cmd('SEARCH %s RETURN ("option.v") SORT ("entry" '
                       '"+i;octet") LIMIT 5 3 COMPARESTRICT "entry" '
                       '"i;octet" "e2"' % q(base))
    after = [n for n in adm if n > "e2" and n in
             [entry_name(x) for x in seen[("admin", base, "")]]]
    assert [entry_name(x) for x in entries(resp)] == after[:3], resp
    assert done.startswith("OK (TOOMANY %d)" % len(after)), done
    # "-" is the reverse order: names before the bound, the normal way
    resp, done = a.cmd('SEARCH %s RETURN ("option.v") SORT ("entry" '
                       '"i;octet") LIMIT 100 100 COMPARESTRICT "entry" '
                       '"-i;octet" "b"' % q(base))
    assert [entry_name(x) for x in entries(resp)] == \
        ["", "a", "a!", "aa"], resp
    print("paged searches equal one search: %d cases" % (len(seen) * 5))


if __name__ == "__main__":
    main()
