#!/usr/bin/env python3
"""gen-users.py -- an acapctl import file of many users with their SASL
accounts (doc/settings.md §7), for tests/bench/run-import.sh and
tests/protocol/ctl-import-accounts.sh.

  gen-users.py N [ORGS] [PREFIX] > users.json

N users PREFIX1..PREFIXN (PREFIX default "u"), spread over ORGS
organisations o1..oORGS (default 0: all in the site), each with the
password "pw-" + its name."""
import json
import sys

n = int(sys.argv[1])
orgs = int(sys.argv[2]) if len(sys.argv) > 2 else 0
prefix = sys.argv[3] if len(sys.argv) > 3 else "u"
users = []
for i in range(1, n + 1):
    name = "%s%d" % (prefix, i)
    u = {"name": name, "password": "pw-" + name}
    if orgs:
        u["org"] = "o%d" % (i % orgs + 1)
    users.append(u)
doc = {"format": "acapctl-export", "version": 1,
       "orgs": [{"name": "o%d" % (j + 1)} for j in range(orgs)],
       "users": users}
json.dump(doc, sys.stdout, separators=(",", ":"))
sys.stdout.write("\n")
