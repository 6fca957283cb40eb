# Reliability tests (issue "Reliability and security hardening", parts 3
# and 4): crash safety, full disk, overload, abuse and start-up readiness
# (the port file), and the seeded adversarial test of locks, tenant walls
# and bounded work (issue 14), against a live acapd
# on 127.0.0.1.  Python 3 helpers behind sh wrappers (skip 77 without
# python3).  soak.sh MINUTES, the long mixed load, is not in TESTS: it
# is run by hand.  Method and figures: doc/reliability.md.
RELIABILITY_TESTS = \
	tests/reliability/crash.sh \
	tests/reliability/powerloss.sh \
	tests/reliability/diskfull.sh \
	tests/reliability/diskfull-restart.sh \
	tests/reliability/overload.sh \
	tests/reliability/stream.sh \
	tests/reliability/abuse.sh \
	tests/reliability/activation.sh \
	tests/reliability/startup.sh \
	tests/reliability/tlsread.sh \
	tests/reliability/bounded.sh \
	tests/reliability/adversarial.sh
TESTS += $(RELIABILITY_TESTS)
EXTRA_DIST += $(RELIABILITY_TESTS) \
	tests/reliability/lib.sh \
	tests/reliability/acaprel.py \
	tests/reliability/crash.py \
	tests/reliability/powerloss.c \
	tests/reliability/diskfull.py \
	tests/reliability/overload.py \
	tests/reliability/stream.py \
	tests/reliability/abuse.py \
	tests/reliability/activation.py \
	tests/reliability/tlsread.py \
	tests/reliability/bounded.py \
	tests/reliability/adversarial.py \
	tests/reliability/startup.py \
	tests/reliability/soak.sh \
	tests/reliability/soak.py \
	tests/reliability/diskfull-restart.py \
	doc/reliability.md

# The power-loss shim preloaded into acapd by crash.py --powerloss.  Built
# by "make check" as a plain shared object, without the suite's CFLAGS
# (sanitizer or fuzzer instrumentation does not belong in a preload).
check_DATA = tests/reliability/powerloss.so
CLEANFILES += tests/reliability/powerloss.so
tests/reliability/powerloss.so: $(srcdir)/tests/reliability/powerloss.c
	@$(MKDIR_P) tests/reliability
	$(AM_V_CC)$(CC) -std=gnu11 $(WARN_CFLAGS) -O2 -g -fPIC -shared \
	    -o $@ $(srcdir)/tests/reliability/powerloss.c -ldl -lpthread
