/*
 * store-write.c -- the write path of one STORE inside the batch's
 * transaction (RFC 2244 §6.6.1): attribute rows, entries, renames,
 * removals and tombstones, subdatasets, and dataset creation with its
 * management attributes (§5.3).  It records changes (store-commit.c),
 * usage deltas (store-quota.c) and "deleted"/"dropped" rows for
 * DELETEDSINCE (store-log.c reads them).
 * Owns: nothing across calls; the scratch buffers st->val, st->acl,
 * st->oldval and st->oldacl during a call.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "store-int.h"

/* ---- Write path helpers (inside a transaction) ------------------------- */

static void
encode_multi(struct acap_buf *b, const struct store_str *v, size_t n)
{
	unsigned char len[4];
	size_t i;

	acap_buf_reset(b);
	for (i = 0; i < n; i++) {
		len[0] = (unsigned char)(v[i].len >> 24);
		len[1] = (unsigned char)(v[i].len >> 16);
		len[2] = (unsigned char)(v[i].len >> 8);
		len[3] = (unsigned char)v[i].len;
		acap_buf_add(b, len, 4);
		acap_buf_add(b, v[i].s, v[i].len);
	}
}

static bool
multi_has_dot(const unsigned char *p, size_t len)
{
	size_t n;

	while (len >= 4) {
		n = (size_t)p[0] << 24 | (size_t)p[1] << 16 |
		    (size_t)p[2] << 8 | (size_t)p[3];
		if (n > len - 4)
			return false;
		if (n == 1 && p[4] == '.')
			return true;
		p += 4 + n;
		len -= 4 + n;
	}
	return false;
}

/* A stored attribute row, copied into st->oldval / st->oldacl. */
struct attr_row {
	bool present;
	enum store_vkind kind;
	bool has_acl;
	int64_t bytes;
};

