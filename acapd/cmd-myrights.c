/*
 * cmd-myrights.c -- MYRIGHTS (RFC 2244 §6.7.3, §6.7.4): the caller's
 * rights on an object, as a tagged MYRIGHTS response.
 */
#include "autoconf.h"

#include "acap-buf.h"
#include "acl.h"
#include "aclobj.h"
#include "commands.h"

enum cmd_status
cmd_myrights(struct cmd_ctx *cmd)
{
	struct aclobj o;
	struct acap_buf *b;
	char rights[24];

	if (cmd->nargs != 1)
		return cmd_bad(cmd, "Expected MYRIGHTS (object)");
	if (aclobj_open(cmd, &cmd->args[0], &o) == -1)
		return CMD_DONE;
	b = cmd_line_begin(cmd);
	acap_buf_addstr(b, "MYRIGHTS ");
	acap_buf_add_cstring(b, acl_rights_format(o.rights, rights,
	    sizeof(rights)));
	cmd_line_end(cmd);
	aclobj_close(&o);
	return cmd_ok(cmd, NULL, "MYRIGHTS completed");
}
