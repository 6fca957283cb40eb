/*
 * acap-client.c -- blocking ACAP client connection.
 *
 * Owns the socket, the TLS session, the response parser, the greeting's
 * capabilities, the libsasl2 client connection and the last completion.
 * Wire grammar comes from acap-parser (responses) and acap-buf (quoting);
 * nothing here prints.
 *
 * One file (about 1,700 lines): the blocking client's connection,
 * STARTTLS, SASL exchanges and response reading share one struct and its
 * buffer; its users (acapctl, tests, benchmarks) need them together.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sasl/sasl.h>

#include "acap-arg.h"
#include "acap-client.h"

#define IN_BUF_SIZE		16384
#define QUOTED_MAX		1024	/* RFC 2244 §2.6.3 */
#define NONSYNC_MAX_PREAUTH	4096	/* what acapd takes before auth */
#define NONSYNC_MAX_AUTH	65536
#define NAME_MAX_LEN		64
#define ACAP_SASL_SERVICE	"acap"	/* RFC 2244 §6.3.1 */

struct acap_client {
	int fd;
	SSL_CTX *ssl_ctx;
	SSL *ssl;
	char *host;
	struct acap_client_opts opts;	/* host/port not kept */
	struct acap_parser *parser;
	char in[IN_BUF_SIZE];
	size_t inoff, inlen;
	unsigned int tagseq;
	char tag[16];
	bool in_flight;			/* acap_client_send() awaits its
					   completion */

	/* greeting capabilities */
	char *impl;
	char **mechs;			/* NULL-terminated */
	size_t nmechs;
	char **caps;			/* names, NULL-terminated */
	size_t ncaps;
	bool starttls;
	unsigned long ctxlimit;

	/* last completion */
	bool have_comp;
	struct acap_completion comp;
	char *comp_code;
	char **comp_args;
	size_t ncomp_args;
	char *comp_text;

	/* SASL */
	sasl_conn_t *sasl;
	sasl_callback_t sasl_cbs[4];
	const struct acap_client_creds *creds;
	sasl_secret_t *secret;
	size_t secret_size;
	char *mech_used;
	bool authed;

	char *bye;
};

static char client_err[1024];
static bool sasl_ready;

static const char *__attribute__((format(printf, 1, 2)))
set_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(client_err, sizeof(client_err), fmt, ap);
	va_end(ap);
	return client_err;
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void
strv_free(char ***vp, size_t *np)
{
	size_t i;

	if (*vp != NULL)
		for (i = 0; (*vp)[i] != NULL; i++)
			free((*vp)[i]);
	free(*vp);
	*vp = NULL;
	if (np != NULL)
		*np = 0;
}

/* Make *vp a valid (possibly empty) NULL-terminated vector. */
static void
strv_ensure(char ***vp)
{
	if (*vp == NULL && (*vp = calloc(1, sizeof(**vp))) == NULL)
		abort();
}

static void
strv_add(char ***vp, size_t *np, char *s)
{
	char **v = realloc(*vp, (*np + 2) * sizeof(*v));

	if (v == NULL)
		abort();
	v[(*np)++] = s;
	v[*np] = NULL;
	*vp = v;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (-1: none), for poll(). */
static int
remaining(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	if (left < 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

static long long
deadline_after(int timeout_ms)
{
	return timeout_ms <= 0 ? -1 : now_ms() + timeout_ms;
}

static void
trace(struct acap_client *c, char dir, const char *data, size_t len)
{
	if (c->opts.trace_cb != NULL)
		c->opts.trace_cb(dir, data, len, c->opts.trace_arg);
}

/* Connection teardown without freeing the client. */
static void
client_close(struct acap_client *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	c->inlen = c->inoff = 0;
}

/* I/O: non-blocking socket, poll() for the timeout. */

static int
wait_fd(struct acap_client *c, short events, long long deadline)
{
	struct pollfd pfd;
	int r;

	pfd.fd = c->fd;
	pfd.events = events;
	pfd.revents = 0;
	do
		r = poll(&pfd, 1, remaining(deadline));
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		set_err("poll: %s", strerror(errno));
		return -1;
	}
	if (r == 0) {
		set_err("timed out waiting for the server");
		return 0;
	}
	return 1;
}

static const char *
ssl_errstr(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "unknown TLS error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* Write all of data.  Returns 0 or -1 (connection closed). */
static int
io_write(struct acap_client *c, const void *data, size_t len)
{
	const char *p = data;
	long long deadline = deadline_after(c->opts.timeout_ms);
	short ev;
	ssize_t n;
	int r;

	if (c->fd == -1) {
		set_err("not connected");
		return -1;
	}
	while (len > 0) {
		ev = POLLOUT;
		if (c->ssl != NULL) {
			int chunk = len > INT32_MAX ? INT32_MAX : (int)len;

			ERR_clear_error();
			r = SSL_write(c->ssl, p, chunk);
			if (r > 0) {
				p += r;
				len -= (size_t)r;
				continue;
			}
			switch (SSL_get_error(c->ssl, r)) {
			case SSL_ERROR_WANT_READ:
				ev = POLLIN;
				break;
			case SSL_ERROR_WANT_WRITE:
				break;
			default:
				set_err("TLS write: %s", ssl_errstr());
				client_close(c);
				return -1;
			}
		} else {
			n = send(c->fd, p, len, MSG_NOSIGNAL);
			if (n > 0) {
				p += n;
				len -= (size_t)n;
				continue;
			}
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK) {
				set_err("write: %s", strerror(errno));
				client_close(c);
				return -1;
			}
		}
		if ((r = wait_fd(c, ev, deadline)) <= 0) {
			client_close(c);
			return -1;
		}
	}
	return 0;
}

/*
 * Read more input.  Returns 1 when bytes arrived, 0 on timeout, -1 on
 * error or end of stream (the connection is closed).
 */
static int
io_fill(struct acap_client *c, long long deadline)
{
	size_t room;
	ssize_t n;
	short ev;
	int r;

	if (c->fd == -1) {
		set_err(c->bye != NULL ? "server closed the session: %s" :
		    "not connected", c->bye);
		return -1;
	}
	if (c->inoff > 0 && c->inlen > 0)
		memmove(c->in, c->in + c->inoff, c->inlen);
	c->inoff = 0;
	room = sizeof(c->in) - c->inlen;
	for (;;) {
		ev = POLLIN;
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_read(c->ssl, c->in + c->inlen, (int)room);
			if (r > 0) {
				c->inlen += (size_t)r;
				return 1;
			}
			switch (SSL_get_error(c->ssl, r)) {
			case SSL_ERROR_WANT_READ:
				break;
			case SSL_ERROR_WANT_WRITE:
				ev = POLLOUT;
				break;
			case SSL_ERROR_ZERO_RETURN:
				set_err("server closed the connection");
				client_close(c);
				return -1;
			default:
				set_err("TLS read: %s", ssl_errstr());
				client_close(c);
				return -1;
			}
		} else {
			n = recv(c->fd, c->in + c->inlen, room, 0);
			if (n > 0) {
				c->inlen += (size_t)n;
				return 1;
			}
			if (n == 0) {
				set_err("server closed the connection");
				client_close(c);
				return -1;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				set_err("read: %s", strerror(errno));
				client_close(c);
				return -1;
			}
		}
		if ((r = wait_fd(c, ev, deadline)) <= 0) {
			if (r == -1)
				client_close(c);
			return r;
		}
	}
}

/* Responses. */

static void
trace_resp(struct acap_client *c, const struct acap_cmd *cmd)
{
	struct acap_buf b = ACAP_BUF_INIT;

	if (c->opts.trace_cb == NULL)
		return;
	acap_buf_addstr(&b, cmd->tag);
	acap_buf_addch(&b, ' ');
	acap_client_args_format(&b, cmd->args, cmd->nargs);
	trace(c, 'S', b.data, b.len);
	acap_buf_deinit(&b);
}

/*
 * Next whole response.  Returns 1 (*cmd_r valid until the next read),
 * 0 on timeout, -1 on error (connection closed).
 */
static int
read_resp(struct acap_client *c, int timeout_ms, const struct acap_cmd **cmd_r)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	size_t used;
	bool fatal;
	int r;

	for (;;) {
		if (c->inlen > 0) {
			r = acap_parser_feed(c->parser, c->in + c->inoff,
			    c->inlen, &used, cmd_r);
			c->inoff += used;
			c->inlen -= used;
			if (r == 1) {
				trace_resp(c, *cmd_r);
				return 1;
			}
			if (r == -1) {
				set_err("malformed response from server: %s",
				    acap_parser_error(c->parser, NULL,
				    &fatal));
				client_close(c);
				return -1;
			}
		}
		if ((r = io_fill(c, deadline)) <= 0)
			return r;
	}
}

