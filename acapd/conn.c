/*
 * conn.c -- per-connection state and I/O on libevent bufferevents.
 *
 * Owns each struct conn from accept to free: its bufferevent (plain
 * socket, replaced by a TLS one on the same socket after STARTTLS), its
 * parser, per-address accounting, idle timeouts and the deferred close.
 * Commands are executed one at a time in arrival order (RFC 2244 §2.4.4);
 * output goes through the bufferevent's non-blocking output buffer
 * (§2.4.2).  It knows nothing about what commands mean: commands.c does.
 *
 * One file (about 1,800 lines): accept, reading, the output cap and the
 * answer written in pieces, TLS read-ahead and the close path all act on
 * the same struct conn and its bufferevent swap at STARTTLS; split, each
 * part would need the struct's insides and the others' invariants.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "acap-buf.h"
#include "acap-parser.h"
#include "config.h"
#include "conn.h"
#include "bounds.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "tls.h"

struct ipcount {
	struct ipcount *next;
	unsigned char addr[16];
	unsigned int count;
	size_t literal;		/* literal octets in flight, unauthenticated */
};

/*
 * Literal octets in flight per authenticated user, summed over the
 * user's connections (cfg->max_literal_inflight): an entry exists only
 * while some are.
 */
struct useracct {
	struct useracct *next;
	size_t literal;
	char user[];
};
#define USERACCT_SIZE 4096
static struct useracct *useracct_table[USERACCT_SIZE];

#define IPTABLE_SIZE 4096
#define CONN_INPUT_HIWAT (256 * 1024)
static struct ipcount *iptable[IPTABLE_SIZE];

/*
 * Failed logins per address, kept after the connections go: a fixed-size
 * table (bounded memory whatever the number of addresses), each slot a
 * counting window.  A full probe run evicts the oldest window.
 */
#define AUTHFAIL_SLOTS IPTABLE_SIZE
#define AUTHFAIL_PROBE 8
struct authfail {
	unsigned char addr[16];
	unsigned int count;
	time_t start;
	bool used;
};
static struct authfail authfail_table[AUTHFAIL_SLOTS];

struct conn {
	TAILQ_ENTRY(conn) entry;
	uint64_t id;
	int fd;
	struct bufferevent *bev;	/* top of the stack (TLS or socket) */
	struct acap_parser *parser;
	struct ipcount *ip;
	char peer[INET6_ADDRSTRLEN + 8];
	bool loopback;

	enum conn_state state;
	char *user;
	char *authid;			/* authenticated identity, if not user */
	char **groups;
	size_t ngroups;
	bool admin;
	bool tls;
	bool tls_pending;	/* STARTTLS OK queued, switch after command */
	bool tls_switching;	/* reads off until the OK is written */
	bool tls_ready;		/* TLS handshake done */
	struct evbuffer *tls_out;	/* TLS: plaintext not yet given to SSL */
	bool closing;
	bool freeing;
	bool output_shut;	/* slow-reader BYE queued: nothing after it */
	bool read_paused;	/* output above high-water */
	bool input_full;	/* unread input at CONN_INPUT_HIWAT */
	bool paused;		/* failed-login delay */
	bool suspended;		/* a command answers later (conn_suspend) */
	void (*suspend_cancel)(struct conn *, void *);
	void *suspend_arg;
	/* a piecewise answer (conn_stream): its next lines */
	int (*stream_more)(struct conn *, void *);
	bool producing;		/* stream_more is writing: no output cap */
	bool in_callback;
	bool flush_queued;	/* on flush_list */
	TAILQ_ENTRY(conn) flush_entry;
	bool unauth_queued;	/* on unauth_queue (counted in nconns_unauth) */
	TAILQ_ENTRY(conn) unauth_entry;
	long long accepted_us;	/* server_now_us() at accept */
	long long close_deadline;	/* us: free even if output is stuck */
	char *sasl_tag;		/* tag of a running AUTHENTICATE */
	unsigned int bad_count;
	unsigned int auth_failures;
	unsigned char addr[16];		/* peer address, v4-mapped */
	struct event *timer;	/* pause / close timer, created lazily */
	struct event *idle_ev;	/* autologout / login grace timer */
	void *sasl;		/* owned by sasl.c via conn_sasl_slot() */
	void *contexts;		/* owned by context.c via conn_context_slot() */
	char *close_reason;
	TAILQ_ENTRY(conn) user_entry;	/* in user_table, once authenticated */
	bool user_indexed;
	/* literal octets of the command being read (conn_literal_cb) */
	size_t lit_held;
	size_t *lit_total;	/* where they are counted: user or address */
	struct useracct *lit_user;
	const char *lang;	/* LANG's choice (a static string), or NULL */
};

struct server *srv;
static uint64_t conn_next_id = 1;

/*
 * Connections with output written outside their own callbacks, flushed
 * by a zero timer (or by conn_flush_pending()) within this loop turn.
 */
static TAILQ_HEAD(, conn) flush_list = TAILQ_HEAD_INITIALIZER(flush_list);
static struct event *flush_ev;

/*
 * Authenticated connections by user name (conn_foreach_user), so that a
 * change to one user's provisioning reaches that user's sessions without
 * a walk over every connection: chained buckets, as many as a quarter of
 * max_conns (a power of two), allocated at the first login.
 */
TAILQ_HEAD(conn_tq, conn);
static struct conn_tq *user_table;
static size_t user_mask;

/* Connections not yet authenticated, oldest first (conn_evict_unauth()). */
static struct conn_tq unauth_queue = TAILQ_HEAD_INITIALIZER(unauth_queue);

static void conn_read_cb(struct bufferevent *bev, void *arg);
static void conn_write_cb(struct bufferevent *bev, void *arg);
static void conn_event_cb(struct bufferevent *bev, short what, void *arg);
static void conn_process(struct conn *c);
static void conn_flush(struct conn *c);
static void conn_switch_tls(struct conn *c);
static void conn_end_callback(struct conn *c);
static void conn_free(struct conn *c);
static void conn_check_free(struct conn *c);
static void conn_arm_timer(struct conn *c, unsigned int ms);
static size_t conn_output_pending(const struct conn *c);
static void conn_stream_pump(struct conn *c);

/* Hooks other modules install to release per-connection state. */
void (*conn_sasl_free_hook)(void **slot);
/* The layer above (conn_set_handlers()); see conn.h. */
static struct conn_handlers handlers;

void
conn_set_handlers(const struct conn_handlers *h)
{
	handlers = *h;
}

void (*conn_context_free_hook)(struct conn *c, void **slot);
/* A piecewise answer is complete: held notifications may go (context.c). */
void (*conn_context_resume_hook)(struct conn *c, void **slot);

