/*
 * cmd-org.c -- "org add|list|show|del": organisation layers
 * (/<class>/group/<org>/ inheriting from /<class>/site/) and their
 * registry entries.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "ctl.h"
#include "domains.h"
#include "ds.h"
#include "jsonx.h"
#include "model.h"
#include "registry.h"

static const char *
attr_str(const struct ds_entry *e, const char *attr)
{
	const struct ds_attr *a = ds_entry_get(e, attr);

	return a != NULL ? ds_value_str(&a->value) : NULL;
}

int
cmd_org_add(struct ctl *ctl, int argc, char **argv)
{
	const char *desc = NULL, *err;
	struct ctl_list domains = { { NULL }, 0 };
	const struct acap_completion *c;
	struct ctl_opt opts[] = {
		{ "description", CTL_OPT_ARG, &desc },
		{ "domain", CTL_OPT_LIST, &domains },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	struct ds_store *st;
	char now[15], *ep, *doms[CTL_LIST_MAX];
	json_t *dl;
	size_t i;
	int r;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "org add needs one organisation name");
	if (!model_name_ok(argv[0], &err))
		return ctl_usage(ctl, "organisation \"%s\": %s", argv[0], err);
	model_time_now(now);
	st = ds_store_new();
	ep = ds_entry_path(MODEL_ORG_REGISTRY, argv[0]);
	/* create only: an existing registry entry makes the STORE fail */
	ds_store_modifiers(st, ep, DS_CREATE_ONLY);
	ds_store_set_str(st, ep, MODEL_A_ORG_CREATED, now);
	if (desc != NULL)
		ds_store_set_str(st, ep, MODEL_A_ORG_DESC, desc);
	free(ep);
	registry_org_walls(st, argv[0]);
	registry_wire(st, MODEL_ORG, argv[0], MODEL_SITE, NULL);
	if (domains.n > 0 && (r = cmd_domains_add(ctl, argv[0], domains.v,
	    domains.n, st, doms)) != CTL_OK) {
		ds_store_free(&st);
		return r;
	}
	r = ctl_store(ctl, st, "creating the organisation");
	ds_store_free(&st);
	if (r == 1) {
		c = ctl_completion(ctl);
		if (c != NULL && c->code != NULL &&
		    strcmp(c->code, "MODIFIED") == 0) {
			free(ctl->error);
			ctl->error = NULL;
			r = registry_get(ctl, MODEL_ORG_REGISTRY, argv[0],
			    NULL);
			if (r == 1 || domains.n == 0)
				ctl_error(ctl, "organisation \"%s\" already "
				    "exists", argv[0]);
			else if (r == 0)
				cmd_domains_raced(ctl, "a domain");
		}
	}
	dl = r == 0 ? jsonx_set(ctl_result(ctl), "domains", json_array()) :
	    NULL;
	for (i = 0; i < domains.n; i++) {
		if (dl != NULL)
			jsonx_add(dl, jsonx_str(doms[i]));
		free(doms[i]);
	}
	if (r != 0)
		return CTL_FAIL;
	jsonx_set_str(ctl_result(ctl), "org", argv[0]);
	ctl_out(ctl, "organisation %s created (inherits from the site)\n",
	    argv[0]);
	for (i = 0; i < json_array_size(dl); i++)
		ctl_out(ctl, "domain %s added to organisation %s\n",
		    json_string_value(json_array_get(dl, i)), argv[0]);
	return CTL_OK;
}

int
cmd_org_list(struct ctl *ctl, int argc, char **argv)
{
	json_t *list, *o;
	const char *d;
	struct ds *ds;
	size_t i;

	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	if (argc != 0)
		return ctl_usage(ctl, "org list takes no arguments");
	if (ctl_read_dataset(ctl, MODEL_ORG_REGISTRY, CTL_NOINHERIT, NULL,
	    &ds) == -1)
		return CTL_FAIL;
	list = jsonx_set(ctl_result(ctl), "orgs", json_array());
	for (i = 0; i < ds->nentries; i++) {
		o = jsonx_add(list, json_object());
		jsonx_set_str(o, "name", ds->entries[i].name);
		d = attr_str(&ds->entries[i], MODEL_A_ORG_DESC);
		jsonx_set_str(o, "description", d);
		jsonx_set_str(o, "created",
		    attr_str(&ds->entries[i], MODEL_A_ORG_CREATED));
		ctl_out(ctl, "%s%s%s\n", ds->entries[i].name,
		    d != NULL ? "\t" : "", d != NULL ? d : "");
	}
	ds_free(&ds);
	return CTL_OK;
}

