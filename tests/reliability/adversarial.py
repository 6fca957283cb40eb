# adversarial.py -- seeded adversarial test of the trust boundaries
# (issue 14, "Trust: admin locks, tenant walls and bounded work hold
# against every user", deliverable 7).
#
# An administrator provisions a model with acapctl against a live acapd
# on 127.0.0.1 (site settings, two organisations, users, devices, site and
# organisation locks, and secrets planted in the other tenant).  Then
# alice, an ordinary user of organisation "evil", sends a long random
# sequence of everything a non-admin may send (STORE in all its forms,
# the ACL commands, SEARCH with every modifier, contexts, DELETEDSINCE,
# GETQUOTA, LANG, NOOP) against a pool of paths: her own layers, her
# organisation's, the other organisation's, bob's, the site, the
# registries, the listings.  Now and then a bystander (the administrator)
# changes acme's and bob's data and the locked values, so that alice's
# contexts are notified and the locks must follow.  After every step the
# invariants below are checked through an admin connection:
#
#   locked     every locked attribute of every organisation, user and
#              device layer (the effective value, SEARCH without
#              NOINHERIT) still equals the locking layer's value
#   secrets    no line (literals included) sent to alice carries a
#              planted secret of the other tenant: acme's settings and
#              entry names, its lock reasons, bob's user, device and
#              private data, his device's name and the id of a device
#              and the name of a user alice was never told about, and
#              every secret the bystander stores during the run
#   registries /vendor.acapd.{user,org,device}/site/ and bob's device
#              registry (values, group membership, dataset ACLs: SEARCH
#              RETURN ("*")) are byte-for-byte unchanged
#   walls      so is every other dataset alice may not write: the site,
#              both organisations, bob's user, device and private
#              datasets (the tenant wall holds for writes too)
#   bounded    every command of alice completes within ADV_CMD_TIMEOUT
#              seconds, and so does every check
#   alive      acapd is still running
#
# A violation prints the seed, the step and the invariant, then shrinks
# the sequence (a suffix search, then delta debugging, then simpler forms
# of each command, each candidate replayed on a fresh copy of the
# provisioned state) and prints the
# shortest reproduction found as ACAP lines ("C:" alice's, "A:" the
# bystander's), and the test exits 1.  A summary line gives the
# operations, checks and time.
#
# Environment:
#   ADV_SEED      seed (default 14); "random" picks one and prints it
#   ADV_OPS       operations (default 10000)
#   ADV_CMD_TIMEOUT  seconds one command may take (default 5; a normal
#                 one takes milliseconds)
#   ADV_SHRINK    0 skips the shrinking
#   ADV_SHRINK_BUDGET  seconds the shrinking of one violation may take
#                 (default 240)
#   ADV_CONTINUE  1: after a violation (and its shrinking) restart from a
#                 fresh state and go on, to list every kind of violation
#   ADV_SHRINK_EACH  with ADV_CONTINUE, shrink the first N occurrences of
#                 each distinct violation (default 1)
#   ADV_TIME_LIMIT  seconds the whole run may take (default 1500)
#   ADV_INVARIANTS  comma list of the invariants to check (default all),
#                 e.g. "locked,registries" to look past the leaks
#   ADV_REPLAY    FILE: replay the commands in FILE (the shrinker's "C:"
#                 and "A:" lines) with every check, instead of a random run
#   ADV_VERBOSE   1: print every operation and its answer
#   REL_KEEP      keep the instance directory

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acaprel  # noqa: E402
from acaprel import Client, Failure, check, log  # noqa: E402

NAME = "adversarial"
ADMIN, ALICE, BOB = "admin", "alice", "bob"
PASSWORDS = {ADMIN: "admin-pw-14", ALICE: "alice-pw-14", BOB: "bob-pw-14"}
CLASSES = ("email", "personality", "option")
CHECK_TIMEOUT = 10.0


def env_int(name, default):
    v = os.environ.get(name)
    return int(v) if v not in (None, "") else default


CMD_TIMEOUT = float(os.environ.get("ADV_CMD_TIMEOUT") or 5)
VERBOSE = os.environ.get("ADV_VERBOSE") == "1"
# The invariants (see the header); ADV_INVARIANTS=locked,registries
# checks only those (bounded and alive are always checked).
ALL_INVARIANTS = ("locked", "secrets", "registries", "walls", "bounded",
                  "alive")
INVARIANTS = set((os.environ.get("ADV_INVARIANTS") or
                  ",".join(ALL_INVARIANTS)).split(",")) | {"bounded",
                                                           "alive"}


# ---- The provisioned model ----------------------------------------------
#
# Markers are "SECRET-" and 12 hex digits with at least one letter (so no
# 20-digit MODTIME can contain one); the test looks for the hex part, so
# even a reply that dropped the prefix is caught.  Alice's generator never
# produces them.  Nothing of the site and nothing of evil (alice's own
# organisation) is secret: both are hers to read.

