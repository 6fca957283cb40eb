#!/bin/sh
# overload.sh -- wrapper for overload.py (see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python overload.py "$@"
