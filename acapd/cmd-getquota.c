/*
 * cmd-getquota.c -- GETQUOTA (RFC 2244 §6.8.1, §6.8.3): the per-user byte
 * quota that covers a dataset, as "* QUOTA dataset limit usage"; NO when
 * no limit applies.  Only the owner and admins may see a user's quota.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "commands.h"
#include "conn.h"
#include "dspath.h"
#include "rights.h"
#include "store.h"

enum cmd_status
cmd_getquota(struct cmd_ctx *cmd)
{
	struct store_errinfo info = { NULL, NULL, NULL };
	struct acap_buf code = ACAP_BUF_INIT, *b;
	const struct acap_arg *ds;
	const char *owner = NULL, *me = conn_user(cmd->conn);
	uint64_t limit, usage;
	enum store_err r;
	char *path;

	if (cmd->nargs != 1)
		return cmd_bad(cmd, "GETQUOTA takes one dataset name");
	ds = &cmd->args[0];
	if (!acap_arg_is_string_utf8(ds) || ds->str[0] != '/' ||
	    (path = dspath_canonical(ds->str, ds->len, me)) == NULL)
		return cmd_bad(cmd, "GETQUOTA needs a dataset name");
	r = store_quota_get(conn_store(cmd->conn), path, &limit, &usage,
	    &owner);
	if (r == STORE_OK && !rights_quota(cmd->conn, owner))
		r = STORE_EPERM;
	if (r != STORE_OK) {
		if (r == STORE_EIO || r == STORE_ETRYLATER)
			conn_log(cmd->conn, LOG_ERR, "GETQUOTA: %s",
			    store_last_error(conn_store(cmd->conn)));
		info.dataset = path;
		store_err_format_code(r, &info, &code);
		cmd_no(cmd, code.len > 0 ? code.data : NULL,
		    "GETQUOTA failed: %s", store_err_text(r));
		acap_buf_deinit(&code);
		free(path);
		return CMD_DONE;
	}
	b = cmd_untagged_begin(cmd);
	acap_buf_addstr(b, "QUOTA ");
	acap_buf_add_string(b, ds->str, ds->len);
	acap_buf_printf(b, " %llu %llu", (unsigned long long)limit,
	    (unsigned long long)usage);
	cmd_line_end(cmd);
	free(path);
	return cmd_ok(cmd, NULL, "GETQUOTA completed");
}
