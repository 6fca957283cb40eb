# Unit suites for the dataset engine: store (SQLite persistence, modtimes,
# quotas, DELETEDSINCE), inherit (chains, merge, tombstones, virtual
# datasets) and search (criteria, comparators, sort, RETURN).  They use
# real SQLite files in a temporary directory.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_store tests/unit/check_inherit \
	tests/unit/check_search
TESTS += tests/unit/check_store tests/unit/check_inherit \
	tests/unit/check_search

STORE_TEST_LIBS = acapd/libstore.a acapd/libnames.a libacap/libacap.a \
	$(SQLITE_LIBS) $(UNIT_LIBS)

tests_unit_check_store_SOURCES = tests/unit/check_store.c
tests_unit_check_store_CFLAGS = $(UNIT_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_check_store_LDADD = $(STORE_TEST_LIBS)

tests_unit_check_inherit_SOURCES = tests/unit/check_inherit.c
tests_unit_check_inherit_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_inherit_LDADD = $(STORE_TEST_LIBS)

tests_unit_check_search_SOURCES = tests/unit/check_search.c
tests_unit_check_search_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_search_LDADD = $(STORE_TEST_LIBS)
endif
