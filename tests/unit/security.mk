# Unit suites for the security layer: SASL glue and sasldb user management
# (real libsasl2 exchanges, client against server, in a temporary
# directory) and the TLS context (in-memory handshakes over BIO pairs).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_sasl tests/unit/check_tls
TESTS += tests/unit/check_sasl tests/unit/check_tls

tests_unit_check_sasl_SOURCES = tests/unit/check_sasl.c tests/unit/check_skip.h
tests_unit_check_sasl_CPPFLAGS = $(AM_CPPFLAGS) -iquote $(top_srcdir)/acapctl/client
tests_unit_check_sasl_CFLAGS = $(UNIT_CFLAGS) $(SASL_CFLAGS) \
	$(OPENSSL_CFLAGS)
tests_unit_check_sasl_LDADD = acapd/libsecurity.a acapd/libnames.a $(UNIT_LIBS) \
	$(SASL_LIBS) $(OPENSSL_LIBS) $(LIBPQ_LIBS)

tests_unit_check_tls_SOURCES = tests/unit/check_tls.c
tests_unit_check_tls_CFLAGS = $(UNIT_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_check_tls_LDADD = acapd/libsecurity.a $(UNIT_LIBS) \
	$(OPENSSL_LIBS)
endif
