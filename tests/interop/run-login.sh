#!/bin/sh
# Interop: acap.el logs in with every mechanism it shares with acapd.
. "$top_srcdir/tests/interop/lib.sh"
interop_run login