static enum store_err
attr_read(struct store *st, int64_t eid, const char *name, struct attr_row *r)
{
	sqlite3_stmt *s = st_stq(st, ST_ATTR_GET);
	int rc;

	memset(r, 0, sizeof(*r));
	acap_buf_reset(&st->oldval);
	acap_buf_reset(&st->oldacl);
	sqlite3_bind_int64(s, 1, eid);
	st_bind_text(s, 2, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r->present = true;
		r->kind = (enum store_vkind)sqlite3_column_int(s, 0);
		if (sqlite3_column_bytes(s, 1) > 0)
			acap_buf_add(&st->oldval, sqlite3_column_blob(s, 1),
			    (size_t)sqlite3_column_bytes(s, 1));
		r->has_acl = sqlite3_column_type(s, 2) != SQLITE_NULL;
		if (sqlite3_column_bytes(s, 2) > 0)
			acap_buf_add(&st->oldacl, sqlite3_column_blob(s, 2),
			    (size_t)sqlite3_column_bytes(s, 2));
		r->bytes = sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_db_fail(st, rc);
	return STORE_OK;
}

/* Write a row; *bytes_r gets what it costs toward the quota. */
static enum store_err
attr_write(struct store *st, int64_t eid, const char *name,
    enum store_vkind kind, const void *value, size_t vlen, const void *acl,
    size_t acllen, int64_t *bytes_r)
{
	sqlite3_stmt *s = st_stq(st, ST_ATTR_PUT);

	*bytes_r = (int64_t)(strlen(name) + vlen + (acl != NULL ? acllen : 0));
	sqlite3_bind_int64(s, 1, eid);
	st_bind_text(s, 2, name);
	sqlite3_bind_int(s, 3, (int)kind);
	if (kind == STORE_V_SINGLE || kind == STORE_V_MULTI)
		sqlite3_bind_blob(s, 4, vlen > 0 ? value : "", (int)vlen,
		    SQLITE_STATIC);
	if (acl != NULL)
		sqlite3_bind_blob(s, 5, acllen > 0 ? acl : "", (int)acllen,
		    SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, *bytes_r);
	return st_step_done(st, s);
}

static enum store_err
attr_delete(struct store *st, int64_t eid, const char *name)
{
	sqlite3_stmt *s = st_stq(st, ST_ATTR_DELETE);

	sqlite3_bind_int64(s, 1, eid);
	st_bind_text(s, 2, name);
	return st_step_done(st, s);
}

static enum store_err
entry_get(struct store *st, int64_t dsid, const char *name, int64_t *eid_r,
    bool *blocked_r)
{
	sqlite3_stmt *s = st_stq(st, ST_ENTRY_GET);
	int rc;

	sqlite3_bind_int64(s, 1, dsid);
	st_bind_text(s, 2, name);
	*eid_r = 0;
	*blocked_r = false;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*eid_r = sqlite3_column_int64(s, 0);
		*blocked_r = sqlite3_column_int(s, 1) != 0;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_db_fail(st, rc);
	return STORE_OK;
}

static enum store_err
entry_insert(struct store *st, const struct path_info *pi, int64_t dsid,
    const char *name, bool blocked, int64_t *eid_r)
{
	sqlite3_stmt *s = st_stq(st, ST_ENTRY_INSERT);
	enum store_err r;

	sqlite3_bind_int64(s, 1, dsid);
	st_bind_text(s, 2, name);
	st_bind_text(s, 3, st->txn_modtime);
	sqlite3_bind_int(s, 4, blocked);
	if ((r = st_step_done(st, s)) != STORE_OK)
		return r;
	*eid_r = sqlite3_last_insert_rowid(st->db);
	st_txn_quota(st, pi, (int64_t)strlen(name));
	return STORE_OK;
}

static enum store_err
entry_set(struct store *st, int64_t eid, bool blocked)
{
	sqlite3_stmt *s = st_stq(st, ST_ENTRY_SET);

	sqlite3_bind_int64(s, 1, eid);
	st_bind_text(s, 2, st->txn_modtime);
	sqlite3_bind_int(s, 3, blocked);
	return st_step_done(st, s);
}

static enum store_err
entry_bytes(struct store *st, int64_t eid, int64_t *bytes_r)
{
	sqlite3_stmt *s = st_stq(st, ST_ENTRY_BYTES);
	int rc;

	sqlite3_bind_int64(s, 1, eid);
	rc = sqlite3_step(s);
	*bytes_r = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return st_db_fail(st, rc);
	return STORE_OK;
}

static enum store_err
deleted_put(struct store *st, int64_t dsid, const char *name)
{
	sqlite3_stmt *s = st_stq(st, ST_DELETED_PUT);

	sqlite3_bind_int64(s, 1, dsid);
	st_bind_text(s, 2, name);
	st_bind_text(s, 3, st->txn_modtime);
	return st_step_done(st, s);
}

/* Delete every dataset at or below prefix (a subdataset set to NIL). */
static enum store_err
tree_delete(struct store *st, const char *prefix)
{
	struct path_info pi;
	sqlite3_stmt *s;
	enum store_err r = STORE_OK;
	char *upper = st_path_upper(prefix);
	const char *p;
	int rc;

	s = st_stq(st, ST_TREE_LIST);
	st_bind_text(s, 1, prefix);
	st_bind_text(s, 2, upper);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		p = (const char *)sqlite3_column_text(s, 0);
		st_path_classify(p, &pi);
		st_txn_quota(st, &pi, -sqlite3_column_int64(s, 3));
		st_txn_change(st, STORE_CHANGE_DATASET_REMOVED, p, NULL);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		r = st_db_fail(st, rc);
	if (r == STORE_OK) {
		s = st_stq(st, ST_TREE_DELETE);
		st_bind_text(s, 1, prefix);
		st_bind_text(s, 2, upper);
		r = st_step_done(st, s);
	}
	if (r == STORE_OK) {
		/* inheritors of these lost entries without a "deleted" row */
		s = st_stq(st, ST_DROPPED_PUT);
		st_bind_text(s, 1, prefix);
		st_bind_text(s, 2, st->txn_modtime);
		r = st_step_done(st, s);
	}
	st_cache_drop_prefix(&st->cache, prefix);
	free(upper);
	return r;
}

/* Move every dataset at or below oldp to newp (an entry rename). */
static enum store_err
tree_rename(struct store *st, const char *oldp, const char *newp)
{
	sqlite3_stmt *s;
	enum store_err r = STORE_OK;
	char *upper = st_path_upper(oldp);
	struct acap_buf np = ACAP_BUF_INIT;
	const char *p;
	int rc;

	s = st_stq(st, ST_TREE_LIST);
	st_bind_text(s, 1, oldp);
	st_bind_text(s, 2, upper);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		p = (const char *)sqlite3_column_text(s, 0);
		acap_buf_reset(&np);
		acap_buf_addstr(&np, newp);
		acap_buf_addstr(&np, p + strlen(oldp));
		st_txn_change(st, STORE_CHANGE_DATASET_REMOVED, p, NULL);
		st_txn_change(st, STORE_CHANGE_DATASET_CREATED, np.data, NULL);
		st_cache_drop(&st->cache, np.data);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		r = st_db_fail(st, rc);
	if (r == STORE_OK) {
		s = st_stq(st, ST_TREE_RENAME);
		st_bind_text(s, 1, oldp);
		st_bind_text(s, 2, upper);
		st_bind_text(s, 3, newp);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)strlen(oldp) + 1);
		r = st_step_done(st, s);
	}
	if (r == STORE_OK) {
		s = st_stq(st, ST_DROPPED_PUT);
		st_bind_text(s, 1, oldp);
		st_bind_text(s, 2, st->txn_modtime);
		r = st_step_done(st, s);
	}
	st_cache_drop_prefix(&st->cache, oldp);
	acap_buf_deinit(&np);
	free(upper);
	return r;
}

