/*
 * rights.c -- the rights engine (rights.h): STORE's checks (RFC 2244
 * §3.5, §6.6.1; doc/acl.md "STORE"), managed layers, the lock guard and
 * ACL objects.  One file (about 1,400 lines): every decision shares the
 * dataset-ACL lookup (dsacl_open(), gov_find()) and the base-layer walk,
 * and keeping the decisions in one place is the point (rights.h).
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"
#include "access.h"
#include "acl.h"
#include "config.h"
#include "conn.h"
#include "dspath.h"
#include "inherit.h"
#include "rights.h"
#include "search.h"
#include "store.h"

/*
 * Where the dataset-level ACLs of a dataset are read: its own "" entry
 * when it is stored, else the "" entry store_apply() would copy into it
 * (RFC 2244 §5.3), else the built-in default.
 */
struct dsacl {
	const char *path;		/* the dataset (for implicit rights) */
	struct store_snap *snap;	/* holds mgmt (and entries if own) */
	const struct store_entry *mgmt;	/* the "" entry read, or NULL */
	bool own;			/* snap is the dataset itself */
	char *dflt;			/* default item when mgmt has none */
	struct store_str dflt_s;
};

/* The ACL that decided a check (an acl-object) and what it gives. */
struct gov {
	const char *dataset;
	const char *attr;		/* NULL: the dataset's dataset.acl */
	const char *entry;		/* NULL: a dataset default */
	unsigned int rights;		/* acl_rights() + implicit rights */
	unsigned int neg;		/* what its "-" items take away */
};

struct perm {
	struct conn *conn;
	struct store *st;
	struct search_access acc;
	struct acl_identity who;
	struct acap_buf code;		/* the refusal's response code */
	struct acap_buf text;		/* and its text */
	/* the dataset of the previous entry store list, kept for the next */
	const char *ds;			/* NULL: nothing kept */
	struct inherit_view *v;		/* NULL: the dataset does not exist */
	bool readable;
	struct dsacl own;
};

static void
dsacl_release(struct dsacl *d)
{
	store_snap_unref(&d->snap);
	free(d->dflt);
	memset(d, 0, sizeof(*d));
}

/*
 * The components of a canonical path: returns how many there are and
 * fills the first max of them into c[].
 */
static size_t
path_comps(const char *path, struct store_str *c, size_t max)
{
	const char *p, *q;
	size_t n = 0;

	for (p = path + 1; *p != '\0' && (q = strchr(p, '/')) != NULL;
	    p = q + 1) {
		if (n < max) {
			c[n].s = p;
			c[n].len = (size_t)(q - p);
		}
		n++;
	}
	return n;
}

static bool
comp_is(const struct store_str *c, const char *lit)
{
	return c->len == strlen(lit) && memcmp(c->s, lit, c->len) == 0;
}

/* The ACL the store gives a dataset of owner kind/name without template. */
static void
dsacl_set_default(struct dsacl *d, const struct store_str *kind,
    const struct store_str *name)
{
	int n;

	if (kind != NULL && name != NULL && comp_is(kind, "user"))
		n = asprintf(&d->dflt, "%.*s\txrwia", (int)name->len,
		    name->s);
	else
		n = asprintf(&d->dflt, "anyone\txr");
	if (n < 0)
		abort();
	d->dflt_s.s = d->dflt;
	d->dflt_s.len = (size_t)n;
}

static bool
mgmt_has_acl(const struct store_entry *mgmt)
{
	const struct store_attr *a;

	return mgmt != NULL &&
	    (a = store_entry_attr(mgmt, "dataset.acl")) != NULL &&
	    a->kind == STORE_V_MULTI;
}

/*
 * Open the dataset-level ACLs of canonical dataset path: the stored
 * dataset's, or for one that does not exist (or is only virtual) those
 * store_apply() would create it with (store-write.c ds_create()): the
 * /byowner/<owner>/ template's for an owner's top dataset, else the
 * nearest stored ancestor's, else the default.  Release with
 * dsacl_release().
 */
static enum store_err
dsacl_open(struct perm *p, const char *path, struct dsacl *d)
{
	struct store_str c[DSPATH_MAX_DEPTH + 1], *kind = NULL, *name = NULL;
	struct acap_buf anc = ACAP_BUF_INIT;
	enum store_err r;
	size_t n, nowner, i;

	memset(d, 0, sizeof(*d));
	d->path = path;
	r = store_snap_get(p->st, path, &d->snap);
	if (r == STORE_OK) {
		d->own = true;
		d->mgmt = store_snap_find(d->snap, "");
	} else if (r != STORE_ENOEXIST) {
		return r;
	}
	if ((n = path_comps(path, c, DSPATH_MAX_DEPTH + 1)) >
	    DSPATH_MAX_DEPTH + 1)
		n = 0;		/* cannot be stored: the default decides */
	if (n >= 2 && comp_is(&c[0], "byowner")) {
		kind = &c[1];
		name = n >= 3 ? &c[2] : NULL;
		n = 0;		/* a template: nothing above it */
	} else if (n >= 2) {
		kind = &c[1];
		name = !comp_is(&c[1], "site") && n >= 3 ? &c[2] : NULL;
	}
	nowner = name != NULL ? 3 : 2;
	/* not stored: the nearest stored ancestor, then the template */
	for (i = n; d->snap == NULL && kind != NULL && i > nowner; i--) {
		acap_buf_reset(&anc);
		acap_buf_add(&anc, path, (size_t)(c[i - 1].s - path));
		r = store_snap_get(p->st, anc.data, &d->snap);
		if (r != STORE_OK && r != STORE_ENOEXIST) {
			acap_buf_deinit(&anc);
			return r;
		}
	}
	if (d->snap == NULL && kind != NULL && n >= nowner) {
		acap_buf_reset(&anc);
		acap_buf_addstr(&anc, "/byowner/");
		acap_buf_add(&anc, kind->s, kind->len);
		acap_buf_addch(&anc, '/');
		if (name != NULL) {
			acap_buf_add(&anc, name->s, name->len);
			acap_buf_addch(&anc, '/');
		}
		r = store_snap_get(p->st, anc.data, &d->snap);
		if (r != STORE_OK && r != STORE_ENOEXIST) {
			acap_buf_deinit(&anc);
			return r;
		}
	}
	acap_buf_deinit(&anc);
	if (d->snap != NULL && d->mgmt == NULL)
		d->mgmt = store_snap_find(d->snap, "");
	if (!mgmt_has_acl(d->mgmt))
		dsacl_set_default(d, kind, name);
	return STORE_OK;
}