class Model:
    def __init__(self, seed):
        rng = random.Random("markers-%s" % seed)
        self.secrets = {}           # label -> marker

        def marker(label):
            while True:
                h = "%012x" % rng.getrandbits(48)
                if re.search("[a-f]", h):
                    break
            self.secrets[label] = "SECRET-" + h
            return self.secrets[label]

        m = marker
        self.script = [
            # site: the account mail and its personality (no secrets)
            "set site mail email.server.IMAP imap://mail.example.org:143/",
            "set site mail vendor.acapd.tls starttls-required",
            "set site mail vendor.acapd.idle-ceiling 1740",
            "set site mail vendor.acapd.tcp-keepalive off",
            "set site mail personality.Server.SMTP "
            "smtp://mail.example.org:587",
            "set site mail-default option.value /email/~/mail --class option",
            "org add acme --description 'Acme Corp'",
            "org add evil --description 'Evil Inc'",
            "user add alice --org evil",
            "user add bob --org acme",
            # a user alice was never told about: the name is the secret
            "user add %s --org acme" % m("acme user name"),
            "device enrol alice --id alicephone --name 'Alice phone'",
            "device enrol bob --id bobphone --name %s" %
            m("bob's device name"),
            # and a device with a generated id alice is never told
            "device enrol bob",
            # acme's settings, entry names and lock reason
            "set org acme mail vendor.acapd.idle-ceiling 1200",
            "set org acme mail email.sieve.script %s" % m("acme value"),
            "set org acme %s email.server.IMAP imap://%s/" % (
                m("acme entry name"), m("acme entry value")),
            "set org acme %s personality.Signature.Text %s" % (
                m("acme personality entry"), m("acme personality value")),
            "set /option/group/acme/ %s option.value %s" % (
                m("acme option entry"), m("acme option value")),
            # evil: alice's own organisation, nothing secret
            "set org evil mail email.server.IMAP "
            "imap://imap.evil.example:143/",
            "set org evil mail email.check-interval 300",
            # the locks
            "lock site mail vendor.acapd.tls --reason 'site TLS policy'",
            "lock site mail personality.Server.SMTP --reason 'site SMTP'",
            "lock org acme mail vendor.acapd.idle-ceiling --reason %s" %
            m("acme lock reason"),
            "lock org evil mail email.server.IMAP --reason 'evil IMAP'",
            # bob's user, device and private data
            "set user bob mail email.sieve.script %s" % m("bob value"),
            "set user bob %s email.check-interval 60" % m("bob entry name"),
            "set device bobphone mail personality.Signature.Text %s" %
            m("bob device value"),
            "set device bobphone %s email.connection-type LAN" %
            m("bob device entry name"),
            "set /email/user/bob/private/ %s email.sieve.script %s" % (
                m("bob private entry"), m("bob private value")),
            "set /addressbook/user/bob/ %s addressbook.Email %s "
            "--class addressbook" % (m("bob addressbook entry"),
                                     m("bob addressbook value")),
        ]
        # Which attribute each layer has locked, and where: the value
        # must stay the one of the locking layer (filled in by setup).
        self.locks = [
            # (class, entry, attribute, locking layer dataset)
            ("email", "mail", "vendor.acapd.tls", "/email/site/"),
            ("personality", "mail", "personality.Server.SMTP",
             "/personality/site/"),
            ("email", "mail", "vendor.acapd.idle-ceiling",
             "/email/group/acme/"),
            ("email", "mail", "email.server.IMAP", "/email/group/evil/"),
        ]
        self.hidden_device = None   # bob's device with the generated id
        self.expected = {}          # (locking dataset, attr) -> value

    def chains(self):
        """The layers below each lock: (class, entry, attribute, locking
        dataset) -> the datasets (organisation, user, device) inheriting
        from the locking one, whose effective value must stay its."""
        hidden = self.secrets["acme user name"]
        acme = ["/%s/group/acme/", "/%s/user/bob/", "/%s/host/bobphone/",
                "/%s/host/" + self.hidden_device + "/",
                "/%s/user/" + hidden + "/"]
        evil = ["/%s/group/evil/", "/%s/user/alice/",
                "/%s/host/alicephone/"]
        out = {}
        for cls, entry, attr, at in self.locks:
            if "/site/" in at:
                below = acme + evil
            elif "/group/acme/" in at:
                below = acme[1:]
            else:
                below = evil[1:]
            out[(cls, entry, attr, at)] = [p % cls for p in below]
        return out

    def needles(self):
        """(label, bytes) to look for in alice's replies."""
        out = [(k, v[len("SECRET-"):].encode())
               for k, v in self.secrets.items()]
        out.append(("bob's hidden device id", self.hidden_device.encode()))
        return out


# Datasets compared byte for byte before and after every step (admin
# SEARCH NOINHERIT RETURN ("*"), MODTIME lines left out), by invariant.
# alice's own /vendor.acapd.device/user/alice/ is not among them: it is
# hers to write (doc/security.md §3.6 "Walls"; nothing administrative is
# taken from it), while the index /vendor.acapd.device/site/ and bob's
# are not.
SNAPSHOTS = {
    "registries": ["/vendor.acapd.user/site/", "/vendor.acapd.org/site/",
                   "/vendor.acapd.device/site/",
                   "/vendor.acapd.device/user/bob/"],
    "walls": ["/%s/%s/" % (c, o) for c in CLASSES
              for o in ("site", "group/acme", "group/evil", "user/bob",
                        "host/bobphone")] +
             ["/email/user/bob/private/", "/addressbook/user/bob/"],
}


# ---- Alice's operations ---------------------------------------------------
#
# An operation is one ACAP command (a str, without tag).  The pools
# below are what alice knows: her own names, her organisation, bob's name
# and one of his device ids, the other organisation's name, the site, the
# registries -- never a secret.

OWN = ["/%s/~/", "/%s/user/alice/", "/%s/user/alice/sub/",
       "/%s/host/alicephone/", "/%s/user/alice/sub/deeper/"]
OTHERS = ["/%s/group/evil/", "/%s/group/acme/", "/%s/user/bob/",
          "/%s/host/bobphone/", "/%s/site/", "/%s/user/bob/private/",
          "/%s/host/nosuch/", "/%s/group/nosuch/"]
FIXED = ["/vendor.acapd.user/site/", "/vendor.acapd.device/site/",
         "/vendor.acapd.device/user/alice/", "/vendor.acapd.device/user/bob/",
         "/vendor.acapd.org/site/", "/", "/email/", "/email/group/",
         "/email/user/", "/email/host/", "/byowner/", "/byowner/user/alice/",
         "/byowner/user/bob/", "/byowner/~/email/", "/byowner/user/bob/email/",
         "/byowner/site/email/", "/addressbook/user/bob/",
         "/addressbook/~/"]
ENTRIES = ["mail", "mail", "mail", "mail2", "corp", "new", "sub",
           "mail-default", "alice", "bob", "bobphone", "alicephone", "evil",
           "acme", "deeper"]
ATTRS = ["vendor.acapd.tls", "vendor.acapd.tls", "vendor.acapd.idle-ceiling",
         "email.server.IMAP", "email.server.IMAP", "personality.Server.SMTP",
         "personality.Server.SMTP", "email.check-interval",
         "email.sieve.script", "option.value", "vendor.acapd.user.org",
         "vendor.acapd.user.groups", "vendor.acapd.device.user",
         "vendor.acapd.lock.vendor.acapd.tls", "vendor.acapd.tcp-keepalive",
         "addressbook.Email"]
IDENTIFIERS = ["alice", "anyone", "-anyone", "/group/evil", "/group/acme",
               "bob", "-alice", "admin"]
CONTEXTS = ["c1", "c2", "c3"]


