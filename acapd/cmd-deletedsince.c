/*
 * cmd-deletedsince.c -- the DELETEDSINCE command.  Placeholder until the dataset engine's
 * handler lands: answers NO.
 */
#include "autoconf.h"

#include "commands.h"

enum cmd_status
cmd_deletedsince(struct cmd_ctx *cmd)
{
	return cmd_no(cmd, NULL, "DELETEDSINCE is not available yet");
}
