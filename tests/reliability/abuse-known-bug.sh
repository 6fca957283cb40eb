#!/bin/sh
# abuse-known-bug.sh -- wrapper for abuse-known-bug.py (see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python abuse-known-bug.py "$@"