class Generator:
    """Random operations from one random.Random.  It keeps a "focus"
    (the last dataset and entry used) and reuses it half of the time, so
    that multi-step tricks (rename, change, rename back; inherit NIL,
    store, inherit back) come up in a few thousand operations."""

    # What alice sends, and how often (relative weights).  Edit here.
    WEIGHTS = [
        ("store_value", 22),        # values, multi-values, NIL, DEFAULT
        ("store_inherit", 6),       # dataset.inherit anywhere, NIL, DEFAULT
        ("store_rename", 6),        # "entry" renames and deletion
        ("store_acl", 4),           # acl metadata, dataset.acl(.attr)
        ("store_subdataset", 2),    # "subdataset" ("." or elsewhere)
        ("store_multi", 3),         # several entries in one STORE
        ("setacl", 6),
        ("deleteacl", 4),
        ("myrights", 3),
        ("listrights", 3),
        ("search", 22),
        ("search_context", 4),      # MAKECONTEXT, then later:
        ("context_op", 3),          # UPDATECONTEXT, FREECONTEXT, SEARCH ctx
        ("deletedsince", 3),
        ("getquota", 2),
        ("lang", 1),
        ("noop", 1),
        # Not alice: the administrator changes acme's and bob's data (new
        # secrets) and the locked values at their locking layers, so that
        # alice's contexts are notified and the locks must follow.
        ("bystander", 3),
        # Short plans: a few related commands sent on consecutive steps
        # (each still one operation for the shrinker), so that the
        # multi-step tricks come up in every run, not once in a million.
        ("plan_detour", 2),         # inherit elsewhere, store, point back
        ("plan_rename", 2),         # rename, change, rename back
        ("plan_selfinherit", 1),    # subdatasets inheriting their parent
    ]

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.names = [n for n, _ in self.WEIGHTS]
        self.weights = [w for _, w in self.WEIGHTS]
        self.focus_ds = "/email/~/"
        self.focus_entry = "mail"
        self.n = 0
        self.plan = []          # commands still to send of a plan

    # -- pools
    def cls(self):
        return self.rng.choice(CLASSES + ("email", "email"))

    def dataset(self):
        r = self.rng
        if r.random() < 0.5:
            return self.focus_ds
        x = r.random()
        if x < 0.45:
            ds = r.choice(OWN) % self.cls()
        elif x < 0.85:
            ds = r.choice(OTHERS) % self.cls()
        else:
            ds = r.choice(FIXED)
        self.focus_ds = ds
        return ds

    def entry(self):
        if self.rng.random() < 0.5:
            return self.focus_entry
        self.focus_entry = self.rng.choice(ENTRIES)
        return self.focus_entry

    def attr(self):
        return self.rng.choice(ATTRS)

    def string(self):
        r = self.rng
        return r.choice(["starttls-optional", "implicit", "9999", "1",
                         "imap://attacker.example/", "smtp://attacker:25",
                         "evil", "acme", "bob", "v%d" % r.randrange(100),
                         "/email/group/acme/", "x" * r.choice([1, 40])])

    def value(self):
        r = self.rng
        x = r.random()
        if x < 0.55:
            return quote(self.string())
        if x < 0.7:
            return "NIL"
        if x < 0.85:
            return "DEFAULT"
        return '("value" (%s))' % " ".join(
            quote(self.string()) for _ in range(r.randrange(0, 3)))

    def path_anywhere(self):
        r = self.rng
        x = r.random()
        if x < 0.3:
            return r.choice(OWN) % self.cls()
        if x < 0.8:
            return r.choice(OTHERS) % self.cls()
        return r.choice(FIXED)

    def acl_object(self):
        r = self.rng
        ds = self.dataset()
        k = r.randrange(3)
        if k == 0:
            return "(%s)" % quote(ds)
        if k == 1:
            return "(%s %s)" % (quote(ds), quote(self.attr()))
        return "(%s %s %s)" % (quote(ds), quote(self.attr()),
                               quote(self.entry()))

    def rights(self):
        return "".join(c for c in "xrwia" if self.rng.random() < 0.6) or "r"

    def modifiers(self):
        r = self.rng
        mods = []
        if r.random() < 0.1:
            mods.append("NOCREATE")
        if r.random() < 0.1:
            mods.append('UNCHANGEDSINCE "%s"' % r.choice(
                ["00000101000000", "29991231235959", "20000101000000"]))
        return "".join(" " + m for m in mods)

    def store_entry(self, ds=None, entry=None):
        """One entry of a STORE: 1 to 3 distinct attributes (the same one
        twice is BAD), each with a value, NIL, DEFAULT or a multi-value."""
        ds = ds or self.dataset()
        entry = self.entry() if entry is None else entry
        n = self.rng.choice([1, 1, 1, 2, 3])
        attrs = []
        while len(attrs) < n:
            a = self.attr()
            if a not in attrs:
                attrs.append(a)
        body = " ".join("%s %s" % (quote(a), self.value()) for a in attrs)
        return "(%s%s %s)" % (quote(ds + entry), self.modifiers(), body)

    # -- operations
    def store_value(self):
        return "STORE " + self.store_entry()

    def store_inherit(self):
        r = self.rng
        ds = self.dataset()
        x = r.random()
        if x < 0.6:
            target = quote(self.path_anywhere())
        elif x < 0.7:
            target = quote(ds)                      # itself
        elif x < 0.85:
            target = "NIL"
        else:
            target = "DEFAULT"
        return "STORE (%s%s \"dataset.inherit\" %s)" % (
            quote(ds), self.modifiers(), target)

    def store_rename(self):
        r = self.rng
        ds = self.dataset()
        src = self.entry()
        dst = r.choice(["mail", "mail2", "mail2", "corp", "NIL", "NIL",
                        "DEFAULT"])
        if dst not in ("NIL", "DEFAULT"):
            self.focus_entry = dst
            dst = quote(dst)
        return "STORE (%s%s \"entry\" %s)" % (quote(ds + src),
                                              self.modifiers(), dst)

    def store_acl(self):
        r = self.rng
        ds = self.dataset()
        acl = '("value" (%s))' % " ".join(
            quote("%s\t%s" % (r.choice(IDENTIFIERS), self.rights()))
            for _ in range(r.randrange(1, 3)))
        k = r.randrange(3)
        if k == 0:
            return "STORE (%s %s %s)" % (quote(ds), quote("dataset.acl"),
                                         acl)
        if k == 1:
            return "STORE (%s %s %s)" % (
                quote(ds), quote("dataset.acl." + self.attr()), acl)
        return "STORE (%s %s (\"acl\" (%s)))" % (
            quote(ds + self.entry()), quote(self.attr()),
            " ".join(quote("%s\t%s" % (r.choice(IDENTIFIERS),
                                       self.rights()))
                     for _ in range(r.randrange(1, 3))))

    def store_subdataset(self):
        r = self.rng
        target = r.choice(['"."', '"."', quote(self.path_anywhere())])
        return "STORE (%s \"subdataset\" (\"value\" (%s)))" % (
            quote(self.dataset() + r.choice(["sub", "deeper", "mail"])),
            target)

    def store_multi(self):
        return "STORE " + " ".join(self.store_entry()
                                   for _ in range(self.rng.randrange(2, 4)))

    def setacl(self):
        return "SETACL %s %s %s" % (self.acl_object(),
                                    quote(self.rng.choice(IDENTIFIERS)),
                                    quote(self.rights()))

    def deleteacl(self):
        obj = self.acl_object()
        if self.rng.random() < 0.3:
            return "DELETEACL " + obj
        return "DELETEACL %s %s" % (obj, quote(self.rng.choice(IDENTIFIERS)))

    def myrights(self):
        return "MYRIGHTS " + self.acl_object()

    def listrights(self):
        return "LISTRIGHTS %s %s" % (self.acl_object(),
                                     quote(self.rng.choice(IDENTIFIERS)))

    def return_list(self):
        r = self.rng
        k = r.randrange(4)
        if k == 0:
            return 'RETURN ("*")'
        if k == 1:
            return 'RETURN ("entry" %s)' % quote(self.attr())
        if k == 2:
            return 'RETURN (%s ("value" "myrights" "acl" "size"))' % \
                quote(self.attr())
        return 'RETURN ("entry" "modtime" "subdataset" %s %s)' % (
            quote(self.attr()), quote(self.attr()))

    def criteria(self, depth=0):
        r = self.rng
        k = r.randrange(7 if depth < 2 else 4)
        if k == 0:
            return "ALL"
        if k == 1:
            return "EQUAL %s %s %s" % (
                quote(r.choice(["entry", self.attr()])),
                quote(r.choice(["i;octet", "i;ascii-casemap"])),
                quote(r.choice([self.entry(), self.string()])))
        if k == 2:
            # prefixes that would start a secret marker or a device id
            return "PREFIX %s %s %s" % (
                quote(r.choice(["entry", self.attr()])),
                quote(r.choice(["i;octet", "i;ascii-casemap"])),
                quote(r.choice(["S", "SE", "d", "m", "imap", ""])))
        if k == 3:
            if r.random() < 0.5:
                return "SUBSTRING %s \"i;ascii-casemap\" %s" % (
                    quote(self.attr()), quote(r.choice(["a", "ECR", "."])))
            return "COMPARE %s \"+i;ascii-numeric\" \"100\"" % quote(
                self.attr())
        if k == 4:
            return "NOT " + self.criteria(depth + 1)
        if k == 5:
            return "AND %s %s" % (self.criteria(depth + 1),
                                  self.criteria(depth + 1))
        return "OR %s %s" % (self.criteria(depth + 1),
                             self.criteria(depth + 1))

    def search_modifiers(self, context=False):
        r = self.rng
        mods = []
        if r.random() < 0.3:
            # bounded DEPTH most of the time, unlimited (0) sometimes
            mods.append("DEPTH %d" % r.choice([1, 2, 3, 0]))
        if r.random() < 0.3:
            mods.append("NOINHERIT")
        if r.random() < 0.15:
            mods.append("LIMIT %d %d" % (r.randrange(5), r.randrange(5)))
        if r.random() < 0.05:
            mods.append("HARDLIMIT %d" % r.randrange(1, 5))
        if context:
            kind = r.choice(["", " ENUMERATE", " NOTIFY",
                             " ENUMERATE NOTIFY"])
            mods.append("MAKECONTEXT%s %s" % (kind, quote(
                r.choice(CONTEXTS))))
        if r.random() < 0.2 or (context and "ENUMERATE" in mods[-1]):
            mods.append('SORT ("entry" "i;ascii-casemap")')
        r.shuffle(mods)
        mods.append(self.return_list())
        return " ".join(mods)

    def search(self):
        return "SEARCH %s %s %s" % (quote(self.dataset()),
                                    self.search_modifiers(),
                                    self.criteria())

    def search_context(self):
        return "SEARCH %s %s %s" % (quote(self.dataset()),
                                    self.search_modifiers(context=True),
                                    self.criteria())

    def context_op(self):
        r = self.rng
        c = quote(r.choice(CONTEXTS))
        k = r.randrange(3)
        if k == 0:
            return "UPDATECONTEXT " + c
        if k == 1:
            return "FREECONTEXT " + c
        return "SEARCH %s %s %s" % (c, self.return_list(), self.criteria())

    def deletedsince(self):
        return "DELETEDSINCE %s %s" % (quote(self.dataset()), quote(
            self.rng.choice(["20000101000000", "19700101000000"])))

    def getquota(self):
        return "GETQUOTA " + quote(self.dataset())

    def lang(self):
        return "LANG (%s)" % quote(self.rng.choice(["en", "i-default",
                                                    "fr"]))

    def noop(self):
        return "NOOP"

    def marker(self):
        while True:
            h = "%012x" % self.rng.getrandbits(48)
            if re.search("[a-f]", h):
                return "SECRET-" + h

    def bystander(self):
        r = self.rng
        cls = r.choice(CLASSES)
        where = r.choice(["/%s/group/acme/", "/%s/user/bob/",
                          "/%s/host/bobphone/"]) % cls
        k = r.randrange(6)
        if k == 0:      # a new secret value in an existing entry
            cmd = "STORE (%s \"email.sieve.script\" %s)" % (
                quote(where + "mail"), quote(self.marker()))
        elif k == 1:    # a new entry with a secret name and value
            cmd = "STORE (%s \"email.sieve.script\" %s)" % (
                quote(where + self.marker()), quote(self.marker()))
        elif k == 2:    # a value removed (REMOVEFROM / CHANGE)
            cmd = "STORE (%s \"email.sieve.script\" %s)" % (
                quote(where + "mail"), r.choice(["NIL", "DEFAULT"]))
        else:           # a locked value changed where it is locked
            cls, entry, attr, at = r.choice([
                ("email", "mail", "vendor.acapd.tls", "/email/site/"),
                ("personality", "mail", "personality.Server.SMTP",
                 "/personality/site/"),
                ("email", "mail", "vendor.acapd.idle-ceiling",
                 "/email/group/acme/"),
                ("email", "mail", "email.server.IMAP",
                 "/email/group/evil/")])
            val = {"vendor.acapd.tls": r.choice(["starttls-required",
                                                 "implicit"]),
                   "personality.Server.SMTP": "smtp://smtp%d.example.org"
                   ":587" % r.randrange(9),
                   "vendor.acapd.idle-ceiling": str(r.randrange(60, 1740)),
                   "email.server.IMAP": "imap://imap%d.evil.example/" %
                   r.randrange(9)}[attr]
            cmd = "STORE (%s %s %s)" % (quote(at + entry), quote(attr),
                                        quote(val))
        return BYSTANDER + cmd

    # -- plans (return the list of commands)
    def own_layer(self):
        return self.rng.choice(["/%s/~/", "/%s/user/alice/",
                                "/%s/host/alicephone/"]) % self.cls()

    def plan_detour(self):
        r = self.rng
        ds = self.own_layer()
        away = r.choice(["NIL", quote(self.path_anywhere()), quote(ds)])
        back = r.choice(["DEFAULT", quote(self.path_anywhere())] +
                        [quote(p % ds.split("/")[1]) for p in
                         ("/%s/group/evil/", "/%s/user/alice/")])
        return ["STORE (%s \"dataset.inherit\" %s)" % (quote(ds), away),
                "STORE " + self.store_entry(ds, r.choice(["mail", "corp"])),
                "STORE (%s \"dataset.inherit\" %s)" % (quote(ds), back)]

    def plan_rename(self):
        r = self.rng
        ds = self.own_layer()
        a, b = r.choice([("mail", "mail2"), ("mail", "corp"),
                         ("mail2", "mail")])
        return ["STORE " + self.store_entry(ds, a),
                "STORE (%s \"entry\" %s)" % (quote(ds + a), quote(b)),
                "STORE " + self.store_entry(ds, b),
                "STORE (%s \"entry\" %s)" % (quote(ds + b), quote(a))]

    def plan_selfinherit(self):
        r = self.rng
        top = self.own_layer()
        out = []
        for sub in r.sample(["sub", "deeper", "mail"], r.choice([1, 2, 2])):
            out += ["STORE (%s \"dataset.inherit\" %s)" % (
                        quote(top + sub + "/"), quote(top)),
                    "STORE (%s \"subdataset\" (\"value\" (\".\")))" % quote(
                        top + sub)]
        out.append("SEARCH %s DEPTH %d RETURN (\"entry\") ALL" % (
            quote(top), r.choice([0, 0, 4, 12])))
        return out

    def next(self):
        self.n += 1
        if not self.plan:
            name = self.rng.choices(self.names, self.weights)[0]
            op = getattr(self, name)()
            self.plan = op if isinstance(op, list) else [op]
        return self.plan.pop(0)


