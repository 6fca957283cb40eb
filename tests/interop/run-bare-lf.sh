#!/bin/sh
# Interop: a value with a bare LF (as acap.el sends it) is one BAD, never
# two commands.
. "$top_srcdir/tests/interop/lib.sh"
interop_run bare-lf
