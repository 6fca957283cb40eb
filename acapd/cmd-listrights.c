/*
 * cmd-listrights.c -- LISTRIGHTS (RFC 2244 §6.7.5, §6.7.6).  The ABNF
 * lacks the identifier the prose and examples send; acapd takes
 * "LISTRIGHTS acl-object identifier" (ACAP-NOTES §3).  The response is
 * tagged, as in the ABNF and the example.  First string: the rights the
 * identifier always has (an admin: all; a user on their own
 * /<class>/user/<name>/ tree: r and a); then each right the caller may
 * grant or revoke, one per string, never repeated.
 */
#include "autoconf.h"

#include <string.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "acl.h"
#include "aclobj.h"
#include "commands.h"
#include "rights.h"

enum cmd_status
cmd_listrights(struct cmd_ctx *cmd)
{
	static const char letters[] = "xrwia";
	const struct acap_arg *ident;
	struct acap_buf *b;
	struct aclobj o;
	unsigned int always = 0;
	char buf[24], one[2] = { 0, 0 };
	int i;

	if (cmd->nargs != 2)
		return cmd_bad(cmd, "Expected LISTRIGHTS (object) "
		    "\"identifier\"");
	ident = &cmd->args[1];
	if (!aclobj_ident_ok(ident))
		return cmd_bad(cmd, "Invalid identifier");
	if (aclobj_open(cmd, &cmd->args[0], &o) == -1)
		return CMD_DONE;
	if (!(o.rights & ACL_R_ADMIN)) {
		aclobj_no_permission(cmd, &o,
		    "Not permitted to list rights on this object");
		aclobj_close(&o);
		return CMD_DONE;
	}
	always = rights_always(ident->str, ident->len, o.dataset);
	b = cmd_line_begin(cmd);
	acap_buf_addstr(b, "LISTRIGHTS ");
	acap_buf_add_cstring(b, acl_rights_format(always, buf, sizeof(buf)));
	for (i = 0; i < 5; i++) {
		if (always & (1u << i))
			continue;
		one[0] = letters[i];
		acap_buf_addch(b, ' ');
		acap_buf_add_cstring(b, one);
	}
	cmd_line_end(cmd);
	aclobj_close(&o);
	return cmd_ok(cmd, NULL, "LISTRIGHTS completed");
}
