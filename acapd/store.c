/*
 * store.c -- the dataset store over SQLite: migrations, prepared
 * statements, snapshots and their cache, the STORE write path (one
 * transaction per command), the modtime generator, the DELETEDSINCE log
 * and quotas.  Persistence only: no protocol text except the error-code
 * table at the top.  See doc/datasets.md for the data model.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "acap-buf.h"
#include "store.h"

/* Generated from schema/NNN-*.sql (schema/local.mk). */
extern const char *const store_schema_sql[];
extern const size_t store_schema_count;

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

/* ---- Small helpers ---------------------------------------------------- */

static void *
xrealloc(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		abort();
	p = realloc(p, n * size == 0 ? 1 : n * size);
	if (p == NULL)
		abort();
	return p;
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

/* Grow *p (with *cap elements) so that it holds at least need. */
static void
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n;

	if (need <= *cap)
		return;
	n = *cap < 8 ? 8 : *cap;
	while (n < need)
		n *= 2;
	*p = xrealloc(*p, n, size);
	*cap = n;
}

/* ---- Dataset paths ---------------------------------------------------- */

#define MAX_COMPONENTS	64

struct span {
	const char *p;
	size_t n;
};

enum path_kind {
	PK_INVALID,
	PK_ROOT,	/* "/" */
	PK_CLASSDIR,	/* "/<class>/" */
	PK_KINDDIR,	/* "/<class>/<group|host|user>/" */
	PK_BYOWNER,	/* "/byowner/<owner>/" */
	PK_DATASET,	/* "/<class>/<owner>/<rest...>" */
};

struct path_info {
	enum path_kind kind;
	struct span class;
	struct span okind;	/* site, group, host, user */
	struct span oname;	/* empty for site */
	size_t nrest;		/* components after the owner */
	struct span last;	/* last component */
};

