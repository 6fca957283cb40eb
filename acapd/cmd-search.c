/*
 * cmd-search.c -- the SEARCH command.  Placeholder until the dataset engine's
 * handler lands: answers NO.
 */
#include "autoconf.h"

#include "commands.h"

enum cmd_status
cmd_search(struct cmd_ctx *cmd)
{
	return cmd_no(cmd, NULL, "SEARCH is not available yet");
}
