# Benchmarks (issue "Performance"): acap-bench, the load generator, and
# sqlite-commit, the durable-commit baseline; metrics-hooks, the CPU
# cost of the metrics hooks.  "make" builds them;
# "make check" does not run them (benchmarks are never timed unit tests),
# it only runs the unit suite of their helpers (check_bench).
# Scripts: tests/bench/run-*.sh; results: doc/performance.md.
noinst_PROGRAMS += tests/bench/acap-bench tests/bench/sqlite-commit \
	tests/bench/metrics-hooks tests/bench/http-bench

tests_bench_acap_bench_SOURCES = \
	tests/bench/acap-bench.c \
	tests/bench/bench-client.c tests/bench/bench-client.h \
	tests/bench/bench-hist.c tests/bench/bench-hist.h \
	tests/bench/bench-json.c tests/bench/bench-json.h \
	tests/bench/bench-proc.c tests/bench/bench-proc.h \
	tests/bench/bench-provision.c tests/bench/bench-provision.h \
	tests/bench/bench-server.c tests/bench/bench-server.h
tests_bench_acap_bench_CPPFLAGS = $(AM_CPPFLAGS) -iquote $(top_srcdir)/acapctl/client
tests_bench_acap_bench_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(SASL_CFLAGS) \
	$(JANSSON_CFLAGS)
tests_bench_acap_bench_LDADD = acapd/libsecurity.a acapd/libnames.a \
	libacap/libacap.a \
	$(OPENSSL_LIBS) $(SASL_LIBS) $(JANSSON_LIBS) $(LIBPQ_LIBS) -lm

# discovery over HTTP (run-http.sh)
tests_bench_http_bench_SOURCES = tests/bench/http-bench.c \
	tests/bench/bench-hist.c tests/bench/bench-hist.h
tests_bench_http_bench_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_bench_http_bench_LDADD = libacap/libacap.a $(OPENSSL_LIBS) -lpthread -lm

tests_bench_sqlite_commit_SOURCES = tests/bench/sqlite-commit.c
tests_bench_sqlite_commit_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_bench_sqlite_commit_LDADD = $(SQLITE_LIBS)

tests_bench_metrics_hooks_SOURCES = tests/bench/metrics-hooks.c
tests_bench_metrics_hooks_LDADD = acapd/libnames.a

EXTRA_DIST += tests/bench/run-idle.sh tests/bench/run-setup.sh \
	tests/bench/run-store.sh tests/bench/run-fanout.sh \
	tests/bench/run-mixed.sh tests/bench/run-all.sh \
	tests/bench/run-redis.sh tests/bench/run-scaling.sh \
	tests/bench/run-growth.sh tests/bench/run-http.sh \
	tests/bench/run-import.sh tests/bench/run-export.sh tests/bench/gen-users.py \
	tests/bench/run-pg-store.sh tests/bench/run-pg-node.sh \
	tests/bench/run-pg-nodes.sh \
	tests/bench/plot.sh tests/bench/lib.sh

if HAVE_CHECK
check_PROGRAMS += tests/bench/check_bench
TESTS += tests/bench/check_bench
tests_bench_check_bench_SOURCES = tests/bench/check_bench.c \
	tests/bench/bench-client.c tests/bench/bench-hist.c \
	tests/bench/bench-json.c tests/bench/bench-proc.c
tests_bench_check_bench_CFLAGS = $(UNIT_CFLAGS) $(OPENSSL_CFLAGS) \
	$(JANSSON_CFLAGS)
tests_bench_check_bench_LDADD = libacap/libacap.a $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(UNIT_LIBS) -lm
endif
