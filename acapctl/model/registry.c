/*
 * registry.c -- organisation, user and device registries and the
 * dataset.inherit wiring of layers.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ds.h"
#include "jsonx.h"
#include "model.h"
#include "registry.h"

static const char *entry_attr(const struct ds_entry *, const char *);

int
registry_get(struct ctl *ctl, const char *dataset, const char *name,
    struct ds_entry *e)
{
	const struct ds_entry *found;
	struct ds *ds;
	size_t i;

	if (ctl_read_dataset(ctl, dataset, CTL_NOINHERIT, name, &ds) == -1)
		return -1;
	if ((found = ds_find(ds, name)) == NULL) {
		ds_free(&ds);
		return 0;
	}
	if (e != NULL) {
		memset(e, 0, sizeof(*e));
		if ((e->name = strdup(found->name)) == NULL)
			abort();
		for (i = 0; i < found->nattrs; i++)
			ds_entry_set(e, found->attrs[i].name,
			    &found->attrs[i].value);
	}
	ds_free(&ds);
	return 1;
}

int
registry_lookup(struct ctl *ctl, const char *dataset, const char *name,
    const char *attr, char **val_r)
{
	const struct ds_attr *a;
	struct ds_entry e;
	int r;

	*val_r = NULL;
	if ((r = registry_get(ctl, dataset, name, &e)) != 1)
		return r;
	if ((a = ds_entry_get(&e, attr)) != NULL &&
	    ds_value_str(&a->value) != NULL &&
	    (*val_r = strdup(ds_value_str(&a->value))) == NULL)
		abort();
	ds_entry_clear(&e);
	return 1;
}

int
registry_user_org(struct ctl *ctl, const char *user, char **org_r)
{
	return registry_lookup(ctl, MODEL_USER_REGISTRY, user, MODEL_A_USER_ORG,
	    org_r);
}

int
registry_device_user(struct ctl *ctl, const char *id, char **user_r)
{
	int r = registry_lookup(ctl, MODEL_DEVICE_INDEX, id, MODEL_A_DEV_USER,
	    user_r);

	if (r == 1 && *user_r == NULL)
		r = 0;
	return r;
}

void
registry_wire(struct ds_store *st, int kind, const char *name,
    int parent_kind, const char *parent_name)
{
	struct model_layer l = { (enum model_kind)kind, (char *)name };
	struct model_layer p = { (enum model_kind)parent_kind,
	    (char *)parent_name };
	char *ds, *base;
	size_t i;

	char *item = NULL;
	const char *items[1];
	struct ds_value acl;

	/* who reads the layer besides admins (RFC 2244 §3.5) */
	if (kind == MODEL_ORG && asprintf(&item, "/group/%s\txr", name) < 0)
		abort();
	if (kind == MODEL_DEVICE && parent_name != NULL &&
	    asprintf(&item, "%s\txr", parent_name) < 0)
		abort();
	items[0] = item;
	for (i = 0; i < MODEL_NCLASSES; i++) {
		ds = model_dataset(&l, model_classes[i]);
		base = model_dataset(&p, model_classes[i]);
		/* the "" entry holds dataset.inherit (RFC 2244 §5) */
		ds_store_set_str(st, ds, "dataset.inherit", base);
		if (item != NULL) {
			ds_value_init_multi(&acl, items, 1);
			ds_store_set(st, ds, "dataset.acl", &acl);
			ds_value_free(&acl);
		}
		free(ds);
		free(base);
	}
	free(item);
}

void
registry_entry_walls(struct ds_store *st, const char *dataset,
    const char *name, const char *ident)
{
	struct ds_value none;
	const char *items[1];
	char *ep, *item;

	ds_value_init_multi(&none, NULL, 0);
	ds_store_set(st, dataset, "dataset.acl", &none);
	ds_value_free(&none);
	if (ident == NULL)
		return;
	if (asprintf(&item, "%s\txr", ident) < 0)
		abort();
	items[0] = item;
	ep = ds_entry_path(dataset, name);
	ds_store_acl_all(st, ep, items, 1);
	free(ep);
	free(item);
}