static bool
span_is(struct span s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static bool
span_owner_kind(struct span s)
{
	return span_is(s, "group") || span_is(s, "host") || span_is(s, "user");
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

static void
path_classify(const char *path, struct path_info *pi)
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
	if (span_is(c[0], "byowner")) {
		if (n == 2 && span_is(c[1], "site")) {
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
	} else if (span_is(c[1], "site")) {
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
	if (n == SIZE_MAX || n < 3 || !span_is(c[0], "byowner"))
		return xstrdup(path);
	nowner = span_is(c[1], "site") ? 1 : 2;
	if (n < 2 + nowner)
		return xstrdup(path);
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
static char *
path_child(const char *base, const char *comp, size_t complen)
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
static char *
path_upper(const char *prefix)
{
	char *u = xstrdup(prefix);
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

/* Snapshot builder: offsets while loading, pointers after finish. */
struct sb_entry {
	size_t name, modtime;
	bool blocked;
	size_t attr0, nattrs;
};

struct sb_attr {
	size_t name;
	enum store_vkind kind;
	size_t str0, nstr;
	bool has_acl;
	size_t acl0, nacl;
};

struct sb_str {
	size_t off, len;
};

struct snap_builder {
	struct sb_entry *e;
	size_t ne, ce;
	struct sb_attr *a;
	size_t na, ca;
	struct sb_str *s;
	size_t ns, cs;
	char *b;
	size_t nb, cb;
};

static void
sb_reset(struct snap_builder *sb)
{
	sb->ne = sb->na = sb->ns = sb->nb = 0;
}

static void
sb_deinit(struct snap_builder *sb)
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

	grow((void **)&sb->b, &sb->cb, sb->nb + len + 1, 1);
	if (len > 0)
		memcpy(sb->b + off, p, len);
	sb->b[off + len] = '\0';
	sb->nb += len + 1;
	return off;
}

static void
sb_str(struct snap_builder *sb, const void *p, size_t len)
{
	grow((void **)&sb->s, &sb->cs, sb->ns + 1, sizeof(*sb->s));
	sb->s[sb->ns].off = sb_bytes(sb, p, len);
	sb->s[sb->ns].len = len;
	sb->ns++;
}

static void
sb_entry(struct snap_builder *sb, const char *name, size_t namelen,
    const char *modtime, bool blocked)
{
	struct sb_entry *e;

	grow((void **)&sb->e, &sb->ce, sb->ne + 1, sizeof(*sb->e));
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

	grow((void **)&sb->a, &sb->ca, sb->na + 1, sizeof(*sb->a));
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

	grow((void **)&sb->a, &sb->ca, sb->na + 1, sizeof(*sb->a));
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
	snap = xrealloc(NULL, 1, total);
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

struct cache_node {
	struct cache_node *hnext;
	struct cache_node *prev, *next;	/* LRU: head.next is the newest */
	uint32_t hash;
	char *path;
	struct store_snap *snap;	/* NULL: the dataset does not exist */
};

struct cache {
	struct cache_node **buckets;
	size_t nbuckets;		/* power of 2 */
	size_t count, cap;
	struct cache_node head;
};

static uint32_t
hash_path(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
cache_init(struct cache *c, size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->cap = cap;
	c->head.prev = c->head.next = &c->head;
	if (cap == 0)
		return;
	c->nbuckets = 16;
	while (c->nbuckets < cap)
		c->nbuckets *= 2;
	c->buckets = xrealloc(NULL, c->nbuckets, sizeof(*c->buckets));
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
	n = xrealloc(NULL, 1, sizeof(*n));
	n->hash = hash_path(path);
	n->path = xstrdup(path);
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

static void
cache_drop(struct cache *c, const char *path)
{
	struct cache_node *n;

	if ((n = cache_find(c, path)) != NULL)
		cache_unlink(c, n);
}

static void
cache_drop_prefix(struct cache *c, const char *prefix)
{
	struct cache_node *n, *next;
	size_t len = strlen(prefix);

	for (n = c->head.next; n != &c->head; n = next) {
		next = n->next;
		if (strncmp(n->path, prefix, len) == 0)
			cache_unlink(c, n);
	}
}

static void
cache_clear(struct cache *c)
{
	while (c->head.next != &c->head)
		cache_unlink(c, c->head.next);
}

static void
cache_deinit(struct cache *c)
{
	if (c->cap == 0)
		return;
	cache_clear(c);
	free(c->buckets);
	c->buckets = NULL;
}

/* ---- The store -------------------------------------------------------- */

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_META_GET,
	ST_META_SET,
	ST_READ_BEGIN,
	ST_DS_BY_PATH,
	ST_DS_LOAD,
	ST_DS_INSERT,
	ST_DS_SET_HORIZON,
	ST_TREE_LIST,
	ST_TREE_DELETE,
	ST_TREE_RENAME,
	ST_DROPPED_PUT,
	ST_DROPPED_GET,
	ST_ENTRY_GET,
	ST_ENTRY_INSERT,
	ST_ENTRY_SET,
	ST_ENTRY_RENAME,
	ST_ENTRY_DELETE,
	ST_ENTRY_BYTES,
	ST_ATTR_GET,
	ST_ATTR_PUT,
	ST_ATTR_DELETE,
	ST_ATTR_DELETE_ALL,
	ST_DELETED_PUT,
	ST_DELETED_SINCE,
	ST_DELETED_PRUNE,
	ST_DROPPED_PRUNE,
	ST_QUOTA_GET,
	ST_QUOTA_ADD,
	ST_QUOTA_SET_LIMIT,
	ST_DIR_CLASSES,
	ST_DIR_KINDS,
	ST_DIR_OWNERS,
	ST_DIR_BYOWNER,
	ST_COUNT
};

/* Every SQL statement acapd runs on the data, prepared once at open. */
static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	/* one STORE inside a batch (store_batch_apply) */
	[ST_SAVEPOINT] = "SAVEPOINT store",
	[ST_RELEASE] = "RELEASE store",
	[ST_ROLLBACK_TO] = "ROLLBACK TO store",
	[ST_META_GET] = "SELECT value FROM store_meta WHERE key = ?1",
	[ST_META_SET] = "INSERT INTO store_meta (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[ST_READ_BEGIN] = "BEGIN DEFERRED",
	[ST_DS_BY_PATH] = "SELECT id, horizon FROM dataset WHERE path = ?1",
	/* one statement per dataset: the hot path of every SEARCH */
	[ST_DS_LOAD] = "SELECT d.id, e.id, e.name, e.modtime, e.blocked,"
	    " a.name, a.kind, a.value, a.acl FROM dataset d"
	    " LEFT JOIN entry e ON e.dataset_id = d.id"
	    " LEFT JOIN attr a ON a.entry_id = e.id"
	    " WHERE d.path = ?1 ORDER BY e.name, a.name",
	[ST_DS_INSERT] = "INSERT INTO dataset (path, class, owner_kind,"
	    " owner_name, is_root, horizon) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_DS_SET_HORIZON] = "UPDATE dataset SET horizon = ?2 WHERE id = ?1",
	[ST_TREE_LIST] = "SELECT d.path, d.owner_kind, d.owner_name,"
	    " (SELECT COALESCE(SUM(length(CAST(e.name AS BLOB))), 0)"
	    "  FROM entry e WHERE e.dataset_id = d.id) +"
	    " (SELECT COALESCE(SUM(a.bytes), 0) FROM entry e"
	    "  JOIN attr a ON a.entry_id = e.id WHERE e.dataset_id = d.id)"
	    " FROM dataset d WHERE d.path >= ?1 AND d.path < ?2",
	[ST_TREE_DELETE] = "DELETE FROM dataset WHERE path >= ?1 AND path < ?2",
	[ST_TREE_RENAME] = "UPDATE dataset SET path = ?3 || substr(path, ?4)"
	    " WHERE path >= ?1 AND path < ?2",
	[ST_DROPPED_PUT] = "INSERT INTO dropped (path, modtime) VALUES (?1, ?2)"
	    " ON CONFLICT (path) DO UPDATE SET modtime = excluded.modtime",
	[ST_DROPPED_GET] = "SELECT modtime FROM dropped WHERE path = ?1",
	[ST_ENTRY_GET] = "SELECT id, blocked FROM entry"
	    " WHERE dataset_id = ?1 AND name = ?2",
	[ST_ENTRY_INSERT] = "INSERT INTO entry (dataset_id, name, modtime,"
	    " blocked) VALUES (?1, ?2, ?3, ?4)",
	[ST_ENTRY_SET] = "UPDATE entry SET modtime = ?2, blocked = ?3"
	    " WHERE id = ?1",
	[ST_ENTRY_RENAME] = "UPDATE entry SET name = ?2, modtime = ?3"
	    " WHERE id = ?1",
	[ST_ENTRY_DELETE] = "DELETE FROM entry WHERE id = ?1",
	[ST_ENTRY_BYTES] = "SELECT COALESCE(SUM(bytes), 0) FROM attr"
	    " WHERE entry_id = ?1",
	[ST_ATTR_GET] = "SELECT kind, value, acl, bytes FROM attr"
	    " WHERE entry_id = ?1 AND name = ?2",
	[ST_ATTR_PUT] = "INSERT OR REPLACE INTO attr (entry_id, name, kind,"
	    " value, acl, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_ATTR_DELETE] = "DELETE FROM attr WHERE entry_id = ?1 AND name = ?2",
	[ST_ATTR_DELETE_ALL] = "DELETE FROM attr WHERE entry_id = ?1",
	[ST_DELETED_PUT] = "INSERT INTO deleted (dataset_id, name, modtime)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (dataset_id, name)"
	    " DO UPDATE SET modtime = excluded.modtime",
	[ST_DELETED_SINCE] = "SELECT name FROM deleted"
	    " WHERE dataset_id = ?1 AND modtime > ?2 ORDER BY modtime, name",
	[ST_DELETED_PRUNE] = "DELETE FROM deleted WHERE modtime < ?1",
	[ST_DROPPED_PRUNE] = "DELETE FROM dropped WHERE modtime < ?1",
	[ST_QUOTA_GET] = "SELECT usage, limit_bytes FROM quota WHERE user = ?1",
	[ST_QUOTA_ADD] = "INSERT INTO quota (user, usage) VALUES (?1, ?2)"
	    " ON CONFLICT (user) DO UPDATE SET usage = usage + excluded.usage",
	[ST_QUOTA_SET_LIMIT] = "INSERT INTO quota (user, limit_bytes)"
	    " VALUES (?1, ?2) ON CONFLICT (user)"
	    " DO UPDATE SET limit_bytes = excluded.limit_bytes",
	[ST_DIR_CLASSES] = "SELECT class, MAX(horizon) FROM dataset"
	    " WHERE is_root AND class IS NOT NULL"
	    " GROUP BY class ORDER BY class",
	[ST_DIR_KINDS] = "SELECT owner_kind, MAX(horizon) FROM dataset"
	    " WHERE is_root AND class = ?1 GROUP BY owner_kind"
	    " ORDER BY owner_kind",
	[ST_DIR_OWNERS] = "SELECT d.owner_name, d.horizon, a.value"
	    " FROM dataset d"
	    " LEFT JOIN entry e ON e.dataset_id = d.id AND e.name = ''"
	    " LEFT JOIN attr a ON a.entry_id = e.id AND a.name = 'dataset.acl'"
	    "  AND a.kind = 3"
	    " WHERE d.is_root AND d.class = ?1 AND d.owner_kind = ?2"
	    " ORDER BY d.owner_name",
	[ST_DIR_BYOWNER] = "SELECT d.class, d.horizon, a.value FROM dataset d"
	    " LEFT JOIN entry e ON e.dataset_id = d.id AND e.name = ''"
	    " LEFT JOIN attr a ON a.entry_id = e.id AND a.name = 'dataset.acl'"
	    "  AND a.kind = 3"
	    " WHERE d.is_root AND d.owner_kind = ?1 AND d.owner_name = ?2"
	    " AND d.class IS NOT NULL ORDER BY d.class",
};

struct change_rec {
	enum store_change_kind kind;
	char *dataset;
	char *entry;
	char modtime[STORE_MODTIME_LEN + 1];	/* of its STORE */
};

struct quota_delta {
	char *user;
	int64_t delta;
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
	struct store_config cfg;
	char *path;			/* of the database, for reopening */
	enum store_err write_err;	/* STORE_OK, or why writes fail */
	bool exclusive;			/* WAL index in memory (full disk) */
	int (*clock_cb)(struct timespec *);
	char last_modtime[STORE_MODTIME_LEN + 1];
	char deleted_horizon[STORE_MODTIME_LEN + 1];
	store_change_cb *change_cb;
	void *change_arg;
	struct cache cache;
	struct snap_builder sb;
	struct store_stats stats;
	char errbuf[256];
	char *quota_user;

	unsigned int reading;		/* store_read_begin() nesting */
	bool read_txn;			/* a read transaction is open */

	/* the running transaction (a batch of STOREs, store_batch_*()) */
	bool in_txn;
	bool in_callback;		/* the change callback is running */
	enum store_err txn_lost;	/* SQLite rolled the batch back: why */
	size_t nkept;			/* STOREs applied in the batch so far */

	/* the commit thread (store_commit_thread_start) */
	bool cthread;			/* created */
	pthread_t cthr;
	pthread_mutex_t cmu;
	pthread_cond_t ccv;
	bool crequest;			/* a COMMIT for the thread (cmu) */
	bool cquit;			/* the thread is to exit (cmu) */
	int crc;			/* what the COMMIT returned (cmu) */
	int cpipe[2];			/* a byte per finished COMMIT */
	enum { AC_NONE, AC_RUNNING, AC_DONE } async;
	enum store_err async_result;	/* AC_DONE: the batch's result */
	char txn_modtime[STORE_MODTIME_LEN + 1];	/* the STORE's */
	struct change_rec *changes;
	size_t nchanges, cchanges;
	struct quota_delta *qd;
	size_t nqd, cqd;
	struct acap_buf val;		/* scratch: encoded values */
	struct acap_buf acl;
	struct acap_buf oldval;		/* scratch: a row read back */
	struct acap_buf oldacl;
};

/*
 * Why the file system refuses writes to the database, as an errno value,
 * or 0: the database or its WAL not writable (EROFS, EPERM for an
 * immutable file, EACCES), or the file system (nearly) out of space.
 * SQLite does not record errno for a write that fails at COMMIT, when
 * the WAL frames are written, so db_fail() asks here.
 */
static int
write_refusal(const struct store *st)
{
	static const char *const suffix[] = { "", "-wal" };
	char path[4096];
	struct statvfs sv;
	size_t i;

	if (st->path == NULL || strcmp(st->path, ":memory:") == 0)
		return 0;
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", st->path, suffix[i]);
		if (access(path, W_OK) == -1 && errno != ENOENT)
			return errno;
	}
	if (statvfs(st->path, &sv) == 0) {
		if (sv.f_flag & ST_RDONLY)
			return EROFS;
		/* a few blocks may be left when a bigger write failed */
		if ((geteuid() == 0 ? sv.f_bfree : sv.f_bavail) *
		    (uint64_t)sv.f_frsize < 1048576)
			return ENOSPC;
	}
	return 0;
}

static void commit_wait(struct store *st);
static void commit_thread_stop(struct store *st);

static enum store_err
db_fail(struct store *st, int rc)
{
	snprintf(st->errbuf, sizeof(st->errbuf), "%s",
	    st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED ||
	    (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return STORE_ETRYLATER;
	if (st->db != NULL && (rc & 0xff) == SQLITE_IOERR) {
		/* a write refused by the file system says why in errno */
		int e = sqlite3_system_errno(st->db);

		if (e != ENOSPC && e != EDQUOT && e != EROFS && e != EPERM &&
		    e != EACCES)
			e = write_refusal(st);
		if (e != 0) {
			size_t n = strlen(st->errbuf);

			snprintf(st->errbuf + n, sizeof(st->errbuf) - n,
			    " (%s)", strerror(e));
		}
		if (e == ENOSPC || e == EDQUOT)
			return STORE_EFULL;
		if (e == EROFS || e == EPERM || e == EACCES)
			return STORE_EROFS;
	}
	if ((rc & 0xff) == SQLITE_FULL)
		return STORE_EFULL;
	if ((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_PERM ||
	    (rc & 0xff) == SQLITE_CANTOPEN)
		return STORE_EROFS;
	return STORE_EIO;
}

const char *
store_last_error(const struct store *st)
{
	return st->errbuf;
}

/* A prepared statement, reset and unbound. */
static sqlite3_stmt *
stq(struct store *st, enum stmt_id id)
{
	sqlite3_stmt *s = st->stmt[id];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void
bind_text(sqlite3_stmt *s, int i, const char *t)
{
	if (t == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
}

static void
bind_span(sqlite3_stmt *s, int i, struct span sp)
{
	sqlite3_bind_text(s, i, sp.p, (int)sp.n, SQLITE_STATIC);
}

/* Run a statement that returns no rows. */
static enum store_err
step_done(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, rc);
	return STORE_OK;
}

/* ---- Modtimes (RFC 2244 §3.1.1) -------------------------------------- */

static int
default_clock(struct timespec *ts)
{
	return clock_gettime(CLOCK_REALTIME, ts);
}

static void
modtime_format(time_t sec, long usec, char out[STORE_MODTIME_LEN + 1])
{
	struct tm tm;
	char buf[96];

	if (gmtime_r(&sec, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0)
		memset(&tm, 0, sizeof(tm));
	if (usec < 0 || usec > 999999)
		usec = 0;
	snprintf(buf, sizeof(buf), "%04d%02d%02d%02d%02d%02d%06ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, usec);
	memcpy(out, buf, STORE_MODTIME_LEN);
	out[STORE_MODTIME_LEN] = '\0';
}

static void
modtime_now(struct store *st, char out[STORE_MODTIME_LEN + 1])
{
	struct timespec ts;

	if (st->clock_cb(&ts) == -1)
		ts.tv_sec = ts.tv_nsec = 0;
	modtime_format(ts.tv_sec, ts.tv_nsec / 1000, out);
}

/* Add one to a decimal digit string (wraps only past all nines). */
static void
modtime_increment(char *s)
{
	size_t i = strlen(s);

	while (i-- > 0) {
		if (s[i] < '9') {
			s[i]++;
			return;
		}
		s[i] = '0';
	}
}

/* The next modtime: the clock, or last + 1 when the clock lags. */
static void
modtime_next(struct store *st, char out[STORE_MODTIME_LEN + 1])
{
	modtime_now(st, out);
	if (strcmp(out, st->last_modtime) <= 0) {
		memcpy(out, st->last_modtime, STORE_MODTIME_LEN + 1);
		modtime_increment(out);
	}
	memcpy(st->last_modtime, out, STORE_MODTIME_LEN + 1);
}

/* A client time (14+ digits) padded or cut to our fixed width. */
static void
time_normalize(const char *t, char out[STORE_MODTIME_LEN + 1])
{
	size_t i;

	for (i = 0; i < STORE_MODTIME_LEN && t[i] >= '0' && t[i] <= '9'; i++)
		out[i] = t[i];
	for (; i < STORE_MODTIME_LEN; i++)
		out[i] = '0';
	out[STORE_MODTIME_LEN] = '\0';
}

bool
store_time_valid(const char *s, size_t len)
{
	size_t i;

	if (len < 14)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

void
store_modtime_current(const struct store *st, char buf[STORE_MODTIME_LEN + 1])
{
	memcpy(buf, st->last_modtime, STORE_MODTIME_LEN + 1);
}

void
store_set_clock(struct store *st, int (*clock_cb)(struct timespec *))
{
	st->clock_cb = clock_cb != NULL ? clock_cb : default_clock;
}

/* ---- Opening ------------------------------------------------------------ */

static enum store_err
meta_get(struct store *st, const char *key, char *out, size_t outsize)
{
	sqlite3_stmt *s = stq(st, ST_META_GET);
	int rc;

	bind_text(s, 1, key);
	out[0] = '\0';
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(out, outsize, "%s",
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(st, rc);
	return STORE_OK;
}

static enum store_err
meta_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s = stq(st, ST_META_SET);

	bind_text(s, 1, key);
	bind_text(s, 2, value);
	return step_done(st, s);
}

static int
exec_sql(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(st->errbuf, sizeof(st->errbuf), "%s",
		    msg != NULL ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
pragma_int(struct store *st, const char *sql, int *v_r)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	*v_r = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
integrity_check(struct store *st)
{
	sqlite3_stmt *s;
	const char *r;
	int rc, ok = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r = (const char *)sqlite3_column_text(s, 0);
		ok = r != NULL && strcmp(r, "ok") == 0;
		snprintf(st->errbuf, sizeof(st->errbuf), "integrity_check: %s",
		    r != NULL ? r : "?");
	}
	sqlite3_finalize(s);
	return ok ? 0 : -1;
}

/* Apply schema/NNN-*.sql after user_version, each in a transaction. */
static int
migrate(struct store *st)
{
	char sql[64];
	int version;
	size_t i;

	if (pragma_int(st, "PRAGMA user_version", &version) == -1)
		return -1;
	if (version < 0 || (size_t)version > store_schema_count) {
		snprintf(st->errbuf, sizeof(st->errbuf), "database schema "
		    "version %d is newer than this acapd (%zu)", version,
		    store_schema_count);
		return -1;
	}
	for (i = (size_t)version; i < store_schema_count; i++) {
		if (exec_sql(st, "BEGIN IMMEDIATE") == -1)
			return -1;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
		if (exec_sql(st, store_schema_sql[i]) == -1 ||
		    exec_sql(st, sql) == -1 || exec_sql(st, "COMMIT") == -1) {
			char why[sizeof(st->errbuf)];

			/* a failing ROLLBACK would overwrite the cause */
			memcpy(why, st->errbuf, sizeof(why));
			exec_sql(st, "ROLLBACK");
			snprintf(st->errbuf, sizeof(st->errbuf), "cannot upgrade "
			    "the schema to version %zu: %.180s", i + 1, why);
			return -1;
		}
	}
	return 0;
}

static char open_error[256];	/* store_open()'s *errstr_r */

/* A failure that leaves the store readable: degraded, not broken. */
static bool
write_refused(enum store_err err)
{
	return err == STORE_EFULL || err == STORE_EROFS;
}

static void
db_close(sqlite3 *db, sqlite3_stmt **stmt)
{
	int i;

	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(stmt[i]);
	sqlite3_close(db);
}

/*
 * Open st->path into st->db with acapd's settings.  SQLite falls back to
 * a read-only handle by itself when the file cannot be opened for writing
 * (immutable file, read-only mount): sqlite3_db_readonly() tells.  On -1
 * st->errbuf says why; st->db may be set and is the caller's to close.
 */
static int
db_connect(struct store *st)
{
	int rc;

	rc = sqlite3_open_v2(st->path, &st->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		db_fail(st, rc);
		return -1;
	}
	sqlite3_busy_timeout(st->db, st->cfg.busy_timeout_ms > 0 ?
	    st->cfg.busy_timeout_ms : 5000);
	/* before the first access, so that SQLite never creates the -shm */
	if (st->exclusive &&
	    exec_sql(st, "PRAGMA locking_mode = EXCLUSIVE") == -1)
		return -1;
	/* the journal mode is kept in the file: a read-only one has it */
	if ((sqlite3_db_readonly(st->db, "main") != 1 &&
	    exec_sql(st, "PRAGMA journal_mode = WAL") == -1) ||
	    exec_sql(st, "PRAGMA synchronous = FULL") == -1 ||
	    exec_sql(st, "PRAGMA foreign_keys = ON") == -1 ||
	    exec_sql(st, "PRAGMA mmap_size = 268435456") == -1)
		return -1;
	return 0;
}

static int
db_prepare(struct store *st)
{
	int rc, i;

	for (i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			db_fail(st, rc);
			return -1;
		}
	}
	return 0;
}

/*
 * The writes of a start, which also show whether the database takes
 * writes at all: the modtime (the first one of a new database, else the
 * current value again) and the DELETEDSINCE pruning.  Sets write_err.
 */
static enum store_err
start_writes(struct store *st)
{
	enum store_err r = STORE_OK;
	int e;

	if (sqlite3_db_readonly(st->db, "main") == 1) {
		e = write_refusal(st);
		snprintf(st->errbuf, sizeof(st->errbuf), "the database file "
		    "could only be opened read-only%s%s", e != 0 ? ": " : "",
		    e != 0 ? strerror(e) : "");
		r = STORE_EROFS;
	}
	if (r == STORE_OK)
		r = meta_set(st, "modtime", st->last_modtime);
	if (r == STORE_OK)
		r = store_maintain(st);
	if (r == STORE_OK || write_refused(r))
		st->write_err = r;
	return r;
}

/*
 * PRAGMA journal_mode = mode; the pragma answers the mode it ended in,
 * without an error when it could not change.
 */
static int
journal_mode(struct store *st, const char *mode)
{
	char sql[64], got[16] = "";
	sqlite3_stmt *s;

	snprintf(sql, sizeof(sql), "PRAGMA journal_mode = %s", mode);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		db_fail(st, sqlite3_errcode(st->db));
		return -1;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(got, sizeof(got), "%s",
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (strcasecmp(got, mode) != 0) {
		snprintf(st->errbuf, sizeof(st->errbuf), "journal mode %s "
		    "refused (%s): %s", mode, got, sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

/*
 * A WAL-mode handle in exclusive locking mode keeps its WAL index in
 * memory and locks other processes out.  SQLite leaves that mode only
 * through another journal mode; each step needs writes to work.
 */
static int
leave_exclusive(struct store *st)
{
	int version;

	if (journal_mode(st, "delete") == -1 ||
	    exec_sql(st, "PRAGMA locking_mode = NORMAL") == -1 ||
	    journal_mode(st, "wal") == -1)
		return -1;
	/* the exclusive lock goes at the next access: make one */
	if (pragma_int(st, "PRAGMA user_version", &version) == -1)
		return -1;
	st->exclusive = false;
	return 0;
}

/*
 * Replace a handle SQLite opened read-only by a read-write one once the
 * file takes writes again (chattr -i, remount).  The schema was current
 * when the old handle was opened.  The old handle stays when the new one
 * is read-only too or fails.
 */
static int
reopen(struct store *st)
{
	sqlite3 *old = st->db;
	sqlite3_stmt *old_stmt[ST_COUNT];

	memcpy(old_stmt, st->stmt, sizeof(old_stmt));
	memset(st->stmt, 0, sizeof(st->stmt));
	st->db = NULL;
	if (db_connect(st) == 0 && sqlite3_db_readonly(st->db, "main") != 1 &&
	    db_prepare(st) == 0) {
		db_close(old, old_stmt);
		return 0;
	}
	db_close(st->db, st->stmt);
	st->db = old;
	memcpy(st->stmt, old_stmt, sizeof(old_stmt));
	return -1;
}

/* Open the handle and read what the store keeps in memory. */
static int
open_read(struct store *st)
{
	char buf[64];

	if (db_connect(st) == -1)
		return -1;
	if (st->cfg.integrity_check && integrity_check(st) == -1)
		return -1;
	/* an old schema needs writes: no degraded start then */
	if (migrate(st) == -1 || db_prepare(st) == -1)
		return -1;
	if (meta_get(st, "modtime", buf, sizeof(buf)) != STORE_OK ||
	    meta_get(st, "deleted_horizon", st->deleted_horizon,
	    sizeof(st->deleted_horizon)) != STORE_OK)
		return -1;
	if (strlen(buf) == STORE_MODTIME_LEN) {
		memcpy(st->last_modtime, buf, STORE_MODTIME_LEN + 1);
	} else {
		/* SEARCH reports this value before any STORE: keep it, so a
		   restart with the clock behind never reports less */
		modtime_now(st, st->last_modtime);
	}
	if (strlen(st->deleted_horizon) != STORE_MODTIME_LEN)
		time_normalize("0", st->deleted_horizon);
	return 0;
}

int
store_open(const struct store_config *cfg, struct store **store_r,
    const char **errstr_r)
{
	struct store *st;
	enum store_err r;

	*store_r = NULL;
	if (cfg->view == NULL) {
		*errstr_r = "no effective view for the write path "
		    "(store_config.view)";
		return -1;
	}
	st = xrealloc(NULL, 1, sizeof(*st));
	memset(st, 0, sizeof(*st));
	st->cfg = *cfg;
	st->cfg.path = NULL;
	st->path = xstrdup(cfg->path);
	st->clock_cb = cfg->clock_cb != NULL ? cfg->clock_cb : default_clock;
	acap_buf_init(&st->val);
	acap_buf_init(&st->acl);
	acap_buf_init(&st->oldval);
	acap_buf_init(&st->oldacl);
	cache_init(&st->cache, cfg->cache_datasets);

	if (open_read(st) == -1) {
		int e = write_refusal(st);

		/* no room for the WAL index (-shm): keep it in memory */
		if (e != ENOSPC && e != EDQUOT)
			goto fail;
		db_close(st->db, st->stmt);
		st->db = NULL;
		memset(st->stmt, 0, sizeof(st->stmt));
		st->exclusive = true;
		if (open_read(st) == -1)
			goto fail;
	}
	if ((r = start_writes(st)) != STORE_OK && !write_refused(r))
		goto fail;
	if (st->exclusive) {
		size_t n = strlen(st->errbuf);

		snprintf(st->errbuf + n, sizeof(st->errbuf) - n, " (WAL "
		    "index in memory: other processes cannot open the "
		    "database meanwhile)");
	}
	*store_r = st;
	return 0;
fail:
	/* the store goes away: keep its message in static storage */
	snprintf(open_error, sizeof(open_error), "%s",
	    st->errbuf[0] != '\0' ? st->errbuf : "cannot open the store");
	*errstr_r = open_error;
	store_free(&st);
	return -1;
}

enum store_err
store_write_state(const struct store *st)
{
	return st->write_err;
}

enum store_err
store_retry_writes(struct store *st)
{
	enum store_err r;

	commit_wait(st);
	if (st->write_err == STORE_OK && !st->exclusive)
		return STORE_OK;
	if (st->in_txn || st->in_callback || st->reading > 0)
		return st->write_err;
	if (sqlite3_db_readonly(st->db, "main") == 1 && reopen(st) == -1) {
		int e = write_refusal(st);

		snprintf(st->errbuf, sizeof(st->errbuf), "the database file "
		    "is still read-only%s%s", e != 0 ? ": " : "",
		    e != 0 ? strerror(e) : "");
		return STORE_EROFS;
	}
	if ((r = start_writes(st)) != STORE_OK)
		return r;
	/* writes work: the WAL index goes back to shared memory */
	if (st->exclusive && leave_exclusive(st) == -1)
		return STORE_ETRYLATER;
	return STORE_OK;
}

void
store_free(struct store **store_r)
{
	struct store *st = *store_r;

	if (st == NULL)
		return;
	*store_r = NULL;
	commit_thread_stop(st);
	cache_deinit(&st->cache);
	sb_deinit(&st->sb);
	db_close(st->db, st->stmt);
	free(st->path);
	free(st->changes);
	free(st->qd);
	free(st->quota_user);
	acap_buf_deinit(&st->val);
	acap_buf_deinit(&st->acl);
	acap_buf_deinit(&st->oldval);
	acap_buf_deinit(&st->oldacl);
	free(st);
}

void
store_set_change_cb(struct store *st, store_change_cb *cb, void *arg)
{
	st->change_cb = cb;
	st->change_arg = arg;
}

enum store_err
store_maintain(struct store *st)
{
	char cutoff[STORE_MODTIME_LEN + 1];
	struct timespec ts;
	sqlite3_stmt *s;
	enum store_err r;

	commit_wait(st);
	if (st->cfg.deleted_retention == 0)
		return STORE_OK;
	if (st->clock_cb(&ts) == -1)
		return STORE_OK;
	modtime_format(ts.tv_sec - (time_t)st->cfg.deleted_retention,
	    ts.tv_nsec / 1000, cutoff);
	if (strcmp(cutoff, st->deleted_horizon) <= 0)
		return STORE_OK;
	if ((r = step_done(st, stq(st, ST_BEGIN))) != STORE_OK)
		return r;
	s = stq(st, ST_DELETED_PRUNE);
	bind_text(s, 1, cutoff);
	if ((r = step_done(st, s)) == STORE_OK) {
		s = stq(st, ST_DROPPED_PRUNE);
		bind_text(s, 1, cutoff);
		r = step_done(st, s);
	}
	if (r == STORE_OK)
		r = meta_set(st, "deleted_horizon", cutoff);
	if (r == STORE_OK)
		r = step_done(st, stq(st, ST_COMMIT));
	if (r != STORE_OK) {
		char why[sizeof(st->errbuf)];

		/* SQLite may have rolled back already: keep the cause */
		memcpy(why, st->errbuf, sizeof(why));
		step_done(st, stq(st, ST_ROLLBACK));
		memcpy(st->errbuf, why, sizeof(why));
		return r;
	}
	memcpy(st->deleted_horizon, cutoff, sizeof(cutoff));
	return STORE_OK;
}

/* ---- Loading snapshots --------------------------------------------------- */

static enum store_err
ds_lookup(struct store *st, const char *path, int64_t *id_r, char *horizon)
{
	sqlite3_stmt *s = stq(st, ST_DS_BY_PATH);
	int rc;

	bind_text(s, 1, path);
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
		return db_fail(st, rc);
	return STORE_OK;
}

/* Load a stored dataset by path; STORE_ENOEXIST when there is none. */
static enum store_err
snap_load(struct store *st, const char *path, struct store_snap **snap_r)
{
	struct snap_builder *sb = &st->sb;
	sqlite3_stmt *s = stq(st, ST_DS_LOAD);
	int64_t id = 0, eid, last = 0;
	const void *acl;
	int rc;

	sb_reset(sb);
	bind_text(s, 1, path);
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
		return db_fail(st, rc);
	if (id == 0)
		return STORE_ENOEXIST;
	*snap_r = sb_finish(sb, path, id, false);
	return STORE_OK;
}

/* A stored dataset, through the cache. */
static enum store_err
stored_snap_get(struct store *st, const char *path, struct store_snap **snap_r)
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
	if ((r = snap_load(st, path, snap_r)) == STORE_ENOEXIST) {
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
	commit_wait(st);
	if (st->reading++ > 0 || st->in_txn)
		return;
	st->read_txn = step_done(st, stq(st, ST_READ_BEGIN)) == STORE_OK;
}

void
store_read_end(struct store *st)
{
	if (st->reading == 0 || --st->reading > 0 || !st->read_txn)
		return;
	st->read_txn = false;
	if (step_done(st, stq(st, ST_COMMIT)) != STORE_OK)
		step_done(st, stq(st, ST_ROLLBACK));
}

static const struct store_str dir_dot = { ".", 1 };
static const struct store_str dir_acl = { "anyone\txr", 9 };

/* A directory entry: "entry" carrying the acl, subdataset ("."). */
static int
dir_entry(struct snap_builder *sb, const char *name, size_t len,
    const char *modtime, const void *aclblob, size_t acllen)
{
	char mt[STORE_MODTIME_LEN + 1];

	time_normalize(modtime != NULL ? modtime : "0", mt);
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
		r = stored_snap_get(st, path, &tmpl);
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
		s = stq(st, ST_DIR_CLASSES);
		break;
	case PK_CLASSDIR:
		s = stq(st, ST_DIR_KINDS);
		bind_span(s, 1, pi->class);
		break;
	case PK_KINDDIR:
		s = stq(st, ST_DIR_OWNERS);
		bind_span(s, 1, pi->class);
		bind_span(s, 2, pi->okind);
		break;
	default:
		s = stq(st, ST_DIR_BYOWNER);
		bind_span(s, 1, pi->okind);
		bind_span(s, 2, pi->oname);
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
		return db_fail(st, rc);
	if (sb->ne == 0 && pi->kind != PK_ROOT)
		return STORE_ENOEXIST;
	*snap_r = sb_finish(sb, path, 0, true);
	return STORE_OK;
}

bool
store_path_is_directory(const char *path)
{
	struct path_info pi;

	path_classify(path, &pi);
	return pi.kind == PK_ROOT || pi.kind == PK_CLASSDIR ||
	    pi.kind == PK_KINDDIR || pi.kind == PK_BYOWNER;
}

void
store_get_stats(const struct store *st, struct store_stats *stats_r)
{
	*stats_r = st->stats;
}

enum store_err
store_snap_get(struct store *st, const char *path, struct store_snap **snap_r)
{
	struct path_info pi;

	commit_wait(st);
	*snap_r = NULL;
	path_classify(path, &pi);
	switch (pi.kind) {
	case PK_DATASET:
		return stored_snap_get(st, path, snap_r);
	case PK_ROOT:
	case PK_CLASSDIR:
	case PK_KINDDIR:
	case PK_BYOWNER:
		return dir_snap(st, path, &pi, snap_r);
	default:
		return STORE_ENOEXIST;
	}
}

/* ---- Write path helpers (inside a transaction) ------------------------- */

static void
txn_change(struct store *st, enum store_change_kind kind, const char *ds,
    const char *entry)
{
	struct change_rec *c;

	grow((void **)&st->changes, &st->cchanges, st->nchanges + 1,
	    sizeof(*st->changes));
	c = &st->changes[st->nchanges++];
	c->kind = kind;
	c->dataset = xstrdup(ds);
	c->entry = entry != NULL ? xstrdup(entry) : NULL;
	memcpy(c->modtime, st->txn_modtime, sizeof(c->modtime));
}

/* Forget the changes recorded from index from on (a STORE rolled back). */
static void
txn_changes_truncate(struct store *st, size_t from)
{
	while (st->nchanges > from) {
		st->nchanges--;
		free(st->changes[st->nchanges].dataset);
		free(st->changes[st->nchanges].entry);
	}
}

/* Forget the quota deltas (charged, or rolled back with their STORE). */
static void
txn_quota_reset(struct store *st)
{
	size_t i;

	for (i = 0; i < st->nqd; i++)
		free(st->qd[i].user);
	st->nqd = 0;
}

static void
txn_quota_user(struct store *st, const char *user, size_t len, int64_t delta)
{
	size_t i;

	if (delta == 0)
		return;
	for (i = 0; i < st->nqd; i++)
		if (strlen(st->qd[i].user) == len &&
		    memcmp(st->qd[i].user, user, len) == 0) {
			st->qd[i].delta += delta;
			return;
		}
	grow((void **)&st->qd, &st->cqd, st->nqd + 1, sizeof(*st->qd));
	st->qd[st->nqd].user = xrealloc(NULL, len + 1, 1);
	memcpy(st->qd[st->nqd].user, user, len);
	st->qd[st->nqd].user[len] = '\0';
	st->qd[st->nqd].delta = delta;
	st->nqd++;
}

/* Charge delta bytes to the owner of the dataset (users only). */
static void
txn_quota(struct store *st, const struct path_info *pi, int64_t delta)
{
	if ((pi->kind == PK_DATASET || pi->kind == PK_BYOWNER) &&
	    span_is(pi->okind, "user"))
		txn_quota_user(st, pi->oname.p, pi->oname.n, delta);
}

static void
txn_reset(struct store *st)
{
	txn_changes_truncate(st, 0);
	txn_quota_reset(st);
	st->in_txn = false;
	st->txn_lost = STORE_OK;
	st->nkept = 0;
}

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
	sqlite3_stmt *s = stq(st, ST_ATTR_GET);
	int rc;

	memset(r, 0, sizeof(*r));
	acap_buf_reset(&st->oldval);
	acap_buf_reset(&st->oldacl);
	sqlite3_bind_int64(s, 1, eid);
	bind_text(s, 2, name);
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
		return db_fail(st, rc);
	return STORE_OK;
}

/* Write a row; *bytes_r gets what it costs toward the quota. */
static enum store_err
attr_write(struct store *st, int64_t eid, const char *name,
    enum store_vkind kind, const void *value, size_t vlen, const void *acl,
    size_t acllen, int64_t *bytes_r)
{
	sqlite3_stmt *s = stq(st, ST_ATTR_PUT);

	*bytes_r = (int64_t)(strlen(name) + vlen + (acl != NULL ? acllen : 0));
	sqlite3_bind_int64(s, 1, eid);
	bind_text(s, 2, name);
	sqlite3_bind_int(s, 3, (int)kind);
	if (kind == STORE_V_SINGLE || kind == STORE_V_MULTI)
		sqlite3_bind_blob(s, 4, vlen > 0 ? value : "", (int)vlen,
		    SQLITE_STATIC);
	if (acl != NULL)
		sqlite3_bind_blob(s, 5, acllen > 0 ? acl : "", (int)acllen,
		    SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, *bytes_r);
	return step_done(st, s);
}

static enum store_err
attr_delete(struct store *st, int64_t eid, const char *name)
{
	sqlite3_stmt *s = stq(st, ST_ATTR_DELETE);

	sqlite3_bind_int64(s, 1, eid);
	bind_text(s, 2, name);
	return step_done(st, s);
}

static enum store_err
entry_get(struct store *st, int64_t dsid, const char *name, int64_t *eid_r,
    bool *blocked_r)
{
	sqlite3_stmt *s = stq(st, ST_ENTRY_GET);
	int rc;

	sqlite3_bind_int64(s, 1, dsid);
	bind_text(s, 2, name);
	*eid_r = 0;
	*blocked_r = false;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*eid_r = sqlite3_column_int64(s, 0);
		*blocked_r = sqlite3_column_int(s, 1) != 0;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(st, rc);
	return STORE_OK;
}

static enum store_err
entry_insert(struct store *st, const struct path_info *pi, int64_t dsid,
    const char *name, bool blocked, int64_t *eid_r)
{
	sqlite3_stmt *s = stq(st, ST_ENTRY_INSERT);
	enum store_err r;

	sqlite3_bind_int64(s, 1, dsid);
	bind_text(s, 2, name);
	bind_text(s, 3, st->txn_modtime);
	sqlite3_bind_int(s, 4, blocked);
	if ((r = step_done(st, s)) != STORE_OK)
		return r;
	*eid_r = sqlite3_last_insert_rowid(st->db);
	txn_quota(st, pi, (int64_t)strlen(name));
	return STORE_OK;
}

static enum store_err
entry_set(struct store *st, int64_t eid, bool blocked)
{
	sqlite3_stmt *s = stq(st, ST_ENTRY_SET);

	sqlite3_bind_int64(s, 1, eid);
	bind_text(s, 2, st->txn_modtime);
	sqlite3_bind_int(s, 3, blocked);
	return step_done(st, s);
}

static enum store_err
entry_bytes(struct store *st, int64_t eid, int64_t *bytes_r)
{
	sqlite3_stmt *s = stq(st, ST_ENTRY_BYTES);
	int rc;

	sqlite3_bind_int64(s, 1, eid);
	rc = sqlite3_step(s);
	*bytes_r = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return db_fail(st, rc);
	return STORE_OK;
}

static enum store_err
deleted_put(struct store *st, int64_t dsid, const char *name)
{
	sqlite3_stmt *s = stq(st, ST_DELETED_PUT);

	sqlite3_bind_int64(s, 1, dsid);
	bind_text(s, 2, name);
	bind_text(s, 3, st->txn_modtime);
	return step_done(st, s);
}

/* Delete every dataset at or below prefix (a subdataset set to NIL). */
static enum store_err
tree_delete(struct store *st, const char *prefix)
{
	struct path_info pi;
	sqlite3_stmt *s;
	enum store_err r = STORE_OK;
	char *upper = path_upper(prefix);
	const char *p;
	int rc;

	s = stq(st, ST_TREE_LIST);
	bind_text(s, 1, prefix);
	bind_text(s, 2, upper);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		p = (const char *)sqlite3_column_text(s, 0);
		path_classify(p, &pi);
		txn_quota(st, &pi, -sqlite3_column_int64(s, 3));
		txn_change(st, STORE_CHANGE_DATASET_REMOVED, p, NULL);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		r = db_fail(st, rc);
	if (r == STORE_OK) {
		s = stq(st, ST_TREE_DELETE);
		bind_text(s, 1, prefix);
		bind_text(s, 2, upper);
		r = step_done(st, s);
	}
	if (r == STORE_OK) {
		/* inheritors of these lost entries without a "deleted" row */
		s = stq(st, ST_DROPPED_PUT);
		bind_text(s, 1, prefix);
		bind_text(s, 2, st->txn_modtime);
		r = step_done(st, s);
	}
	cache_drop_prefix(&st->cache, prefix);
	free(upper);
	return r;
}

/* Move every dataset at or below oldp to newp (an entry rename). */
static enum store_err
tree_rename(struct store *st, const char *oldp, const char *newp)
{
	sqlite3_stmt *s;
	enum store_err r = STORE_OK;
	char *upper = path_upper(oldp);
	struct acap_buf np = ACAP_BUF_INIT;
	const char *p;
	int rc;

	s = stq(st, ST_TREE_LIST);
	bind_text(s, 1, oldp);
	bind_text(s, 2, upper);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		p = (const char *)sqlite3_column_text(s, 0);
		acap_buf_reset(&np);
		acap_buf_addstr(&np, newp);
		acap_buf_addstr(&np, p + strlen(oldp));
		txn_change(st, STORE_CHANGE_DATASET_REMOVED, p, NULL);
		txn_change(st, STORE_CHANGE_DATASET_CREATED, np.data, NULL);
		cache_drop(&st->cache, np.data);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		r = db_fail(st, rc);
	if (r == STORE_OK) {
		s = stq(st, ST_TREE_RENAME);
		bind_text(s, 1, oldp);
		bind_text(s, 2, upper);
		bind_text(s, 3, newp);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)strlen(oldp) + 1);
		r = step_done(st, s);
	}
	if (r == STORE_OK) {
		s = stq(st, ST_DROPPED_PUT);
		bind_text(s, 1, oldp);
		bind_text(s, 2, st->txn_modtime);
		r = step_done(st, s);
	}
	cache_drop_prefix(&st->cache, oldp);
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

	path_classify(dspath, &pi);
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
	txn_quota(st, &pi, bytes - old.bytes);
	if ((r = entry_set(st, eid, false)) != STORE_OK)
		return r;
	txn_change(st, STORE_CHANGE_ENTRY, dspath, comp);
	cache_drop(&st->cache, dspath);
	return STORE_OK;
}

/* The default ACL of a dataset owned by okind/oname without a template. */
static void
default_acl(const struct path_info *pi, struct acap_buf *b)
{
	struct acap_buf item = ACAP_BUF_INIT;
	struct store_str s;

	if (span_is(pi->okind, "user")) {
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

	if ((r = ds_lookup(st, path, id_r, NULL)) != STORE_OK || *id_r != 0)
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
			    path_child(a->values[0].s, comp, complen) :
			    xstrdup(a->values[0].s);
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
		txn_quota(st, pi, bytes);
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
	if (stored_snap_get(st, base, &snap) != STORE_OK)
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

	path_classify(path, &pi);
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
		r = stored_snap_get(st, tpath.data, &src);
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
			r = stored_snap_get(st, parent, &src);
	}
	if (r != STORE_OK)
		goto out;

	s = stq(st, ST_DS_INSERT);
	bind_text(s, 1, path);
	if (pi.kind == PK_DATASET)
		bind_span(s, 2, pi.class);
	bind_span(s, 3, pi.okind);
	if (pi.oname.n > 0)
		bind_span(s, 4, pi.oname);
	else
		bind_text(s, 4, "");
	sqlite3_bind_int(s, 5, pi.kind == PK_BYOWNER || pi.nrest == 0);
	bind_text(s, 6, st->txn_modtime);
	if ((r = step_done(st, s)) != STORE_OK)
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
		txn_quota(st, &pi, bytes);
	}
	if (mgmt == NULL && !have_inherit && (span_is(pi.okind, "user") ||
	    span_is(pi.okind, "group"))) {
		inh = comp != NULL ?
		    path_child("/byowner/site/", comp, complen) :
		    xstrdup("/byowner/site/");
		if (default_base_ok(st, &pi, inh)) {
			r = attr_write(st, eid, "dataset.inherit",
			    STORE_V_SINGLE, inh, strlen(inh), NULL, 0, &bytes);
			if (r != STORE_OK)
				goto out;
			txn_quota(st, &pi, bytes);
		}
	}
	if (parent != NULL && (r = ensure_dot(st, parent, pid, comp)) !=
	    STORE_OK)
		goto out;
	txn_change(st, STORE_CHANGE_DATASET_CREATED, path, NULL);
	txn_change(st, STORE_CHANGE_ENTRY, path, "");
	cache_drop(&st->cache, path);
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
	char *p = xrealloc(NULL, a + b + 2, 1);

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
		txn_quota(st, pi, -bytes);
		s = stq(st, ST_ATTR_DELETE_ALL);
		sqlite3_bind_int64(s, 1, eid);
		if ((r = step_done(st, s)) != STORE_OK)
			return r;
	}
	if (eid != 0 && block) {
		r = entry_set(st, eid, true);
	} else if (eid != 0) {
		s = stq(st, ST_ENTRY_DELETE);
		sqlite3_bind_int64(s, 1, eid);
		r = step_done(st, s);
		txn_quota(st, pi, -(int64_t)strlen(name));
	} else if (block) {
		r = entry_insert(st, pi, dsid, name, true, &eid);
	}
	if (r == STORE_OK)
		r = deleted_put(st, dsid, name);
	txn_change(st, STORE_CHANGE_ENTRY_REMOVED, dspath, name);
	cache_drop(&st->cache, dspath);
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
		s = stq(st, ST_ENTRY_DELETE);
		sqlite3_bind_int64(s, 1, neid);
		if ((r = step_done(st, s)) != STORE_OK)
			goto out;
		txn_quota(st, pi, -(int64_t)strlen(newname));
	}
	if ((r = entry_get(st, dsid, oldname, &oeid, &oblocked)) != STORE_OK)
		goto out;
	if (oeid != 0 && !oblocked) {
		if ((r = attr_read(st, oeid, "subdataset", &old)) != STORE_OK)
			goto out;
		had_dot = old.present && old.kind == STORE_V_MULTI &&
		    multi_has_dot((const unsigned char *)st->oldval.data,
		    st->oldval.len);
		s = stq(st, ST_ENTRY_RENAME);
		sqlite3_bind_int64(s, 1, oeid);
		bind_text(s, 2, newname);
		bind_text(s, 3, st->txn_modtime);
		if ((r = step_done(st, s)) != STORE_OK)
			goto out;
		txn_quota(st, pi, (int64_t)strlen(newname) -
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
		txn_quota(st, pi, bytes - old.bytes);
	}
	if (base_has && (r = entry_insert(st, pi, dsid, oldname, true,
	    &neid)) != STORE_OK)
		goto out;
	if ((r = deleted_put(st, dsid, oldname)) != STORE_OK)
		goto out;
	txn_change(st, STORE_CHANGE_ENTRY_REMOVED, dspath, oldname);
	cache_drop(&st->cache, dspath);
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
	txn_quota(st, pi, bytes - old.bytes);

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
		s = stq(st, ST_DS_SET_HORIZON);
		sqlite3_bind_int64(s, 1, dsid);
		bind_text(s, 2, st->txn_modtime);
		if ((r = step_done(st, s)) != STORE_OK)
			return r;
	}
	return STORE_OK;
}

static enum store_err
apply_entry(struct store *st, const struct store_entry_op *op,
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
	path_classify(op->dataset, &pi);
	if (pi.kind == PK_INVALID)
		return STORE_ENOEXIST;
	if (pi.kind != PK_DATASET && pi.kind != PK_BYOWNER)
		return STORE_EPERM;
	if (pi.kind == PK_BYOWNER && op->entry[0] != '\0')
		return STORE_EPERM;	/* templates hold only "" */
	for (i = 0; i < op->nattrs; i++)
		if (strcmp(op->attrs[i].name, "entry") == 0)
			eop = &op->attrs[i];

	if ((r = ds_lookup(st, op->dataset, &dsid, NULL)) != STORE_OK)
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
		if ((r = vo->open(st, op->dataset, &v)) != STORE_OK)
			return r;
		time_normalize(op->unchangedsince, t);
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
	txn_change(st, STORE_CHANGE_ENTRY, op->dataset, name);
	cache_drop(&st->cache, op->dataset);
	return STORE_OK;
}

/* Add the transaction's usage deltas; fail if a user grew past a limit. */
static enum store_err
quota_commit(struct store *st)
{
	sqlite3_stmt *s;
	enum store_err r;
	int64_t usage, limit;
	size_t i;
	int rc;

	for (i = 0; i < st->nqd; i++) {
		if (st->qd[i].delta == 0)
			continue;
		s = stq(st, ST_QUOTA_ADD);
		bind_text(s, 1, st->qd[i].user);
		sqlite3_bind_int64(s, 2, st->qd[i].delta);
		if ((r = step_done(st, s)) != STORE_OK)
			return r;
		if (st->qd[i].delta < 0)
			continue;
		s = stq(st, ST_QUOTA_GET);
		bind_text(s, 1, st->qd[i].user);
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW) {
			sqlite3_reset(s);
			return db_fail(st, rc);
		}
		usage = sqlite3_column_int64(s, 0);
		limit = sqlite3_column_type(s, 1) == SQLITE_NULL ?
		    (int64_t)st->cfg.quota_bytes : sqlite3_column_int64(s, 1);
		sqlite3_reset(s);
		if (limit > 0 && usage > limit)
			return STORE_EQUOTA;
	}
	return STORE_OK;
}

/*
 * The change callback, once per STORE of the committed batch, in the
 * order they were applied (their changes are consecutive and share the
 * STORE's modtime, which no other STORE has).
 */
static void
fire_changes(struct store *st)
{
	struct store_change *c;
	size_t i, first;

	if (st->change_cb == NULL || st->nchanges == 0)
		return;
	c = xrealloc(NULL, st->nchanges, sizeof(*c));
	for (i = 0; i < st->nchanges; i++) {
		c[i].kind = st->changes[i].kind;
		c[i].dataset = st->changes[i].dataset;
		c[i].entry = st->changes[i].entry;
		c[i].modtime = st->changes[i].modtime;
	}
	for (first = 0, i = 1; i <= st->nchanges; i++)
		if (i == st->nchanges ||
		    strcmp(c[i].modtime, c[first].modtime) != 0) {
			st->change_cb(st->change_arg, &c[first], i - first);
			first = i;
		}
	free(c);
}

/* Undo the whole batch after a failure; keeps the cause in errbuf. */
static void
batch_rollback(struct store *st)
{
	char why[sizeof(st->errbuf)];

	/* a failing ROLLBACK would overwrite the cause */
	memcpy(why, st->errbuf, sizeof(why));
	if (!sqlite3_get_autocommit(st->db))
		step_done(st, stq(st, ST_ROLLBACK));
	memcpy(st->errbuf, why, sizeof(why));
	/* snapshots read inside the transaction may show its writes */
	cache_clear(&st->cache);
	txn_reset(st);
}

/*
 * The batch's COMMIT returned rc: undo everything on an error, else count
 * it and run the change callback once per STORE.
 */
static enum store_err
commit_complete(struct store *st, int rc)
{
	enum store_err r;

	if (rc != SQLITE_DONE) {
		r = db_fail(st, rc);
		batch_rollback(st);
		return r;
	}
	st->stats.commits++;
	st->stats.stores += st->nkept;
	/* the callback may read (NOTIFY re-evaluation), not write */
	st->in_txn = false;
	st->in_callback = true;
	fire_changes(st);
	st->in_callback = false;
	txn_reset(st);
	return STORE_OK;
}

/*
 * The commit thread: runs the COMMIT statement (its WAL write and fsync)
 * when asked, and writes a byte to cpipe when it is done.  It touches
 * nothing else of the store; the event loop's thread does not use the
 * database meanwhile (commit_wait()).
 */
static void *
commit_thread(void *arg)
{
	struct store *st = arg;
	sqlite3_stmt *s;
	const char b = 1;
	int rc;

	pthread_mutex_lock(&st->cmu);
	for (;;) {
		while (!st->crequest && !st->cquit)
			pthread_cond_wait(&st->ccv, &st->cmu);
		if (st->cquit)
			break;
		/* fetched each time: store_retry_writes() may reopen */
		s = st->stmt[ST_COMMIT];
		pthread_mutex_unlock(&st->cmu);
		sqlite3_reset(s);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		pthread_mutex_lock(&st->cmu);
		st->crc = rc;
		st->crequest = false;
		pthread_cond_broadcast(&st->ccv);
		while (write(st->cpipe[1], &b, 1) == -1 && errno == EINTR)
			continue;
	}
	pthread_mutex_unlock(&st->cmu);
	return NULL;
}

/*
 * Every store call that reads or writes the database or the batch state
 * starts here: a COMMIT still running on the thread is waited for and
 * its batch completed (change callback included), so that nothing reads
 * a STORE before it is durable and the connection is never used by two
 * threads at once.  The result is kept for store_batch_commit_finish().
 */
static void
commit_wait(struct store *st)
{
	int rc;

	if (st->async != AC_RUNNING)
		return;
	pthread_mutex_lock(&st->cmu);
	while (st->crequest)
		pthread_cond_wait(&st->ccv, &st->cmu);
	rc = st->crc;
	pthread_mutex_unlock(&st->cmu);
	st->async = AC_DONE;
	st->async_result = commit_complete(st, rc);
}

int
store_commit_thread_start(struct store *st)
{
	sigset_t all, old;
	int rc;

	if (st->cthread)
		return st->cpipe[0];
	if (sqlite3_threadsafe() == 0) {
		errno = ENOTSUP;	/* SQLite built without thread support */
		return -1;
	}
	if (pipe(st->cpipe) == -1)
		return -1;
	if (fcntl(st->cpipe[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(st->cpipe[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(st->cpipe[1], F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	pthread_mutex_init(&st->cmu, NULL);
	pthread_cond_init(&st->ccv, NULL);
	st->crequest = st->cquit = false;
	/* signals (TERM, HUP, ...) stay with the event loop's thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&st->cthr, NULL, commit_thread, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&st->ccv);
		pthread_mutex_destroy(&st->cmu);
		goto fail;
	}
	st->cthread = true;
	return st->cpipe[0];
fail:
	close(st->cpipe[0]);
	close(st->cpipe[1]);
	st->cpipe[0] = st->cpipe[1] = -1;
	return -1;
}

static void
commit_thread_stop(struct store *st)
{
	if (!st->cthread)
		return;
	commit_wait(st);
	pthread_mutex_lock(&st->cmu);
	st->cquit = true;
	pthread_cond_broadcast(&st->ccv);
	pthread_mutex_unlock(&st->cmu);
	pthread_join(st->cthr, NULL);
	pthread_cond_destroy(&st->ccv);
	pthread_mutex_destroy(&st->cmu);
	close(st->cpipe[0]);
	close(st->cpipe[1]);
	st->cthread = false;
}

bool
store_batch_commit_start(struct store *st, enum store_err *r_r)
{
	enum store_err r = st->txn_lost;

	if (!st->cthread || !st->in_txn || st->async == AC_RUNNING ||
	    r != STORE_OK || st->nkept == 0) {
		*r_r = store_batch_commit(st);
		return false;
	}
	/* the last modtime handed out survives a restart (store_open) */
	if ((r = meta_set(st, "modtime", st->last_modtime)) != STORE_OK) {
		batch_rollback(st);
		*r_r = r;
		return false;
	}
	st->async = AC_RUNNING;
	pthread_mutex_lock(&st->cmu);
	st->crequest = true;
	pthread_cond_broadcast(&st->ccv);
	pthread_mutex_unlock(&st->cmu);
	return true;
}

enum store_err
store_batch_commit_finish(struct store *st)
{
	char buf[64];

	commit_wait(st);
	while (st->cthread && read(st->cpipe[0], buf, sizeof(buf)) > 0)
		continue;
	if (st->async != AC_DONE) {
		snprintf(st->errbuf, sizeof(st->errbuf), "no commit to finish");
		return STORE_EIO;
	}
	st->async = AC_NONE;
	return st->async_result;
}

enum store_err
store_batch_begin(struct store *st)
{
	enum store_err r;

	commit_wait(st);
	if (st->in_txn || st->in_callback || st->reading > 0) {
		snprintf(st->errbuf, sizeof(st->errbuf), "a write inside a "
		    "batch, a read section or a change callback");
		return STORE_EIO;
	}
	if ((r = step_done(st, stq(st, ST_BEGIN))) != STORE_OK)
		return r;
	st->in_txn = true;
	st->txn_lost = STORE_OK;
	st->nkept = 0;
	return STORE_OK;
}

enum store_err
store_batch_apply(struct store *st, const struct store_entry_op *ops,
    size_t nops, struct store_result *res)
{
	return store_batch_apply_verify(st, ops, nops, NULL, NULL, res);
}

enum store_err
store_batch_apply_verify(struct store *st, const struct store_entry_op *ops,
    size_t nops, store_verify_cb *verify, void *arg,
    struct store_result *res)
{
	char why[sizeof(st->errbuf)];
	size_t mark = st->nchanges, i;
	enum store_err r;

	memset(res, 0, sizeof(*res));
	commit_wait(st);
	if (!st->in_txn) {
		snprintf(st->errbuf, sizeof(st->errbuf), "store_batch_apply "
		    "outside a batch");
		return STORE_EIO;
	}
	if (st->txn_lost != STORE_OK)
		return st->txn_lost;
	if ((r = step_done(st, stq(st, ST_SAVEPOINT))) != STORE_OK)
		goto lost;
	modtime_next(st, st->txn_modtime);
	r = STORE_OK;
	for (i = 0; i < nops && r == STORE_OK; i++)
		r = apply_entry(st, &ops[i], res);
	if (r == STORE_OK)
		r = quota_commit(st);
	txn_quota_reset(st);
	/* the caller's check of the state this STORE made (rights.h) */
	if (r == STORE_OK && verify != NULL)
		r = verify(arg);
	if (r == STORE_OK && (r = step_done(st, stq(st, ST_RELEASE))) ==
	    STORE_OK) {
		memcpy(res->modtime, st->txn_modtime, sizeof(res->modtime));
		st->nkept++;
		return STORE_OK;
	}
	/*
	 * This STORE alone is undone.  Some errors (I/O, full disk, busy)
	 * make SQLite roll back the whole transaction: then every STORE of
	 * the batch fails with this one's cause.
	 */
	txn_changes_truncate(st, mark);
	cache_clear(&st->cache);
	if (sqlite3_get_autocommit(st->db))
		goto lost;
	memcpy(why, st->errbuf, sizeof(why));
	if (step_done(st, stq(st, ST_ROLLBACK_TO)) != STORE_OK ||
	    step_done(st, stq(st, ST_RELEASE)) != STORE_OK) {
		memcpy(st->errbuf, why, sizeof(why));
		goto lost;
	}
	memcpy(st->errbuf, why, sizeof(why));
	return r;
lost:
	st->txn_lost = r != STORE_OK ? r : STORE_EIO;
	return st->txn_lost;
}

enum store_err
store_batch_commit(struct store *st)
{
	sqlite3_stmt *s;
	enum store_err r;
	int rc;

	commit_wait(st);
	if (!st->in_txn) {
		snprintf(st->errbuf, sizeof(st->errbuf), "store_batch_commit "
		    "outside a batch");
		return STORE_EIO;
	}
	r = st->txn_lost;
	if (r == STORE_OK && st->nkept == 0) {
		/* nothing to make durable: no commit, no fsync */
		step_done(st, stq(st, ST_ROLLBACK));
		txn_reset(st);
		return STORE_OK;
	}
	/* the last modtime handed out survives a restart (store_open) */
	if (r == STORE_OK)
		r = meta_set(st, "modtime", st->last_modtime);
	if (r != STORE_OK) {
		batch_rollback(st);
		return r;
	}
	s = stq(st, ST_COMMIT);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return commit_complete(st, rc);
}

enum store_err
store_apply(struct store *st, const struct store_entry_op *ops, size_t nops,
    struct store_result *res)
{
	enum store_err r;

	memset(res, 0, sizeof(*res));
	if ((r = store_batch_begin(st)) != STORE_OK)
		return r;
	if ((r = store_batch_apply(st, ops, nops, res)) != STORE_OK) {
		batch_rollback(st);
		return r;
	}
	return store_batch_commit(st);
}

/* ---- DELETEDSINCE ---------------------------------------------------- */

/* Whether path or one of its ancestors was dropped after t. */
static enum store_err
dropped_after(struct store *st, const char *path, const char *t, bool *r_r)
{
	sqlite3_stmt *s;
	char *p = xstrdup(path);
	size_t len;
	int rc = SQLITE_DONE;

	*r_r = false;
	for (len = strlen(p); len > 1 && !*r_r; ) {
		p[len] = '\0';
		s = stq(st, ST_DROPPED_GET);
		bind_text(s, 1, p);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*r_r = strcmp((const char *)sqlite3_column_text(s, 0),
			    t) > 0;
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			break;
		/* up one component: "/a/b/" -> "/a/" */
		for (len--; len > 0 && p[len - 1] != '/'; len--)
			;
	}
	free(p);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(st, rc);
	return STORE_OK;
}

enum store_err
store_deleted_since(struct store *st, const char *path, const char *time,
    void (*cb)(void *arg, const char *name), void *arg)
{
	char t[STORE_MODTIME_LEN + 1], horizon[STORE_MODTIME_LEN + 1];
	sqlite3_stmt *s;
	enum store_err r;
	int64_t id;
	bool dropped;
	int rc;

	commit_wait(st);
	time_normalize(time, t);
	if (strcmp(t, st->deleted_horizon) < 0)
		return STORE_ETOOOLD;
	if ((r = ds_lookup(st, path, &id, horizon)) != STORE_OK)
		return r;
	if (id == 0) {
		if ((r = dropped_after(st, path, t, &dropped)) != STORE_OK)
			return r;
		return dropped ? STORE_ETOOOLD : STORE_ENOEXIST;
	}
	if (strcmp(t, horizon) < 0)
		return STORE_ETOOOLD;
	s = stq(st, ST_DELETED_SINCE);
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, t);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(arg, (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, rc);
	return STORE_OK;
}

/* ---- Quotas ------------------------------------------------------------ */

enum store_err
store_quota_get(struct store *st, const char *path, uint64_t *limit_r,
    uint64_t *usage_r, const char **user_r)
{
	struct path_info pi;
	sqlite3_stmt *s;
	int64_t usage = 0, limit = (int64_t)st->cfg.quota_bytes;
	int rc;

	commit_wait(st);
	path_classify(path, &pi);
	if ((pi.kind != PK_DATASET && pi.kind != PK_BYOWNER) ||
	    !span_is(pi.okind, "user"))
		return STORE_ENOQUOTA;
	free(st->quota_user);
	st->quota_user = strndup(pi.oname.p, pi.oname.n);
	if (st->quota_user == NULL)
		abort();
	s = stq(st, ST_QUOTA_GET);
	bind_text(s, 1, st->quota_user);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		usage = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			limit = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(st, rc);
	if (limit <= 0)
		return STORE_ENOQUOTA;
	*limit_r = (uint64_t)limit;
	*usage_r = usage > 0 ? (uint64_t)usage : 0;
	if (user_r != NULL)
		*user_r = st->quota_user;
	return STORE_OK;
}

enum store_err
store_quota_set_limit(struct store *st, const char *user, uint64_t bytes)
{
	sqlite3_stmt *s;

	commit_wait(st);
	s = stq(st, ST_QUOTA_SET_LIMIT);
	bind_text(s, 1, user);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)bytes);
	return step_done(st, s);
}

void
store_set_default_quota(struct store *st, uint64_t bytes)
{
	st->cfg.quota_bytes = bytes;
}
