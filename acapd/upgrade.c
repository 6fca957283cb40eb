/*
 * upgrade.c -- the walls between tenants on instances provisioned before
 * them (upgrade.h, doc/security.md §4).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "upgrade.h"

/* One STORE being built: entry ops, their attribute ops, their strings. */
struct build {
	struct store_entry_op *e;
	size_t ne, ce;
	struct store_attr_op **a;	/* per entry op, malloc'd */
	char **strs;			/* every string made here */
	size_t ns, cs;
	struct store_str **lists;	/* every list of values made here */
	size_t nl, cl;
};

static void *
xrealloc(void *p, size_t n, size_t size)
{
	if ((p = realloc(p, n * size)) == NULL)
		abort();
	return p;
}

static const char *
keep(struct build *b, char *s)
{
	if (s == NULL)
		abort();
	if (b->ns == b->cs) {
		b->cs = b->cs * 2 + 16;
		b->strs = xrealloc(b->strs, b->cs, sizeof(*b->strs));
	}
	b->strs[b->ns++] = s;
	return s;
}

/* A one-item list "ident<TAB>rights" (or an empty one: ident NULL). */
static const struct store_str *
item_list(struct build *b, const char *ident, const char *rights,
    size_t *n_r)
{
	struct store_str *l = calloc(1, sizeof(*l));
	char *s;

	if (l == NULL)
		abort();
	if (b->nl == b->cl) {
		b->cl = b->cl * 2 + 16;
		b->lists = xrealloc(b->lists, b->cl, sizeof(*b->lists));
	}
	b->lists[b->nl++] = l;
	*n_r = 0;
	if (ident == NULL)
		return l;
	if (asprintf(&s, "%s\t%s", ident, rights) < 0)
		abort();
	l->s = keep(b, s);
	l->len = strlen(s);
	*n_r = 1;
	return l;
}

/* A new entry op for dataset/entry (both copied). */
static size_t
entry_op(struct build *b, const char *dataset, const char *entry)
{
	struct store_entry_op *op;

	if (b->ne == b->ce) {
		b->ce = b->ce * 2 + 16;
		b->e = xrealloc(b->e, b->ce, sizeof(*b->e));
		b->a = xrealloc(b->a, b->ce, sizeof(*b->a));
	}
	op = &b->e[b->ne];
	memset(op, 0, sizeof(*op));
	op->dataset = keep(b, strdup(dataset));
	op->entry = keep(b, strdup(entry));
	b->a[b->ne] = NULL;
	return b->ne++;
}

static struct store_attr_op *
attr_op(struct build *b, size_t ei, const char *name)
{
	struct store_entry_op *op = &b->e[ei];
	struct store_attr_op *a;

	b->a[ei] = xrealloc(b->a[ei], op->nattrs + 1, sizeof(*b->a[ei]));
	a = &b->a[ei][op->nattrs++];
	memset(a, 0, sizeof(*a));
	a->name = keep(b, strdup(name));
	return a;
}

static void
build_free(struct build *b)
{
	size_t i;

	for (i = 0; i < b->ns; i++)
		free(b->strs[i]);
	for (i = 0; i < b->nl; i++)
		free(b->lists[i]);
	for (i = 0; i < b->ne; i++)
		free(b->a[i]);
	free(b->strs);
	free(b->lists);
	free(b->a);
	free(b->e);
	memset(b, 0, sizeof(*b));
}

/* dataset.acl of the dataset's "" entry is exactly ("anyone\txr"). */
static bool
old_default(const struct store_snap *snap)
{
	const struct store_entry *mgmt = store_snap_find(snap, "");
	const struct store_attr *a;

	return mgmt != NULL &&
	    (a = store_entry_attr(mgmt, "dataset.acl")) != NULL &&
	    a->kind == STORE_V_MULTI && a->nvalues == 1 &&
	    a->values[0].len == 9 && memcmp(a->values[0].s, "anyone\txr", 9) ==
	    0;
}

/* Set dataset.acl of path to ident's read right (none: admins only). */
static void
set_dataset_acl(struct build *b, const char *path, const char *ident)
{
	struct store_attr_op *a = attr_op(b, entry_op(b, path, ""),
	    "dataset.acl");

	a->value_op = STORE_OP_SET;
	a->multi = true;
	a->values = item_list(b, ident, "xr", &a->nvalues);
}

