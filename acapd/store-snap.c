/*
 * store-snap.c -- the read side: dataset paths and their classification,
 * snapshots (one allocation per dataset, refcounted, immutable) and the
 * builder that makes them, the LRU cache of snapshots by path, loading
 * a stored dataset, read sections, and the synthesised directory
 * datasets ("/", "/<class>/", "/<class>/<kind>/", "/byowner/<owner>/").
 * Owns: struct store_snap, st->sb, st->cache, the read-section state
 * (st->reading, st->read_txn).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-int.h"

/* ---- Dataset paths ---------------------------------------------------- */

bool
st_span_is(struct span s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static bool
span_owner_kind(struct span s)
{
	return st_span_is(s, "group") || st_span_is(s, "host") || st_span_is(s, "user");
}

/* Components of a canonical path; SIZE_MAX when malformed. */
static size_t
path_split(const char *path, struct span *c, size_t max)
{
	size_t n = 0;
	const char *p, *q;

	if (path[0] != '/')
		return SIZE_MAX;
	for (p = path + 1; *p != '\0'; p = q + 1) {
		q = strchr(p, '/');
		if (q == NULL || q == p || n == max)
			return SIZE_MAX;
		c[n].p = p;
		c[n].n = (size_t)(q - p);
		n++;
	}
	return n;
}

void
st_path_classify(const char *path, struct path_info *pi)
{
	struct span c[MAX_COMPONENTS];
	size_t n;

	memset(pi, 0, sizeof(*pi));
	pi->kind = PK_INVALID;
	n = path_split(path, c, MAX_COMPONENTS);
	if (n == SIZE_MAX)
		return;
	if (n == 0) {
		pi->kind = PK_ROOT;
		return;
	}
	pi->last = c[n - 1];
	if (st_span_is(c[0], "byowner")) {
		if (n == 2 && st_span_is(c[1], "site")) {
			pi->okind = c[1];
			pi->kind = PK_BYOWNER;
		} else if (n == 3 && span_owner_kind(c[1])) {
			pi->okind = c[1];
			pi->oname = c[2];
			pi->kind = PK_BYOWNER;
		}
		return;
	}
	pi->class = c[0];
	if (n == 1) {
		pi->kind = PK_CLASSDIR;
	} else if (st_span_is(c[1], "site")) {
		pi->okind = c[1];
		pi->nrest = n - 2;
		pi->kind = PK_DATASET;
	} else if (span_owner_kind(c[1])) {
		pi->okind = c[1];
		if (n == 2) {
			pi->kind = PK_KINDDIR;
		} else {
			pi->oname = c[2];
			pi->nrest = n - 3;
			pi->kind = PK_DATASET;
		}
	}
}

/*
 * "/byowner/<owner>/<class>/<rest>" -> "/<class>/<owner>/<rest>" (RFC 2244
 * §4.1); other paths are copied.  Returns a malloc'd string.
 */
static char *
path_unbyowner(const char *path)
{
	struct span c[MAX_COMPONENTS];
	struct acap_buf b = ACAP_BUF_INIT;
	size_t n, i, nowner;

	n = path_split(path, c, MAX_COMPONENTS);
	if (n == SIZE_MAX || n < 3 || !st_span_is(c[0], "byowner"))
		return st_xstrdup(path);
	nowner = st_span_is(c[1], "site") ? 1 : 2;
	if (n < 2 + nowner)
		return st_xstrdup(path);
	acap_buf_addch(&b, '/');
	acap_buf_add(&b, c[1 + nowner].p, c[1 + nowner].n);
	acap_buf_addch(&b, '/');
	for (i = 1; i <= nowner; i++) {
		acap_buf_add(&b, c[i].p, c[i].n);
		acap_buf_addch(&b, '/');
	}
	for (i = 2 + nowner; i < n; i++) {
		acap_buf_add(&b, c[i].p, c[i].n);
		acap_buf_addch(&b, '/');
	}
	return b.data;
}

/* "base" + comp + "/" in canonical form (§5.3 inherit rule). */
char *
st_path_child(const char *base, const char *comp, size_t complen)
{
	struct acap_buf b = ACAP_BUF_INIT;
	char *r;

	acap_buf_addstr(&b, base);
	if (b.len == 0 || b.data[b.len - 1] != '/')
		acap_buf_addch(&b, '/');
	acap_buf_add(&b, comp, complen);
	acap_buf_addch(&b, '/');
	r = path_unbyowner(b.data);
	acap_buf_deinit(&b);
	return r;
}

/* Exclusive upper bound of the paths below prefix ("/a/b/" -> "/a/b0"). */
char *
st_path_upper(const char *prefix)
{
	char *u = st_xstrdup(prefix);
	size_t n = strlen(u);

	if (n > 0)
		u[n - 1] = (char)(u[n - 1] + 1);
	return u;
}

/* ---- Snapshots -------------------------------------------------------- */

struct store_snap {
	int refs;
	bool directory;
	int64_t id;			/* dataset.id; 0 for directories */
	const char *path;
	const char *inherit;
	struct store_entry *entries;
	size_t nentries;
	/* entries, attrs, strings and bytes follow in the same block */
};

static void
sb_reset(struct snap_builder *sb)
{
	sb->ne = sb->na = sb->ns = sb->nb = 0;
}

void
st_sb_deinit(struct snap_builder *sb)
{
	free(sb->e);
	free(sb->a);
	free(sb->s);
	free(sb->b);
	memset(sb, 0, sizeof(*sb));
}

/* Copy bytes (plus a NUL) into the byte area; returns the offset. */
static size_t
sb_bytes(struct snap_builder *sb, const void *p, size_t len)
{
	size_t off = sb->nb;

	st_grow((void **)&sb->b, &sb->cb, sb->nb + len + 1, 1);
	if (len > 0)
		memcpy(sb->b + off, p, len);
	sb->b[off + len] = '\0';
	sb->nb += len + 1;
	return off;
}

static void
sb_str(struct snap_builder *sb, const void *p, size_t len)
{
	st_grow((void **)&sb->s, &sb->cs, sb->ns + 1, sizeof(*sb->s));
	sb->s[sb->ns].off = sb_bytes(sb, p, len);
	sb->s[sb->ns].len = len;
	sb->ns++;
}

static void
sb_entry(struct snap_builder *sb, const char *name, size_t namelen,
    const char *modtime, bool blocked)
{
	struct sb_entry *e;

	st_grow((void **)&sb->e, &sb->ce, sb->ne + 1, sizeof(*sb->e));
	e = &sb->e[sb->ne++];
	e->name = sb_bytes(sb, name, namelen);
	e->modtime = sb_bytes(sb, modtime, strlen(modtime));
	e->blocked = blocked;
	e->attr0 = sb->na;
	e->nattrs = 0;
}

/* Multi-value blob: items of 4-octet big-endian length + octets. */
static int
sb_multi(struct snap_builder *sb, const unsigned char *p, size_t len)
{
	size_t n;

	while (len > 0) {
		if (len < 4)
			return -1;
		n = (size_t)p[0] << 24 | (size_t)p[1] << 16 |
		    (size_t)p[2] << 8 | (size_t)p[3];
		if (n > len - 4)
			return -1;
		sb_str(sb, p + 4, n);
		p += 4 + n;
		len -= 4 + n;
	}
	return 0;
}

/* Add an attribute to the last entry.  acl == NULL: no acl metadata. */
static int
sb_attr(struct snap_builder *sb, const char *name, size_t namelen,
    enum store_vkind kind, const void *value, size_t vlen,
    const void *acl, size_t acllen)
{
	struct sb_attr *a;
	size_t i;

	st_grow((void **)&sb->a, &sb->ca, sb->na + 1, sizeof(*sb->a));
	i = sb->na++;
	sb->e[sb->ne - 1].nattrs++;
	a = &sb->a[i];
	a->name = sb_bytes(sb, name, namelen);
	a->kind = kind;
	a->str0 = sb->ns;
	if (kind == STORE_V_SINGLE)
		sb_str(sb, value, vlen);
	else if (kind == STORE_V_MULTI && sb_multi(sb, value, vlen) == -1)
		return -1;
	a = &sb->a[i];
	a->nstr = sb->ns - a->str0;
	a->has_acl = acl != NULL;
	a->acl0 = sb->ns;
	if (acl != NULL && sb_multi(sb, acl, acllen) == -1)
		return -1;
	a = &sb->a[i];
	a->nacl = sb->ns - a->acl0;
	return 0;
}

/* Add an attribute from decoded rows (directory synthesis, copies). */
static void
sb_attr_strs(struct snap_builder *sb, const char *name,
    enum store_vkind kind, const struct store_str *v, size_t nv,
    const struct store_str *acl, size_t nacl)
{
	size_t i, j;

	st_grow((void **)&sb->a, &sb->ca, sb->na + 1, sizeof(*sb->a));
	i = sb->na++;
	sb->e[sb->ne - 1].nattrs++;
	sb->a[i].name = sb_bytes(sb, name, strlen(name));
	sb->a[i].kind = kind;
	sb->a[i].str0 = sb->ns;
	for (j = 0; j < nv; j++)
		sb_str(sb, v[j].s, v[j].len);
	sb->a[i].nstr = nv;
	sb->a[i].has_acl = acl != NULL;
	sb->a[i].acl0 = sb->ns;
	for (j = 0; j < nacl; j++)
		sb_str(sb, acl[j].s, acl[j].len);
	sb->a[i].nacl = acl != NULL ? nacl : 0;
}

static int
entry_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct store_entry *)elem)->name);
}

