/*
 * inherit.c -- effective dataset views: dataset.inherit chains (cycle
 * check, depth cap), attribute-by-attribute merge, entry tombstones,
 * virtual subdatasets (RFC 2244 §5.1) and DELETEDSINCE over a chain.
 * Works on store snapshots only: no SQL, no access control decisions.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "dspath.h"
#include "inherit.h"
#include "store.h"

/* How deep virtual-dataset resolution may recurse (parent views). */
#define INHERIT_MAX_NESTING	32

struct inherit_layer {
	char *path;
	struct store_snap *snap;	/* NULL: virtual, not stored */
};

struct inherit_view {
	int refs;
	unsigned int flags;
	char *only;		/* inherit_view_open_entry(): the one entry
				   (besides "") the layers were read for */
	bool page;		/* inherit_view_open_range(): one page */
	unsigned int nlayers;
	struct inherit_layer layers[INHERIT_MAX_LAYERS];
	char *dangling;		/* a base named by dataset.inherit that does
				   not exist (DELETEDSINCE checks it) */
	struct inherit_entry *entries;
	size_t nentries;
	struct inherit_attr *attrs;
	size_t nattrs;
};

static const struct store_str virtual_dot = { ".", 1 };

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

static enum store_err view_open(struct store *, const char *, const char *,
    unsigned int, unsigned int, struct inherit_view **);

/* ---- Chains ----------------------------------------------------------- */

static bool
chain_has(const struct inherit_view *v, const char *path)
{
	unsigned int i;

	for (i = 0; i < v->nlayers; i++)
		if (strcmp(v->layers[i].path, path) == 0)
			return true;
	return false;
}

static void
chain_add(struct inherit_view *v, const char *path, struct store_snap *snap)
{
	v->layers[v->nlayers].path = xstrdup(path);
	v->layers[v->nlayers].snap = snap;
	v->nlayers++;
}

/*
 * If path is not stored, it may be a virtual dataset (§5.1): its parent's
 * effective entry of the same name has a subdataset inherited from base
 * layer k, so it is a copy of <layer k>/<name>/.  Returns that base path
 * (malloc'd) or NULL.
 */
static char *
virtual_base(struct store *st, const char *path, unsigned int nesting)
{
	struct inherit_view *pv = NULL;
	const struct inherit_entry *e;
	const struct inherit_attr *sub;
	struct inherit_tmp tmp;
	char *parent, *name, *base = NULL;
	const char *lp;
	size_t len = strlen(path), i, blen;

	if (len < 3 || path[len - 1] != '/')
		return NULL;
	for (i = len - 1; i > 0 && path[i - 1] != '/'; i--)
		;
	if (i <= 1)
		return NULL;
	parent = xrealloc(NULL, i + 1, 1);
	memcpy(parent, path, i);
	parent[i] = '\0';
	if (store_path_is_directory(parent)) {
		/*
		 * A listing has no entries with inherited subdatasets: its
		 * view would be a directory (or nothing), and building it
		 * runs SQL over every dataset of the class.  This is every
		 * user dataset inheriting an unstored "/<class>/site/".
		 */
		free(parent);
		return NULL;
	}
	name = xrealloc(NULL, len - i, 1);
	memcpy(name, path + i, len - i - 1);
	name[len - i - 1] = '\0';
	/* only the parent's entry name matters: read that one */
	if (view_open(st, parent, name, 0, nesting + 1, &pv) == STORE_OK &&
	    !inherit_view_is_directory(pv) &&
	    (e = inherit_view_find(pv, name)) != NULL &&
	    (sub = inherit_entry_get(e, "subdataset", &tmp)) != NULL &&
	    sub->layer > 0 && sub->a.kind == STORE_V_MULTI) {
		lp = inherit_view_layer_path(pv, sub->layer);
		blen = strlen(lp) + strlen(name) + 2;
		base = xrealloc(NULL, blen, 1);
		memcpy(base, lp, strlen(lp));
		memcpy(base + strlen(lp), name, strlen(name));
		base[blen - 2] = '/';
		base[blen - 1] = '\0';
	}
	inherit_view_free(&pv);
	free(parent);
	free(name);
	return base;
}

