/*
 * metrics.h -- the registry of acapd's operational metrics: counters and
 * histograms with fixed label sets, rendered in the Prometheus text
 * exposition format (version 0.0.4) by metrics_render().
 *
 * A bottom-layer module: it includes no other header of acapd, so every
 * module may call it.  Owns every counter and histogram; the modules that
 * see an event report it with one call (conn.c, commands.c, context.c,
 * store-commit.c, sasl.c).  Gauges that some other module already owns
 * (connections, contexts) are not copied here: the caller of
 * metrics_render() reads them from their owners at scrape time and
 * passes them in struct metrics_gauges.
 *
 * Hot path: an increment is an array store, no allocation, no lock.
 * Every function here runs on the event loop's thread only; the commit
 * thread measures its COMMIT and hands the duration back with its result
 * (store-commit.c), which the loop's thread reports.
 */
#ifndef ACAPD_METRICS_H
#define ACAPD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* Plain counters without labels (or with a label fixed per counter). */
enum metrics_counter {
	M_CONN_ACCEPTED,
	M_CONN_CLOSED,
	M_CONN_REFUSED_SHUTDOWN,
	M_CONN_REFUSED_MAX,		/* max_connections */
	M_CONN_REFUSED_PER_IP,		/* max_connections_per_ip */
	M_CONN_REFUSED_UNAUTH,		/* max_unauth_connections */
	M_CONN_EVICTED_UNAUTH,		/* the oldest unauth one closed */
	M_TLS_OK,
	M_TLS_FAILED,
	M_NOTIFY_ADDTO,
	M_NOTIFY_REMOVEFROM,
	M_NOTIFY_CHANGE,
	M_NOTIFY_MODTIME,
	M_CONTEXTS_CREATED,
	M_STORE_COMMIT_OK,
	M_STORE_COMMIT_FAILED,
	M__NCOUNTERS
};

extern unsigned long long metrics_counters[M__NCOUNTERS];

static inline void
metrics_inc(enum metrics_counter m)
{
	metrics_counters[m]++;
}

/* The monotonic clock in microseconds, as server_now_us() (server.h) for
 * the layers below the connections. */
static inline long long
metrics_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Completion results of a tagged command (RFC 2244 §2.5). */
enum metrics_result { M_RES_OK, M_RES_NO, M_RES_BAD, M__NRESULTS };

/*
 * A command completed: verb (upper case, as in the command table; ""
 * or an unknown one counts as "unknown"), its result, and when it was
 * dispatched (server_now_us(); 0: no latency is recorded, e.g. a SASL
 * continuation).
 */
void metrics_command(const char *verb, enum metrics_result r,
    long long start_us);

/* An AUTHENTICATE ended in success or failure with mechanism mech. */
void metrics_auth(const char *mech, bool ok);

/*
 * A batch commit: the STOREs it made durable (0 when it failed), how
 * long the COMMIT (its WAL write and fsync) took, and whether it worked.
 */
void metrics_store_commit(size_t stores, long long commit_us, bool ok);

/* Values owned elsewhere, read when a scrape comes. */
struct metrics_gauges {
	size_t conns_unauth;
	size_t conns_auth;
	size_t conns_tls;
	size_t max_conns;
	size_t contexts;
	double start_time;	/* Unix time of the start, seconds */
};

/*
 * Write every family, HELP and TYPE first, in the text exposition format
 * 0.0.4 (Content-Type "text/plain; version=0.0.4").
 */
void metrics_render(FILE *fp, const struct metrics_gauges *g);

/* Back to zero (unit tests). */
void metrics_reset(void);

#endif