/* Upper-case copy of a response name (args[0]). */
static void
resp_name(const struct acap_cmd *cmd, char *out, size_t outlen)
{
	size_t i = 0;
	const char *s = "";

	if (cmd->nargs > 0 && cmd->args[0].type == ACAP_ARG_ATOM)
		s = cmd->args[0].str;
	for (; s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	out[i] = '\0';
}

/* Text of a resp-body (RFC 2244 §8): the last string argument. */
static const char *
body_text(const struct acap_arg *args, size_t nargs)
{
	if (nargs > 0 && args[nargs - 1].type != ACAP_ARG_LIST &&
	    args[nargs - 1].str != NULL)
		return args[nargs - 1].str;
	return "";
}

static void
completion_clear(struct acap_client *c)
{
	free(c->comp_code);
	c->comp_code = NULL;
	strv_free(&c->comp_args, &c->ncomp_args);
	free(c->comp_text);
	c->comp_text = NULL;
	c->have_comp = false;
	memset(&c->comp, 0, sizeof(c->comp));
}

int
acap_client_parse_completion(struct acap_client *c, enum acap_status status,
    const struct acap_arg *args, size_t nargs)
{
	struct acap_buf b = ACAP_BUF_INIT;
	const struct acap_arg *code;
	size_t i, ntext;

	completion_clear(c);
	c->have_comp = true;
	c->comp.status = status;
	ntext = nargs;
	if (nargs > 0 && args[0].type == ACAP_ARG_LIST) {
		code = &args[0];
		ntext--;
		if (code->count == 0 || code->list[0].type != ACAP_ARG_ATOM)
			return -1;
		c->comp_code = xstrdup(code->list[0].str);
		for (i = 0; c->comp_code[i] != '\0'; i++)
			c->comp_code[i] =
			    (char)toupper((unsigned char)c->comp_code[i]);
		for (i = 1; i < code->count; i++) {
			acap_buf_reset(&b);
			if (code->list[i].type == ACAP_ARG_STRING)
				acap_buf_add(&b, code->list[i].str,
				    code->list[i].len);
			else
				acap_client_args_format(&b, &code->list[i],
				    1);
			strv_add(&c->comp_args, &c->ncomp_args,
			    xstrndup(b.data != NULL ? b.data : "", b.len));
		}
		args++;
	}
	if (ntext == 1 && args[0].type == ACAP_ARG_STRING)
		c->comp_text = xstrdup(args[0].str);
	else if (ntext > 0) {
		/* Not a quoted text (a non-conforming server): keep it. */
		acap_buf_reset(&b);
		acap_client_args_format(&b, args, ntext);
		c->comp_text = xstrdup(b.data != NULL ? b.data : "");
	} else
		c->comp_text = xstrdup("");
	acap_buf_deinit(&b);
	strv_ensure(&c->comp_args);
	c->comp.code = c->comp_code;
	c->comp.code_args = (const char *const *)c->comp_args;
	c->comp.ncode_args = c->ncomp_args;
	c->comp.text = c->comp_text;
	return ntext <= 1 ? 0 : -1;
}

const struct acap_completion *
acap_client_completion(const struct acap_client *c)
{
	return c->have_comp ? &c->comp : NULL;
}

static bool
status_of(const char *name, enum acap_status *st_r)
{
	if (strcmp(name, "OK") == 0)
		*st_r = ACAP_STATUS_OK;
	else if (strcmp(name, "NO") == 0)
		*st_r = ACAP_STATUS_NO;
	else if (strcmp(name, "BAD") == 0)
		*st_r = ACAP_STATUS_BAD;
	else
		return false;
	return true;
}

static void
record_bye(struct acap_client *c, const struct acap_cmd *cmd)
{
	free(c->bye);
	c->bye = xstrdup(body_text(cmd->args + 1, cmd->nargs - 1));
}

/*
 * Deliver one response read while cmd_tag (NULL: idle) is running.
 * Returns 1 for the completion, 0 for anything else that was handled,
 * 2 for a continuation request, -1 on protocol error or BYE (closed).
 */
static int
dispatch(struct acap_client *c, const struct acap_cmd *cmd,
    const char *cmd_tag, bool bye_ok, acap_client_resp_cb *cb, void *arg)
{
	struct acap_client_resp r;
	char name[NAME_MAX_LEN];
	enum acap_status st;

	if (strcmp(cmd->tag, "+") == 0) {
		if (cmd_tag == NULL) {
			set_err("unexpected continuation request");
			client_close(c);
			return -1;
		}
		return 2;
	}
	resp_name(cmd, name, sizeof(name));
	if (strcmp(cmd->tag, "*") == 0) {
		if (strcmp(name, "BYE") == 0) {
			record_bye(c, cmd);
			if (bye_ok)
				return 0;
			set_err("server closed the session: %s", c->bye);
			client_close(c);
			return -1;
		}
		r.tagged = false;
	} else if (cmd_tag != NULL && strcmp(cmd->tag, cmd_tag) == 0) {
		if (status_of(name, &st)) {
			if (acap_client_parse_completion(c, st, cmd->args + 1,
			    cmd->nargs - 1) == -1) {
				set_err("malformed completion from server");
				client_close(c);
				return -1;
			}
			return 1;
		}
		r.tagged = true;
	} else {
		set_err("response with unknown tag \"%s\"", cmd->tag);
		client_close(c);
		return -1;
	}
	r.name = name;
	r.args = cmd->args + 1;
	r.nargs = cmd->nargs - 1;
	if (cb != NULL)
		cb(&r, arg);
	return 0;
}

/* Wait for the completion of cmd_tag, passing everything else to cb. */
static int
await_completion(struct acap_client *c, const char *cmd_tag, bool bye_ok,
    acap_client_resp_cb *cb, void *arg)
{
	const struct acap_cmd *cmd;
	int r;

	for (;;) {
		r = read_resp(c, c->opts.timeout_ms > 0 ? c->opts.timeout_ms :
		    -1, &cmd);
		if (r <= 0) {
			if (r == 0)
				client_close(c);
			return -1;
		}
		r = dispatch(c, cmd, cmd_tag, bye_ok, cb, arg);
		if (r == -1)
			return -1;
		if (r == 1)
			return 0;
		if (r == 2) {
			set_err("unexpected continuation request");
			client_close(c);
			return -1;
		}
	}
}

/*
 * After a line ending in a literal marker: "{n}" (sync) or "{n+}".
 * end points at the CR.  Returns true and fills *n_r, *sync_r.
 */
static bool
literal_marker(const char *line_start, const char *end, size_t *n_r,
    bool *sync_r)
{
	const char *p = end;
	size_t n = 0, mul = 1;

	if (p == line_start || p[-1] != '}')
		return false;
	p--;
	*sync_r = true;
	if (p > line_start && p[-1] == '+') {
		*sync_r = false;
		p--;
	}
	if (p == line_start || !isdigit((unsigned char)p[-1]))
		return false;
	while (p > line_start && isdigit((unsigned char)p[-1])) {
		n += (size_t)(p[-1] - '0') * mul;
		mul *= 10;
		p--;
	}
	if (p == line_start || p[-1] != '{')
		return false;
	*n_r = n;
	return true;
}

static const char *
next_tag(struct acap_client *c)
{
	snprintf(c->tag, sizeof(c->tag), "a%u", ++c->tagseq);
	return c->tag;
}

static int
run_command(struct acap_client *c, const char *body, size_t len,
    bool bye_ok, acap_client_resp_cb *cb, void *arg)
{
	struct acap_buf out = ACAP_BUF_INIT;
	const struct acap_cmd *cmd;
	const char *tag, *p, *end, *crlf, *line;
	size_t lit;
	bool sync;
	int r;

	if (c->fd == -1) {
		set_err(c->bye != NULL ? "server closed the session: %s" :
		    "not connected", c->bye);
		return -1;
	}
	if (c->in_flight) {
		set_err("a pipelined command awaits its completion");
		return -1;
	}
	completion_clear(c);
	tag = next_tag(c);
	acap_buf_addstr(&out, tag);
	acap_buf_addch(&out, ' ');
	acap_buf_add(&out, body, len);
	acap_buf_add(&out, "\r\n", 2);

	/*
	 * Send line by line: a CRLF inside a command can only end a line
	 * that announces a literal (quoted strings hold no CR/LF, RFC 2244
	 * §2.6.3); after a synchronizing one wait for "+" (§2.5).
	 */
	p = line = out.data;
	end = out.data + out.len;
	while (p < end) {
		crlf = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (crlf == NULL)
			crlf = end - 2;	/* cannot happen: out ends in CRLF */
		trace(c, 'C', line, (size_t)(crlf - line));
		if (crlf + 2 == end || !literal_marker(line, crlf, &lit,
		    &sync)) {
			if (io_write(c, p, (size_t)(end - p)) == -1)
				goto fail;
			break;
		}
		if (io_write(c, p, (size_t)(crlf + 2 - p)) == -1)
			goto fail;
		if (sync) {
			for (;;) {
				r = read_resp(c, c->opts.timeout_ms > 0 ?
				    c->opts.timeout_ms : -1, &cmd);
				if (r <= 0) {
					if (r == 0)
						client_close(c);
					goto fail;
				}
				r = dispatch(c, cmd, tag, bye_ok, cb, arg);
				if (r == -1)
					goto fail;
				if (r == 1) {	/* refused before the literal */
					acap_buf_deinit(&out);
					return 0;
				}
				if (r == 2)
					break;
			}
		}
		if (lit > (size_t)(end - (crlf + 2)))
			lit = (size_t)(end - (crlf + 2));
		if (io_write(c, crlf + 2, lit) == -1)
			goto fail;
		p = line = crlf + 2 + lit;
	}
	acap_buf_deinit(&out);
	return await_completion(c, tag, bye_ok, cb, arg);
fail:
	acap_buf_deinit(&out);
	return -1;
}

int
acap_client_command(struct acap_client *c, const char *body, size_t len,
    acap_client_resp_cb *cb, void *arg, const char **errstr_r)
{
	if (run_command(c, body, len, false, cb, arg) == -1) {
		*errstr_r = client_err;
		return -1;
	}
	return 0;
}

/*
 * Whether body (a command without its tag and final CRLF) holds a
 * synchronizing literal "{n}" (RFC 2244 §2.6.3): only a line that ends
 * in one can.
 */
static bool
has_sync_literal(const char *body, size_t len)
{
	const char *p = body, *end = body + len, *crlf;
	size_t lit;
	bool sync;

	while (p < end && (crlf = memmem(p, (size_t)(end - p), "\r\n",
	    2)) != NULL) {
		if (!literal_marker(p, crlf, &lit, &sync))
			break;		/* cannot happen: CRLF only after one */
		if (sync)
			return true;
		if (lit > (size_t)(end - (crlf + 2)))
			break;
		p = crlf + 2 + lit;
	}
	return false;
}

int
acap_client_send(struct acap_client *c, const char *body, size_t len,
    const char **errstr_r)
{
	struct acap_buf out = ACAP_BUF_INIT;
	const char *tag;
	int r;

	if (c->fd == -1) {
		set_err(c->bye != NULL ? "server closed the session: %s" :
		    "not connected", c->bye);
		*errstr_r = client_err;
		return -1;
	}
	if (c->in_flight || has_sync_literal(body, len))
		return 1;
	completion_clear(c);
	tag = next_tag(c);
	acap_buf_addstr(&out, tag);
	acap_buf_addch(&out, ' ');
	acap_buf_add(&out, body, len);
	trace(c, 'C', out.data, out.len);
	acap_buf_add(&out, "\r\n", 2);
	r = io_write(c, out.data, out.len);
	acap_buf_deinit(&out);
	if (r == -1) {
		*errstr_r = client_err;
		return -1;
	}
	c->in_flight = true;
	return 0;
}

int
acap_client_finish(struct acap_client *c, acap_client_resp_cb *cb,
    void *arg, const char **errstr_r)
{
	if (!c->in_flight) {
		set_err("no command in flight");
		*errstr_r = client_err;
		return -1;
	}
	c->in_flight = false;
	if (await_completion(c, c->tag, false, cb, arg) == -1) {
		*errstr_r = client_err;
		return -1;
	}
	return 0;
}

bool
acap_client_in_flight(const struct acap_client *c)
{
	return c->in_flight;
}

int
acap_client_wait(struct acap_client *c, int timeout_ms,
    acap_client_resp_cb *cb, void *arg, const char **errstr_r)
{
	const struct acap_cmd *cmd;
	int r, got = 0;

	for (;;) {
		r = read_resp(c, got ? 0 : timeout_ms, &cmd);
		if (r == 0)
			return got;
		if (r == -1 || dispatch(c, cmd, NULL, false, cb, arg) == -1) {
			*errstr_r = client_err;
			return -1;
		}
		got = 1;
		if (c->inlen == 0 && (c->ssl == NULL ||
		    SSL_pending(c->ssl) == 0))
			return 1;
	}
}

int
acap_client_logout(struct acap_client *c)
{
	int r;

	r = run_command(c, "LOGOUT", 6, true, NULL, NULL);
	client_close(c);
	return r == 0 && c->comp.status == ACAP_STATUS_OK ? 0 : -1;
}

/* Strings for commands. */

void
acap_client_add_string(const struct acap_client *c, struct acap_buf *b,
    const void *s, size_t len)
{
	size_t max = c != NULL && c->authed ? NONSYNC_MAX_AUTH :
	    NONSYNC_MAX_PREAUTH;

	if (!acap_string_needs_literal(s, len) || len > max) {
		acap_buf_add_string(b, s, len);
		return;
	}
	acap_buf_printf(b, "{%zu+}\r\n", len);
	acap_buf_add(b, s, len);
}

void
acap_client_add_nstring(const struct acap_client *c, struct acap_buf *b,
    const char *s)
{
	if (s == NULL)
		acap_buf_addstr(b, "NIL");
	else
		acap_client_add_string(c, b, s, strlen(s));
}

/* Greeting. */

static void
caps_clear(struct acap_client *c)
{
	free(c->impl);
	c->impl = NULL;
	strv_free(&c->mechs, &c->nmechs);
	strv_free(&c->caps, &c->ncaps);
	c->starttls = false;
	c->ctxlimit = 100;
}

int
acap_client_parse_capabilities(struct acap_client *c,
    const struct acap_arg *args, size_t nargs)
{
	const struct acap_arg *cap, *v;
	char *end;
	size_t i, j;
	unsigned long n;
	int rc = 0;

	caps_clear(c);
	for (i = 0; i < nargs; i++) {
		cap = &args[i];
		/* init-capability is "(" name [SP string-list] ")" (§6.1.1) */
		if (cap->type != ACAP_ARG_LIST || cap->count == 0 ||
		    cap->list[0].type == ACAP_ARG_LIST ||
		    cap->list[0].type == ACAP_ARG_NIL) {
			rc = -1;
			continue;
		}
		strv_add(&c->caps, &c->ncaps, xstrdup(cap->list[0].str));
		if (strcasecmp(cap->list[0].str, "IMPLEMENTATION") == 0) {
			if (cap->count >= 2 &&
			    cap->list[1].type == ACAP_ARG_STRING) {
				free(c->impl);
				c->impl = xstrdup(cap->list[1].str);
			} else
				rc = -1;
		} else if (strcasecmp(cap->list[0].str, "SASL") == 0) {
			for (j = 1; j < cap->count; j++) {
				v = &cap->list[j];
				if (v->type == ACAP_ARG_LIST ||
				    v->type == ACAP_ARG_NIL) {
					rc = -1;
					continue;
				}
				strv_add(&c->mechs, &c->nmechs,
				    xstrdup(v->str));
			}
		} else if (strcasecmp(cap->list[0].str, "STARTTLS") == 0) {
			c->starttls = true;
		} else if (strcasecmp(cap->list[0].str, "CONTEXTLIMIT") == 0) {
			/* a quoted number (§6.1.1); "0" is no limit */
			if (cap->count < 2 ||
			    cap->list[1].type == ACAP_ARG_LIST ||
			    cap->list[1].type == ACAP_ARG_NIL) {
				rc = -1;
				continue;
			}
			errno = 0;
			n = strtoul(cap->list[1].str, &end, 10);
			if (errno != 0 || *end != '\0' ||
			    cap->list[1].str[0] == '\0' ||
			    !isdigit((unsigned char)cap->list[1].str[0]))
				rc = -1;
			else
				c->ctxlimit = n;
		}
	}
	strv_ensure(&c->mechs);
	strv_ensure(&c->caps);
	return rc;
}

static int
read_greeting(struct acap_client *c)
{
	const struct acap_cmd *cmd;
	char name[NAME_MAX_LEN];
	int r;

	r = read_resp(c, c->opts.timeout_ms > 0 ? c->opts.timeout_ms : -1,
	    &cmd);
	if (r == 0) {
		set_err("no greeting from the server");
		return -1;
	}
	if (r == -1)
		return -1;
	resp_name(cmd, name, sizeof(name));
	if (strcmp(cmd->tag, "*") == 0 && strcmp(name, "BYE") == 0) {
		record_bye(c, cmd);
		set_err("server refused the session: %s", c->bye);
		client_close(c);
		return -1;
	}
	if (strcmp(cmd->tag, "*") != 0 || strcmp(name, "ACAP") != 0) {
		set_err("the server is not speaking ACAP");
		client_close(c);
		return -1;
	}
	if (acap_client_parse_capabilities(c, cmd->args + 1,
	    cmd->nargs - 1) == -1) {
		set_err("malformed capability in the greeting");
		client_close(c);
		return -1;
	}
	return 0;
}

/* Construction. */

void
acap_client_opts_init(struct acap_client_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->port = ACAP_CLIENT_DEFAULT_PORT;
	o->family = AF_UNSPEC;
	o->timeout_ms = 30000;
}

static void
limits_fill(struct acap_limits *l)
{
	if (l->max_line == 0)
		l->max_line = 1u << 20;
	if (l->max_literal == 0)
		l->max_literal = 16u << 20;
	if (l->max_nonsync_literal == 0)
		l->max_nonsync_literal = l->max_literal;
	if (l->max_command == 0)
		l->max_command = 64u << 20;
	if (l->max_depth == 0)
		l->max_depth = 64;
	if (l->max_args == 0)
		l->max_args = 4u << 20;
}

struct acap_client *
acap_client_new_unconnected(void)
{
	struct acap_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		abort();
	c->fd = -1;
	c->ctxlimit = 100;
	acap_client_opts_init(&c->opts);
	c->opts.port = NULL;
	limits_fill(&c->opts.limits);
	c->parser = acap_parser_new(ACAP_PARSER_RESPONSE, &c->opts.limits);
	if (c->parser == NULL)
		abort();
	return c;
}

static int
tcp_connect(struct acap_client *c, const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	long long deadline;
	socklen_t sl;
	int fd = -1, r, err = 0, one = 1, flags;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = c->opts.family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		set_err("%s port %s: %s", host, port, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			err = errno;
			continue;
		}
		flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			struct pollfd pfd = { fd, POLLOUT, 0 };

			deadline = deadline_after(c->opts.timeout_ms);
			do
				r = poll(&pfd, 1, remaining(deadline));
			while (r == -1 && errno == EINTR);
			if (r == 1) {
				sl = sizeof(err);
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
				    &sl) == 0 && err == 0)
					break;
			} else
				err = r == 0 ? ETIMEDOUT : errno;
		} else
			err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		set_err("connect to %s port %s: %s", host, port,
		    strerror(err != 0 ? err : ECONNREFUSED));
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	return 0;
}

