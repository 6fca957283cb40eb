/*
 * cmd-logout.c -- LOGOUT (RFC 2244 §6.2.4): "* BYE" first, then the
 * tagged OK, then the connection closes.
 */
#include "autoconf.h"

#include "acap-buf.h"
#include "commands.h"

enum cmd_status
cmd_logout(struct cmd_ctx *cmd)
{
	struct acap_buf *b;

	if (cmd->nargs != 0)
		return cmd_bad(cmd, "LOGOUT takes no arguments");
	b = cmd_untagged_begin(cmd);
	acap_buf_addstr(b, "BYE ");
	acap_buf_add_text(b, "Logging out");
	cmd_line_end(cmd);
	cmd_ok(cmd, NULL, "LOGOUT completed");
	return CMD_CLOSE;
}
