/*
 * metrics-http.h -- GET /metrics over HTTP on a listener of its own
 * (option metrics_listen), served by libevent's evhttp on acapd's event
 * base: the registry of metrics.h plus the gauges read from their owners
 * (connections from conn.c, contexts from context.c) at each scrape.
 *
 * Owns the evhttp instance and its listening socket.  Anything but
 * /metrics is 404, any method but GET on it 405.
 */
#ifndef ACAPD_METRICS_HTTP_H
#define ACAPD_METRICS_HTTP_H

#include <stddef.h>

/*
 * Whether spec is a valid metrics_listen value: "" or "none" (off), or
 * HOST:PORT with a numeric port.  Returns 0, or -1 with a message.
 */
int metrics_http_check(const char *spec, char *errbuf, size_t errlen);

/*
 * Bind cfg->metrics_listen and serve it on srv->base.  A listener that
 * cannot be bound (the port in use, say by another acapd) is logged as
 * a warning and acapd runs without metrics: they are not worth refusing
 * ACAP service for.  The bound address is logged ("metrics on
 * http://HOST:PORT/metrics").
 */
void metrics_http_open(void);
/* Stop serving and free everything (at exit). */
void metrics_http_close(void);

#endif
