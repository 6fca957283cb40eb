/*
 * http.c -- HTTP and HTTPS listeners on libevent's evhttp (see http.h).
 *
 * Bounds (acapd.conf(5), bounds.h): the request line and headers together
 * (431 past http_max_header_size; libevent itself answers 400 and closes
 * past four times that), the body (413), the request target (414), the number of header fields (431), a
 * read/write timeout per connection (a client that sends nothing for
 * http_timeout seconds is disconnected), and the connections per client
 * address (429, counted from a connection's first request on).
 * Everything runs on the server's event base: no thread, no blocking call.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "config.h"
#include "http.h"
#include "bounds.h"
#include "log.h"
#include "server.h"
#include "tls.h"

#define MAX_ROUTES	32
#define NBUCKETS	256

struct route {
	const char *path;
	size_t len;
	unsigned int flags, methods;
	http_handler_fn *fn;
	void *arg;
};

/* Connections of one client address. */
struct peer {
	struct peer *next;
	unsigned int nconns;
	char addr[64];
};

/* A connection counted against its peer (keyed by libevent's pointer). */
struct counted {
	struct counted *next;
	struct evhttp_connection *evcon;
	struct peer *peer;
};

static struct {
	struct evhttp *plain, *secure;
	struct route routes[MAX_ROUTES];
	size_t nroutes;
	struct peer *peers[NBUCKETS];
	struct counted *conns[NBUCKETS];
} H;

static unsigned int
hash_str(const char *s)
{
	unsigned int h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKETS;
}

static unsigned int
hash_ptr(const void *p)
{
	return (unsigned int)(((uintptr_t)p >> 4) * 2654435761u) % NBUCKETS;
}

void
http_route_add(const char *path, unsigned int flags, unsigned int methods,
    http_handler_fn *fn, void *arg)
{
	struct route *r;

	if (H.nroutes == MAX_ROUTES)
		fatal("http: too many routes");
	r = &H.routes[H.nroutes++];
	r->path = path;
	r->len = strlen(path);
	r->flags = flags;
	r->methods = methods;
	r->fn = fn;
	r->arg = arg;
}

static const char *
reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

void
http_header(const struct http_req *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->req), name,
	    value);
}

void
http_reply(const struct http_req *r, int code, const char *ctype,
    const struct acap_buf *body)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(r->req);

	if (ctype != NULL)
		http_header(r, "Content-Type", ctype);
	http_header(r, "X-Content-Type-Options", "nosniff");
	if (body != NULL && body->len > 0)
		evbuffer_add(out, body->data, body->len);
	evhttp_send_reply(r->req, code, reason(code), NULL);
}

void
http_error(const struct http_req *r, int code, const char *text)
{
	struct acap_buf b = ACAP_BUF_INIT;

	acap_buf_printf(&b, "%d %s\n%s\n", code, reason(code), text);
	http_header(r, "Cache-Control", "no-store");
	http_reply(r, code, "text/plain; charset=utf-8", &b);
	acap_buf_deinit(&b);
}

