# acapctl: the provisioning tool.  The pure modules (adapters over
# Jansson, model, value validation, lint, dataset records, word splitting,
# configuration) form acapctl/libctl.a so the unit tests link them without
# the program.
noinst_LIBRARIES += acapctl/libctl.a
acapctl_libctl_a_SOURCES = \
	acapctl/jsonx.c acapctl/jsonx.h \
	acapctl/model.c acapctl/model.h \
	acapctl/validate.c acapctl/validate.h \
	acapctl/lint.c acapctl/lint.h \
	acapctl/ds.c acapctl/ds.h \
	acapctl/words.c acapctl/words.h \
	acapctl/conf.c acapctl/conf.h
acapctl_libctl_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)

bin_PROGRAMS += acapctl/acapctl
acapctl_acapctl_SOURCES = \
	acapctl/main.c \
	acapctl/ctl.c acapctl/ctl.h \
	acapctl/cmds.c acapctl/cmds.h \
	acapctl/registry.c acapctl/registry.h \
	acapctl/cmd-help.c \
	acapctl/cmd-org.c \
	acapctl/cmd-user.c \
	acapctl/cmd-set.c \
	acapctl/cmd-device.c \
	acapctl/cmd-io.c \
	acapctl/cmd-misc.c \
	acapctl/repl.c acapctl/repl.h
acapctl_acapctl_CFLAGS = $(AM_CFLAGS) -iquote $(top_srcdir)/acapctl \
	$(LIBEDIT_CFLAGS) $(OPENSSL_CFLAGS) $(SASL_CFLAGS) $(JANSSON_CFLAGS)
# userdb.c (sasldb management, owned by the security layer) comes in
# acapd/libsecurity.a together with the acapd/sasl.c it builds on.
acapctl_acapctl_LDADD = acapctl/libctl.a acapd/libsecurity.a \
	libacap/libacap.a $(LIBEDIT_LIBS) $(OPENSSL_LIBS) $(SASL_LIBS) \
	$(JANSSON_LIBS)

dist_man_MANS += doc/acapctl.1
# The site-layer seed, in acapctl's import format (doc/settings.md §8).
dist_pkgdata_DATA += schema/site-template.json
EXTRA_DIST += doc/settings.md