void
conn_log(const struct conn *c, int prio, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (prio > log_get_level())
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_msg(prio, "%016llx %s", (unsigned long long)c->id, buf);
}

/* Per-address accounting (cfg->max_connections_per_ip). */

static unsigned int
ip_hash(const unsigned char *a)
{
	unsigned int h = 2166136261u;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ a[i]) * 16777619u;
	return h % IPTABLE_SIZE;
}

static void
ip_key(const struct sockaddr *sa, unsigned char key[16])
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		key[10] = key[11] = 0xff;	/* v4-mapped */
		memcpy(key + 12, &s4->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
		    (const struct sockaddr_in6 *)sa;

		memcpy(key, &s6->sin6_addr, 16);
	}
}

static struct ipcount *
ip_get(const unsigned char key[16], bool create)
{
	unsigned int h = ip_hash(key);
	struct ipcount *ic;

	for (ic = iptable[h]; ic != NULL; ic = ic->next)
		if (memcmp(ic->addr, key, 16) == 0)
			return ic;
	if (!create)
		return NULL;
	if ((ic = calloc(1, sizeof(*ic))) == NULL)
		return NULL;
	memcpy(ic->addr, key, 16);
	ic->next = iptable[h];
	iptable[h] = ic;
	return ic;
}

static void
ip_put(struct ipcount *ic)
{
	unsigned int h;
	struct ipcount **pp;

	if (ic == NULL || --ic->count > 0)
		return;
	h = ip_hash(ic->addr);
	for (pp = &iptable[h]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == ic) {
			*pp = ic->next;
			free(ic);
			return;
		}
}

static unsigned int
useracct_hash(const char *user)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *user != '\0'; user++)
		h = (h ^ (unsigned char)*user) * 16777619u;
	return h % USERACCT_SIZE;
}

static struct useracct *
useracct_get(const char *user)
{
	struct useracct **head = &useracct_table[useracct_hash(user)], *u;
	size_t len = strlen(user);

	for (u = *head; u != NULL; u = u->next)
		if (strcmp(u->user, user) == 0)
			return u;
	if ((u = calloc(1, sizeof(*u) + len + 1)) == NULL)
		return NULL;
	memcpy(u->user, user, len + 1);
	u->next = *head;
	*head = u;
	return u;
}

static void
useracct_put(struct useracct *u)
{
	struct useracct **pp;

	if (u->literal > 0)
		return;
	for (pp = &useracct_table[useracct_hash(u->user)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			free(u);
			return;
		}
}

/*
 * The parser's literal hook (acap_parser_set_literal_hook()): n more
 * literal octets for the command c is reading, counted against
 * max_literal_inflight for c's user -- over all of the user's
 * connections -- or, before authentication, for c's address.  Over it,
 * the literal is refused (BAD for {n}, BYE for {n+}, as for one over
 * max_literal).  What the command holds is given back by
 * conn_literal_release() when the command is complete, refused or
 * dropped, or the connection goes.
 */
static const char *
conn_literal_cb(void *arg, size_t n)
{
	struct conn *c = arg;

	if (n == 0)
		return NULL;
	if (c->lit_total == NULL) {
		if (c->state == CONN_AUTH && c->user != NULL) {
			if ((c->lit_user = useracct_get(c->user)) == NULL)
				return "out of memory";
			c->lit_total = &c->lit_user->literal;
		} else if (c->ip != NULL) {
			c->lit_total = &c->ip->literal;
		} else {
			return NULL;
		}
	}
	if (*c->lit_total + n > cfg->max_literal_inflight) {
		conn_log(c, LOG_NOTICE, "literal of %zu octets refused: %zu "
		    "in flight for this %s (max_literal_inflight %u)", n,
		    *c->lit_total, c->lit_user != NULL ? "user" : "address",
		    cfg->max_literal_inflight);
		if (c->lit_total != NULL && c->lit_held == 0) {
			if (c->lit_user != NULL)
				useracct_put(c->lit_user);
			c->lit_user = NULL;
			c->lit_total = NULL;
		}
		return c->state == CONN_AUTH ?
		    "Too many literal octets in flight for this user" :
		    "Too many literal octets in flight from this address";
	}
	*c->lit_total += n;
	c->lit_held += n;
	return NULL;
}

/* The command's literal octets are no longer held. */
static void
conn_literal_release(struct conn *c)
{
	if (c->lit_total != NULL)
		*c->lit_total -= c->lit_held;
	if (c->lit_user != NULL)
		useracct_put(c->lit_user);
	c->lit_user = NULL;
	c->lit_total = NULL;
	c->lit_held = 0;
}

static void
conn_limits(struct conn *c, struct acap_limits *lim)
{
	if (c->state == CONN_NONAUTH) {
		lim->max_line = cfg->preauth_max_line;
		lim->max_literal = cfg->preauth_max_literal;
		lim->max_nonsync_literal = cfg->preauth_max_nonsync;
		lim->max_command = cfg->preauth_max_command;
		lim->max_depth = 1;
		lim->max_args = 16;
	} else {
		/* 0 (the default): a line is bounded by the command */
		lim->max_line = cfg->max_line != 0 &&
		    cfg->max_line < cfg->max_command ? cfg->max_line :
		    cfg->max_command;
		lim->max_literal = cfg->max_literal;
		lim->max_nonsync_literal = cfg->max_literal;
		lim->max_command = cfg->max_command;
		lim->max_depth = cfg->max_depth;
		lim->max_args = cfg->max_args;
	}
}

/*
 * Idle timeouts go through libevent's common-timeout queues (one queue per
 * duration, O(1) to re-arm), so tens of thousands of dormant connections
 * cost no timer work until one of them actually expires.
 */
static const struct timeval *
conn_common_timeout(unsigned int secs)
{
	static struct {
		unsigned int secs;
		struct timeval tv;
	} cache[4];
	static int next;
	const struct timeval *tv;
	struct timeval want;
	int i;

	for (i = 0; i < 4; i++)
		if (cache[i].secs == secs)
			return &cache[i].tv;
	want.tv_sec = secs;
	want.tv_usec = 0;
	/* libevent keeps at most 256 queues per base: reloads are rare. */
	tv = event_base_init_common_timeout(srv->base, &want);
	i = next;
	next = (next + 1) % 4;
	cache[i].secs = secs;
	cache[i].tv = tv != NULL ? *tv : want;
	return &cache[i].tv;
}

/*
 * The autologout timer.  After authentication it restarts at every
 * complete command (RFC 2244 §2.4.3: "any command"), not at every byte,
 * so a client trickling a partial line cannot hold a session open.
 * Before authentication it is not restarted at all: preauth_idle_timeout
 * is a login grace period counted from the connect.  During a piecewise
 * answer (conn_stream) it is the output timeout instead, restarted at
 * every piece: no command can come, and the client must read.
 */
static void
conn_set_timeouts(struct conn *c)
{
	if (c->idle_ev == NULL)
		return;
	evtimer_add(c->idle_ev, conn_common_timeout(
	    c->stream_more != NULL ? cfg->output_timeout :
	    c->state == CONN_AUTH ? cfg->idle_timeout :
	    cfg->preauth_idle_timeout));
}

static void
conn_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct acap_buf b = ACAP_BUF_INIT;

	(void)fd;
	(void)what;
	if (c->closing)
		return;
	if (c->stream_more != NULL) {
		/* §6.2.8: BYE, after the lines already queued */
		conn_log(c, LOG_WARNING, "dropping slow reader: answer not "
		    "read for %u s, %zu bytes queued", cfg->output_timeout,
		    conn_output_pending(c));
		acap_buf_addstr(&b, "* BYE ");
		acap_buf_add_text(&b, "Output not read in time");
		acap_buf_addstr(&b, "\r\n");
		conn_write(c, b.data, b.len);
		acap_buf_deinit(&b);
		conn_close(c, "output not read in time");
		return;
	}
	/* RFC 2244 §2.4.3 / §6.2.8: BYE before closing. */
	acap_buf_addstr(&b, "* BYE ");
	acap_buf_add_text(&b, c->state == CONN_AUTH ?
	    "Autologout; idle for too long" :
	    "Autologout; authentication took too long");
	acap_buf_addstr(&b, "\r\n");
	conn_write(c, b.data, b.len);
	acap_buf_deinit(&b);
	conn_close(c, c->state == CONN_AUTH ? "idle timeout" :
	    "login grace period over");
}

