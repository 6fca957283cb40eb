/*
 * cmd-authenticate.c -- AUTHENTICATE (RFC 2244 §6.3.1) on top of sasl.c.
 *
 * Runs the challenge/response loop: challenges go out as "+ string",
 * answers come back one string per line (quoted or literal, either kind;
 * some clients send {n} and wait for "+"), "*" cancels with BAD.  Counts
 * and delays failures; after too many the connection gets BYE.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "access.h"
#include "commands.h"
#include "config.h"
#include "conn.h"
#include "sasl.h"
#include "session.h"

static struct sasl_session *
auth_session(struct conn *c)
{
	struct sasl_session **sp = (struct sasl_session **)conn_sasl_slot(c);

	if (*sp == NULL)
		session_sasl_new(c);
	return *sp;
}

static bool
auth_is_admin(const char *user)
{
	const char *p = cfg->admins;
	size_t ulen = strlen(user);

	while (*p != '\0') {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == ulen && n > 0 && memcmp(p, user, n) == 0)
			return true;
		p += n;
	}
	return false;
}

static enum cmd_status
auth_result(struct cmd_ctx *cmd, struct sasl_session *s, int r,
    const void *out, size_t outlen)
{
	struct conn *c = cmd->conn;
	struct acap_buf *b;
	const char *user;

	if (r == 0) {
		/* §6.3.1: a challenge is a continuation with a string. */
		b = cmd_continuation_begin(cmd);
		acap_buf_add_string(b, out, outlen);
		cmd_line_end(cmd);
		if (!conn_in_sasl(c))
			conn_sasl_begin(c, cmd->tag);
		return CMD_SUSPEND;
	}
	if (conn_in_sasl(c))
		conn_sasl_end(c);
	if (r == 1) {
		struct acap_buf code = ACAP_BUF_INIT;
		char *mech;

		user = sasl_session_user(s);
		mech = strdup(sasl_session_mech(s));
		conn_set_user(c, user, auth_is_admin(user));
		conn_set_authid(c, sasl_session_authid(s));
		access_load_groups(c);
		if (out != NULL) {
			/* Final server data goes in (SASL ...) (§6.3.1). */
			acap_buf_addstr(&code, "SASL ");
			acap_buf_add_string(&code, out, outlen);
		}
		cmd_ok(cmd, out != NULL ? code.data : NULL,
		    "%s authentication successful",
		    mech != NULL ? mech : "SASL");
		acap_buf_deinit(&code);
		free(mech);
		/* No security layer is negotiated: the session is done. */
		sasl_session_free((struct sasl_session **)conn_sasl_slot(c));
		return CMD_DONE;
	}
	conn_log(c, LOG_NOTICE, "authentication failed: %s",
	    sasl_session_reason(s));
	if (conn_auth_failed(c) >= cfg->max_auth_failures) {
		cmd_no(cmd, sasl_session_code(s), "%s", sasl_session_reason(s));
		b = cmd_untagged_begin(cmd);
		acap_buf_addstr(b, "BYE ");
		acap_buf_add_text(b, "Too many failed authentication attempts");
		cmd_line_end(cmd);
		conn_close(c, "too many failed authentications");
		return CMD_DONE;
	}
	/* Slow down guessing: the next command waits. */
	conn_pause(c, cfg->auth_fail_delay_ms);
	return cmd_no(cmd, sasl_session_code(s), "%s",
	    sasl_session_reason(s));
}

enum cmd_status
cmd_authenticate(struct cmd_ctx *cmd)
{
	struct conn *c = cmd->conn;
	struct sasl_session *s;
	const void *ir = NULL, *out = NULL;
	size_t irlen = 0, outlen = 0;
	int r;

	/* auth-type = <"> name <">; an atom is not accepted (§8). */
	if (cmd->nargs < 1 || cmd->nargs > 2 ||
	    !acap_arg_is_string_utf8(&cmd->args[0]))
		return cmd_bad(cmd, "Expected AUTHENTICATE \"mechanism\" "
		    "[initial-response]");
	if (cmd->nargs == 2) {
		if (!acap_arg_is_string(&cmd->args[1]))
			return cmd_bad(cmd,
			    "The initial response must be a string");
		ir = cmd->args[1].str;
		irlen = cmd->args[1].len;
	}
	if (cfg->require_tls && !conn_tls_active(c) &&
	    !(cfg->require_tls_exempt_loopback && conn_is_loopback(c)))
		return cmd_no(cmd, "ENCRYPT-NEEDED",
		    "Use STARTTLS before authenticating");
	if (conn_auth_throttled(c)) {
		/* Guessing over many connections from one address. */
		conn_pause(c, cfg->auth_fail_delay_ms);
		return cmd_no(cmd, "TRYLATER", "Too many failed logins from "
		    "your address; try again later");
	}
	if ((s = auth_session(c)) == NULL)
		return cmd_no(cmd, "TRYLATER", "Authentication unavailable");
	r = sasl_session_start(s, cmd->args[0].str, ir, irlen, &out, &outlen);
	return auth_result(cmd, s, r, out, outlen);
}

enum cmd_status
cmd_authenticate_step(struct cmd_ctx *cmd)
{
	struct sasl_session *s = auth_session(cmd->conn);
	const void *out = NULL;
	size_t outlen = 0;
	int r;

	if (cmd->nargs == 1 && acap_arg_is_atom(&cmd->args[0], "*")) {
		if (s != NULL)
			sasl_session_cancel(s);
		conn_sasl_end(cmd->conn);
		return cmd_bad(cmd, "AUTHENTICATE cancelled");
	}
	if (s == NULL || cmd->nargs != 1 ||
	    !acap_arg_is_string(&cmd->args[0])) {
		if (s != NULL)
			sasl_session_cancel(s);
		conn_sasl_end(cmd->conn);
		return cmd_bad(cmd, "Expected a SASL response string or \"*\"");
	}
	r = sasl_session_step(s, cmd->args[0].str, cmd->args[0].len, &out,
	    &outlen);
	return auth_result(cmd, s, r, out, outlen);
}

void
cmd_authenticate_abort(struct conn *c)
{
	struct sasl_session *s = *(struct sasl_session **)conn_sasl_slot(c);

	if (s != NULL)
		sasl_session_cancel(s);
	conn_sasl_end(c);
}
