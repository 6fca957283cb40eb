#!/bin/sh
# soak.sh MINUTES [CLIENTS] -- the mixed-load soak of the reliability issue:
# 1,000 clients (by default) against one acapd for MINUTES, zero protocol
# errors and flat memory (soak.py has the details).  Run on demand from the
# build directory, never by "make check"; set top_builddir (or ACAPD and
# ACAPCTL) to use binaries elsewhere.  Figures: doc/reliability.md.
if [ $# -lt 1 ]; then
	echo "usage: soak.sh MINUTES [CLIENTS]" >&2
	exit 2
fi
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/reliability/lib.sh"
# the client side holds one descriptor per connection
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 4096 ] ||
	ulimit -n 4096 2>/dev/null ||
	echo "soak.sh: warning: open-file limit $(ulimit -n)" >&2
rel_python soak.py "$@"
