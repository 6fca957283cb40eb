#!/bin/sh
# tlsread.sh -- wrapper for tlsread.py (see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python tlsread.py "$@"
