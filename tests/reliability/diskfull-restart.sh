#!/bin/sh
# diskfull-restart.sh -- wrapper for diskfull-restart.py (see its header
# comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python diskfull-restart.py "$@"
