# Names and comparators: dataset paths, entry and attribute names
# (acapd/dspath.c) and the RFC 2244 §3.4 comparators (acapd/comparator.c),
# and the metrics registry (acapd/metrics.c, which every layer reports
# to), as a convenience library for acapd and the unit tests.  It uses
# libacap's UTF-8 check: link acapd/libnames.a before libacap/libacap.a.
noinst_LIBRARIES += acapd/libnames.a
acapd_libnames_a_SOURCES = \
	acapd/comparator.c acapd/comparator.h \
	acapd/dspath.c acapd/dspath.h \
	acapd/metrics.c acapd/metrics.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_comparator tests/unit/check_dspath \
	tests/unit/check_metrics
TESTS += tests/unit/check_comparator tests/unit/check_dspath \
	tests/unit/check_metrics

tests_unit_check_metrics_SOURCES = tests/unit/check_metrics.c
tests_unit_check_metrics_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_metrics_LDADD = acapd/libnames.a $(UNIT_LIBS)

tests_unit_check_comparator_SOURCES = tests/unit/check_comparator.c
tests_unit_check_comparator_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_comparator_LDADD = acapd/libnames.a libacap/libacap.a \
	$(UNIT_LIBS)

tests_unit_check_dspath_SOURCES = tests/unit/check_dspath.c
tests_unit_check_dspath_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_dspath_LDADD = acapd/libnames.a libacap/libacap.a \
	$(UNIT_LIBS)
endif