/* What the "-" items of an ACL that match the caller take away. */
static unsigned int
acl_negative(const struct acl_identity *who, const struct store_str *acl,
    size_t n)
{
	const char *ident;
	unsigned int neg = 0, r;
	size_t i, identlen;
	bool negative;

	if (who->admin)
		return 0;
	for (i = 0; i < n; i++)
		if (acl_item_parse(acl[i].s, acl[i].len, &ident, &identlen,
		    &negative, &r) == 0 && negative &&
		    acl_ident_matches(who, ident, identlen))
			neg |= r;
	return neg;
}

/*
 * The ACL governing attribute attr of entry (NULL: of a new entry) in the
 * dataset d describes, in RFC 2244 §3.5 order: the attribute's acl
 * metadata in that entry, else dataset.acl.<attr>, else dataset.acl.
 */
static void
gov_find(struct perm *p, const struct dsacl *d, const char *entry,
    const char *attr, struct gov *g)
{
	const struct store_entry *se;
	const struct store_attr *sa = NULL;
	const struct store_str *acl = NULL;
	struct acap_buf name = ACAP_BUF_INIT;
	size_t n = 0;

	g->dataset = d->path;
	g->attr = NULL;
	g->entry = NULL;
	if (entry != NULL && d->own &&
	    (se = store_snap_find(d->snap, entry)) != NULL && !se->blocked &&
	    (sa = store_entry_attr(se, attr)) != NULL && sa->acl != NULL) {
		acl = sa->acl;
		n = sa->nacl;
		g->attr = attr;
		g->entry = entry;
	} else if (d->mgmt != NULL) {
		acap_buf_addstr(&name, "dataset.acl.");
		acap_buf_addstr(&name, attr);
		if ((sa = store_entry_attr(d->mgmt, name.data)) != NULL &&
		    sa->kind == STORE_V_MULTI)
			g->attr = attr;
		else
			sa = store_entry_attr(d->mgmt, "dataset.acl");
		if (sa != NULL && sa->kind == STORE_V_MULTI) {
			acl = sa->values;
			n = sa->nvalues;
		}
		acap_buf_deinit(&name);
	}
	if (acl == NULL && d->dflt != NULL) {
		acl = &d->dflt_s;
		n = 1;
	}
	g->rights = access_rights(p->conn, d->path, acl, n);
	g->neg = acl_negative(&p->who, acl, n);
}

/*
 * Record the refusal: NO (PERMISSION (acl-object)) with a text.  When the
 * dataset is one the caller may not read (or that does not exist), the
 * object is the dataset alone and the text says nothing more, whatever
 * decided, so that the answer is the same either way.
 */
static enum store_err __attribute__((format(printf, 5, 6)))
refuse(struct perm *p, const char *target, bool readable, const struct gov *g,
    const char *fmt, ...)
{
	va_list ap;

	acap_buf_reset(&p->code);
	acap_buf_reset(&p->text);
	acap_buf_addstr(&p->code, "PERMISSION (");
	acap_buf_add_cstring(&p->code, readable ? g->dataset : target);
	if (readable && g->attr != NULL) {
		acap_buf_addch(&p->code, ' ');
		acap_buf_add_cstring(&p->code, g->attr);
		if (g->entry != NULL) {
			acap_buf_addch(&p->code, ' ');
			acap_buf_add_cstring(&p->code, g->entry);
		}
	}
	acap_buf_addch(&p->code, ')');
	if (!readable) {
		/* word for word what store_apply() says for a refusal */
		acap_buf_printf(&p->text, "STORE failed: %s",
		    store_err_text(STORE_EPERM));
		return STORE_EPERM;
	}
	va_start(ap, fmt);
	acap_buf_vprintf(&p->text, fmt, ap);
	va_end(ap);
	return STORE_EPERM;
}

static void
perm_forget(struct perm *p)
{
	inherit_view_free(&p->v);
	dsacl_release(&p->own);
	p->ds = NULL;
	p->readable = false;
}

/* Whether the caller may see anything in v (SEARCH's rule, search.c). */
static bool
view_readable(struct perm *p, const struct inherit_view *v)
{
	const struct inherit_entry *ents;
	const struct store_str *acl;
	const char *path;
	size_t n, i;

	inherit_dataset_acl(v, "entry", &acl, &n, &path);
	if (access_rights(p->conn, path, acl, n) & ACL_R_READ)
		return true;
	ents = inherit_view_entries(v, &n);
	for (i = 0; i < n; i++)
		if (search_visible(&p->acc, v, &ents[i]))
			return true;
	return false;
}

/*
 * Whether STORE may write entry into dataset path at all: not in the
 * directory listings ("/", "/<class>/", "/<class>/user/"), and only ""
 * in a /byowner/<owner>/ template.  store_apply() refuses the rest with
 * NO (PERMISSION) on its own.
 */
static bool
storable(const char *path, const char *entry)
{
	struct store_str c[4];
	size_t n = path_comps(path, c, 4);

	if (n >= 1 && comp_is(&c[0], "byowner"))
		return entry[0] == '\0' && (n == 3 || (n == 2 &&
		    comp_is(&c[1], "site")));
	return n >= 3 || (n == 2 && comp_is(&c[1], "site"));
}

static bool
is_dataset_acl(const char *attr)
{
	return strncmp(attr, "dataset.acl", 11) == 0 &&
	    (attr[11] == '\0' || attr[11] == '.');
}

