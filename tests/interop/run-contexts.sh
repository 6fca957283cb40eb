#!/bin/sh
# Interop: acap.el's contexts, with changes made on a second connection.
. "$top_srcdir/tests/interop/lib.sh"
interop_run contexts
