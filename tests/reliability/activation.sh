#!/bin/sh
# activation.sh -- wrapper for activation.py (see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python activation.py "$@"
