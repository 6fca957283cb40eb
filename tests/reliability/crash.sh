#!/bin/sh
# crash.sh -- wrapper for crash.py (see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python crash.py "$@"
