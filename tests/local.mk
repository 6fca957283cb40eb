# Test suite: Check unit suites (tests/unit), protocol scenarios against a
# live acapd (tests/protocol), interop with a third-party client
# (tests/interop).  "make check" runs them all.
TEST_EXTENSIONS = .acap .sh
AM_TESTS_ENVIRONMENT = \
	top_builddir='$(abs_top_builddir)'; top_srcdir='$(abs_top_srcdir)'; \
	export top_builddir top_srcdir;

# Unit suites, one fragment per area.
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
UNIT_LIBS = $(CHECK_LIBS)

include tests/unit/codec.mk
include tests/unit/store.mk
include tests/unit/security.mk
include tests/unit/lead.mk
include tests/unit/ctl.mk
include tests/protocol/local.mk
include tests/interop/local.mk
include tests/reliability/local.mk
include tests/pg/local.mk
include tests/pg/store.mk
# The module graph: no circles, and the committed picture is the code's
# (doc/architecture.md).
TESTS += tests/structure.sh
EXTRA_DIST += tests/structure.sh tools/depgraph.py doc/architecture.md \
	doc/architecture.dot doc/architecture.svg
