#!/bin/sh
# Interop: acap.el's ACL commands and GETQUOTA against acapd.
. "$top_srcdir/tests/interop/lib.sh"
interop_run acl
