/*
 * bench-hist-overflow.c -- reproducer for a heap-buffer-overflow that
 * tests/sanitizers.sh found in tests/bench/bench-hist.c (not fixed yet;
 * not built by make).  Any value >= 2^39 ns gets a bucket index of
 * 2176..2239, past buckets[HIST_NBUCKETS = 2176]: hist_index() clamps to
 * 2^40 - 1, whose exponent 39 gives k = 34 and 34 * 64 = 2176.
 *
 * From the source tree, with BUILD a configured build directory (for
 * autoconf.h):
 *   cc -g -fsanitize=address -iquote tests/bench -iquote libacap \
 *       -I"$BUILD" tests/fuzz/regressions/open/bench-hist-overflow.c \
 *       tests/bench/bench-hist.c libacap/acap-buf.c -o /tmp/hist-overflow
 *   /tmp/hist-overflow
 *
 * ASan: "heap-buffer-overflow ... READ of size 8" in bench_hist_add
 * (bench-hist.c:109), just right of the 17440-byte histogram (2^39 gives
 * index 2176; UINT64_MAX / 2, as in check_bench's hist_huge_value_clamped
 * under --enable-sanitizers, gives 2239, 504 bytes past it).  The fix is
 * HIST_NBUCKETS = (HIST_MAX_BITS - HIST_SUB_BITS + 1) * HIST_SUB.  Once
 * fixed, delete this file.
 */
#include <stdint.h>

#include "bench-hist.h"

int
main(void)
{
	struct bench_hist *h = bench_hist_new();

	bench_hist_add(h, (uint64_t)1 << 39);	/* the first bad value */
	bench_hist_free(&h);
	return 0;
}
