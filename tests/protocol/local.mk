# Protocol scenarios: each *.acap script runs against a fresh acapd on
# 127.0.0.1 (ephemeral port) through tests/protocol/acap-script.
check_PROGRAMS += tests/protocol/acap-script
tests_protocol_acap_script_SOURCES = tests/protocol/acap-script.c
tests_protocol_acap_script_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(SASL_CFLAGS)
tests_protocol_acap_script_LDADD = $(OPENSSL_LIBS) $(SASL_LIBS)

ACAP_LOG_COMPILER = $(top_builddir)/tests/protocol/acap-script
PROTOCOL_TESTS = \
	tests/protocol/greeting.acap \
	tests/protocol/noop-logout.acap \
	tests/protocol/lang.acap \
	tests/protocol/malformed.acap \
	tests/protocol/literals.acap \
	tests/protocol/pipelining.acap \
	tests/protocol/limits-preauth.acap \
	tests/protocol/bad-limit.acap \
	tests/protocol/state.acap \
	tests/protocol/shutdown.acap \
	tests/protocol/starttls.acap \
	tests/protocol/auth.acap \
	tests/protocol/auth-plain.acap \
	tests/protocol/auth-limits.acap \
	tests/protocol/robustness.acap \
	tests/protocol/privdrop.acap \
	tests/protocol/reload.acap \
	tests/protocol/idle.acap \
	tests/protocol/context-notify.acap \
	tests/protocol/context-inherit.acap \
	tests/protocol/context-limit.acap \
	tests/protocol/bounded-work.acap \
	tests/protocol/context-deferred.acap \
	tests/protocol/tls-output.acap \
	tests/protocol/slow-reader.acap \
	tests/protocol/search-stream.acap \
	tests/protocol/acl-commands.acap \
	tests/protocol/acl-groups.acap \
	tests/protocol/acl-groups-live.acap \
	tests/protocol/seed.acap \
	tests/protocol/auth-mechs.acap \
	tests/protocol/conn-caps.acap \
	tests/protocol/conn-unauth.acap \
	tests/protocol/bare-lf.acap \
	tests/protocol/reload-quota.acap \
	tests/protocol/auth-per-ip.acap
PROTOCOL_TESTS += tests/protocol/config-check.sh
# acapctl end to end against a live acapd (tests/protocol/ctl-lib.sh)
PROTOCOL_TESTS += \
	tests/protocol/ctl-basic.sh \
	tests/protocol/ctl-model.sh \
	tests/protocol/ctl-device.sh \
	tests/protocol/ctl-domain.sh \
	tests/protocol/ctl-profile.sh \
	tests/protocol/ctl-enrol.sh \
	tests/protocol/ctl-import.sh \
	tests/protocol/ctl-import-v1.sh \
	tests/protocol/ctl-import-bad.sh \
	tests/protocol/ctl-import-pipelined.sh \
	tests/protocol/ctl-lint.sh \
	tests/protocol/ctl-watch.sh \
	tests/protocol/ctl-lock.sh \
	tests/protocol/ctl-shell.sh \
	tests/protocol/ctl-export-file.sh \
	tests/protocol/ctl-export-paged.sh \
	tests/protocol/search-paged.sh
# provisioning loses nothing: parallel adders while acapd authenticates,
# and an import of a few thousand users with their accounts
PROTOCOL_TESTS += \
	tests/protocol/ctl-useradd-race.sh \
	tests/protocol/ctl-import-accounts.sh
EXTRA_DIST += tests/protocol/ctl-lib.sh tests/protocol/fixtures/export-v1.json \
	tests/protocol/cram-loop.py tests/protocol/search-paged.py
# file safety (issue 14): state directory, admin password, database modes
PROTOCOL_TESTS += \
	tests/protocol/sec-statedir.sh \
	tests/protocol/sec-admin-password.sh \
	tests/protocol/sec-db-mode.sh
EXTRA_DIST += tests/protocol/sec-lib.sh
# the metrics endpoint and acapctl stats (issue 18)
PROTOCOL_TESTS += tests/protocol/metrics.sh
SH_LOG_COMPILER = $(SHELL)
TESTS += $(PROTOCOL_TESTS)
EXTRA_DIST += $(PROTOCOL_TESTS)
include tests/protocol/ds.mk
include tests/protocol/trust.mk
include tests/protocol/acl.mk
include tests/protocol/conformance.mk
include tests/protocol/audit.mk
include tests/protocol/disc.mk
