/*
 * cmd-deletedsince.c -- DELETEDSINCE (RFC 2244 §6.6.2, §6.6.3): the names
 * of entries deleted from a dataset (and from the datasets it inherits
 * from) after a time, as tagged DELETED responses; NO (TOOOLD) when the
 * log does not reach back that far.  Needs r on the dataset's entries.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <syslog.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "access.h"
#include "commands.h"
#include "conn.h"
#include "dspath.h"
#include "inherit.h"
#include "store.h"

static void
deleted_cb(void *arg, const char *name)
{
	struct cmd_ctx *cmd = arg;
	struct acap_buf *b = cmd_line_begin(cmd);

	acap_buf_addstr(b, "DELETED ");
	acap_buf_add_cstring(b, name);
	cmd_line_end(cmd);
}

/*
 * Deleted names are entry names: the caller needs r on "entry" by the
 * dataset's ACL (§3.5).  A dataset it may not read looks like a missing
 * one (no existence leak).
 */
static enum store_err
readable(struct cmd_ctx *cmd, const char *path)
{
	struct inherit_view *v = NULL;
	const struct store_str *acl;
	const char *layer;
	enum store_err r;
	size_t n;

	if ((r = inherit_view_open(conn_store(cmd->conn), path, 0, &v)) !=
	    STORE_OK)
		return r;
	inherit_dataset_acl(v, "entry", &acl, &n, &layer);
	if (!(access_rights(cmd->conn, layer, acl, n) & ACL_R_READ))
		r = STORE_ENOEXIST;
	inherit_view_free(&v);
	return r;
}

enum cmd_status
cmd_deletedsince(struct cmd_ctx *cmd)
{
	struct store_errinfo info = { NULL, NULL, NULL };
	struct acap_buf code = ACAP_BUF_INIT;
	const struct acap_arg *ds, *t;
	enum store_err r;
	char *path;

	if (cmd->nargs != 2)
		return cmd_bad(cmd, "DELETEDSINCE takes a dataset and a time");
	ds = &cmd->args[0];
	t = &cmd->args[1];
	if (!acap_arg_is_string_utf8(ds) || ds->str[0] != '/')
		return cmd_bad(cmd, "DELETEDSINCE needs a dataset name");
	/* quoted per §8; the §6.6.2 example sends it bare (ACAP-NOTES §2) */
	if ((t->type != ACAP_ARG_STRING && t->type != ACAP_ARG_ATOM) ||
	    !store_time_valid(t->str, t->len))
		return cmd_bad(cmd, "DELETEDSINCE needs a time (14+ digits)");
	if ((path = dspath_canonical(ds->str, ds->len,
	    conn_user(cmd->conn))) == NULL)
		return cmd_bad(cmd, "invalid dataset name");
	r = readable(cmd, path);
	if (r == STORE_OK)
		r = inherit_deleted_since(conn_store(cmd->conn), path, t->str,
		    deleted_cb, cmd);
	if (r == STORE_OK) {
		free(path);
		return cmd_ok(cmd, NULL, "DELETEDSINCE completed");
	}
	if (r == STORE_EIO || r == STORE_ETRYLATER)
		conn_log(cmd->conn, LOG_ERR, "DELETEDSINCE: %s",
		    store_last_error(conn_store(cmd->conn)));
	info.dataset = path;
	store_err_format_code(r, &info, &code);
	cmd_no(cmd, code.len > 0 ? code.data : NULL, "DELETEDSINCE failed: %s",
	    store_err_text(r));
	acap_buf_deinit(&code);
	free(path);
	return CMD_DONE;
}
