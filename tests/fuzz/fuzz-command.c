/*
 * fuzz-command.c -- libFuzzer target for the command layer of acapd, run
 * in-process: the real connection code (conn.c), dispatch and state gates
 * (commands.c), every command handler, SASL (AUTHENTICATE) and STARTTLS
 * state transitions, over a temporary state directory (SQLite store,
 * sasldb, self-signed certificate) created once per process.
 *
 * Each input is a little program for one client connection over loopback
 * TCP (see run_ops()); between steps the event loop runs until acapd is
 * idle.  Invariants: no crash or sanitizer report; everything acapd sends
 * parses as ACAP responses (RFC 2244 §2.5, §8); once the client has gone
 * the connection is freed (no per-connection state survives it).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "acap-buf.h"
#include "acap-parser.h"
#include "config.h"
#include "conn.h"
#include "fuzz-common.h"
#include "log.h"
#include "sasl.h"
#include "server.h"
#include "startup.h"

#define PUMP_MAX	256	/* event-loop passes per pump() at most */
#define PUMP_QUIET	3	/* passes with nothing new: acapd is idle */
#define HANDSHAKE_ROUNDS 4096	/* passes allowed for a TLS handshake */
#define FREE_SLICES	12000	/* 1 ms slices allowed for a close */
#define OUTPUT_MAX	(1u << 22)	/* server output checked per input */
#define USER		"fred"
#define ADMIN		"admin"
#define PASSWORD	"fuzz-password"

static struct server fuzz_server;
static int listen_fd = -1;
static struct sockaddr_in listen_sa;
static SSL_CTX *client_ctx;
static char statedir[] = "/tmp/acapd-fuzz-command.XXXXXX";
static bool trace;		/* FUZZ_COMMAND_TRACE set: show the dialogue */

/* The client side of one input's connection. */
struct client {
	int fd;
	SSL *ssl;
	bool eof;		/* acapd closed the connection */
	bool tls_failed;
	struct acap_parser *resp;	/* what acapd sends, RESPONSE mode */
	size_t output;		/* octets received so far */
};

/*
 * Remove the state directory at a normal exit.  After a crash libFuzzer
 * leaves through _Exit() and the directory stays, for inspection.
 */
static void
remove_statedir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", statedir);
	(void)!system(cmd);
}