# An operation of the administrator, not of alice, starts with this.
BYSTANDER = "@admin "

# Commands that cannot change anything stored (the shrinker tries
# without them first).  The checks still run after them: they are cheap
# (about 0.2 ms a step) and a read that changes something is a bug too.
READ_ONLY = re.compile(r"^(SEARCH|MYRIGHTS|LISTRIGHTS|DELETEDSINCE|"
                       r"GETQUOTA|LANG|NOOP|UPDATECONTEXT|FREECONTEXT)\b")


def quote(s):
    return acaprel.quote(s).decode("utf-8", "surrogateescape")


# ---- The server and the two sessions -------------------------------------

class Violation(Exception):
    """kind: locked, secrets, registries, bounded, alive; key narrows it
    (the layer and attribute, the secret, the registry) so that the
    shrinker keeps the same violation."""

    def __init__(self, kind, key, detail):
        Exception.__init__(self, "%s: %s" % (kind, detail))
        self.kind, self.key, self.detail = kind, key, detail


class Session:
    """One logged-in connection; run() waits for the tagged completion
    within a time limit and returns (lines, final)."""

    def __init__(self, port, user):
        self.c = Client(port, timeout=CHECK_TIMEOUT)
        final = self.c.login(user, PASSWORDS[user])
        check(acaprel.is_ok(final), "%s login: %r" % (user, final))
        self.user = user

    def send(self, cmds):
        """Send several commands at once (pipelined); returns tags."""
        tags, out = [], []
        for cmd in cmds:
            t = self.c.tag()
            tags.append(t)
            out.append(t.encode() + b" " + cmd.encode("utf-8",
                                                      "surrogateescape"))
        self.c.send(b"\r\n".join(out) + b"\r\n")
        return tags

    def collect(self, tag, timeout):
        """Lines up to tag's completion; None on timeout or EOF."""
        pre = tag.encode() + b" "
        data = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            ln = self.c.line_or_none(max(left, 0.001)) if left > 0 else None
            if ln is None:
                return data, None
            if ln.startswith(pre) and re.match(rb"(OK|NO|BAD)( |$)",
                                               ln[len(pre):]):
                return data, ln
            data.append(ln)

    def run(self, cmds, timeout):
        """[(lines, final)] for cmds; final None when one timed out."""
        tags = self.send(cmds)
        out = []
        for t in tags:
            lines, final = self.collect(t, timeout)
            out.append((lines, final))
            if final is None:
                break
        return out

    def close(self):
        self.c.close()


