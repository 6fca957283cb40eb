# Trust scenarios (issue "Trust: admin locks, tenant walls and bounded
# work"; doc/security.md §4): each finding of the hostile-user review has
# a regression test named after it.
PROTOCOL_TESTS += \
	tests/protocol/trust-lock-paths.acap
PROTOCOL_TESTS += \
	tests/protocol/trust-walls.sh \
	tests/protocol/trust-user-del.sh
PROTOCOL_TESTS += \
	tests/protocol/trust-walls-upgrade.sh \
	tests/protocol/trust-oracles.acap
