#!/bin/sh
# nodes.sh -- wrapper for nodes.py (two acapd nodes on one PostgreSQL;
# see its header comment).
. "${top_srcdir:-.}/tests/reliability/lib.sh"
REL_DIR=$top_srcdir/tests/pg
rel_python nodes.py "$@"