def ctl_run(inst, script, user=ADMIN):
    """Run acapctl commands (one per line) as the administrator against
    the running acapd, the way an administrator provisions."""
    pw = os.path.join(inst.dir, "admin.pw")
    with open(pw, "w") as fp:
        fp.write(PASSWORDS[user] + "\n")
    os.chmod(pw, 0o600)
    env = dict(os.environ, ACAPCTL_CONFIG="/dev/null", HOME=inst.dir)
    env.pop("ACAPCTL_PASSWORD", None)
    r = subprocess.run(
        [inst.acapctl, "-H", "127.0.0.1", "-p", str(inst.port), "-u", user,
         "--password-file", pw, "--no-starttls", "--timeout", "20",
         "-f", "-"], input=("\n".join(script) + "\n").encode(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        timeout=120)
    out = r.stdout.decode(errors="replace")
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 0, "acapctl provisioning failed (%d):\n%s\n%s" %
          (r.returncode, out, err))
    return out + err


class World:
    """The acapd instance, its provisioned template state and the two
    sessions (alice, admin)."""

    def __init__(self, seed):
        self.model = Model(seed)
        self.inst = acaprel.Instance(NAME, config={
            "admins": ADMIN, "log_level": "warning",
            # alice may send anything; BAD answers must not end her
            # session (default 20), nor the context limit her contexts
            "max_bad_commands": "1000000",
            "statedir": None})
        self.template = os.path.join(self.inst.dir, "template")
        self.state = os.path.join(self.inst.dir, "state")
        self.inst.statedir = self.state
        self.inst.config["statedir"] = self.state
        self.inst.db = os.path.join(self.state, "acapd.db")
        os.mkdir(self.state)
        self.alice = self.admin = None
        self.resets = 0
        self.reconnects = 0
        self.slowest = (0.0, "")        # alice's slowest command
        self.shrink_time = 0.0
        self.cmd_timeout = CMD_TIMEOUT
        self.needles = []               # (label, bytes): secrets to find
        self.new_needles = []           # those stored by the bystander
        self.last_ok = False

    def provision(self):
        for u in (ADMIN, ALICE, BOB):
            self.inst.useradd(u, PASSWORDS[u])
        self.inst.start()
        out = ctl_run(self.inst, self.model.script)
        ids = re.findall(r"device (d[0-9a-f]{20}) enrolled for bob", out)
        check(len(ids) == 1, "no generated device id in:\n%s" % out)
        self.model.hidden_device = ids[0]
        # the template: the provisioned state, copied for every replay
        check(self.inst.stop() == 0, "acapd did not stop cleanly")
        shutil.copytree(self.state, self.template)
        self.inst.start()
        self.login()
        self.snapshot()

    def login(self):
        self.admin = Session(self.inst.port, ADMIN)
        self.alice = Session(self.inst.port, ALICE)

    def reset(self):
        """Back to the provisioned state: a fresh acapd on a copy."""
        for s in (self.alice, self.admin):
            if s is not None:
                s.close()
        self.inst.kill()
        shutil.rmtree(self.state)
        shutil.copytree(self.template, self.state)
        self.inst.start()
        self.login()
        self.new_needles = []
        self.refresh()
        self.resets += 1

    def close(self):
        for s in (self.alice, self.admin):
            if s is not None:
                s.close()

    # -- invariants -------------------------------------------------------

    def admin_run(self, cmds):
        if not cmds:
            return []
        res = self.admin.run(cmds, CHECK_TIMEOUT)
        if len(res) < len(cmds) or res[-1][1] is None:
            if not self.inst.alive():
                raise Violation("alive", "dead", "acapd died (status %s)"
                                % self.inst.proc.returncode)
            raise Violation("bounded", "check", "an admin check took > %g s"
                            " (%s)" % (CHECK_TIMEOUT, cmds[len(res) - 1]))
        return res

    def locked_queries(self):
        """[(dataset, class, entry, attrs)] and the expected values."""
        per = {}
        for (cls, entry, attr, at), below in self.model.chains().items():
            for ds in below:
                per.setdefault((ds, entry), []).append(attr)
        # organisation layers first, then users, then devices: the first
        # mismatch reported is the layer nearest the lock
        rank = {"group": 0, "user": 1, "host": 2}
        return sorted(per.items(), key=lambda kv: (
            rank[kv[0][0].split("/")[2]], kv[0]))

    def snapshot(self):
        """Record the locking layers' values and the datasets that must
        not change, and check the provisioning did what the test relies
        on."""
        self.needles = self.model.needles()
        self.queries = self.locked_queries()
        self.refresh()
        try:
            self.check_locked()         # the model holds at the start
        except Violation as v:
            raise Failure("the provisioned model is not as expected: %s"
                          % v)

    def refresh(self):
        """(Re-)read the locking layers' values and the snapshots: at the
        start, and after each change the administrator makes."""
        m = self.model
        for cls, entry, attr, at in m.locks:
            (lines, final), = self.admin_run([
                'SEARCH %s NOINHERIT RETURN (%s) EQUAL "entry" "i;octet" %s'
                % (quote(at), quote(attr), quote(entry))])
            ents = [acaprel.tokens(ln) for ln in lines
                    if ln.split(b" ", 2)[1:2] == [b"ENTRY"]]
            check(len(ents) == 1 and isinstance(ents[0][3], str),
                  "no locked value at %s %s %s: %r" % (at, entry, attr,
                                                       lines))
            m.expected[(at, attr)] = ents[0][3]
        self.snapshots = {k: self.read_datasets(v)
                          for k, v in SNAPSHOTS.items()}

    def expected_for(self, ds, attr):
        cls = ds.split("/")[1]
        for (c, entry, a, at), below in self.model.chains().items():
            if c == cls and a == attr and ds in below:
                return at, self.model.expected[(at, attr)]
        raise AssertionError((ds, attr))

    def locked_cmds(self):
        return ['SEARCH %s RETURN (%s) EQUAL "entry" "i;octet" %s' % (
            quote(ds), " ".join(quote(a) for a in attrs), quote(entry))
            for (ds, entry), attrs in self.queries]

    def check_locked(self, res=None):
        if res is None:
            res = self.admin_run(self.locked_cmds())
        for ((ds, entry), attrs), (lines, final) in zip(self.queries, res):
            ents = [acaprel.tokens(ln)[2:] for ln in lines
                    if ln.split(b" ", 2)[1:2] == [b"ENTRY"]]
            got = ents[0][1:] if len(ents) == 1 else [None] * len(attrs)
            for attr, val in zip(attrs, got):
                at, want = self.expected_for(ds, attr)
                if val != want:
                    raise Violation(
                        "locked", "%s %s %s" % (ds, entry, attr),
                        "effective %s of %s%s is %r, locked at %s as %r"
                        % (attr, ds, entry, val, at, want))

    @staticmethod
    def dataset_cmds(datasets):
        return ['SEARCH %s NOINHERIT RETURN ("*") ALL' % quote(d)
                for d in datasets]

    def read_datasets(self, datasets, res=None):
        """Each dataset's own entries, all attributes, as the server
        sends them (without the tag and the MODTIME line)."""
        if res is None:
            res = self.admin_run(self.dataset_cmds(datasets))
        return [[ln.split(b" ", 1)[1] for ln in lines
                 if not ln.split(b" ", 2)[1:2] == [b"MODTIME"]] + [
                     final.split(b" ", 1)[1]] for lines, final in res]

    def check_unchanged(self, kind, res=None):
        now = self.read_datasets(SNAPSHOTS[kind], res)
        for ds, before, after in zip(SNAPSHOTS[kind], self.snapshots[kind],
                                     now):
            if before != after:
                gone = [x for x in before if x not in after]
                new = [x for x in after if x not in before]
                raise Violation(kind, ds, "%s changed: -%r +%r" % (
                    ds, gone, new))

    def check_secrets(self, lines):
        for ln in lines:
            for label, needle in self.needles + self.new_needles:
                if needle in ln:
                    raise Violation("secrets", label,
                                    "alice got the %s (%s) in %r" % (
                                        label, needle.decode(), ln[:300]))

    def step(self, cmd, only=None):
        """Run one operation of alice and check the invariants after it
        (only: the kind the shrinker is after, or None for all those of
        ADV_INVARIANTS)."""
        try:
            self.step_checks(cmd, only)
        except (Failure, OSError) as e:
            if self.inst.alive():
                raise
            raise Violation("alive", "dead", "acapd died (status %s) "
                            "after %s (%s)" % (self.inst.proc.returncode,
                                               cmd, e))

    def bystander(self, cmd):
        """The administrator's STORE; its secrets join the needles."""
        if VERBOSE:
            log(NAME, "A: %s" % cmd)
        self.admin_run([cmd])
        for h in re.findall(r"SECRET-([0-9a-f]{12})", cmd):
            self.new_needles.append(("secret stored during the run",
                                     h.encode()))
        self.refresh()

    def step_checks(self, op, only):
        if op.startswith(BYSTANDER):
            self.bystander(op[len(BYSTANDER):])
            cmd = "NOOP"    # alice reads what it notified her of
        else:
            cmd = op
        t = time.monotonic()
        (lines, final), = self.alice.run([cmd], self.cmd_timeout)
        took = time.monotonic() - t
        self.slowest = max(self.slowest, (took, cmd))
        self.last_ok = final is not None and acaprel.is_ok(final)
        if VERBOSE:
            log(NAME, "C: %s\n  %s" % (cmd, "\n  ".join(
                repr(x) for x in lines + [final])))
        if only in (None, "secrets") and "secrets" in INVARIANTS:
            self.check_secrets(lines + ([final] if final else []))
        if final is None and self.alice.c.eof and self.inst.alive():
            # the server ended alice's session (BYE): not a violation;
            # she logs in again, as a client would
            self.alice.close()
            self.alice = Session(self.inst.port, ALICE)
            self.reconnects += 1
            return
        if final is None:
            if not self.inst.alive():
                raise Violation("alive", "dead", "acapd died (status %s)"
                                % self.inst.proc.returncode)
            raise Violation("bounded", "command",
                            "command took > %g s: %s" % (self.cmd_timeout,
                                                         cmd))
        if only in (None, "bounded") and took > self.cmd_timeout:
            raise Violation("bounded", "command",
                            "command took %.1f s: %s" % (took, cmd))
        if not self.inst.alive():
            raise Violation("alive", "dead", "acapd died (status %s)"
                            % self.inst.proc.returncode)
        self.check_stored([k for k in ("locked",) + tuple(SNAPSHOTS)
                           if only in (None, k) and k in INVARIANTS])

    def check_stored(self, kinds):
        """The invariants on stored data, in one pipelined batch of
        SEARCHes (one round trip)."""
        batches = [(k, self.locked_cmds() if k == "locked" else
                    self.dataset_cmds(SNAPSHOTS[k])) for k in kinds]
        res = self.admin_run([c for _, cmds in batches for c in cmds])
        for kind, cmds in batches:
            part, res = res[:len(cmds)], res[len(cmds):]
            if kind == "locked":
                self.check_locked(part)
            else:
                self.check_unchanged(kind, part)