static enum store_err ds_create(struct store *, const char *, int64_t *);

/* Make entry comp of dataset dsid carry subdataset (".") (§5.3). */
static enum store_err
ensure_dot(struct store *st, const char *dspath, int64_t dsid,
    const char *comp)
{
	static const struct store_str dot = { ".", 1 };
	struct path_info pi;
	struct attr_row old;
	enum store_err r = STORE_OK;
	const void *acl;
	int64_t eid, bytes;
	bool blocked;

	st_path_classify(dspath, &pi);
	if ((r = entry_get(st, dsid, comp, &eid, &blocked)) != STORE_OK)
		return r;
	if (eid == 0)
		r = entry_insert(st, &pi, dsid, comp, false, &eid);
	if (r != STORE_OK)
		return r;
	if ((r = attr_read(st, eid, "subdataset", &old)) != STORE_OK)
		return r;
	if (!blocked && old.present && old.kind == STORE_V_MULTI &&
	    multi_has_dot((const unsigned char *)st->oldval.data,
	    st->oldval.len))
		return STORE_OK;
	encode_multi(&st->val, &dot, 1);
	if (old.present && old.kind == STORE_V_MULTI) {
		/* keep the other locations, add "." */
		acap_buf_add(&st->oldval, st->val.data, st->val.len);
		acap_buf_reset(&st->val);
		acap_buf_add(&st->val, st->oldval.data, st->oldval.len);
	}
	acl = old.has_acl ? (st->oldacl.data != NULL ? st->oldacl.data : "") :
	    NULL;
	if ((r = attr_write(st, eid, "subdataset", STORE_V_MULTI, st->val.data,
	    st->val.len, acl, st->oldacl.len, &bytes)) != STORE_OK)
		return r;
	st_txn_quota(st, &pi, bytes - old.bytes);
	if ((r = entry_set(st, eid, false)) != STORE_OK)
		return r;
	st_txn_change(st, STORE_CHANGE_ENTRY, dspath, comp);
	st_cache_drop(&st->cache, dspath);
	return STORE_OK;
}

/* The default ACL of a dataset owned by okind/oname without a template. */
static void
default_acl(const struct path_info *pi, struct acap_buf *b)
{
	struct acap_buf item = ACAP_BUF_INIT;
	struct store_str s;

	if (st_span_is(pi->okind, "user")) {
		acap_buf_add(&item, pi->oname.p, pi->oname.n);
		acap_buf_addstr(&item, "\txrwia");
	} else {
		acap_buf_addstr(&item, "anyone\txr");
	}
	s.s = item.data;
	s.len = item.len;
	encode_multi(b, &s, 1);
	acap_buf_deinit(&item);
}

static enum store_err
ds_ensure(struct store *st, const char *path, int64_t *id_r)
{
	enum store_err r;

	if ((r = st_ds_lookup(st, path, id_r, NULL)) != STORE_OK || *id_r != 0)
		return r;
	return ds_create(st, path, id_r);
}

/* Copy the dataset.* attributes of src's "" entry into entry eid. */
static enum store_err
copy_mgmt(struct store *st, const struct path_info *pi, int64_t eid,
    const struct store_entry *mgmt, const char *comp, size_t complen,
    bool *have_acl, bool *have_inherit)
{
	const struct store_attr *a;
	const void *v, *acl;
	enum store_err r;
	int64_t bytes;
	size_t i, vlen;
	char *inh;

	for (i = 0; i < mgmt->nattrs; i++) {
		a = &mgmt->attrs[i];
		if (strncmp(a->name, "dataset.", 8) != 0)
			continue;
		if (strcmp(a->name, "dataset.inherit") == 0) {
			if (a->kind != STORE_V_SINGLE)
				continue;
			inh = comp != NULL ?
			    st_path_child(a->values[0].s, comp, complen) :
			    st_xstrdup(a->values[0].s);
			r = attr_write(st, eid, a->name, STORE_V_SINGLE, inh,
			    strlen(inh), NULL, 0, &bytes);
			free(inh);
			*have_inherit = true;
		} else {
			v = NULL;
			vlen = 0;
			if (a->kind == STORE_V_SINGLE) {
				v = a->values[0].s;
				vlen = a->values[0].len;
			} else if (a->kind == STORE_V_MULTI) {
				encode_multi(&st->val, a->values, a->nvalues);
				v = st->val.data;
				vlen = st->val.len;
			}
			acl = NULL;
			if (a->acl != NULL) {
				encode_multi(&st->acl, a->acl, a->nacl);
				acl = st->acl.data != NULL ? st->acl.data : "";
			}
			r = attr_write(st, eid, a->name, a->kind, v, vlen, acl,
			    st->acl.len, &bytes);
			if (strcmp(a->name, "dataset.acl") == 0 &&
			    a->kind == STORE_V_MULTI)
				*have_acl = true;
		}
		if (r != STORE_OK)
			return r;
		st_txn_quota(st, pi, bytes);
	}
	return STORE_OK;
}

