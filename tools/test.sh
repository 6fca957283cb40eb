#!/bin/sh
# Build and run the whole test suite (unit, protocol, interop, reliability,
# fuzz replays) in ./build, then print "N passed, M failed[, K skipped]".
# Exits non-zero on any failure.
set -e
cd "$(dirname "$0")/.."
sh tools/deps.sh
[ -x configure ] || ./autogen.sh
mkdir -p build
cd build
[ -f Makefile ] || ../configure -q ${CONFIGURE_FLAGS:-}
make -s -j"$(nproc)"
status=0
make -s -j"$(nproc)" check >/dev/null 2>&1 || status=$?
sh ../tools/summary.sh . || status=1
exit $status
