# Access-control scenarios (RFC 2244 §3.5, §6.6.1, §6.7; doc/acl.md):
# each right alone, negative and group rights, admin locks, leak attempts,
# NOTIFY contexts following read rights, DELETEDSINCE across layers.
PROTOCOL_TESTS += \
	tests/protocol/acl-rights.acap \
	tests/protocol/acl-locks.acap \
	tests/protocol/acl-leaks.acap \
	tests/protocol/acl-notify.acap \
	tests/protocol/acl-deletedsince.sh
# acl-deletedsince.sh drives acapctl through the ctl scenarios' helpers
EXTRA_DIST += tests/protocol/ctl-lib.sh