/*
 * The caps in force.  max_unauth_connections and max_connections_per_ip
 * are 0 by default: derived from the effective max_connections (after
 * RLIMIT_NOFILE), half of it, so that neither clients that have not
 * authenticated nor one address can take every place (Postfix's default
 * per-client limit is also half its process limit); per address never
 * more than LIM_MAX_CONNECTIONS_PER_IP_DERIVED.  A configured value wins.
 */
static size_t
conn_half_cap(void)
{
	return srv->max_conns > 1 ? srv->max_conns / 2 : 1;
}

static size_t
conn_unauth_cap(void)
{
	if (cfg->max_unauth_connections != 0)
		return cfg->max_unauth_connections;
	return conn_half_cap();
}

static size_t
conn_per_ip_cap(void)
{
	if (cfg->max_connections_per_ip != 0)
		return cfg->max_connections_per_ip;
	return conn_half_cap() < LIM_MAX_CONNECTIONS_PER_IP_DERIVED ?
	    conn_half_cap() : LIM_MAX_CONNECTIONS_PER_IP_DERIVED;
}

static void
conn_warn_cap(const char *name, unsigned int value)
{
	if (value != 0 && value >= srv->max_conns)
		log_warn("%s %u is not below max_connections (%zu): clients "
		    "that do not authenticate, or one address, can take "
		    "every place", name, value, srv->max_conns);
}

void
conn_log_caps(void)
{
	log_info("up to %zu connections waiting to authenticate, %zu per "
	    "address", conn_unauth_cap(), conn_per_ip_cap());
	conn_warn_cap("max_unauth_connections", cfg->max_unauth_connections);
	conn_warn_cap("max_connections_per_ip", cfg->max_connections_per_ip);
}

static void
conn_unauth_leave(struct conn *c)
{
	if (!c->unauth_queued)
		return;
	TAILQ_REMOVE(&unauth_queue, c, unauth_entry);
	c->unauth_queued = false;
	srv->nconns_unauth--;
}

/*
 * The unauthenticated cap is reached: make room by closing the oldest
 * connection still waiting to authenticate, if it has waited at least
 * LIM_UNAUTH_EVICT_MS (Dovecot's login processes also close the oldest,
 * "Connection queue full").  Refusing every newcomer instead would let a
 * crowd of idle clients lock all users out for the login grace period;
 * this way the crowd must be renewed every LIM_UNAUTH_EVICT_MS.  Younger
 * ones are left alone, so a burst of reconnecting clients in the middle
 * of their TLS handshakes does not throw away work: the newcomer gets the
 * BYE.  Returns false when there is none to close.
 */
static bool
conn_evict_unauth(void)
{
	struct conn *c = TAILQ_FIRST(&unauth_queue);
	static const char bye[] = "* BYE \"Too many connections waiting to "
	    "authenticate; closing the oldest\"\r\n";

	if (c == NULL || server_now_us() - c->accepted_us <
	    LIM_UNAUTH_EVICT_MS * 1000LL)
		return false;
	conn_unauth_leave(c);
	metrics_inc(M_CONN_EVICTED_UNAUTH);
	if (!c->closing) {
		conn_write(c, bye, sizeof(bye) - 1);
		conn_close(c, "unauthenticated connection queue full");
	}
	return true;
}

/*
 * Refused connections are logged one line a second at most, so that a
 * flood of them (up to LIM_REFUSE_BURST per LIM_REFUSE_PAUSE_MS, main.c)
 * cannot flood the log as well: the first is logged at once, those that
 * follow within the second are counted and summed up when it ends.
 */
static struct event *refuse_ev;
static unsigned long refuse_quiet;	/* refused, not logged yet */
static const char *refuse_last;		/* the last one's reason */
static const struct timeval refuse_period = { 1, 0 };

static void
refuse_log_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (refuse_quiet == 0)
		return;
	log_info("refused %lu more connection(s) in the last second "
	    "(the last: %s)", refuse_quiet, refuse_last);
	refuse_quiet = 0;
	evtimer_add(refuse_ev, &refuse_period);
}

static void
refuse_log(const char *why)
{
	if (refuse_ev == NULL &&
	    (refuse_ev = evtimer_new(srv->base, refuse_log_cb, NULL)) == NULL)
		fatal("out of memory");
	if (evtimer_pending(refuse_ev, NULL)) {
		refuse_quiet++;
		refuse_last = why;
		return;
	}
	log_info("refused connection: %s", why);
	evtimer_add(refuse_ev, &refuse_period);
}

