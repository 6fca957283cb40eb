# Unit suite for the ACAP client library and acapctl's pure modules.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_client
TESTS += tests/unit/check_client
tests_unit_check_client_SOURCES = tests/unit/check_client.c
tests_unit_check_client_CFLAGS = $(UNIT_CFLAGS) $(CTL_IQUOTE) \
	$(OPENSSL_CFLAGS) $(SASL_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_check_client_LDADD = acapctl/libctl.a libacap/libacap.a \
	$(OPENSSL_LIBS) $(SASL_LIBS) $(JANSSON_LIBS) $(UNIT_LIBS)
endif
