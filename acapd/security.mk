# Security layer: SASL glue (acapd/sasl.c), TLS context (acapd/tls.c) and
# sasldb user management for acapctl (acapctl/client/userdb.c), built as one
# convenience library.  Link it with $(SASL_LIBS) $(OPENSSL_LIBS).
noinst_LIBRARIES += acapd/libsecurity.a
acapd_libsecurity_a_SOURCES = \
	acapd/sasl.c acapd/sasl.h \
	acapd/tls.c acapd/tls.h \
	acapctl/client/userdb.c acapctl/client/userdb.h
acapd_libsecurity_a_CFLAGS = $(AM_CFLAGS) $(SASL_CFLAGS) $(OPENSSL_CFLAGS)
