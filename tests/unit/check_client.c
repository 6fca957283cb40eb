/*
 * check_client.c -- unit suite for the ACAP client library
 * (libacap/acap-client.c: greeting capabilities, completions, string
 * forms, argument copies, and the command runner against a scripted fake
 * server on 127.0.0.1) and for acapctl's pure modules: value validation,
 * JSON, dataset records and STORE assembly, lint rules, the layer model
 * and word splitting.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acap-buf.h"
#include "acap-client.h"
#include "acap-parser.h"
#include "ds.h"
#include "jsonx.h"
#include "lint.h"
#include "model.h"
#include "validate.h"
#include "words.h"

static const struct acap_limits lim = {
	.max_line = 1 << 16,
	.max_literal = 1 << 20,
	.max_nonsync_literal = 1 << 20,
	.max_command = 1 << 22,
	.max_depth = 16,
	.max_args = 10000,
};

/* Parse one server response line; the parser stays alive for *pp. */
static const struct acap_cmd *
parse_resp(struct acap_parser **pp, const char *text, size_t len)
{
	const struct acap_cmd *cmd = NULL;
	size_t used;
	int r;

	*pp = acap_parser_new(ACAP_PARSER_RESPONSE, &lim);
	ck_assert_ptr_nonnull(*pp);
	r = acap_parser_feed(*pp, text, len, &used, &cmd);
	ck_assert_int_eq(r, 1);
	return cmd;
}

/* Client: greeting. */