# ---- Shrinking --------------------------------------------------------------

class Shrinker:
    """Find a short subsequence of ops that still gives violation v, each
    candidate replayed on a fresh copy of the provisioned state."""

    def __init__(self, world, v, budget):
        self.w, self.v = world, v
        self.deadline = time.monotonic() + budget
        self.tries = 0
        self.cache = {}
        # a normal command takes milliseconds: candidates of a "bounded"
        # violation are cut at 1 s; the result is confirmed at the full
        # limit (confirm())
        self.w.cmd_timeout = min(1.0, CMD_TIMEOUT)

    def confirm(self, ops):
        self.w.cmd_timeout = CMD_TIMEOUT
        self.cache.clear()
        self.deadline = time.monotonic() + 4 * CMD_TIMEOUT + 60
        return self.reproduces(ops)

    def reproduces(self, ops):
        key = tuple(ops)
        if key in self.cache:
            return self.cache[key]
        if time.monotonic() > self.deadline:
            return False
        self.tries += 1
        self.w.reset()
        ok = False
        try:
            for op in ops:
                self.w.step(op, only=self.v.kind)
        except Violation as v:
            ok = v.kind == self.v.kind and v.key == self.v.key
        except (Failure, OSError):
            ok = self.v.kind == "alive" and not self.w.inst.alive()
        self.cache[key] = ok
        return ok

    def ddmin(self, ops):
        """Zeller's delta debugging (minimising, complements first)."""
        n = 2
        while len(ops) >= 2 and time.monotonic() < self.deadline:
            size = len(ops) // n
            chunks = [ops[i * size:(i + 1) * size if i < n - 1 else None]
                      for i in range(n)]
            done = False
            for i in range(n):
                if self.reproduces(chunks[i]):
                    ops, n, done = chunks[i], 2, True
                    break
            if not done:
                for i in range(n):
                    rest = [x for j, c in enumerate(chunks) if j != i
                            for x in c]
                    if self.reproduces(rest):
                        ops, n, done = rest, max(n - 1, 2), True
                        break
            if not done:
                if n >= len(ops):
                    break
                n = min(len(ops), 2 * n)
        return ops

    def shrink(self, ops, oks):
        """ops: the operations since the fresh state; oks: whether each
        was answered OK (refused ones should have changed nothing)."""
        return self.simplify(self.reduce(ops, oks))

    def reduce(self, ops, oks):
        last = ops[-1:]
        if self.reproduces(last):
            return last
        # the operations that succeeded and stored, plus the last one
        for keep in (lambda o, ok: ok and not READ_ONLY.match(o),
                     lambda o, ok: ok,
                     lambda o, ok: not READ_ONLY.match(o)):
            cand = [o for o, ok in zip(ops[:-1], oks) if keep(o, ok)] + last
            if len(cand) < len(ops) and self.reproduces(cand):
                ops = cand
                break
        # the shortest suffix that reproduces (binary search)
        lo, hi = 0, len(ops) - 1    # ops[lo:] reproduces
        while hi - lo > 1 and time.monotonic() < self.deadline:
            mid = (lo + hi) // 2
            if self.reproduces(ops[mid:]):
                lo = mid
            else:
                hi = mid
        ops = ops[lo:]
        if self.reproduces(ops[1:]):
            ops = ops[1:]
        ops = self.ddmin(ops)
        # then one operation at a time (ddmin may stop at its budget)
        i = len(ops) - 2
        while i >= 0 and time.monotonic() < self.deadline:
            if self.reproduces(ops[:i] + ops[i + 1:]):
                ops = ops[:i] + ops[i + 1:]
            i -= 1
        return ops

    def simplify(self, ops):
        """Simpler forms of each command, for a readable result."""
        for i in range(len(ops)):
            for simpler in simplifications(ops[i]):
                cand = ops[:i] + [simpler] + ops[i + 1:]
                if time.monotonic() < self.deadline and \
                        self.reproduces(cand):
                    ops = cand
                    break
        return ops