bool
conn_accept(int fd, const struct sockaddr *sa, socklen_t salen)
{
	unsigned char key[16];
	struct acap_limits lim;
	struct ipcount *ic;
	struct conn *c;
	const char *refuse = NULL;
	enum metrics_counter why = M_CONN_ACCEPTED;
	int one = 1;

	ip_key(sa, key);
	ic = ip_get(key, true);
	if (srv->shutting_down) {
		refuse = "Server shutting down";
		why = M_CONN_REFUSED_SHUTDOWN;
	} else if (srv->nconns >= srv->max_conns) {
		refuse = "Too many connections, try again later";
		why = M_CONN_REFUSED_MAX;
	} else if (ic == NULL || ic->count >= conn_per_ip_cap()) {
		refuse = "Too many connections from your address";
		why = M_CONN_REFUSED_PER_IP;
	} else if (srv->nconns_unauth >= conn_unauth_cap() &&
	    !conn_evict_unauth()) {
		refuse = "Too many connections waiting to authenticate";
		why = M_CONN_REFUSED_UNAUTH;
	}
	metrics_inc(why);
	if (refuse != NULL) {
		char line[128];
		int n;

		/* RFC 2244 §6.1: a BYE greeting refuses the session. */
		n = snprintf(line, sizeof(line), "* BYE \"%s\"\r\n", refuse);
		(void)!write(fd, line, n);
		close(fd);
		if (ic != NULL && ic->count == 0) {
			ic->count = 1;
			ip_put(ic);
		}
		refuse_log(refuse);
		return false;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return true;
	}
	c->id = conn_next_id++;
	c->fd = fd;
	memcpy(c->addr, key, 16);
	c->ip = ic;
	ic->count++;
	c->state = CONN_NONAUTH;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, c->peer, sizeof(c->peer));
		c->loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
		    (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, c->peer, sizeof(c->peer));
		c->loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
		    s6->sin6_addr.s6_addr[12] == 127);
	} else
		snprintf(c->peer, sizeof(c->peer), "unknown");
	(void)salen;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* RFC 5383 §4.2: no TCP keep-alive unless configured. */
	if (cfg->tcp_keepalive)
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));

	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		ip_put(ic);
		free(c);
		return true;
	}
	conn_limits(c, &lim);
	/* The parser exists only while input is being parsed (idle conns). */
	if ((c->idle_ev = evtimer_new(srv->base, conn_idle_cb, c)) == NULL) {
		bufferevent_free(c->bev);
		ip_put(ic);
		free(c);
		return true;
	}
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nconns++;
	srv->nconns_unauth++;
	TAILQ_INSERT_TAIL(&unauth_queue, c, unauth_entry);
	c->unauth_queued = true;
	c->accepted_us = server_now_us();
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	conn_set_timeouts(c);
	/* Output is written directly (conn_flush): EV_WRITE only on demand. */
	bufferevent_disable(c->bev, EV_WRITE);
	bufferevent_enable(c->bev, EV_READ);
	conn_log(c, LOG_INFO, "connect from %s", c->peer);
	handlers.greeting(c);
	conn_flush(c);
	/*
	 * Past the cap, accept goes on and refuses with a BYE greeting: the
	 * descriptor of a refused connection lives only in conn_accept(), and
	 * LIM_FD_RESERVE leaves room for it below RLIMIT_NOFILE.
	 */
	if (srv->nconns == srv->max_conns)
		log_warn("connection limit %zu reached: refusing more with "
		    "BYE", srv->max_conns);
	return true;
}

enum conn_state
conn_state(const struct conn *c)
{
	return c->state;
}

const char *
conn_user(const struct conn *c)
{
	return c->user;
}

const char *
conn_authid(const struct conn *c)
{
	return c->authid;
}

void
conn_set_authid(struct conn *c, const char *authid)
{
	free(c->authid);
	c->authid = NULL;
	if (authid != NULL && (c->user == NULL || strcmp(authid, c->user) != 0)
	    && (c->authid = strdup(authid)) == NULL)
		abort();
}

const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

const char *
conn_lang(const struct conn *c)
{
	return c->lang != NULL ? c->lang : "i-default";
}

void
conn_set_lang(struct conn *c, const char *lang)
{
	c->lang = lang;
}

const char *const *
conn_groups(const struct conn *c, size_t *n_r)
{
	*n_r = c->ngroups;
	return (const char *const *)c->groups;
}

static void
conn_free_groups(struct conn *c)
{
	while (c->ngroups > 0)
		free(c->groups[--c->ngroups]);
	free(c->groups);
	c->groups = NULL;
}

void
conn_set_groups(struct conn *c, const char *const *groups, size_t n)
{
	size_t i;

	conn_free_groups(c);
	if (n == 0 || (c->groups = calloc(n, sizeof(*c->groups))) == NULL)
		return;
	for (i = 0; i < n; i++)
		if ((c->groups[c->ngroups] = strdup(groups[i])) != NULL)
			c->ngroups++;
}

bool
conn_is_admin(const struct conn *c)
{
	return c->admin;
}

void
conn_count_states(size_t *unauth_r, size_t *auth_r, size_t *tls_r)
{
	const struct conn *c;

	*unauth_r = *auth_r = *tls_r = 0;
	TAILQ_FOREACH(c, &srv->conns, entry) {
		if (c->state == CONN_AUTH)
			(*auth_r)++;
		else
			(*unauth_r)++;
		if (c->tls_ready)
			(*tls_r)++;
	}
}

bool
conn_tls_active(const struct conn *c)
{
	return c->tls;
}

bool
conn_is_loopback(const struct conn *c)
{
	return c->loopback;
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

uint64_t
conn_id(const struct conn *c)
{
	return c->id;
}

struct store *
conn_store(const struct conn *c)
{
	(void)c;
	return srv->store;
}

void **
conn_sasl_slot(struct conn *c)
{
	return &c->sasl;
}

void **
conn_context_slot(struct conn *c)
{
	return &c->contexts;
}

bool
conn_closing(const struct conn *c)
{
	return c->closing;
}

static struct conn_tq *
user_bucket(const char *user)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *user != '\0'; user++)
		h = (h ^ (unsigned char)*user) * 16777619u;
	return &user_table[h & user_mask];
}

static void
user_index_del(struct conn *c)
{
	if (c->user_indexed) {
		TAILQ_REMOVE(user_bucket(c->user), c, user_entry);
		c->user_indexed = false;
	}
}

static void
user_index_add(struct conn *c)
{
	size_t n = 1, i;

	if (user_table == NULL) {
		while (n < srv->max_conns / 4 && n < (1u << 20))
			n <<= 1;
		if ((user_table = calloc(n, sizeof(*user_table))) == NULL)
			fatal("out of memory");
		for (i = 0; i < n; i++)
			TAILQ_INIT(&user_table[i]);
		user_mask = n - 1;
	}
	TAILQ_INSERT_TAIL(user_bucket(c->user), c, user_entry);
	c->user_indexed = true;
}

void
conn_foreach_user(const char *user, void (*fn)(struct conn *, void *),
    void *arg)
{
	struct conn *c, *next;

	if (user_table == NULL)
		return;
	for (c = TAILQ_FIRST(user_bucket(user)); c != NULL; c = next) {
		next = TAILQ_NEXT(c, user_entry);
		if (!c->closing && strcmp(c->user, user) == 0)
			fn(c, arg);
	}
}