static enum store_err
chain_build(struct store *st, struct inherit_view *v, const char *path,
    unsigned int nesting)
{
	struct store_snap *snap;
	enum store_err r;
	char *owned = NULL, *base;
	const char *next = path;

	while (next != NULL && v->nlayers < INHERIT_MAX_LAYERS) {
		if (chain_has(v, next))
			break;		/* a cycle: stop where it closes */
		r = v->only != NULL ? store_snap_get_entry(st, next, v->only,
		    &snap) : store_snap_get(st, next, &snap);
		if (r == STORE_OK && v->nlayers > 0 &&
		    store_snap_is_directory(snap)) {
			/* a listing ("/byowner/site/") is no base to inherit */
			store_snap_unref(&snap);
			v->dangling = xstrdup(next);
			break;
		}
		if (r == STORE_OK) {
			chain_add(v, next, snap);
			if ((v->flags & INHERIT_F_NOINHERIT) ||
			    store_snap_is_directory(snap))
				break;
			next = store_snap_inherit(snap);
			continue;
		}
		if (r != STORE_ENOEXIST)
			goto fail;
		base = NULL;
		if (!(v->flags & INHERIT_F_NOINHERIT) &&
		    nesting < INHERIT_MAX_NESTING)
			base = virtual_base(st, next, nesting);
		if (base == NULL) {
			if (v->nlayers == 0)
				goto fail;	/* ENOEXIST */
			v->dangling = xstrdup(next);
			break;		/* nothing is inherited (§5.2) */
		}
		chain_add(v, next, NULL);
		free(owned);
		next = owned = base;
	}
	free(owned);
	return STORE_OK;
fail:
	free(owned);
	return r;
}

/*
 * A virtual layer is a copy of its parent's subdataset (§5.1).  When its
 * chain comes back to one of its own ancestors or descendants (a stored
 * dataset.inherit naming its own ancestor, from before STORE refused
 * that: dspath_inherit_allowed()), the copy contains itself again one
 * level down, without end: every level doubles what a DEPTH search
 * visits.  Such a copy is not followed: at layer 0 the dataset does not
 * exist, further down the chain ends before it (doc/protocol-notes.md).
 */
static enum store_err
chain_cut_selfref(struct inherit_view *v)
{
	unsigned int i, j;

	for (i = 0; i < v->nlayers; i++) {
		if (v->layers[i].snap != NULL)
			continue;
		for (j = i + 1; j < v->nlayers; j++)
			if (!dspath_inherit_allowed(v->layers[i].path,
			    v->layers[j].path))
				break;
		if (j < v->nlayers)
			break;
	}
	if (i == v->nlayers)
		return STORE_OK;
	if (i == 0)
		return STORE_ENOEXIST;
	while (v->nlayers > i) {
		v->nlayers--;
		free(v->layers[v->nlayers].path);
		store_snap_unref(&v->layers[v->nlayers].snap);
	}
	return STORE_OK;
}

/* ---- Merge ------------------------------------------------------------ */

/* The view being merged; e and a are sized for the worst case. */
struct merge {
	struct inherit_entry *e;
	size_t ne, ce;
	size_t *attr0;		/* per entry: first attr index */
	struct inherit_attr *a;
	size_t na, ca;
};

static void
merge_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n;

	if (need <= *cap)
		return;
	n = *cap < 16 ? 16 : *cap;
	while (n < need)
		n *= 2;
	*p = xrealloc(*p, n, size);
	*cap = n;
}

/* Append one merged attribute (see merge_attrs()). */
static void
merge_put(struct merge *m, const char *name, const struct store_attr *val,
    unsigned int vlayer, const struct store_attr *acl, unsigned int alayer,
    unsigned int first)
{
	struct inherit_attr *ia;

	if ((val == NULL || val->kind == STORE_V_NIL) && acl == NULL)
		return;		/* absent, or NIL masks the base */
	ia = &m->a[m->na++];
	ia->a.name = name;
	ia->a.acl = acl != NULL ? acl->acl : NULL;
	ia->a.nacl = acl != NULL ? acl->nacl : 0;
	ia->acl_layer = alayer;
	ia->layer = vlayer;
	if (val == NULL || val->kind == STORE_V_NIL) {
		ia->a.kind = STORE_V_NIL;
		ia->a.values = NULL;
		ia->a.nvalues = 0;
		if (val == NULL)
			ia->layer = first;
	} else if (vlayer > 0 && strcmp(name, "subdataset") == 0) {
		/* §5.1: an inherited subdataset is virtual (".") */
		ia->a.kind = STORE_V_MULTI;
		ia->a.values = &virtual_dot;
		ia->a.nvalues = 1;
	} else {
		ia->a.kind = val->kind;
		ia->a.values = val->values;
		ia->a.nvalues = val->nvalues;
	}
}

