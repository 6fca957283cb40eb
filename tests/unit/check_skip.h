/*
 * check_skip.h -- a Check test that cannot run here says so.
 *
 * Check has no "skipped" result: a test function that returns early
 * passes.  CK_SKIP("reason") prints "SKIP: <function>: reason" on stdout
 * (the test's log) and returns; tools/summary.sh counts that function
 * as skipped, not passed, and the test command fails on a skip that
 * tools/skips-allowed does not name.  A tool that tools/deps.sh
 * installs is never a reason to skip: fail instead (ck_abort_msg).
 */
#ifndef CHECK_SKIP_H
#define CHECK_SKIP_H

#include <stdio.h>

#define CK_SKIP(reason) do {						\
	printf("SKIP: %s: %s\n", __func__, (reason));			\
	fflush(stdout);							\
	return;								\
} while (0)

#endif
