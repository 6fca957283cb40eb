/*
 * cmd-freecontext.c -- FREECONTEXT (RFC 2244 §6.5.1).  The context name is
 * a string; an atom is accepted too, as acap.el sends one (doc/interop.md).
 */
#include "autoconf.h"

#include "acap-arg.h"
#include "commands.h"
#include "context.h"

enum cmd_status
cmd_freecontext(struct cmd_ctx *cmd)
{
	const struct acap_arg *a;

	if (cmd->nargs != 1)
		return cmd_bad(cmd, "Expected FREECONTEXT \"context\"");
	a = &cmd->args[0];
	if (!acap_arg_is_string_utf8(a) && a->type != ACAP_ARG_ATOM)
		return cmd_bad(cmd, "The context name must be a string");
	if (context_free_named(cmd->conn, a->str) != CONTEXT_OK)
		return cmd_no(cmd, NULL, "No such context");
	return cmd_ok(cmd, NULL, "FREECONTEXT completed");
}
