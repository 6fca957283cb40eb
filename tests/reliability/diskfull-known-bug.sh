#!/bin/sh
# diskfull-known-bug.sh -- wrapper for diskfull-known-bug.py (see its
# header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python diskfull-known-bug.py "$@"