static int
attr_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct store_attr *)elem)->name);
}

const struct store_entry *
store_snap_find(const struct store_snap *snap, const char *name)
{
	if (snap->nentries == 0)
		return NULL;
	return bsearch(name, snap->entries, snap->nentries,
	    sizeof(snap->entries[0]), entry_cmp);
}

const struct store_attr *
store_entry_attr(const struct store_entry *e, const char *name)
{
	if (e->nattrs == 0)
		return NULL;
	return bsearch(name, e->attrs, e->nattrs, sizeof(e->attrs[0]),
	    attr_cmp);
}

/* One allocation holding the snapshot and everything it points to. */
static struct store_snap *
sb_finish(struct snap_builder *sb, const char *path, int64_t id,
    bool directory)
{
	struct store_snap *snap;
	struct store_entry *ents;
	struct store_attr *attrs;
	struct store_str *strs;
	const struct store_entry *mgmt;
	const struct store_attr *inh;
	char *bytes, *pathcopy;
	size_t i, pathlen = strlen(path), total;

	total = sizeof(*snap) + sb->ne * sizeof(*ents) +
	    sb->na * sizeof(*attrs) + sb->ns * sizeof(*strs) + sb->nb +
	    pathlen + 1;
	snap = st_xrealloc(NULL, 1, total);
	ents = (struct store_entry *)(snap + 1);
	attrs = (struct store_attr *)(ents + sb->ne);
	strs = (struct store_str *)(attrs + sb->na);
	bytes = (char *)(strs + sb->ns);
	pathcopy = bytes + sb->nb;
	if (sb->nb > 0)
		memcpy(bytes, sb->b, sb->nb);
	memcpy(pathcopy, path, pathlen + 1);
	for (i = 0; i < sb->ns; i++) {
		strs[i].s = bytes + sb->s[i].off;
		strs[i].len = sb->s[i].len;
	}
	for (i = 0; i < sb->na; i++) {
		attrs[i].name = bytes + sb->a[i].name;
		attrs[i].kind = sb->a[i].kind;
		attrs[i].values = sb->a[i].nstr > 0 ? &strs[sb->a[i].str0] :
		    NULL;
		attrs[i].nvalues = sb->a[i].nstr;
		if (sb->a[i].has_acl) {
			attrs[i].acl = &strs[sb->a[i].acl0];
			attrs[i].nacl = sb->a[i].nacl;
		} else {
			attrs[i].acl = NULL;
			attrs[i].nacl = 0;
		}
	}
	for (i = 0; i < sb->ne; i++) {
		ents[i].name = bytes + sb->e[i].name;
		ents[i].modtime = bytes + sb->e[i].modtime;
		ents[i].blocked = sb->e[i].blocked;
		ents[i].attrs = sb->e[i].nattrs > 0 ? &attrs[sb->e[i].attr0] :
		    NULL;
		ents[i].nattrs = sb->e[i].nattrs;
	}
	snap->refs = 1;
	snap->directory = directory;
	snap->id = id;
	snap->path = pathcopy;
	snap->entries = ents;
	snap->nentries = sb->ne;
	snap->inherit = NULL;
	if (!directory && (mgmt = store_snap_find(snap, "")) != NULL &&
	    (inh = store_entry_attr(mgmt, "dataset.inherit")) != NULL &&
	    inh->kind == STORE_V_SINGLE)
		snap->inherit = inh->values[0].s;
	return snap;
}

