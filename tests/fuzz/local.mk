# Fuzzing (acapd faces the open Internet, RFC 5383 §8).  With
# --enable-fuzzer (clang) the libFuzzer targets are built; otherwise the
# same targets are linked with tests/fuzz/replay.c, and "make check" runs
# every seed and regression input through them (tests/fuzz/replay.sh).
# tests/fuzz/run.sh does a clang build of its own and fuzzes for a while.
FUZZ_TARGETS = fuzz-parser fuzz-writer fuzz-dspath fuzz-comparator
FUZZ_COMMON = tests/fuzz/fuzz-common.c tests/fuzz/fuzz-common.h
FUZZ_CODEC_LIBS = libacap/libacap.a
FUZZ_NAMES_LIBS = acapd/libnames.a libacap/libacap.a

if ENABLE_FUZZER
# The code under test must itself be built with -fsanitize=fuzzer-no-link
# (run.sh puts it in CFLAGS); the targets add libFuzzer's main.
FUZZ_LINK = -fsanitize=fuzzer
noinst_PROGRAMS += tests/fuzz/fuzz-parser tests/fuzz/fuzz-writer \
	tests/fuzz/fuzz-dspath tests/fuzz/fuzz-comparator
else
FUZZ_LINK =
check_PROGRAMS += tests/fuzz/replay-parser tests/fuzz/replay-writer \
	tests/fuzz/replay-dspath tests/fuzz/replay-comparator
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

# Seeds and regression inputs through every target, with either build.
TESTS += tests/fuzz/replay.sh
EXTRA_DIST += tests/fuzz/replay.sh tests/fuzz/run.sh \
	tests/fuzz/make-corpus.sh tests/fuzz/corpus tests/fuzz/regressions
