/*
 * bench-client.c -- an acap-bench worker: owns its non-blocking ACAP client
 * connections (TCP, STARTTLS with OpenSSL) on one epoll loop; replies are
 * read with libacap's parser in RESPONSE mode.
 */
#include "autoconf.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "acap-parser.h"
#include "bench-client.h"
#include "bench-hist.h"
#include "bench-proc.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT	24
#endif

#define CLIENT_READ_SIZE	65536
#define CLIENT_EVENTS		256
#define CLIENT_REQ_MAX		8192	/* one expanded request */
#define CLIENT_PING_MS		30000
#define CLIENT_DRAIN_MS		10000	/* in-flight requests after the end */

enum bconn_state {
	BC_WAITING,		/* not started yet */
	BC_CONNECTING,
	BC_GREETING,
	BC_STARTTLS,
	BC_HANDSHAKE,
	BC_GREETING_TLS,
	BC_AUTH,
	BC_CONTEXT,
	BC_READY,
	BC_DEAD,
};

struct client_role;
struct client;

struct bconn {
	struct client *w;
	struct client_role *role;
	int fd;
	SSL *ssl;
	struct acap_parser *parser;
	unsigned int gidx;		/* global connection index */
	unsigned int user;		/* user number */
	enum bconn_state state;
	uint32_t events;		/* epoll mask registered */
	char *out;			/* unsent output */
	size_t outlen;
	size_t outcap;
	uint64_t t_start;		/* set-up began */
	uint32_t seq;			/* next request tag number */
	uint32_t inflight;
	uint64_t sent_ns[BENCH_PIPE_MAX];	/* scheduled send times */
	uint64_t real_ns[BENCH_PIPE_MAX];	/* actual send times */
	uint64_t notified_ns;		/* first notification since ARM */
	bool ping_wait;
	struct bconn *next_free;	/* rate mode: idle connections */
};

struct client_role {
	const struct bench_role *cfg;
	unsigned int first;		/* index into conns */
	uint64_t interval_ns;		/* rate mode: between slots */
	uint64_t slot0_ns;		/* rate mode: time of slot 0 */
	uint64_t next_slot;
	struct bconn *free_list;
	struct bench_hist *hist;
	struct bench_hist *lag;		/* send time - scheduled time */
	struct bench_hist *svc;		/* completion - send time */
	uint64_t completed, errors, entries, notifications, bytes_in;
};

struct client {
	const struct bench_load *load;
	int ctl;
	int ep;
	SSL_CTX *ssl_ctx;
	struct acap_limits limits;
	struct bconn *conns;
	unsigned int nconns;
	struct client_role roles[BENCH_MAX_ROLES];
	size_t nroles;
	char rbuf[CLIENT_READ_SIZE];
	char user[64], pass[64];

	/* set-up phase */
	unsigned int next_start;	/* next connection to open */
	unsigned int in_setup;
	unsigned int ready, failed;
	bool ready_sent;
	struct bench_hist *setup_hist;

	/* run phase */
	bool running;
	bool measuring;
	bool stopped;			/* past end_ns, draining */
	uint64_t start_ns, end_ns;
	double cpu_start, cpu_end;
	uint64_t lost;
	char error[BENCH_ERR_LEN];

	/* fan-out */
	bool armed;
	unsigned int expected;		/* context connections at ARM */
	unsigned int notified;
	bool notified_sent;

	/* ping */
	bool pinging;
	unsigned int ping_left, ping_alive;
	uint64_t ping_deadline;

	bool quit;
};

