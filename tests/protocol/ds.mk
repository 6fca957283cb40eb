# Dataset scenarios (RFC 2244 §3-§6: STORE, SEARCH, DELETEDSINCE,
# GETQUOTA, inheritance, persistence, crash safety): each runs against a
# fresh acapd.  ds-lib.sh is sourced by the ds-*.sh scenarios;
# ds-known-bugs.acap holds RFC-correct expectations the server does not
# meet yet (run it by hand; it is not a test until they are fixed).
PROTOCOL_TESTS += \
	tests/protocol/ds-model.acap \
	tests/protocol/ds-store.acap \
	tests/protocol/ds-dataset.acap \
	tests/protocol/ds-persist.acap \
	tests/protocol/ds-modtime.acap \
	tests/protocol/ds-search.acap \
	tests/protocol/ds-compare.acap \
	tests/protocol/ds-virtual.acap \
	tests/protocol/ds-inherit.acap \
	tests/protocol/ds-quota.acap \
	tests/protocol/ds-database-sqlite.acap \
	tests/protocol/ds-group-commit.acap \
	tests/protocol/ds-group-commit-inloop.acap \
	tests/protocol/ds-rfc-examples.acap \
	tests/protocol/ds-edge.acap \
	tests/protocol/ds-subdataset-root.acap \
	tests/protocol/ds-deletedsince.sh \
	tests/protocol/ds-concurrent.sh \
	tests/protocol/ds-crash.sh
EXTRA_DIST += \
	tests/protocol/ds-lib.sh \
	tests/protocol/ds-known-bugs.acap
