# PostgreSQL: the throw-away cluster the PostgreSQL tests and benchmarks
# start (tests/pg/pg-cluster.sh: initdb as an unprivileged user, Unix
# socket in a temporary directory, fsync on).  PostgreSQL comes from
# tools/deps.sh; without it these tests fail, they never skip.
PG_TESTS = tests/pg/cluster.sh
TESTS += $(PG_TESTS)
EXTRA_DIST += $(PG_TESTS) tests/pg/pg-cluster.sh
