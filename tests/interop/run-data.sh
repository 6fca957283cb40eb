#!/bin/sh
# Interop: acap.el's STORE, SEARCH and DELETEDSINCE against acapd.
. "$top_srcdir/tests/interop/lib.sh"
interop_run data