void
conn_set_user(struct conn *c, const char *user, bool admin)
{
	struct acap_limits lim;

	user_index_del(c);
	free(c->user);
	c->user = strdup(user);
	if (c->user == NULL) {
		conn_close(c, "out of memory");
		return;
	}
	user_index_add(c);
	c->admin = admin;
	conn_unauth_leave(c);
	c->state = CONN_AUTH;
	conn_limits(c, &lim);
	if (c->parser != NULL)
		acap_parser_set_limits(c->parser, &lim);
	conn_set_timeouts(c);
	conn_log(c, LOG_INFO, "authenticated as %s%s", user,
	    admin ? " (admin)" : "");
}

void
conn_start_tls(struct conn *c)
{
	c->tls_pending = true;
}

void
conn_sasl_begin(struct conn *c, const char *tag)
{
	free(c->sasl_tag);
	c->sasl_tag = strdup(tag);
	if (c->sasl_tag == NULL) {
		conn_close(c, "out of memory");
		return;
	}
	if (c->parser != NULL)
		acap_parser_set_mode(c->parser, ACAP_PARSER_SASL_LINE);
}

void
conn_sasl_end(struct conn *c)
{
	free(c->sasl_tag);
	c->sasl_tag = NULL;
	if (c->parser != NULL)
		acap_parser_set_mode(c->parser, ACAP_PARSER_COMMAND);
}

bool
conn_in_sasl(const struct conn *c)
{
	return c->sasl_tag != NULL;
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->closing) {
		/* Flushed, or the peer did not take our last words in time. */
		if (conn_output_pending(c) == 0 ||
		    server_now_us() >= c->close_deadline)
			conn_free(c);
		else
			conn_check_free(c);
		return;
	}
	c->paused = false;
	c->in_callback = true;
	conn_process(c);
	conn_end_callback(c);
}

static void
conn_arm_timer(struct conn *c, unsigned int ms)
{
	struct timeval tv;

	if (c->timer == NULL) {
		c->timer = evtimer_new(srv->base, conn_timer_cb, c);
		if (c->timer == NULL)
			return;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

void
conn_pause(struct conn *c, unsigned int ms)
{
	if (ms == 0)
		return;
	c->paused = true;
	conn_arm_timer(c, ms);
}

void
conn_suspend(struct conn *c, void (*cancel)(struct conn *c, void *arg),
    void *arg)
{
	c->suspended = true;
	c->suspend_cancel = cancel;
	c->suspend_arg = arg;
}

/* The suspended command is over (answered, or its answer complete). */
static void
conn_unsuspend(struct conn *c)
{
	c->suspended = false;
	c->suspend_cancel = NULL;
	c->suspend_arg = NULL;
}

/* ---- Piecewise answers (conn_stream) ---------------------------------
 *
 * The answer's producer writes while the output is below the low-water
 * mark and stops above output_hiwat; while it waits, the bufferevent's
 * write low-water mark is the same, so libevent calls conn_write_cb()
 * once the client has read that far, and conn_process() goes on.  At
 * most output_hiwat plus one line is queued, whatever the answer's size.
 */

static size_t
conn_output_lowat(void)
{
	return cfg->output_hiwat / 2;
}

bool
conn_output_full(const struct conn *c)
{
	return conn_output_pending(c) > cfg->output_hiwat;
}

bool
conn_streaming(const struct conn *c)
{
	return c->stream_more != NULL;
}

/* The piecewise answer is complete: back to ordinary commands. */
static void
conn_stream_end(struct conn *c)
{
	c->stream_more = NULL;
	conn_unsuspend(c);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	conn_set_timeouts(c);
	if (conn_context_resume_hook != NULL)
		conn_context_resume_hook(c, &c->contexts);
}

/*
 * Go on with the piecewise answer as long as the output is below the
 * low-water mark.  Each piece restarts the output timeout.
 */
static void
conn_stream_pump(struct conn *c)
{
	int r;

	while (c->stream_more != NULL && !c->closing && !c->freeing &&
	    conn_output_pending(c) <= conn_output_lowat()) {
		c->producing = true;
		r = c->stream_more(c, c->suspend_arg);
		c->producing = false;
		if (r == 1)
			conn_stream_end(c);
		else
			conn_set_timeouts(c);
	}
}

int
conn_stream(struct conn *c, int (*more)(struct conn *c, void *arg),
    void (*cancel)(struct conn *c, void *arg), void *arg)
{
	/* An answer that fits goes out at once, costing nothing more. */
	if (!c->closing && conn_output_pending(c) <= conn_output_lowat()) {
		c->producing = true;
		if (more(c, arg) == 1) {
			c->producing = false;
			return 1;
		}
		c->producing = false;
	}
	/* the rest from conn_end_callback() or conn_write_cb() */
	conn_suspend(c, cancel, arg);
	c->stream_more = more;
	bufferevent_setwatermark(c->bev, EV_WRITE, conn_output_lowat(), 0);
	conn_set_timeouts(c);
	return 0;
}

void
conn_resume(struct conn *c)
{
	conn_unsuspend(c);
	if (c->in_callback || c->freeing)
		return;		/* the running loop goes on by itself */
	c->in_callback = true;
	conn_process(c);
	conn_end_callback(c);
}

static struct authfail *
authfail_slot(const unsigned char addr[16], bool create)
{
	unsigned int h = ip_hash(addr) % AUTHFAIL_SLOTS, i;
	struct authfail *a, *oldest = NULL;
	time_t now = time(NULL);

	for (i = 0; i < AUTHFAIL_PROBE; i++) {
		a = &authfail_table[(h + i) % AUTHFAIL_SLOTS];
		if (a->used && memcmp(a->addr, addr, 16) == 0) {
			if (now - a->start >= (time_t)cfg->auth_fail_window) {
				a->start = now;	/* a new window */
				a->count = 0;
			}
			return a;
		}
		if (!a->used || now - a->start >= (time_t)cfg->auth_fail_window)
			oldest = a;	/* free or expired: reusable */
		else if (oldest == NULL || (oldest->used &&
		    a->start < oldest->start))
			oldest = a;
	}
	if (!create || oldest == NULL)
		return NULL;
	memcpy(oldest->addr, addr, 16);
	oldest->count = 0;
	oldest->start = now;
	oldest->used = true;
	return oldest;
}

unsigned int
conn_auth_failed(struct conn *c)
{
	struct authfail *a = authfail_slot(c->addr, true);

	if (a != NULL)
		a->count++;
	return ++c->auth_failures;
}

bool
conn_auth_throttled(const struct conn *c)
{
	struct authfail *a = authfail_slot(c->addr, false);

	return a != NULL && a->count >= cfg->max_auth_failures_per_ip;
}

void
conn_count_bad(struct conn *c)
{
	if (++c->bad_count >= cfg->max_bad_commands && !c->closing) {
		static const char bye[] =
		    "* BYE \"Too many invalid commands\"\r\n";

		conn_write(c, bye, sizeof(bye) - 1);
		conn_close(c, "too many invalid commands");
	}
}

/* ---- Output ------------------------------------------------------------
 *
 * libevent's socket bufferevent arms EV_WRITE (an epoll_ctl) whenever
 * data is added and disarms it (another) once the data is written: two
 * system calls per reply or notification.  acapd writes the socket
 * itself instead.  Output accumulates while a connection's callback runs
 * (or, for writes from elsewhere, until the end of the loop turn) and is
 * written with one writev at the end; EV_WRITE is enabled only when the
 * kernel did not take everything, and libevent then writes the rest (and
 * reports errors) as before.  Under TLS the same is done through
 * SSL_write() (conn_flush_tls).
 */

/*
 * Under TLS the bufferevent's output buffer is not used while libevent
 * has nothing queued: its callback would arm EV_WRITE at every write and
 * write only once epoll reports the socket writable.  conn_write() keeps
 * the plaintext in tls_out instead and this gives it to SSL_write() at
 * once, in records of at most 16 KiB.  Whatever SSL_write() does not
 * take (the socket is full, an error) goes to the bufferevent, which
 * retries it from the same bytes as OpenSSL requires (libevent sets
 * SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) and reports errors.
 */
static void
conn_flush_tls(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	size_t len;
	int r;

	if (c->tls_out == NULL)
		return;
	while (c->tls_ready && ssl != NULL && evbuffer_get_length(out) == 0 &&
	    (len = evbuffer_get_length(c->tls_out)) > 0) {
		if (len > 16384)
			len = 16384;
		ERR_clear_error();
		r = SSL_write(ssl, evbuffer_pullup(c->tls_out, (ssize_t)len),
		    (int)len);
		if (r <= 0)
			break;
		evbuffer_drain(c->tls_out, (size_t)r);
	}
	if (evbuffer_get_length(c->tls_out) > 0)
		evbuffer_add_buffer(out, c->tls_out);
	evbuffer_free(c->tls_out);
	c->tls_out = NULL;
}

static void
conn_flush(struct conn *c)
{
	struct evbuffer *out;

	if (c->flush_queued) {
		TAILQ_REMOVE(&flush_list, c, flush_entry);
		c->flush_queued = false;
	}
	if (c->freeing)
		return;
	if (c->tls) {
		conn_flush_tls(c);
		return;
	}
	out = bufferevent_get_output(c->bev);
	/* The rest of a partial write is ours again. */
	if (bufferevent_get_enabled(c->bev) & EV_WRITE)
		bufferevent_disable(c->bev, EV_WRITE);
	if (evbuffer_get_length(out) > 0) {
		/* libevent freezes the start of a bufferevent's output. */
		evbuffer_unfreeze(out, 1);
		(void)evbuffer_write(out, c->fd);
		evbuffer_freeze(out, 1);
		/* Partly written, would block, or an error libevent reports. */
		if (evbuffer_get_length(out) > 0) {
			bufferevent_enable(c->bev, EV_WRITE);
			return;
		}
	}
	/* STARTTLS's OK is out: the handshake may begin. */
	if (c->tls_switching && !c->closing)
		conn_switch_tls(c);
}

static void
conn_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	conn_flush_pending();
}

void
conn_flush_pending(void)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&flush_list)) != NULL)
		conn_flush(c);
}