int
registry_clear_layer(struct ctl *ctl, struct ds_store *st, int kind,
    const char *name)
{
	struct model_layer l = { (enum model_kind)kind, (char *)name };
	struct ds_value def;
	struct ds *ds;
	char *path, *ep;
	size_t i, j;
	int n = 0;

	ds_value_init_default(&def);
	for (i = 0; i < MODEL_NCLASSES; i++) {
		path = model_dataset(&l, model_classes[i]);
		if (ctl_read_dataset(ctl, path, CTL_NOINHERIT, NULL,
		    &ds) == -1) {
			free(path);
			return -1;
		}
		for (j = 0; j < ds->nentries; j++) {
			ep = ds_entry_path(path, ds->entries[j].name);
			ds_store_set(st, ep, "entry", &def);
			free(ep);
			n++;
		}
		ds_free(&ds);
		free(path);
	}
	return n;
}

void
registry_org_walls(struct ds_store *st, const char *org)
{
	char *ident;

	if (asprintf(&ident, "/group/%s", org) < 0)
		abort();
	registry_entry_walls(st, MODEL_ORG_REGISTRY, org, ident);
	free(ident);
}

int
registry_user_devices(struct ctl *ctl, const char *user, struct ds **ds_r)
{
	struct ds *idx = NULL, *own = NULL, *out;
	const struct ds_entry *oe;
	struct ds_entry e;
	const char *owner;
	char *reg;
	size_t i, j;

	*ds_r = NULL;
	reg = model_device_registry(user);
	if (ctl_read_dataset(ctl, MODEL_DEVICE_INDEX, CTL_NOINHERIT, NULL,
	    &idx) == -1 || ctl_read_dataset(ctl, reg, CTL_NOINHERIT, NULL,
	    &own) == -1) {
		ds_free(&idx);
		free(reg);
		return -1;
	}
	out = ds_new(reg);
	free(reg);
	for (i = 0; i < idx->nentries; i++) {
		owner = entry_attr(&idx->entries[i], MODEL_A_DEV_USER);
		if (owner == NULL || strcmp(owner, user) != 0)
			continue;
		memset(&e, 0, sizeof(e));
		if ((e.name = strdup(idx->entries[i].name)) == NULL)
			abort();
		if ((oe = ds_find(own, e.name)) != NULL)
			for (j = 0; j < oe->nattrs; j++)
				ds_entry_set(&e, oe->attrs[j].name,
				    &oe->attrs[j].value);
		ds_add_entry(out, &e);
	}
	ds_sort(out);
	ds_free(&idx);
	ds_free(&own);
	*ds_r = out;
	return 0;
}

int
registry_clear_own(struct ctl *ctl, struct ds_store *st, const char *user)
{
	struct ds *own;
	char *reg = model_device_registry(user);
	size_t i;

	if (ctl_read_dataset(ctl, reg, CTL_NOINHERIT, NULL, &own) == -1) {
		free(reg);
		return -1;
	}
	for (i = 0; i < own->nentries; i++)
		registry_delete(st, reg, own->entries[i].name);
	ds_free(&own);
	free(reg);
	return 0;
}

void
registry_delete(struct ds_store *st, const char *dataset, const char *name)
{
	char *ep = ds_entry_path(dataset, name);

	ds_store_set_str(st, ep, "entry", NULL);
	free(ep);
}

int
registry_org_users(struct ctl *ctl, const char *org, json_t *list)
{
	const struct ds_attr *a;
	const char *o;
	struct ds *ds;
	size_t i;
	int n = 0;

	if (ctl_read_dataset(ctl, MODEL_USER_REGISTRY, CTL_NOINHERIT, NULL,
	    &ds) == -1)
		return -1;
	for (i = 0; i < ds->nentries; i++) {
		a = ds_entry_get(&ds->entries[i], MODEL_A_USER_ORG);
		o = a != NULL ? ds_value_str(&a->value) : NULL;
		if ((org == NULL && o != NULL) || (org != NULL &&
		    (o == NULL || strcmp(o, org) != 0)))
			continue;
		jsonx_add(list, jsonx_str(ds->entries[i].name));
		n++;
	}
	ds_free(&ds);
	return n;
}