/*
 * Merge the attributes of one entry present in layers lay[0..n) (in chain
 * order, blocked layers already cut off): each attribute's value comes
 * from the first layer that stored one (NIL included), its acl from the
 * first layer that has an acl on it.
 */
static void
merge_attrs(struct merge *m, const struct store_entry *const *ents,
    const unsigned int *lay, size_t n)
{
	size_t cur[INHERIT_MAX_LAYERS] = { 0 }, same[INHERIT_MAX_LAYERS];
	const struct store_attr *sa, *val, *acl;
	const char *name;
	unsigned int vlayer, alayer;
	size_t i, nsame;
	int c;

	if (n == 1) {
		/* the common case: nothing to merge */
		for (i = 0; i < ents[0]->nattrs; i++) {
			sa = &ents[0]->attrs[i];
			merge_put(m, sa->name, sa->kind != STORE_V_INHERIT ?
			    sa : NULL, lay[0], sa->acl != NULL ? sa : NULL,
			    lay[0], lay[0]);
		}
		return;
	}
	for (;;) {
		/* the smallest current name, and the layers holding it */
		name = NULL;
		nsame = 0;
		for (i = 0; i < n; i++) {
			if (cur[i] >= ents[i]->nattrs)
				continue;
			sa = &ents[i]->attrs[cur[i]];
			c = name == NULL ? -1 : strcmp(sa->name, name);
			if (c < 0) {
				name = sa->name;
				nsame = 0;
			}
			if (c <= 0)
				same[nsame++] = i;
		}
		if (name == NULL)
			return;
		val = acl = NULL;
		vlayer = alayer = 0;
		for (i = 0; i < nsame; i++) {
			sa = &ents[same[i]]->attrs[cur[same[i]]++];
			if (val == NULL && sa->kind != STORE_V_INHERIT) {
				/*
				 * The value's own layer decides its ACL: acl
				 * metadata put over an inherited value in a
				 * lower layer must not govern it (§3.5, §5.1).
				 */
				val = sa;
				vlayer = lay[same[i]];
				acl = sa->acl != NULL ? sa : NULL;
				alayer = vlayer;
			} else if (val == NULL && acl == NULL &&
			    sa->acl != NULL) {
				acl = sa;
				alayer = lay[same[i]];
			}
		}
		merge_put(m, name, val, vlayer, acl, alayer, lay[0]);
	}
}

static void
merge_view(struct inherit_view *v)
{
	struct merge m = { 0 };
	size_t cur[INHERIT_MAX_LAYERS] = { 0 }, nents[INHERIT_MAX_LAYERS];
	const struct store_entry *ents[INHERIT_MAX_LAYERS];
	const struct store_entry *at[INHERIT_MAX_LAYERS];
	const struct store_entry *contrib[INHERIT_MAX_LAYERS];
	unsigned int lay[INHERIT_MAX_LAYERS], same[INHERIT_MAX_LAYERS];
	unsigned int l, n = v->nlayers, nsame;
	struct inherit_entry *ie;
	const char *name, *modtime;
	size_t nc, i, j;
	int c;

	/* one allocation each: at most every entry and attribute of all
	   layers ends up in the view */
	for (l = 0; l < n; l++) {
		ents[l] = NULL;
		nents[l] = 0;
		if (v->layers[l].snap == NULL)
			continue;
		ents[l] = store_snap_entries(v->layers[l].snap, &nents[l]);
		m.ce += nents[l];
		for (j = 0; j < nents[l]; j++)
			m.ca += ents[l][j].nattrs;
	}
	m.e = xrealloc(NULL, m.ce, sizeof(*m.e));
	m.attr0 = xrealloc(NULL, m.ce, sizeof(*m.attr0));
	m.a = xrealloc(NULL, m.ca, sizeof(*m.a));
	for (;;) {
		/* the next entry name in octet order, and where it is */
		name = NULL;
		nsame = 0;
		for (l = 0; l < n; l++) {
			if (cur[l] >= nents[l])
				continue;
			c = name == NULL ? -1 :
			    strcmp(ents[l][cur[l]].name, name);
			if (c < 0) {
				name = ents[l][cur[l]].name;
				nsame = 0;
			}
			if (c <= 0)
				same[nsame++] = l;
		}
		if (name == NULL)
			break;
		for (l = 0; l < n; l++)
			at[l] = NULL;
		for (i = 0; i < nsame; i++)
			at[same[i]] = &ents[same[i]][cur[same[i]]++];
		/*
		 * Layers contribute in chain order until a tombstone (NIL
		 * stored to "entry") hides the rest; the "" entry belongs to
		 * the dataset itself and is never inherited (§5.2).
		 */
		nc = 0;
		modtime = NULL;
		for (l = 0; l < n; l++) {
			if (at[l] == NULL || (name[0] == '\0' && l > 0))
				continue;
			if (at[l]->blocked)
				break;
			contrib[nc] = at[l];
			lay[nc++] = l;
			if (modtime == NULL || strcmp(at[l]->modtime,
			    modtime) > 0)
				modtime = at[l]->modtime;
		}
		if (nc == 0)
			continue;
		ie = &m.e[m.ne];
		m.attr0[m.ne++] = m.na;
		ie->name = name;
		ie->modtime = modtime;	/* §5.1: the greater of the two */
		ie->layer = lay[0];
		merge_attrs(&m, contrib, lay, nc);
		ie->nattrs = m.na - m.attr0[m.ne - 1];
	}
	for (i = 0; i < m.ne; i++)
		m.e[i].attrs = m.e[i].nattrs > 0 ? &m.a[m.attr0[i]] : NULL;
	free(m.attr0);
	v->entries = m.e;
	v->nentries = m.ne;
	v->attrs = m.a;
	v->nattrs = m.na;
}

