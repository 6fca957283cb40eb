/*
 * bench-hist.c -- log-linear latency histogram: owns its bucket array (one
 * bucket per value below 128 ns, then 64 per power of two); the encoding
 * is native byte order, for the processes of one run.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"
#include "bench-hist.h"

#define HIST_SUB_BITS	6
#define HIST_SUB	(1u << HIST_SUB_BITS)	/* buckets per power of two */
#define HIST_MAX_BITS	40			/* values < 2^40 ns (~18 min) */
/* indexes reach (HIST_MAX_BITS - HIST_SUB_BITS) * HIST_SUB + HIST_SUB - 1 */
#define HIST_NBUCKETS	((HIST_MAX_BITS - HIST_SUB_BITS + 1) * HIST_SUB)
#define HIST_MAGIC	0x54534842u		/* "BHST" */

struct bench_hist {
	uint64_t count;
	uint64_t min;
	uint64_t max;
	uint64_t sum;
	uint64_t buckets[HIST_NBUCKETS];
};

struct hist_wire_head {
	uint32_t magic;
	uint32_t nonzero;
	uint64_t count;
	uint64_t min;
	uint64_t max;
	uint64_t sum;
};

struct hist_wire_bucket {
	uint32_t index;
	uint32_t pad;
	uint64_t count;
};

static unsigned int
hist_index(uint64_t v)
{
	unsigned int e, k;

	if (v >= ((uint64_t)1 << HIST_MAX_BITS))
		v = ((uint64_t)1 << HIST_MAX_BITS) - 1;
	if (v < 2 * HIST_SUB)
		return (unsigned int)v;
	e = 63 - (unsigned int)__builtin_clzll(v);	/* >= 7 */
	k = e - HIST_SUB_BITS + 1;			/* >= 2 */
	return k * HIST_SUB + (unsigned int)((v >> (k - 1)) - HIST_SUB);
}

/* Lowest value of bucket idx and the bucket's width. */
static void
hist_bucket_range(unsigned int idx, uint64_t *lo_r, uint64_t *width_r)
{
	unsigned int k, m;

	if (idx < 2 * HIST_SUB) {
		*lo_r = idx;
		*width_r = 1;
		return;
	}
	k = idx / HIST_SUB;
	m = idx % HIST_SUB + HIST_SUB;
	*lo_r = (uint64_t)m << (k - 1);
	*width_r = (uint64_t)1 << (k - 1);
}

struct bench_hist *
bench_hist_new(void)
{
	struct bench_hist *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		abort();
	return h;
}

void
bench_hist_free(struct bench_hist **hp)
{
	free(*hp);
	*hp = NULL;
}

void
bench_hist_reset(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void
bench_hist_add(struct bench_hist *h, uint64_t ns)
{
	if (h->count == 0 || ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->count++;
	h->sum += ns;
	h->buckets[hist_index(ns)]++;
}

void
bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	size_t i;

	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	for (i = 0; i < HIST_NBUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
}

uint64_t
bench_hist_count(const struct bench_hist *h)
{
	return h->count;
}

uint64_t
bench_hist_min(const struct bench_hist *h)
{
	return h->min;
}

uint64_t
bench_hist_max(const struct bench_hist *h)
{
	return h->max;
}

double
bench_hist_mean(const struct bench_hist *h)
{
	return h->count == 0 ? 0.0 : (double)h->sum / (double)h->count;
}

uint64_t
bench_hist_quantile(const struct bench_hist *h, double q)
{
	uint64_t rank, seen = 0, lo, width, v;
	size_t i;

	if (h->count == 0)
		return 0;
	if (q <= 0.0)
		return h->min;
	if (q >= 1.0)
		return h->max;
	/* ceil(q * count), at least 1 */
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < HIST_NBUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	if (i == HIST_NBUCKETS)
		return h->max;
	hist_bucket_range((unsigned int)i, &lo, &width);
	v = lo + width / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

void
bench_hist_encode(const struct bench_hist *h, struct acap_buf *out)
{
	struct hist_wire_head head;
	struct hist_wire_bucket b;
	size_t i;

	memset(&head, 0, sizeof(head));
	head.magic = HIST_MAGIC;
	head.count = h->count;
	head.min = h->min;
	head.max = h->max;
	head.sum = h->sum;
	for (i = 0; i < HIST_NBUCKETS; i++)
		if (h->buckets[i] != 0)
			head.nonzero++;
	acap_buf_add(out, &head, sizeof(head));
	memset(&b, 0, sizeof(b));
	for (i = 0; i < HIST_NBUCKETS; i++) {
		if (h->buckets[i] == 0)
			continue;
		b.index = (uint32_t)i;
		b.count = h->buckets[i];
		acap_buf_add(out, &b, sizeof(b));
	}
}

int
bench_hist_decode_merge(struct bench_hist *h, const void *data, size_t len)
{
	struct hist_wire_head head;
	struct hist_wire_bucket b;
	const unsigned char *p = data;
	struct bench_hist tmp;
	uint64_t total = 0;
	size_t i;

	if (len < sizeof(head))
		return -1;
	memcpy(&head, p, sizeof(head));
	if (head.magic != HIST_MAGIC ||
	    (len - sizeof(head)) / sizeof(b) != head.nonzero ||
	    (len - sizeof(head)) % sizeof(b) != 0)
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	tmp.count = head.count;
	tmp.min = head.min;
	tmp.max = head.max;
	tmp.sum = head.sum;
	for (i = 0; i < head.nonzero; i++) {
		memcpy(&b, p + sizeof(head) + i * sizeof(b), sizeof(b));
		if (b.index >= HIST_NBUCKETS)
			return -1;
		tmp.buckets[b.index] += b.count;
		total += b.count;
	}
	if (total != head.count)
		return -1;
	bench_hist_merge(h, &tmp);
	return 0;
}
