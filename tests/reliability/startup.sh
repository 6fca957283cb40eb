#!/bin/sh
# startup.sh -- wrapper for startup.py (see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python startup.py "$@"