/* ---- Views ------------------------------------------------------------ */

static enum store_err
view_open(struct store *st, const char *path, const char *only,
    unsigned int flags, unsigned int nesting, struct inherit_view **view_r)
{
	struct inherit_view *v;
	enum store_err r;

	*view_r = NULL;
	v = xrealloc(NULL, 1, sizeof(*v));
	memset(v, 0, sizeof(*v));
	v->refs = 1;
	v->flags = flags;
	v->only = only != NULL ? xstrdup(only) : NULL;
	store_read_begin(st);
	r = chain_build(st, v, path, nesting);
	store_read_end(st);
	if (r == STORE_OK)
		r = chain_cut_selfref(v);
	if (r != STORE_OK) {
		inherit_view_free(&v);
		return r;
	}
	merge_view(v);
	*view_r = v;
	return STORE_OK;
}

enum store_err
inherit_view_open(struct store *st, const char *path, unsigned int flags,
    struct inherit_view **view_r)
{
	return view_open(st, path, NULL, flags, 0, view_r);
}

bool
inherit_view_entry_only(const struct inherit_view *v)
{
	return v->only != NULL || v->page;
}

enum store_err
inherit_view_open_range(struct store *st, const char *path,
    const char *after, size_t max, unsigned int flags,
    struct inherit_view **view_r, uint64_t *total_r)
{
	struct inherit_view *v;
	struct store_snap *snap = NULL;
	enum store_err r;

	*view_r = NULL;
	r = store_snap_get_range(st, path, after, max, &snap, total_r);
	if (r != STORE_OK)
		return r;
	if (!(flags & INHERIT_F_NOINHERIT) && store_snap_inherit(snap) != NULL) {
		/* a chain: its layers' pages do not line up (§5.1) */
		store_snap_unref(&snap);
		return STORE_EINVALID;
	}
	v = xrealloc(NULL, 1, sizeof(*v));
	memset(v, 0, sizeof(*v));
	v->refs = 1;
	v->flags = flags;
	v->page = true;
	chain_add(v, path, snap);
	merge_view(v);
	*view_r = v;
	return STORE_OK;
}

enum store_err
inherit_view_open_entry(struct store *st, const char *path, const char *name,
    unsigned int flags, struct inherit_view **view_r)
{
	return view_open(st, path, name, flags, 0, view_r);
}

void
inherit_view_ref(struct inherit_view *v)
{
	v->refs++;
}

void
inherit_view_free(struct inherit_view **v_r)
{
	struct inherit_view *v = *v_r;
	unsigned int i;

	*v_r = NULL;
	if (v == NULL || --v->refs > 0)
		return;
	for (i = 0; i < v->nlayers; i++) {
		free(v->layers[i].path);
		store_snap_unref(&v->layers[i].snap);
	}
	free(v->dangling);
	free(v->only);
	free(v->entries);
	free(v->attrs);
	free(v);
}

const char *
inherit_view_path(const struct inherit_view *v)
{
	return v->layers[0].path;
}

bool
inherit_view_is_virtual(const struct inherit_view *v)
{
	return v->layers[0].snap == NULL ||
	    store_snap_is_directory(v->layers[0].snap);
}