int
acap_client_connect(const struct acap_client_opts *opts,
    struct acap_client **c_r, const char **errstr_r)
{
	struct acap_client *c;

	*c_r = NULL;
	if (opts->host == NULL || opts->host[0] == '\0') {
		*errstr_r = set_err("no server host given");
		return -1;
	}
	c = acap_client_new_unconnected();
	c->opts = *opts;
	limits_fill(&c->opts.limits);
	acap_parser_set_limits(c->parser, &c->opts.limits);
	c->host = xstrdup(opts->host);
	if (tcp_connect(c, opts->host, opts->port != NULL ? opts->port :
	    ACAP_CLIENT_DEFAULT_PORT) == -1 || read_greeting(c) == -1) {
		acap_client_free(&c);
		*errstr_r = client_err;
		return -1;
	}
	c->opts.host = NULL;
	c->opts.port = NULL;
	*c_r = c;
	return 0;
}

static void
secret_wipe(struct acap_client *c)
{
	if (c->secret != NULL) {
		explicit_bzero(c->secret, c->secret_size);
		free(c->secret);
		c->secret = NULL;
		c->secret_size = 0;
	}
}

void
acap_client_free(struct acap_client **cp)
{
	struct acap_client *c = *cp;

	if (c == NULL)
		return;
	client_close(c);
	if (c->ssl_ctx != NULL)
		SSL_CTX_free(c->ssl_ctx);
	if (c->sasl != NULL)
		sasl_dispose(&c->sasl);
	secret_wipe(c);
	acap_parser_free(&c->parser);
	caps_clear(c);
	completion_clear(c);
	free(c->mech_used);
	free(c->host);
	free(c->bye);
	explicit_bzero(c->in, sizeof(c->in));
	free(c);
	*cp = NULL;
}