/*
 * The rights one attribute store needs (RFC 2244 §3.5, §6.6.1): i to
 * give a value to a NIL attribute (every attribute of a new entry), w to
 * change or remove a value, a for acl metadata and dataset.acl*.  e is
 * NULL for a new entry.
 */
static unsigned int
op_needs(const struct inherit_entry *e, const struct store_attr_op *op)
{
	const struct inherit_attr *ia;
	struct inherit_tmp tmp;
	unsigned int need = 0;

	if (op->acl_op != STORE_OP_KEEP)
		need |= ACL_R_ADMIN;
	if (op->value_op == STORE_OP_KEEP)
		return need;
	if (strcmp(op->name, "entry") == 0)
		return need | (e != NULL ? ACL_R_WRITE : 0);
	if (is_dataset_acl(op->name))
		return need | ACL_R_ADMIN;
	if (e == NULL || (ia = inherit_entry_get(e, op->name, &tmp)) ==
	    NULL || ia->a.kind == STORE_V_NIL)
		return need | ACL_R_INSERT;
	return need | ACL_R_WRITE;
}

static const char *
right_verb(unsigned int missing)
{
	if (missing & ACL_R_ADMIN)
		return "administer";
	if (missing & ACL_R_WRITE)
		return "write";
	return "insert";
}

/*
 * The stored base layers an existing entry is inherited through: those
 * of v below layer 0 that hold it, up to an inheritance tombstone.  Takes
 * a snapshot reference for each one returned.
 */
static enum store_err
base_layers(struct perm *p, const struct inherit_view *v, const char *entry,
    struct dsacl *base, unsigned int *n_r)
{
	const struct store_entry *se;
	struct store_snap *snap;
	enum store_err r;
	unsigned int l;

	*n_r = 0;
	if (entry[0] == '\0')
		return STORE_OK;	/* the "" entry is never inherited */
	for (l = 1; l < inherit_view_layers(v); l++) {
		r = store_snap_get(p->st, inherit_view_layer_path(v, l), &snap);
		if (r == STORE_ENOEXIST)
			continue;	/* virtual */
		if (r != STORE_OK)
			return r;
		if ((se = store_snap_find(snap, entry)) == NULL ||
		    store_snap_is_directory(snap)) {
			store_snap_unref(&snap);
			continue;
		}
		if (se->blocked) {
			store_snap_unref(&snap);
			break;
		}
		memset(&base[*n_r], 0, sizeof(base[*n_r]));
		base[*n_r].path = inherit_view_layer_path(v, l);
		base[*n_r].snap = snap;
		base[*n_r].mgmt = store_snap_find(snap, "");
		base[*n_r].own = true;
		(*n_r)++;
	}
	return STORE_OK;
}

/*
 * The negative rights the base layers give the caller on attr of entry;
 * the first ACL that takes some of need away goes to *lock_r (and
 * *locked_r is set).
 */
static unsigned int
base_neg(struct perm *p, const struct dsacl *base, unsigned int nbase,
    const char *entry, const char *attr, unsigned int need,
    struct gov *lock_r, bool *locked_r)
{
	struct gov gb;
	unsigned int l, neg = 0;

	*locked_r = false;
	for (l = 0; l < nbase; l++) {
		gov_find(p, &base[l], entry, attr, &gb);
		if ((gb.neg & need) != 0 && !*locked_r) {
			*lock_r = gb;
			*locked_r = true;
		}
		neg |= gb.neg;
	}
	return neg;
}

/*
 * STORE "entry" NIL over an inherited entry hides every inherited value
 * (§6.6.1): refused when one of them is locked, or the lock could be
 * dodged by deleting the entry and storing it again.
 */
static enum store_err
check_tombstone(struct perm *p, const struct store_entry_op *re,
    const struct inherit_entry *e, const struct dsacl *base,
    unsigned int nbase)
{
	struct gov lock;
	bool locked;
	size_t i;

	for (i = 0; i < e->nattrs; i++) {
		if (e->attrs[i].a.kind == STORE_V_NIL)
			continue;
		(void)base_neg(p, base, nbase, re->entry,
		    e->attrs[i].a.name, ACL_R_WRITE, &lock, &locked);
		if (locked)
			return refuse(p, re->dataset, true, &lock, "'%s' of "
			    "'%s' is locked at %s: the entry cannot be "
			    "removed", e->attrs[i].a.name, re->entry,
			    lock.dataset);
	}
	return STORE_OK;
}

/*
 * Whether the dataset-level ACL of v (dataset.acl.entry, else dataset.acl,
 * of its first stored layer) gives the caller r: every entry of it is
 * the caller's to know, so inheriting from it reveals no name the caller
 * could not list.
 */
static bool
dataset_level_readable(struct perm *p, const struct inherit_view *v)
{
	const struct store_str *acl;
	const char *path;
	size_t n;

	inherit_dataset_acl(v, "entry", &acl, &n, &path);
	return (access_rights(p->conn, path != NULL ? path :
	    inherit_view_path(v), acl, n) & ACL_R_READ) != 0;
}

/*
 * dataset.inherit (RFC 2244 §5.1).  A managed layer's is the
 * administrator's (rights.h): changing it could detach a user from the
 * locks above or move them into another organisation.  Elsewhere the
 * target must be a dataset the caller can read at dataset level, or one
 * of its own tree: a missing one and one the caller may not read get the
 * same answer, so that inheritance is no existence oracle (doc/acl.md).
 */
static enum store_err
check_inherit(struct perm *p, const struct store_entry_op *re,
    const struct store_attr_op *op, bool readable)
{
	struct inherit_view *tv = NULL;
	struct gov g;
	enum store_err r;
	bool ok;

	memset(&g, 0, sizeof(g));
	g.dataset = re->dataset;
	g.attr = "dataset.inherit";
	g.entry = "";
	if (rights_managed_layer(re->dataset))
		return refuse(p, re->dataset, readable, &g, "the inheritance "
		    "of %s is managed by the administrator", re->dataset);
	if (op->value_op != STORE_OP_SET)
		return STORE_OK;
	/* the caller's own tree, stored or not, is no secret to it */
	if (acl_implicit_rights(&p->who, op->values[0].s) & ACL_R_READ)
		return STORE_OK;
	r = inherit_view_open(p->st, op->values[0].s, 0, &tv);
	if (r != STORE_OK && r != STORE_ENOEXIST)
		return r;
	ok = r == STORE_OK && !inherit_view_is_directory(tv) &&
	    dataset_level_readable(p, tv);
	inherit_view_free(&tv);
	if (ok)
		return STORE_OK;
	return refuse(p, re->dataset, readable, &g, "Not permitted to "
	    "inherit from %.*s: no such dataset or no right to read it",
	    (int)op->values[0].len, op->values[0].s);
}