bool
inherit_view_is_directory(const struct inherit_view *v)
{
	return v->layers[0].snap != NULL &&
	    store_snap_is_directory(v->layers[0].snap);
}

unsigned int
inherit_view_layers(const struct inherit_view *v)
{
	return v->nlayers;
}

const char *
inherit_view_layer_path(const struct inherit_view *v, unsigned int layer)
{
	return layer < v->nlayers ? v->layers[layer].path : NULL;
}

const struct inherit_entry *
inherit_view_entries(const struct inherit_view *v, size_t *n_r)
{
	*n_r = v->nentries;
	return v->entries;
}

static int
ientry_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct inherit_entry *)elem)->name);
}

static int
iattr_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct inherit_attr *)elem)->a.name);
}

const struct inherit_entry *
inherit_view_find(const struct inherit_view *v, const char *name)
{
	if (v->nentries == 0)
		return NULL;
	return bsearch(name, v->entries, v->nentries, sizeof(v->entries[0]),
	    ientry_cmp);
}

bool
inherit_view_base_has(const struct inherit_view *v, const char *name)
{
	const struct store_entry *e;
	unsigned int l;

	if (name[0] == '\0')
		return false;
	for (l = 1; l < v->nlayers; l++) {
		if (v->layers[l].snap == NULL ||
		    (e = store_snap_find(v->layers[l].snap, name)) == NULL)
			continue;
		return !e->blocked;
	}
	return false;
}

static const struct inherit_attr *
entry_find(const struct inherit_entry *e, const char *name)
{
	if (e->nattrs == 0)
		return NULL;
	return bsearch(name, e->attrs, e->nattrs, sizeof(e->attrs[0]),
	    iattr_cmp);
}

const struct inherit_attr *
inherit_entry_get(const struct inherit_entry *e, const char *name,
    struct inherit_tmp *tmp)
{
	const struct inherit_attr *stored = entry_find(e, name);
	const char *s;

	if (strcmp(name, "entry") == 0)
		s = e->name;
	else if (strcmp(name, "modtime") == 0)
		s = e->modtime;
	else
		return stored;
	/* computed; a stored row (directories) only lends its acl */
	memset(tmp, 0, sizeof(*tmp));
	tmp->str.s = s;
	tmp->str.len = strlen(s);
	tmp->attr.a.name = name;
	tmp->attr.a.kind = STORE_V_SINGLE;
	tmp->attr.a.values = &tmp->str;
	tmp->attr.a.nvalues = 1;
	tmp->attr.layer = e->layer;
	if (stored != NULL && stored->a.acl != NULL) {
		tmp->attr.a.acl = stored->a.acl;
		tmp->attr.a.nacl = stored->a.nacl;
		tmp->attr.acl_layer = stored->acl_layer;
	}
	return &tmp->attr;
}

/* dataset.acl.<attr>, else dataset.acl, in the "" entry of snap. */
static bool
dataset_acl(const struct store_snap *snap, const char *attr,
    const struct store_str **acl_r, size_t *n_r)
{
	const struct store_entry *mgmt;
	const struct store_attr *a;
	char buf[256], *name;
	size_t len = strlen(attr);

	if (snap == NULL || (mgmt = store_snap_find(snap, "")) == NULL)
		return false;
	name = len + 13 <= sizeof(buf) ? buf : xrealloc(NULL, len + 13, 1);
	memcpy(name, "dataset.acl.", 12);
	memcpy(name + 12, attr, len + 1);
	a = store_entry_attr(mgmt, name);
	if (name != buf)
		free(name);
	if (a == NULL || a->kind != STORE_V_MULTI)
		a = store_entry_attr(mgmt, "dataset.acl");
	if (a == NULL || a->kind != STORE_V_MULTI)
		return false;
	*acl_r = a->values;
	*n_r = a->nvalues;
	return true;
}

void
inherit_acl(const struct inherit_view *v, const struct inherit_entry *e,
    const char *attr, const struct store_str **acl_r, size_t *n_r)
{
	const struct inherit_attr *ia = entry_find(e, attr);
	unsigned int layer = e->layer;

	*acl_r = NULL;
	*n_r = 0;
	if (ia != NULL && ia->a.acl != NULL) {
		*acl_r = ia->a.acl;
		*n_r = ia->a.nacl;
		return;
	}
	if (ia != NULL && ia->a.kind != STORE_V_NIL &&
	    strcmp(attr, "entry") != 0 && strcmp(attr, "modtime") != 0)
		layer = ia->layer;
	if (layer < v->nlayers)
		dataset_acl(v->layers[layer].snap, attr, acl_r, n_r);
}

