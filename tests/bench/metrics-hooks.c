/*
 * metrics-hooks.c -- what acapd's metrics hooks cost per event, in CPU
 * time (so a loaded machine changes the figure little): the per-command
 * hook (metrics_command(): verb lookup, counter, latency histogram with
 * its clock read), a plain counter (metrics_inc()), and one rendering of
 * the whole exposition (a scrape).  Run on demand:
 *   tests/bench/metrics-hooks [ITERATIONS]
 * Figures in doc/performance.md.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "metrics.h"

static double
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	static const char *const verbs[] = { "SEARCH", "STORE", "NOOP",
	    "AUTHENTICATE", "UPDATECONTEXT", "LOGOUT" };
	struct metrics_gauges g = { 10, 100, 50, 1000, 20, 0 };
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	volatile long long sink = 0;
	double t0, t1;
	FILE *null;
	long i;

	if (n < 1000)
		n = 1000;
	/* a clock read alone: the part of the hook that is not ours */
	t0 = cpu_ns();
	for (i = 0; i < n; i++)
		sink += metrics_now_us();
	t1 = cpu_ns();
	printf("clock read (metrics_now_us):   %6.1f ns\n",
	    (t1 - t0) / n);
	t0 = cpu_ns();
	for (i = 0; i < n; i++)
		metrics_command(verbs[i % 6], M_RES_OK, metrics_now_us() - 150);
	t1 = cpu_ns();
	printf("per command (clock + hook):    %6.1f ns\n", (t1 - t0) / n);
	t0 = cpu_ns();
	for (i = 0; i < n; i++) {
		metrics_inc(M_NOTIFY_ADDTO);
		/* one increment each time round, not n folded into one */
		__asm__ volatile("" ::: "memory");
	}
	t1 = cpu_ns();
	printf("metrics_inc:                   %6.1f ns\n",
	    (t1 - t0) / n);
	if ((null = fopen("/dev/null", "w")) == NULL)
		return 1;
	t0 = cpu_ns();
	for (i = 0; i < 1000; i++)
		metrics_render(null, &g);
	t1 = cpu_ns();
	fclose(null);
	printf("one scrape (metrics_render):   %6.1f us\n",
	    (t1 - t0) / 1000 / 1000);
	return sink == 42 ? 1 : 0;
}
