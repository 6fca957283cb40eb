#!/bin/sh
# diskfull.sh -- wrapper for diskfull.py (see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python diskfull.py "$@"
