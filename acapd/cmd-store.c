/*
 * cmd-store.c -- the STORE command.  Placeholder until the dataset engine's
 * handler lands: answers NO.
 */
#include "autoconf.h"

#include "commands.h"

enum cmd_status
cmd_store(struct cmd_ctx *cmd)
{
	return cmd_no(cmd, NULL, "STORE is not available yet");
}
