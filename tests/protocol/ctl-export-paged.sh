#!/bin/sh
# Paging (doc/protocol-notes.md "Paging"): with a work budget of 50
# entries (search_max_entries), a site of 300 users cannot be read in one
# SEARCH (NO (WAYTOOMANY/WORK)), but "acapctl export" and "acapctl
# history" read it page by page (acapd serves each page by its index),
# and their output is the one a single SEARCH gives with a budget large
# enough: the same JSON, record for record.
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

SRC=$(cd "$top_srcdir" && pwd)
ctl_start "search_max_entries 50"
ctl_admin

# 300 users (no accounts: the registry is what is read) in 3 orgs, and a
# setting of some of them, all through the import
python3 "$SRC/tests/bench/gen-users.py" 300 3 > "$CTL_DIR/gen.json" ||
    fail "gen-users.py"
python3 - "$CTL_DIR/gen.json" > "$CTL_DIR/users.json" <<'EOF' || fail "users.json"
import json, sys
d = json.load(open(sys.argv[1]))
for i, u in enumerate(d["users"]):
    del u["password"]
    if i % 7 == 0:
        u["settings"] = {"corp": {"email.server.IMAP": "imap://%s.example/" % u["name"]}}
json.dump(d, sys.stdout)
EOF
ok import --no-progress "$CTL_DIR/users.json"

# over the budget in one SEARCH (ACAPCTL_PAGE_SIZE=0: acapctl before paging)
ACAPCTL_PAGE_SIZE=0 ctl export --output "$CTL_DIR/one.json"
[ "$CTL_STATUS" -eq 1 ] || fail "unpaged export exited $CTL_STATUS, not 1"
has 'reading /vendor\.acapd\.(org|user)/site/: server said NO \(WAYTOOMANY/WORK\)'
ACAPCTL_PAGE_SIZE=0 ctl history --json
[ "$CTL_STATUS" -eq 1 ] || fail "unpaged history exited $CTL_STATUS, not 1"
has 'WAYTOOMANY/WORK'

# paged: the default page (1000) is halved until it fits the budget
ok export --output "$CTL_DIR/paged.json"
ACAPCTL_PAGE_SIZE=7 ok export --output "$CTL_DIR/paged7.json"
ok history --json
printf '%s\n' "$CTL_OUT" > "$CTL_DIR/hist-paged.json"
ok history --user admin --since 2020-01-01 --json
printf '%s\n' "$CTL_OUT" > "$CTL_DIR/hist-filter-paged.json"
ACAPCTL_PAGE_SIZE=3 ok history --json
printf '%s\n' "$CTL_OUT" > "$CTL_DIR/hist-paged3.json"

# the same read in one SEARCH with a budget large enough
ctl_stop
ctl_start "search_max_entries 1000000"
ACAPCTL_PAGE_SIZE=0 ok export --output "$CTL_DIR/one.json"
ACAPCTL_PAGE_SIZE=0 ok history --json
printf '%s\n' "$CTL_OUT" > "$CTL_DIR/hist-one.json"
ACAPCTL_PAGE_SIZE=0 ok history --user admin --since 2020-01-01 --json
printf '%s\n' "$CTL_OUT" > "$CTL_DIR/hist-filter-one.json"

CTL_OUT=
python3 - "$CTL_DIR" <<'EOF' || fail "paged and unpaged reads differ"
import json, os, sys
d = sys.argv[1]
def load(name, drop=()):
    doc = json.load(open(os.path.join(d, name)))
    for k in drop:
        doc.pop(k, None)
    return doc
# the export's own time differs between runs
one = load("one.json", ("exported",))
for other in ("paged.json", "paged7.json"):
    o = load(other, ("exported",))
    assert o == one, "%s differs from the unpaged export" % other
names = sorted(u["name"] for u in one["users"])
assert len(names) == 300, len(names)
for i in range(1, 301):
    assert "u%d" % i in names, i
assert len(one["orgs"]) == 3, one["orgs"]
h = load("hist-one.json")["result"]["records"]
assert len(h) > 300, len(h)
for other in ("hist-paged.json", "hist-paged3.json"):
    assert load(other)["result"]["records"] == h, other
hf = load("hist-filter-one.json")["result"]["records"]
assert hf and load("hist-filter-paged.json")["result"]["records"] == hf
EOF
exit 0
