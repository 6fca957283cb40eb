/*
 * store.c -- the dataset store over SQLite: migrations, prepared
 * statements, snapshots and their cache, the STORE write path (one
 * transaction per command), the modtime generator, the DELETEDSINCE log
 * and quotas.  Persistence only: no protocol text except the error-code
 * table, which is this file.  See doc/datasets.md for the data model.
 *
 * store.h is implemented by files by role, which share struct store and
 * their helpers through the private header store-int.h:
 *   store-open.c    opening and closing, degraded mode, statistics
 *   store-schema.c  migrations, the integrity check, store_meta
 *   store-stmt.c    every SQL statement, SQLite helpers, modtimes
 *   store-snap.c    dataset paths, snapshots, their cache, reading
 *   store-write.c   the write path of one STORE (entries, attributes,
 *                   renames, dataset creation)
 *   store-commit.c  batches, savepoints, the commit thread, change feed
 *   store-quota.c   quotas
 *   store-log.c     the DELETEDSINCE log
 * Owns: the error table (RFC 2244 §3.6); no state.
 */
#include "autoconf.h"

#include <stddef.h>

#include "acap-buf.h"
#include "store.h"

/* ---- The one error table (RFC 2244 §3.6) --------------------------- */

enum err_arg {
	ERR_ARG_NONE,
	ERR_ARG_DATASET,	/* NOEXIST "dataset" */
	ERR_ARG_PATH,		/* MODIFIED "entry-path" */
	ERR_ARG_PATH_ATTR,	/* INVALID "entry-path" "attribute" */
	ERR_ARG_ACL_OBJECT,	/* PERMISSION ("dataset") */
};

static const struct {
	enum store_err err;
	const char *code;
	enum err_arg arg;
	const char *text;
} store_errors[] = {
	{ STORE_OK, NULL, ERR_ARG_NONE, "completed" },
	{ STORE_ENOEXIST, "NOEXIST", ERR_ARG_DATASET, "no such dataset" },
	{ STORE_ENOENT, NULL, ERR_ARG_NONE, "no such entry" },
	{ STORE_EEXIST, NULL, ERR_ARG_NONE, "an entry of that name exists" },
	{ STORE_EMODIFIED, "MODIFIED", ERR_ARG_PATH,
	    "entry has been changed since" },
	{ STORE_EQUOTA, "QUOTA", ERR_ARG_NONE, "quota exceeded" },
	{ STORE_EINVALID, "INVALID", ERR_ARG_PATH_ATTR, "invalid value" },
	{ STORE_EPERM, "PERMISSION", ERR_ARG_ACL_OBJECT,
	    "permission denied" },
	{ STORE_ETOOOLD, "TOOOLD", ERR_ARG_NONE,
	    "deletion information not kept that long" },
	{ STORE_ENOQUOTA, NULL, ERR_ARG_NONE, "no resource limit" },
	{ STORE_ETRYLATER, "TRYLATER", ERR_ARG_NONE,
	    "database busy, try later" },
	{ STORE_EFULL, "TRYLATER", ERR_ARG_NONE,
	    "the server's storage is full, try later" },
	{ STORE_EROFS, "TRYLATER", ERR_ARG_NONE,
	    "the database is read-only, try later" },
	{ STORE_EIO, NULL, ERR_ARG_NONE, "internal database error" },
};

static size_t
err_index(enum store_err err)
{
	size_t i;

	for (i = 0; i < sizeof(store_errors) / sizeof(store_errors[0]); i++)
		if (store_errors[i].err == err)
			return i;
	return sizeof(store_errors) / sizeof(store_errors[0]) - 1;
}

const char *
store_err_code(enum store_err err)
{
	return store_errors[err_index(err)].code;
}

const char *
store_err_text(enum store_err err)
{
	return store_errors[err_index(err)].text;
}

void
store_err_format_code(enum store_err err, const struct store_errinfo *info,
    struct acap_buf *out)
{
	size_t i = err_index(err);
	const char *ds, *entry;
	struct acap_buf path = ACAP_BUF_INIT;

	if (store_errors[i].code == NULL)
		return;
	acap_buf_addstr(out, store_errors[i].code);
	ds = info != NULL && info->dataset != NULL ? info->dataset : "/";
	entry = info != NULL && info->entry != NULL ? info->entry : "";
	switch (store_errors[i].arg) {
	case ERR_ARG_NONE:
		break;
	case ERR_ARG_DATASET:
		acap_buf_addch(out, ' ');
		acap_buf_add_cstring(out, ds);
		break;
	case ERR_ARG_PATH:
	case ERR_ARG_PATH_ATTR:
		acap_buf_addstr(&path, ds);
		acap_buf_addstr(&path, entry);
		acap_buf_addch(out, ' ');
		acap_buf_add_string(out, path.data, path.len);
		if (store_errors[i].arg == ERR_ARG_PATH_ATTR) {
			acap_buf_addch(out, ' ');
			acap_buf_add_cstring(out, info != NULL &&
			    info->attr != NULL ? info->attr : "entry");
		}
		acap_buf_deinit(&path);
		break;
	case ERR_ARG_ACL_OBJECT:
		acap_buf_addstr(out, " (");
		acap_buf_add_cstring(out, ds);
		acap_buf_addch(out, ')');
		break;
	}
}
