/*
 * server.h -- process-wide state of acapd: the event base, listeners, the
 * set of connections, the store and the TLS context.  Owned by main.c and
 * conn.c (which adds and removes connections); everything else reads it.
 */
#ifndef SERVER_H
#define SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
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

/*
 * The local address and port of socket fd (a listener), as text: addr
 * keeps "?" and the result is 0 when the family is neither IPv4 nor IPv6.
 */
static inline unsigned int
server_sockname(int fd, int *family_r, char *addr, size_t addrlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	getsockname(fd, (struct sockaddr *)&ss, &sslen);
	*family_r = ss.ss_family;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (void *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, addr, (socklen_t)addrlen);
		return ntohs(s4->sin_port);
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, (socklen_t)addrlen);
		return ntohs(s6->sin6_port);
	}
	return 0;
}

#endif