/* Accessors. */

const char *
acap_client_implementation(const struct acap_client *c)
{
	return c->impl;
}

const char *const *
acap_client_mechs(const struct acap_client *c, size_t *count_r)
{
	static const char *const none[] = { NULL };

	if (count_r != NULL)
		*count_r = c->nmechs;
	return c->mechs != NULL ? (const char *const *)c->mechs : none;
}

bool
acap_client_has_mech(const struct acap_client *c, const char *mech)
{
	size_t i;

	for (i = 0; i < c->nmechs; i++)
		if (strcasecmp(c->mechs[i], mech) == 0)
			return true;
	return false;
}

bool
acap_client_has_starttls(const struct acap_client *c)
{
	return c->starttls;
}

unsigned long
acap_client_context_limit(const struct acap_client *c)
{
	return c->ctxlimit;
}

bool
acap_client_has_capability(const struct acap_client *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ncaps; i++)
		if (strcasecmp(c->caps[i], name) == 0)
			return true;
	return false;
}

int
acap_client_fd(const struct acap_client *c)
{
	return c->fd;
}

bool
acap_client_pending(const struct acap_client *c)
{
	return c->inlen > 0 || (c->ssl != NULL && SSL_pending(c->ssl) > 0);
}

bool
acap_client_is_open(const struct acap_client *c)
{
	return c->fd != -1;
}

