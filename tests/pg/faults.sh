#!/bin/sh
# faults.sh -- wrapper for faults.py (see its header comment): SIGKILL of
# a node under load, PostgreSQL restarted under load.
. "${top_srcdir:-.}/tests/reliability/lib.sh"
REL_DIR=$top_srcdir/tests/pg
rel_python faults.py "$@"