static void
setup_server(void)
{
	static char *overrides[] = {
		NULL,			/* statedir=..., filled in below */
		"tls_generate=yes", "tls_cert=cert.pem", "tls_key=key.pem",
		"allow_plaintext=yes", "allow_anonymous=yes",
		"auth_fail_delay_ms=0", "seed_site=no",
		"max_bad_commands=1000", "max_auth_failures=1000",
		"admins=" ADMIN, "quota=1m", "log_level=error",
	};
	char sd[sizeof(statedir) + 16], err[512];
	const char *e;
	socklen_t sl = sizeof(listen_sa);

	if (mkdtemp(statedir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(remove_statedir);
	snprintf(sd, sizeof(sd), "statedir=%s", statedir);
	overrides[0] = sd;
	log_init("fuzz-command", false, LOG_CRIT);
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
	    config_load(cfg, NULL, true, overrides,
	    sizeof(overrides) / sizeof(overrides[0]), err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz-command: configuration: %s\n", err);
		exit(1);
	}
	config_finish(cfg);
	srv = &fuzz_server;
	TAILQ_INIT(&srv->conns);
	if ((srv->base = event_base_new()) == NULL)
		exit(1);
	srv->max_conns = 64;
	startup_statedir();
	startup_open();
	if (sasl_module_setpass(USER, PASSWORD, strlen(PASSWORD),
	    SASL_PW_CREATE, &e) == -1 ||
	    sasl_module_setpass(ADMIN, PASSWORD, strlen(PASSWORD),
	    SASL_PW_CREATE, &e) == -1) {
		fprintf(stderr, "fuzz-command: users: %s\n", e);
		exit(1);
	}

	/* connections come from a real loopback listener */
	memset(&listen_sa, 0, sizeof(listen_sa));
	listen_sa.sin_family = AF_INET;
	listen_sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
	    -1 || bind(listen_fd, (struct sockaddr *)&listen_sa,
	    sizeof(listen_sa)) == -1 || listen(listen_fd, 16) == -1 ||
	    getsockname(listen_fd, (struct sockaddr *)&listen_sa, &sl) == -1) {
		perror("fuzz-command: listener");
		exit(1);
	}
	if ((client_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		exit(1);
	/* the instance's own self-signed certificate: no verification */
	SSL_CTX_set_verify(client_ctx, SSL_VERIFY_NONE, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	trace = getenv("FUZZ_COMMAND_TRACE") != NULL;
	setup_server();
	return 0;
}

/* Every octet acapd sends must parse as a response (RFC 2244 §8). */
static void
check_output(struct client *cl, const char *data, size_t len)
{
	const struct acap_cmd *cmd;
	size_t off = 0, used;
	const char *why;
	int rc;

	cl->output += len;
	if (trace)
		fprintf(stderr, "S: %.*s", (int)len, data);
	while (off < len) {
		rc = acap_parser_feed(cl->resp, data + off, len - off, &used,
		    &cmd);
		off += used;
		if (rc == -1) {
			why = acap_parser_error(cl->resp, NULL, NULL);
			FUZZ_CHECK(0, "acapd sent a malformed response (%s) "
			    "near: %.*s", why != NULL ? why : "?",
			    (int)(len - off < 200 ? len - off : 200),
			    data + off);
		}
		if (rc == 1)
			fuzz_common_check_cmd(cmd, ACAP_PARSER_RESPONSE,
			    &(struct acap_limits){ 1u << 24, 1u << 24,
			    1u << 24, 1u << 26, 1u << 16, 1u << 24 });
		FUZZ_CHECK(used > 0 || off == len, "response parser stuck");
	}
}

/* Read whatever acapd has sent; returns true when something came. */
static bool
client_read(struct client *cl)
{
	char buf[16384];
	bool got = false;
	ssize_t n;
	int r;

	while (!cl->eof && cl->output < OUTPUT_MAX) {
		if (cl->ssl != NULL) {
			r = SSL_read(cl->ssl, buf, sizeof(buf));
			if (r <= 0) {
				r = SSL_get_error(cl->ssl, r);
				if (r != SSL_ERROR_WANT_READ &&
				    r != SSL_ERROR_WANT_WRITE &&
				    !(r == SSL_ERROR_SYSCALL && errno == EINTR))
					cl->eof = true;
				ERR_clear_error();
				break;
			}
			n = r;
		} else {
			n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == 0 || (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK))
				cl->eof = true;
			if (n <= 0)
				break;
		}
		check_output(cl, buf, (size_t)n);
		got = true;
	}
	return got;
}

/* Run acapd's loop until it has nothing more to say. */
static void
pump(struct client *cl)
{
	int quiet = 0, i;

	for (i = 0; i < PUMP_MAX && quiet < PUMP_QUIET; i++) {
		event_base_loop(srv->base, EVLOOP_NONBLOCK);
		quiet = client_read(cl) ? 0 : quiet + 1;
	}
}

static void
client_send(struct client *cl, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;
	int r;

	if (trace)
		fprintf(stderr, "C: %.*s", (int)len, p);
	while (len > 0 && !cl->eof) {
		if (cl->ssl != NULL) {
			r = SSL_write(cl->ssl, p, (int)len);
			if (r <= 0) {
				r = SSL_get_error(cl->ssl, r);
				ERR_clear_error();
				if (r == SSL_ERROR_WANT_READ ||
				    r == SSL_ERROR_WANT_WRITE ||
				    (r == SSL_ERROR_SYSCALL && errno == EINTR)) {
					pump(cl);
					continue;
				}
				cl->eof = true;
				return;
			}
			n = r;
		} else {
			n = send(cl->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 && (errno == EAGAIN ||
			    errno == EWOULDBLOCK)) {
				/* acapd stopped reading: let it catch up */
				pump(cl);
				continue;
			}
			if (n <= 0) {
				cl->eof = true;
				return;
			}
		}
		p += n;
		len -= (size_t)n;
	}
}

/* AUTHENTICATE "PLAIN" with the right password (RFC 4616 message). */
static void
client_login(struct client *cl, const char *user)
{
	struct acap_buf b = ACAP_BUF_INIT;
	size_t n = 1 + strlen(user) + 1 + strlen(PASSWORD);

	acap_buf_printf(&b, "L AUTHENTICATE \"PLAIN\" {%zu+}\r\n", n);
	acap_buf_addch(&b, '\0');
	acap_buf_addstr(&b, user);
	acap_buf_addch(&b, '\0');
	acap_buf_addstr(&b, PASSWORD);
	acap_buf_addstr(&b, "\r\n");
	client_send(cl, b.data, b.len);
	acap_buf_deinit(&b);
	pump(cl);
}

/*
 * TLS handshake from the client side, interleaved with acapd's loop.  It
 * only succeeds after acapd said OK to STARTTLS; otherwise acapd sees
 * garbage, which is part of the test.
 */
static void
client_tls(struct client *cl)
{
	struct acap_limits lim;
	int i, r;

	if (cl->ssl != NULL || cl->eof || cl->tls_failed)
		return;
	pump(cl);
	if ((cl->ssl = SSL_new(client_ctx)) == NULL)
		exit(1);
	SSL_set_fd(cl->ssl, cl->fd);
	fcntl(cl->fd, F_SETFL, fcntl(cl->fd, F_GETFL) | O_NONBLOCK);
	for (i = 0; i < HANDSHAKE_ROUNDS; i++) {
		r = SSL_connect(cl->ssl);
		if (r == 1)
			break;
		r = SSL_get_error(cl->ssl, r);
		ERR_clear_error();
		if (r != SSL_ERROR_WANT_READ && r != SSL_ERROR_WANT_WRITE)
			break;
		event_base_loop(srv->base, EVLOOP_NONBLOCK);
	}
	if (r != 1) {
		/* the connection is unusable now: acapd must cope */
		SSL_free(cl->ssl);
		cl->ssl = NULL;
		cl->tls_failed = true;
		cl->eof = true;
		return;
	}
	/* RFC 2595 §5.1: a new greeting, a new response stream */
	acap_parser_free(&cl->resp);
	fuzz_common_wide_limits(&lim);
	cl->resp = acap_parser_new(ACAP_PARSER_RESPONSE, &lim);
	pump(cl);
}

/*
 * The input, op by op (low 3 bits of each op octet):
 *   0-2  send the next (following octet + 1) octets as they are
 *   3    let acapd run until idle
 *   4    AUTHENTICATE PLAIN as "fred", or as the admin when bit 3 is set
 *   5    TLS handshake (after STARTTLS)
 *   6    send the next (following octet + 1) octets one at a time
 *   7    half-close: the client sends nothing more
 * The client never waits for "+" before literal octets: acapd must cope
 * with a client that does not (RFC 2244 §2.6.3).
 */
static void
run_ops(struct client *cl, const uint8_t *data, size_t size)
{
	size_t off = 0, n, i;
	uint8_t op;

	while (off < size && !cl->eof) {
		op = data[off++];
		switch (op & 7) {
		case 0:
		case 1:
		case 2:
		case 6:
			n = off < size ? (size_t)data[off++] + 1 : 0;
			if (n > size - off)
				n = size - off;
			if ((op & 7) != 6) {
				client_send(cl, data + off, n);
				event_base_loop(srv->base, EVLOOP_NONBLOCK);
				client_read(cl);
			} else {
				for (i = 0; i < n && !cl->eof; i++) {
					client_send(cl, data + off + i, 1);
					event_base_loop(srv->base,
					    EVLOOP_NONBLOCK);
					client_read(cl);
				}
			}
			off += n;
			break;
		case 3:
			pump(cl);
			break;
		case 4:
			client_login(cl, (op & 8) ? ADMIN : USER);
			break;
		case 5:
			client_tls(cl);
			break;
		case 7:
			shutdown(cl->fd, SHUT_WR);
			pump(cl);
			break;
		}
	}
	pump(cl);
}

/*
 * Connect to the listener.  libFuzzer's timeout timer (SIGALRM) may
 * interrupt a blocking connect(); the connection then completes on its
 * own (connect(2), EINTR), so wait for it rather than give up.
 */
static int
client_connect(void)
{
	struct pollfd pfd;
	socklen_t el = sizeof(int);
	int fd, err = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&listen_sa,
	    sizeof(listen_sa)) == 0)
		return fd;
	if (errno != EINTR)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	while (poll(&pfd, 1, -1) == -1)
		if (errno != EINTR)
			goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1)
		goto fail;
	if (err == 0)
		return fd;
	errno = err;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client cl;
	struct acap_limits lim;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct timeval slice = { 0, 1000 };
	int sfd, i;

	memset(&cl, 0, sizeof(cl));
	fuzz_common_wide_limits(&lim);
	cl.resp = acap_parser_new(ACAP_PARSER_RESPONSE, &lim);
	if ((cl.fd = client_connect()) == -1) {
		perror("fuzz-command: connect");
		exit(1);
	}
	while ((sfd = accept4(listen_fd, (struct sockaddr *)&sa, &sl,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EINTR) {
			perror("fuzz-command: accept");
			exit(1);
		}
		sl = sizeof(sa);
	}
	conn_accept(sfd, (struct sockaddr *)&sa, sl);
	FUZZ_CHECK(srv->nconns == 1, "%zu connections after accept",
	    srv->nconns);
	pump(&cl);
	run_ops(&cl, data, size);

	/*
	 * The client goes away: acapd must free the connection.  A closing
	 * connection may wait on timers (a TLS filter is polled every 20 ms;
	 * unsent output is dropped after 10 s, conn.c), so after a few quick
	 * passes let real time pass, in 1 ms slices, up to a little more.
	 */
	if (cl.ssl != NULL)
		SSL_free(cl.ssl);
	close(cl.fd);
	for (i = 0; i < PUMP_MAX && srv->nconns > 0; i++)
		event_base_loop(srv->base, EVLOOP_NONBLOCK);
	for (i = 0; i < FREE_SLICES && srv->nconns > 0; i++) {
		event_base_loopexit(srv->base, &slice);
		event_base_dispatch(srv->base);
	}
	FUZZ_CHECK(srv->nconns == 0, "connection not freed %d ms after the "
	    "client closed (%zu left)", FREE_SLICES, srv->nconns);
	acap_parser_free(&cl.resp);
	return 0;
}
