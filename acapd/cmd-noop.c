/*
 * cmd-noop.c -- NOOP (RFC 2244 §6.2.1): always succeeds; any argument is
 * BAD.  Pending notifications are flushed by the normal output path.
 */
#include "autoconf.h"

#include "commands.h"

enum cmd_status
cmd_noop(struct cmd_ctx *cmd)
{
	if (cmd->nargs != 0)
		return cmd_bad(cmd, "NOOP takes no arguments");
	return cmd_ok(cmd, NULL, "NOOP completed");
}
