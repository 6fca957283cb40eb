# Conformance gaps found with third-party clients (issue 17; the
# readings are in doc/protocol-notes.md).
PROTOCOL_TESTS += \
	tests/protocol/conf-lang-empty.acap \
	tests/protocol/conf-range-time.acap \
	tests/protocol/conf-long-store.acap \
	tests/protocol/conf-context-of-context.acap
