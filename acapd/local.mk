# acapd: the daemon.  Areas with their own fragment build convenience
# libraries (store.mk: libstore.a; security.mk: libsecurity.a; names.mk:
# libnames.a) that are linked here and by the unit tests.
sbin_PROGRAMS += acapd/acapd
acapd_acapd_SOURCES = \
	acapd/main.c \
	acapd/config.c acapd/config.h \
	acapd/log.c acapd/log.h \
	acapd/metrics-http.c acapd/metrics-http.h \
	acapd/bounds.h acapd/server.h \
	acapd/conn.c acapd/conn.h \
	acapd/commands.c acapd/commands.h \
	acapd/greeting.c acapd/greeting.h \
	acapd/session.c acapd/session.h \
	acapd/acl.c acapd/acl.h \
	acapd/access.c acapd/access.h \
	acapd/seed.c acapd/seed.h \
	acapd/upgrade.c acapd/upgrade.h \
	acapd/context.c acapd/context.h \
	acapd/startup.c acapd/startup.h \
	acapd/aclobj.c acapd/aclobj.h \
	acapd/http.c acapd/http.h \
	acapd/discovery.c acapd/discovery.h \
	acapd/disc-req.c acapd/disc-req.h \
	acapd/enrol.c acapd/enrol.h \
	acapd/cmd-authenticate.c \
	acapd/cmd-deleteacl.c \
	acapd/cmd-listrights.c \
	acapd/cmd-myrights.c \
	acapd/cmd-setacl.c \
	acapd/cmd-freecontext.c \
	acapd/cmd-updatecontext.c \
	acapd/cmd-lang.c \
	acapd/cmd-logout.c \
	acapd/cmd-noop.c \
	acapd/cmd-starttls.c
acapd_acapd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS) \
	$(SASL_CFLAGS) $(SQLITE_CFLAGS) $(EXPAT_CFLAGS)
ACAPD_LIBS = acapd/libcmd-data.a acapd/libstore.a acapd/libsecurity.a \
	acapd/libnames.a
acapd_acapd_LDADD = $(ACAPD_LIBS) libacap/libacap.a \
	$(LIBEVENT_LIBS) $(OPENSSL_LIBS) $(SASL_LIBS) $(SQLITE_LIBS) \
	$(EXPAT_LIBS) $(LIBPQ_LIBS)