/*
 * Whether a new dataset may inherit by default (RFC 2244 §5.3) from base.
 * Not in our own registry classes ("vendor.acapd.*": an admin's records,
 * not settings), and not from a stored dataset that is not public -- one
 * whose dataset.acl lacks a positive "anyone" item with r, or has a
 * negative one taking r: the entries of such a base would be in the new
 * dataset hidden from its owner, who could probe their names by storing
 * them (doc/acl.md, no existence oracle).
 */
static bool
default_base_ok(struct store *st, const struct path_info *pi,
    const char *base)
{
	struct store_snap *snap = NULL;
	const struct store_entry *mgmt;
	const struct store_attr *a;
	bool pos = false, neg = false;
	size_t i;

	if (pi->class.n >= 13 && memcmp(pi->class.p, "vendor.acapd.", 13) ==
	    0)
		return false;
	if (st_stored_snap_get(st, base, &snap) != STORE_OK)
		return true;	/* not there (yet): the RFC's default */
	if ((mgmt = store_snap_find(snap, "")) != NULL &&
	    (a = store_entry_attr(mgmt, "dataset.acl")) != NULL &&
	    a->kind == STORE_V_MULTI)
		for (i = 0; i < a->nvalues; i++) {
			const struct store_str *v = &a->values[i];

			if (v->len >= 7 && memcmp(v->s, "anyone\t", 7) == 0 &&
			    memchr(v->s + 7, 'r', v->len - 7) != NULL)
				pos = true;
			if (v->len >= 8 && memcmp(v->s, "-anyone\t", 8) == 0 &&
			    memchr(v->s + 8, 'r', v->len - 8) != NULL)
				neg = true;
		}
	store_snap_unref(&snap);
	return pos && !neg;
}

/*
 * Create a dataset (and its missing parents), its "" entry and management
 * attributes copied from its parent in the /byowner/ hierarchy, with the
 * path component appended to dataset.inherit (RFC 2244 §5.3).  Without a
 * stored template, user datasets get "<user>\txrwia" and everyone else
 * "anyone\txr", and user and group datasets inherit from "/byowner/site"
 * when default_base_ok() says so.
 */
