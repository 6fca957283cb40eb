# Run by the interop scenarios' exec lines, in the acapd instance's
# directory: emacs runs the tests of acap-test.el named as arguments
# against the instance ($ACAPD_PORT).  Their output goes to the test's
# log; the exit status is non-zero when any check failed.
emacs --batch -Q -l "$top_srcdir/tests/interop/acap-test.el" \
    -f acap-test-main "$@" >emacs.out 2>&1
st=$?
cat emacs.out
exit $st
