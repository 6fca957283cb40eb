#!/bin/sh
# The module graph (doc/architecture.md): no circle between modules, and
# doc/architecture.dot is still the graph of the code.
: "${top_srcdir:=.}"
# python3 is installed by tools/deps.sh: missing is a failure, not a skip
command -v python3 >/dev/null 2>&1 || { echo "structure: FAIL: no python3"; exit 1; }
status=0
python3 "$top_srcdir/tools/depgraph.py" "$top_srcdir" --check || status=1
python3 "$top_srcdir/tools/depgraph.py" "$top_srcdir" \
    --check-dot "$top_srcdir/doc/architecture.dot" || status=1
exit $status
