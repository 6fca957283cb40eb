# Interop: scenarios that drive acapd with Wanderlust's acap.el (Debian
# packages emacs-nox and wl).  Each run-NAME.sh runs NAME.acap through
# the scenario driver; skipped, and counted as skipped, where emacs or wl
# is missing (tests/interop/lib.sh); tools/deps.sh and .ci/run install
# them.  (A wrapper must not share its base name with a .acap file: make
# would build NAME.log from NAME.acap, .acap being the first test
# extension.)
INTEROP_TESTS = \
	tests/interop/run-login.sh \
	tests/interop/run-data.sh \
	tests/interop/run-contexts.sh \
	tests/interop/run-acl.sh \
	tests/interop/run-bare-lf.sh
TESTS += $(INTEROP_TESTS)
EXTRA_DIST += $(INTEROP_TESTS) \
	tests/interop/lib.sh \
	tests/interop/emacs.sh \
	tests/interop/acap-test.el \
	tests/interop/login.acap \
	tests/interop/data.acap \
	tests/interop/contexts.acap \
	tests/interop/acl.acap \
	tests/interop/bare-lf.acap
