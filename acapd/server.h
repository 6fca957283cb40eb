/*
 * server.h -- process-wide state of acapd: the event base, listeners, the
 * set of connections, the store and the TLS context.  Owned by main.c and
 * conn.c (which adds and removes connections); everything else reads it.
 */
#ifndef SERVER_H
#define SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <time.h>

struct event_base;
struct evconnlistener;
struct store;
struct tls_ctx;
struct conn;

#define SERVER_MAX_LISTENERS 16

struct server {
	struct event_base *base;
	struct evconnlistener *listeners[SERVER_MAX_LISTENERS];
	size_t nlisteners;
	bool accept_paused;

	TAILQ_HEAD(, conn) conns;
	size_t nconns;
	size_t nconns_unauth;
	size_t max_conns;	/* from config or RLIMIT_NOFILE */

	struct store *store;
	struct tls_ctx *tls;		/* NULL: no STARTTLS */
	bool shutting_down;
};

extern struct server *srv;

/* The monotonic clock in microseconds (timeouts, slices, timings). */
static inline long long
server_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif
