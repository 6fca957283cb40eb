/*
 * ds.c -- attribute values, entries and datasets held by acapctl, and the
 * assembly of STORE commands (RFC 2244 §6.6.1).  No I/O.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "acap-client.h"
#include "acap-parser.h"
#include "ds.h"
#include "jsonx.h"

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n == 0 ? 1 : n, size);

	if (p == NULL)
		abort();
	return p;
}

static void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (n != 0 && size > SIZE_MAX / n)
		abort();
	if ((p = realloc(p, n * size == 0 ? 1 : n * size)) == NULL)
		abort();
	return p;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		abort();
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* Values. */

void
ds_value_init_nil(struct ds_value *v)
{
	memset(v, 0, sizeof(*v));
	v->kind = DS_NIL;
}

void
ds_value_init_default(struct ds_value *v)
{
	memset(v, 0, sizeof(*v));
	v->kind = DS_DEFAULT;
}

void
ds_value_init_single(struct ds_value *v, const char *s, size_t len)
{
	v->kind = DS_SINGLE;
	v->n = 1;
	v->v = xcalloc(1, sizeof(*v->v));
	v->len = xcalloc(1, sizeof(*v->len));
	v->v[0] = xstrndup(s, len);
	v->len[0] = len;
}

void
ds_value_init_str(struct ds_value *v, const char *s)
{
	ds_value_init_single(v, s, strlen(s));
}

void
ds_value_init_multi(struct ds_value *v, const char *const *vals, size_t n)
{
	size_t i;

	v->kind = DS_MULTI;
	v->n = n;
	v->v = xcalloc(n, sizeof(*v->v));
	v->len = xcalloc(n, sizeof(*v->len));
	for (i = 0; i < n; i++) {
		v->len[i] = strlen(vals[i]);
		v->v[i] = xstrndup(vals[i], v->len[i]);
	}
}

void
ds_value_free(struct ds_value *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	free(v->len);
	ds_value_init_nil(v);
}

void
ds_value_copy(struct ds_value *dst, const struct ds_value *src)
{
	size_t i;

	dst->kind = src->kind;
	dst->n = src->n;
	dst->v = NULL;
	dst->len = NULL;
	if (src->kind != DS_SINGLE && src->kind != DS_MULTI)
		return;
	dst->v = xcalloc(src->n, sizeof(*dst->v));
	dst->len = xcalloc(src->n, sizeof(*dst->len));
	for (i = 0; i < src->n; i++) {
		dst->v[i] = xstrndup(src->v[i], src->len[i]);
		dst->len[i] = src->len[i];
	}
}

bool
ds_value_equal(const struct ds_value *a, const struct ds_value *b)
{
	size_t i;

	if (a->kind != b->kind || a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->len[i] != b->len[i] ||
		    memcmp(a->v[i], b->v[i], a->len[i]) != 0)
			return false;
	return true;
}

const char *
ds_value_str(const struct ds_value *v)
{
	return v->kind == DS_SINGLE ? v->v[0] : NULL;
}

int
ds_value_from_arg(const struct acap_arg *a, struct ds_value *v)
{
	size_t i;

	ds_value_init_nil(v);
	switch (a->type) {
	case ACAP_ARG_NIL:
		return 0;
	case ACAP_ARG_STRING:
		ds_value_init_single(v, a->str, a->len);
		return 0;
	case ACAP_ARG_LIST:
		v->kind = DS_MULTI;
		v->n = a->count;
		v->v = xcalloc(a->count, sizeof(*v->v));
		v->len = xcalloc(a->count, sizeof(*v->len));
		for (i = 0; i < a->count; i++) {
			if (a->list[i].type != ACAP_ARG_STRING) {
				v->n = i;
				ds_value_free(v);
				return -1;
			}
			v->v[i] = xstrndup(a->list[i].str, a->list[i].len);
			v->len[i] = a->list[i].len;
		}
		return 0;
	case ACAP_ARG_ATOM:
		break;
	}
	return -1;
}

