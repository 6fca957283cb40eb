#!/bin/sh
# abuse.sh -- wrapper for abuse.py (see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python abuse.py "$@"
