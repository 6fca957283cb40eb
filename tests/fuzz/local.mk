# Fuzzing (acapd faces the open Internet, RFC 5383 §8).  With
# --enable-fuzzer (clang) the libFuzzer targets are built; otherwise the
# same targets are linked with tests/fuzz/replay.c, and "make check" runs
# every seed and regression input through them (tests/fuzz/replay.sh).
# tests/fuzz/run.sh does a clang build of its own and fuzzes for a while.
FUZZ_COMMON = tests/fuzz/fuzz-common.c tests/fuzz/fuzz-common.h
FUZZ_CODEC_LIBS = libacap/libacap.a
FUZZ_NAMES_LIBS = acapd/libnames.a libacap/libacap.a

if ENABLE_FUZZER
# The code under test must itself be built with -fsanitize=fuzzer-no-link
# (run.sh puts it in CFLAGS); the targets add libFuzzer's main.
FUZZ_LINK = -fsanitize=fuzzer
noinst_PROGRAMS += tests/fuzz/fuzz-parser tests/fuzz/fuzz-writer \
	tests/fuzz/fuzz-dspath tests/fuzz/fuzz-comparator \
	tests/fuzz/fuzz-command tests/fuzz/fuzz-discovery
else
FUZZ_LINK =
check_PROGRAMS += tests/fuzz/replay-parser tests/fuzz/replay-writer \
	tests/fuzz/replay-dspath tests/fuzz/replay-comparator \
	tests/fuzz/replay-command tests/fuzz/replay-discovery
endif

tests_fuzz_fuzz_parser_SOURCES = tests/fuzz/fuzz-parser.c $(FUZZ_COMMON)
tests_fuzz_fuzz_parser_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_parser_LDADD = $(FUZZ_CODEC_LIBS)
tests_fuzz_fuzz_writer_SOURCES = tests/fuzz/fuzz-writer.c $(FUZZ_COMMON)
tests_fuzz_fuzz_writer_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_writer_LDADD = $(FUZZ_CODEC_LIBS)
tests_fuzz_fuzz_dspath_SOURCES = tests/fuzz/fuzz-dspath.c $(FUZZ_COMMON)
tests_fuzz_fuzz_dspath_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_dspath_LDADD = $(FUZZ_NAMES_LIBS)
tests_fuzz_fuzz_comparator_SOURCES = tests/fuzz/fuzz-comparator.c \
	$(FUZZ_COMMON)
tests_fuzz_fuzz_comparator_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_comparator_LDADD = $(FUZZ_NAMES_LIBS)

tests_fuzz_replay_parser_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz-parser.c $(FUZZ_COMMON)
tests_fuzz_replay_parser_LDADD = $(FUZZ_CODEC_LIBS)
tests_fuzz_replay_writer_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz-writer.c $(FUZZ_COMMON)
tests_fuzz_replay_writer_LDADD = $(FUZZ_CODEC_LIBS)
tests_fuzz_replay_dspath_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz-dspath.c $(FUZZ_COMMON)
tests_fuzz_replay_dspath_LDADD = $(FUZZ_NAMES_LIBS)
tests_fuzz_replay_comparator_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz-comparator.c $(FUZZ_COMMON)
tests_fuzz_replay_comparator_LDADD = $(FUZZ_NAMES_LIBS)

# Discovery's request parsers and the answers' XML (acapd/disc-req.c,
# libacap/profile.c), checked with expat.
FUZZ_DISC_SOURCES = tests/fuzz/fuzz-discovery.c $(FUZZ_COMMON) \
	acapd/disc-req.c acapd/disc-req.h
tests_fuzz_fuzz_discovery_SOURCES = $(FUZZ_DISC_SOURCES)
tests_fuzz_fuzz_discovery_CFLAGS = $(AM_CFLAGS) $(EXPAT_CFLAGS)
tests_fuzz_fuzz_discovery_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_discovery_LDADD = $(FUZZ_CODEC_LIBS) $(EXPAT_LIBS)
tests_fuzz_replay_discovery_SOURCES = tests/fuzz/replay.c $(FUZZ_DISC_SOURCES)
tests_fuzz_replay_discovery_CFLAGS = $(AM_CFLAGS) $(EXPAT_CFLAGS)
tests_fuzz_replay_discovery_LDADD = $(FUZZ_CODEC_LIBS) $(EXPAT_LIBS)

# The command layer in-process: acapd's sources without main.c.
# XXX this list repeats acapd_acapd_SOURCES (acapd/local.mk) minus main.c
# and goes stale when a handler is added there; a convenience library of
# those objects, linked by acapd and here, would end the duplication.
FUZZ_ACAPD_SOURCES = \
	acapd/config.c acapd/log.c acapd/conn.c acapd/commands.c \
	acapd/greeting.c acapd/session.c acapd/acl.c acapd/access.c acapd/context.c \
	acapd/aclobj.c acapd/seed.c acapd/upgrade.c \
	acapd/startup.c acapd/cmd-authenticate.c acapd/cmd-deleteacl.c \
	acapd/cmd-listrights.c acapd/cmd-myrights.c acapd/cmd-setacl.c \
	acapd/cmd-freecontext.c acapd/cmd-updatecontext.c acapd/cmd-lang.c \
	acapd/cmd-logout.c acapd/cmd-noop.c acapd/cmd-starttls.c
FUZZ_ACAPD_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS) \
	$(SASL_CFLAGS) $(SQLITE_CFLAGS)
FUZZ_ACAPD_LIBS = $(ACAPD_LIBS) libacap/libacap.a $(LIBEVENT_LIBS) \
	$(OPENSSL_LIBS) $(SASL_LIBS) $(SQLITE_LIBS)
tests_fuzz_fuzz_command_SOURCES = tests/fuzz/fuzz-command.c \
	$(FUZZ_COMMON) $(FUZZ_ACAPD_SOURCES)
tests_fuzz_fuzz_command_CFLAGS = $(FUZZ_ACAPD_CFLAGS)
tests_fuzz_fuzz_command_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_command_LDADD = $(FUZZ_ACAPD_LIBS)
tests_fuzz_replay_command_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz-command.c $(FUZZ_COMMON) $(FUZZ_ACAPD_SOURCES)
tests_fuzz_replay_command_CFLAGS = $(FUZZ_ACAPD_CFLAGS)
tests_fuzz_replay_command_LDADD = $(FUZZ_ACAPD_LIBS)

# Seeds and regression inputs through every target, with either build.
TESTS += tests/fuzz/replay.sh
EXTRA_DIST += tests/fuzz/replay.sh tests/fuzz/run.sh \
	tests/fuzz/coverage.sh tests/fuzz/make-corpus.sh tests/fuzz/acap.dict \
	tests/fuzz/corpus tests/fuzz/regressions