static void bconn_fail(struct bconn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void client_note_error(struct client *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- Small helpers -------------------------------------------------- */

int
bench_client_expand(const char *tmpl, const char *user, unsigned long n,
    unsigned int conn, char *out, size_t size)
{
	size_t o = 0, l;
	const char *p = tmpl;
	char num[32];
	const char *ins;

	while (*p != '\0') {
		ins = NULL;
		if (*p == '{') {
			if (strncmp(p, "{user}", 6) == 0) {
				ins = user;
				p += 6;
			} else if (strncmp(p, "{n}", 3) == 0) {
				snprintf(num, sizeof(num), "%lu", n);
				ins = num;
				p += 3;
			} else if (strncmp(p, "{conn}", 6) == 0) {
				snprintf(num, sizeof(num), "%u", conn);
				ins = num;
				p += 6;
			}
		}
		if (ins != NULL) {
			l = strlen(ins);
			if (o + l >= size)
				return -1;
			memcpy(out + o, ins, l);
			o += l;
			continue;
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = *p++;
	}
	out[o] = '\0';
	return (int)o;
}

static void
client_note_error(struct client *w, const char *fmt, ...)
{
	va_list ap;

	if (w->error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
}

static void
client_send_msg(struct client *w, const void *data, size_t len)
{
	ssize_t n;

	do
		n = send(w->ctl, data, len, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		w->quit = true;		/* master is gone */
}

static const char *
bconn_user(struct bconn *c)
{
	snprintf(c->w->user, sizeof(c->w->user), "%s%u",
	    c->w->load->user_prefix, c->user);
	return c->w->user;
}

static const char *
bconn_pass(struct bconn *c)
{
	snprintf(c->w->pass, sizeof(c->w->pass), "%s%u",
	    c->w->load->pass_prefix, c->user);
	return c->w->pass;
}

static void
bconn_set_events(struct bconn *c, uint32_t events)
{
	struct epoll_event ev;

	if (c->events == events || c->fd == -1)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = c;
	if (epoll_ctl(c->w->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = events;
}

static bool
bconn_in_setup(const struct bconn *c)
{
	return c->state > BC_WAITING && c->state < BC_READY;
}

/* Close and forget; counts a failure or a loss as the state says. */
static void
bconn_close(struct bconn *c)
{
	struct client *w = c->w;

	if (c->state == BC_DEAD)
		return;
	if (bconn_in_setup(c)) {
		w->in_setup--;
		w->failed++;
	} else if (c->state == BC_READY) {
		w->lost++;
		w->ready--;
		if (c->ping_wait) {
			c->ping_wait = false;
			w->ping_left--;
		}
	}
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	acap_parser_free(&c->parser);
	free(c->out);
	c->out = NULL;
	c->outlen = c->outcap = 0;
	c->state = BC_DEAD;
}

static void
bconn_fail(struct bconn *c, const char *fmt, ...)
{
	char msg[BENCH_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	client_note_error(c->w, "connection %u (%s): %s", c->gidx,
	    c->role->cfg->name, msg);
	bconn_close(c);
}

/* ---- Output --------------------------------------------------------- */

/* Try to write the pending output; returns -1 when the connection died. */
static int
bconn_flush(struct bconn *c)
{
	ssize_t n;
	int r, e;

	while (c->outlen > 0) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_write(c->ssl, c->out, (int)c->outlen);
			if (r <= 0) {
				e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ)
					break;
				bconn_fail(c, "TLS write failed");
				return -1;
			}
			n = r;
		} else {
			n = write(c->fd, c->out, c->outlen);
			if (n == -1) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					break;
				bconn_fail(c, "write: %s", strerror(errno));
				return -1;
			}
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	bconn_set_events(c, c->outlen > 0 ? EPOLLIN | EPOLLOUT : EPOLLIN);
	return 0;
}

static int
bconn_send(struct bconn *c, const void *data, size_t len)
{
	size_t need = c->outlen + len;

	if (need > c->outcap) {
		size_t cap = c->outcap == 0 ? 256 : c->outcap;
		char *p;

		while (cap < need)
			cap *= 2;
		if ((p = realloc(c->out, cap)) == NULL)
			abort();
		c->out = p;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
	return bconn_flush(c);
}

static int
bconn_sendf(struct bconn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bconn_sendf(struct bconn *c, const char *fmt, ...)
{
	char buf[CLIENT_REQ_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		bconn_fail(c, "command too long");
		return -1;
	}
	return bconn_send(c, buf, (size_t)n);
}

/* ---- Requests ------------------------------------------------------- */

static int
bconn_request(struct bconn *c, uint64_t start_ns)
{
	char buf[CLIENT_REQ_MAX];
	struct client_role *r = c->role;
	int n, m;

	m = snprintf(buf, sizeof(buf), "R%u ", c->seq);
	n = bench_client_expand(r->cfg->request, bconn_user(c), c->seq,
	    c->gidx, buf + m, sizeof(buf) - (size_t)m - 2);
	if (n < 0) {
		bconn_fail(c, "request template too long");
		return -1;
	}
	n += m;
	buf[n++] = '\r';
	buf[n++] = '\n';
	c->real_ns[c->seq % BENCH_PIPE_MAX] = r->cfg->rate > 0 ?
	    bench_proc_now_ns() : start_ns;
	if (r->cfg->rate > 0 && c->w->measuring &&
	    start_ns >= c->w->start_ns && start_ns < c->w->end_ns) {
		uint64_t now = c->real_ns[c->seq % BENCH_PIPE_MAX];

		bench_hist_add(r->lag, now > start_ns ? now - start_ns : 0);
	}
	c->sent_ns[c->seq % BENCH_PIPE_MAX] = start_ns;
	c->seq++;
	c->inflight++;
	return bconn_send(c, buf, (size_t)n);
}

/* Rate mode: hand due slots to idle connections. */
static void
role_issue_due(struct client *w, struct client_role *r, uint64_t now)
{
	struct bconn *c;
	uint64_t t;

	while (r->free_list != NULL) {
		t = r->slot0_ns + r->next_slot * r->interval_ns;
		if (t > now || t >= w->end_ns)
			break;
		c = r->free_list;
		r->free_list = c->next_free;
		c->next_free = NULL;
		if (c->state != BC_READY)
			continue;
		r->next_slot++;
		(void)bconn_request(c, t);
	}
}

/* A connection has room for another request. */
static void
bconn_idle(struct bconn *c, uint64_t now)
{
	struct client *w = c->w;
	struct client_role *r = c->role;

	if (c->state != BC_READY || r->cfg->request == NULL ||
	    !w->running || w->stopped)
		return;
	if (r->cfg->rate > 0) {
		if (c->inflight == 0) {
			c->next_free = r->free_list;
			r->free_list = c;
			role_issue_due(w, r, now);
		}
		return;
	}
	while (c->state == BC_READY &&
	    c->inflight < r->cfg->pipeline && now < w->end_ns)
		if (bconn_request(c, now) == -1)
			return;
}

/* ---- Set-up steps --------------------------------------------------- */

static int
bconn_send_auth(struct bconn *c)
{
	char buf[512];
	const char *user = bconn_user(c);
	size_t ul = strlen(user), pl, n;
	const char *pass;

	c->state = BC_AUTH;
	if (c->w->load->cram)
		return bconn_sendf(c, "A AUTHENTICATE \"CRAM-MD5\"\r\n");
	/* RFC 2595 §6: PLAIN message as a {n+} literal, NULs inside */
	pass = bconn_pass(c);
	pl = strlen(pass);
	n = (size_t)snprintf(buf, sizeof(buf),
	    "A AUTHENTICATE \"PLAIN\" {%zu+}\r\n", ul + pl + 2);
	if (n + ul + pl + 4 > sizeof(buf)) {
		bconn_fail(c, "credentials too long");
		return -1;
	}
	buf[n++] = '\0';
	memcpy(buf + n, user, ul);
	n += ul;
	buf[n++] = '\0';
	memcpy(buf + n, pass, pl);
	n += pl;
	buf[n++] = '\r';
	buf[n++] = '\n';
	return bconn_send(c, buf, n);
}

static int
bconn_cram_answer(struct bconn *c, const struct acap_arg *chal)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int maclen = 0, i;
	const char *pass = bconn_pass(c);

	if (chal == NULL || chal->type != ACAP_ARG_STRING) {
		bconn_fail(c, "bad CRAM-MD5 challenge");
		return -1;
	}
	if (HMAC(EVP_md5(), pass, (int)strlen(pass),
	    (const unsigned char *)chal->str, chal->len, mac,
	    &maclen) == NULL) {
		bconn_fail(c, "HMAC failed");
		return -1;
	}
	for (i = 0; i < maclen; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return bconn_sendf(c, "\"%s %s\"\r\n", bconn_user(c), hex);
}

static void
bconn_became_ready(struct bconn *c, uint64_t now)
{
	struct client *w = c->w;

	c->state = BC_READY;
	w->in_setup--;
	w->ready++;
	bench_hist_add(w->setup_hist, now - c->t_start);
	bconn_idle(c, now);
}

static int
bconn_after_auth(struct bconn *c, uint64_t now)
{
	char buf[CLIENT_REQ_MAX];
	int n;

	if (c->role->cfg->context_cmd == NULL) {
		bconn_became_ready(c, now);
		return 0;
	}
	c->state = BC_CONTEXT;
	memcpy(buf, "M ", 2);
	n = bench_client_expand(c->role->cfg->context_cmd, bconn_user(c), 0,
	    c->gidx, buf + 2, sizeof(buf) - 4);
	if (n < 0) {
		bconn_fail(c, "context template too long");
		return -1;
	}
	n += 2;
	buf[n++] = '\r';
	buf[n++] = '\n';
	return bconn_send(c, buf, (size_t)n);
}

static int bconn_handshake(struct bconn *c);

/* ---- Responses ------------------------------------------------------ */

static bool
arg_atom_is(const struct acap_cmd *cmd, const char *kw)
{
	return cmd->nargs > 0 && acap_arg_is_atom(&cmd->args[0], kw);
}

/* The text of a completion, for error messages. */
static const char *
completion_text(const struct acap_cmd *cmd, char *buf, size_t size)
{
	struct acap_buf b = ACAP_BUF_INIT;
	size_t i;

	for (i = 0; i < cmd->nargs && i < 3; i++) {
		const struct acap_arg *a = &cmd->args[i];

		if (i > 0)
			acap_buf_addch(&b, ' ');
		if (a->type == ACAP_ARG_LIST)
			acap_buf_addstr(&b, "(...)");
		else
			acap_buf_add(&b, a->str, a->len);
	}
	snprintf(buf, size, "%s", b.data != NULL ? b.data : "");
	acap_buf_deinit(&b);
	return buf;
}

static void
bconn_notification(struct bconn *c, uint64_t now)
{
	struct client *w = c->w;

	c->role->notifications++;
	if (!w->armed || c->notified_ns != 0 ||
	    c->role->cfg->context_cmd == NULL)
		return;
	c->notified_ns = now;
	w->notified++;
}

static void
bconn_completion(struct bconn *c, const struct acap_cmd *cmd, uint64_t now)
{
	struct client *w = c->w;
	struct client_role *r = c->role;
	char text[BENCH_ERR_LEN];
	unsigned long seq;
	bool ok = arg_atom_is(cmd, "OK");

	seq = strtoul(cmd->tag + 1, NULL, 10);
	if (c->inflight == 0)
		return;
	c->inflight--;
	if (w->measuring && now >= w->start_ns && now < w->end_ns) {
		r->completed++;
		uint64_t sched = c->sent_ns[seq % BENCH_PIPE_MAX];
		uint64_t real = c->real_ns[seq % BENCH_PIPE_MAX];

		/* now is taken once per loop turn: a reply read in the turn
		   its request was sent in may look older than the send */
		bench_hist_add(r->hist, now > sched ? now - sched : 0);
		bench_hist_add(r->svc, now > real ? now - real : 0);
		if (!ok)
			r->errors++;
	}
	if (!ok)
		client_note_error(w, "connection %u (%s): R%lu %s", c->gidx,
		    r->cfg->name, seq, completion_text(cmd, text,
		    sizeof(text)));
	bconn_idle(c, now);
}

/*
 * Handle one response.  Returns 1 to keep feeding, 0 when the rest of
 * the input must not be parsed (TLS starts), -1 when the connection died.
 */
static int
bconn_response(struct bconn *c, const struct acap_cmd *cmd, uint64_t now)
{
	struct client *w = c->w;
	char text[BENCH_ERR_LEN];
	const char *tag = cmd->tag;

	if (strcmp(tag, "*") == 0) {
		if (arg_atom_is(cmd, "BYE")) {
			bconn_fail(c, "server said %s", completion_text(cmd,
			    text, sizeof(text)));
			return -1;
		}
		if (c->state == BC_GREETING || c->state == BC_GREETING_TLS) {
			if (!arg_atom_is(cmd, "ACAP")) {
				bconn_fail(c, "unexpected greeting");
				return -1;
			}
			if (c->state == BC_GREETING && w->load->tls) {
				c->state = BC_STARTTLS;
				return bconn_sendf(c, "T STARTTLS\r\n") == -1 ?
				    -1 : 1;
			}
			return bconn_send_auth(c) == -1 ? -1 : 1;
		}
		if (arg_atom_is(cmd, "ADDTO") || arg_atom_is(cmd, "CHANGE") ||
		    arg_atom_is(cmd, "REMOVEFROM"))
			bconn_notification(c, now);
		return 1;
	}
	if (strcmp(tag, "+") == 0) {
		if (c->state == BC_AUTH && w->load->cram)
			return bconn_cram_answer(c, cmd->nargs > 0 ?
			    &cmd->args[0] : NULL) == -1 ? -1 : 1;
		bconn_fail(c, "unexpected continuation");
		return -1;
	}
	switch (tag[0]) {
	case 'R':
		if (!arg_atom_is(cmd, "OK") && !arg_atom_is(cmd, "NO") &&
		    !arg_atom_is(cmd, "BAD")) {
			if (w->measuring && now >= w->start_ns &&
			    now < w->end_ns)
				c->role->entries++;
			return 1;
		}
		bconn_completion(c, cmd, now);
		return c->state == BC_DEAD ? -1 : 1;
	case 'P':
		if (arg_atom_is(cmd, "OK") && c->ping_wait) {
			c->ping_wait = false;
			w->ping_left--;
			w->ping_alive++;
		}
		return 1;
	case 'T':
		if (c->state != BC_STARTTLS)
			break;
		if (!arg_atom_is(cmd, "OK")) {
			bconn_fail(c, "STARTTLS: %s", completion_text(cmd,
			    text, sizeof(text)));
			return -1;
		}
		if ((c->ssl = SSL_new(w->ssl_ctx)) == NULL ||
		    SSL_set_fd(c->ssl, c->fd) != 1) {
			bconn_fail(c, "SSL_new failed");
			return -1;
		}
		SSL_set_tlsext_host_name(c->ssl, "localhost");
		acap_parser_reset(c->parser);
		c->state = BC_HANDSHAKE;
		return bconn_handshake(c) == -1 ? -1 : 0;
	case 'A':
		if (c->state != BC_AUTH)
			break;
		if (!arg_atom_is(cmd, "OK")) {
			bconn_fail(c, "AUTHENTICATE as %s: %s", bconn_user(c),
			    completion_text(cmd, text, sizeof(text)));
			return -1;
		}
		return bconn_after_auth(c, now) == -1 ? -1 : 1;
	case 'M':
		if (c->state != BC_CONTEXT)
			break;
		if (arg_atom_is(cmd, "OK")) {
			bconn_became_ready(c, now);
			return c->state == BC_DEAD ? -1 : 1;
		}
		if (arg_atom_is(cmd, "NO") || arg_atom_is(cmd, "BAD")) {
			bconn_fail(c, "context: %s", completion_text(cmd,
			    text, sizeof(text)));
			return -1;
		}
		return 1;	/* ENTRY, MODTIME of the SEARCH */
	}
	/* Another command's intermediate response, or a stray tag. */
	return 1;
}

/* Feed received octets to the parser; -1 when the connection died. */
static int
bconn_input(struct bconn *c, const char *buf, size_t len, uint64_t now)
{
	const struct acap_cmd *cmd;
	size_t off = 0, used;
	int r;

	if (c->w->measuring && now >= c->w->start_ns && now < c->w->end_ns)
		c->role->bytes_in += len;
	while (off < len && c->state != BC_DEAD) {
		r = acap_parser_feed(c->parser, buf + off, len - off, &used,
		    &cmd);
		off += used;
		if (r == -1) {
			bconn_fail(c, "bad response: %s",
			    acap_parser_error(c->parser, NULL, NULL));
			return -1;
		}
		if (r == 0)
			continue;
		r = bconn_response(c, cmd, now);
		if (r == -1)
			return -1;
		if (r == 0)
			return 0;	/* switched to TLS */
	}
	return c->state == BC_DEAD ? -1 : 0;
}

static int
bconn_handshake(struct bconn *c)
{
	int r, e;

	ERR_clear_error();
	r = SSL_connect(c->ssl);
	if (r == 1) {
		c->state = BC_GREETING_TLS;
		bconn_set_events(c, EPOLLIN);
		return 0;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		bconn_set_events(c, EPOLLIN);
		return 0;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		bconn_set_events(c, EPOLLIN | EPOLLOUT);
		return 0;
	}
	bconn_fail(c, "TLS handshake failed: %s",
	    ERR_reason_error_string(ERR_peek_error()) != NULL ?
	    ERR_reason_error_string(ERR_peek_error()) : "closed");
	return -1;
}

static void
bconn_read(struct bconn *c, uint64_t now)
{
	struct client *w = c->w;
	ssize_t n;
	int r, e, rounds;

	for (rounds = 0; rounds < 8 && c->state != BC_DEAD; rounds++) {
		if (c->state == BC_HANDSHAKE) {
			(void)bconn_handshake(c);
			if (c->state == BC_HANDSHAKE)
				return;
			continue;
		}
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_read(c->ssl, w->rbuf, sizeof(w->rbuf));
			if (r <= 0) {
				e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ)
					return;
				if (e == SSL_ERROR_WANT_WRITE) {
					bconn_set_events(c,
					    EPOLLIN | EPOLLOUT);
					return;
				}
				bconn_fail(c, "connection closed (TLS)");
				return;
			}
			n = r;
		} else {
			n = read(c->fd, w->rbuf, sizeof(w->rbuf));
			if (n == -1) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return;
				bconn_fail(c, "read: %s", strerror(errno));
				return;
			}
			if (n == 0) {
				bconn_fail(c, "connection closed");
				return;
			}
		}
		if (bconn_input(c, w->rbuf, (size_t)n, now) == -1)
			return;
		if (c->ssl == NULL && (size_t)n < sizeof(w->rbuf) &&
		    c->state != BC_HANDSHAKE)
			return;
	}
}

/* ---- Connecting ----------------------------------------------------- */

static void
bconn_start(struct bconn *c, uint64_t now)
{
	const struct bench_load *load = c->w->load;
	struct epoll_event ev;
	struct sockaddr_in src;
	int fd, one = 1;

	c->t_start = now;
	c->state = BC_CONNECTING;
	c->w->in_setup++;
	c->parser = acap_parser_new(ACAP_PARSER_RESPONSE, &c->w->limits);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		bconn_fail(c, "socket: %s", strerror(errno));
		return;
	}
	c->fd = fd;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (load->per_source > 0) {
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(INADDR_LOOPBACK +
		    c->gidx / load->per_source);
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
			bconn_fail(c, "bind %s: %s", inet_ntoa(src.sin_addr),
			    strerror(errno));
			return;
		}
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(c->w->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		bconn_fail(c, "epoll_ctl: %s", strerror(errno));
		return;
	}
	c->events = EPOLLOUT;
	if (connect(fd, (const struct sockaddr *)&load->server,
	    sizeof(load->server)) == -1 && errno != EINPROGRESS) {
		bconn_fail(c, "connect: %s", strerror(errno));
		return;
	}
}

static void
bconn_connected(struct bconn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		bconn_fail(c, "connect: %s", strerror(err));
		return;
	}
	c->state = BC_GREETING;
	bconn_set_events(c, EPOLLIN);
}

static void
bconn_event(struct bconn *c, uint32_t events, uint64_t now)
{
	if (c->state == BC_DEAD)
		return;
	if (c->state == BC_CONNECTING) {
		if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0)
			return;
		bconn_connected(c);
		return;
	}
	if (c->state == BC_HANDSHAKE) {
		(void)bconn_handshake(c);
		if (c->state != BC_GREETING_TLS)
			return;
		/* the greeting may already be buffered by OpenSSL */
		bconn_read(c, now);
		return;
	}
	if ((events & EPOLLOUT) != 0 && c->outlen > 0)
		if (bconn_flush(c) == -1)
			return;
	if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 ||
	    (c->ssl != NULL && c->outlen == 0 && (events & EPOLLOUT) != 0))
		bconn_read(c, now);
	if (c->state != BC_DEAD && c->outlen == 0 &&
	    (c->events & EPOLLOUT) != 0)
		bconn_set_events(c, EPOLLIN);
}

/* ---- Control -------------------------------------------------------- */

static void
client_send_ready(struct client *w)
{
	struct acap_buf b = ACAP_BUF_INIT;
	struct bench_msg_ready m;

	memset(&m, 0, sizeof(m));
	m.type = BENCH_MSG_READY;
	m.ok = w->ready;
	m.failed = w->failed;
	m.cpu = bench_proc_self_cpu();
	snprintf(m.error, sizeof(m.error), "%s", w->error);
	w->error[0] = '\0';
	acap_buf_add(&b, &m, sizeof(m));
	bench_hist_encode(w->setup_hist, &b);
	client_send_msg(w, b.data, b.len);
	acap_buf_deinit(&b);
	w->ready_sent = true;
}

static void
client_send_report(struct client *w)
{
	struct acap_buf b = ACAP_BUF_INIT, h = ACAP_BUF_INIT, g = ACAP_BUF_INIT;
	struct acap_buf v = ACAP_BUF_INIT;
	struct bench_msg_report m;
	struct bench_msg_role mr;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.type = BENCH_MSG_REPORT;
	m.nroles = (uint32_t)w->nroles;
	m.cpu = w->cpu_end - w->cpu_start;
	m.lost = w->lost;
	snprintf(m.error, sizeof(m.error), "%s", w->error);
	acap_buf_add(&b, &m, sizeof(m));
	for (i = 0; i < w->nroles; i++) {
		struct client_role *r = &w->roles[i];

		acap_buf_reset(&h);
		acap_buf_reset(&g);
		acap_buf_reset(&v);
		bench_hist_encode(r->hist, &h);
		bench_hist_encode(r->lag, &g);
		bench_hist_encode(r->svc, &v);
		memset(&mr, 0, sizeof(mr));
		mr.completed = r->completed;
		mr.errors = r->errors;
		mr.entries = r->entries;
		mr.notifications = r->notifications;
		mr.bytes_in = r->bytes_in;
		mr.hist_len = (uint32_t)h.len;
		mr.lag_len = (uint32_t)g.len;
		mr.svc_len = (uint32_t)v.len;
		acap_buf_add(&b, &mr, sizeof(mr));
		acap_buf_add(&b, h.data, h.len);
		acap_buf_add(&b, g.data, g.len);
		acap_buf_add(&b, v.data, v.len);
	}
	client_send_msg(w, b.data, b.len);
	acap_buf_deinit(&b);
	acap_buf_deinit(&h);
	acap_buf_deinit(&g);
	acap_buf_deinit(&v);
}

static unsigned int
client_context_conns(struct client *w)
{
	unsigned int i, n = 0;

	for (i = 0; i < w->nconns; i++)
		if (w->conns[i].state == BC_READY &&
		    w->conns[i].role->cfg->context_cmd != NULL)
			n++;
	return n;
}

static void
client_collect(struct client *w, uint64_t t0)
{
	struct acap_buf b = ACAP_BUF_INIT;
	struct bench_msg_fanout m;
	struct bench_hist *h = bench_hist_new();
	unsigned int i;

	memset(&m, 0, sizeof(m));
	m.type = BENCH_MSG_FANOUT;
	for (i = 0; i < w->nconns; i++) {
		struct bconn *c = &w->conns[i];

		if (c->state != BC_READY || c->role->cfg->context_cmd == NULL)
			continue;
		m.contexts++;
		if (c->notified_ns == 0)
			continue;
		m.notified++;
		bench_hist_add(h, c->notified_ns > t0 ?
		    c->notified_ns - t0 : 0);
	}
	w->armed = false;
	acap_buf_add(&b, &m, sizeof(m));
	bench_hist_encode(h, &b);
	client_send_msg(w, b.data, b.len);
	acap_buf_deinit(&b);
	bench_hist_free(&h);
}

static void
client_start_run(struct client *w, const struct bench_msg_run *m,
    uint64_t now)
{
	size_t i;
	unsigned int j;

	w->running = true;
	w->measuring = true;
	w->stopped = false;
	w->start_ns = m->start_ns;
	w->end_ns = m->end_ns;
	w->cpu_start = w->cpu_end = -1;
	w->error[0] = '\0';
	for (i = 0; i < w->nroles; i++) {
		struct client_role *r = &w->roles[i];

		bench_hist_reset(r->hist);
		bench_hist_reset(r->lag);
		bench_hist_reset(r->svc);
		r->completed = r->errors = r->entries = r->bytes_in = 0;
		r->free_list = NULL;
		r->next_slot = 0;
		r->slot0_ns = now;
		if (r->cfg->rate > 0)
			r->interval_ns = (uint64_t)(1e9 / r->cfg->rate);
	}
	for (j = 0; j < w->nconns; j++)
		bconn_idle(&w->conns[j], now);
}

static void
client_ping(struct client *w, uint64_t now)
{
	unsigned int i;

	w->pinging = true;
	w->ping_left = w->ping_alive = 0;
	w->ping_deadline = now + (uint64_t)CLIENT_PING_MS * 1000000u;
	for (i = 0; i < w->nconns; i++) {
		struct bconn *c = &w->conns[i];

		if (c->state != BC_READY)
			continue;
		c->ping_wait = true;
		w->ping_left++;
		if (bconn_sendf(c, "P NOOP\r\n") == -1)
			continue;
	}
}

static void
client_finish_ping(struct client *w)
{
	struct bench_msg_pong m;

	memset(&m, 0, sizeof(m));
	m.type = BENCH_MSG_PONG;
	m.alive = w->ping_alive;
	m.dead = w->ready - w->ping_alive;
	m.lost = (uint32_t)w->lost;
	w->pinging = false;
	client_send_msg(w, &m, sizeof(m));
}

static void
client_control(struct client *w, uint64_t now)
{
	union {
		uint32_t type;
		struct bench_msg_run run;
		struct bench_msg_collect collect;
		char raw[256];
	} m;
	ssize_t n;
	uint32_t t;

	n = recv(w->ctl, &m, sizeof(m), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || (size_t)n < sizeof(uint32_t)) {
		w->quit = true;
		return;
	}
	switch (m.type) {
	case BENCH_MSG_RUN:
		if ((size_t)n >= sizeof(m.run))
			client_start_run(w, &m.run, now);
		break;
	case BENCH_MSG_ARM: {
		unsigned int i;

		for (i = 0; i < w->nconns; i++)
			w->conns[i].notified_ns = 0;
		w->armed = true;
		w->expected = client_context_conns(w);
		w->notified = 0;
		w->notified_sent = false;
		t = BENCH_MSG_ARMED;
		client_send_msg(w, &t, sizeof(t));
		break;
	}
	case BENCH_MSG_COLLECT:
		if ((size_t)n >= sizeof(m.collect))
			client_collect(w, m.collect.t0_ns);
		break;
	case BENCH_MSG_PING:
		client_ping(w, now);
		if (w->ping_left == 0)
			client_finish_ping(w);
		break;
	case BENCH_MSG_QUIT:
	default:
		w->quit = true;
		break;
	}
}

/* ---- Loop ----------------------------------------------------------- */

static void
client_start_more(struct client *w, uint64_t now)
{
	while (w->next_start < w->nconns &&
	    w->in_setup < w->load->concurrency)
		bconn_start(&w->conns[w->next_start++], now);
}

static void
client_check_timeouts(struct client *w, uint64_t now)
{
	uint64_t limit = (uint64_t)w->load->setup_timeout_ms * 1000000u;
	unsigned int i;

	for (i = 0; i < w->next_start; i++) {
		struct bconn *c = &w->conns[i];

		if (bconn_in_setup(c) && now - c->t_start > limit)
			bconn_fail(c, "set-up timed out (state %d)",
			    (int)c->state);
	}
}

static bool
client_inflight(struct client *w)
{
	unsigned int i;

	for (i = 0; i < w->nconns; i++)
		if (w->conns[i].state == BC_READY &&
		    w->conns[i].inflight > 0)
			return true;
	return false;
}

/* Next wake-up for rate slots, the run's end, timeouts. */
static uint64_t
client_next_timer(struct client *w, uint64_t now)
{
	uint64_t next = now + 100000000u;	/* 100 ms */
	size_t i;

	if (w->running && !w->stopped) {
		if (w->start_ns > now && w->start_ns < next)
			next = w->start_ns;
		if (w->end_ns < next)
			next = w->end_ns;
		for (i = 0; i < w->nroles; i++) {
			struct client_role *r = &w->roles[i];
			uint64_t t;

			if (r->cfg->rate <= 0 || r->free_list == NULL)
				continue;
			t = r->slot0_ns + r->next_slot * r->interval_ns;
			if (t < next)
				next = t;
		}
	}
	return next > now ? next : now;
}

static void
client_timers(struct client *w, uint64_t now)
{
	size_t i;

	if (w->running && w->cpu_start < 0 && now >= w->start_ns)
		w->cpu_start = bench_proc_self_cpu();
	if (w->running && !w->stopped) {
		if (now >= w->end_ns) {
			w->stopped = true;
			w->cpu_end = bench_proc_self_cpu();
			if (w->cpu_start < 0)
				w->cpu_start = w->cpu_end;
		} else
			for (i = 0; i < w->nroles; i++)
				if (w->roles[i].cfg->rate > 0)
					role_issue_due(w, &w->roles[i], now);
	}
	if (w->running && w->stopped && (!client_inflight(w) ||
	    now > w->end_ns + (uint64_t)CLIENT_DRAIN_MS * 1000000u)) {
		w->running = false;
		w->measuring = false;
		client_send_report(w);
	}
	if (w->armed && !w->notified_sent && w->notified > 0 &&
	    w->notified >= w->expected) {
		uint32_t t = BENCH_MSG_NOTIFIED;

		w->notified_sent = true;
		client_send_msg(w, &t, sizeof(t));
	}
	if (w->pinging && (w->ping_left == 0 || now > w->ping_deadline))
		client_finish_ping(w);
}

static void
client_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
client_init(struct client *w, const struct bench_load *load, int ctl_fd)
{
	struct epoll_event ev;
	unsigned int i, k;
	size_t ri;

	memset(w, 0, sizeof(*w));
	w->load = load;
	w->ctl = ctl_fd;
	w->limits.max_line = 1u << 20;
	w->limits.max_literal = 16u << 20;
	w->limits.max_nonsync_literal = 0;
	w->limits.max_command = 64u << 20;
	w->limits.max_depth = 64;
	w->limits.max_args = 4u << 20;
	w->setup_hist = bench_hist_new();
	if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, ctl_fd, &ev) == -1)
		return -1;
	if (load->tls) {
		if ((w->ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			return -1;
		/* loopback benchmark against a throw-away certificate */
		SSL_CTX_set_verify(w->ssl_ctx, SSL_VERIFY_NONE, NULL);
		SSL_CTX_set_mode(w->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
		    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
		    SSL_MODE_RELEASE_BUFFERS);
		SSL_CTX_set_session_cache_mode(w->ssl_ctx,
		    SSL_SESS_CACHE_OFF);
	}
	w->nroles = load->nroles;
	for (ri = 0; ri < load->nroles; ri++)
		w->nconns += load->roles[ri].nconns;
	if ((w->conns = calloc(w->nconns ? w->nconns : 1,
	    sizeof(*w->conns))) == NULL)
		return -1;
	k = 0;
	for (ri = 0; ri < load->nroles; ri++) {
		struct client_role *r = &w->roles[ri];

		r->cfg = &load->roles[ri];
		r->first = k;
		r->hist = bench_hist_new();
		r->lag = bench_hist_new();
		r->svc = bench_hist_new();
		for (i = 0; i < r->cfg->nconns; i++, k++) {
			struct bconn *c = &w->conns[k];

			c->w = w;
			c->role = r;
			c->fd = -1;
			c->gidx = load->first_conn + k;
			c->user = load->users > 0 ?
			    c->gidx % load->users + 1 : c->gidx + 1;
			c->state = BC_WAITING;
		}
	}
	return 0;
}

static void
client_deinit(struct client *w)
{
	unsigned int i;
	size_t ri;

	for (i = 0; i < w->nconns; i++) {
		struct bconn *c = &w->conns[i];

		if (c->state != BC_DEAD && c->state != BC_WAITING) {
			/* no accounting on the way out */
			c->state = BC_DEAD;
			if (c->ssl != NULL)
				SSL_free(c->ssl);
			if (c->fd != -1)
				close(c->fd);
			acap_parser_free(&c->parser);
			free(c->out);
		}
	}
	free(w->conns);
	for (ri = 0; ri < w->nroles; ri++) {
		bench_hist_free(&w->roles[ri].hist);
		bench_hist_free(&w->roles[ri].lag);
		bench_hist_free(&w->roles[ri].svc);
	}
	bench_hist_free(&w->setup_hist);
	if (w->ssl_ctx != NULL)
		SSL_CTX_free(w->ssl_ctx);
	if (w->ep != -1)
		close(w->ep);
}

int
bench_client_worker(const struct bench_load *load, int ctl_fd)
{
	static struct client w;
	struct epoll_event events[CLIENT_EVENTS];
	struct timespec ts;
	uint64_t now, next, last_check = 0;
	int n, i;

	signal(SIGPIPE, SIG_IGN);
	client_raise_nofile();
	if (client_init(&w, load, ctl_fd) == -1) {
		fprintf(stderr, "acap-bench worker: init: %s\n",
		    strerror(errno));
		return 1;
	}
	now = bench_proc_now_ns();
	client_start_more(&w, now);
	while (!w.quit) {
		now = bench_proc_now_ns();
		next = client_next_timer(&w, now);
		ts.tv_sec = (time_t)((next - now) / 1000000000u);
		ts.tv_nsec = (long)((next - now) % 1000000000u);
		n = epoll_pwait2(w.ep, events, CLIENT_EVENTS, &ts, NULL);
		if (n == -1 && errno != EINTR) {
			fprintf(stderr, "acap-bench worker: epoll: %s\n",
			    strerror(errno));
			break;
		}
		now = bench_proc_now_ns();
		for (i = 0; i < n; i++) {
			if (events[i].data.ptr == NULL) {
				client_control(&w, now);
				continue;
			}
			bconn_event(events[i].data.ptr, events[i].events,
			    now);
		}
		if (!w.ready_sent) {
			client_start_more(&w, now);
			if (now - last_check > 100000000u) {
				client_check_timeouts(&w, now);
				last_check = now;
			}
			if (w.next_start == w.nconns && w.in_setup == 0)
				client_send_ready(&w);
		}
		client_timers(&w, now);
	}
	client_deinit(&w);
	return 0;
}