def simplifications(op):
    """Simpler forms of one command, simplest first: a SEARCH without
    its modifiers and criteria, a STORE without NOCREATE and
    UNCHANGEDSINCE."""
    out = []
    m = re.match(r'^SEARCH ("(?:[^"\\]|\\.)*") (.*)$', op)
    if m:
        ds, rest = m.groups()
        depth = re.search(r"DEPTH \d+ ", rest)
        out.append('SEARCH %s RETURN ("*") ALL' % ds)
        if depth:
            out.append('SEARCH %s %sRETURN ("entry") ALL' % (
                ds, depth.group(0)))
    plain = re.sub(r' (NOCREATE|UNCHANGEDSINCE "\d+")', "", op)
    if plain != op:
        out.append(plain)
    return [x for x in out if x != op]


# ---- The run --------------------------------------------------------------

def report(world, seed, step, v, ops, oks, shrink=True):
    if not shrink:
        log(NAME, "violation at step %d: %s [%s] again" % (step, v.kind,
                                                           v.key))
        return
    log(NAME, "VIOLATION seed=%s step=%d invariant=%s [%s]" % (
        seed, step, v.kind, v.key))
    log(NAME, "  %s" % v.detail)
    log(NAME, "  reproduce: ADV_SEED=%s ADV_OPS=%d" % (seed, step))
    if os.environ.get("ADV_SHRINK", "1") == "0":
        return
    t = time.monotonic()
    sh = Shrinker(world, v, env_int("ADV_SHRINK_BUDGET", 240))
    try:
        shrink_and_print(sh, ops, oks)
    finally:
        world.shrink_time += time.monotonic() - t
        world.cmd_timeout = CMD_TIMEOUT