int
http_basic_auth(const struct http_req *r, char **user_r, char **pass_r)
{
	const char *h = evhttp_find_header(
	    evhttp_request_get_input_headers(r->req), "Authorization");
	unsigned char *dec;
	char *colon;
	size_t len;
	int n;

	*user_r = *pass_r = NULL;
	if (h == NULL)
		return 1;
	if (strncasecmp(h, "Basic ", 6) != 0)
		return -1;
	h += 6;
	while (*h == ' ')
		h++;
	len = strlen(h);
	if (len == 0 || len > 1024 || len % 4 != 0)
		return -1;
	if ((dec = malloc(len)) == NULL)
		abort();
	n = EVP_DecodeBlock(dec, (const unsigned char *)h, (int)len);
	if (n < 0) {
		free(dec);
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as zero octets */
	if (len >= 1 && h[len - 1] == '=')
		n--;
	if (len >= 2 && h[len - 2] == '=')
		n--;
	if (memchr(dec, '\0', (size_t)n) != NULL ||
	    (colon = memchr(dec, ':', (size_t)n)) == NULL) {
		free(dec);
		return -1;
	}
	dec[n] = '\0';
	*colon = '\0';
	if ((*user_r = strdup((char *)dec)) == NULL ||
	    (*pass_r = strdup(colon + 1)) == NULL)
		abort();
	OPENSSL_cleanse(dec, (size_t)n);
	free(dec);
	return 0;
}

/* An address without connections leaves the table. */
static void
peer_forget(struct peer *gone)
{
	struct peer **pp;

	for (pp = &H.peers[hash_str(gone->addr)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == gone) {
			*pp = gone->next;
			free(gone);
			return;
		}
}

static void
peer_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct counted **cp, *c;

	(void)arg;
	for (cp = &H.conns[hash_ptr(evcon)]; (c = *cp) != NULL;
	    cp = &c->next)
		if (c->evcon == evcon) {
			*cp = c->next;
			if (--c->peer->nconns == 0)
				peer_forget(c->peer);
			free(c);
			return;
		}
}

/*
 * Count the request's connection against its address the first time it is
 * seen; false when the address is over its cap (the connection is then not
 * counted and is closed after the 429).
 */
static bool
peer_admit(struct evhttp_request *req, const char *addr)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct counted *c;
	struct peer *p;
	unsigned int b;

	if (evcon == NULL)
		return true;
	for (c = H.conns[hash_ptr(evcon)]; c != NULL; c = c->next)
		if (c->evcon == evcon)
			return true;
	b = hash_str(addr);
	for (p = H.peers[b]; p != NULL; p = p->next)
		if (strcmp(p->addr, addr) == 0)
			break;
	if (p == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			abort();
		snprintf(p->addr, sizeof(p->addr), "%s", addr);
		p->next = H.peers[b];
		H.peers[b] = p;
	}
	if (p->nconns >= cfg->http_max_connections_per_ip) {
		if (p->nconns == 0)
			peer_forget(p);
		return false;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		abort();
	c->evcon = evcon;
	c->peer = p;
	c->next = H.conns[hash_ptr(evcon)];
	H.conns[hash_ptr(evcon)] = c;
	p->nconns++;
	evhttp_connection_set_closecb(evcon, peer_conn_closed, NULL);
	return true;
}

static bool
route_match(const struct route *rt, const char *path)
{
	size_t len = strlen(path);

	if (len < rt->len || (!(rt->flags & HTTP_R_PREFIX) && len != rt->len))
		return false;
	return (rt->flags & HTTP_R_NOCASE) ?
	    strncasecmp(path, rt->path, rt->len) == 0 :
	    strncmp(path, rt->path, rt->len) == 0;
}

static void
dispatch(struct http_req *r, enum evhttp_cmd_type cmd)
{
	unsigned int m = cmd == EVHTTP_REQ_POST ? HTTP_M_POST :
	    cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD ? HTTP_M_GET : 0;
	size_t i;

	for (i = 0; i < H.nroutes; i++) {
		const struct route *rt = &H.routes[i];

		if (!route_match(rt, r->path))
			continue;
		if ((rt->methods & m) == 0) {
			http_header(r, "Allow", rt->methods & HTTP_M_POST ?
			    (rt->methods & HTTP_M_GET ? "GET, HEAD, POST" :
			    "POST") : "GET, HEAD");
			http_error(r, 405, "method not allowed here");
			return;
		}
		rt->fn(r, rt->arg);
		return;
	}
	http_error(r, 404, "no such resource");
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evkeyvalq *hdrs = evhttp_request_get_input_headers(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct http_req r;
	struct evkeyval *kv;
	char *peer = NULL, *path = NULL, *body = NULL;
	ev_uint16_t port = 0;
	size_t n, hsize, plen = 0;

	memset(&r, 0, sizeof(r));
	r.req = req;
	r.tls = arg != NULL;
	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &peer, &port);
	r.peer = peer != NULL ? peer : "?";
	if (!peer_admit(req, r.peer)) {
		http_header(&r, "Connection", "close");
		http_error(&r, 429, "too many connections from your address");
		return;
	}
	if (strlen(evhttp_request_get_uri(req)) > cfg->http_max_uri) {
		http_error(&r, 414, "request target too long");
		return;
	}
	n = 0;
	hsize = strlen(evhttp_request_get_uri(req));
	TAILQ_FOREACH(kv, hdrs, next) {
		n++;
		hsize += strlen(kv->key) + strlen(kv->value) + 4;
	}
	if (n > LIM_HTTP_MAX_HEADERS || hsize > cfg->http_max_header_size) {
		http_error(&r, 431, n > LIM_HTTP_MAX_HEADERS ?
		    "too many header fields" : "header fields too large");
		return;
	}
	if (uri == NULL || evhttp_uri_get_path(uri) == NULL) {
		http_error(&r, 400, "malformed request target");
		return;
	}
	path = evhttp_uridecode(evhttp_uri_get_path(uri), 0, &plen);
	if (path == NULL || strlen(path) != plen) {
		free(path);
		http_error(&r, 400, "malformed path");
		return;
	}
	r.path = path;
	r.query = evhttp_uri_get_query(uri);
	r.host = evhttp_find_header(hdrs, "Host");
	n = evbuffer_get_length(in);
	if ((body = malloc(n + 1)) == NULL)
		abort();
	evbuffer_copyout(in, body, n);
	body[n] = '\0';
	r.body = body;
	r.bodylen = n;
	dispatch(&r, evhttp_request_get_command(req));
	free(path);
	free(body);
}

static struct bufferevent *
https_bev_cb(struct event_base *base, void *arg)
{
	struct bufferevent *bev;
	const char *err;
	SSL *ssl;

	(void)arg;
	/* http_open() made sure the context exists; failing here is OOM */
	if ((ssl = tls_ctx_ssl_new(srv->tls, &err)) == NULL)
		fatal("https: %s", err);
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatal("https: cannot make a TLS bufferevent");
	/* clients that close without close_notify are common and harmless */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static struct evhttp *
http_new(bool tls)
{
	struct evhttp *h = evhttp_new(srv->base);

	if (h == NULL)
		fatal("http: cannot create the server");
	/*
	 * libevent's own cap (a 400 from libevent, connection closed) is a
	 * backstop at 4 times ours; below it request_cb() answers 431.
	 */
	evhttp_set_max_headers_size(h, (ev_ssize_t)cfg->http_max_header_size *
	    4);
	evhttp_set_max_body_size(h, cfg->http_max_body_size);
	evhttp_set_timeout(h, (int)cfg->http_timeout);
	/* everything reaches dispatch(), which answers 405 itself */
	evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(h, "text/plain; charset=utf-8");
	/* read what an over-long body still sends, so the 413 arrives */
	evhttp_set_flags(h, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_gencb(h, request_cb, tls ? (void *)h : NULL);
	if (tls)
		evhttp_set_bevcb(h, https_bev_cb, NULL);
	return h;
}

static void
bind_list(struct evhttp *h, const char *list, const char *defport,
    const char *what, FILE *portfp)
{
	char host[256], port[32], addr[INET6_ADDRSTRLEN] = "?";
	char *specs, *spec, *save = NULL;
	struct evhttp_bound_socket *bs;
	unsigned int bound;
	int family, one = 1;
	long pn;

	if ((specs = strdup(list)) == NULL)
		abort();
	for (spec = strtok_r(specs, " \t,", &save); spec != NULL;
	    spec = strtok_r(NULL, " \t,", &save)) {
		if (config_split_hostport(spec, defport, host, sizeof(host),
		    port, sizeof(port)) == -1 ||
		    (pn = strtol(port, NULL, 10)) < 0 || pn > 65535)
			fatal("%s: cannot parse \"%s\"", what, spec);
		bs = evhttp_bind_socket_with_handle(h, host[0] != '\0' ? host :
		    "0.0.0.0", (ev_uint16_t)pn);
		if (bs == NULL)
			fatal("%s %s: cannot bind", what, spec);
		/*
		 * Accepted sockets inherit TCP_NODELAY from the listener on
		 * Linux: a TLS answer's records then leave at once instead of
		 * waiting on the client's delayed ACK (Nagle).
		 */
		setsockopt(evhttp_bound_socket_get_fd(bs), IPPROTO_TCP,
		    TCP_NODELAY, &one, sizeof(one));
		bound = server_sockname(evhttp_bound_socket_get_fd(bs),
		    &family, addr, sizeof(addr));
		log_info("%s: listening on %s port %u", what, addr, bound);
		if (portfp != NULL)
			fprintf(portfp, "%s %u %s\n", addr, bound,
			    h == H.secure ? "https" : "http");
	}
	free(specs);
}

void
http_open(FILE *portfp)
{
	if (cfg->http_listen[0] != '\0') {
		H.plain = http_new(false);
		bind_list(H.plain, cfg->http_listen, "80", "http_listen",
		    portfp);
	}
	if (cfg->https_listen[0] != '\0') {
		if (srv->tls == NULL)
			fatal("https_listen needs a certificate (tls_cert and "
			    "tls_key, or tls_generate)");
		H.secure = http_new(true);
		bind_list(H.secure, cfg->https_listen, "443", "https_listen",
		    portfp);
	}
}

void
http_stop(void)
{
	/* freeing the servers closes their sockets and connections */
	http_close();
}

void
http_close(void)
{
	struct counted *c;
	struct peer *p;
	size_t i;

	if (H.plain != NULL)
		evhttp_free(H.plain);
	if (H.secure != NULL)
		evhttp_free(H.secure);
	H.plain = H.secure = NULL;
	for (i = 0; i < NBUCKETS; i++) {
		while ((c = H.conns[i]) != NULL) {
			H.conns[i] = c->next;
			free(c);
		}
		while ((p = H.peers[i]) != NULL) {
			H.peers[i] = p->next;
			free(p);
		}
	}
}
