/*
 * aclobj.c -- the ACL object shared by the four ACL commands.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "access.h"
#include "aclobj.h"
#include "config.h"
#include "conn.h"
#include "dspath.h"
#include "inherit.h"
#include "rights.h"
#include "search.h"
#include "store.h"

bool
aclobj_ident_ok(const struct acap_arg *a)
{
	return acap_arg_is_string_utf8(a) && a->len > 0 &&
	    memchr(a->str, '\t', a->len) == NULL;
}

static int
copy_items(struct aclobj *o, const struct store_str *acl, size_t n)
{
	size_t i;

	o->items = calloc(n + 1, sizeof(*o->items));
	o->lens = calloc(n + 1, sizeof(*o->lens));
	if (o->items == NULL || o->lens == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((o->items[i] = malloc(acl[i].len + 1)) == NULL)
			return -1;
		memcpy(o->items[i], acl[i].s, acl[i].len);
		o->items[i][acl[i].len] = '\0';
		o->lens[i] = acl[i].len;
	}
	o->nitems = n;
	return 0;
}

void
aclobj_close(struct aclobj *o)
{
	size_t i;

	if (o->items != NULL)
		for (i = 0; i < o->nitems; i++)
			free(o->items[i]);
	free(o->items);
	free(o->lens);
	free(o->dataset);
	memset(o, 0, sizeof(*o));
}

static enum cmd_status
noexist(struct cmd_ctx *cmd, const char *dataset)
{
	struct acap_buf code = ACAP_BUF_INIT;

	acap_buf_addstr(&code, "NOEXIST ");
	acap_buf_add_cstring(&code, dataset);
	cmd_no(cmd, code.data, "No such dataset or entry");
	acap_buf_deinit(&code);
	return CMD_DONE;
}

int
aclobj_open(struct cmd_ctx *cmd, const struct acap_arg *arg,
    struct aclobj *o)
{
	struct store *st = conn_store(cmd->conn);
	struct inherit_view *v = NULL;
	const struct store_str *acl = NULL;
	struct store_snap *snap = NULL;
	const struct store_entry *se;
	const struct store_attr *sa;
	char name[1100];
	size_t n = 0, i;

	memset(o, 0, sizeof(*o));
	/* acl-object = "(" dataset [SP attribute [SP entry-name]] ")" */
	if (!acap_arg_is_list(arg) || arg->count < 1 || arg->count > 3) {
		cmd_bad(cmd, "Expected an ACL object (\"dataset\" "
		    "[\"attribute\" [\"entry\"]])");
		return -1;
	}
	for (i = 0; i < arg->count; i++)
		if (!acap_arg_is_string_utf8(&arg->list[i])) {
			cmd_bad(cmd, "ACL object items must be strings");
			return -1;
		}
	if ((o->dataset = dspath_canonical(arg->list[0].str,
	    arg->list[0].len, conn_user(cmd->conn))) == NULL) {
		cmd_bad(cmd, "Invalid dataset name");
		return -1;
	}
	if (arg->count >= 2) {
		o->attr = arg->list[1].str;
		if (!dspath_attr_name_valid(o->attr, arg->list[1].len)) {
			cmd_bad(cmd, "Invalid attribute name");
			goto fail;
		}
	}
	if (arg->count == 3) {
		o->entry = arg->list[2].str;
		if (!dspath_entry_name_valid(o->entry, arg->list[2].len)) {
			cmd_bad(cmd, "Invalid entry name");
			goto fail;
		}
	}
	if (inherit_view_open(st, o->dataset, 0, &v) != STORE_OK ||
	    inherit_view_is_virtual(v) || inherit_view_is_directory(v)) {
		noexist(cmd, o->dataset);
		goto fail;
	}
	/* the rights engine decides what the caller may see (rights.h) */
	if (!rights_aclobj(cmd->conn, v, o->dataset, o->attr, o->entry,
	    &o->rights)) {
		noexist(cmd, o->dataset);
		goto fail;
	}

	/* The object's own ACL, in the stored dataset (layer 0). */
	if (store_snap_get(st, o->dataset, &snap) != STORE_OK) {
		noexist(cmd, o->dataset);
		goto fail;
	}
	acl = NULL;
	n = 0;
	if (o->entry == NULL) {
		snprintf(name, sizeof(name), "dataset.acl%s%s",
		    o->attr != NULL ? "." : "", o->attr != NULL ? o->attr : "");
		if ((se = store_snap_find(snap, "")) != NULL &&
		    (sa = store_entry_attr(se, name)) != NULL &&
		    (sa->kind == STORE_V_MULTI || sa->kind == STORE_V_SINGLE)) {
			acl = sa->values;
			n = sa->nvalues;
			o->exists = true;
		}
	} else if ((se = store_snap_find(snap, o->entry)) != NULL &&
	    (sa = store_entry_attr(se, o->attr)) != NULL && sa->acl != NULL) {
		acl = sa->acl;
		n = sa->nacl;
		o->exists = true;
	}
	if (copy_items(o, acl, n) == -1) {
		cmd_no(cmd, "TRYLATER", "Out of memory");
		goto fail;
	}
	store_snap_unref(&snap);
	inherit_view_free(&v);
	return 0;