void
store_snap_ref(struct store_snap *snap)
{
	snap->refs++;
}

void
store_snap_unref(struct store_snap **snap_r)
{
	struct store_snap *snap = *snap_r;

	*snap_r = NULL;
	if (snap != NULL && --snap->refs == 0)
		free(snap);
}

const char *
store_snap_path(const struct store_snap *snap)
{
	return snap->path;
}

const struct store_entry *
store_snap_entries(const struct store_snap *snap, size_t *n_r)
{
	*n_r = snap->nentries;
	return snap->entries;
}

const char *
store_snap_inherit(const struct store_snap *snap)
{
	return snap->inherit;
}

bool
store_snap_is_directory(const struct store_snap *snap)
{
	return snap->directory;
}

/* ---- Snapshot cache: path -> snapshot (or "absent"), LRU-bounded ---- */

static uint32_t
hash_path(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

void
st_cache_init(struct cache *c, size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->cap = cap;
	c->head.prev = c->head.next = &c->head;
	if (cap == 0)
		return;
	c->nbuckets = 16;
	while (c->nbuckets < cap)
		c->nbuckets *= 2;
	c->buckets = st_xrealloc(NULL, c->nbuckets, sizeof(*c->buckets));
	memset(c->buckets, 0, c->nbuckets * sizeof(*c->buckets));
}

static void
cache_unlink(struct cache *c, struct cache_node *n)
{
	struct cache_node **pp;

	for (pp = &c->buckets[n->hash & (c->nbuckets - 1)]; *pp != n;
	    pp = &(*pp)->hnext)
		;
	*pp = n->hnext;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	c->count--;
	store_snap_unref(&n->snap);
	free(n->path);
	free(n);
}

static struct cache_node *
cache_find(struct cache *c, const char *path)
{
	struct cache_node *n;
	uint32_t h;

	if (c->cap == 0)
		return NULL;
	h = hash_path(path);
	for (n = c->buckets[h & (c->nbuckets - 1)]; n != NULL; n = n->hnext)
		if (n->hash == h && strcmp(n->path, path) == 0)
			break;
	if (n == NULL)
		return NULL;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = c->head.next;
	n->prev = &c->head;
	c->head.next->prev = n;
	c->head.next = n;
	return n;
}

/* Remember snap (NULL = absent) for path; takes a new reference. */
static void
cache_put(struct cache *c, const char *path, struct store_snap *snap)
{
	struct cache_node *n;
	size_t b;

	if (c->cap == 0)
		return;
	if ((n = cache_find(c, path)) != NULL)
		cache_unlink(c, n);
	if (c->count >= c->cap)
		cache_unlink(c, c->head.prev);
	n = st_xrealloc(NULL, 1, sizeof(*n));
	n->hash = hash_path(path);
	n->path = st_xstrdup(path);
	n->snap = snap;
	if (snap != NULL)
		store_snap_ref(snap);
	b = n->hash & (c->nbuckets - 1);
	n->hnext = c->buckets[b];
	c->buckets[b] = n;
	n->next = c->head.next;
	n->prev = &c->head;
	c->head.next->prev = n;
	c->head.next = n;
	c->count++;
}

void
st_cache_drop(struct cache *c, const char *path)
{
	struct cache_node *n;

	if ((n = cache_find(c, path)) != NULL)
		cache_unlink(c, n);
}

void
st_cache_drop_prefix(struct cache *c, const char *prefix)
{
	struct cache_node *n, *next;
	size_t len = strlen(prefix);

	for (n = c->head.next; n != &c->head; n = next) {
		next = n->next;
		if (strncmp(n->path, prefix, len) == 0)
			cache_unlink(c, n);
	}
}

void
st_cache_clear(struct cache *c)
{
	while (c->head.next != &c->head)
		cache_unlink(c, c->head.next);
}

void
st_cache_deinit(struct cache *c)
{
	if (c->cap == 0)
		return;
	st_cache_clear(c);
	free(c->buckets);
	c->buckets = NULL;
}

/* ---- Loading snapshots --------------------------------------------------- */

enum store_err
st_ds_lookup(struct store *st, const char *path, int64_t *id_r, char *horizon)
{
	sqlite3_stmt *s = st_stq(st, ST_DS_BY_PATH);
	int rc;

	st_bind_text(s, 1, path);
	*id_r = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id_r = sqlite3_column_int64(s, 0);
		if (horizon != NULL)
			snprintf(horizon, STORE_MODTIME_LEN + 1, "%s",
			    (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_db_fail(st, rc);
	return STORE_OK;
}

/*
 * Load a stored dataset by path, or (name not NULL) only its entries ""
 * and name; STORE_ENOEXIST when there is none.
 */
static enum store_err snap_build(struct store *, sqlite3_stmt *,
    const char *, struct store_snap **);

static enum store_err
snap_load(struct store *st, const char *path, const char *name,
    struct store_snap **snap_r)
{
	sqlite3_stmt *s = st_stq(st, name != NULL ? ST_DS_LOAD_ENTRY :
	    ST_DS_LOAD);

	if (name != NULL)
		st->stats.entry_snaps++;
	else
		st->stats.snap_loads++;
	st_bind_text(s, 1, path);
	if (name != NULL)
		st_bind_text(s, 2, name);
	return snap_build(st, s, path, snap_r);
}

/* The rows of a bound ST_DS_LOAD* statement as a snapshot (reset after). */
static enum store_err
snap_build(struct store *st, sqlite3_stmt *s, const char *path,
    struct store_snap **snap_r)
{
	struct snap_builder *sb = &st->sb;
	int64_t id = 0, eid, last = 0;
	const void *acl;
	int rc;

	sb_reset(sb);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) == SQLITE_NULL)
			continue;	/* a dataset without entries */
		eid = sqlite3_column_int64(s, 1);
		if (eid != last || sb->ne == 0) {
			sb_entry(sb, (const char *)sqlite3_column_text(s, 2),
			    (size_t)sqlite3_column_bytes(s, 2),
			    (const char *)sqlite3_column_text(s, 3),
			    sqlite3_column_int(s, 4) != 0);
			last = eid;
		}
		if (sqlite3_column_type(s, 5) == SQLITE_NULL)
			continue;
		acl = NULL;
		if (sqlite3_column_type(s, 8) != SQLITE_NULL) {
			acl = sqlite3_column_blob(s, 8);
			if (acl == NULL)
				acl = "";	/* zero-length blob */
		}
		if (sb_attr(sb, (const char *)sqlite3_column_text(s, 5),
		    (size_t)sqlite3_column_bytes(s, 5),
		    (enum store_vkind)sqlite3_column_int(s, 6),
		    sqlite3_column_blob(s, 7),
		    (size_t)sqlite3_column_bytes(s, 7), acl,
		    (size_t)sqlite3_column_bytes(s, 8)) == -1) {
			sqlite3_reset(s);
			snprintf(st->errbuf, sizeof(st->errbuf),
			    "corrupt multi-value in %s", path);
			return STORE_EIO;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_db_fail(st, rc);
	if (id == 0)
		return STORE_ENOEXIST;
	*snap_r = sb_finish(sb, path, id, false);
	return STORE_OK;
}

/* A stored dataset, through the cache. */
enum store_err
st_stored_snap_get(struct store *st, const char *path, struct store_snap **snap_r)
{
	struct cache_node *n;
	enum store_err r;

	*snap_r = NULL;
	if ((n = cache_find(&st->cache, path)) != NULL) {
		if (n->snap == NULL)
			return STORE_ENOEXIST;
		store_snap_ref(n->snap);
		*snap_r = n->snap;
		return STORE_OK;
	}
	if ((r = snap_load(st, path, NULL, snap_r)) == STORE_ENOEXIST) {
		cache_put(&st->cache, path, NULL);
		return STORE_ENOEXIST;
	}
	if (r != STORE_OK)
		return r;
	cache_put(&st->cache, path, *snap_r);
	return STORE_OK;
}

/*
 * Read sections.  Outside a transaction every SQLite statement is its own
 * WAL read transaction (locks, a look at the WAL index); a SEARCH reads
 * several datasets, so it opens one read transaction for all of them.
 */
void
store_read_begin(struct store *st)
{
	st_commit_wait(st);
	if (st->reading++ > 0 || st->in_txn)
		return;
	st->read_txn = st_step_done(st, st_stq(st, ST_READ_BEGIN)) == STORE_OK;
}

void
store_read_end(struct store *st)
{
	if (st->reading == 0 || --st->reading > 0 || !st->read_txn)
		return;
	st->read_txn = false;
	if (st_step_done(st, st_stq(st, ST_COMMIT)) != STORE_OK)
		st_step_done(st, st_stq(st, ST_ROLLBACK));
}

static const struct store_str dir_dot = { ".", 1 };
static const struct store_str dir_acl = { "anyone\txr", 9 };

/* A directory entry: "entry" carrying the acl, subdataset ("."). */
static int
dir_entry(struct snap_builder *sb, const char *name, size_t len,
    const char *modtime, const void *aclblob, size_t acllen)
{
	char mt[STORE_MODTIME_LEN + 1];

	st_time_normalize(modtime != NULL ? modtime : "0", mt);
	sb_entry(sb, name, len, mt, false);
	if (aclblob != NULL) {
		if (sb_attr(sb, "entry", 5, STORE_V_INHERIT, NULL, 0,
		    aclblob, acllen) == -1 ||
		    sb_attr(sb, "subdataset", 10, STORE_V_MULTI, "\0\0\0\1.", 5,
		    aclblob, acllen) == -1)
			return -1;
	} else {
		sb_attr_strs(sb, "entry", STORE_V_INHERIT, NULL, 0,
		    &dir_acl, 1);
		sb_attr_strs(sb, "subdataset", STORE_V_MULTI, &dir_dot, 1,
		    &dir_acl, 1);
	}
	return 0;
}

/* Synthesise "/", "/<class>/", "/<class>/<kind>/", "/byowner/<owner>/". */
static enum store_err
dir_snap(struct store *st, const char *path, const struct path_info *pi,
    struct store_snap **snap_r)
{
	struct snap_builder *sb = &st->sb;
	struct store_snap *tmpl = NULL;
	const struct store_entry *mgmt;
	sqlite3_stmt *s;
	enum store_err r;
	size_t i;
	int rc;

	st->stats.dir_snaps++;
	if (pi->kind == PK_BYOWNER) {
		/* the template's own "" entry comes first */
		r = st_stored_snap_get(st, path, &tmpl);
		if (r != STORE_OK && r != STORE_ENOEXIST)
			return r;
	}
	sb_reset(sb);
	if (tmpl != NULL && (mgmt = store_snap_find(tmpl, "")) != NULL) {
		sb_entry(sb, "", 0, mgmt->modtime, false);
		for (i = 0; i < mgmt->nattrs; i++)
			sb_attr_strs(sb, mgmt->attrs[i].name,
			    mgmt->attrs[i].kind, mgmt->attrs[i].values,
			    mgmt->attrs[i].nvalues, mgmt->attrs[i].acl,
			    mgmt->attrs[i].nacl);
	}
	store_snap_unref(&tmpl);
	switch (pi->kind) {
	case PK_ROOT:
		s = st_stq(st, ST_DIR_CLASSES);
		break;
	case PK_CLASSDIR:
		s = st_stq(st, ST_DIR_KINDS);
		st_bind_span(s, 1, pi->class);
		break;
	case PK_KINDDIR:
		s = st_stq(st, ST_DIR_OWNERS);
		st_bind_span(s, 1, pi->class);
		st_bind_span(s, 2, pi->okind);
		break;
	default:
		s = st_stq(st, ST_DIR_BYOWNER);
		st_bind_span(s, 1, pi->okind);
		st_bind_span(s, 2, pi->oname);
		break;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const void *acl = NULL;

		if (sqlite3_column_count(s) > 2 &&
		    sqlite3_column_type(s, 2) != SQLITE_NULL)
			acl = sqlite3_column_blob(s, 2);
		if (sqlite3_column_bytes(s, 0) == 0)
			continue;	/* site has no owner name */
		if (dir_entry(sb, (const char *)sqlite3_column_text(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0),
		    (const char *)sqlite3_column_text(s, 1), acl,
		    acl != NULL ? (size_t)sqlite3_column_bytes(s, 2) : 0) ==
		    -1) {
			sqlite3_reset(s);
			snprintf(st->errbuf, sizeof(st->errbuf),
			    "corrupt dataset.acl below %s", path);
			return STORE_EIO;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_db_fail(st, rc);
	if (sb->ne == 0 && pi->kind != PK_ROOT)
		return STORE_ENOEXIST;
	*snap_r = sb_finish(sb, path, 0, true);
	return STORE_OK;
}

/* ---- The audit trail as a dataset (store.h STORE_AUDIT_PATH) --------- */

/* A text column as a single value, when not NULL. */
static void
audit_text(struct snap_builder *sb, const char *name, sqlite3_stmt *s,
    int col)
{
	char an[64];

	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return;
	snprintf(an, sizeof(an), STORE_AUDIT_ATTR "%s", name);
	sb_attr(sb, an, strlen(an), STORE_V_SINGLE, sqlite3_column_blob(s, col),
	    (size_t)sqlite3_column_bytes(s, col), NULL, 0);
}

/* An old/new value: single, multi-value, or nothing (none, NIL). */
static int
audit_value(struct snap_builder *sb, const char *name, sqlite3_stmt *s,
    int kcol)
{
	enum store_vkind kind = (enum store_vkind)sqlite3_column_int(s, kcol);
	const void *v;
	char an[64];

	if ((kind != STORE_V_SINGLE && kind != STORE_V_MULTI) ||
	    sqlite3_column_type(s, kcol + 1) == SQLITE_NULL)
		return 0;	/* none, NIL, or redacted */
	if ((v = sqlite3_column_blob(s, kcol + 1)) == NULL)
		v = "";
	snprintf(an, sizeof(an), STORE_AUDIT_ATTR "%s", name);
	return sb_attr(sb, an, strlen(an), kind, v,
	    (size_t)sqlite3_column_bytes(s, kcol + 1), NULL, 0);
}

/*
 * One entry per record, its attributes in name order: attr, authz,
 * dataset, entry, new, old, op, peer, redacted, session, time, user,
 * what.  The "" entry's empty dataset.acl leaves it to admins (every
 * right whatever the ACL, access.c).
 */
static enum store_err audit_build(struct store *, sqlite3_stmt *,
    const char *, struct store_snap **);

enum store_err
st_audit_snap(struct store *st, const char *path, struct store_snap **snap_r)
{
	size_t plen = strlen(STORE_AUDIT_PATH);
	sqlite3_stmt *s;

	if (strlen(path) == plen) {
		s = st_stq(st, ST_AUDIT_LOAD);
	} else {
		/* "/vendor.acapd.audit/site/email/user/bob/": that dataset */
		s = st_stq(st, ST_AUDIT_LOAD_DS);
		st_bind_text(s, 1, path + plen - 1);
	}
	return audit_build(st, s, path, snap_r);
}

/* The records a bound ST_AUDIT_LOAD* statement selects, as a snapshot. */
static enum store_err
audit_build(struct store *st, sqlite3_stmt *s, const char *path,
    struct store_snap **snap_r)
{
	struct snap_builder *sb = &st->sb;
	static const char *const redsides[] = { "", "old", "new", "both" };
	char name[32];
	int rc = SQLITE_DONE, red, bad = 0;

	sb_reset(sb);
	sb_entry(sb, "", 0, st->last_modtime, false);
	sb_attr(sb, "dataset.acl", 11, STORE_V_MULTI, "", 0, NULL, 0);
	/* not an admin's command: nobody may read the records, skip them */
	while (st->audit_reader && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(name, sizeof(name), "%0*lld", STORE_AUDIT_ID_LEN,
		    (long long)sqlite3_column_int64(s, 0));
		sb_entry(sb, name, strlen(name),
		    (const char *)sqlite3_column_text(s, 1), false);
		audit_text(sb, "attr", s, 9);
		audit_text(sb, "authz", s, 3);
		audit_text(sb, "dataset", s, 7);
		audit_text(sb, "entry", s, 8);
		bad |= audit_value(sb, "new", s, 13);
		bad |= audit_value(sb, "old", s, 11);
		audit_text(sb, "op", s, 6);
		audit_text(sb, "peer", s, 4);
		if ((red = sqlite3_column_int(s, 15)) >= 1 && red <= 3)
			sb_attr(sb, STORE_AUDIT_ATTR "redacted",
			    strlen(STORE_AUDIT_ATTR "redacted"),
			    STORE_V_SINGLE, redsides[red], strlen(redsides[red]),
			    NULL, 0);
		audit_text(sb, "session", s, 5);
		audit_text(sb, "time", s, 1);
		audit_text(sb, "user", s, 2);
		audit_text(sb, "what", s, 10);
	}
	sqlite3_reset(s);
	if (st->audit_reader && rc != SQLITE_DONE)
		return st_db_fail(st, rc);
	if (bad != 0) {
		snprintf(st->errbuf, sizeof(st->errbuf),
		    "corrupt multi-value in the audit trail");
		return STORE_EIO;
	}
	*snap_r = sb_finish(sb, path, 0, false);
	return STORE_OK;
}

bool
store_path_is_directory(const char *path)
{
	struct path_info pi;

	st_path_classify(path, &pi);
	return pi.kind == PK_ROOT || pi.kind == PK_CLASSDIR ||
	    pi.kind == PK_KINDDIR || pi.kind == PK_BYOWNER;
}

enum store_err
store_snap_get(struct store *st, const char *path, struct store_snap **snap_r)
{
	struct path_info pi;

	st_commit_wait(st);
	*snap_r = NULL;
	if (st_pg_refuse(st))
		return STORE_ETRYLATER;
	st_path_classify(path, &pi);
	switch (pi.kind) {
	case PK_DATASET:
		if (strncmp(path, STORE_AUDIT_PATH,
		    strlen(STORE_AUDIT_PATH)) == 0)
			return st_audit_snap(st, path, snap_r);
		if (st_span_is(pi.class, STORE_AUDIT_CLASS))
			return STORE_ENOEXIST;
		return st_stored_snap_get(st, path, snap_r);
	case PK_ROOT:
	case PK_CLASSDIR:
	case PK_KINDDIR:
	case PK_BYOWNER:
		return dir_snap(st, path, &pi, snap_r);
	default:
		return STORE_ENOEXIST;
	}
}

enum store_err
store_snap_get_entry(struct store *st, const char *path, const char *name,
    struct store_snap **snap_r)
{
	struct path_info pi;

	st_commit_wait(st);
	*snap_r = NULL;
	st_path_classify(path, &pi);
	/* the audit trail (STORE_AUDIT_PATH) is in its class */
	if (pi.kind != PK_DATASET || st_span_is(pi.class, STORE_AUDIT_CLASS) ||
	    cache_find(&st->cache, path) != NULL)
		return store_snap_get(st, path, snap_r);
	return snap_load(st, path, name, snap_r);
}

/* A count(*) statement's answer (bound; reset after). */
static enum store_err
count_rows(struct store *st, sqlite3_stmt *s, uint64_t *n_r)
{
	int rc = sqlite3_step(s);

	*n_r = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return st_db_fail(st, rc);
	return STORE_OK;
}

/*
 * The audit record id a page bound stands for: records named after
 * "after" are those with a greater id (names are STORE_AUDIT_ID_LEN
 * digits).  -1 when after is no such name (not served by a range).
 */
static int64_t
audit_after_id(const char *after)
{
	size_t i, len = strlen(after);
	int64_t id = 0;

	if (len == 0)
		return 0;
	if (len != STORE_AUDIT_ID_LEN)
		return -1;
	for (i = 0; i < len; i++) {
		if (after[i] < '0' || after[i] > '9')
			return -1;
		id = id * 10 + (after[i] - '0');
	}
	return id;
}

enum store_err
store_snap_get_range(struct store *st, const char *path, const char *after,
    size_t max, struct store_snap **snap_r, uint64_t *total_r)
{
	struct path_info pi;
	const struct store_entry *ents;
	sqlite3_stmt *s;
	enum store_err r;
	int64_t aid = 0;
	size_t n;
	bool audit;

	st_commit_wait(st);
	*snap_r = NULL;
	*total_r = 0;
	if (st_pg_refuse(st))
		return STORE_ETRYLATER;
	st_path_classify(path, &pi);
	audit = strcmp(path, STORE_AUDIT_PATH) == 0;
	if (pi.kind != PK_DATASET || max == 0 || max > INT32_MAX ||
	    (audit && (aid = audit_after_id(after)) < 0) ||
	    (!audit && st_span_is(pi.class, STORE_AUDIT_CLASS)))
		return STORE_EINVALID;	/* not served by a range read */
	if (audit) {
		s = st_stq(st, ST_AUDIT_LOAD_RANGE);
		sqlite3_bind_int64(s, 1, aid);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
		r = audit_build(st, s, path, snap_r);
	} else {
		st->stats.range_snaps++;
		s = st_stq(st, ST_DS_LOAD_RANGE);
		st_bind_text(s, 1, path);
		st_bind_text(s, 2, after);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)max);
		r = snap_build(st, s, path, snap_r);
	}
	if (r != STORE_OK)
		return r;
	ents = store_snap_entries(*snap_r, &n);
	if (n > 0 && ents[0].name[0] == '\0')
		n--;		/* the "" entry is not in the range */
	*total_r = n;
	if (n < max || (audit && !st->audit_reader))
		return STORE_OK;	/* the range ends in this page */
	if (audit) {
		s = st_stq(st, ST_AUDIT_COUNT_AFTER);
		sqlite3_bind_int64(s, 1, aid);
	} else {
		s = st_stq(st, ST_DS_COUNT_AFTER);
		st_bind_text(s, 1, path);
		st_bind_text(s, 2, after);
	}
	if ((r = count_rows(st, s, total_r)) != STORE_OK)
		store_snap_unref(snap_r);
	return r;
}
