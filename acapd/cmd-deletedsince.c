/*
 * cmd-deletedsince.c -- DELETEDSINCE (RFC 2244 §6.6.2, §6.6.3): the names
 * of entries deleted from a dataset (and from the datasets it inherits
 * from) after a time, as tagged DELETED responses; NO (TOOOLD) when the
 * log does not reach back that far.  Access (doc/acl.md): a dataset the
 * caller cannot read looks missing; the names need r on "entry" by the
 * dataset-level ACL, and only layers the caller may read contribute.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "access.h"
#include "acl.h"
#include "commands.h"
#include "conn.h"
#include "dspath.h"
#include "inherit.h"
#include "search.h"
#include "rights.h"
#include "store.h"

struct names {
	char **v;
	size_t n, cap;
};

static void
names_add(void *arg, const char *name)
{
	struct names *ns = arg;
	char **nv;
	size_t cap;

	if (ns->n == ns->cap) {
		cap = ns->cap < 16 ? 16 : ns->cap * 2;
		if ((nv = realloc(ns->v, cap * sizeof(*nv))) == NULL)
			abort();
		ns->v = nv;
		ns->cap = cap;
	}
	if ((ns->v[ns->n] = strdup(name)) == NULL)
		abort();
	ns->n++;
}

static void
deleted_line(struct cmd_ctx *cmd, const char *name)
{
	struct acap_buf *b = cmd_line_begin(cmd);

	acap_buf_addstr(b, "DELETED ");
	acap_buf_add_cstring(b, name);
	cmd_line_end(cmd);
}

static int
names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Collect the deletions of every layer of v the caller may read at the
 * dataset level: a base it cannot read (say a dataset.inherit pointing
 * at somebody's private dataset) gives nothing away.  A virtual layer is
 * judged by the stored layer it copies, as inherit_dataset_acl() does.
 */
static enum store_err
collect(struct cmd_ctx *cmd, const struct inherit_view *v, const char *time,
    struct names *ns)
{
	struct store *st = conn_store(cmd->conn);
	struct store_snap *snap;
	unsigned int n = inherit_view_layers(v), l;
	bool ok[INHERIT_MAX_LAYERS], dir[INHERIT_MAX_LAYERS], next = false;
	const char *path;
	enum store_err r;

	for (l = n; l-- > 0;) {
		path = inherit_view_layer_path(v, l);
		dir[l] = false;
		r = store_snap_get(st, path, &snap);
		if (r == STORE_ENOEXIST) {
			ok[l] = next;
			continue;
		}
		if (r != STORE_OK)
			return r;
		dir[l] = store_snap_is_directory(snap);
		ok[l] = next = !dir[l] &&
		    rights_layer_readable(cmd->conn, path, snap);
		store_snap_unref(&snap);
	}
	for (l = 0; l < n; l++) {
		if (!ok[l] || dir[l])
			continue;
		/* a virtual layer has no log, but may have been dropped */
		r = store_deleted_since(st, inherit_view_layer_path(v, l),
		    time, names_add, ns);
		if (r != STORE_OK && r != STORE_ENOEXIST)
			return r;
	}
	return STORE_OK;
}

static enum cmd_status
reply_err(struct cmd_ctx *cmd, enum store_err r, const char *path)
{
	struct store_errinfo info = { path, NULL, NULL };
	struct acap_buf code = ACAP_BUF_INIT;

	if (r == STORE_EIO || r == STORE_ETRYLATER)
		conn_log(cmd->conn, LOG_ERR, "DELETEDSINCE: %s",
		    store_last_error(conn_store(cmd->conn)));
	store_err_format_code(r, &info, &code);
	cmd_no(cmd, code.len > 0 ? code.data : NULL, "DELETEDSINCE failed: %s",
	    store_err_text(r));
	acap_buf_deinit(&code);
	return CMD_DONE;
}

/*
 * Readable but without r on "entry" by the dataset-level ACL (only some
 * entries are shared with the caller): deleted names would tell more than
 * it may see, so NO (PERMISSION (dataset ["entry"])) naming that ACL.
 */
