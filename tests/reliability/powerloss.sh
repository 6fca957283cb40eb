#!/bin/sh
# powerloss.sh -- crash.py --powerloss: kill -9 / restart cycles where each
# kill also loses every write no fsync made durable (powerloss.c), then
# the control on a disk that lies about syncing, which must be caught.
. "${top_srcdir:-.}/tests/reliability/lib.sh"
(rel_python crash.py --powerloss "${REL_POWERLOSS_CYCLES:-40}") || exit $?
rel_python crash.py --powerloss --lying-disk 3