/* The value of attr in e as a new C string, or NULL. */
static char *
attr_str(const struct store_entry *e, const char *attr)
{
	const struct store_attr *a = store_entry_attr(e, attr);

	if (a == NULL || a->kind != STORE_V_SINGLE ||
	    memchr(a->values[0].s, '\0', a->values[0].len) != NULL)
		return NULL;
	return strndup(a->values[0].s, a->values[0].len);
}

/*
 * A registry: admins only, and each entry readable by whom it is about
 * (ident_of() of the entry; NULL: nobody but admins) through acl
 * metadata on "entry" and on every attribute that has none yet.
 */
static enum store_err
registry(struct store *st, struct build *b, const char *path,
    char *(*ident_of)(const struct store_entry *), bool *old_r)
{
	struct store_snap *snap = NULL;
	const struct store_entry *ents;
	struct store_attr_op *a;
	enum store_err r;
	size_t n, i, j, ei;
	char *ident;

	*old_r = false;
	if ((r = store_snap_get(st, path, &snap)) == STORE_ENOEXIST)
		return STORE_OK;
	if (r != STORE_OK)
		return r;
	if (!old_default(snap)) {
		store_snap_unref(&snap);
		return STORE_OK;
	}
	*old_r = true;
	set_dataset_acl(b, path, NULL);
	ents = store_snap_entries(snap, &n);
	for (i = 0; i < n; i++) {
		if (ents[i].name[0] == '\0' || ents[i].blocked ||
		    (ident = ident_of(&ents[i])) == NULL)
			continue;
		keep(b, ident);
		ei = entry_op(b, path, ents[i].name);
		a = attr_op(b, ei, "entry");
		a->acl_op = STORE_OP_SET;
		a->acl = item_list(b, ident, "xr", &a->nacl);
		for (j = 0; j < ents[i].nattrs; j++) {
			if (ents[i].attrs[j].acl != NULL ||
			    strcmp(ents[i].attrs[j].name, "entry") == 0 ||
			    strcmp(ents[i].attrs[j].name, "modtime") == 0)
				continue;
			a = attr_op(b, ei, ents[i].attrs[j].name);
			a->acl_op = STORE_OP_SET;
			a->acl = item_list(b, ident, "xr", &a->nacl);
		}
	}
	store_snap_unref(&snap);
	return STORE_OK;
}

static char *
ident_user(const struct store_entry *e)
{
	return strdup(e->name);
}

static char *
ident_device(const struct store_entry *e)
{
	return attr_str(e, UPGRADE_DEV_USER_ATTR);
}

static char *
ident_org(const struct store_entry *e)
{
	char *s;

	if (asprintf(&s, "/group/%s", e->name) < 0)
		return NULL;
	return s;
}

/* A stored owner-level dataset path (its name in the directory). */
typedef void owner_fn(struct build *b, const char *path,
    const struct store_snap *snap, const char *name, const void *arg);

/* fn for every stored /<class>/<kind>/<name>/ dataset. */
static enum store_err
each_owner(struct store *st, struct build *b, const char *class,
    const char *kind, owner_fn *fn, const void *arg)
{
	struct store_snap *dir = NULL, *snap = NULL;
	const struct store_entry *ents;
	enum store_err r;
	char *dirpath, *path;
	size_t n, i;

	if (asprintf(&dirpath, "/%s/%s/", class, kind) < 0)
		abort();
	r = store_snap_get(st, dirpath, &dir);
	if (r != STORE_OK) {
		free(dirpath);
		return r == STORE_ENOEXIST ? STORE_OK : r;
	}
	ents = store_snap_entries(dir, &n);
	for (i = 0; i < n && r == STORE_OK; i++) {
		if (ents[i].name[0] == '\0')
			continue;
		if (asprintf(&path, "%s%s/", dirpath, ents[i].name) < 0)
			abort();
		r = store_snap_get(st, path, &snap);
		if (r == STORE_OK)
			fn(b, path, snap, ents[i].name, arg);
		else if (r == STORE_ENOEXIST)
			r = STORE_OK;
		store_snap_unref(&snap);
		free(path);
	}
	store_snap_unref(&dir);
	free(dirpath);
	return r;
}

/* An organisation's layer still readable by anyone: its members only. */
static void
group_layer(struct build *b, const char *path, const struct store_snap *snap,
    const char *name, const void *arg)
{
	char *ident;

	(void)arg;
	if (!old_default(snap))
		return;
	if (asprintf(&ident, "/group/%s", name) < 0)
		abort();
	set_dataset_acl(b, path, keep(b, ident));
}

