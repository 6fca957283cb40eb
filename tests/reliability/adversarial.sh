#!/bin/sh
# adversarial.sh -- wrapper for adversarial.py (see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
rel_python adversarial.py "$@"