int
registry_drop_device(struct ctl *ctl, struct ds_store *st, const char *user,
    const char *id)
{
	char *reg;

	if (registry_clear_layer(ctl, st, MODEL_DEVICE, id) == -1)
		return -1;
	reg = model_device_registry(user);
	registry_delete(st, reg, id);
	free(reg);
	registry_delete(st, MODEL_DEVICE_INDEX, id);
	return 0;
}

static void
push_layer(struct model_layer **ls, size_t *n, enum model_kind kind,
    const char *name)
{
	struct model_layer *p = realloc(*ls, (*n + 1) * sizeof(**ls));

	if (p == NULL)
		abort();
	*ls = p;
	p[*n].kind = kind;
	if ((p[*n].name = strdup(name)) == NULL)
		abort();
	(*n)++;
}

static const char *
entry_attr(const struct ds_entry *e, const char *attr)
{
	const struct ds_attr *a = ds_entry_get(e, attr);

	return a != NULL ? ds_value_str(&a->value) : NULL;
}

int
registry_below(struct ctl *ctl, int kind, const char *name,
    struct model_layer **ls_r, size_t *n_r)
{
	struct ds *orgs = NULL, *users = NULL, *devs = NULL;
	const char *org, *owner;
	size_t i, j, first_user;
	int rc = -1;

	*ls_r = NULL;
	*n_r = 0;
	if (kind == MODEL_DEVICE || kind == MODEL_PATH)
		return 0;
	if (kind == MODEL_SITE) {
		if (ctl_read_dataset(ctl, MODEL_ORG_REGISTRY, CTL_NOINHERIT,
		    NULL, &orgs) == -1)
			goto out;
		for (i = 0; i < orgs->nentries; i++)
			push_layer(ls_r, n_r, MODEL_ORG, orgs->entries[i].name);
	}
	first_user = *n_r;
	if (kind == MODEL_USER)
		push_layer(ls_r, n_r, MODEL_USER, name);
	else {
		if (ctl_read_dataset(ctl, MODEL_USER_REGISTRY, CTL_NOINHERIT,
		    NULL, &users) == -1)
			goto out;
		for (i = 0; i < users->nentries; i++) {
			org = entry_attr(&users->entries[i], MODEL_A_USER_ORG);
			if (kind == MODEL_ORG && (org == NULL ||
			    strcmp(org, name) != 0))
				continue;
			push_layer(ls_r, n_r, MODEL_USER,
			    users->entries[i].name);
		}
	}
	if (ctl_read_dataset(ctl, MODEL_DEVICE_INDEX, CTL_NOINHERIT, NULL,
	    &devs) == -1)
		goto out;
	for (i = 0; i < devs->nentries; i++) {
		owner = entry_attr(&devs->entries[i], MODEL_A_DEV_USER);
		if (owner == NULL)
			continue;
		for (j = first_user; j < *n_r; j++)
			if ((*ls_r)[j].kind == MODEL_USER &&
			    strcmp((*ls_r)[j].name, owner) == 0)
				break;
		if (j < *n_r)
			push_layer(ls_r, n_r, MODEL_DEVICE,
			    devs->entries[i].name);
	}
	if (kind == MODEL_USER) {
		/* the user itself is not below itself */
		model_layer_clear(&(*ls_r)[first_user]);
		memmove(&(*ls_r)[first_user], &(*ls_r)[first_user + 1],
		    (*n_r - first_user - 1) * sizeof(**ls_r));
		(*n_r)--;
	}
	rc = 0;
out:
	ds_free(&orgs);
	ds_free(&users);
	ds_free(&devs);
	if (rc == -1) {
		for (i = 0; i < *n_r; i++)
			model_layer_clear(&(*ls_r)[i]);
		free(*ls_r);
		*ls_r = NULL;
		*n_r = 0;
	}
	return rc;
}
