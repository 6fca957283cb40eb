/*
 * metrics-http.c -- the /metrics endpoint (metrics-http.h): a small
 * evhttp instance on acapd's event base, on its own socket.  The
 * exposition is the Prometheus text format 0.0.4 (metrics.c renders it).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "config.h"
#include "conn.h"
#include "context.h"
#include "log.h"
#include "metrics-http.h"
#include "metrics.h"
#include "server.h"

static struct evhttp *http;
static double start_time;

static bool
metrics_off(const char *spec)
{
	return spec[0] == '\0' || strcmp(spec, "none") == 0;
}

int
metrics_http_check(const char *spec, char *errbuf, size_t errlen)
{
	char host[256], port[32], *end;
	unsigned long n;

	if (metrics_off(spec))
		return 0;
	if (strchr(spec, ' ') != NULL || strchr(spec, ':') == NULL ||
	    config_split_hostport(spec, "", host, sizeof(host), port,
	    sizeof(port)) == -1)
		goto bad;
	errno = 0;
	n = strtoul(port, &end, 10);
	if (port[0] < '0' || port[0] > '9' || *end != '\0' || errno != 0 ||
	    n > 65535)
		goto bad;
	return 0;
bad:
	snprintf(errbuf, errlen, "option metrics_listen: \"%s\" is not "
	    "HOST:PORT (or none)", spec);
	return -1;
}

static void
reply_error(struct evhttp_request *req, int code, const char *reason)
{
	struct evbuffer *b = evhttp_request_get_output_buffer(req);

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	evbuffer_add_printf(b, "%d %s\n", code, reason);
	evhttp_send_reply(req, code, reason, NULL);
}

static void
metrics_cb(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	struct metrics_gauges g;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	(void)arg;
	if (path == NULL || strcmp(path, "/metrics") != 0) {
		reply_error(req, HTTP_NOTFOUND, "Not Found");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET");
		reply_error(req, HTTP_BADMETHOD, "Method Not Allowed");
		return;
	}
	memset(&g, 0, sizeof(g));
	conn_count_states(&g.conns_unauth, &g.conns_auth, &g.conns_tls);
	g.max_conns = srv->max_conns;
	g.contexts = context_total();
	g.start_time = start_time;
	if ((fp = open_memstream(&text, &len)) == NULL)
		fatal("out of memory");
	metrics_render(fp, &g);
	if (fclose(fp) != 0)
		fatal("out of memory");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evbuffer_add(evhttp_request_get_output_buffer(req), text, len);
	free(text);
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* A bound, listening socket for spec, or -1 (logged). */
static int
metrics_bind(const char *spec, char *addr, size_t addrlen,
    unsigned int *port_r)
{
	char host[256], port[32];
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int fd = -1, one = 1, gai, e = 0;

	config_split_hostport(spec, "", host, sizeof(host), port,
	    sizeof(port));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints,
	    &res)) != 0) {
		log_warn("metrics_listen %s: %s; no metrics", spec,
		    gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
		    listen(fd, 64) == -1) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd == -1) {
		log_warn("metrics_listen %s: %s; no metrics", spec,
		    strerror(e));
		return -1;
	}
	memset(&ss, 0, sizeof(ss));
	getsockname(fd, (struct sockaddr *)&ss, &sslen);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)&ss;

		addr[0] = '[';
		inet_ntop(AF_INET6, &s6->sin6_addr, addr + 1, addrlen - 2);
		strcat(addr, "]");
		*port_r = ntohs(s6->sin6_port);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, addr, addrlen);
		*port_r = ntohs(s4->sin_port);
	}
	return fd;
}

void
metrics_http_open(void)
{
	char addr[INET6_ADDRSTRLEN + 2] = "?";
	unsigned int port = 0;
	int fd;

	start_time = (double)time(NULL);
	if (metrics_off(cfg->metrics_listen))
		return;
	if ((fd = metrics_bind(cfg->metrics_listen, addr, sizeof(addr),
	    &port)) == -1)
		return;
	if ((http = evhttp_new(srv->base)) == NULL)
		fatal("cannot create the metrics HTTP server");
	/* a scrape is one short request: bound what a client may send */
	evhttp_set_timeout(http, 10);
	evhttp_set_max_headers_size(http, 8192);
	evhttp_set_max_body_size(http, 1024);
	/* every method reaches metrics_cb, which answers 405 itself */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(http, metrics_cb, NULL);
	if (evhttp_accept_socket_with_handle(http, fd) == NULL) {
		close(fd);
		fatal("cannot serve metrics on %s", cfg->metrics_listen);
	}
	log_info("metrics on http://%s:%u/metrics", addr, port);
}

void
metrics_http_close(void)
{
	if (http != NULL)
		evhttp_free(http);
	http = NULL;
}
