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
# The Debian package built, installed, run and purged: as root, in CI only
# (.ci/run; doc/packaging.md), not part of "make check".
EXTRA_DIST += tests/package.sh
# The Check unit suites only (no daemon, no network, no helper tools but
# sasl2-bin): the Debian package's build-time tests (debian/rules).
check-unit:
	@units=''; for t in $(TESTS); do \
		case $$t in tests/unit/*) units="$$units $$t";; esac; \
	done; \
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$$units"
.PHONY: check-unit
