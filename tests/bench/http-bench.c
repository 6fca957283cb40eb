/*
 * http-bench.c -- load generator for acapd's discovery endpoints: GET
 * requests over keep-alive HTTP or HTTPS connections, one thread per
 * connection and one request in flight on each.  Closed loop (as fast as
 * answers come) or open loop at a total rate (--rate), where latency is
 * taken from each request's scheduled send time, so a stalled server
 * shows in the quantiles instead of slowing the sender down.
 *
 * Usage: http-bench -p PORT [-c CONNS] [-d SECONDS] [--rate N] [--tls]
 *                   [--host HOST] [--path PATH]
 * Prints one line: requests, answers/s, p50/p99/p99.9/max in ms, errors.
 * 127.0.0.1 only.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench-hist.h"

struct worker {
	pthread_t th;
	int id;
	struct bench_hist *hist;
	uint64_t done, errors;
};

static int port, conns = 1, seconds = 10;
static double rate;		/* total requests/s; 0: closed loop */
static bool use_tls;
static const char *host = "acme.example";
static const char *path = "/mail/config-v1.1.xml";
static SSL_CTX *ctx;
static char request[1024];
static size_t reqlen;
static uint64_t t_end;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct link {
	int fd;
	SSL *ssl;
	char buf[65536];
	size_t len;
};

static int
link_open(struct link *l)
{
	struct sockaddr_in sin;
	int one = 1;

	memset(l, 0, sizeof(*l));
	if ((l->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(l->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return -1;
	setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (use_tls) {
		l->ssl = SSL_new(ctx);
		SSL_set_fd(l->ssl, l->fd);
		if (SSL_connect(l->ssl) != 1)
			return -1;
	}
	return 0;
}

static void
link_close(struct link *l)
{
	if (l->ssl != NULL)
		SSL_free(l->ssl);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	l->ssl = NULL;
}

static ssize_t
link_write(struct link *l, const void *p, size_t n)
{
	return l->ssl != NULL ? SSL_write(l->ssl, p, (int)n) :
	    write(l->fd, p, n);
}

static ssize_t
link_read(struct link *l, void *p, size_t n)
{
	return l->ssl != NULL ? SSL_read(l->ssl, p, (int)n) :
	    read(l->fd, p, n);
}

/* Read one response (status 200 and Content-Length); 0 ok, -1 error. */
static int
read_response(struct link *l)
{
	char *hend, *cl;
	size_t need;
	ssize_t n;

	for (;;) {
		if ((hend = memmem(l->buf, l->len, "\r\n\r\n", 4)) != NULL) {
			*hend = '\0';
			cl = strcasestr(l->buf, "\r\nContent-Length:");
			need = (size_t)(hend + 4 - l->buf) +
			    (cl != NULL ? strtoul(cl + 17, NULL, 10) : 0);
			*hend = '\r';
			if (l->len >= need) {
				bool ok = strncmp(l->buf, "HTTP/1.1 200", 12)
				    == 0;

				memmove(l->buf, l->buf + need, l->len - need);
				l->len -= need;
				return ok ? 0 : -1;
			}
		}
		if (l->len == sizeof(l->buf))
			return -1;
		n = link_read(l, l->buf + l->len, sizeof(l->buf) - l->len);
		if (n <= 0)
			return -1;
		l->len += (size_t)n;
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct link l;
	uint64_t interval = rate > 0 ? (uint64_t)(1e9 * conns / rate) : 0;
	uint64_t next = now_ns() + (interval * (uint64_t)w->id) /
	    (uint64_t)conns, start, t;

	if (link_open(&l) == -1) {
		fprintf(stderr, "http-bench: connect: %s\n", strerror(errno));
		w->errors++;
		return NULL;
	}
	while ((t = now_ns()) < t_end) {
		if (interval > 0) {
			if (t < next) {
				struct timespec ts = { 0, (long)(next - t) };

				nanosleep(&ts, NULL);
			}
			start = next;
			next += interval;
		} else
			start = t;
		if (link_write(&l, request, reqlen) != (ssize_t)reqlen ||
		    read_response(&l) == -1) {
			w->errors++;
			link_close(&l);
			if (link_open(&l) == -1)
				break;
			continue;
		}
		bench_hist_add(w->hist, now_ns() - start);
		w->done++;
	}
	link_close(&l);
	return NULL;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "tls", no_argument, NULL, 't' },
		{ "host", required_argument, NULL, 'H' },
		{ "path", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	struct bench_hist *all = bench_hist_new();
	struct worker *ws;
	uint64_t done = 0, errors = 0, t0;
	double el;
	int ch, i;

	while ((ch = getopt_long(argc, argv, "p:c:d:", longopts, NULL)) != -1)
		switch (ch) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'c':
			conns = atoi(optarg);
			break;
		case 'd':
			seconds = atoi(optarg);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 't':
			use_tls = true;
			break;
		case 'H':
			host = optarg;
			break;
		case 'P':
			path = optarg;
			break;
		default:
			fprintf(stderr, "usage: http-bench -p PORT [-c CONNS] "
			    "[-d SECONDS] [--rate N] [--tls] [--host H] "
			    "[--path P]\n");
			return 2;
		}
	if (port <= 0 || conns < 1 || seconds < 1) {
		fprintf(stderr, "http-bench: -p PORT needed\n");
		return 2;
	}
	reqlen = (size_t)snprintf(request, sizeof(request), "GET %s HTTP/1.1"
	    "\r\nHost: %s\r\nUser-Agent: http-bench\r\n\r\n", path, host);
	if (use_tls) {
		/* a benchmark of the server's side: no verification here */
		ctx = SSL_CTX_new(TLS_client_method());
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	if ((ws = calloc((size_t)conns, sizeof(*ws))) == NULL)
		return 1;
	t0 = now_ns();
	t_end = t0 + (uint64_t)seconds * 1000000000u;
	for (i = 0; i < conns; i++) {
		ws[i].id = i;
		ws[i].hist = bench_hist_new();
		pthread_create(&ws[i].th, NULL, worker_main, &ws[i]);
	}
	for (i = 0; i < conns; i++) {
		pthread_join(ws[i].th, NULL);
		bench_hist_merge(all, ws[i].hist);
		bench_hist_free(&ws[i].hist);
		done += ws[i].done;
		errors += ws[i].errors;
	}
	el = (double)(now_ns() - t0) / 1e9;
	printf("%s %d conns, %s: %llu answers in %.1f s = %.0f/s; "
	    "p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms; "
	    "%llu errors\n", use_tls ? "https" : "http", conns,
	    rate > 0 ? "open loop" : "closed loop", (unsigned long long)done,
	    el,
	    (double)done / el, bench_hist_quantile(all, 0.50) / 1e6,
	    bench_hist_quantile(all, 0.99) / 1e6,
	    bench_hist_quantile(all, 0.999) / 1e6,
	    bench_hist_max(all) / 1e6, (unsigned long long)errors);
	if (rate > 0)
		printf("offered %.0f/s\n", rate);
	bench_hist_free(&all);
	free(ws);
	if (ctx != NULL)
		SSL_CTX_free(ctx);
	return errors > 0 && done == 0 ? 1 : 0;
}