json_t *
ds_value_to_json(const struct ds_value *v)
{
	json_t *j;
	size_t i;

	switch (v->kind) {
	case DS_NIL:
		return json_null();
	case DS_SINGLE:
		return jsonx_strn(v->v[0], v->len[0]);
	case DS_MULTI:
		j = json_array();
		for (i = 0; i < v->n; i++)
			jsonx_add(j, jsonx_strn(v->v[i],
			    v->len[i]));
		return j;
	case DS_DEFAULT:
		break;
	}
	j = json_object();
	jsonx_set_bool(j, "default", true);
	return j;
}

static int
scalar_from_json(const json_t *j, char **s_r, size_t *len_r)
{
	char buf[32];
	const char *s;

	if ((s = json_string_value(j)) != NULL) {
		*len_r = json_string_length(j);
		*s_r = xstrndup(s, *len_r);
		return 0;
	}
	if (json_is_integer(j)) {
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(j));
		*s_r = xstrdup(buf);
		*len_r = strlen(buf);
		return 0;
	}
	return -1;
}

int
ds_value_from_json(const json_t *j, struct ds_value *v)
{
	const json_t *d;
	size_t i, n;

	ds_value_init_nil(v);
	switch (json_typeof(j)) {
	case JSON_NULL:
		return 0;
	case JSON_STRING:
	case JSON_INTEGER:
		v->kind = DS_SINGLE;
		v->n = 1;
		v->v = xcalloc(1, sizeof(*v->v));
		v->len = xcalloc(1, sizeof(*v->len));
		if (scalar_from_json(j, &v->v[0], &v->len[0]) == -1) {
			v->n = 0;
			ds_value_free(v);
			return -1;
		}
		return 0;
	case JSON_ARRAY:
		n = json_array_size(j);
		v->kind = DS_MULTI;
		v->v = xcalloc(n, sizeof(*v->v));
		v->len = xcalloc(n, sizeof(*v->len));
		for (i = 0; i < n; i++) {
			if (scalar_from_json(json_array_get(j, i), &v->v[i],
			    &v->len[i]) == -1) {
				v->n = i;
				ds_value_free(v);
				return -1;
			}
			v->n = i + 1;
		}
		v->n = n;
		return 0;
	case JSON_OBJECT:
		d = json_object_get(j, "default");
		if (json_is_true(d) && json_object_size(j) == 1) {
			ds_value_init_default(v);
			return 0;
		}
		return -1;
	case JSON_REAL:
	case JSON_TRUE:
	case JSON_FALSE:
		break;
	}
	return -1;
}

void
ds_value_format(const struct ds_value *v, struct acap_buf *out)
{
	size_t i;

	switch (v->kind) {
	case DS_NIL:
		acap_buf_addstr(out, "NIL");
		return;
	case DS_DEFAULT:
		acap_buf_addstr(out, "DEFAULT");
		return;
	case DS_SINGLE:
		acap_buf_add_string(out, v->v[0], v->len[0]);
		return;
	case DS_MULTI:
		acap_buf_addch(out, '(');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				acap_buf_addch(out, ' ');
			acap_buf_add_string(out, v->v[i], v->len[i]);
		}
		acap_buf_addch(out, ')');
		return;
	}
}

/* Entries. */

static int
attr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ds_attr *)a)->name,
	    ((const struct ds_attr *)b)->name);
}

void
ds_entry_clear(struct ds_entry *e)
{
	size_t i;

	for (i = 0; i < e->nattrs; i++) {
		free(e->attrs[i].name);
		ds_value_free(&e->attrs[i].value);
	}
	free(e->attrs);
	free(e->name);
	free(e->modtime);
	memset(e, 0, sizeof(*e));
}

const struct ds_attr *
ds_entry_get(const struct ds_entry *e, const char *attr)
{
	size_t i;

	for (i = 0; i < e->nattrs; i++)
		if (strcmp(e->attrs[i].name, attr) == 0)
			return &e->attrs[i];
	return NULL;
}