static enum store_err
ds_create(struct store *st, const char *path, int64_t *id_r)
{
	struct path_info pi;
	struct store_snap *src = NULL;
	const struct store_entry *mgmt = NULL;
	struct acap_buf tpath = ACAP_BUF_INIT;
	sqlite3_stmt *s;
	enum store_err r = STORE_OK;
	char *parent = NULL, *comp = NULL, *inh = NULL;
	size_t complen = 0;
	int64_t pid = 0, eid, bytes;
	bool have_acl = false, have_inherit = false;

	st_path_classify(path, &pi);
	if (pi.kind == PK_INVALID)
		return STORE_ENOEXIST;
	if (pi.kind != PK_DATASET && pi.kind != PK_BYOWNER)
		return STORE_EPERM;
	if (pi.kind == PK_DATASET && pi.nrest == 0) {
		acap_buf_addstr(&tpath, "/byowner/");
		acap_buf_add(&tpath, pi.okind.p, pi.okind.n);
		acap_buf_addch(&tpath, '/');
		if (pi.oname.n > 0) {
			acap_buf_add(&tpath, pi.oname.p, pi.oname.n);
			acap_buf_addch(&tpath, '/');
		}
		r = st_stored_snap_get(st, tpath.data, &src);
		acap_buf_deinit(&tpath);
		if (r == STORE_ENOEXIST)
			r = STORE_OK;
		if ((comp = strndup(pi.class.p, pi.class.n)) == NULL)
			abort();
		complen = pi.class.n;
	} else if (pi.kind == PK_DATASET) {
		parent = strndup(path, (size_t)(pi.last.p - path));
		comp = strndup(pi.last.p, pi.last.n);
		complen = pi.last.n;
		if (parent == NULL || comp == NULL)
			abort();
		if ((r = ds_ensure(st, parent, &pid)) == STORE_OK)
			r = st_stored_snap_get(st, parent, &src);
	}
	if (r != STORE_OK)
		goto out;

	s = st_stq(st, ST_DS_INSERT);
	st_bind_text(s, 1, path);
	if (pi.kind == PK_DATASET)
		st_bind_span(s, 2, pi.class);
	st_bind_span(s, 3, pi.okind);
	if (pi.oname.n > 0)
		st_bind_span(s, 4, pi.oname);
	else
		st_bind_text(s, 4, "");
	sqlite3_bind_int(s, 5, pi.kind == PK_BYOWNER || pi.nrest == 0);
	st_bind_text(s, 6, st->txn_modtime);
	if ((r = st_step_done(st, s)) != STORE_OK)
		goto out;
	*id_r = sqlite3_last_insert_rowid(st->db);
	if ((r = entry_insert(st, &pi, *id_r, "", false, &eid)) != STORE_OK)
		goto out;

	if (src != NULL && (mgmt = store_snap_find(src, "")) != NULL &&
	    (r = copy_mgmt(st, &pi, eid, mgmt, comp, complen, &have_acl,
	    &have_inherit)) != STORE_OK)
		goto out;
	if (!have_acl) {
		default_acl(&pi, &st->val);
		if ((r = attr_write(st, eid, "dataset.acl", STORE_V_MULTI,
		    st->val.data, st->val.len, NULL, 0, &bytes)) != STORE_OK)
			goto out;
		st_txn_quota(st, &pi, bytes);
	}
	if (mgmt == NULL && !have_inherit && (st_span_is(pi.okind, "user") ||
	    st_span_is(pi.okind, "group"))) {
		inh = comp != NULL ?
		    st_path_child("/byowner/site/", comp, complen) :
		    st_xstrdup("/byowner/site/");
		if (default_base_ok(st, &pi, inh)) {
			r = attr_write(st, eid, "dataset.inherit",
			    STORE_V_SINGLE, inh, strlen(inh), NULL, 0, &bytes);
			if (r != STORE_OK)
				goto out;
			st_txn_quota(st, &pi, bytes);
		}
	}
	if (parent != NULL && (r = ensure_dot(st, parent, pid, comp)) !=
	    STORE_OK)
		goto out;
	st_txn_change(st, STORE_CHANGE_DATASET_CREATED, path, NULL);
	st_txn_change(st, STORE_CHANGE_ENTRY, path, "");
	st_cache_drop(&st->cache, path);
out:
	store_snap_unref(&src);
	free(parent);
	free(comp);
	free(inh);
	return r;
}

static char *
child_path(const char *dspath, const char *name)
{
	size_t a = strlen(dspath), b = strlen(name);
	char *p = st_xrealloc(NULL, a + b + 2, 1);

	memcpy(p, dspath, a);
	memcpy(p + a, name, b);
	p[a + b] = '/';
	p[a + b + 1] = '\0';
	return p;
}

/*
 * Remove the local entry (STORE "entry" NIL or DEFAULT, §6.6.1).  With
 * block, leave an inheritance tombstone hiding the base's entry.
 */
static enum store_err
entry_remove(struct store *st, const struct path_info *pi, const char *dspath,
    int64_t dsid, const char *name, bool block)
{
	struct attr_row old;
	sqlite3_stmt *s;
	enum store_err r;
	int64_t eid, bytes;
	bool blocked;
	char *child;

	if ((r = entry_get(st, dsid, name, &eid, &blocked)) != STORE_OK)
		return r;
	if (eid != 0 && !blocked) {
		if ((r = attr_read(st, eid, "subdataset", &old)) != STORE_OK)
			return r;
		if (old.present && old.kind == STORE_V_MULTI &&
		    multi_has_dot((const unsigned char *)st->oldval.data,
		    st->oldval.len)) {
			child = child_path(dspath, name);
			r = tree_delete(st, child);
			free(child);
			if (r != STORE_OK)
				return r;
		}
		if ((r = entry_bytes(st, eid, &bytes)) != STORE_OK)
			return r;
		st_txn_quota(st, pi, -bytes);
		if ((r = st_audit_entry_attrs(st, dspath, name, eid)) !=
		    STORE_OK)
			return r;
		s = st_stq(st, ST_ATTR_DELETE_ALL);
		sqlite3_bind_int64(s, 1, eid);
		if ((r = st_step_done(st, s)) != STORE_OK)
			return r;
	}
	if (eid != 0 && block) {
		r = entry_set(st, eid, true);
	} else if (eid != 0) {
		s = st_stq(st, ST_ENTRY_DELETE);
		sqlite3_bind_int64(s, 1, eid);
		r = st_step_done(st, s);
		st_txn_quota(st, pi, -(int64_t)strlen(name));
	} else if (block) {
		r = entry_insert(st, pi, dsid, name, true, &eid);
	}
	if (r == STORE_OK)
		r = deleted_put(st, dsid, name);
	/* "entry": its name, a tombstone (NIL) or nothing */
	if (r == STORE_OK)
		r = st_audit_change(st, dspath, name, "entry", "value",
		    eid == 0 ? STORE_V_INHERIT : blocked ? STORE_V_NIL :
		    STORE_V_SINGLE, name, strlen(name), block ? STORE_V_NIL :
		    STORE_V_INHERIT, NULL, 0);
	st_txn_change(st, STORE_CHANGE_ENTRY_REMOVED, dspath, name);
	st_cache_drop(&st->cache, dspath);
	return r;
}

