# Unit suites for the lead's modules (acl).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_acl
TESTS += tests/unit/check_acl
tests_unit_check_acl_SOURCES = tests/unit/check_acl.c acapd/acl.c acapd/acl.h
tests_unit_check_acl_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_acl_LDADD = $(UNIT_LIBS)
endif
