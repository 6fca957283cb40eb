# Security layer: SASL glue (acapd/sasl.c), TLS context (acapd/tls.c) and
# sasldb user management for acapctl (acapctl/client/userdb.c), built as one
# convenience library, with the PostgreSQL accounts (acapd/sasl-sql.c, the
# sasl_sql option; acapctl/client/userdb-pg.c, their writer).  Link it with
# $(SASL_LIBS) $(OPENSSL_LIBS) $(LIBPQ_LIBS).
noinst_LIBRARIES += acapd/libsecurity.a
acapd_libsecurity_a_SOURCES = \
	acapd/sasl.c acapd/sasl.h \
	acapd/sasl-sql.c acapd/sasl-sql.h \
	acapd/tls.c acapd/tls.h \
	acapctl/client/userdb.c acapctl/client/userdb.h \
	acapctl/client/userdb-pg.c acapctl/client/userdb-pg.h
acapd_libsecurity_a_CFLAGS = $(AM_CFLAGS) $(SASL_CFLAGS) $(OPENSSL_CFLAGS) \
	$(LIBPQ_CFLAGS)