void
ds_entry_set(struct ds_entry *e, const char *attr, const struct ds_value *v)
{
	size_t i;

	for (i = 0; i < e->nattrs; i++)
		if (strcmp(e->attrs[i].name, attr) == 0) {
			ds_value_free(&e->attrs[i].value);
			ds_value_copy(&e->attrs[i].value, v);
			return;
		}
	e->attrs = xreallocarray(e->attrs, e->nattrs + 1, sizeof(*e->attrs));
	e->attrs[e->nattrs].name = xstrdup(attr);
	ds_value_copy(&e->attrs[e->nattrs].value, v);
	e->nattrs++;
	qsort(e->attrs, e->nattrs, sizeof(*e->attrs), attr_cmp);
}

int
ds_entry_parse(const struct acap_arg *args, size_t nargs, struct ds_entry *e)
{
	const struct acap_arg *groups, *g;
	struct ds_value v;
	size_t i;

	memset(e, 0, sizeof(*e));
	if (nargs < 1 || args[0].type != ACAP_ARG_STRING)
		return -1;
	e->name = xstrndup(args[0].str, args[0].len);
	if (nargs == 1)
		return 0;	/* RETURN () (ACAP-NOTES §12, OUR CALL) */
	if (nargs != 2 || args[1].type != ACAP_ARG_LIST)
		goto fail;
	groups = &args[1];
	for (i = 0; i < groups->count; i++) {
		g = &groups->list[i];
		/* ("attribute" value): default metadata of a "*" item */
		if (g->type != ACAP_ARG_LIST || g->count != 2 ||
		    g->list[0].type != ACAP_ARG_STRING)
			goto fail;
		if (ds_value_from_arg(&g->list[1], &v) == -1)
			goto fail;
		if (strcmp(g->list[0].str, "entry") == 0) {
			ds_value_free(&v);
			continue;
		}
		if (strcmp(g->list[0].str, "modtime") == 0) {
			free(e->modtime);
			e->modtime = v.kind == DS_SINGLE ?
			    xstrdup(v.v[0]) : NULL;
			ds_value_free(&v);
			continue;
		}
		ds_entry_set(e, g->list[0].str, &v);
		ds_value_free(&v);
	}
	return 0;
fail:
	ds_entry_clear(e);
	return -1;
}

/* Datasets. */

struct ds *
ds_new(const char *path)
{
	struct ds *ds = xcalloc(1, sizeof(*ds));

	ds->path = xstrdup(path);
	ds->exists = true;
	return ds;
}

void
ds_free(struct ds **dsp)
{
	struct ds *ds = *dsp;
	size_t i;

	if (ds == NULL)
		return;
	for (i = 0; i < ds->nentries; i++)
		ds_entry_clear(&ds->entries[i]);
	free(ds->entries);
	if (ds->mgmt != NULL) {
		ds_entry_clear(ds->mgmt);
		free(ds->mgmt);
	}
	free(ds->path);
	free(ds);
	*dsp = NULL;
}

void
ds_add_entry(struct ds *ds, struct ds_entry *e)
{
	if (e->name[0] == '\0') {
		if (ds->mgmt != NULL) {
			ds_entry_clear(ds->mgmt);
			free(ds->mgmt);
		}
		ds->mgmt = xcalloc(1, sizeof(*ds->mgmt));
		*ds->mgmt = *e;
	} else {
		ds->entries = xreallocarray(ds->entries, ds->nentries + 1,
		    sizeof(*ds->entries));
		ds->entries[ds->nentries++] = *e;
	}
	memset(e, 0, sizeof(*e));
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ds_entry *)a)->name,
	    ((const struct ds_entry *)b)->name);
}

void
ds_sort(struct ds *ds)
{
	if (ds->nentries > 1)
		qsort(ds->entries, ds->nentries, sizeof(*ds->entries),
		    entry_cmp);
}

