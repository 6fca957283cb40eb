/*
 * cmd-updatecontext.c -- UPDATECONTEXT (RFC 2244 §6.5.2; missing from the
 * ABNF, read as "UPDATECONTEXT" 1*(SP context)).  acapd sends
 * notifications as soon as a change commits, so by the time this command
 * runs every pending ADDTO/REMOVEFROM/CHANGE/MODTIME is already queued
 * ahead of its OK.
 */
#include "autoconf.h"

#include "acap-arg.h"
#include "commands.h"
#include "context.h"

enum cmd_status
cmd_updatecontext(struct cmd_ctx *cmd)
{
	size_t i;

	if (cmd->nargs == 0)
		return cmd_bad(cmd, "Expected UPDATECONTEXT \"context\"...");
	for (i = 0; i < cmd->nargs; i++)
		if (!acap_arg_is_string_utf8(&cmd->args[i]) &&
		    cmd->args[i].type != ACAP_ARG_ATOM)
			return cmd_bad(cmd, "Context names must be strings");
	/* §6.5.2: NO if any name is not a NOTIFY context of this session. */
	for (i = 0; i < cmd->nargs; i++)
		switch (context_update(cmd->conn, cmd->args[i].str)) {
		case CONTEXT_OK:
			break;
		case CONTEXT_EBUDGET:
			return cmd_no(cmd, "WAYTOOMANY/WORK", "Context %s is "
			    "no longer updated: over the work budget",
			    cmd->args[i].str);
		default:
			return cmd_no(cmd, NULL, "No such notify context");
		}
	return cmd_ok(cmd, NULL, "UPDATECONTEXT completed");
}