/*
 * Rename an entry (STORE "entry" "<new>", §3.1.1).  The new entry gets the
 * local attributes and, materialised as local values, the inherited ones,
 * so it shows what the old one showed; the old name is logged for
 * DELETEDSINCE and, when the base has an entry of that name, blocked.
 * Returns the new local entry id in *eid_r.
 */
static enum store_err
entry_rename(struct store *st, const struct path_info *pi, const char *dspath,
    int64_t dsid, const char *oldname, const char *newname, int64_t *eid_r)
{
	const struct store_view_ops *vo = st->cfg.view;
	struct store_view *v = NULL;
	const struct store_attr *ia;
	struct attr_row old;
	sqlite3_stmt *s;
	enum store_err r;
	int64_t oeid, neid, eid, bytes;
	bool oblocked, nblocked, base_has, had_dot = false, inherited;
	char *op, *np;
	const void *acl, *val;
	size_t i, vlen;

	if ((r = vo->open(st, dspath, &v)) != STORE_OK)
		return r == STORE_ENOEXIST ? STORE_ENOENT : r;
	if (vo->modtime(v, oldname) == NULL) {
		r = STORE_ENOENT;
		goto out;
	}
	if (vo->modtime(v, newname) != NULL) {
		r = STORE_EEXIST;
		goto out;
	}
	base_has = vo->base_has(v, oldname);
	/* a tombstone under the new name gives way */
	if ((r = entry_get(st, dsid, newname, &neid, &nblocked)) != STORE_OK)
		goto out;
	if (neid != 0) {
		s = st_stq(st, ST_ENTRY_DELETE);
		sqlite3_bind_int64(s, 1, neid);
		if ((r = st_step_done(st, s)) != STORE_OK)
			goto out;
		st_txn_quota(st, pi, -(int64_t)strlen(newname));
	}
	if ((r = entry_get(st, dsid, oldname, &oeid, &oblocked)) != STORE_OK)
		goto out;
	if (oeid != 0 && !oblocked) {
		if ((r = attr_read(st, oeid, "subdataset", &old)) != STORE_OK)
			goto out;
		had_dot = old.present && old.kind == STORE_V_MULTI &&
		    multi_has_dot((const unsigned char *)st->oldval.data,
		    st->oldval.len);
		s = st_stq(st, ST_ENTRY_RENAME);
		sqlite3_bind_int64(s, 1, oeid);
		st_bind_text(s, 2, newname);
		st_bind_text(s, 3, st->txn_modtime);
		if ((r = st_step_done(st, s)) != STORE_OK)
			goto out;
		st_txn_quota(st, pi, (int64_t)strlen(newname) -
		    (int64_t)strlen(oldname));
		eid = oeid;
		if (had_dot) {
			op = child_path(dspath, oldname);
			np = child_path(dspath, newname);
			r = tree_rename(st, op, np);
			free(op);
			free(np);
			if (r != STORE_OK)
				goto out;
		}
	} else if ((r = entry_insert(st, pi, dsid, newname, false, &eid)) !=
	    STORE_OK) {
		goto out;
	}
	for (i = 0; vo->attr(v, oldname, i, &ia, &inherited); i++) {
		if (!inherited || strcmp(ia->name, "subdataset") == 0 ||
		    (ia->kind != STORE_V_SINGLE && ia->kind != STORE_V_MULTI))
			continue;
		if ((r = attr_read(st, eid, ia->name, &old)) != STORE_OK)
			goto out;
		if (ia->kind == STORE_V_SINGLE) {
			val = ia->values[0].s;
			vlen = ia->values[0].len;
		} else {
			encode_multi(&st->val, ia->values, ia->nvalues);
			val = st->val.data;
			vlen = st->val.len;
		}
		acl = old.has_acl ? (st->oldacl.data != NULL ?
		    st->oldacl.data : "") : NULL;
		if ((r = attr_write(st, eid, ia->name, ia->kind, val, vlen,
		    acl, st->oldacl.len, &bytes)) != STORE_OK)
			goto out;
		st_txn_quota(st, pi, bytes - old.bytes);
	}
	if (base_has && (r = entry_insert(st, pi, dsid, oldname, true,
	    &neid)) != STORE_OK)
		goto out;
	if ((r = deleted_put(st, dsid, oldname)) != STORE_OK)
		goto out;
	if ((r = st_audit_change(st, dspath, oldname, "entry", "value",
	    STORE_V_SINGLE, oldname, strlen(oldname), STORE_V_SINGLE, newname,
	    strlen(newname))) != STORE_OK)
		goto out;
	st_txn_change(st, STORE_CHANGE_ENTRY_REMOVED, dspath, oldname);
	st_cache_drop(&st->cache, dspath);
	*eid_r = eid;
out:
	vo->close(&v);
	return r;
}

