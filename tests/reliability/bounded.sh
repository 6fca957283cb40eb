#!/bin/sh
# bounded.sh -- wrapper for bounded.py (see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python bounded.py "$@"
