/*
 * scrape.h -- read acapd's metrics endpoint (GET /metrics, Prometheus
 * text format 0.0.4) over HTTP/1.0 and keep its samples.
 *
 * Owns the samples of one scrape (struct scrape), freed by
 * scrape_free().  Only what "acapctl stats" needs: sample lines
 * "name{labels} value"; comments and HELP/TYPE lines are skipped.
 */
#ifndef ACAPCTL_SCRAPE_H
#define ACAPCTL_SCRAPE_H

#include <stddef.h>

struct scrape_sample {
	char *name;
	char *labels;		/* between the braces, "" without */
	double value;
};

struct scrape {
	struct scrape_sample *s;
	size_t n;
};

/*
 * GET http://hostport/metrics (hostport "HOST:PORT" or "[V6]:PORT"),
 * waiting at most timeout_s seconds for each step (0: no limit).
 * Returns 0, or -1 with a message in err (the address, and what failed).
 */
int scrape_fetch(const char *hostport, int timeout_s, struct scrape *sc,
    char *err, size_t errlen);

/*
 * The sum of the samples named name whose labels contain every one of
 * the comma-separated label="value" pairs of match (NULL or "": all).
 */
double scrape_sum(const struct scrape *sc, const char *name,
    const char *match);

/* The value of label key in a sample's labels, copied into buf ("" if
 * absent). */
const char *scrape_label(const struct scrape_sample *s, const char *key,
    char *buf, size_t size);

void scrape_free(struct scrape *sc);

#endif
