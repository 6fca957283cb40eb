#!/bin/sh
# crash.sh -- suite wrapper for crash.py (see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python crash.py "$@"
