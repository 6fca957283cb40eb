/*
 * profiles.c -- the struct profile of a layer (profiles.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "domains.h"
#include "ds.h"
#include "jsonx.h"
#include "model.h"
#include "profile.h"
#include "profiles.h"
#include "registry.h"

static const char *
entry_attr(const struct ds_entry *e, const char *attr)
{
	const struct ds_attr *a;

	if (e == NULL || (a = ds_entry_get(e, attr)) == NULL)
		return NULL;
	return ds_value_str(&a->value);
}

/* The last path component of "/class/~/NAME", or NULL. */
static const char *
last_component(const char *path)
{
	const char *s;

	if (path == NULL || (s = strrchr(path, '/')) == NULL || s[1] == '\0')
		return NULL;
	return s + 1;
}

/* The entry named (when present), else "mail", else the first with attr. */
static const struct ds_entry *
pick(const struct ds *ds, const char *named, const char *attr)
{
	const struct ds_entry *e;
	size_t i;

	if (named != NULL && (e = ds_find(ds, named)) != NULL)
		return e;
	if ((e = ds_find(ds, "mail")) != NULL)
		return e;
	for (i = 0; i < ds->nentries; i++)
		if (entry_attr(&ds->entries[i], attr) != NULL)
			return &ds->entries[i];
	return NULL;
}

static void
apply(struct profile *p, enum profile_class cls, const struct ds_entry *e)
{
	size_t i;
	const char *v;

	for (i = 0; e != NULL && i < e->nattrs; i++)
		if ((v = ds_value_str(&e->attrs[i].value)) != NULL)
			(void)profile_set_attr(p, cls, e->attrs[i].name, v);
}

int
profiles_layer(struct ctl *ctl, const struct model_layer *l,
    struct profile *p)
{
	struct ds *opt = NULL, *email = NULL, *pers = NULL;
	const struct ds_entry *acct;
	char *path;
	int rc = -1;

	path = model_dataset(l, "option");
	if (ctl_read_dataset(ctl, path, 0, "mua.default.account",
	    &opt) == -1)
		goto out;
	free(path);
	path = model_dataset(l, "email");
	if (ctl_read_dataset(ctl, path, 0, NULL, &email) == -1)
		goto out;
	free(path);
	path = model_dataset(l, "personality");
	if (ctl_read_dataset(ctl, path, 0, NULL, &pers) == -1)
		goto out;
	acct = pick(email, last_component(entry_attr(ds_find(opt,
	    "mua.default.account"), "option.value")), "email.server.IMAP");
	apply(p, PROFILE_EMAIL, acct);
	apply(p, PROFILE_PERSONALITY, pick(pers, last_component(
	    entry_attr(acct, "email.personality")), "personality.Server.SMTP"));
	rc = 0;
out:
	free(path);
	ds_free(&opt);
	ds_free(&email);
	ds_free(&pers);
	return rc;
}

int
profiles_device(struct ctl *ctl, const char *id, struct profile *p,
    char **user_r)
{
	struct model_layer l = { MODEL_DEVICE, (char *)id };
	json_t *list = json_array();
	char *user = NULL, *org = NULL, *desc = NULL;
	const char *first, *at;
	int r;

	*user_r = NULL;
	if ((r = registry_device_user(ctl, id, &user)) != 1) {
		json_decref(list);
		if (r == 0)
			ctl_error(ctl, "no device \"%s\"", id);
		return -1;
	}
	if (registry_user_org(ctl, user, &org) == -1 ||
	    (org != NULL && registry_lookup(ctl, MODEL_ORG_REGISTRY, org,
	    MODEL_A_ORG_DESC, &desc) == -1) ||
	    profiles_layer(ctl, &l, p) == -1 ||
	    addresses_list(ctl, user, list) == -1)
		goto fail;
	if ((first = json_string_value(json_array_get(list, 0))) != NULL) {
		profile_set_str(&p->email, first);
		at = strrchr(first, '@');
		profile_set_str(&p->domain, at != NULL ? at + 1 : NULL);
	} else {
		json_array_clear(list);
		if (domains_list(ctl, org, list) == -1)
			goto fail;
		profile_set_str(&p->domain, json_string_value(
		    json_array_get(list, 0)));
	}
	if (p->login == NULL)
		profile_set_str(&p->login, user);
	profile_set_str(&p->org_name, org);
	profile_set_str(&p->org_description, desc);
	free(org);
	free(desc);
	json_decref(list);
	*user_r = user;
	return 0;
fail:
	free(user);
	free(org);
	free(desc);
	json_decref(list);
	return -1;
}