START_TEST(test_capabilities)
{
	static const char g[] = "* ACAP (IMPLEMENTATION \"acapd 0.1\") "
	    "(SASL \"SCRAM-SHA-256\" \"CRAM-MD5\") (STARTTLS) "
	    "(CONTEXTLIMIT \"200\") (X-FUTURE \"a\" \"b\")\r\n";
	struct acap_client *c = acap_client_new_unconnected();
	struct acap_parser *p;
	const struct acap_cmd *cmd = parse_resp(&p, g, sizeof(g) - 1);
	const char *const *mechs;
	size_t n;

	ck_assert_int_eq(acap_client_parse_capabilities(c, cmd->args + 1,
	    cmd->nargs - 1), 0);
	ck_assert_str_eq(acap_client_implementation(c), "acapd 0.1");
	mechs = acap_client_mechs(c, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(mechs[0], "SCRAM-SHA-256");
	ck_assert_str_eq(mechs[1], "CRAM-MD5");
	ck_assert_ptr_null(mechs[2]);
	ck_assert(acap_client_has_mech(c, "cram-md5"));
	ck_assert(!acap_client_has_mech(c, "PLAIN"));
	ck_assert(acap_client_has_starttls(c));
	ck_assert_uint_eq(acap_client_context_limit(c), 200);
	ck_assert(acap_client_has_capability(c, "x-future"));
	acap_parser_free(&p);
	acap_client_free(&c);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_capabilities_defaults)
{
	static const char g1[] = "* ACAP (SASL \"PLAIN\")\r\n";
	static const char g2[] = "* ACAP (CONTEXTLIMIT \"0\")\r\n";
	static const char g3[] = "* ACAP (CONTEXTLIMIT \"many\")\r\n";
	static const char g4[] = "* ACAP STARTTLS\r\n";
	struct acap_client *c = acap_client_new_unconnected();
	const struct acap_cmd *cmd;
	struct acap_parser *p;

	/* RFC 2244 §3.3: 100 contexts when CONTEXTLIMIT is not advertised */
	cmd = parse_resp(&p, g1, sizeof(g1) - 1);
	ck_assert_int_eq(acap_client_parse_capabilities(c, cmd->args + 1,
	    cmd->nargs - 1), 0);
	ck_assert_uint_eq(acap_client_context_limit(c), 100);
	ck_assert(!acap_client_has_starttls(c));
	ck_assert_ptr_null(acap_client_implementation(c));
	acap_parser_free(&p);
	/* "0" means no limit */
	cmd = parse_resp(&p, g2, sizeof(g2) - 1);
	ck_assert_int_eq(acap_client_parse_capabilities(c, cmd->args + 1,
	    cmd->nargs - 1), 0);
	ck_assert_uint_eq(acap_client_context_limit(c), 0);
	ck_assert(!acap_client_has_mech(c, "PLAIN"));	/* replaced */
	acap_parser_free(&p);
	cmd = parse_resp(&p, g3, sizeof(g3) - 1);
	ck_assert_int_eq(acap_client_parse_capabilities(c, cmd->args + 1,
	    cmd->nargs - 1), -1);
	acap_parser_free(&p);
	/* a capability must be parenthesised (§6.1.1) */
	cmd = parse_resp(&p, g4, sizeof(g4) - 1);
	ck_assert_int_eq(acap_client_parse_capabilities(c, cmd->args + 1,
	    cmd->nargs - 1), -1);
	acap_parser_free(&p);
	acap_client_free(&c);
}
END_TEST

/* Client: completions. */

START_TEST(test_completion)
{
	static const char r1[] =
	    "a1 NO (noexist \"/email/user/x/\") \"No such dataset\"\r\n";
	static const char r2[] = "a2 OK (TOOMANY 347) \"Search done\"\r\n";
	static const char r3[] = "a3 BAD \"Unknown command\"\r\n";
	static const char r4[] =
	    "a4 NO (INVALID \"/e/site/x\" \"dataset.inherit\") \"bad\"\r\n";
	struct acap_client *c = acap_client_new_unconnected();
	const struct acap_completion *comp;
	const struct acap_cmd *cmd;
	struct acap_parser *p;

	ck_assert_ptr_null(acap_client_completion(c));
	cmd = parse_resp(&p, r1, sizeof(r1) - 1);
	ck_assert_int_eq(acap_client_parse_completion(c, ACAP_STATUS_NO,
	    cmd->args + 1, cmd->nargs - 1), 0);
	comp = acap_client_completion(c);
	ck_assert_int_eq(comp->status, ACAP_STATUS_NO);
	ck_assert_str_eq(comp->code, "NOEXIST");	/* upper-cased */
	ck_assert_uint_eq(comp->ncode_args, 1);
	ck_assert_str_eq(comp->code_args[0], "/email/user/x/");
	ck_assert_ptr_null(comp->code_args[1]);
	ck_assert_str_eq(comp->text, "No such dataset");
	acap_parser_free(&p);

	cmd = parse_resp(&p, r2, sizeof(r2) - 1);
	ck_assert_int_eq(acap_client_parse_completion(c, ACAP_STATUS_OK,
	    cmd->args + 1, cmd->nargs - 1), 0);
	comp = acap_client_completion(c);
	ck_assert_str_eq(comp->code, "TOOMANY");
	ck_assert_str_eq(comp->code_args[0], "347");
	acap_parser_free(&p);

	cmd = parse_resp(&p, r3, sizeof(r3) - 1);
	ck_assert_int_eq(acap_client_parse_completion(c, ACAP_STATUS_BAD,
	    cmd->args + 1, cmd->nargs - 1), 0);
	comp = acap_client_completion(c);
	ck_assert_ptr_null(comp->code);
	ck_assert_uint_eq(comp->ncode_args, 0);
	ck_assert_ptr_nonnull(comp->code_args);
	ck_assert_str_eq(comp->text, "Unknown command");
	acap_parser_free(&p);

	/* INVALID carries entry-path/attribute pairs (ACAP-NOTES §6) */
	cmd = parse_resp(&p, r4, sizeof(r4) - 1);
	ck_assert_int_eq(acap_client_parse_completion(c, ACAP_STATUS_NO,
	    cmd->args + 1, cmd->nargs - 1), 0);
	comp = acap_client_completion(c);
	ck_assert_uint_eq(comp->ncode_args, 2);
	ck_assert_str_eq(comp->code_args[1], "dataset.inherit");
	acap_parser_free(&p);
	acap_client_free(&c);
}
END_TEST

/* Client: strings and argument trees. */

START_TEST(test_add_string)
{
	struct acap_client *c = acap_client_new_unconnected();
	struct acap_buf b = ACAP_BUF_INIT;
	char big[5000];

	acap_client_add_string(c, &b, "plain", 5);
	ck_assert_str_eq(b.data, "\"plain\"");
	acap_buf_reset(&b);
	acap_client_add_string(c, &b, "q\"b\\", 4);
	ck_assert_str_eq(b.data, "\"q\\\"b\\\\\"");
	acap_buf_reset(&b);
	/* CR/LF/NUL need a literal: non-synchronizing when small */
	acap_client_add_string(c, &b, "a\r\nb", 4);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_mem_eq(b.data, "{4+}\r\na\r\nb", 10);
	acap_buf_reset(&b);
	acap_client_add_string(c, &b, "a\0b", 3);
	ck_assert_mem_eq(b.data, "{3+}\r\na\0b", 9);
	acap_buf_reset(&b);
	/* before authentication {n+} stops at 4096 octets: then {n} */
	memset(big, 'x', sizeof(big));
	big[10] = '\n';
	acap_client_add_string(c, &b, big, 4096);
	ck_assert_mem_eq(b.data, "{4096+}\r\n", 9);
	acap_buf_reset(&b);
	acap_client_add_string(c, &b, big, 4097);
	ck_assert_mem_eq(b.data, "{4097}\r\n", 8);
	acap_buf_reset(&b);
	/* over 1024 octets without CR/LF/NUL is a literal too (§2.6.3) */
	memset(big, 'y', sizeof(big));
	acap_client_add_string(c, &b, big, 1024);
	ck_assert_uint_eq(b.len, 1026);
	ck_assert_int_eq(b.data[0], '"');
	acap_buf_reset(&b);
	acap_client_add_string(c, &b, big, 1025);
	ck_assert_mem_eq(b.data, "{1025+}\r\n", 9);
	acap_buf_reset(&b);
	acap_client_add_nstring(c, &b, NULL);
	ck_assert_str_eq(b.data, "NIL");
	acap_buf_deinit(&b);
	acap_client_free(&c);
}
END_TEST

START_TEST(test_args_dup_format)
{
	static const char r[] = "a1 ENTRY \"e\" ((\"x\" NIL) (\"y\" (\"1\" "
	    "\"2\")) (\"z\" {3}\r\na\0b) ()) atom\r\n";
	struct acap_buf b = ACAP_BUF_INIT;
	const struct acap_cmd *cmd;
	struct acap_parser *p;
	struct acap_arg *copy;
	size_t size;

	cmd = parse_resp(&p, r, sizeof(r) - 1);
	size = acap_client_args_size(cmd->args, cmd->nargs);
	ck_assert_uint_gt(size, 0);
	copy = acap_client_args_dup(cmd->args, cmd->nargs);
	ck_assert_ptr_nonnull(copy);
	acap_parser_free(&p);		/* the copy must not depend on it */
	ck_assert_int_eq(copy[0].type, ACAP_ARG_ATOM);
	ck_assert_str_eq(copy[1].str, "e");
	ck_assert_uint_eq(copy[2].count, 4);
	ck_assert_int_eq(copy[2].list[0].list[1].type, ACAP_ARG_NIL);
	ck_assert_str_eq(copy[2].list[1].list[1].list[1].str, "2");
	ck_assert_uint_eq(copy[2].list[2].list[1].len, 3);
	ck_assert_mem_eq(copy[2].list[2].list[1].str, "a\0b", 4);
	ck_assert_uint_eq(copy[2].list[3].count, 0);
	acap_client_args_format(&b, copy, 4);
	ck_assert_str_eq(b.data, "ENTRY \"e\" ((\"x\" NIL) (\"y\" (\"1\" "
	    "\"2\")) (\"z\" {3}\r\na");
	ck_assert_uint_eq(b.len, 60);
	ck_assert_mem_eq(b.data + 47, "a\0b) ()) atom", 14);
	free(copy);
	acap_buf_deinit(&b);
}
END_TEST

/* Client: the command runner against a scripted fake server. */

/*
 * Script lines: "<TEXT" the client must send TEXT + CRLF; "#N" read N raw
 * octets; ">TEXT" send TEXT + CRLF; "!TEXT" send TEXT raw; "." close.
 * The child exits 0 when every expectation held.
 */
static void __attribute__((noreturn))
fake_server(int lfd, const char *const *script)
{
	char buf[8192], want[8192];
	size_t n, got;
	ssize_t r;
	int fd;

	alarm(10);
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(10);
	for (; *script != NULL; script++) {
		const char *s = *script;

		switch (s[0]) {
		case '<':
			n = (size_t)snprintf(want, sizeof(want), "%s\r\n",
			    s + 1);
			for (got = 0; got < n; got += (size_t)r)
				if ((r = read(fd, buf + got, n - got)) <= 0)
					_exit(11);
			if (memcmp(buf, want, n) != 0) {
				fprintf(stderr, "fake server: want [%s] got "
				    "[%.*s]\n", s + 1, (int)n, buf);
				_exit(12);
			}
			break;
		case '#':
			n = (size_t)atoi(s + 1);
			for (got = 0; got < n; got += (size_t)r)
				if ((r = read(fd, buf, n - got)) <= 0)
					_exit(13);
			break;
		case '>':
			n = (size_t)snprintf(buf, sizeof(buf), "%s\r\n", s + 1);
			if (write(fd, buf, n) != (ssize_t)n)
				_exit(14);
			break;
		case '!':
			n = strlen(s + 1);
			if (write(fd, s + 1, n) != (ssize_t)n)
				_exit(14);
			break;
		case '.':
			close(fd);
			_exit(0);
		}
	}
	/* wait for the client to close */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

struct fake {
	pid_t pid;
	char port[16];
};

static void
fake_start(struct fake *f, const char *const *script)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int lfd;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(lfd, -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(f->port, sizeof(f->port), "%u", ntohs(sin.sin_port));
	f->pid = fork();
	ck_assert_int_ne(f->pid, -1);
	if (f->pid == 0)
		fake_server(lfd, script);
	close(lfd);
}

static int
fake_end(struct fake *f)
{
	int st;

	ck_assert_int_eq(waitpid(f->pid, &st, 0), f->pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static struct acap_client *
fake_connect(struct fake *f, size_t max_line)
{
	struct acap_client_opts o;
	struct acap_client *c;
	const char *err = NULL;

	acap_client_opts_init(&o);
	o.host = "127.0.0.1";
	o.port = f->port;
	o.family = AF_INET;
	o.timeout_ms = 5000;
	o.limits.max_line = max_line;
	ck_assert_msg(acap_client_connect(&o, &c, &err) == 0, "%s", err);
	return c;
}

struct seen {
	char names[16][32];
	bool tagged[16];
	size_t n;
};

static void
seen_cb(const struct acap_client_resp *r, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16) {
		snprintf(s->names[s->n], sizeof(s->names[s->n]), "%s",
		    r->name);
		s->tagged[s->n++] = r->tagged;
	}
}

START_TEST(test_runner_literals)
{
	static const char *const script[] = {
		">* ACAP (IMPLEMENTATION \"fake\") (SASL \"CRAM-MD5\")",
		"<a1 NOOP",
		">* ALERT \"maintenance at noon\"",
		">a1 OK \"NOOP done\"",
		/* a synchronizing literal waits for "+" (§2.5) */
		"<a2 STORE (\"/x/e\" \"a\" {5}",
		">+ \"go ahead\"",
		"#5",
		"< \"b\" {3+}",
		"#3",
		"<)",
		">a2 ENTRY \"/x/e\" (\"a\" \"v\")",
		">a2 OK \"stored\"",
		/* refused before the literal: the data is never sent */
		"<a3 STORE (\"/x/e\" \"a\" {7}",
		">a3 NO (QUOTA) \"too big\"",
		"<a4 NOOP",
		">a4 OK \"ok\"",
		NULL,
	};
	struct acap_buf b = ACAP_BUF_INIT;
	struct acap_client *c;
	struct seen s;
	struct fake f;
	const char *err;

	memset(&s, 0, sizeof(s));
	fake_start(&f, script);
	c = fake_connect(&f, 0);
	ck_assert_str_eq(acap_client_implementation(c), "fake");
	ck_assert_int_eq(acap_client_command(c, "NOOP", 4, seen_cb, &s,
	    &err), 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(s.names[0], "ALERT");
	ck_assert(!s.tagged[0]);
	ck_assert_int_eq(acap_client_completion(c)->status, ACAP_STATUS_OK);

	acap_buf_addstr(&b, "STORE (\"/x/e\" \"a\" {5}\r\nhello \"b\" ");
	acap_buf_addstr(&b, "{3+}\r\nxyz)");
	ck_assert_int_eq(acap_client_command(c, b.data, b.len, seen_cb, &s,
	    &err), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.names[1], "ENTRY");
	ck_assert(s.tagged[1]);
	ck_assert_str_eq(acap_client_completion(c)->text, "stored");

	acap_buf_reset(&b);
	acap_buf_addstr(&b, "STORE (\"/x/e\" \"a\" {7}\r\nabcdefg)");
	ck_assert_int_eq(acap_client_command(c, b.data, b.len, NULL, NULL,
	    &err), 0);
	ck_assert_int_eq(acap_client_completion(c)->status, ACAP_STATUS_NO);
	ck_assert_str_eq(acap_client_completion(c)->code, "QUOTA");
	ck_assert_int_eq(acap_client_command(c, "NOOP", 4, NULL, NULL, &err),
	    0);
	acap_buf_deinit(&b);
	acap_client_free(&c);
	ck_assert_int_eq(fake_end(&f), 0);
}
END_TEST

/* Pipelining: send now, the completion later (acap_client_send/finish). */
START_TEST(test_runner_pipelined)
{
	static const char *const script[] = {
		">* ACAP (SASL \"CRAM-MD5\")",
		/* sent without waiting: the server sees it before answering */
		"<a1 STORE (\"/x/e\" \"a\" {3+}",
		"#3",
		"<)",
		">* ALERT \"hello\"",
		">a1 ENTRY \"/x/e\"",
		">a1 NO (QUOTA) \"too big\"",
		"<a2 NOOP",
		">a2 OK \"noop\"",
		/* the answer is late: the server closes before it */
		"<a3 NOOP",
		".",
		NULL,
	};
	struct acap_buf b = ACAP_BUF_INIT;
	struct acap_client *c;
	struct seen s;
	struct fake f;
	const char *err;

	memset(&s, 0, sizeof(s));
	fake_start(&f, script);
	c = fake_connect(&f, 0);
	ck_assert(!acap_client_in_flight(c));
	/* nothing to finish */
	ck_assert_int_eq(acap_client_finish(c, NULL, NULL, &err), -1);
	/* a synchronizing literal needs the server's "+": not sent */
	acap_buf_addstr(&b, "STORE (\"/x/e\" \"a\" {3}\r\nxyz)");
	ck_assert_int_eq(acap_client_send(c, b.data, b.len, &err), 1);
	ck_assert(!acap_client_in_flight(c));
	acap_buf_reset(&b);
	acap_buf_addstr(&b, "STORE (\"/x/e\" \"a\" {3+}\r\nxyz)");
	ck_assert_int_eq(acap_client_send(c, b.data, b.len, &err), 0);
	ck_assert(acap_client_in_flight(c));
	/* one at a time: a second send and a command are refused */
	ck_assert_int_eq(acap_client_send(c, "NOOP", 4, &err), 1);
	ck_assert_int_eq(acap_client_command(c, "NOOP", 4, NULL, NULL,
	    &err), -1);
	ck_assert_int_eq(acap_client_finish(c, seen_cb, &s, &err), 0);
	ck_assert(!acap_client_in_flight(c));
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.names[0], "ALERT");
	ck_assert(!s.tagged[0]);
	ck_assert_str_eq(s.names[1], "ENTRY");
	ck_assert(s.tagged[1]);
	ck_assert_int_eq(acap_client_completion(c)->status, ACAP_STATUS_NO);
	ck_assert_str_eq(acap_client_completion(c)->code, "QUOTA");
	ck_assert_int_eq(acap_client_command(c, "NOOP", 4, NULL, NULL, &err),
	    0);
	ck_assert_str_eq(acap_client_completion(c)->text, "noop");
	ck_assert_int_eq(acap_client_send(c, "NOOP", 4, &err), 0);
	ck_assert_int_eq(acap_client_finish(c, NULL, NULL, &err), -1);
	ck_assert(!acap_client_is_open(c));
	acap_buf_deinit(&b);
	acap_client_free(&c);
	ck_assert_int_eq(fake_end(&f), 0);
}
END_TEST

START_TEST(test_runner_idle_and_bye)
{
	static const char *const script[] = {
		">* ACAP (SASL \"CRAM-MD5\")",
		"<a1 SEARCH \"/e/\" MAKECONTEXT NOTIFY \"w\" RETURN (\"*\") "
		"ALL",
		">a1 MODTIME \"20260101000000\"",
		">a1 OK \"done\"",
		">* ADDTO \"w\" \"n\" 0 ((\"entry\" \"n\"))",
		">* MODTIME \"w\" \"20260101000001\"",
		"<a2 NOOP",
		">* BYE \"shutting down\"",
		".",
		NULL,
	};
	static const char cmd[] =
	    "SEARCH \"/e/\" MAKECONTEXT NOTIFY \"w\" RETURN (\"*\") ALL";
	struct acap_client *c;
	struct seen s;
	struct fake f;
	const char *err;

	memset(&s, 0, sizeof(s));
	fake_start(&f, script);
	c = fake_connect(&f, 0);
	ck_assert_int_eq(acap_client_command(c, cmd, sizeof(cmd) - 1, seen_cb,
	    &s, &err), 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(s.names[0], "MODTIME");
	ck_assert(s.tagged[0]);
	/* idle: both notifications arrive, then nothing */
	ck_assert_int_eq(acap_client_wait(c, 2000, seen_cb, &s, &err), 1);
	if (s.n < 3)
		ck_assert_int_eq(acap_client_wait(c, 2000, seen_cb, &s,
		    &err), 1);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_str_eq(s.names[1], "ADDTO");
	ck_assert(!s.tagged[1]);
	ck_assert_str_eq(s.names[2], "MODTIME");
	ck_assert_int_eq(acap_client_wait(c, 100, seen_cb, &s, &err), 0);
	/* BYE ends the session: the command fails, the text is kept */
	ck_assert_int_eq(acap_client_command(c, "NOOP", 4, NULL, NULL, &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "shutting down"));
	ck_assert_str_eq(acap_client_bye(c), "shutting down");
	ck_assert(!acap_client_is_open(c));
	ck_assert_int_eq(acap_client_command(c, "NOOP", 4, NULL, NULL, &err),
	    -1);
	acap_client_free(&c);
	ck_assert_int_eq(fake_end(&f), 0);
}
END_TEST

START_TEST(test_runner_bad_responses)
{
	static const char *const greeting_bye[] = {
		">* BYE \"too many connections\"", ".", NULL,
	};
	static const char *const not_acap[] = {
		">220 smtp.example.com ESMTP", ".", NULL,
	};
	static const char *const malformed[] = {
		">* ACAP (SASL \"CRAM-MD5\")",
		"<a1 NOOP",
		">a1 OK \"unterminated",
		NULL,
	};
	static const char *const too_long[] = {
		">* ACAP (SASL \"CRAM-MD5\")",
		"<a1 NOOP",
		">* OK \"012345678901234567890123456789012345678901234567890"
		"1234567890123456789\"",
		">a1 OK \"x\"",
		NULL,
	};
	static const char *const wrong_tag[] = {
		">* ACAP (SASL \"CRAM-MD5\")",
		"<a1 NOOP",
		">zz9 OK \"not yours\"",
		NULL,
	};
	struct acap_client_opts o;
	struct acap_client *c;
	struct fake f;
	const char *err = NULL;

	fake_start(&f, greeting_bye);
	acap_client_opts_init(&o);
	o.host = "127.0.0.1";
	o.port = f.port;
	o.timeout_ms = 5000;
	ck_assert_int_eq(acap_client_connect(&o, &c, &err), -1);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, "too many connections"));
	ck_assert_int_eq(fake_end(&f), 0);

	fake_start(&f, not_acap);
	o.port = f.port;
	ck_assert_int_eq(acap_client_connect(&o, &c, &err), -1);
	ck_assert_int_eq(fake_end(&f), 0);

	fake_start(&f, malformed);
	c = fake_connect(&f, 0);
	ck_assert_int_eq(acap_client_command(c, "NOOP", 4, NULL, NULL, &err),
	    -1);
	ck_assert(!acap_client_is_open(c));
	acap_client_free(&c);
	ck_assert_int_eq(fake_end(&f), 0);

	/* bounded memory: a line over max_line ends the connection */
	fake_start(&f, too_long);
	c = fake_connect(&f, 64);
	ck_assert_int_eq(acap_client_command(c, "NOOP", 4, NULL, NULL, &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed"));
	acap_client_free(&c);
	ck_assert_int_eq(fake_end(&f), 0);

	fake_start(&f, wrong_tag);
	c = fake_connect(&f, 0);
	ck_assert_int_eq(acap_client_command(c, "NOOP", 4, NULL, NULL, &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown tag"));
	acap_client_free(&c);
	ck_assert_int_eq(fake_end(&f), 0);

	/* nobody listening */
	o.port = "1";
	ck_assert_int_eq(acap_client_connect(&o, &c, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "connect to 127.0.0.1 port 1"));
}
END_TEST

/* CRAM-MD5 through libsasl2 against the fake: the answer's shape. */
static const char *
cred_user(void *arg)
{
	(void)arg;
	return "tim";
}

static const char *
cred_pass(void *arg)
{
	(void)arg;
	return "tanstaaftanstaaf";
}

START_TEST(test_runner_sasl_refused)
{
	/* the server refuses: NO, and the completion says why */
	static const char *const script[] = {
		">* ACAP (SASL \"CRAM-MD5\")",
		"<a1 AUTHENTICATE \"CRAM-MD5\"",
		">+ \"<1896.697170952@postoffice.example.net>\"",
		"#40",
		">a1 NO (AUTH-TOO-WEAK) \"not for you\"",
		NULL,
	};
	static const char *const nomech[] = {
		">* ACAP (SASL \"X-UNKNOWN\")", NULL,
	};
	struct acap_client_creds cr = { cred_user, NULL, cred_pass, NULL };
	const struct acap_completion *comp;
	struct acap_client *c;
	struct fake f;
	const char *err;

	fake_start(&f, nomech);
	c = fake_connect(&f, 0);
	/* a mechanism the server does not offer is never tried */
	ck_assert_int_eq(acap_client_authenticate(c, "PLAIN", &cr, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no usable SASL mechanism"));
	ck_assert_ptr_nonnull(strstr(err, "X-UNKNOWN"));
	ck_assert_int_eq(acap_client_authenticate(c, NULL, &cr, &err), -1);
	ck_assert(!acap_client_authenticated(c));
	acap_client_free(&c);
	ck_assert_int_eq(fake_end(&f), 0);

	fake_start(&f, script);
	c = fake_connect(&f, 0);
	/* libsasl2-modules (tools/deps.sh) has the CRAM-MD5 plugin */
	if (acap_client_authenticate(c, "CRAM-MD5", &cr, &err) == -1 &&
	    strstr(err, "no mechanism is usable") != NULL) {
		/* SIGKILL: the fake inherits Check's SIGTERM handler, which
		 * would take the whole test down with it */
		kill(f.pid, SIGKILL);
		(void)fake_end(&f);
		ck_abort_msg("no CRAM-MD5 plugin: libsasl2-modules is not "
		    "installed (tools/deps.sh)");
	}
	ck_assert(!acap_client_authenticated(c));
	ck_assert_ptr_nonnull(strstr(err, "AUTH-TOO-WEAK"));
	comp = acap_client_completion(c);
	ck_assert_ptr_nonnull(comp);
	ck_assert_int_eq(comp->status, ACAP_STATUS_NO);
	ck_assert_str_eq(comp->code, "AUTH-TOO-WEAK");
	acap_client_free(&c);
	ck_assert_int_eq(fake_end(&f), 0);
}
END_TEST

START_TEST(test_runner_cram)
{
	/* RFC 2195 §2 example: the digest is fixed by challenge + secret */
	static const char *const script[] = {
		">* ACAP (SASL \"CRAM-MD5\")",
		"<a1 AUTHENTICATE \"CRAM-MD5\"",
		">+ \"<1896.697170952@postoffice.reston.mci.net>\"",
		"<\"tim b913a602c7eda7a495b4e6e7334d3890\"",
		">a1 OK \"CRAM-MD5 authentication successful\"",
		"<a2 NOOP",
		">a2 OK \"x\"",
		NULL,
	};
	struct acap_client_creds cr = { cred_user, NULL, cred_pass, NULL };
	struct acap_client *c;
	struct fake f;
	const char *err = "";

	fake_start(&f, script);
	c = fake_connect(&f, 0);
	/* libsasl2-modules (tools/deps.sh) has the CRAM-MD5 plugin */
	if (acap_client_authenticate(c, "CRAM-MD5", &cr, &err) == -1 &&
	    strstr(err, "no mechanism is usable") != NULL) {
		/* SIGKILL: the fake inherits Check's SIGTERM handler, which
		 * would take the whole test down with it */
		kill(f.pid, SIGKILL);
		(void)fake_end(&f);
		ck_abort_msg("no CRAM-MD5 plugin: libsasl2-modules is not "
		    "installed (tools/deps.sh)");
	}
	ck_assert_msg(acap_client_authenticated(c), "%s", err);
	ck_assert_str_eq(acap_client_mech(c), "CRAM-MD5");
	ck_assert_int_eq(acap_client_command(c, "NOOP", 4, NULL, NULL, &err),
	    0);
	acap_client_free(&c);
	ck_assert_int_eq(fake_end(&f), 0);
}
END_TEST

/* acapctl: value validation. */

static enum validate_level
check(const char *attr, const char *v, bool deliberate, char *msg)
{
	return validate_value(attr, v, strlen(v), deliberate, msg, 512);
}

START_TEST(test_validate_ports)
{
	char msg[512];

	ck_assert_int_eq(check("email.server.IMAP", "imap://h:1/", false,
	    msg), VALIDATE_OK);
	ck_assert_int_eq(check("email.server.IMAP", "imap://h:65535/", false,
	    msg), VALIDATE_OK);
	ck_assert_int_eq(check("email.server.IMAP", "imap://h:0/", false,
	    msg), VALIDATE_REFUSE);
	ck_assert_ptr_nonnull(strstr(msg, "email.server.IMAP"));
	ck_assert_ptr_nonnull(strstr(msg, "1-65535"));
	ck_assert_int_eq(check("email.server.IMAP", "imap://h:65536/", false,
	    msg), VALIDATE_REFUSE);
	ck_assert_int_eq(check("email.server.IMAP", "imap://h:12x/", false,
	    msg), VALIDATE_REFUSE);
	ck_assert_int_eq(check("email.server.IMAP", "imap://h:/", false,
	    msg), VALIDATE_REFUSE);
	ck_assert_int_eq(check("email.server.IMAP", "imap:///", false, msg),
	    VALIDATE_REFUSE);
	ck_assert_ptr_nonnull(strstr(msg, "no host"));
	ck_assert_int_eq(check("email.server.IMAP", "smtp://h/", false, msg),
	    VALIDATE_REFUSE);
	ck_assert_ptr_nonnull(strstr(msg, "scheme"));
	ck_assert_int_eq(check("email.server.IMAP",
	    "imap://fred;AUTH=*@[2001:db8::1]:143/INBOX", false, msg),
	    VALIDATE_OK);
	ck_assert_int_eq(check("personality.Server.SMTP",
	    "smtp:rg;AUTH=CRAM-MD5@smtp.example.com:587", false, msg),
	    VALIDATE_OK);
	/* no port: the SMTP URL default is 25 (draft-ietf-acap-pers §8) */
	ck_assert_int_eq(check("personality.Server.SMTP", "smtp:mail.example",
	    false, msg), VALIDATE_WARN);
	ck_assert_ptr_nonnull(strstr(msg, "587"));
	ck_assert_int_eq(check("email.server.POP", "pop://h:99999", false,
	    msg), VALIDATE_REFUSE);
}
END_TEST

START_TEST(test_validate_policy)
{
	char msg[512];

	ck_assert_int_eq(check("vendor.acapd.tls", "starttls-required", false,
	    msg), VALIDATE_OK);
	ck_assert_int_eq(check("vendor.acapd.tls", "implicit", false, msg),
	    VALIDATE_OK);
	ck_assert_int_eq(check("vendor.acapd.tls", "starttls-optional", false,
	    msg), VALIDATE_WARN);
	ck_assert_int_eq(check("vendor.acapd.tls", "starttls-optional", true,
	    msg), VALIDATE_OK);
	ck_assert_int_eq(check("vendor.acapd.tls", "STARTTLS", false, msg),
	    VALIDATE_REFUSE);
	ck_assert_ptr_nonnull(strstr(msg, "vendor.acapd.tls"));
	/* idle ceilings: N and N+1 at each bound */
	ck_assert_int_eq(check("vendor.acapd.idle-ceiling", "1740", false,
	    msg), VALIDATE_OK);
	ck_assert_int_eq(check("vendor.acapd.idle-ceiling", "1741", false,
	    msg), VALIDATE_WARN);
	ck_assert_ptr_nonnull(strstr(msg, "idle-ceiling-29min"));
	ck_assert_int_eq(check("vendor.acapd.idle-ceiling", "7199", false,
	    msg), VALIDATE_WARN);
	ck_assert_int_eq(check("vendor.acapd.idle-ceiling", "7200", false,
	    msg), VALIDATE_REFUSE);
	ck_assert_ptr_nonnull(strstr(msg, "RFC 5383"));
	ck_assert_ptr_nonnull(strstr(msg, "idle-ceiling-2h"));
	ck_assert_int_eq(check("vendor.acapd.idle-ceiling", "7200", true,
	    msg), VALIDATE_WARN);
	ck_assert_int_eq(check("vendor.acapd.idle-ceiling", "0", false, msg),
	    VALIDATE_REFUSE);
	ck_assert_int_eq(check("vendor.acapd.idle-ceiling", "1", false, msg),
	    VALIDATE_OK);
	ck_assert_int_eq(check("vendor.acapd.idle-ceiling", "-5", false, msg),
	    VALIDATE_REFUSE);
	ck_assert_int_eq(check("vendor.acapd.idle-ceiling", "30m", false,
	    msg), VALIDATE_REFUSE);
	ck_assert_int_eq(check("vendor.acapd.idle-ceiling",
	    "99999999999999999999", true, msg), VALIDATE_REFUSE);
	ck_assert_int_eq(check("vendor.acapd.tcp-keepalive", "off", false,
	    msg), VALIDATE_OK);
	ck_assert_int_eq(check("vendor.acapd.tcp-keepalive", "on", false,
	    msg), VALIDATE_WARN);
	ck_assert_int_eq(check("vendor.acapd.tcp-keepalive", "yes", false,
	    msg), VALIDATE_REFUSE);
	ck_assert_int_eq(check("email.leave-on-server.flag", "2", false, msg),
	    VALIDATE_REFUSE);
	ck_assert_int_eq(check("email.check-interval", "300", false, msg),
	    VALIDATE_OK);
	ck_assert_int_eq(check("email.check-interval", "5 min", false, msg),
	    VALIDATE_REFUSE);
	ck_assert_int_eq(check("email.connection-type", "LAN", false, msg),
	    VALIDATE_OK);
	ck_assert_int_eq(check("x-site.anything", "whatever", false, msg),
	    VALIDATE_OK);
	/* binary only in ".bin" attributes */
	ck_assert_int_eq(validate_value("personality.Real-Name", "a\0b", 3,
	    false, msg, sizeof(msg)), VALIDATE_REFUSE);
	ck_assert_int_eq(validate_value("personality.PGP.Key-ID.bin", "a\0b",
	    3, false, msg, sizeof(msg)), VALIDATE_OK);
}
END_TEST

START_TEST(test_validate_url)
{
	struct validate_url u;
	const char *err;

	ck_assert_int_eq(validate_parse_url("imap://mail.example.com/", &u,
	    &err), 0);
	ck_assert_str_eq(u.host, "mail.example.com");
	ck_assert_uint_eq(u.port, 143);
	ck_assert(!u.port_given);
	ck_assert_int_eq(validate_parse_url("IMAPS://h", &u, &err), 0);
	ck_assert_str_eq(u.scheme, "imaps");
	ck_assert_uint_eq(u.port, 993);
	ck_assert(u.implicit_tls);
	ck_assert_int_eq(validate_parse_url("smtp:h", &u, &err), 0);
	ck_assert_uint_eq(u.port, 25);
	ck_assert_int_eq(validate_parse_url("submission://h", &u, &err), 0);
	ck_assert_uint_eq(u.port, 587);
	ck_assert_int_eq(validate_parse_url("smtp://u@h:2525", &u, &err), 0);
	ck_assert_str_eq(u.host, "h");
	ck_assert_uint_eq(u.port, 2525);
	ck_assert(u.port_given);
	ck_assert_int_eq(validate_parse_url("imap://[::1]:10143/x", &u, &err),
	    0);
	ck_assert_str_eq(u.host, "[::1]");
	ck_assert_uint_eq(u.port, 10143);
	ck_assert_int_eq(validate_parse_url("imap://[::1/", &u, &err), -1);
	ck_assert_int_eq(validate_parse_url("mail.example.com", &u, &err),
	    -1);
	ck_assert_int_eq(validate_parse_url("gopher://h/", &u, &err), -1);
	ck_assert_ptr_nonnull(validate_lookup("email.server.IMAP"));
	ck_assert_ptr_null(validate_lookup("email.nothing"));
}
END_TEST

/* acapctl: the adapters over Jansson (jsonx.h). */

static char *
roundtrip(const char *text)
{
	struct acap_buf b = ACAP_BUF_INIT;
	json_t *j;
	char err[256];

	j = jsonx_parse(text, strlen(text), err, sizeof(err));
	ck_assert_msg(j != NULL, "%s: %s", text, err);
	jsonx_write(j, &b, false);
	json_decref(j);
	return b.data;
}

START_TEST(test_json_roundtrip)
{
	static const char *const same[] = {
		"[]", "{}", "[1,[2,[3]],{}]", "[null,true,false,0,-12]",
		"[9223372036854775807]", "[\"\",\"a\\\"b\\\\c\\n\"]",
		"{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"e\"}}",
		"{\"z\":1,\"a\":2,\"m\":3}",	/* key order kept */
		"[\"caf\xc3\xa9\"]", "[\"a\\u0000b\"]",
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		s = roundtrip(same[i]);
		ck_assert_str_eq(s, same[i]);
		free(s);
	}
	s = roundtrip(" { \"k\" : [ 1 , 2 ] }\n");
	ck_assert_str_eq(s, "{\"k\":[1,2]}");
	free(s);
	/* escapes: \u00e9 and a surrogate pair become UTF-8 */
	s = roundtrip("[\"\\u00e9\\ud83d\\ude00\\/\"]");
	ck_assert_str_eq(s, "[\"\xc3\xa9\xf0\x9f\x98\x80/\"]");
	free(s);
}
END_TEST

START_TEST(test_json_build)
{
	struct acap_buf b = ACAP_BUF_INIT;
	json_t *o, *a, *v;

	o = json_object();
	jsonx_set_str(o, "name", "bob");
	jsonx_set_int(o, "n", -3);
	jsonx_set_bool(o, "ok", true);
	jsonx_set_str(o, "none", NULL);
	a = jsonx_set(o, "list", json_array());
	ck_assert_ptr_eq(json_object_get(o, "list"), a);
	jsonx_add(a, jsonx_strn("a\0b", 3));
	jsonx_add(a, jsonx_strn("\xff", 1));		/* not UTF-8 */
	/* valid sequences kept, a stray lead and a lone tail octet not */
	jsonx_add(a, jsonx_strn("\xc3\xa9\xc3x\x80", 5));
	jsonx_set_str(o, "name", "eve");		/* replaces in place */
	jsonx_write(o, &b, false);
	ck_assert_str_eq(b.data, "{\"name\":\"eve\",\"n\":-3,\"ok\":true,"
	    "\"none\":null,\"list\":[\"a\\u0000b\",\"\xc3\xbf\","
	    "\"\xc3\xa9\xc3\x83x\xc2\x80\"]}");
	ck_assert_uint_eq(json_object_size(o), 5);
	v = json_array_get(a, 0);
	ck_assert_uint_eq(json_string_length(v), 3);
	ck_assert_int_eq(memcmp(json_string_value(v), "a\0b", 3), 0);
	acap_buf_reset(&b);
	jsonx_write(o, &b, true);
	ck_assert_str_eq(b.data, "{\n  \"name\": \"eve\",\n  \"n\": -3,\n"
	    "  \"ok\": true,\n  \"none\": null,\n  \"list\": [\n"
	    "    \"a\\u0000b\",\n    \"\xc3\xbf\",\n"
	    "    \"\xc3\xa9\xc3\x83x\xc2\x80\"\n  ]\n}");
	acap_buf_reset(&b);
	/* any value, not only objects and arrays */
	jsonx_write(json_object_get(o, "none"), &b, false);
	ck_assert_str_eq(b.data, "null");
	json_decref(o);
	acap_buf_deinit(&b);
}
END_TEST

static void
parse_fails(const char *text, size_t len, const char *want)
{
	char err[256];
	json_t *j;

	j = jsonx_parse(text, len, err, sizeof(err));
	ck_assert_msg(j == NULL, "accepted [%.*s]", (int)len, text);
	ck_assert_msg(strstr(err, want) != NULL, "[%.*s]: \"%s\" lacks \"%s\"",
	    (int)len, text, err, want);
}

START_TEST(test_json_errors)
{
	static const char *const bad[] = {
		"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "[\"abc",
		"[\"\\x\"]", "[\"\\ud800\"]", "[01]", "[-]", "[tru]", "[1] 2",
		"[\"a\nb\"]", "{1:2}", "[1.]", "[1e]", "1", "\"s\"", "null",
	};
	char *deep;
	size_t i, n;
	char err[256];
	json_t *j;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails(bad[i], strlen(bad[i]), "line ");
	parse_fails("[\n  1,\n  x]", 11, "line 3 column 3");
	/* the rules import relies on */
	parse_fails("{\"a\": 1,\n \"a\": 2}", 17, "line 2 column");
	parse_fails("{\"a\": 1, \"a\": 2}", 16, "duplicate object key");
	parse_fails("[\"\xff\"]", 5, "line 1 column");
	parse_fails("[\"\xc3\"]", 5, "line 1 column");
	parse_fails("[\"\xed\xa0\x80\"]", 7, "line 1 column"); /* surrogate */
	parse_fails("{\"a\\u0000b\": 1}", 15, "NUL");
	/* JSON_PARSER_MAX_DEPTH (2048) levels parse, one more does not */
	n = JSON_PARSER_MAX_DEPTH;
	deep = malloc(2 * n + 2);
	ck_assert_ptr_nonnull(deep);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	j = jsonx_parse(deep, 2 * n, err, sizeof(err));
	ck_assert_msg(j != NULL, "%s", err);
	json_decref(j);
	memset(deep, '[', n + 1);
	memset(deep + n + 1, ']', n + 1);
	parse_fails(deep, 2 * n + 2, "maximum parsing depth reached");
	free(deep);
}
END_TEST

/* acapctl: dataset records and STORE assembly. */

START_TEST(test_ds_entry_parse)
{
	static const char r[] = "a1 ENTRY \"corp\" ((\"entry\" \"corp\") "
	    "(\"modtime\" \"20260101000000123456\") (\"email.server.IMAP\" "
	    "\"imap://h/\") (\"email.boring-headers\" (\"X-A\" \"X-B\")) "
	    "(\"vendor.acapd.tls\" NIL))\r\n";
	static const char bad[] = "a1 ENTRY \"corp\" ((\"x\"))\r\n";
	const struct acap_cmd *cmd;
	const struct ds_attr *a;
	struct acap_parser *p;
	struct ds_entry e;
	struct ds *ds;

	cmd = parse_resp(&p, r, sizeof(r) - 1);
	ck_assert_int_eq(ds_entry_parse(cmd->args + 1, cmd->nargs - 1, &e),
	    0);
	acap_parser_free(&p);
	ck_assert_str_eq(e.name, "corp");
	ck_assert_str_eq(e.modtime, "20260101000000123456");
	ck_assert_uint_eq(e.nattrs, 3);		/* entry/modtime dropped */
	ck_assert_str_eq(e.attrs[0].name, "email.boring-headers");  /* sorted */
	a = ds_entry_get(&e, "email.boring-headers");
	ck_assert_int_eq(a->value.kind, DS_MULTI);
	ck_assert_uint_eq(a->value.n, 2);
	ck_assert_str_eq(a->value.v[1], "X-B");
	ck_assert_str_eq(ds_value_str(&ds_entry_get(&e,
	    "email.server.IMAP")->value), "imap://h/");
	ck_assert_int_eq(ds_entry_get(&e, "vendor.acapd.tls")->value.kind,
	    DS_NIL);
	ds = ds_new("/email/site/");
	ds_add_entry(ds, &e);
	ck_assert_ptr_null(e.name);
	ck_assert_ptr_nonnull(ds_find(ds, "corp"));
	ck_assert_ptr_null(ds_inherit(ds));
	ds_free(&ds);
	ck_assert_ptr_null(ds);

	cmd = parse_resp(&p, bad, sizeof(bad) - 1);
	ck_assert_int_eq(ds_entry_parse(cmd->args + 1, cmd->nargs - 1, &e),
	    -1);
	acap_parser_free(&p);
}
END_TEST

START_TEST(test_ds_store)
{
	struct acap_buf b = ACAP_BUF_INIT;
	struct ds_store *st = ds_store_new();
	const char *const multi[] = { "a", "b c" };
	struct ds_value v;

	ds_store_set_str(st, "/email/site/corp", "email.server.IMAP",
	    "imap://h/");
	ds_value_init_multi(&v, multi, 2);
	ds_store_set(st, "/email/site/corp", "email.boring-headers", &v);
	ds_value_free(&v);
	ds_value_init_default(&v);
	ds_store_set(st, "/email/user/bob/corp", "entry", &v);
	ds_value_free(&v);
	ds_store_set_str(st, "/email/site/", "dataset.inherit", NULL);
	ds_store_modifiers(st, "/vendor.acapd.org/site/acme", DS_CREATE_ONLY);
	ds_store_set_str(st, "/vendor.acapd.org/site/acme", "x.y", "1");
	/* a repeated entry path merges; a repeated attribute replaces */
	ds_store_set_str(st, "/email/site/corp", "email.server.IMAP",
	    "imap://h2/");
	ck_assert_uint_eq(ds_store_count(st), 4);
	ds_store_format(st, NULL, &b);
	ck_assert_str_eq(b.data, "STORE "
	    "(\"/email/site/corp\" \"email.boring-headers\" "
	    "(\"value\" (\"a\" \"b c\")) \"email.server.IMAP\" \"imap://h2/\") "
	    "(\"/email/user/bob/corp\" \"entry\" DEFAULT) "
	    "(\"/email/site/\" \"dataset.inherit\" NIL) "
	    "(\"/vendor.acapd.org/site/acme\" UNCHANGEDSINCE "
	    "\"00000101000000\" \"x.y\" \"1\")");
	ds_store_free(&st);
	ck_assert_ptr_null(st);
	acap_buf_deinit(&b);
	{
		char *ep = ds_entry_path("/email/site/", "corp");

		ck_assert_str_eq(ep, "/email/site/corp");
		free(ep);
		ep = ds_entry_path("/email/site", "");
		ck_assert_str_eq(ep, "/email/site/");
		free(ep);
	}
}
END_TEST

START_TEST(test_ds_value_json)
{
	struct ds_value a, b;
	json_t *j;
	char err[256];

	j = jsonx_parse("[\"x\", 5]", 8, err, sizeof(err));
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(ds_value_from_json(j, &a), 0);
	json_decref(j);
	ck_assert_int_eq(a.kind, DS_MULTI);
	ck_assert_str_eq(a.v[1], "5");
	j = ds_value_to_json(&a);
	ck_assert_int_eq(ds_value_from_json(j, &b), 0);
	ck_assert(ds_value_equal(&a, &b));
	json_decref(j);
	ds_value_free(&b);
	ds_value_init_str(&b, "x");
	ck_assert(!ds_value_equal(&a, &b));
	ds_value_free(&a);
	ds_value_free(&b);
	j = jsonx_parse("{\"default\":true}", 16, err, sizeof(err));
	ck_assert_int_eq(ds_value_from_json(j, &a), 0);
	ck_assert_int_eq(a.kind, DS_DEFAULT);
	json_decref(j);
	j = jsonx_parse("{\"default\":false}", 17, err, sizeof(err));
	ck_assert_int_eq(ds_value_from_json(j, &a), -1);
	json_decref(j);
	j = jsonx_parse("[[\"nested\"]]", 12, err, sizeof(err));
	ck_assert_int_eq(ds_value_from_json(j, &a), -1);
	json_decref(j);
	/* a number that is not an integer */
	j = jsonx_parse("[1.5]", 5, err, sizeof(err));
	ck_assert_int_eq(ds_value_from_json(j, &a), -1);
	json_decref(j);
	ck_assert_int_eq(ds_value_from_json(json_true(), &a), -1);
	ck_assert_int_eq(ds_value_from_json(json_null(), &a), 0);
	ck_assert_int_eq(a.kind, DS_NIL);
	/* NUL inside a value survives both ways */
	j = jsonx_parse("[\"a\\u0000b\"]", 12, err, sizeof(err));
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(ds_value_from_json(j, &a), 0);
	json_decref(j);
	ck_assert_uint_eq(a.len[0], 3);
	j = ds_value_to_json(&a);
	ck_assert_uint_eq(json_string_length(json_array_get(j, 0)), 3);
	json_decref(j);
	ds_value_free(&a);
}
END_TEST

/* acapctl: lint rules. */

static struct ds_entry *
entry_with(struct ds *ds, const char *name, const char *const *kv)
{
	struct ds_entry e;
	struct ds_value v;

	memset(&e, 0, sizeof(e));
	e.name = strdup(name);
	for (; kv[0] != NULL; kv += 2) {
		ds_value_init_str(&v, kv[1]);
		ds_entry_set(&e, kv[0], &v);
		ds_value_free(&v);
	}
	ds_add_entry(ds, &e);
	return &ds->entries[ds->nentries - 1];
}

static const struct lint_finding *
finding(const struct lint_report *r, const char *rule)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->f[i].rule, rule) == 0)
			return &r->f[i];
	return NULL;
}

START_TEST(test_lint)
{
	static const char *const good[] = {
		"email.server.IMAP", "imap://mail.example.org/",
		"vendor.acapd.idle-ceiling", "1740",
		"vendor.acapd.tcp-keepalive", "off", NULL };
	static const char *const bad[] = {
		"email.server.IMAP", "imap://mail.example.org:1143/",
		"vendor.acapd.tls", "starttls-optional",
		"vendor.acapd.idle-ceiling", "7200",
		"vendor.acapd.tcp-keepalive", "on", NULL };
	static const char *const deliberate[] = {
		"email.server.IMAP", "imap://mail.example.org:1143/",
		"vendor.acapd.deliberate.email.server.IMAP", "yes",
		"vendor.acapd.idle-ceiling", "1800", NULL };
	static const char *const implicit[] = {
		"email.server.IMAP", "imap://h:143/",
		"vendor.acapd.tls", "implicit", NULL };
	static const char *const smtp_ok[] = {
		"personality.Server.SMTP", "smtp:h:587", NULL };
	static const char *const smtp_25[] = {
		"personality.Server.SMTP", "smtp:h", NULL };
	static const char *const smtps[] = {
		"personality.Server.SMTP", "smtps:h", NULL };
	struct ds *email = ds_new("/email/site/");
	struct ds *pers = ds_new("/personality/site/");
	struct lint_report r = { NULL, 0 };
	const struct lint_finding *f;

	entry_with(email, "good", good);
	entry_with(pers, "good", smtp_ok);
	lint_run(email, pers, &r);
	ck_assert_uint_eq(r.n, 0);
	ds_free(&email);
	ds_free(&pers);

	email = ds_new("/email/site/");
	pers = ds_new("/personality/site/");
	entry_with(email, "bad", bad);
	entry_with(pers, "bad", smtp_25);
	lint_run(email, pers, &r);
	ck_assert_ptr_nonnull(f = finding(&r, "imap-port-143"));
	ck_assert_int_eq(f->severity, LINT_WARNING);
	ck_assert_str_eq(f->attr, "email.server.IMAP");
	ck_assert_ptr_nonnull(f = finding(&r, "tls-required"));
	ck_assert_int_eq(f->severity, LINT_WARNING);
	ck_assert_ptr_nonnull(f = finding(&r, "idle-ceiling-2h"));
	ck_assert_int_eq(f->severity, LINT_ERROR);
	ck_assert_ptr_nonnull(strstr(f->ref, "RFC 5383 §4.1"));
	ck_assert_ptr_nonnull(f = finding(&r, "tcp-keepalive-off"));
	ck_assert_int_eq(f->severity, LINT_WARNING);
	ck_assert_ptr_nonnull(f = finding(&r, "submission-port-587"));
	ck_assert_ptr_nonnull(strstr(f->message, "port 25"));
	ck_assert_uint_eq(lint_count(&r, LINT_ERROR), 1);
	ck_assert_uint_eq(lint_count(&r, LINT_WARNING), 5);
	lint_report_clear(&r);
	ck_assert_uint_eq(r.n, 0);
	ds_free(&email);
	ds_free(&pers);

	email = ds_new("/email/site/");
	entry_with(email, "d", deliberate);
	lint_run(email, NULL, &r);
	ck_assert_ptr_nonnull(f = finding(&r, "imap-port-143"));
	ck_assert_int_eq(f->severity, LINT_NOTE);
	ck_assert_ptr_nonnull(f = finding(&r, "idle-ceiling-29min"));
	ck_assert_int_eq(f->severity, LINT_WARNING);
	lint_report_clear(&r);
	ds_free(&email);

	email = ds_new("/email/site/");
	pers = ds_new("/personality/site/");
	entry_with(email, "i", implicit);
	entry_with(pers, "s", smtps);
	lint_run(email, pers, &r);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_ptr_nonnull(f = finding(&r, "tls-required"));
	ck_assert_int_eq(f->severity, LINT_ERROR);
	ck_assert_str_eq(f->entry, "i");
	ck_assert_ptr_nonnull(f = finding(&r, "submission-port-587"));
	ck_assert_int_eq(f->severity, LINT_NOTE);	/* 465 + implicit */
	ck_assert_str_eq(lint_severity_name(LINT_ERROR), "error");
	lint_report_clear(&r);
	ds_free(&email);
	ds_free(&pers);
}
END_TEST

/* acapctl: layers, names, words. */

START_TEST(test_model_layers)
{
	char *argv1[] = { "org", "acme", "corp", NULL };
	char *argv2[] = { "device:d1", NULL };
	char *argv3[] = { "/email/user/bob", NULL };
	char *argv4[] = { "user", NULL };
	struct model_layer l;
	const char *err;
	char *s, *cls;
	int used;

	ck_assert_int_eq(model_layer_parse(3, argv1, &l, &used, &err), 0);
	ck_assert_int_eq(used, 2);
	ck_assert_int_eq(l.kind, MODEL_ORG);
	s = model_dataset(&l, "personality");
	ck_assert_str_eq(s, "/personality/group/acme/");
	free(s);
	s = model_layer_string(&l);
	ck_assert_str_eq(s, "org:acme");
	free(s);
	model_layer_clear(&l);
	ck_assert_int_eq(model_layer_parse(1, argv2, &l, &used, &err), 0);
	ck_assert_int_eq(used, 1);
	s = model_dataset(&l, "email");
	ck_assert_str_eq(s, "/email/host/d1/");
	model_layer_clear(&l);
	ck_assert_int_eq(model_layer_of_dataset(s, &l, &cls), 0);
	free(s);
	ck_assert_int_eq(l.kind, MODEL_DEVICE);
	ck_assert_str_eq(l.name, "d1");
	ck_assert_str_eq(cls, "email");
	free(cls);
	model_layer_clear(&l);
	ck_assert_int_eq(model_layer_parse(1, argv3, &l, &used, &err), 0);
	ck_assert_int_eq(l.kind, MODEL_PATH);
	ck_assert_str_eq(l.name, "/email/user/bob/");	/* "/" added */
	model_layer_clear(&l);
	ck_assert_int_eq(model_layer_parse(1, argv4, &l, &used, &err), -1);
	ck_assert_int_eq(model_layer_from_string("user:a/b", &l, &err), -1);
	ck_assert_int_eq(model_layer_from_string("planet:x", &l, &err), -1);
	ck_assert_int_eq(model_layer_of_dataset("/email/site/", &l, NULL), 0);
	ck_assert_int_eq(l.kind, MODEL_SITE);
	ck_assert_int_eq(model_layer_of_dataset("/email/user/", &l, NULL),
	    -1);
	ck_assert_int_eq(model_layer_of_dataset("/email/user/a/b/", &l, NULL),
	    -1);
	ck_assert_str_eq(model_class_of_attr("personality.Server.SMTP"),
	    "personality");
	ck_assert_str_eq(model_class_of_attr("vendor.acapd.tls"), "email");
	ck_assert_ptr_null(model_class_of_attr("emailx.y"));
}
END_TEST

START_TEST(test_model_names)
{
	char id[32], id2[32], n255[256], n256[257];
	const char *err;

	ck_assert(model_name_ok("dinosaur operators", &err));
	ck_assert(!model_name_ok("", &err));
	ck_assert(!model_name_ok(".x", &err));
	ck_assert(!model_name_ok("a/b", &err));
	ck_assert(!model_name_ok("a*", &err));
	ck_assert(!model_name_ok("\xc3", &err));	/* bad UTF-8 */
	memset(n255, 'a', 255);
	n255[255] = '\0';
	memset(n256, 'a', 256);
	n256[256] = '\0';
	ck_assert(model_name_ok(n255, &err));
	ck_assert(!model_name_ok(n256, &err));
	ck_assert(model_device_id_ok("phone-1.a_b", &err));
	ck_assert(!model_device_id_ok("-x", &err));
	ck_assert(!model_device_id_ok("a b", &err));
	ck_assert(!model_device_id_ok("..", &err));
	ck_assert_int_eq(model_device_id_new(id, sizeof(id)), 0);
	ck_assert_int_eq(model_device_id_new(id2, sizeof(id2)), 0);
	ck_assert_uint_eq(strlen(id), 21);
	ck_assert(model_device_id_ok(id, &err));
	ck_assert_str_ne(id, id2);
	ck_assert(model_entry_ok("corp", &err));
	ck_assert(!model_entry_ok(".corp", &err));
	ck_assert(!model_entry_ok("", &err));
	ck_assert(model_attr_ok("email.server.IMAP", &err));
	ck_assert(!model_attr_ok("entry", &err));
	ck_assert(!model_attr_ok("email.*", &err));
	ck_assert(!model_attr_ok("a..b", &err));
}
END_TEST

START_TEST(test_model_domains)
{
	char out[MODEL_ADDRESS_MAX], d253[254], l64[80];
	const char *err;
	size_t i;

	ck_assert(model_domain_ok("Acme.EXAMPLE", out, &err));
	ck_assert_str_eq(out, "acme.example");
	ck_assert(model_domain_ok("xn--bcher-kva.example", out, &err));
	ck_assert(model_domain_ok("a-b.c0", out, &err));
	ck_assert(!model_domain_ok("localhost", out, &err));
	ck_assert(strstr(err, "two labels") != NULL);
	ck_assert(!model_domain_ok("b\xc3\xbc" "cher.example", out,
	    &err));
	ck_assert(strstr(err, "ASCII") != NULL);
	ck_assert(!model_domain_ok("a..b", out, &err));
	ck_assert(!model_domain_ok(".a.b", out, &err));
	ck_assert(!model_domain_ok("a.b.", out, &err));
	ck_assert(!model_domain_ok("-a.b", out, &err));
	ck_assert(!model_domain_ok("a-.b", out, &err));
	ck_assert(!model_domain_ok("a_b.c", out, &err));
	ck_assert(!model_domain_ok("", out, &err));
	/* 63-octet labels, 253 octets in all */
	for (i = 0; i < 253; i++)
		d253[i] = i % 64 == 63 ? '.' : 'a';
	d253[253] = '\0';
	ck_assert(model_domain_ok(d253, out, &err));
	memset(l64, 'a', 64);
	strcpy(l64 + 64, ".example");
	ck_assert(!model_domain_ok(l64, out, &err));
	ck_assert(strstr(err, "63") != NULL);

	ck_assert(model_address_ok("Ann.Smith+x@Acme.Example", out, &err));
	ck_assert_str_eq(out, "ann.smith+x@acme.example");
	ck_assert(model_address_ok("a@b@acme.example", out, &err) == false);
	ck_assert(!model_address_ok("noat", out, &err));
	ck_assert(!model_address_ok("@acme.example", out, &err));
	ck_assert(!model_address_ok(".a@acme.example", out, &err));
	ck_assert(!model_address_ok("a..b@acme.example", out, &err));
	ck_assert(!model_address_ok("a b@acme.example", out, &err));
	ck_assert(!model_address_ok("a/b@acme.example", out, &err));
	ck_assert(!model_address_ok("a@localhost", out, &err));
	memset(l64, 'a', 65);
	strcpy(l64 + 65, "@acme.example");
	ck_assert(!model_address_ok(l64, out, &err));
	ck_assert(model_address_ok(l64 + 1, out, &err));
}
END_TEST

START_TEST(test_words)
{
	struct acap_buf b = ACAP_BUF_INIT;
	const char *err;
	char **v;
	int n;
	bool open;

	ck_assert_int_eq(words_split("  set site corp  x.y 'a b' \"c\\\"d\" "
	    "e\\ f # comment", false, &n, &v, NULL, &err), 0);
	ck_assert_int_eq(n, 7);
	ck_assert_str_eq(v[4], "a b");
	ck_assert_str_eq(v[5], "c\"d");
	ck_assert_str_eq(v[6], "e f");
	ck_assert_ptr_null(v[7]);
	words_free(&v);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(words_split("# only", false, &n, &v, NULL, &err), 0);
	ck_assert_int_eq(n, 0);
	words_free(&v);
	ck_assert_int_eq(words_split("a 'b", false, &n, &v, NULL, &err), -1);
	ck_assert_int_eq(words_split("a \\", false, &n, &v, NULL, &err), -1);
	ck_assert_int_eq(words_split("org ad", true, &n, &v, &open, &err), 0);
	ck_assert(open);
	words_free(&v);
	ck_assert_int_eq(words_split("org ", true, &n, &v, &open, &err), 0);
	ck_assert(!open);
	ck_assert_int_eq(n, 1);
	words_free(&v);
	ck_assert_int_eq(words_split("set 'a b", true, &n, &v, &open, &err),
	    0);
	ck_assert(open);
	ck_assert_str_eq(v[1], "a b");
	words_free(&v);
	words_quote(&b, "it's a #test");
	ck_assert_int_eq(words_split(b.data, false, &n, &v, NULL, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(v[0], "it's a #test");
	words_free(&v);
	acap_buf_deinit(&b);
}
END_TEST

static Suite *
client_suite(void)
{
	Suite *s = suite_create("acap-client");
	TCase *tc;

	tc = tcase_create("client");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_capabilities);
	tcase_add_test(tc, test_capabilities_defaults);
	tcase_add_test(tc, test_completion);
	tcase_add_test(tc, test_add_string);
	tcase_add_test(tc, test_args_dup_format);
	tcase_add_test(tc, test_runner_literals);
	tcase_add_test(tc, test_runner_pipelined);
	tcase_add_test(tc, test_runner_idle_and_bye);
	tcase_add_test(tc, test_runner_bad_responses);
	tcase_add_test(tc, test_runner_sasl_refused);
	tcase_add_test(tc, test_runner_cram);
	suite_add_tcase(s, tc);

	tc = tcase_create("acapctl");
	tcase_add_test(tc, test_validate_ports);
	tcase_add_test(tc, test_validate_policy);
	tcase_add_test(tc, test_validate_url);
	tcase_add_test(tc, test_json_roundtrip);
	tcase_add_test(tc, test_json_build);
	tcase_add_test(tc, test_json_errors);
	tcase_add_test(tc, test_ds_entry_parse);
	tcase_add_test(tc, test_ds_store);
	tcase_add_test(tc, test_ds_value_json);
	tcase_add_test(tc, test_lint);
	tcase_add_test(tc, test_model_layers);
	tcase_add_test(tc, test_model_names);
	tcase_add_test(tc, test_model_domains);
	tcase_add_test(tc, test_words);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(client_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