/* A device's layer still readable by anyone: its user only (the index
 * says who; none: admins only). */
static void
host_layer(struct build *b, const char *path, const struct store_snap *snap,
    const char *name, const void *arg)
{
	const struct store_snap *devices = arg;
	const struct store_entry *de;
	char *ident = NULL;

	if (!old_default(snap))
		return;
	if (devices != NULL && (de = store_snap_find(devices, name)) != NULL &&
	    !de->blocked && (ident = ident_device(de)) != NULL)
		keep(b, ident);
	set_dataset_acl(b, path, ident);
}

/*
 * A per-owner dataset of a registry's class (e.g.
 * /vendor.acapd.device/user/<u>/) inheriting from the registry (arg) by
 * the RFC 2244 §5.3 default: its inheritance goes, so that the
 * registry's entries, hidden from that owner now, cannot be probed
 * through it.
 */
static void
registry_child(struct build *b, const char *path,
    const struct store_snap *snap, const char *name, const void *arg)
{
	const char *inh = store_snap_inherit(snap);
	struct store_attr_op *a;

	(void)name;
	if (inh == NULL || strcmp(inh, arg) != 0)
		return;
	a = attr_op(b, entry_op(b, path, ""), "dataset.inherit");
	a->value_op = STORE_OP_DEFAULT;
}

static enum store_err
registry_children(struct store *st, struct build *b, const char *registry)
{
	static const char *const kinds[] = { "user", "group", "host" };
	enum store_err r = STORE_OK;
	char *class;
	size_t k;

	/* "/<class>/site/" -> "<class>" */
	if ((class = strdup(registry + 1)) == NULL)
		abort();
	class[strcspn(class, "/")] = '\0';
	for (k = 0; k < 3 && r == STORE_OK; k++)
		r = each_owner(st, b, class, kinds[k], registry_child,
		    registry);
	free(class);
	return r;
}

int
upgrade_walls(struct store *st, const char *classes, const char **errstr_r)
{
	struct build b;
	struct store_snap *devices = NULL;
	struct store_result res;
	enum store_err r;
	bool old_org = false, old_user = false, old_dev = false;
	const char *p, *q;
	char class[256];
	size_t nregistry;

	memset(&b, 0, sizeof(b));
	store_read_begin(st);
	r = registry(st, &b, UPGRADE_ORG_REGISTRY, ident_org, &old_org);
	if (r == STORE_OK)
		r = registry(st, &b, UPGRADE_USER_REGISTRY, ident_user,
		    &old_user);
	if (r == STORE_OK)
		r = registry(st, &b, UPGRADE_DEVICE_INDEX, ident_device,
		    &old_dev);
	nregistry = b.ne;
	if (r == STORE_OK && nregistry > 0) {
		/* an instance provisioned before the walls: its layers too */
		if (store_snap_get(st, UPGRADE_DEVICE_INDEX, &devices) !=
		    STORE_OK)
			devices = NULL;
		for (p = classes; r == STORE_OK && *p != '\0'; p = q) {
			while (*p == ' ' || *p == '\t')
				p++;
			for (q = p; *q != '\0' && *q != ' ' && *q != '\t'; q++)
				continue;
			if (q == p || (size_t)(q - p) >= sizeof(class))
				continue;
			memcpy(class, p, (size_t)(q - p));
			class[q - p] = '\0';
			r = each_owner(st, &b, class, "group", group_layer,
			    NULL);
			if (r == STORE_OK)
				r = each_owner(st, &b, class, "host",
				    host_layer, devices);
		}
		store_snap_unref(&devices);
		if (r == STORE_OK && old_org)
			r = registry_children(st, &b, UPGRADE_ORG_REGISTRY);
		if (r == STORE_OK && old_user)
			r = registry_children(st, &b, UPGRADE_USER_REGISTRY);
		if (r == STORE_OK && old_dev)
			r = registry_children(st, &b, UPGRADE_DEVICE_INDEX);
	}
	store_read_end(st);
	if (r == STORE_OK && b.ne > 0) {
		size_t i;

		for (i = 0; i < b.ne; i++)
			b.e[i].attrs = b.a[i];
		/* one STORE: every wall or none (RFC 2244 §6.6.1) */
		r = store_apply(st, b.e, b.ne, &res);
	}
	build_free(&b);
	if (r != STORE_OK) {
		*errstr_r = store_err_text(r);
		return -1;
	}
	return nregistry > 0 ? 1 : 0;
}
