# "make check-valgrind": the protocol scenarios with acapd under valgrind
# memcheck (tests/valgrind.sh); zero errors and zero leaks required.
# Suppressions, if any, live in tests/valgrind.supp with the reason for
# each.  Not part of "make check" (it takes minutes); CI runs it.
check-valgrind: all $(check_PROGRAMS)
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	    $(SHELL) $(top_srcdir)/tests/valgrind.sh \
	    $(PROTOCOL_TESTS:%=$(top_srcdir)/%)
.PHONY: check-valgrind
EXTRA_DIST += tests/valgrind.sh tests/valgrind.supp
CLEANFILES += tests/valgrind-logs/*
