/*
 * commands.c -- the command table, state gates (RFC 2244 §2.3) and the
 * reply helpers every handler uses.  Owns the shared output-line buffer.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "commands.h"
#include "conn.h"
#include "metrics.h"
#include "server.h"
#include "store.h"

struct command {
	const char *name;
	cmd_func *func;
	unsigned int flags;
};

/* Sorted by name for bsearch(); see commands_find(). */
static const struct command commands[] = {
	{ "AUTHENTICATE", cmd_authenticate, CMD_F_NONAUTH },
	{ "DELETEACL", cmd_deleteacl, CMD_F_AUTH },
	{ "DELETEDSINCE", cmd_deletedsince, CMD_F_AUTH },
	{ "FREECONTEXT", cmd_freecontext, CMD_F_AUTH },
	{ "GETQUOTA", cmd_getquota, CMD_F_AUTH },
	{ "LANG", cmd_lang, CMD_F_ANY },
	{ "LISTRIGHTS", cmd_listrights, CMD_F_AUTH },
	{ "LOGOUT", cmd_logout, CMD_F_ANY },
	{ "MYRIGHTS", cmd_myrights, CMD_F_AUTH },
	{ "NOOP", cmd_noop, CMD_F_ANY },
	{ "SEARCH", cmd_search, CMD_F_AUTH },
	{ "SETACL", cmd_setacl, CMD_F_AUTH },
	{ "STARTTLS", cmd_starttls, CMD_F_NONAUTH },
	{ "STORE", cmd_store, CMD_F_AUTH },
	{ "UPDATECONTEXT", cmd_updatecontext, CMD_F_AUTH },
};

static struct acap_buf line_buf;
static bool line_open;

static int
command_cmp(const void *key, const void *elem)
{
	const struct command *c = elem;

	return strcasecmp(key, c->name);
}

static const struct command *
commands_find(const char *name)
{
	return bsearch(name, commands, sizeof(commands) / sizeof(commands[0]),
	    sizeof(commands[0]), command_cmp);
}

void
commands_dispatch(struct conn *c, const struct acap_cmd *ac)
{
	const struct command *command;
	struct cmd_ctx cmd;
	unsigned int need;
	enum cmd_status st;

	memset(&cmd, 0, sizeof(cmd));
	cmd.conn = c;
	cmd.tag = ac->tag;
	cmd.start_us = server_now_us();
	if (ac->nargs == 0 || ac->args[0].type != ACAP_ARG_ATOM) {
		cmd.name = "";
		cmd_bad(&cmd, "Missing command name");
		return;
	}
	cmd.args = ac->args + 1;
	cmd.nargs = ac->nargs - 1;
	if ((command = commands_find(ac->args[0].str)) == NULL) {
		cmd.name = "";
		cmd_bad(&cmd, "Unknown command");
		return;
	}
	cmd.name = command->name;
	need = conn_state(c) == CONN_AUTH ? CMD_F_AUTH : CMD_F_NONAUTH;
	if ((command->flags & need) == 0) {
		/* §2.3: a command in the wrong state is BAD. */
		cmd_bad(&cmd, "%s is not allowed %s", command->name,
		    conn_state(c) == CONN_AUTH ? "after authentication" :
		    "before authentication");
		return;
	}
	/* only an admin's reads build the audit trail (store.h) */
	store_set_audit_reader(conn_store(c), conn_is_admin(c));
	st = command->func(&cmd);
	store_set_audit_reader(conn_store(c), false);
	if (line_open)	/* a handler forgot to end its line: a bug */
		cmd_line_end(&cmd);
	if (st == CMD_CLOSE)
		conn_close(c, "logout");
}

void
commands_sasl_line(struct conn *c, const char *tag,
    const struct acap_cmd *line)
{
	struct cmd_ctx cmd;
	char *tagcopy;

	/* The tag lives in the conn, which may drop it during the step. */
	if ((tagcopy = strdup(tag)) == NULL) {
		conn_close(c, "out of memory");
		return;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.conn = c;
	cmd.tag = tagcopy;
	cmd.name = "AUTHENTICATE";
	cmd.start_us = server_now_us();	/* latency of this step */
	cmd.args = line->args;
	cmd.nargs = line->nargs;
	cmd_authenticate_step(&cmd);
	if (line_open)
		cmd_line_end(&cmd);
	free(tagcopy);
}

void
commands_sasl_abort(struct conn *c)
{
	cmd_authenticate_abort(c);
}

struct acap_buf *
cmd_line_begin(struct cmd_ctx *cmd)
{
	acap_buf_reset(&line_buf);
	line_open = true;
	acap_buf_addstr(&line_buf, cmd->tag != NULL ? cmd->tag : "*");
	acap_buf_addch(&line_buf, ' ');
	return &line_buf;
}

struct acap_buf *
cmd_untagged_begin(struct cmd_ctx *cmd)
{
	(void)cmd;
	acap_buf_reset(&line_buf);
	line_open = true;
	acap_buf_addstr(&line_buf, "* ");
	return &line_buf;
}

struct acap_buf *
cmd_continuation_begin(struct cmd_ctx *cmd)
{
	(void)cmd;
	acap_buf_reset(&line_buf);
	line_open = true;
	acap_buf_addstr(&line_buf, "+ ");
	return &line_buf;
}

void
cmd_line_end(struct cmd_ctx *cmd)
{
	acap_buf_addstr(&line_buf, "\r\n");
	if (cmd->out != NULL)
		acap_buf_add(cmd->out, line_buf.data, line_buf.len);
	else
		conn_write(cmd->conn, line_buf.data, line_buf.len);
	line_open = false;
	/* Do not keep a large reply's buffer around. */
	acap_buf_reset(&line_buf);
}

static void cmd_complete(struct cmd_ctx *cmd, enum metrics_result result,
    const char *code, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
cmd_complete(struct cmd_ctx *cmd, enum metrics_result result,
    const char *code, const char *fmt, va_list ap)
{
	static const char *const status[] = { "OK", "NO", "BAD" };
	struct acap_buf *b = cmd_line_begin(cmd);
	char text[1024];

	metrics_command(cmd->name, result, cmd->start_us);

	vsnprintf(text, sizeof(text), fmt, ap);
	acap_buf_addstr(b, status[result]);
	acap_buf_addch(b, ' ');
	if (code != NULL) {
		acap_buf_addch(b, '(');
		acap_buf_addstr(b, code);
		acap_buf_addstr(b, ") ");
	}
	acap_buf_add_text(b, text);
	cmd_line_end(cmd);
}

enum cmd_status
cmd_ok(struct cmd_ctx *cmd, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_complete(cmd, M_RES_OK, code, fmt, ap);
	va_end(ap);
	return CMD_DONE;
}

enum cmd_status
cmd_no(struct cmd_ctx *cmd, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_complete(cmd, M_RES_NO, code, fmt, ap);
	va_end(ap);
	return CMD_DONE;
}

bool
cmd_arg_is_time(const struct acap_arg *a)
{
	return a != NULL &&
	    (a->type == ACAP_ARG_STRING || a->type == ACAP_ARG_ATOM) &&
	    store_time_valid(a->str, a->len);
}

enum cmd_status
cmd_bad(struct cmd_ctx *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_complete(cmd, M_RES_BAD, NULL, fmt, ap);
	va_end(ap);
	conn_count_bad(cmd->conn);
	return CMD_DONE;
}