const struct ds_entry *
ds_find(const struct ds *ds, const char *name)
{
	size_t i;

	if (name[0] == '\0')
		return ds->mgmt;
	for (i = 0; i < ds->nentries; i++)
		if (strcmp(ds->entries[i].name, name) == 0)
			return &ds->entries[i];
	return NULL;
}

const char *
ds_inherit(const struct ds *ds)
{
	const struct ds_attr *a;

	if (ds->mgmt == NULL ||
	    (a = ds_entry_get(ds->mgmt, "dataset.inherit")) == NULL)
		return NULL;
	return ds_value_str(&a->value);
}

char *
ds_entry_path(const char *dataset, const char *entry)
{
	size_t dl = strlen(dataset), el = strlen(entry);
	char *p = malloc(dl + el + 2);

	if (p == NULL)
		abort();
	memcpy(p, dataset, dl);
	if (dl == 0 || dataset[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, entry, el + 1);
	return p;
}

/* STORE assembly. */

static void add_string(const struct acap_client *, struct acap_buf *,
    const char *, size_t);

struct ds_store_acl {
	char *attr;
	struct ds_value items;		/* multi */
};

struct ds_store_entry {
	char *path;
	unsigned int flags;
	struct ds_entry attrs;	/* name unused; insertion order kept */
	struct ds_store_acl *acls;
	size_t nacls;
};

struct ds_store {
	struct ds_store_entry *e;
	size_t n;
};

struct ds_store *
ds_store_new(void)
{
	return xcalloc(1, sizeof(struct ds_store));
}

void
ds_store_free(struct ds_store **stp)
{
	struct ds_store *st = *stp;
	size_t i, j;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++) {
		free(st->e[i].path);
		ds_entry_clear(&st->e[i].attrs);
		for (j = 0; j < st->e[i].nacls; j++) {
			free(st->e[i].acls[j].attr);
			ds_value_free(&st->e[i].acls[j].items);
		}
		free(st->e[i].acls);
	}
	free(st->e);
	free(st);
	*stp = NULL;
}

static struct ds_store_entry *
store_entry(struct ds_store *st, const char *entry_path)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->e[i].path, entry_path) == 0)
			return &st->e[i];
	st->e = xreallocarray(st->e, st->n + 1, sizeof(*st->e));
	memset(&st->e[st->n], 0, sizeof(st->e[st->n]));
	st->e[st->n].path = xstrdup(entry_path);
	return &st->e[st->n++];
}

void
ds_store_set(struct ds_store *st, const char *entry_path, const char *attr,
    const struct ds_value *v)
{
	ds_entry_set(&store_entry(st, entry_path)->attrs, attr, v);
}

void
ds_store_set_str(struct ds_store *st, const char *entry_path,
    const char *attr, const char *s)
{
	struct ds_value v;

	if (s == NULL)
		ds_value_init_nil(&v);
	else
		ds_value_init_str(&v, s);
	ds_store_set(st, entry_path, attr, &v);
	ds_value_free(&v);
}

void
ds_store_acl(struct ds_store *st, const char *entry_path, const char *attr,
    const char *const *items, size_t n)
{
	struct ds_store_entry *e = store_entry(st, entry_path);
	size_t i;

	for (i = 0; i < e->nacls; i++)
		if (strcmp(e->acls[i].attr, attr) == 0)
			break;
	if (i == e->nacls) {
		e->acls = xreallocarray(e->acls, e->nacls + 1,
		    sizeof(*e->acls));
		e->acls[i].attr = xstrdup(attr);
		e->nacls++;
	} else
		ds_value_free(&e->acls[i].items);
	ds_value_init_multi(&e->acls[i].items, items, n);
}

