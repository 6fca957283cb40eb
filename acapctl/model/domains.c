/*
 * domains.c -- mail domains of organisations and of the site, and the
 * address index (domains.h).
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
#include "registry.h"

static const char *
entry_attr(const struct ds_entry *e, const char *attr)
{
	const struct ds_attr *a = ds_entry_get(e, attr);

	return a != NULL ? ds_value_str(&a->value) : NULL;
}

/* Whether an entry's organisation attribute is org (NULL: none). */
static int
same_org(const char *o, const char *org)
{
	if (org == NULL)
		return o == NULL;
	return o != NULL && strcmp(o, org) == 0;
}

int
domains_list(struct ctl *ctl, const char *org, json_t *list)
{
	struct ds *ds;
	size_t i;
	int n = 0;

	if (ctl_read_dataset(ctl, MODEL_DOMAIN_REGISTRY, CTL_NOINHERIT, NULL,
	    &ds) == -1)
		return -1;
	for (i = 0; i < ds->nentries; i++) {
		if (!same_org(entry_attr(&ds->entries[i], MODEL_A_DOMAIN_ORG),
		    org))
			continue;
		jsonx_add(list, jsonx_str(ds->entries[i].name));
		n++;
	}
	ds_free(&ds);
	return n;
}

int
domains_owner(struct ctl *ctl, const char *domain, char **org_r)
{
	return registry_lookup(ctl, MODEL_DOMAIN_REGISTRY, domain,
	    MODEL_A_DOMAIN_ORG, org_r);
}

int
addresses_user(struct ctl *ctl, const char *addr, char **user_r)
{
	return registry_lookup(ctl, MODEL_ADDRESS_INDEX, addr,
	    MODEL_A_ADDR_USER, user_r);
}

void
domains_store_add(struct ds_store *st, const char *domain, const char *org)
{
	char now[15], *ep, *ident = NULL;

	model_time_now(now);
	ep = ds_entry_path(MODEL_DOMAIN_REGISTRY, domain);
	/* create only: a domain belongs to one organisation */
	ds_store_modifiers(st, ep, DS_CREATE_ONLY);
	ds_store_set_str(st, ep, MODEL_A_DOMAIN_CREATED, now);
	if (org != NULL) {
		ds_store_set_str(st, ep, MODEL_A_DOMAIN_ORG, org);
		if (asprintf(&ident, "/group/%s", org) < 0)
			abort();
	}
	free(ep);
	registry_entry_walls(st, MODEL_DOMAIN_REGISTRY, domain, ident);
	free(ident);
}

void
addresses_store_add(struct ds_store *st, const char *addr, const char *user)
{
	char *ep = ds_entry_path(MODEL_ADDRESS_INDEX, addr);

	ds_store_modifiers(st, ep, DS_CREATE_ONLY);
	ds_store_set_str(st, ep, MODEL_A_ADDR_USER, user);
	free(ep);
	registry_entry_walls(st, MODEL_ADDRESS_INDEX, addr, user);
}

/* The domain part of an address in the index. */
static const char *
addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : "";
}

static int
in_list(const char *s, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return 1;
	return 0;
}

int
domains_store_drop(struct ctl *ctl, struct ds_store *st, const char *org,
    const char *const *domains, size_t n)
{
	struct ds *doms = NULL, *addrs = NULL;
	const char **mine = NULL;
	size_t i, nmine = 0;

	if (ctl_read_dataset(ctl, MODEL_DOMAIN_REGISTRY, CTL_NOINHERIT, NULL,
	    &doms) == -1 || ctl_read_dataset(ctl, MODEL_ADDRESS_INDEX,
	    CTL_NOINHERIT, NULL, &addrs) == -1) {
		ds_free(&doms);
		return -1;
	}
	if ((mine = calloc(doms->nentries + 1, sizeof(*mine))) == NULL)
		abort();
	for (i = 0; i < doms->nentries; i++) {
		if (!same_org(entry_attr(&doms->entries[i],
		    MODEL_A_DOMAIN_ORG), org))
			continue;
		if (domains != NULL &&
		    !in_list(doms->entries[i].name, domains, n))
			continue;
		mine[nmine++] = doms->entries[i].name;
		registry_delete(st, MODEL_DOMAIN_REGISTRY,
		    doms->entries[i].name);
	}
	for (i = 0; i < addrs->nentries; i++)
		if (in_list(addr_domain(addrs->entries[i].name), mine, nmine))
			registry_delete(st, MODEL_ADDRESS_INDEX,
			    addrs->entries[i].name);
	free(mine);
	ds_free(&doms);
	ds_free(&addrs);
	return (int)nmine;
}

