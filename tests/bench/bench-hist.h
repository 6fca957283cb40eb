/*
 * bench-hist.h -- latency histogram: owns one log-linear histogram of
 * nanosecond values (quantiles within 1.6%), its exact count/min/max/sum,
 * and an encoding that ships it from a worker to the master.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stddef.h>
#include <stdint.h>

struct acap_buf;
struct bench_hist;

/* A new, empty histogram; aborts on allocation failure. */
struct bench_hist *bench_hist_new(void);
/* Free it; sets *hp = NULL.  NULL is fine. */
void bench_hist_free(struct bench_hist **hp);

/* Forget every value. */
void bench_hist_reset(struct bench_hist *h);
/* Record one value in nanoseconds (values past ~18 minutes are clamped). */
void bench_hist_add(struct bench_hist *h, uint64_t ns);
/* Add every value of src to dst. */
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);

/* Number of values recorded. */
uint64_t bench_hist_count(const struct bench_hist *h);
/* Exact minimum and maximum; 0 when empty. */
uint64_t bench_hist_min(const struct bench_hist *h);
uint64_t bench_hist_max(const struct bench_hist *h);
/* Exact mean; 0 when empty. */
double bench_hist_mean(const struct bench_hist *h);
/*
 * The value at quantile q (0 < q <= 1: 0.5 median, 0.99 p99): the middle
 * of the bucket holding the ceil(q * count)-th smallest value, clamped to
 * [min, max].  0 when empty.
 */
uint64_t bench_hist_quantile(const struct bench_hist *h, double q);

/*
 * Append an encoding of h to out (non-empty buckets only: a few hundred
 * octets for a typical run).  bench_hist_decode_merge() adds an encoded
 * histogram of len octets at data to h; returns 0, or -1 when the data is
 * malformed (h is then unchanged).
 */
void bench_hist_encode(const struct bench_hist *h, struct acap_buf *out);
int bench_hist_decode_merge(struct bench_hist *h, const void *data,
    size_t len);

#endif
