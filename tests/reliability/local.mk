# Reliability tests (issue "Reliability and security hardening", parts 3
# and 4): crash safety, full disk, overload and abuse against a live acapd
# on 127.0.0.1.  Python 3 helpers behind sh wrappers (skip 77 without
# python3).  The *-known-bug* files reproduce open bugs and are not in
# TESTS; soak.sh MINUTES is the long mixed load, run by hand.  Method and
# figures: doc/reliability.md.
RELIABILITY_TESTS = \
	tests/reliability/crash.sh \
	tests/reliability/diskfull.sh \
	tests/reliability/diskfull-restart.sh \
	tests/reliability/overload.sh \
	tests/reliability/abuse.sh \
	tests/reliability/activation.sh
TESTS += $(RELIABILITY_TESTS)
EXTRA_DIST += $(RELIABILITY_TESTS) \
	tests/reliability/lib.sh \
	tests/reliability/acaprel.py \
	tests/reliability/crash.py \
	tests/reliability/diskfull.py \
	tests/reliability/overload.py \
	tests/reliability/abuse.py \
	tests/reliability/activation.py \
	tests/reliability/overload-known-bug.sh \
	tests/reliability/overload-known-bug.py \
	tests/reliability/soak.sh \
	tests/reliability/soak.py \
	tests/reliability/diskfull-restart.py \
	doc/reliability.md