/*
 * Make p->v, p->readable and p->own describe canonical dataset path,
 * keeping them when the previous entry store list had the same dataset
 * (a STORE of many entries opens each dataset once).
 */
static enum store_err
perm_dataset(struct perm *p, const char *path)
{
	enum store_err r;

	if (p->ds != NULL && strcmp(p->ds, path) == 0)
		return STORE_OK;
	perm_forget(p);
	r = inherit_view_open(p->st, path, 0, &p->v);
	if (r != STORE_OK && r != STORE_ENOEXIST)
		return r;
	/* the caller's own tree is no secret to it, stored or not */
	p->readable = (p->v != NULL && view_readable(p, p->v)) ||
	    (acl_implicit_rights(&p->who, path) & ACL_R_READ);
	if ((r = dsacl_open(p, path, &p->own)) != STORE_OK) {
		perm_forget(p);
		return r;
	}
	p->ds = path;
	return STORE_OK;
}

/*
 * Check one entry store list before anything is applied.  Rights on an
 * attribute are the caller's rights by the target dataset's own ACLs
 * minus the negative rights of every base layer the entry is inherited
 * through (an admin lock, doc/acl.md), plus the implicit rights on the
 * caller's own tree.  Returns STORE_OK, STORE_EPERM or STORE_ENOEXIST
 * with p->code and p->text set, or a store error.
 */
static enum store_err
check_entry(struct perm *p, const struct store_entry_op *re)
{
	const struct inherit_view *v;
	const struct inherit_entry *e = NULL, *to;
	const struct inherit_attr *ia;
	const struct store_attr_op *op;
	const struct dsacl *own;
	struct inherit_tmp tmp;
	const char *lpath;
	struct dsacl base[INHERIT_MAX_LAYERS];
	struct gov g, gb, lock;
	unsigned int nbase = 0, need, neg, rights, l;
	struct store_errinfo info;
	enum store_err r;
	bool readable, hidden = false, locked;
	size_t i;

	if (!storable(re->dataset, re->entry))
		return STORE_OK;	/* store_apply() refuses it */
	if ((r = perm_dataset(p, re->dataset)) != STORE_OK)
		return r;
	v = p->v;
	readable = p->readable;
	own = &p->own;
	if (re->nocreate && (v == NULL || inherit_view_is_virtual(v) ||
	    !readable)) {
		/* §6.6.1 NOCREATE; an unreadable dataset looks missing */
		info.dataset = re->dataset;
		info.entry = info.attr = NULL;
		acap_buf_reset(&p->code);
		store_err_format_code(STORE_ENOEXIST, &info, &p->code);
		acap_buf_addstr(&p->text, "STORE failed: ");
		acap_buf_addstr(&p->text, store_err_text(STORE_ENOEXIST));
		return STORE_ENOEXIST;
	}
	if (v != NULL && (e = inherit_view_find(v, re->entry)) != NULL &&
	    !search_visible(&p->acc, v, e)) {
		hidden = true;		/* §3.5: as if it did not exist */
		e = NULL;
	}
	if (e == NULL) {
		/* a new entry needs r and i on "entry" by the dataset ACL */
		gov_find(p, own, NULL, "entry", &g);
		if (hidden || (g.rights & (ACL_R_READ | ACL_R_INSERT)) !=
		    (ACL_R_READ | ACL_R_INSERT)) {
			r = refuse(p, re->dataset, readable, &g, "Not "
			    "permitted to create entry '%s' in %s",
			    re->entry, re->dataset);
			goto out;
		}
	}
	/*
	 * The base layers the entry is (or, once stored again after a
	 * tombstone here, will be) inherited through: their negative rights
	 * bind whatever is stored over their values.
	 */
	if (v != NULL && (r = base_layers(p, v, re->entry, base,
	    &nbase)) != STORE_OK)
		goto out;
	for (i = 0; i < re->nattrs; i++) {
		op = &re->attrs[i];
		if (re->entry[0] == '\0' &&
		    strcmp(op->name, "dataset.inherit") == 0 &&
		    op->value_op != STORE_OP_KEEP &&
		    (r = check_inherit(p, re, op, readable)) != STORE_OK)
			goto out;
		if (strcmp(op->name, "entry") == 0 && e != NULL &&
		    op->value_op == STORE_OP_NIL &&
		    (r = check_tombstone(p, re, e, base, nbase)) != STORE_OK)
			goto out;
		if ((need = op_needs(e, op)) == 0)
			continue;
		gov_find(p, own, re->entry, op->name, &g);
		neg = base_neg(p, base, nbase, re->entry, op->name, need,
		    &lock, &locked);
		rights = (g.rights & ~neg) |
		    acl_implicit_rights(&p->who, re->dataset);
		if ((rights & need) != need) {
			if (locked && (g.rights & need) == need)
				r = refuse(p, re->dataset, readable, &lock,
				    "'%s' of '%s' is locked at %s: the "
				    "inherited value stays in effect",
				    op->name, re->entry, lock.dataset);
			else
				r = refuse(p, re->dataset, readable, &g,
				    "Not permitted to %s '%s' of '%s'",
				    right_verb(need & ~rights), op->name,
				    re->entry);
			goto out;
		}
		/*
		 * acl metadata stored here would govern the inherited value
		 * (the first acl in the chain wins, inherit.c): only who
		 * administers the value where it comes from may set it.
		 */
		if (op->acl_op == STORE_OP_KEEP || e == NULL ||
		    (ia = inherit_entry_get(e, op->name, &tmp)) == NULL ||
		    ia->a.kind == STORE_V_NIL || ia->layer == 0)
			continue;
		lpath = inherit_view_layer_path(v, ia->layer);
		for (l = 0; l < nbase && strcmp(base[l].path, lpath) != 0; l++)
			continue;
		memset(&gb, 0, sizeof(gb));
		gb.dataset = lpath;
		if (l < nbase)
			gov_find(p, &base[l], re->entry, op->name, &gb);
		if (gb.rights & ACL_R_ADMIN)
			continue;
		r = refuse(p, re->dataset, readable, &gb, "'%s' of '%s' is "
		    "inherited from %s: its access control list is "
		    "administered there", op->name, re->entry, lpath);
		goto out;
	}
	/* a rename must not land on an entry the caller cannot see */
	for (i = 0; e != NULL && i < re->nattrs; i++) {
		op = &re->attrs[i];
		if (strcmp(op->name, "entry") != 0 ||
		    op->value_op != STORE_OP_SET ||
		    (to = inherit_view_find(v, op->values[0].s)) == NULL ||
		    to == e || search_visible(&p->acc, v, to))
			continue;
		gov_find(p, own, NULL, "entry", &g);
		r = refuse(p, re->dataset, readable, &g, "Not permitted to "
		    "create entry '%s' in %s", op->values[0].s, re->dataset);
		goto out;
	}
out:
	for (l = 0; l < nbase; l++)
		store_snap_unref(&base[l].snap);
	return r;
}