void
conn_write(struct conn *c, const void *data, size_t len)
{
	struct evbuffer *out;

	/* a dropped reader's BYE (§6.2.8) is the last thing it gets */
	if (c->freeing || c->output_shut)
		return;
	out = bufferevent_get_output(c->bev);
	if (!c->producing && conn_output_pending(c) + len > cfg->max_output) {
		/*
		 * A peer that stopped reading: drop it rather than grow
		 * without bound (DESIGN §3).  The BYE is best effort.
		 */
		static const char bye[] =
		    "* BYE \"Output queue limit exceeded\"\r\n";

		if (!c->closing) {
			/* the BYE comes after whatever is already queued */
			if (c->tls_out != NULL)
				evbuffer_add_buffer(out, c->tls_out);
			evbuffer_add(out, bye, sizeof(bye) - 1);
			conn_log(c, LOG_WARNING,
			    "dropping slow reader: %zu bytes queued",
			    evbuffer_get_length(out));
			c->output_shut = true;
			c->closing = true;
			conn_arm_timer(c, 0);
		}
		return;
	}
	if (c->tls) {
		if (c->tls_out == NULL && (c->tls_out = evbuffer_new()) == NULL)
			fatal("out of memory");
		evbuffer_add(c->tls_out, data, len);
	} else
		bufferevent_write(c->bev, data, len);
	if (!c->in_callback && !c->flush_queued) {
		static const struct timeval zero = { 0, 0 };

		c->flush_queued = true;
		TAILQ_INSERT_TAIL(&flush_list, c, flush_entry);
		if (flush_ev == NULL &&
		    (flush_ev = evtimer_new(srv->base, conn_flush_cb,
		    NULL)) == NULL)
			fatal("out of memory");
		if (!evtimer_pending(flush_ev, NULL))
			evtimer_add(flush_ev, &zero);
	}
}

void
conn_close(struct conn *c, const char *reason)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->close_reason == NULL && reason != NULL)
		c->close_reason = strdup(reason);
	bufferevent_disable(c->bev, EV_READ);
	/* Give the peer 10 seconds to take the rest of our output. */
	c->close_deadline = server_now_us() + 10000000;
	conn_arm_timer(c, 10000);
	if (!c->in_callback)
		conn_check_free(c);
}

/* Bytes queued for the peer (TLS: not yet taken by SSL_write()). */
static size_t
conn_output_pending(const struct conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev)) +
	    (c->tls_out != NULL ? evbuffer_get_length(c->tls_out) : 0);
}

/* Free the connection if it is closing and its output is flushed. */
static void
conn_check_free(struct conn *c)
{
	if (!c->closing || c->freeing)
		return;
	conn_flush(c);
	if (conn_output_pending(c) == 0)
		conn_free(c);
}

