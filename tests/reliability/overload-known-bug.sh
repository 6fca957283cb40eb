#!/bin/sh
# overload-known-bug.sh -- wrapper for overload-known-bug.py (see its
# header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python overload-known-bug.py "$@"