const char *
acap_client_bye(const struct acap_client *c)
{
	return c->bye;
}

const char *
acap_client_mech(const struct acap_client *c)
{
	return c->mech_used;
}

bool
acap_client_authenticated(const struct acap_client *c)
{
	return c->authed;
}

/* STARTTLS. */

static bool
is_ip_literal(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

bool
acap_client_tls_active(const struct acap_client *c, int *bits_r)
{
	if (c->ssl == NULL)
		return false;
	if (bits_r != NULL)
		*bits_r = SSL_get_cipher_bits(c->ssl, NULL);
	return true;
}

static int
tls_setup(struct acap_client *c, const struct acap_client_tls *tls)
{
	const char *name = tls->verify_name != NULL ? tls->verify_name :
	    c->host;

	if ((c->ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		set_err("TLS: %s", ssl_errstr());
		return -1;
	}
	SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION);
	if (!tls->insecure) {
		if (tls->cafile != NULL || tls->capath != NULL) {
			if (SSL_CTX_load_verify_locations(c->ssl_ctx,
			    tls->cafile, tls->capath) != 1) {
				set_err("cannot load CA certificates from %s: "
				    "%s", tls->cafile != NULL ? tls->cafile :
				    tls->capath, ssl_errstr());
				return -1;
			}
		} else if (SSL_CTX_set_default_verify_paths(c->ssl_ctx) != 1) {
			set_err("cannot load the system CA store: %s",
			    ssl_errstr());
			return -1;
		}
		SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER, NULL);
	} else
		SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_NONE, NULL);
	if ((c->ssl = SSL_new(c->ssl_ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1) {
		set_err("TLS: %s", ssl_errstr());
		return -1;
	}
	if (!is_ip_literal(name))
		SSL_set_tlsext_host_name(c->ssl, name);
	if (!tls->insecure) {
		int ok;

		if (is_ip_literal(name))
			ok = X509_VERIFY_PARAM_set1_ip_asc(
			    SSL_get0_param(c->ssl), name);
		else
			ok = SSL_set1_host(c->ssl, name);
		if (ok != 1) {
			set_err("TLS: cannot check the name %s", name);
			return -1;
		}
	}
	return 0;
}

static int
tls_handshake(struct acap_client *c)
{
	long long deadline = deadline_after(c->opts.timeout_ms);
	long vr;
	int r;

	for (;;) {
		ERR_clear_error();
		r = SSL_connect(c->ssl);
		if (r == 1)
			return 0;
		switch (SSL_get_error(c->ssl, r)) {
		case SSL_ERROR_WANT_READ:
			r = wait_fd(c, POLLIN, deadline);
			break;
		case SSL_ERROR_WANT_WRITE:
			r = wait_fd(c, POLLOUT, deadline);
			break;
		default:
			vr = SSL_get_verify_result(c->ssl);
			if (vr != X509_V_OK)
				set_err("TLS: certificate verification "
				    "failed: %s", X509_verify_cert_error_string(
				    vr));
			else
				set_err("TLS handshake failed: %s",
				    ssl_errstr());
			return -1;
		}
		if (r <= 0)
			return -1;
	}
}

int
acap_client_starttls(struct acap_client *c, const struct acap_client_tls *tls,
    const char **errstr_r)
{
	if (c->ssl != NULL) {
		*errstr_r = set_err("TLS is already active");
		return -1;
	}
	if (run_command(c, "STARTTLS", 8, false, NULL, NULL) == -1) {
		*errstr_r = client_err;
		return -1;
	}
	if (c->comp.status != ACAP_STATUS_OK) {
		*errstr_r = set_err("server refused STARTTLS: %s",
		    c->comp.text);
		return -1;
	}
	/* RFC 2595 §5.1: the handshake starts right after the OK's CRLF;
	   anything already here was sent in plaintext after it. */
	if (c->inlen > 0) {
		client_close(c);
		*errstr_r = set_err("server sent data before the TLS "
		    "handshake (possible injection)");
		return -1;
	}
	if (tls_setup(c, tls) == -1 || tls_handshake(c) == -1) {
		client_close(c);
		*errstr_r = client_err;
		return -1;
	}
	/* A fresh parser and greeting: RFC 2595 §5.1. */
	acap_parser_reset(c->parser);
	if (read_greeting(c) == -1) {
		*errstr_r = client_err;
		return -1;
	}
	return 0;
}

/* SASL (RFC 2244 §6.3.1). */

static int
sasl_cb_simple(void *ctx, int id, const char **result, unsigned *len)
{
	struct acap_client *c = ctx;
	const char *s = NULL;

	switch (id) {
	case SASL_CB_AUTHNAME:
		if (c->creds->authname_cb != NULL)
			s = c->creds->authname_cb(c->creds->arg);
		if (s == NULL)
			return SASL_FAIL;
		break;
	case SASL_CB_USER:
		if (c->creds->authzid_cb != NULL)
			s = c->creds->authzid_cb(c->creds->arg);
		if (s == NULL)
			s = "";
		break;
	default:
		return SASL_BADPARAM;
	}
	*result = s;
	if (len != NULL)
		*len = (unsigned)strlen(s);
	return SASL_OK;
}

static int
sasl_cb_pass(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **psecret)
{
	struct acap_client *c = ctx;
	const char *pw = NULL;
	size_t len;

	(void)conn;
	if (id != SASL_CB_PASS)
		return SASL_BADPARAM;
	if (c->creds->password_cb != NULL)
		pw = c->creds->password_cb(c->creds->arg);
	if (pw == NULL)
		return SASL_FAIL;
	secret_wipe(c);
	len = strlen(pw);
	c->secret_size = sizeof(sasl_secret_t) + len + 1;
	if ((c->secret = calloc(1, c->secret_size)) == NULL)
		return SASL_NOMEM;
	c->secret->len = len;
	memcpy(c->secret->data, pw, len);
	*psecret = c->secret;
	return SASL_OK;
}

static int
sasl_prepare(struct acap_client *c)
{
	sasl_security_properties_t sp;
	int r, bits = 0;
	sasl_ssf_t ssf;

	if (!sasl_ready) {
		if ((r = sasl_client_init(NULL)) != SASL_OK) {
			set_err("SASL: cannot initialise: %s",
			    sasl_errstring(r, NULL, NULL));
			return -1;
		}
		sasl_ready = true;
	}
	if (c->sasl != NULL)
		sasl_dispose(&c->sasl);
	c->sasl_cbs[0].id = SASL_CB_AUTHNAME;
	c->sasl_cbs[0].proc = (int (*)(void))(void (*)(void))sasl_cb_simple;
	c->sasl_cbs[0].context = c;
	c->sasl_cbs[1].id = SASL_CB_USER;
	c->sasl_cbs[1].proc = (int (*)(void))(void (*)(void))sasl_cb_simple;
	c->sasl_cbs[1].context = c;
	c->sasl_cbs[2].id = SASL_CB_PASS;
	c->sasl_cbs[2].proc = (int (*)(void))(void (*)(void))sasl_cb_pass;
	c->sasl_cbs[2].context = c;
	c->sasl_cbs[3].id = SASL_CB_LIST_END;
	c->sasl_cbs[3].proc = NULL;
	c->sasl_cbs[3].context = NULL;
	r = sasl_client_new(ACAP_SASL_SERVICE, c->host, NULL, NULL,
	    c->sasl_cbs, 0, &c->sasl);
	if (r != SASL_OK) {
		set_err("SASL: %s", sasl_errstring(r, NULL, NULL));
		return -1;
	}
	/* No SASL security layer: TLS is the only one we use. */
	memset(&sp, 0, sizeof(sp));
	sp.min_ssf = 0;
	sp.max_ssf = 0;
	sp.maxbufsize = 0;
	sp.security_flags = SASL_SEC_NOANONYMOUS;
	if (!acap_client_tls_active(c, &bits))
		sp.security_flags |= SASL_SEC_NOPLAINTEXT;
	else {
		ssf = (sasl_ssf_t)bits;
		sasl_setprop(c->sasl, SASL_SSF_EXTERNAL, &ssf);
	}
	sasl_setprop(c->sasl, SASL_SEC_PROPS, &sp);
	return 0;
}

/* The mechanisms both sides accept, space-separated, in *out. */
static int
mech_intersect(struct acap_client *c, const char *want, struct acap_buf *out)
{
	char *copy, *tok, *save;
	size_t i;

	if (want == NULL || want[0] == '\0') {
		for (i = 0; i < c->nmechs; i++) {
			if (i > 0)
				acap_buf_addch(out, ' ');
			acap_buf_addstr(out, c->mechs[i]);
		}
	} else {
		copy = xstrdup(want);
		for (tok = strtok_r(copy, " ,", &save); tok != NULL;
		    tok = strtok_r(NULL, " ,", &save)) {
			if (!acap_client_has_mech(c, tok))
				continue;
			if (out->len > 0)
				acap_buf_addch(out, ' ');
			acap_buf_addstr(out, tok);
		}
		free(copy);
	}
	return out->len > 0 ? 0 : -1;
}

/* One SASL answer line: a string, quoted or {n+} (RFC 2244 §6.3.1). */
static int
sasl_send(struct acap_client *c, const char *data, size_t len)
{
	struct acap_buf b = ACAP_BUF_INIT;
	int r;

	if (data == NULL)
		data = "";
	if (!acap_string_needs_literal(data, len))
		acap_buf_add_string(&b, data, len);
	else {
		acap_buf_printf(&b, "{%zu+}\r\n", len);
		acap_buf_add(&b, data, len);
	}
	acap_buf_add(&b, "\r\n", 2);
	trace(c, 'C', "<SASL response>", 15);
	r = io_write(c, b.data, b.len);
	explicit_bzero(b.data, b.len);
	acap_buf_deinit(&b);
	return r;
}

/*
 * "(SASL string)" in a tagged OK (RFC 2244 §6.3.1): copy the raw octets.
 * code is the argument after "OK".
 */
static bool
final_sasl_data(const struct acap_arg *code, char **data_r, size_t *len_r)
{
	const struct acap_arg *v;

	if (code->type != ACAP_ARG_LIST || code->count != 2 ||
	    !acap_arg_is_atom(&code->list[0], "SASL"))
		return false;
	v = &code->list[1];
	if (v->type != ACAP_ARG_STRING)
		return false;
	free(*data_r);
	*data_r = xstrndup(v->str, v->len);
	*len_r = v->len;
	return true;
}

/* Cancel the exchange ("*", §6.3.1) and read the BAD. */
static void
sasl_cancel(struct acap_client *c, const char *tag)
{
	char saved[sizeof(client_err)];

	memcpy(saved, client_err, sizeof(saved));
	trace(c, 'C', "*", 1);
	if (io_write(c, "*\r\n", 3) == 0)
		(void)await_completion(c, tag, false, NULL, NULL);
	memcpy(client_err, saved, sizeof(saved));
}

int
acap_client_authenticate(struct acap_client *c, const char *mechs,
    const struct acap_client_creds *creds, const char **errstr_r)
{
	struct acap_buf mlist = ACAP_BUF_INIT, line = ACAP_BUF_INIT;
	const struct acap_cmd *cmd;
	const char *out = NULL, *mech = NULL, *tag;
	unsigned outlen = 0;
	size_t final_len = 0;
	char *final_copy = NULL;
	bool have_final = false;
	int r, sr;

	*errstr_r = client_err;
	if (c->authed) {
		set_err("already authenticated");
		return -1;
	}
	if (c->fd == -1) {
		set_err("not connected");
		return -1;
	}
	if (mech_intersect(c, mechs, &mlist) == -1) {
		struct acap_buf offered = ACAP_BUF_INIT;

		mech_intersect(c, NULL, &offered);
		set_err("no usable SASL mechanism (server offers: %s)",
		    offered.len > 0 ? offered.data : "none");
		acap_buf_deinit(&offered);
		acap_buf_deinit(&mlist);
		return -1;
	}
	c->creds = creds;
	if (sasl_prepare(c) == -1) {
		acap_buf_deinit(&mlist);
		return -1;
	}
	sr = sasl_client_start(c->sasl, mlist.data, NULL, &out, &outlen,
	    &mech);
	acap_buf_deinit(&mlist);
	if (sr != SASL_OK && sr != SASL_CONTINUE) {
		set_err("SASL: %s", sr == SASL_NOMECH ?
		    "no mechanism is usable here (plaintext mechanisms "
		    "need TLS; are the SASL plugins installed?)" :
		    sasl_errdetail(c->sasl));
		goto fail;
	}
	completion_clear(c);
	tag = next_tag(c);
	acap_buf_printf(&line, "%s AUTHENTICATE ", tag);
	acap_buf_add_string(&line, mech, strlen(mech));
	trace(c, 'C', line.data, line.len);
	if (out != NULL) {
		/* initial response: quoted or {n+} literal (§6.3.1) */
		acap_buf_addch(&line, ' ');
		if (!acap_string_needs_literal(out, outlen))
			acap_buf_add_string(&line, out, outlen);
		else {
			acap_buf_printf(&line, "{%u+}\r\n", outlen);
			acap_buf_add(&line, out, outlen);
		}
	}
	acap_buf_add(&line, "\r\n", 2);
	r = io_write(c, line.data, line.len);
	explicit_bzero(line.data, line.len);
	acap_buf_deinit(&line);
	if (r == -1)
		goto fail;
	for (;;) {
		r = read_resp(c, c->opts.timeout_ms > 0 ? c->opts.timeout_ms :
		    -1, &cmd);
		if (r <= 0) {
			if (r == 0)
				client_close(c);
			goto fail;
		}
		if (strcmp(cmd->tag, "+") == 0) {
			const struct acap_arg *ch = &cmd->args[0];

			sr = sasl_client_step(c->sasl, ch->str,
			    (unsigned)ch->len, NULL, &out, &outlen);
			if (sr != SASL_OK && sr != SASL_CONTINUE) {
				set_err("SASL: %s", sasl_errdetail(c->sasl));
				sasl_cancel(c, tag);
				goto fail;
			}
			if (sasl_send(c, out, outlen) == -1)
				goto fail;
			continue;
		}
		if (strcmp(cmd->tag, tag) == 0 && cmd->nargs >= 2 &&
		    acap_arg_is_atom(&cmd->args[0], "OK"))
			have_final = final_sasl_data(&cmd->args[1],
			    &final_copy, &final_len);
		r = dispatch(c, cmd, tag, false, NULL, NULL);
		if (r == -1)
			goto fail;
		if (r == 0)
			continue;	/* untagged: ALERT etc. */
		break;
	}
	if (c->comp.status != ACAP_STATUS_OK) {
		set_err("authentication failed: %s%s%s%s",
		    c->comp.code != NULL ? "(" : "",
		    c->comp.code != NULL ? c->comp.code : "",
		    c->comp.code != NULL ? ") " : "", c->comp.text);
		goto fail;
	}
	if (sr == SASL_CONTINUE) {
		/* RFC 2244 §6.3.1: final server data comes in the OK. */
		sr = sasl_client_step(c->sasl, have_final ? final_copy : NULL,
		    (unsigned)final_len, NULL, &out, &outlen);
	}
	if (sr != SASL_OK) {
		set_err("the server's final SASL data did not verify: %s",
		    sasl_errdetail(c->sasl));
		client_close(c);
		goto fail;
	}
	c->authed = true;
	free(c->mech_used);
	c->mech_used = xstrdup(mech);
	free(final_copy);
	secret_wipe(c);
	return 0;
fail:
	free(final_copy);
	secret_wipe(c);
	return -1;
}

/* Copying and formatting argument trees. */

static void
args_measure(const struct acap_arg *args, size_t n, size_t *arrays,
    size_t *strings)
{
	size_t i;

	*arrays += n * sizeof(struct acap_arg);
	for (i = 0; i < n; i++) {
		if (args[i].type == ACAP_ARG_LIST)
			args_measure(args[i].list, args[i].count, arrays,
			    strings);
		else if (args[i].str != NULL)
			*strings += args[i].len + 1;
	}
}

size_t
acap_client_args_size(const struct acap_arg *args, size_t n)
{
	size_t a = 0, s = 0;

	args_measure(args, n, &a, &s);
	return a + s;
}

static struct acap_arg *
args_copy(const struct acap_arg *args, size_t n, char **arrays,
    char **strings)
{
	struct acap_arg *out = (struct acap_arg *)(void *)*arrays;
	size_t i;

	*arrays += n * sizeof(struct acap_arg);
	for (i = 0; i < n; i++) {
		out[i] = args[i];
		if (args[i].type == ACAP_ARG_LIST) {
			out[i].list = args[i].count == 0 ? NULL :
			    args_copy(args[i].list, args[i].count, arrays,
			    strings);
		} else if (args[i].str != NULL) {
			memcpy(*strings, args[i].str, args[i].len);
			(*strings)[args[i].len] = '\0';
			out[i].str = *strings;
			*strings += args[i].len + 1;
		}
	}
	return out;
}

struct acap_arg *
acap_client_args_dup(const struct acap_arg *args, size_t n)
{
	size_t a = 0, s = 0;
	char *block, *ap, *sp;

	args_measure(args, n, &a, &s);
	if ((block = malloc(a + s + 1)) == NULL)
		return NULL;
	ap = block;
	sp = block + a;
	args_copy(args, n, &ap, &sp);
	return (struct acap_arg *)(void *)block;
}

void
acap_client_args_format(struct acap_buf *b, const struct acap_arg *args,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			acap_buf_addch(b, ' ');
		switch (args[i].type) {
		case ACAP_ARG_ATOM:
			acap_buf_add(b, args[i].str, args[i].len);
			break;
		case ACAP_ARG_NIL:
			acap_buf_addstr(b, "NIL");
			break;
		case ACAP_ARG_STRING:
			acap_buf_add_string(b, args[i].str, args[i].len);
			break;
		case ACAP_ARG_LIST:
			acap_buf_addch(b, '(');
			acap_client_args_format(b, args[i].list,
			    args[i].count);
			acap_buf_addch(b, ')');
			break;
		}
	}
}
