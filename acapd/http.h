/*
 * http.h -- the HTTP and HTTPS listeners inside acapd (libevent's evhttp
 * on the server's event base), their bounds, and a table of routes other
 * modules fill (discovery.c: autoconfig and Autodiscover; more may come).
 *
 * Owns: the evhttp instances, their bound sockets, the route table and the
 * count of connections per client address.  A handler runs on the event
 * loop like an ACAP command: it must not block (read the store through
 * inherit.h's in-memory views, as SEARCH does).
 */
#ifndef ACAPD_HTTP_H
#define ACAPD_HTTP_H

#include <stdbool.h>
#include <stdio.h>

#include "acap-buf.h"

struct evhttp_request;

/* Methods a route accepts (others get 405 with an Allow header). */
#define HTTP_M_GET	0x01	/* HEAD is served as GET without a body */
#define HTTP_M_POST	0x02

/* Route flags */
#define HTTP_R_PREFIX	0x01	/* path starts with the route's path */
#define HTTP_R_NOCASE	0x02	/* ASCII case-insensitive match */

/* What a handler knows of its request. */
struct http_req {
	struct evhttp_request *req;
	bool tls;			/* came over https_listen */
	const char *path;		/* decoded path, no query */
	const char *query;		/* raw query after '?', or NULL */
	const char *host;		/* Host header, or NULL */
	const char *peer;		/* client address (text) */
	const char *body;		/* POST body (NUL-terminated copy) */
	size_t bodylen;
};

typedef void http_handler_fn(const struct http_req *r, void *arg);

/*
 * Register a route (at start-up, before http_open()).  The first route
 * that matches wins.  path is kept, not copied.
 */
void http_route_add(const char *path, unsigned int flags,
    unsigned int methods, http_handler_fn *fn, void *arg);

/*
 * Bind http_listen and https_listen (before the privilege drop), adding
 * "ADDRESS PORT http|https" lines to portfp when not NULL.  https needs
 * the server's TLS context (srv->tls), which may come later: it is only
 * used per connection.  Fatal on a bad address or a failed bind.
 */
void http_open(FILE *portfp);
/* Stop accepting (shutdown). */
void http_stop(void);
/* Free everything (connections included). */
void http_close(void);

/* Reply with body (may be NULL) and content type; frees nothing. */
void http_reply(const struct http_req *r, int code, const char *ctype,
    const struct acap_buf *body);
/* Add a response header (before http_reply). */
void http_header(const struct http_req *r, const char *name,
    const char *value);
/* A short text/plain error: "CODE REASON\n" and text. */
void http_error(const struct http_req *r, int code, const char *text);

/*
 * HTTP Basic credentials of the request (RFC 7617 §2), decoded and
 * malloc'd: 0 with *user_r and *pass_r (free both), 1 when the request has
 * none, -1 when the header is malformed.
 */
int http_basic_auth(const struct http_req *r, char **user_r, char **pass_r);

#endif
