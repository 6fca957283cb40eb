# acapctl: the provisioning tool, in layers (doc/architecture.md), each a
# folder with a README saying what it owns: term/ (the run and the shell),
# cmd/ (the commands), model/ (the settings model), client/ (the
# connection, datasets as read, JSON, the sasldb, word splitting).
CTL_IQUOTE = -iquote $(top_srcdir)/acapctl/client \
	-iquote $(top_srcdir)/acapctl/model -iquote $(top_srcdir)/acapctl/cmd \
	-iquote $(top_srcdir)/acapctl/term
# The pure modules (adapters over Jansson, model, value validation, lint,
# dataset records, word splitting, configuration) form acapctl/libctl.a so
# the unit tests link them without the program.
noinst_LIBRARIES += acapctl/libctl.a
acapctl_libctl_a_SOURCES = \
	acapctl/client/jsonx.c acapctl/client/jsonx.h \
	acapctl/model/model.c acapctl/model/model.h \
	acapctl/model/validate.c acapctl/model/validate.h \
	acapctl/model/lint.c acapctl/model/lint.h \
	acapctl/client/ds.c acapctl/client/ds.h \
	acapctl/client/words.c acapctl/client/words.h \
	acapctl/client/conf.c acapctl/client/conf.h
acapctl_libctl_a_CFLAGS = $(AM_CFLAGS) $(CTL_IQUOTE) $(JANSSON_CFLAGS)

bin_PROGRAMS += acapctl/acapctl
acapctl_acapctl_SOURCES = \
	acapctl/term/main.c \
	acapctl/term/repl.c acapctl/term/repl.h \
	acapctl/client/ctl.c acapctl/client/ctl.h \
	acapctl/cmd/cmds.c acapctl/cmd/cmds.h \
	acapctl/model/registry.c acapctl/model/registry.h \
	acapctl/model/domains.c acapctl/model/domains.h \
	acapctl/model/profiles.c acapctl/model/profiles.h \
	acapctl/cmd/cmd-help.c \
	acapctl/cmd/cmd-org.c \
	acapctl/cmd/cmd-domain.c \
	acapctl/cmd/cmd-profile.c \
	acapctl/cmd/cmd-user.c \
	acapctl/cmd/cmd-set.c \
	acapctl/cmd/cmd-device.c \
	acapctl/cmd/cmd-io.c \
	acapctl/cmd/cmd-history.c \
	acapctl/cmd/cmd-misc.c \
	acapctl/cmd/cmd-stats.c \
	acapctl/client/scrape.c acapctl/client/scrape.h
acapctl_acapctl_CFLAGS = $(AM_CFLAGS) $(CTL_IQUOTE) \
	$(LIBEDIT_CFLAGS) $(OPENSSL_CFLAGS) $(SASL_CFLAGS) $(JANSSON_CFLAGS) \
	$(LIBPQ_CFLAGS)
# userdb.c (sasldb management, owned by the security layer) comes in
# acapd/libsecurity.a together with the acapd/sasl.c it builds on.
acapctl_acapctl_LDADD = acapctl/libctl.a acapd/libsecurity.a acapd/libnames.a \
	libacap/libacap.a $(LIBEDIT_LIBS) $(OPENSSL_LIBS) $(SASL_LIBS) \
	$(JANSSON_LIBS) $(LIBPQ_LIBS)

dist_man_MANS += doc/acapctl.1
# The site-layer seed, in acapctl's import format (doc/settings.md §8).
dist_pkgdata_DATA += schema/site-template.json
EXTRA_DIST += doc/settings.md acapctl/term/README.md acapctl/cmd/README.md \
	acapctl/model/README.md acapctl/client/README.md