/* Apply one attribute of a STORE to local entry eid. */
static enum store_err
attr_apply(struct store *st, const struct path_info *pi,
    const struct store_entry_op *op, int64_t dsid, int64_t eid,
    const char *ename, const struct store_attr_op *aop)
{
	struct attr_row old;
	enum store_vkind kind = STORE_V_INHERIT;
	enum store_op vop = aop->value_op;
	const void *v = NULL, *acl = NULL;
	size_t vlen = 0, acllen = 0;
	enum store_err r;
	int64_t bytes = 0, cid;
	bool is_entry = strcmp(aop->name, "entry") == 0, had_dot, has_dot;
	sqlite3_stmt *s;
	char *child;

	if (is_entry)
		vop = STORE_OP_KEEP;
	if (vop == STORE_OP_KEEP && aop->acl_op == STORE_OP_KEEP)
		return STORE_OK;
	if ((r = attr_read(st, eid, aop->name, &old)) != STORE_OK)
		return r;
	switch (vop) {
	case STORE_OP_KEEP:
		if (old.present && !is_entry) {
			kind = old.kind;
			v = st->oldval.data;
			vlen = st->oldval.len;
		}
		break;
	case STORE_OP_SET:
		if (aop->multi) {
			encode_multi(&st->val, aop->values, aop->nvalues);
			kind = STORE_V_MULTI;
			v = st->val.data;
			vlen = st->val.len;
		} else {
			kind = STORE_V_SINGLE;
			v = aop->values[0].s;
			vlen = aop->values[0].len;
		}
		break;
	case STORE_OP_NIL:
		kind = STORE_V_NIL;
		break;
	case STORE_OP_DEFAULT:
		kind = STORE_V_INHERIT;
		break;
	}
	switch (aop->acl_op) {
	case STORE_OP_KEEP:
		if (old.has_acl) {
			acl = st->oldacl.data != NULL ? st->oldacl.data : "";
			acllen = st->oldacl.len;
		}
		break;
	case STORE_OP_SET:
		encode_multi(&st->acl, aop->acl, aop->nacl);
		acl = st->acl.data != NULL ? st->acl.data : "";
		acllen = st->acl.len;
		break;
	default:
		break;
	}
	if (kind == STORE_V_INHERIT && acl == NULL) {
		if (old.present)
			r = attr_delete(st, eid, aop->name);
	} else {
		r = attr_write(st, eid, aop->name, kind, v, vlen, acl, acllen,
		    &bytes);
	}
	if (r != STORE_OK)
		return r;
	st_txn_quota(st, pi, bytes - old.bytes);
	/* the audit trail, in this STORE's savepoint (store-audit.c) */
	if (vop != STORE_OP_KEEP && (r = st_audit_change(st, op->dataset,
	    ename, aop->name, "value", old.present ? old.kind :
	    STORE_V_INHERIT, st->oldval.data, st->oldval.len, kind, v,
	    vlen)) != STORE_OK)
		return r;
	if (aop->acl_op != STORE_OP_KEEP && (r = st_audit_change(st,
	    op->dataset, ename, aop->name, "acl", old.has_acl ?
	    STORE_V_MULTI : STORE_V_INHERIT, st->oldacl.data,
	    st->oldacl.len, acl != NULL ? STORE_V_MULTI : STORE_V_INHERIT,
	    acl, acllen)) != STORE_OK)
		return r;

	if (strcmp(aop->name, "subdataset") == 0 && vop != STORE_OP_KEEP) {
		had_dot = old.present && old.kind == STORE_V_MULTI &&
		    multi_has_dot((const unsigned char *)st->oldval.data,
		    st->oldval.len);
		has_dot = kind == STORE_V_MULTI && multi_has_dot(v, vlen);
		child = child_path(op->dataset, ename);
		if (has_dot) {
			r = ds_ensure(st, child, &cid);
		} else if (had_dot) {
			r = tree_delete(st, child);
		}
		free(child);
		if (r != STORE_OK)
			return r;
	}
	if (strcmp(aop->name, "dataset.inherit") == 0 && ename[0] == '\0' &&
	    vop != STORE_OP_KEEP) {
		/* the entries this dataset shows change without "deleted"
		   rows: DELETEDSINCE cannot reach before now */
		s = st_stq(st, ST_DS_SET_HORIZON);
		sqlite3_bind_int64(s, 1, dsid);
		st_bind_text(s, 2, st->txn_modtime);
		if ((r = st_step_done(st, s)) != STORE_OK)
			return r;
	}
	return STORE_OK;
}

