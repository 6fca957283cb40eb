# Dataset scenarios (RFC 2244 §3-§6: STORE, SEARCH, DELETEDSINCE,
# GETQUOTA, inheritance, persistence): each runs against a fresh acapd.
# tests/protocol/ds-known-bugs.acap (RFC-correct expectations the server
# does not meet yet) and ds-lib.sh (sourced) are not tests.
PROTOCOL_TESTS += \
	tests/protocol/ds-model.acap \
	tests/protocol/ds-store.acap \
	tests/protocol/ds-dataset.acap \
	tests/protocol/ds-persist.acap \
	tests/protocol/ds-modtime.acap \
	tests/protocol/ds-search.acap \
	tests/protocol/ds-compare.acap \
	tests/protocol/ds-virtual.acap \
	tests/protocol/ds-inherit.acap
EXTRA_DIST += tests/protocol/ds-known-bugs.acap
