# PostgreSQL: the throw-away cluster the PostgreSQL tests and benchmarks
# start (tests/pg/pg-cluster.sh: initdb as an unprivileged user, Unix
# socket in a temporary directory, fsync on).  PostgreSQL comes from
# tools/deps.sh; without it these tests fail, they never skip.
PG_TESTS = tests/pg/cluster.sh tests/pg/sasl-accounts.sh
# Faults (issue 16, item 6): SIGKILL of a node and a PostgreSQL restart,
# both under load (faults.py, through the reliability tests' helpers).
PG_TESTS += tests/pg/faults.sh
# Every protocol scenario again against a PostgreSQL-backed acapd (about
# 9 minutes of one test slot on the shared 2-core machine).
PG_TESTS += tests/pg/scenarios.sh
TESTS += $(PG_TESTS)
EXTRA_DIST += $(PG_TESTS) tests/pg/pg-cluster.sh tests/pg/sqlite-only \
	tests/pg/single-node \
	tests/pg/no-store \
	tests/pg/faults.py

# The protocol scenarios against PostgreSQL (tests/pg/scenarios.sh) read
# their list from PROTOCOL_TESTS.  "make check-pg" runs only them;
# ACAPD_PG_ONLY="name ..." picks some.
tests/pg/scenarios.list: Makefile
	@$(MKDIR_P) tests/pg
	@for t in $(PROTOCOL_TESTS); do echo "$$t"; done > $@
check_DATA += tests/pg/scenarios.list
CLEANFILES += tests/pg/scenarios.list
check-pg: tests/pg/scenarios.list
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/pg/scenarios.sh'
.PHONY: check-pg
