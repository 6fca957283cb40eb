#!/bin/sh
# Paging (doc/protocol-notes.md "Paging"): pages of a SEARCH in entry
# name order, read by acapd's index for an admin and the normal way for
# a user, give exactly what one SEARCH gives, with inheritance,
# tombstones, deleted entries and entries the user may not see
# (tests/protocol/search-paged.py).
. "${top_srcdir:-.}/tests/protocol/ctl-lib.sh"

SRC=$(cd "$top_srcdir" && pwd)
ctl_start "search_max_entries 1000"
ctl_admin
ctl_admin alice alice-secret-pw
CTL_OUT=$(python3 "$SRC/tests/protocol/search-paged.py" "$CTL_PORT" \
    admin admin-secret-pw alice alice-secret-pw 2>&1) ||
    fail "paged and unpaged searches differ"
printf '%s\n' "$CTL_OUT"