static enum cmd_status
no_permission(struct cmd_ctx *cmd, const struct inherit_view *v)
{
	struct store_snap *snap = NULL;
	struct acap_buf code = ACAP_BUF_INIT;
	const char *path = inherit_view_path(v);
	unsigned int l;
	bool per_attr = false;

	for (l = 0; l < inherit_view_layers(v); l++) {
		path = inherit_view_layer_path(v, l);
		if (store_snap_get(conn_store(cmd->conn), path, &snap) ==
		    STORE_OK)
			break;
	}
	if (snap != NULL) {
		/* the object that decided: dataset.acl.entry if there is one */
		const struct store_entry *mgmt = store_snap_find(snap, "");
		const struct store_attr *a = mgmt != NULL ?
		    store_entry_attr(mgmt, "dataset.acl.entry") : NULL;

		per_attr = a != NULL && a->kind == STORE_V_MULTI;
	}
	acap_buf_addstr(&code, "PERMISSION (");
	acap_buf_add_cstring(&code, path);
	if (per_attr)
		acap_buf_addstr(&code, " \"entry\"");
	acap_buf_addch(&code, ')');
	cmd_no(cmd, code.data, "DELETEDSINCE needs read access to every "
	    "entry of the dataset");
	acap_buf_deinit(&code);
	store_snap_unref(&snap);
	return CMD_DONE;
}

enum cmd_status
cmd_deletedsince(struct cmd_ctx *cmd)
{
	struct store *st = conn_store(cmd->conn);
	struct inherit_view *v = NULL;
	const struct inherit_entry *e;
	struct search_access acc;
	const struct acap_arg *ds, *t;
	struct names ns = { NULL, 0, 0 };
	enum store_err r;
	char *path;
	size_t i;

	if (cmd->nargs != 2)
		return cmd_bad(cmd, "DELETEDSINCE takes a dataset and a time");
	ds = &cmd->args[0];
	t = &cmd->args[1];
	if (!acap_arg_is_string_utf8(ds) || ds->str[0] != '/')
		return cmd_bad(cmd, "DELETEDSINCE needs a dataset name");
	/* quoted per §8; the §6.6.2 example sends it bare (ACAP-NOTES §2) */
	if (!cmd_arg_is_time(t))
		return cmd_bad(cmd, "DELETEDSINCE needs a time (14+ digits)");
	if ((path = dspath_canonical(ds->str, ds->len,
	    conn_user(cmd->conn))) == NULL)
		return cmd_bad(cmd, "invalid dataset name");
	store_read_begin(st);
	r = inherit_view_open(st, path, 0, &v);
	/* §3.5: a dataset the caller cannot read does not exist for it */
	if (r == STORE_OK && !rights_dataset_readable(cmd->conn, v))
		r = STORE_ENOEXIST;
	if (r == STORE_OK) {
		if (!rights_dataset_level(cmd->conn, v, ACL_R_READ)) {
			store_read_end(st);
			no_permission(cmd, v);
			inherit_view_free(&v);
			free(path);
			return CMD_DONE;
		}
		r = collect(cmd, v, t->str, &ns);
	}
	store_read_end(st);
	if (r == STORE_OK) {
		access_for_conn(cmd->conn, &acc);
		if (ns.n > 0)
			qsort(ns.v, ns.n, sizeof(*ns.v), names_cmp);
		for (i = 0; i < ns.n; i++) {
			if (i > 0 && strcmp(ns.v[i], ns.v[i - 1]) == 0)
				continue;
			/* still there and visible to it: not deleted */
			e = inherit_view_find(v, ns.v[i]);
			if (e == NULL || !search_visible(&acc, v, e))
				deleted_line(cmd, ns.v[i]);
		}
	}
	for (i = 0; i < ns.n; i++)
		free(ns.v[i]);
	free(ns.v);
	inherit_view_free(&v);
	if (r != STORE_OK) {
		reply_err(cmd, r, path);
		free(path);
		return CMD_DONE;
	}
	free(path);
	return cmd_ok(cmd, NULL, "DELETEDSINCE completed");
}
