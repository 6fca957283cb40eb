/*
 * cmd-getquota.c -- the GETQUOTA command.  Placeholder until the dataset engine's
 * handler lands: answers NO.
 */
#include "autoconf.h"

#include "commands.h"

enum cmd_status
cmd_getquota(struct cmd_ctx *cmd)
{
	return cmd_no(cmd, NULL, "GETQUOTA is not available yet");
}