void
inherit_dataset_acl(const struct inherit_view *v, const char *attr,
    const struct store_str **acl_r, size_t *n_r, const char **path_r)
{
	unsigned int l;

	*acl_r = NULL;
	*n_r = 0;
	*path_r = v->layers[0].path;
	for (l = 0; l < v->nlayers; l++) {
		if (v->layers[l].snap == NULL)
			continue;	/* virtual: the base decides */
		*path_r = v->layers[l].path;
		dataset_acl(v->layers[l].snap, attr, acl_r, n_r);
		return;
	}
}

/* ---- DELETEDSINCE across a chain (§6.6.2) ----------------------------- */

struct names {
	char **v;
	size_t n, cap;
};

static void
names_add(void *arg, const char *name)
{
	struct names *ns = arg;

	merge_grow((void **)&ns->v, &ns->cap, ns->n + 1, sizeof(*ns->v));
	ns->v[ns->n++] = xstrdup(name);
}

static int
names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum store_err
inherit_deleted_since(struct store *st, const char *path, const char *time,
    void (*cb)(void *arg, const char *name), void *arg)
{
	struct inherit_view *v = NULL;
	struct names ns = { 0 };
	enum store_err r;
	unsigned int l;
	size_t i;

	if ((r = inherit_view_open(st, path, 0, &v)) != STORE_OK)
		return r;
	for (l = 0; l < v->nlayers && r == STORE_OK; l++) {
		if (v->layers[l].snap != NULL &&
		    store_snap_is_directory(v->layers[l].snap))
			continue;
		/* a virtual layer has no log, but may have been dropped */
		r = store_deleted_since(st, v->layers[l].path, time, names_add,
		    &ns);
		if (r == STORE_ENOEXIST)
			r = STORE_OK;
	}
	if (r == STORE_OK && v->dangling != NULL) {
		r = store_deleted_since(st, v->dangling, time, names_add, &ns);
		if (r == STORE_ENOEXIST)
			r = STORE_OK;
	}
	if (r == STORE_OK && ns.n > 0) {
		qsort(ns.v, ns.n, sizeof(*ns.v), names_cmp);
		for (i = 0; i < ns.n; i++) {
			if (i > 0 && strcmp(ns.v[i], ns.v[i - 1]) == 0)
				continue;
			if (inherit_view_find(v, ns.v[i]) == NULL)
				cb(arg, ns.v[i]);
		}
	}
	for (i = 0; i < ns.n; i++)
		free(ns.v[i]);
	free(ns.v);
	inherit_view_free(&v);
	return r;
}

/* ---- The store's write path (store.h struct store_view_ops) ---------- */

static enum store_err
sv_open(struct store *st, const char *dataset, struct store_view **v_r)
{
	struct inherit_view *v = NULL;
	enum store_err r = inherit_view_open(st, dataset, 0, &v);

	*v_r = (struct store_view *)v;
	return r;
}

static enum store_err
sv_open_entry(struct store *st, const char *dataset, const char *name,
    struct store_view **v_r)
{
	struct inherit_view *v = NULL;
	enum store_err r = inherit_view_open_entry(st, dataset, name, 0, &v);

	*v_r = (struct store_view *)v;
	return r;
}

static void
sv_close(struct store_view **v_r)
{
	struct inherit_view *v = (struct inherit_view *)*v_r;

	inherit_view_free(&v);
	*v_r = NULL;
}

static const char *
sv_modtime(const struct store_view *sv, const char *name)
{
	const struct inherit_entry *e =
	    inherit_view_find((const struct inherit_view *)sv, name);

	return e != NULL ? e->modtime : NULL;
}

static bool
sv_base_has(const struct store_view *sv, const char *name)
{
	return inherit_view_base_has((const struct inherit_view *)sv, name);
}

static bool
sv_attr(const struct store_view *sv, const char *name, size_t i,
    const struct store_attr **a_r, bool *inherited_r)
{
	const struct inherit_entry *e =
	    inherit_view_find((const struct inherit_view *)sv, name);

	if (e == NULL || i >= e->nattrs)
		return false;
	*a_r = &e->attrs[i].a;
	*inherited_r = e->attrs[i].layer != 0;
	return true;
}

const struct store_view_ops inherit_store_view_ops = {
	.open = sv_open,
	.open_entry = sv_open_entry,
	.close = sv_close,
	.modtime = sv_modtime,
	.base_has = sv_base_has,
	.attr = sv_attr,
};