int
cmd_org_show(struct ctl *ctl, int argc, char **argv)
{
	struct ds_entry e;
	json_t *o, *users, *doms;
	const char *err;
	size_t i;
	int r;

	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "org show needs one organisation name");
	if (!model_name_ok(argv[0], &err))
		return ctl_usage(ctl, "organisation \"%s\": %s", argv[0], err);
	if ((r = registry_get(ctl, MODEL_ORG_REGISTRY, argv[0], &e)) == -1)
		return CTL_FAIL;
	if (r == 0)
		return ctl_error(ctl, "no organisation \"%s\"", argv[0]);
	o = ctl_result(ctl);
	jsonx_set_str(o, "name", argv[0]);
	jsonx_set_str(o, "description", attr_str(&e, MODEL_A_ORG_DESC));
	jsonx_set_str(o, "created", attr_str(&e, MODEL_A_ORG_CREATED));
	jsonx_set_str(o, "discovery", attr_str(&e, MODEL_A_ORG_DISCOVERY));
	users = jsonx_set(o, "users", json_array());
	doms = jsonx_set(o, "domains", json_array());
	if (registry_org_users(ctl, argv[0], users) == -1 ||
	    domains_list(ctl, argv[0], doms) == -1) {
		ds_entry_clear(&e);
		return CTL_FAIL;
	}
	ctl_out(ctl, "organisation: %s\n", argv[0]);
	if (attr_str(&e, MODEL_A_ORG_DESC) != NULL)
		ctl_out(ctl, "description:  %s\n",
		    attr_str(&e, MODEL_A_ORG_DESC));
	if (attr_str(&e, MODEL_A_ORG_CREATED) != NULL)
		ctl_out(ctl, "created:      %s\n",
		    attr_str(&e, MODEL_A_ORG_CREATED));
	ctl_out(ctl, "datasets:     /email/group/%s/ (and personality, "
	    "option) -> site\n", argv[0]);
	ctl_out(ctl, "discovery:    %s\n", attr_str(&e,
	    MODEL_A_ORG_DISCOVERY) != NULL ? attr_str(&e,
	    MODEL_A_ORG_DISCOVERY) : "org (the default)");
	ctl_out(ctl, "domains:     ");
	for (i = 0; i < json_array_size(doms); i++)
		ctl_out(ctl, " %s",
		    json_string_value(json_array_get(doms, i)));
	ctl_out(ctl, "%s\n", json_array_size(doms) == 0 ? " (none)" : "");
	ctl_out(ctl, "users:       ");
	for (i = 0; i < json_array_size(users); i++)
		ctl_out(ctl, " %s",
		    json_string_value(json_array_get(users, i)));
	ctl_out(ctl, "%s\n", json_array_size(users) == 0 ? " (none)" : "");
	ds_entry_clear(&e);
	return CTL_OK;
}

int
cmd_org_del(struct ctl *ctl, int argc, char **argv)
{
	bool force = false;
	struct ctl_opt opts[] = {
		{ "force", CTL_OPT_FLAG, &force },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	json_t *users;
	struct ds_store *st;
	const char *err, *u;
	char *ep;
	size_t i;
	int r, n;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "org del needs one organisation name");
	if (!model_name_ok(argv[0], &err))
		return ctl_usage(ctl, "organisation \"%s\": %s", argv[0], err);
	if ((r = registry_get(ctl, MODEL_ORG_REGISTRY, argv[0], NULL)) == -1)
		return CTL_FAIL;
	if (r == 0)
		return ctl_error(ctl, "no organisation \"%s\"", argv[0]);
	users = jsonx_set(ctl_result(ctl), "moved_users",
	    json_array());
	if ((n = registry_org_users(ctl, argv[0], users)) == -1)
		return CTL_FAIL;
	if (n > 0 && !force)
		return ctl_error(ctl, "organisation \"%s\" has %d user%s; "
		    "move them first or use --force (they will inherit from "
		    "the site)", argv[0], n, n == 1 ? "" : "s");
	st = ds_store_new();
	for (i = 0; i < json_array_size(users); i++) {
		u = json_string_value(json_array_get(users, i));
		registry_wire(st, MODEL_USER, u, MODEL_SITE, NULL);
		ep = ds_entry_path(MODEL_USER_REGISTRY, u);
		ds_store_set_str(st, ep, MODEL_A_USER_ORG, NULL);
		free(ep);
		registry_entry_walls(st, MODEL_USER_REGISTRY, u, u);
	}
	if (registry_clear_layer(ctl, st, MODEL_ORG, argv[0]) == -1) {
		ds_store_free(&st);
		return CTL_FAIL;
	}
	/* its domains, and the addresses in them (doc/discovery.md) */
	if (domains_store_drop(ctl, st, argv[0], NULL, 0) == -1) {
		ds_store_free(&st);
		return CTL_FAIL;
	}
	registry_delete(st, MODEL_ORG_REGISTRY, argv[0]);
	r = ctl_store(ctl, st, "deleting the organisation");
	ds_store_free(&st);
	if (r != 0)
		return CTL_FAIL;
	jsonx_set_str(ctl_result(ctl), "org", argv[0]);
	ctl_out(ctl, "organisation %s deleted", argv[0]);
	if (n > 0)
		ctl_out(ctl, "; %d user%s now inherit%s from the site", n,
		    n == 1 ? "" : "s", n == 1 ? "s" : "");
	ctl_out(ctl, "\n");
	return CTL_OK;
}
