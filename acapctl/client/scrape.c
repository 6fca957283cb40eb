/*
 * scrape.c -- GET /metrics from acapd and its samples (scrape.h).
 */
#include "autoconf.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "scrape.h"

#define SCRAPE_MAX (16 * 1024 * 1024)	/* a sane bound on a reply */

static char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		abort();
	return p;
}

/* Wait for fd to be ready for events; 0, or -1 with errno (ETIMEDOUT). */
static int
wait_fd(int fd, short events, int timeout_s)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	while ((r = poll(&p, 1, timeout_s > 0 ? timeout_s * 1000 : -1)) ==
	    -1 && errno == EINTR)
		continue;
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

static int
connect_to(const char *host, const char *port, int timeout_s, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, gai, e = 0;
	socklen_t elen = sizeof(e);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s port %s: %s", host, port,
		    gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(fd, POLLOUT,
		    timeout_s) == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR,
		    &e, &elen) == 0 && e == 0))
			break;
		if (e == 0)
			e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "%s port %s: %s", host, port,
		    strerror(e != 0 ? e : ECONNREFUSED));
	return fd;
}

/* Send req and read the whole reply; new string in *reply_r. */
static int
exchange(int fd, const char *req, int timeout_s, char **reply_r,
    size_t *len_r)
{
	size_t off = 0, len = strlen(req), cap = 65536, n = 0;
	char *buf;
	ssize_t r;

	while (off < len) {
		if (wait_fd(fd, POLLOUT, timeout_s) == -1)
			return -1;
		if ((r = write(fd, req + off, len - off)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		off += (size_t)r;
	}
	if ((buf = malloc(cap)) == NULL)
		abort();
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= SCRAPE_MAX) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			cap *= 2;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		if (wait_fd(fd, POLLIN, timeout_s) == -1) {
			free(buf);
			return -1;
		}
		if ((r = read(fd, buf + n, cap - n - 1)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*reply_r = buf;
	*len_r = n;
	return 0;
}

/* One sample line "name{labels} value [timestamp]"; 0, or -1. */
static int
parse_sample(const char *line, size_t len, struct scrape_sample *s)
{
	const char *p = line, *end = line + len, *v;
	char num[64], *e;

	while (p < end && *p != '{' && *p != ' ')
		p++;
	if (p == line || p == end)
		return -1;
	s->name = xstrndup(line, (size_t)(p - line));
	if (*p == '{') {
		const char *q = p + 1;
		bool quoted = false;

		while (q < end && (quoted || *q != '}')) {
			if (*q == '\\' && q + 1 < end)
				q++;
			else if (*q == '"')
				quoted = !quoted;
			q++;
		}
		if (q == end)
			goto bad;
		s->labels = xstrndup(p + 1, (size_t)(q - p - 1));
		p = q + 1;
	} else
		s->labels = xstrndup("", 0);
	while (p < end && *p == ' ')
		p++;
	v = p;
	while (p < end && *p != ' ')
		p++;
	if (p == v || (size_t)(p - v) >= sizeof(num))
		goto bad;
	memcpy(num, v, (size_t)(p - v));
	num[p - v] = '\0';
	s->value = strtod(num, &e);
	if (*e != '\0')
		goto bad;
	return 0;
bad:
	free(s->name);
	free(s->labels);
	return -1;
}

static int
parse_body(const char *body, struct scrape *sc, char *err, size_t errlen)
{
	const char *line = body, *nl;
	size_t cap = 0, lineno = 0;

	for (; *line != '\0'; line = nl + 1) {
		size_t len;

		lineno++;
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		len = (size_t)(nl - line);
		if (len > 0 && line[0] != '#') {
			if (sc->n == cap) {
				cap = cap > 0 ? 2 * cap : 256;
				sc->s = realloc(sc->s, cap * sizeof(*sc->s));
				if (sc->s == NULL)
					abort();
			}
			if (parse_sample(line, len, &sc->s[sc->n]) == -1) {
				snprintf(err, errlen, "line %zu of the metrics "
				    "is not a sample: %.*s", lineno,
				    (int)(len > 80 ? 80 : len), line);
				return -1;
			}
			sc->n++;
		}
		if (*nl == '\0')
			break;
	}
	return 0;
}

int
scrape_fetch(const char *hostport, int timeout_s, struct scrape *sc,
    char *err, size_t errlen)
{
	char host[256], port[32], *req = NULL, *reply = NULL, *body;
	const char *colon;
	size_t len;
	int fd, code = 0, rc = -1;

	memset(sc, 0, sizeof(*sc));
	if (hostport[0] == '[') {
		const char *rb = strchr(hostport, ']');

		if (rb == NULL || rb[1] != ':')
			goto badaddr;
		snprintf(host, sizeof(host), "%.*s", (int)(rb - hostport - 1),
		    hostport + 1);
		colon = rb + 1;
	} else {
		if ((colon = strrchr(hostport, ':')) == NULL)
			goto badaddr;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport),
		    hostport);
	}
	snprintf(port, sizeof(port), "%s", colon + 1);
	if (host[0] == '\0' || port[0] == '\0')
		goto badaddr;
	if ((fd = connect_to(host, port, timeout_s, err, errlen)) == -1)
		return -1;
	if (asprintf(&req, "GET /metrics HTTP/1.0\r\nHost: %s\r\n"
	    "Accept: text/plain\r\nConnection: close\r\n\r\n",
	    hostport) == -1)
		abort();
	if (exchange(fd, req, timeout_s, &reply, &len) == -1) {
		snprintf(err, errlen, "%s: %s", hostport, strerror(errno));
		goto out;
	}
	if (sscanf(reply, "HTTP/%*d.%*d %d", &code) != 1 || code != 200) {
		snprintf(err, errlen, "%s: HTTP status %d, not 200", hostport,
		    code);
		goto out;
	}
	if ((body = strstr(reply, "\r\n\r\n")) == NULL) {
		snprintf(err, errlen, "%s: a reply without a body", hostport);
		goto out;
	}
	if (parse_body(body + 4, sc, err, errlen) == -1) {
		scrape_free(sc);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	free(req);
	free(reply);
	return rc;
badaddr:
	snprintf(err, errlen, "metrics address \"%s\" is not HOST:PORT",
	    hostport);
	return -1;
}

/* Whether labels has the pair "k=v" (as written: key="value"). */
static bool
has_pair(const char *labels, const char *pair, size_t len)
{
	const char *p = labels;

	for (;;) {
		if (strncmp(p, pair, len) == 0 && (p[len] == ',' ||
		    p[len] == '\0'))
			return true;
		if ((p = strchr(p, ',')) == NULL)
			return false;
		p++;
	}
}

double
scrape_sum(const struct scrape *sc, const char *name, const char *match)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < sc->n; i++) {
		const char *m = match;
		bool ok = true;

		if (strcmp(sc->s[i].name, name) != 0)
			continue;
		while (ok && m != NULL && *m != '\0') {
			size_t len = strcspn(m, ",");

			ok = has_pair(sc->s[i].labels, m, len);
			m += len;
			if (*m == ',')
				m++;
		}
		if (ok)
			sum += sc->s[i].value;
	}
	return sum;
}

const char *
scrape_label(const struct scrape_sample *s, const char *key, char *buf,
    size_t size)
{
	size_t klen = strlen(key);
	const char *p = s->labels, *q;

	buf[0] = '\0';
	while (*p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=' &&
		    p[klen + 1] == '"') {
			p += klen + 2;
			q = strchr(p, '"');
			if (q != NULL)
				snprintf(buf, size, "%.*s", (int)(q - p), p);
			return buf;
		}
		if ((p = strchr(p, ',')) == NULL)
			break;
		p++;
	}
	return buf;
}

void
scrape_free(struct scrape *sc)
{
	size_t i;

	for (i = 0; i < sc->n; i++) {
		free(sc->s[i].name);
		free(sc->s[i].labels);
	}
	free(sc->s);
	sc->s = NULL;
	sc->n = 0;
}