int
addresses_list(struct ctl *ctl, const char *user, json_t *list)
{
	const char *u;
	struct ds *ds;
	size_t i;
	int n = 0;

	if (ctl_read_dataset(ctl, MODEL_ADDRESS_INDEX, CTL_NOINHERIT, NULL,
	    &ds) == -1)
		return -1;
	for (i = 0; i < ds->nentries; i++) {
		u = entry_attr(&ds->entries[i], MODEL_A_ADDR_USER);
		if (u == NULL || strcmp(u, user) != 0)
			continue;
		jsonx_add(list, jsonx_str(ds->entries[i].name));
		n++;
	}
	ds_free(&ds);
	return n;
}

int
addresses_store_drop(struct ctl *ctl, struct ds_store *st, const char *user,
    const char *org, json_t *dropped)
{
	json_t *mine = json_array(), *doms = NULL;
	const char *a;
	size_t i, j;
	int n = 0, keep;

	if (addresses_list(ctl, user, mine) == -1) {
		json_decref(mine);
		return -1;
	}
	if (org != NULL) {
		doms = json_array();
		if (domains_list(ctl, org, doms) == -1) {
			json_decref(doms);
			json_decref(mine);
			return -1;
		}
	}
	for (i = 0; i < json_array_size(mine); i++) {
		a = json_string_value(json_array_get(mine, i));
		keep = doms != NULL;
		for (j = 0; doms != NULL && j < json_array_size(doms); j++)
			if (strcmp(addr_domain(a), json_string_value(
			    json_array_get(doms, j))) == 0)
				keep = 0;
		if (keep)
			continue;
		registry_delete(st, MODEL_ADDRESS_INDEX, a);
		if (dropped != NULL)
			jsonx_add(dropped, jsonx_str(a));
		n++;
	}
	json_decref(doms);
	json_decref(mine);
	return n;
}

int
addresses_check(struct ctl *ctl, const char *addr, const char *user,
    const char *org)
{
	const char *dom = addr_domain(addr);
	char *owner = NULL, *who = NULL;
	int r;

	if ((r = domains_owner(ctl, dom, &owner)) == -1)
		return -1;
	if (r == 0) {
		ctl_error(ctl, "address \"%s\": domain %s is not registered "
		    "(org domain add ORG %s, or site domain add %s)", addr, dom,
		    dom, dom);
		return -1;
	}
	if (owner != NULL && (org == NULL || strcmp(owner, org) != 0)) {
		ctl_error(ctl, "address \"%s\": domain %s belongs to "
		    "organisation %s, and user %s is %s%s", addr, dom, owner,
		    user, org != NULL ? "in organisation " : "not in it",
		    org != NULL ? org : "");
		free(owner);
		return -1;
	}
	free(owner);
	if ((r = addresses_user(ctl, addr, &who)) == -1)
		return -1;
	if (r == 1) {
		ctl_error(ctl, "address \"%s\" is already taken by user %s",
		    addr, who != NULL ? who : "(unknown)");
		free(who);
		return -1;
	}
	return 0;
}

int
addresses_defaults(struct ctl *ctl, const char *user, const char *org,
    json_t *list)
{
	char addr[MODEL_ADDRESS_MAX + 64], norm[MODEL_ADDRESS_MAX + 64];
	json_t *doms = json_array();
	const char *err, *d;
	char *who;
	size_t i;
	int n = 0, r;

	if (domains_list(ctl, org, doms) == -1) {
		json_decref(doms);
		return -1;
	}
	for (i = 0; i < json_array_size(doms); i++) {
		d = json_string_value(json_array_get(doms, i));
		if (strchr(user, '@') != NULL ||
		    snprintf(addr, sizeof(addr), "%s@%s", user, d) >=
		    (int)MODEL_ADDRESS_MAX || !model_address_ok(addr, norm,
		    &err)) {
			ctl_warn(ctl, "user %s gets no address in %s: "
			    "\"%s@%s\" is not a valid address", user, d,
			    user, d);
			continue;
		}
		if ((r = addresses_user(ctl, norm, &who)) == -1) {
			json_decref(doms);
			return -1;
		}
		if (r == 1 && who != NULL && strcmp(who, user) == 0) {
			free(who);	/* the user's already */
			continue;
		}
		if (r == 1) {
			ctl_warn(ctl, "address %s is taken by user %s: not "
			    "given to %s", norm, who != NULL ? who : "?", user);
			free(who);
			continue;
		}
		jsonx_add(list, jsonx_str(norm));
		n++;
	}
	json_decref(doms);
	return n;
}