static void
conn_free(struct conn *c)
{
	if (c->freeing)
		return;
	c->freeing = true;
	if (c->flush_queued) {
		TAILQ_REMOVE(&flush_list, c, flush_entry);
		c->flush_queued = false;
	}
	conn_log(c, LOG_INFO, "disconnect: %s",
	    c->close_reason != NULL ? c->close_reason : "closed");
	if (c->suspend_cancel != NULL)
		c->suspend_cancel(c, c->suspend_arg);
	if (conn_context_free_hook != NULL)
		conn_context_free_hook(c, &c->contexts);
	if (conn_sasl_free_hook != NULL)
		conn_sasl_free_hook(&c->sasl);
	TAILQ_REMOVE(&srv->conns, c, entry);
	srv->nconns--;
	metrics_inc(M_CONN_CLOSED);
	if (c->tls && !c->tls_ready)
		metrics_inc(M_TLS_FAILED);	/* the handshake never ended */
	conn_unauth_leave(c);
	conn_literal_release(c);	/* before its address may go */
	ip_put(c->ip);
	user_index_del(c);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->idle_ev != NULL)
		event_free(c->idle_ev);
	if (c->tls_out != NULL)
		evbuffer_free(c->tls_out);
	/* Frees the SSL object too, and closes the socket. */
	bufferevent_free(c->bev);
	acap_parser_free(&c->parser);
	free(c->user);
	free(c->authid);
	conn_free_groups(c);
	free(c->sasl_tag);
	free(c->close_reason);
	free(c);
	if (srv->shutting_down && srv->nconns == 0)
		event_base_loopexit(srv->base, NULL);
}

static void
conn_reply_error(struct conn *c, const char *tag, const char *reason)
{
	struct acap_buf b = ACAP_BUF_INIT;

	/* RFC 2244 §6.2.7: BAD with the command's tag, or untagged. */
	acap_buf_addstr(&b, tag != NULL ? tag : "*");
	acap_buf_addstr(&b, " BAD ");
	acap_buf_add_text(&b, reason);
	acap_buf_addstr(&b, "\r\n");
	conn_write(c, b.data, b.len);
	acap_buf_deinit(&b);
}

/*
 * The STARTTLS OK has left: the socket's plaintext bufferevent gives way
 * to one that runs TLS on the same socket.  One bufferevent instead of a
 * TLS filter over the socket's: no second pair of buffers per connection,
 * and OpenSSL reads and writes the socket itself instead of through a
 * memory BIO.
 */