/* ---- Public: STORE ---------------------------------------------------- */

void
rights_verdict_init(struct rights_verdict *vd)
{
	vd->err = STORE_OK;
	acap_buf_init(&vd->code);
	acap_buf_init(&vd->text);
}

void
rights_verdict_deinit(struct rights_verdict *vd)
{
	acap_buf_deinit(&vd->code);
	acap_buf_deinit(&vd->text);
}

static void
perm_init(struct perm *p, struct conn *c)
{
	memset(p, 0, sizeof(*p));
	p->conn = c;
	p->st = conn_store(c);
	access_for_conn(c, &p->acc);
	access_identity(c, &p->who);
	acap_buf_init(&p->code);
	acap_buf_init(&p->text);
}

static void
perm_deinit(struct perm *p)
{
	perm_forget(p);
	acap_buf_deinit(&p->code);
	acap_buf_deinit(&p->text);
}

/* Move p's refusal into vd. */
static void
perm_verdict(struct perm *p, enum store_err r, struct rights_verdict *vd)
{
	vd->err = r;
	acap_buf_reset(&vd->code);
	acap_buf_reset(&vd->text);
	if (r != STORE_EPERM && r != STORE_ENOEXIST)
		return;
	acap_buf_add(&vd->code, p->code.data, p->code.len);
	acap_buf_add(&vd->text, p->text.data, p->text.len);
}

bool
rights_store_check(struct conn *c, const struct store_entry_op *ops,
    size_t nops, struct rights_verdict *vd)
{
	struct perm p;
	enum store_err r = STORE_OK;
	size_t i;

	perm_init(&p, c);
	if (p.who.admin) {
		perm_deinit(&p);
		vd->err = STORE_OK;
		return true;	/* configured admins have every right */
	}
	store_read_begin(p.st);
	for (i = 0; i < nops && r == STORE_OK; i++)
		r = check_entry(&p, &ops[i]);
	store_read_end(p.st);
	perm_verdict(&p, r, vd);
	perm_deinit(&p);
	return r == STORE_OK;
}

/* Whether comp is one of the space-separated words of list. */
static bool
word_in(const struct store_str *comp, const char *list)
{
	const char *p = list, *q;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		for (q = p; *q != '\0' && *q != ' ' && *q != '\t'; q++)
			continue;
		if ((size_t)(q - p) == comp->len && comp->len > 0 &&
		    memcmp(p, comp->s, comp->len) == 0)
			return true;
		p = q;
	}
	return false;
}

bool
rights_managed_layer(const char *path)
{
	struct store_str c[5];
	size_t n = path_comps(path, c, 5);

	if (n >= 1 && comp_is(&c[0], "byowner"))
		return n >= 2;		/* the templates of every owner */
	if (n < 2 || !word_in(&c[0], cfg->managed_classes))
		return false;
	if (n == 2)
		return comp_is(&c[1], "site");
	if (n == 3)
		return comp_is(&c[1], "group") || comp_is(&c[1], "user") ||
		    comp_is(&c[1], "host");
	return false;
}

/* ---- The lock guard ----------------------------------------------------- */

/*
 * One locked attribute of one entry of one dataset, as the STORE found
 * it: which layer locks it, and where its effective value came from and
 * what it was (a fingerprint: layer path, kind, values).
 */
struct lockval {
	char *dataset, *entry, *attr;
	char *lock_ds;			/* the nearest layer locking it */
	struct acap_buf before;		/* fingerprint before the STORE */
};

/* A (dataset, entry name) pair the STORE can reach. */
struct reach {
	char *dataset, *entry;
};

struct rights_guard {
	struct perm p;
	struct rights_verdict *vd;
	struct reach *reach;
	size_t nreach, creach;
	struct lockval *lv;
	size_t nlv, clv;
	bool after;			/* scanning the state after the STORE */
	bool recheck;			/* the state after needs a scan */
	struct lockval *bad;		/* the violation found */
};

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

static void
reach_add(struct rights_guard *g, const char *dataset, const char *entry)
{
	size_t i;

	if (entry[0] == '\0')
		return;		/* the "" entry is never inherited */
	for (i = 0; i < g->nreach; i++)
		if (strcmp(g->reach[i].dataset, dataset) == 0 &&
		    strcmp(g->reach[i].entry, entry) == 0)
			return;
	if (g->nreach == g->creach) {
		g->creach = g->creach * 2 + 8;
		if ((g->reach = realloc(g->reach, g->creach *
		    sizeof(*g->reach))) == NULL)
			abort();
	}
	g->reach[g->nreach].dataset = xstrdup(dataset);
	g->reach[g->nreach].entry = xstrdup(entry);
	g->nreach++;
}

