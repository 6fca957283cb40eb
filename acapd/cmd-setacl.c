/*
 * cmd-setacl.c -- SETACL (RFC 2244 §6.7.1): give an identifier exactly
 * the listed rights in an object's ACL, creating the ACL if there is
 * none.  Needs the "a" right on the object.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "acap-arg.h"
#include "acl.h"
#include "aclobj.h"
#include "commands.h"

enum cmd_status
cmd_setacl(struct cmd_ctx *cmd)
{
	const struct acap_arg *ident, *rights;
	struct aclobj o;
	unsigned int r;
	char *item, **items;
	size_t *lens, n, itemlen;
	enum store_err err;

	if (cmd->nargs != 3)
		return cmd_bad(cmd, "Expected SETACL (object) \"identifier\" "
		    "\"rights\"");
	ident = &cmd->args[1];
	rights = &cmd->args[2];
	if (!aclobj_ident_ok(ident))
		return cmd_bad(cmd, "Invalid identifier");
	/* acl-rights = quoted (§8); an empty string is allowed */
	if (!acap_arg_is_string_utf8(rights) ||
	    acl_rights_parse(rights->str, rights->len, &r) == -1)
		return cmd_bad(cmd, "Invalid rights: letters x r w i a, "
		    "digits");
	if (aclobj_open(cmd, &cmd->args[0], &o) == -1)
		return CMD_DONE;
	if (!(o.rights & ACL_R_ADMIN)) {
		aclobj_no_permission(cmd, &o,
		    "Not permitted to modify this access control list");
		aclobj_close(&o);
		return CMD_DONE;
	}
	itemlen = ident->len + 1 + rights->len;
	if ((item = malloc(itemlen + 1)) == NULL ||
	    aclobj_edit(&o, ident->str, ident->len, item, itemlen, &items,
	    &lens, &n) == -1) {
		free(item);
		aclobj_close(&o);
		return cmd_no(cmd, "TRYLATER", "Out of memory");
	}
	memcpy(item, ident->str, ident->len);
	item[ident->len] = '\t';
	memcpy(item + ident->len + 1, rights->str, rights->len);
	item[itemlen] = '\0';
	err = aclobj_write(cmd, &o, items, lens, n, false);
	free(items);
	free(lens);
	free(item);
	if (err != STORE_OK) {
		aclobj_reply_err(cmd, &o, err);
		aclobj_close(&o);
		return CMD_DONE;
	}
	aclobj_close(&o);
	return cmd_ok(cmd, NULL, "SETACL completed");
}