static void
conn_switch_tls(struct conn *c)
{
	struct bufferevent *tls;
	const char *err;
	SSL *ssl;

	c->tls_switching = false;
	if (srv->tls == NULL || (ssl = tls_ctx_ssl_new(srv->tls, &err)) == NULL) {
		conn_log(c, LOG_ERR, "cannot create TLS session: %s",
		    srv->tls == NULL ? "no certificate" : err);
		conn_close(c, "cannot create TLS session");
		return;
	}
	/*
	 * Read ahead: one read(2) takes what the socket has, a whole record
	 * or several, where OpenSSL would otherwise read each record's
	 * header and then its body (two system calls per command).  Records
	 * left in OpenSSL's buffer are taken by conn_tls_pull().
	 */
	SSL_set_read_ahead(ssl, 1);
	tls = bufferevent_openssl_socket_new(srv->base, c->fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (tls == NULL) {
		SSL_free(ssl);
		conn_close(c, "cannot create TLS session");
		return;
	}
	/* the socket stays open: it now belongs to tls */
	bufferevent_setfd(c->bev, -1);
	bufferevent_free(c->bev);
	bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
	c->bev = tls;
	c->tls = true;
	c->input_full = false;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	conn_log(c, LOG_INFO, "starting TLS");
	/* The greeting follows the handshake: see conn_event_cb(). */
}

/*
 * STARTTLS accepted: discard plaintext, stop reading, and switch to TLS
 * once the OK is written (conn_write_cb): the client's handshake must not
 * be read as plaintext.
 */
static void
conn_begin_tls(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	c->tls_pending = false;
	/*
	 * RFC 2595 §5 / ACAP-NOTES §16 OUR CALL: anything the client sent
	 * after STARTTLS in the clear is dropped, never executed under TLS.
	 */
	evbuffer_drain(in, evbuffer_get_length(in));
	acap_parser_free(&c->parser);
	conn_literal_release(c);
	bufferevent_disable(c->bev, EV_READ);
	c->tls_switching = true;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_switch_tls(c);
}

static void
conn_handle(struct conn *c, int r, const struct acap_cmd *cmd)
{
	const char *reason, *tag;
	bool fatal;

	if (c->state == CONN_AUTH)
		conn_set_timeouts(c);	/* a command: restart autologout */
	if (r == 1) {
		if (c->sasl_tag != NULL)
			handlers.sasl_line(c, c->sasl_tag, cmd);
		else
			handlers.command(c, cmd);
		return;
	}
	reason = acap_parser_error(c->parser, &tag, &fatal);
	if (c->sasl_tag != NULL) {
		/* A malformed SASL response ends the exchange (§6.3.1). */
		char *sasl_tag = strdup(c->sasl_tag);

		handlers.sasl_abort(c);	/* frees c->sasl_tag */
		if (!fatal)
			conn_reply_error(c, sasl_tag != NULL ? sasl_tag : "*",
			    reason);
		free(sasl_tag);
		if (!fatal) {
			conn_count_bad(c);
			return;
		}
	}
	if (fatal) {
		struct acap_buf b = ACAP_BUF_INIT;

		acap_buf_addstr(&b, "* BYE ");
		acap_buf_add_text(&b, reason);
		acap_buf_addstr(&b, "\r\n");
		conn_write(c, b.data, b.len);
		acap_buf_deinit(&b);
		conn_close(c, reason);
		return;
	}
	conn_reply_error(c, tag, reason);
	conn_count_bad(c);
}

/*
 * Input waits in the input buffer only while commands are not being
 * processed (failed-login delay): stop reading at CONN_INPUT_HIWAT, so a
 * client cannot make us buffer more than that plus one read.  Not done
 * with a libevent read high-water mark: on a TLS filter (libevent 2.1)
 * that re-reads at every drain and leaves a 16 KiB chunk reserved in the
 * input buffer of every idle connection.
 */
static void
conn_bound_input(struct conn *c)
{
	size_t n = evbuffer_get_length(bufferevent_get_input(c->bev));

	if (!c->input_full && n >= CONN_INPUT_HIWAT) {
		c->input_full = true;
		bufferevent_disable(c->bev, EV_READ);
	} else if (c->input_full && n < CONN_INPUT_HIWAT) {
		c->input_full = false;
		if (!c->read_paused && !c->closing)
			bufferevent_enable(c->bev, EV_READ);
	}
}

/*
 * libevent's OpenSSL bufferevent reads until SSL_pending() is 0, which
 * counts only the record being returned: with read-ahead, records that
 * came in the same read(2) stay in OpenSSL's buffer while the socket has
 * nothing more to say, and no read event would come for them.  Take them
 * into the input here, when it has been parsed to the end, within the
 * input bound.  Errors (a close_notify, a bad record) are left to the
 * bufferevent, which meets them again at its next read.
 */
static void
conn_tls_pull(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	SSL *ssl;
	int r;

	if (!c->tls_ready || c->closing ||
	    (ssl = bufferevent_openssl_get_ssl(c->bev)) == NULL)
		return;
	while (SSL_has_pending(ssl) &&
	    evbuffer_get_length(in) < CONN_INPUT_HIWAT) {
		if (evbuffer_reserve_space(in, 4096, &v, 1) < 1)
			return;
		r = SSL_read(ssl, v.iov_base,
		    v.iov_len > INT_MAX ? INT_MAX : (int)v.iov_len);
		if (r <= 0) {
			ERR_clear_error();
			return;
		}
		v.iov_len = (size_t)r;
		evbuffer_commit_space(in, &v, 1);
	}
}

static void
conn_process(struct conn *c)
{
	struct evbuffer *in;
	struct evbuffer_iovec v;
	const struct acap_cmd *cmd;
	struct acap_limits lim;
	size_t used;
	int r;

	in = bufferevent_get_input(c->bev);
	conn_stream_pump(c);
	while (!c->closing && !c->paused && !c->suspended) {
		if (conn_output_pending(c) > cfg->output_hiwat) {
			/* Half-duplex back-pressure: resume on drain. */
			c->read_paused = true;
			bufferevent_disable(c->bev, EV_READ);
			break;
		}
		if (evbuffer_get_length(in) == 0) {
			conn_tls_pull(c);
			if (evbuffer_get_length(in) == 0)
				break;
		}
		if (c->parser == NULL) {
			conn_limits(c, &lim);
			c->parser = acap_parser_new(c->sasl_tag != NULL ?
			    ACAP_PARSER_SASL_LINE : ACAP_PARSER_COMMAND, &lim);
			if (c->parser == NULL) {
				conn_close(c, "out of memory");
				break;
			}
			acap_parser_set_literal_hook(c->parser,
			    conn_literal_cb, c);
		}
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		r = acap_parser_feed(c->parser, v.iov_base, v.iov_len, &used,
		    &cmd);
		evbuffer_drain(in, used);
		if (r != 0)
			conn_literal_release(c);	/* command complete */
		if (r == 0) {
			if (acap_parser_want_continuation(c->parser)) {
				static const char cont[] =
				    "+ \"Ready for literal data\"\r\n";

				/* RFC 2244 §2.5: a continuation request. */
				conn_write(c, cont, sizeof(cont) - 1);
				acap_parser_continue(c->parser);
				continue;
			}
			if (used == 0)
				break;
			continue;
		}
		conn_handle(c, r, cmd);
		if (c->tls_pending) {
			conn_begin_tls(c);
			break;
		}
	}
	conn_bound_input(c);
	/*
	 * Idle between commands: free the parser (its arena still holds the
	 * last command); the next input byte makes a new one.  Not while
	 * suspended: the command waiting for its answer lives in the arena.
	 */
	if (c->parser != NULL && !c->suspended &&
	    acap_parser_idle(c->parser) && evbuffer_get_length(in) == 0)
		acap_parser_free(&c->parser);
}

/*
 * Whether c can go on at once: reading was paused for output
 * back-pressure, or a piecewise answer waits, and the kernel took enough
 * of the output (libevent's write callback would never come).
 */
static bool
conn_drained(const struct conn *c)
{
	if (c->closing || c->freeing)
		return false;
	if (c->read_paused)
		return conn_output_pending(c) == 0;
	return c->stream_more != NULL &&
	    conn_output_pending(c) <= conn_output_lowat();
}

/*
 * The end of every callback of c: write its output, and go on while the
 * kernel takes it all.
 */
static void
conn_end_callback(struct conn *c)
{
	conn_flush(c);
	while (conn_drained(c)) {
		if (c->read_paused) {
			c->read_paused = false;
			if (!c->input_full)
				bufferevent_enable(c->bev, EV_READ);
		}
		conn_process(c);
		conn_flush(c);
	}
	c->in_callback = false;
	conn_check_free(c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	c->in_callback = true;
	conn_process(c);
	conn_end_callback(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	c->in_callback = true;
	if (c->tls_switching && !c->closing) {
		conn_switch_tls(c);
		c->in_callback = false;
		conn_check_free(c);
		return;
	}
	if (c->read_paused && !c->closing) {
		c->read_paused = false;
		if (!c->input_full)
			bufferevent_enable(c->bev, EV_READ);
		conn_process(c);
	} else if (c->stream_more != NULL && !c->closing) {
		conn_process(c);	/* the client read: the next piece */
	}
	conn_end_callback(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	unsigned long e;

	(void)bev;
	if ((what & BEV_EVENT_CONNECTED) && c->tls) {
		SSL *ssl = bufferevent_openssl_get_ssl(c->bev);

		conn_log(c, LOG_INFO, "TLS established: %s %s",
		    SSL_get_version(ssl), SSL_get_cipher_name(ssl));
		/* RFC 2595 §5.1: a fresh session and the greeting again. */
		handlers.tls_ready(c, ssl);
		c->tls_ready = true;
		metrics_inc(M_TLS_OK);
		handlers.greeting(c);
		conn_flush(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		if (c->tls) {
			while ((e = bufferevent_get_openssl_error(c->bev)) != 0)
				conn_log(c, LOG_INFO, "TLS error: %s",
				    ERR_reason_error_string(e) != NULL ?
				    ERR_reason_error_string(e) : "unknown");
		}
		if (c->close_reason == NULL)
			c->close_reason = strdup(errno != 0 ?
			    strerror(errno) : "connection error");
		conn_free(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		if (c->close_reason == NULL)
			c->close_reason = strdup("peer closed connection");
		conn_free(c);
	}
}

void
conn_shutdown_all(const char *text)
{
	struct conn *c, *next;
	struct acap_buf b = ACAP_BUF_INIT;

	acap_buf_addstr(&b, "* BYE ");
	acap_buf_add_text(&b, text);
	acap_buf_addstr(&b, "\r\n");
	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->closing)
			continue;
		conn_write(c, b.data, b.len);
		conn_close(c, "server shutdown");
	}
	acap_buf_deinit(&b);
}

void
conn_reconfigure_all(void)
{
	struct acap_limits lim;
	struct conn *c;

	TAILQ_FOREACH(c, &srv->conns, entry) {
		if (c->closing)
			continue;
		conn_limits(c, &lim);
		if (c->parser != NULL)
			acap_parser_set_limits(c->parser, &lim);
		if (c->stream_more != NULL)
			bufferevent_setwatermark(c->bev, EV_WRITE,
			    conn_output_lowat(), 0);
		conn_set_timeouts(c);
	}
	conn_log_caps();
}