/* Every entry name of every stored layer of path's chain (below 0). */
static enum store_err
reach_chain(struct rights_guard *g, const char *dataset, const char *path)
{
	struct inherit_view *v = NULL;
	struct store_snap *snap;
	const struct store_entry *ents;
	enum store_err r;
	unsigned int l;
	size_t n, i;

	r = inherit_view_open(g->p.st, path, 0, &v);
	if (r == STORE_ENOEXIST)
		return STORE_OK;
	if (r != STORE_OK)
		return r;
	for (l = 0; l < inherit_view_layers(v); l++) {
		if (l == 0 && strcmp(path, dataset) == 0)
			continue;	/* the dataset's own names: not locked */
		r = store_snap_get(g->p.st, inherit_view_layer_path(v, l),
		    &snap);
		if (r == STORE_ENOEXIST)
			continue;
		if (r != STORE_OK)
			break;
		if (!store_snap_is_directory(snap)) {
			ents = store_snap_entries(snap, &n);
			for (i = 0; i < n; i++)
				reach_add(g, dataset, ents[i].name);
		}
		store_snap_unref(&snap);
		r = STORE_OK;
	}
	inherit_view_free(&v);
	return r;
}

/* The fingerprint of attr of entry in view v: layer, kind, values. */
static void
fingerprint(const struct inherit_view *v, const char *entry,
    const char *attr, struct acap_buf *b)
{
	const struct inherit_entry *e;
	const struct inherit_attr *ia;
	struct inherit_tmp tmp;
	size_t i;

	acap_buf_reset(&b[0]);
	if (v == NULL || (e = inherit_view_find(v, entry)) == NULL ||
	    (ia = inherit_entry_get(e, attr, &tmp)) == NULL) {
		acap_buf_addstr(b, "absent");
		return;
	}
	acap_buf_printf(b, "%s\001%d", inherit_view_layer_path(v, ia->layer),
	    (int)ia->a.kind);
	for (i = 0; i < ia->a.nvalues; i++) {
		acap_buf_printf(b, "\001%zu:", ia->a.values[i].len);
		acap_buf_add(b, ia->a.values[i].s, ia->a.values[i].len);
	}
}

static struct lockval *
lock_find(struct rights_guard *g, const char *dataset, const char *entry,
    const char *attr)
{
	size_t i;

	for (i = 0; i < g->nlv; i++)
		if (strcmp(g->lv[i].dataset, dataset) == 0 &&
		    strcmp(g->lv[i].entry, entry) == 0 &&
		    strcmp(g->lv[i].attr, attr) == 0)
			return &g->lv[i];
	return NULL;
}

/* The index of layer path in v, or the number of layers. */
static unsigned int
layer_index(const struct inherit_view *v, const char *path)
{
	unsigned int l;

	for (l = 0; l < inherit_view_layers(v); l++)
		if (strcmp(inherit_view_layer_path(v, l), path) == 0)
			break;
	return l;
}

/*
 * Whether attr's value in v comes from below layer lock_ds (or the entry
 * is hidden while lock_ds holds a value for it): a lock that this STORE
 * brought into the chain must already be in effect.
 */
static bool
below_lock(const struct inherit_view *v, const char *entry, const char *attr,
    const char *lock_ds, const struct store_entry *locked)
{
	const struct inherit_entry *e;
	const struct inherit_attr *ia;
	const struct store_attr *sa;
	struct inherit_tmp tmp;

	if ((e = inherit_view_find(v, entry)) == NULL ||
	    (ia = inherit_entry_get(e, attr, &tmp)) == NULL)
		return (sa = store_entry_attr(locked, attr)) != NULL &&
		    sa->kind != STORE_V_INHERIT;
	return ia->layer < layer_index(v, lock_ds);
}

/* Whether the value of lv's attribute in v comes from its lock. */
static bool
lock_in_effect(struct rights_guard *g, const struct inherit_view *v,
    const char *name, const struct lockval *lv)
{
	struct store_snap *snap = NULL;
	const struct store_entry *se;
	bool ok = false;

	if (store_snap_get(g->p.st, lv->lock_ds, &snap) != STORE_OK)
		return false;
	if ((se = store_snap_find(snap, name)) != NULL && !se->blocked)
		ok = !below_lock(v, name, lv->attr, lv->lock_ds, se);
	store_snap_unref(&snap);
	return ok;
}

/* A new lockval for attr of entry name in dataset, locked at lock_ds. */
static struct lockval *
lock_add(struct rights_guard *g, const char *dataset, const char *name,
    const char *attr, const char *lock_ds)
{
	struct lockval *lv;

	if (g->nlv == g->clv) {
		g->clv = g->clv * 2 + 8;
		if ((g->lv = realloc(g->lv, g->clv * sizeof(*g->lv))) == NULL)
			abort();
	}
	lv = &g->lv[g->nlv++];
	memset(lv, 0, sizeof(*lv));
	lv->dataset = xstrdup(dataset);
	lv->entry = xstrdup(name);
	lv->attr = xstrdup(attr);
	lv->lock_ds = xstrdup(lock_ds);
	acap_buf_init(&lv->before);
	return lv;
}

/*
 * The nearest base layer whose ACL takes w or i on attr of entry name
 * away from the caller (a lock), or nbase when none does.
 */
static unsigned int
lock_layer(struct rights_guard *g, const struct dsacl *base,
    unsigned int nbase, const char *name, const char *attr)
{
	struct gov gb;
	unsigned int l;

	for (l = 0; l < nbase; l++) {
		gov_find(&g->p, &base[l], name, attr, &gb);
		if (gb.neg & (ACL_R_WRITE | ACL_R_INSERT))
			break;
	}
	return l;
}

/*
 * One attribute locked at base layer lb: before the STORE its
 * fingerprint is recorded; after it, a lock that was not there before
 * (a new chain) must already be in effect.
 */
