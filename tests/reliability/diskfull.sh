#!/bin/sh
# diskfull.sh -- suite wrapper for diskfull.py (see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python diskfull.py "$@"
