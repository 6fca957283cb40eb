# Unit suites for the libacap codec: parser, argument getters, writer.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_parser tests/unit/check_arg \
	tests/unit/check_buf tests/unit/check_profile
TESTS += tests/unit/check_parser tests/unit/check_arg tests/unit/check_buf \
	tests/unit/check_profile

tests_unit_check_parser_SOURCES = tests/unit/check_parser.c
tests_unit_check_parser_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_parser_LDADD = libacap/libacap.a $(UNIT_LIBS)

tests_unit_check_arg_SOURCES = tests/unit/check_arg.c
tests_unit_check_arg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_arg_LDADD = libacap/libacap.a $(UNIT_LIBS)

tests_unit_check_buf_SOURCES = tests/unit/check_buf.c
tests_unit_check_buf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_buf_LDADD = libacap/libacap.a $(UNIT_LIBS)

tests_unit_check_profile_SOURCES = tests/unit/check_profile.c
tests_unit_check_profile_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_profile_LDADD = libacap/libacap.a $(UNIT_LIBS)
endif