static void
lock_seen(struct rights_guard *g, const struct inherit_view *v,
    const char *dataset, const char *name, const char *attr,
    const struct dsacl *lb, const struct store_entry *locked)
{
	struct lockval *lv = lock_find(g, dataset, name, attr);

	if (lv != NULL)
		return;		/* recorded before: compared by lock_scan() */
	if (!g->after) {
		lv = lock_add(g, dataset, name, attr, lb->path);
		fingerprint(v, name, attr, &lv->before);
		return;
	}
	if (g->bad == NULL && below_lock(v, name, attr, lb->path, locked))
		g->bad = lock_add(g, dataset, name, attr, lb->path);
}

/*
 * The locks on the attributes of entry name in dataset: for each
 * attribute that a base layer holding the entry locks for the caller
 * (a negative w or i, by the attribute's acl, dataset.acl.<attr> or
 * dataset.acl of that layer), the nearest locking layer.  Before the
 * STORE each one is recorded; after it each must show the same
 * fingerprint or come from its lock now, and a lock new to the chain
 * must be in effect.
 */
static enum store_err
lock_scan(struct rights_guard *g, const char *dataset, const char *name)
{
	struct inherit_view *v = NULL;
	struct dsacl base[INHERIT_MAX_LAYERS];
	const struct store_entry *se, *src;
	struct acap_buf fp = ACAP_BUF_INIT;
	struct lockval *lv;
	unsigned int nbase = 0, l, k;
	enum store_err r;
	size_t i;
	const char *attr;

	r = inherit_view_open(g->p.st, dataset, 0, &v);
	if (r == STORE_ENOEXIST)
		return STORE_OK;
	if (r != STORE_OK)
		return r;
	if ((r = base_layers(&g->p, v, name, base, &nbase)) != STORE_OK)
		goto out;
	/* candidates: the entry's attributes, the layer's dataset.acl.<a> */
	for (l = 0; l < nbase; l++) {
		if ((se = store_snap_find(base[l].snap, name)) == NULL)
			continue;
		for (k = 0; k < 2; k++) {
			src = k == 0 ? se : base[l].mgmt;
			for (i = 0; src != NULL && i < src->nattrs; i++) {
				attr = src->attrs[i].name;
				if (k == 1 && strncmp(attr, "dataset.acl.", 12))
					continue;
				if (k == 1)
					attr += 12;
				if (strcmp(attr, "entry") == 0 ||
				    strcmp(attr, "modtime") == 0 ||
				    lock_layer(g, base, nbase, name, attr) != l)
					continue;	/* handled at its lock */
				lock_seen(g, v, dataset, name, attr, &base[l],
				    se);
			}
		}
	}
	/* after: every lock recorded before keeps its fingerprint */
	for (i = 0; g->after && i < g->nlv && g->bad == NULL; i++) {
		lv = &g->lv[i];
		if (strcmp(lv->dataset, dataset) != 0 ||
		    strcmp(lv->entry, name) != 0)
			continue;
		fingerprint(v, name, lv->attr, &fp);
		if (fp.len == lv->before.len && memcmp(fp.data,
		    lv->before.data, fp.len) == 0)
			continue;
		/* changed: only into the lock's own value, from its layer */
		if (!lock_in_effect(g, v, name, lv))
			g->bad = lv;
	}
out:
	for (l = 0; l < nbase; l++)
		store_snap_unref(&base[l].snap);
	acap_buf_deinit(&fp);
	inherit_view_free(&v);
	return r;
}

/* Whether op changes the dataset's dataset.inherit. */
static const struct store_attr_op *
inherit_op(const struct store_entry_op *op)
{
	size_t i;

	if (op->entry[0] != '\0')
		return NULL;
	for (i = 0; i < op->nattrs; i++)
		if (strcmp(op->attrs[i].name, "dataset.inherit") == 0 &&
		    op->attrs[i].value_op != STORE_OP_KEEP)
			return &op->attrs[i];
	return NULL;
}

static enum store_err
guard_scan(struct rights_guard *g)
{
	enum store_err r = STORE_OK;
	size_t i;

	store_read_begin(g->p.st);
	for (i = 0; i < g->nreach && r == STORE_OK && g->bad == NULL; i++)
		r = lock_scan(g, g->reach[i].dataset, g->reach[i].entry);
	store_read_end(g->p.st);
	return r;
}

enum store_err
rights_guard_begin(struct conn *c, const struct store_entry_op *ops,
    size_t nops, struct rights_verdict *vd, struct rights_guard **g_r)
{
	struct rights_guard *g;
	const struct store_attr_op *iop;
	enum store_err r = STORE_OK;
	size_t i, j;

	*g_r = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		abort();
	perm_init(&g->p, c);
	g->vd = vd;
	if (g->p.who.admin) {
		rights_guard_free(&g);
		return STORE_OK;	/* admins are not bound */
	}
	store_read_begin(g->p.st);
	for (i = 0; i < nops && r == STORE_OK; i++) {
		/* a new dataset gets a chain (template, default inheritance) */
		if (!g->recheck) {
			struct store_snap *snap = NULL;

			r = store_snap_get(g->p.st, ops[i].dataset, &snap);
			store_snap_unref(&snap);
			if (r == STORE_ENOEXIST)
				g->recheck = true;
			else if (r != STORE_OK)
				break;
			r = STORE_OK;
		}
		reach_add(g, ops[i].dataset, ops[i].entry);
		for (j = 0; j < ops[i].nattrs; j++)
			if (strcmp(ops[i].attrs[j].name, "entry") == 0 &&
			    ops[i].attrs[j].value_op == STORE_OP_SET)
				reach_add(g, ops[i].dataset,
				    ops[i].attrs[j].values[0].s);
		/* a new chain: every name it or the old one may lock */
		if ((iop = inherit_op(&ops[i])) != NULL) {
			g->recheck = true;
			r = reach_chain(g, ops[i].dataset, ops[i].dataset);
			if (r == STORE_OK && iop->value_op == STORE_OP_SET)
				r = reach_chain(g, ops[i].dataset,
				    iop->values[0].s);
		}
	}
	store_read_end(g->p.st);
	if (r == STORE_OK)
		r = guard_scan(g);
	if (r != STORE_OK) {
		rights_guard_free(&g);
		return r;
	}
	/*
	 * Nothing locked within reach and the chains stay: the STORE cannot
	 * change a locked value, no second scan (the common case, which
	 * keeps the group commit's batches short).
	 */
	if (g->nlv > 0)
		g->recheck = true;
	*g_r = g;
	return STORE_OK;
}

