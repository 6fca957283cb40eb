#!/bin/sh
# stream.sh -- wrapper for stream.py (see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python stream.py "$@"
