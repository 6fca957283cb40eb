# The audit trail (doc/audit.md): what is recorded, what is not (refused
# and failed STOREs), redaction, admin-only reading, retention; and
# acapctl history over it.
PROTOCOL_TESTS += \
	tests/protocol/audit.acap \
	tests/protocol/ctl-history.sh