enum store_err
rights_guard_verify(void *arg)
{
	struct rights_guard *g = arg;
	struct gov lock;
	enum store_err r;

	if (g == NULL || !g->recheck)
		return STORE_OK;
	g->after = true;
	g->bad = NULL;
	if ((r = guard_scan(g)) != STORE_OK)
		return r;
	if (g->bad == NULL)
		return STORE_OK;
	memset(&lock, 0, sizeof(lock));
	lock.dataset = g->bad->lock_ds;
	lock.attr = g->bad->attr;
	lock.entry = g->bad->entry;
	r = refuse(&g->p, g->bad->dataset, true, &lock, "'%s' of '%s' is "
	    "locked at %s: this STORE would change its value in %s",
	    g->bad->attr, g->bad->entry, g->bad->lock_ds, g->bad->dataset);
	perm_verdict(&g->p, r, g->vd);
	return r;
}

void
rights_guard_free(struct rights_guard **g_r)
{
	struct rights_guard *g = *g_r;
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nreach; i++) {
		free(g->reach[i].dataset);
		free(g->reach[i].entry);
	}
	for (i = 0; i < g->nlv; i++) {
		free(g->lv[i].dataset);
		free(g->lv[i].entry);
		free(g->lv[i].attr);
		free(g->lv[i].lock_ds);
		acap_buf_deinit(&g->lv[i].before);
	}
	free(g->reach);
	free(g->lv);
	perm_deinit(&g->p);
	free(g);
	*g_r = NULL;
}

/* ---- ACL objects ---------------------------------------------------------- */

bool
rights_aclobj(struct conn *c, const struct inherit_view *v,
    const char *dataset, const char *attr, const char *entry,
    unsigned int *rights_r)
{
	struct search_access acc;
	const struct inherit_entry *e;
	const struct inherit_attr *ia;
	const struct store_str *acl = NULL;
	struct inherit_tmp tmp;
	const char *path = NULL;
	size_t n = 0;

	*rights_r = 0;
	access_for_conn(c, &acc);
	if (entry != NULL) {
		/* §3.5: an entry the caller cannot read does not exist. */
		e = inherit_view_find(v, entry);
		if (e == NULL || !search_visible(&acc, v, e))
			return false;
		/* the layer the value comes from governs it (§5.1) */
		inherit_acl(v, e, attr, &acl, &n);
		ia = inherit_entry_get(e, attr, &tmp);
		path = inherit_view_layer_path(v, ia != NULL ? ia->layer :
		    e->layer);
	} else {
		inherit_dataset_acl(v, attr != NULL ? attr : "", &acl, &n,
		    &path);
	}
	*rights_r = access_rights(c, path != NULL ? path : dataset, acl, n);
	/*
	 * A dataset the caller can neither read nor administer does not
	 * exist for it (doc/acl.md): whatever other right the object's ACL
	 * gives, the answer is the one a missing dataset gets.
	 */
	if (!(*rights_r & ACL_R_ADMIN) &&
	    !search_dataset_readable(conn_store(c), &acc, v))
		return false;
	return true;
}

/* ---- Reading, quotas, LISTRIGHTS --------------------------------------- */

bool
rights_dataset_readable(struct conn *c, const struct inherit_view *v)
{
	struct perm p;
	bool r;

	perm_init(&p, c);
	r = view_readable(&p, v);
	perm_deinit(&p);
	return r;
}

bool
rights_dataset_level(struct conn *c, const struct inherit_view *v,
    unsigned int right)
{
	const struct store_str *acl;
	const char *path;
	size_t n;

	inherit_dataset_acl(v, "entry", &acl, &n, &path);
	return (access_rights(c, path != NULL ? path : inherit_view_path(v),
	    acl, n) & right) == right;
}

bool
rights_layer_readable(struct conn *c, const char *path,
    const struct store_snap *snap)
{
	struct perm p;
	struct dsacl d;
	struct gov g;

	/* the lookup STORE uses: dataset.acl.entry, else dataset.acl */
	memset(&d, 0, sizeof(d));
	d.path = path;
	d.mgmt = store_snap_find(snap, "");
	perm_init(&p, c);
	gov_find(&p, &d, NULL, "entry", &g);
	perm_deinit(&p);
	return (g.rights & ACL_R_READ) != 0;
}

bool
rights_quota(struct conn *c, const char *owner)
{
	const char *me = conn_user(c);

	return conn_is_admin(c) || (me != NULL && owner != NULL &&
	    strcmp(owner, me) == 0);
}

/* Whether ident is one of the configured admins. */
static bool
ident_is_admin(const char *ident, size_t len)
{
	const char *p = cfg->admins;
	size_t n;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == len && n > 0 && memcmp(p, ident, n) == 0)
			return true;
		p += n;
	}
	return false;
}

unsigned int
rights_always(const char *ident, size_t len, const char *dataset)
{
	struct acl_identity who;
	char *user;
	unsigned int r;

	if (ident_is_admin(ident, len))
		return ACL_R_ALL;
	/* groups, negative items and anyone have no tree of their own */
	if (len == 0 || ident[0] == '-' || ident[0] == '/' ||
	    (len == strlen(ACL_ANYONE) && memcmp(ident, ACL_ANYONE, len) ==
	    0))
		return 0;
	if ((user = strndup(ident, len)) == NULL)
		return 0;
	memset(&who, 0, sizeof(who));
	who.user = user;
	r = acl_implicit_rights(&who, dataset);
	free(user);
	return r;
}