enum store_err
st_apply_entry(struct store *st, const struct store_entry_op *op,
    struct store_result *res)
{
	const struct store_attr_op *eop = NULL;
	const struct store_view_ops *vo = st->cfg.view;
	struct store_view *v = NULL;
	struct path_info pi;
	const char *mt;
	char t[STORE_MODTIME_LEN + 1];
	const char *name = op->entry;
	enum store_err r;
	int64_t dsid, eid = 0;
	bool blocked;
	size_t i;

	res->err.dataset = op->dataset;
	res->err.entry = op->entry;
	res->err.attr = NULL;
	st_path_classify(op->dataset, &pi);
	if (pi.kind == PK_INVALID)
		return STORE_ENOEXIST;
	if (pi.kind != PK_DATASET && pi.kind != PK_BYOWNER)
		return STORE_EPERM;
	if (pi.kind == PK_BYOWNER && op->entry[0] != '\0')
		return STORE_EPERM;	/* templates hold only "" */
	if (st_span_is(pi.class, STORE_AUDIT_CLASS))
		return STORE_EPERM;	/* the audit trail is read-only */
	for (i = 0; i < op->nattrs; i++)
		if (strcmp(op->attrs[i].name, "entry") == 0)
			eop = &op->attrs[i];

	if ((r = st_ds_lookup(st, op->dataset, &dsid, NULL)) != STORE_OK)
		return r;
	if (dsid == 0) {
		if (op->nocreate) {
			/* §6.6.1: only an existing (here: virtual) dataset */
			r = vo->open(st, op->dataset, &v);
			vo->close(&v);
			if (r != STORE_OK)
				return r;
		}
		if ((r = ds_create(st, op->dataset, &dsid)) != STORE_OK)
			return r;
	}
	if (op->unchangedsince != NULL) {
		/*
		 * §6.6.1: the entry's modtime as the client sees it, through
		 * inheritance (§5.1); only this entry of each layer is read,
		 * not the datasets (a create-only STORE into a registry of
		 * N entries would read N per entry written).
		 */
		r = vo->open_entry != NULL ? vo->open_entry(st, op->dataset,
		    op->entry, &v) : vo->open(st, op->dataset, &v);
		if (r != STORE_OK)
			return r;
		st_time_normalize(op->unchangedsince, t);
		mt = vo->modtime(v, op->entry);
		r = mt != NULL && strcmp(mt, t) > 0 ? STORE_EMODIFIED :
		    STORE_OK;
		vo->close(&v);
		if (r != STORE_OK)
			return r;
	}
	if (eop != NULL && eop->value_op == STORE_OP_NIL)
		return entry_remove(st, &pi, op->dataset, dsid, name, true);
	if (eop != NULL && eop->value_op == STORE_OP_DEFAULT)
		return entry_remove(st, &pi, op->dataset, dsid, name, false);
	if (eop != NULL && eop->value_op == STORE_OP_SET &&
	    strcmp(eop->values[0].s, name) != 0) {
		name = eop->values[0].s;
		if ((r = entry_rename(st, &pi, op->dataset, dsid, op->entry,
		    name, &eid)) != STORE_OK) {
			res->err.attr = "entry";
			return r;
		}
	}
	if (eid == 0) {
		if ((r = entry_get(st, dsid, name, &eid, &blocked)) != STORE_OK)
			return r;
		if (eid == 0)
			r = entry_insert(st, &pi, dsid, name, false, &eid);
		if (r != STORE_OK)
			return r;
	}
	for (i = 0; i < op->nattrs; i++) {
		res->err.attr = op->attrs[i].name;
		r = attr_apply(st, &pi, op, dsid, eid, name, &op->attrs[i]);
		if (r != STORE_OK)
			return r;
	}
	res->err.attr = NULL;
	if ((r = entry_set(st, eid, false)) != STORE_OK)
		return r;
	st_txn_change(st, STORE_CHANGE_ENTRY, op->dataset, name);
	st_cache_drop(&st->cache, op->dataset);
	return STORE_OK;
}