def shrink_and_print(sh, ops, oks):
    t = time.monotonic()
    best = sh.shrink(ops, oks)
    confirmed = sh.confirm(best)
    log(NAME, "  shrunk %d -> %d operations in %d replays, %.1f s%s:" % (
        len(ops), len(best), sh.tries, time.monotonic() - t,
        "" if confirmed else " (NOT confirmed: it did not reproduce "
        "again)"))
    log(NAME, "  # as alice (an ordinary user of organisation evil):")
    for i, op in enumerate(best):
        if op.startswith(BYSTANDER):
            log(NAME, "  A: s%d %s   # the admin" % (
                i + 1, op[len(BYSTANDER):]))
        else:
            log(NAME, "  C: s%d %s" % (i + 1, op))


def replay_file(world, path):
    """ADV_REPLAY=FILE: run alice's commands from FILE (one a line, as
    printed by the shrinker: "C: TAG COMMAND", "A: TAG COMMAND" for the
    administrator's, or bare commands of alice) with every check, and
    report the first violation."""
    cmds = []
    with open(path) as fp:
        for ln in fp:
            ln = re.sub(r"^adversarial:\s+", "", ln.strip())
            if not ln or ln.startswith("#"):
                continue
            m = re.match(r"^A: \S+ (.*?)(   # the admin)?$", ln)
            cmds.append(BYSTANDER + m.group(1) if m else
                        re.sub(r"^C: \S+ ", "", ln))
    for i, cmd in enumerate(cmds, 1):
        t = time.monotonic()
        try:
            world.step(cmd)
        except Violation as v:
            log(NAME, "VIOLATION at line %d (%s): %s" % (i, v.kind,
                                                        v.detail))
            return 1
        log(NAME, "%d ok (%.3f s): %s" % (i, time.monotonic() - t,
                                          cmd[:120]))
    log(NAME, "replayed %d commands: no violation" % len(cmds))
    return 0


def body():
    acaprel.python_ok(NAME)
    seed = os.environ.get("ADV_SEED") or "14"
    if seed == "random":
        seed = str(random.SystemRandom().randrange(1 << 32))
    nops = env_int("ADV_OPS", 10000)
    limit = env_int("ADV_TIME_LIMIT", 1500)
    keep_going = os.environ.get("ADV_CONTINUE") == "1"
    log(NAME, "seed %s, %d operations (ADV_SEED=%s ADV_OPS=%d to repeat)"
        % (seed, nops, seed, nops))
    world = World(seed)
    t0 = time.monotonic()
    violations = []
    try:
        world.provision()
        log(NAME, "provisioned in %.1f s: %d secrets, %d locked layer "
            "values, %d datasets that must not change" % (
                time.monotonic() - t0, len(world.model.needles()),
                sum(len(a) for _, a in world.queries),
                sum(len(v) for v in SNAPSHOTS.values())))
        replay = os.environ.get("ADV_REPLAY")
        if replay:
            return replay_file(world, replay)
        gen = Generator(seed)
        ops, oks = [], []   # since the last fresh state
        checks = 0
        t1 = time.monotonic()
        for step in range(1, nops + 1):
            if time.monotonic() - t0 > limit:
                raise Failure("run exceeded ADV_TIME_LIMIT=%d s at step %d"
                              % (limit, step))
            op = gen.next()
            ops.append(op)
            try:
                world.step(op)
                oks.append(world.last_ok)
                checks += 1
            except Violation as v:
                # with ADV_CONTINUE, each distinct violation is shrunk
                # once (ADV_SHRINK_EACH times: other ways to the same)
                seen = sum((v.kind, v.key) == (x.kind, x.key)
                           for _, x in violations)
                violations.append((step, v))
                report(world, seed, step, v, ops, oks,
                       shrink=seen < env_int("ADV_SHRINK_EACH", 1))
                if not keep_going:
                    break
                world.reset()
                ops, oks = [], []
        elapsed = time.monotonic() - t1 - world.shrink_time
        log(NAME, "%d operations, %d checked steps, %d violations, %.1f s "
            "(%.0f ops/s; shrinking %.1f s more), %d re-logins, seed %s" % (
                step, checks, len(violations), elapsed,
                step / max(elapsed, 1e-9), world.shrink_time,
                world.reconnects, seed))
        log(NAME, "slowest command of alice: %.3f s: %s" % (
            world.slowest[0], world.slowest[1][:160]))
        if violations:
            # one line per distinct violation: how often, first step
            seen = {}
            for step, v in violations:
                seen.setdefault((v.kind, v.key), []).append(step)
            log(NAME, "%d distinct violations (seed %s):" % (len(seen),
                                                              seed))
            for (kind, key), steps in sorted(seen.items()):
                log(NAME, "  %-10s %-55s x%d, first at step %d" % (
                    kind, key, len(steps), steps[0]))
            return 1
        return 0
    except Failure:
        log(NAME, "acapd log tail:\n%s" % world.inst.log_tail())
        raise
    finally:
        world.close()
        world.inst.cleanup()


if __name__ == "__main__":
    # a SIGTERM (a test driver's timeout) still stops acapd and removes
    # the instance directory (the finally of body())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(acaprel.run_main(NAME, body))
