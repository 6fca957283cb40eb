# Interop: scenarios that drive acapd with Wanderlust's acap.el (Debian
# packages emacs-nox and wl).  Skipped, and counted as skipped, where they
# are missing; tools/deps.sh and .ci/run install them.
INTEROP_TESTS = tests/interop/login.acap
TESTS += $(INTEROP_TESTS)
EXTRA_DIST += $(INTEROP_TESTS) tests/interop/acap-test.el
