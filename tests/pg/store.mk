# The PostgreSQL store backend (acapd/store-pg.c): two nodes on one
# throw-away cluster (tests/pg/nodes.py: cross-node notifications and
# their latency, UNCHANGEDSINCE and DELETEDSINCE races, a cut change
# feed) and the copy of a SQLite instance into PostgreSQL.
PG_STORE_TESTS = tests/pg/nodes.sh
TESTS += $(PG_STORE_TESTS)
EXTRA_DIST += $(PG_STORE_TESTS) tests/pg/nodes.py