fail:
	store_snap_unref(&snap);
	inherit_view_free(&v);
	aclobj_close(o);
	return -1;
}

static void
object_wire(struct acap_buf *b, const struct aclobj *o)
{
	acap_buf_addch(b, '(');
	acap_buf_add_cstring(b, o->dataset);
	if (o->attr != NULL) {
		acap_buf_addch(b, ' ');
		acap_buf_add_cstring(b, o->attr);
	}
	if (o->entry != NULL) {
		acap_buf_addch(b, ' ');
		acap_buf_add_cstring(b, o->entry);
	}
	acap_buf_addch(b, ')');
}

enum cmd_status
aclobj_no_permission(struct cmd_ctx *cmd, const struct aclobj *o,
    const char *what)
{
	struct acap_buf code = ACAP_BUF_INIT;

	acap_buf_addstr(&code, "PERMISSION ");
	object_wire(&code, o);
	cmd_no(cmd, code.data, "%s", what);
	acap_buf_deinit(&code);
	return CMD_DONE;
}

enum store_err
aclobj_write(struct cmd_ctx *cmd, const struct aclobj *o,
    char *const *items, const size_t *lens, size_t n, bool remove)
{
	struct store_attr_op aop;
	struct store_entry_op eop;
	struct store_result res;
	struct store_audit audit;
	char sid[ACCESS_SID_LEN + 1];
	struct store_str *vals;
	char name[1100];
	enum store_err err;
	size_t i;

	if ((vals = calloc(n + 1, sizeof(*vals))) == NULL)
		return STORE_ETRYLATER;
	for (i = 0; i < n; i++) {
		vals[i].s = items[i];
		vals[i].len = lens[i];
	}
	memset(&aop, 0, sizeof(aop));
	memset(&eop, 0, sizeof(eop));
	eop.dataset = o->dataset;
	eop.nocreate = true;
	eop.attrs = &aop;
	eop.nattrs = 1;
	if (o->entry == NULL) {
		/* dataset.acl / dataset.acl.<attr> in the "" entry (§5) */
		snprintf(name, sizeof(name), "dataset.acl%s%s",
		    o->attr != NULL ? "." : "", o->attr != NULL ? o->attr : "");
		eop.entry = "";
		aop.name = name;
		aop.value_op = remove ? STORE_OP_DEFAULT : STORE_OP_SET;
		aop.multi = true;
		aop.values = vals;
		aop.nvalues = n;
	} else {
		eop.entry = o->entry;
		aop.name = o->attr;
		aop.value_op = STORE_OP_KEEP;
		aop.acl_op = remove ? STORE_OP_NIL : STORE_OP_SET;
		aop.acl = vals;
		aop.nacl = n;
	}
	memset(&res, 0, sizeof(res));
	access_audit(cmd->conn, cmd->name, &audit, sid);
	err = store_apply_audit(conn_store(cmd->conn), &eop, 1,
	    cfg->audit ? &audit : NULL, &res);
	free(vals);
	return err;
}

enum cmd_status
aclobj_reply_err(struct cmd_ctx *cmd, const struct aclobj *o,
    enum store_err err)
{
	struct store_errinfo info = { o->dataset, o->entry, o->attr };
	struct acap_buf code = ACAP_BUF_INIT;

	if (err == STORE_EPERM)
		return aclobj_no_permission(cmd, o, "Permission denied");
	store_err_format_code(err, &info, &code);
	cmd_no(cmd, code.len > 0 ? code.data : NULL, "%s",
	    store_err_text(err));
	acap_buf_deinit(&code);
	return CMD_DONE;
}


int
aclobj_edit(const struct aclobj *o, const char *ident, size_t identlen,
    const char *item, size_t itemlen, char ***items_r, size_t **lens_r,
    size_t *n_r)
{
	char **items = calloc(o->nitems + 2, sizeof(*items));
	size_t *lens = calloc(o->nitems + 2, sizeof(*lens));
	size_t i, n = 0;
	bool placed = false;

	if (items == NULL || lens == NULL) {
		free(items);
		free(lens);
		return -1;
	}
	for (i = 0; i < o->nitems; i++) {
		bool same = o->lens[i] > identlen &&
		    memcmp(o->items[i], ident, identlen) == 0 &&
		    o->items[i][identlen] == '\t';

		if (same && item == NULL)
			continue;		/* DELETEACL ident */
		if (same) {
			if (placed)
				continue;
			items[n] = (char *)item;
			lens[n++] = itemlen;
			placed = true;
			continue;
		}
		items[n] = o->items[i];
		lens[n++] = o->lens[i];
	}
	if (item != NULL && !placed) {
		items[n] = (char *)item;
		lens[n++] = itemlen;
	}
	*items_r = items;
	*lens_r = lens;
	*n_r = n;
	return 0;
}
