/*
 * cmd-deleteacl.c -- DELETEACL (RFC 2244 §6.7.2).  With an identifier:
 * drop that identifier's item.  Without: drop the whole ACL so the next
 * default applies -- BAD on a dataset's default ACL, which must always
 * exist (§3.5).  The object is parsed as acl-object, so the RFC's own
 * example with a dataset and an identifier works (ACAP-NOTES §10).
 */
#include "autoconf.h"

#include <stdlib.h>

#include "acap-arg.h"
#include "acl.h"
#include "aclobj.h"
#include "commands.h"

enum cmd_status
cmd_deleteacl(struct cmd_ctx *cmd)
{
	const struct acap_arg *ident = NULL;
	struct aclobj o;
	char **items = NULL;
	size_t *lens = NULL, n = 0;
	enum store_err err;

	if (cmd->nargs < 1 || cmd->nargs > 2)
		return cmd_bad(cmd, "Expected DELETEACL (object) "
		    "[\"identifier\"]");
	if (cmd->nargs == 2) {
		ident = &cmd->args[1];
		if (!aclobj_ident_ok(ident))
			return cmd_bad(cmd, "Invalid identifier");
	}
	if (acap_arg_is_list(&cmd->args[0]) && cmd->args[0].count == 1 &&
	    ident == NULL)
		return cmd_bad(cmd, "The default ACL of a dataset cannot be "
		    "deleted");
	if (aclobj_open(cmd, &cmd->args[0], &o) == -1)
		return CMD_DONE;
	if (!(o.rights & ACL_R_ADMIN)) {
		aclobj_no_permission(cmd, &o,
		    "Not permitted to modify this access control list");
		aclobj_close(&o);
		return CMD_DONE;
	}
	if (ident != NULL && aclobj_edit(&o, ident->str, ident->len, NULL, 0,
	    &items, &lens, &n) == -1) {
		aclobj_close(&o);
		return cmd_no(cmd, "TRYLATER", "Out of memory");
	}
	if (ident == NULL && !o.exists)
		err = STORE_OK;		/* nothing to remove */
	else
		err = aclobj_write(cmd, &o, items, lens, n, ident == NULL);
	free(items);
	free(lens);
	if (err != STORE_OK) {
		aclobj_reply_err(cmd, &o, err);
		aclobj_close(&o);
		return CMD_DONE;
	}
	aclobj_close(&o);
	return cmd_ok(cmd, NULL, "DELETEACL completed");
}