void
ds_store_acl_all(struct ds_store *st, const char *entry_path,
    const char *const *items, size_t n)
{
	struct ds_store_entry *e = store_entry(st, entry_path);
	size_t i;

	ds_store_acl(st, entry_path, "entry", items, n);
	for (i = 0; i < e->attrs.nattrs; i++)
		if (strcmp(e->attrs.attrs[i].name, "entry") != 0)
			ds_store_acl(st, entry_path, e->attrs.attrs[i].name,
			    items, n);
}

static const struct ds_store_acl *
store_acl_find(const struct ds_store_entry *e, const char *attr)
{
	size_t i;

	for (i = 0; i < e->nacls; i++)
		if (strcmp(e->acls[i].attr, attr) == 0)
			return &e->acls[i];
	return NULL;
}

static void
add_list(const struct acap_client *c, struct acap_buf *out,
    const struct ds_value *v)
{
	size_t k;

	acap_buf_addch(out, '(');
	for (k = 0; k < v->n; k++) {
		if (k > 0)
			acap_buf_addch(out, ' ');
		add_string(c, out, v->v[k], v->len[k]);
	}
	acap_buf_addch(out, ')');
}

void
ds_store_modifiers(struct ds_store *st, const char *entry_path,
    unsigned int flags)
{
	store_entry(st, entry_path)->flags |= flags;
}

size_t
ds_store_count(const struct ds_store *st)
{
	return st->n;
}

static void
add_string(const struct acap_client *c, struct acap_buf *out, const char *s,
    size_t len)
{
	if (c != NULL)
		acap_client_add_string(c, out, s, len);
	else
		acap_buf_add_string(out, s, len);
}

void
ds_store_format(const struct ds_store *st, const struct acap_client *c,
    struct acap_buf *out)
{
	const struct ds_store_entry *e;
	const struct ds_store_acl *acl;
	const struct ds_value *v;
	size_t i, j;

	acap_buf_addstr(out, "STORE");
	for (i = 0; i < st->n; i++) {
		e = &st->e[i];
		acap_buf_addstr(out, " (");
		add_string(c, out, e->path, strlen(e->path));
		if (e->flags & DS_NOCREATE)
			acap_buf_addstr(out, " NOCREATE");
		if (e->flags & DS_CREATE_ONLY)	/* §6.6.1: "create only" */
			acap_buf_addstr(out,
			    " UNCHANGEDSINCE \"00000101000000\"");
		for (j = 0; j < e->attrs.nattrs; j++) {
			acap_buf_addch(out, ' ');
			add_string(c, out, e->attrs.attrs[j].name,
			    strlen(e->attrs.attrs[j].name));
			acap_buf_addch(out, ' ');
			v = &e->attrs.attrs[j].value;
			acl = store_acl_find(e, e->attrs.attrs[j].name);
			/* a multi-value or an acl needs the metadata form */
			if (acl != NULL || v->kind == DS_MULTI)
				acap_buf_addstr(out, "(\"value\" ");
			switch (v->kind) {
			case DS_NIL:
				acap_buf_addstr(out, "NIL");
				break;
			case DS_DEFAULT:
				acap_buf_addstr(out, "DEFAULT");
				break;
			case DS_SINGLE:
				add_string(c, out, v->v[0], v->len[0]);
				break;
			case DS_MULTI:
				add_list(c, out, v);
				break;
			}
			if (acl != NULL) {
				acap_buf_addstr(out, " \"acl\" ");
				add_list(c, out, &acl->items);
			}
			if (acl != NULL || v->kind == DS_MULTI)
				acap_buf_addch(out, ')');
		}
		/* acl metadata alone, the value kept */
		for (j = 0; j < e->nacls; j++) {
			if (ds_entry_get(&e->attrs, e->acls[j].attr) != NULL)
				continue;
			acap_buf_addch(out, ' ');
			add_string(c, out, e->acls[j].attr,
			    strlen(e->acls[j].attr));
			acap_buf_addstr(out, " (\"acl\" ");
			add_list(c, out, &e->acls[j].items);
			acap_buf_addch(out, ')');
		}
		acap_buf_addch(out, ')');
	}
}
