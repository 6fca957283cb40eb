/*
 * cmd-domain.c -- "org domain add|del|list", "site domain add|del|list",
 * "org discovery" and "user address add|del|list": the mail domains of
 * organisations and of the site and the addresses of users, as the
 * discovery endpoints resolve them (doc/discovery.md).
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

/*
 * Normalise and check the domains of v into out (lowercase, new
 * strings).  Returns CTL_OK or CTL_USAGE (error recorded).
 */
static int
norm_domains(struct ctl *ctl, const char *const *v, size_t n, char **out)
{
	char buf[256];
	const char *err;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (strlen(v[i]) > 253 || !model_domain_ok(v[i], buf, &err)) {
			if (strlen(v[i]) > 253)
				err = "a domain has 1 to 253 characters";
			for (j = 0; j < i; j++)
				free(out[j]);
			return ctl_usage(ctl, "domain \"%s\": %s", v[i], err);
		}
		if ((out[i] = strdup(buf)) == NULL)
			abort();
	}
	return CTL_OK;
}

static void
free_all(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
}

static int
domains_check_free(struct ctl *ctl, char **doms, size_t n)
{
	char *owner;
	size_t i, j;
	int r;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(doms[i], doms[j]) == 0)
				return ctl_usage(ctl, "domain \"%s\" is given "
				    "twice", doms[i]);
		if ((r = domains_owner(ctl, doms[i], &owner)) == -1)
			return CTL_FAIL;
		if (r == 1) {
			ctl_error(ctl, "domain %s already belongs to %s%s",
			    doms[i], owner != NULL ? "organisation " :
			    "the site", owner != NULL ? owner : "");
			free(owner);
			return CTL_FAIL;
		}
	}
	return CTL_OK;
}

int
cmd_domains_add(struct ctl *ctl, const char *org, const char *const *v,
    size_t n, struct ds_store *st, char **doms)
{
	size_t i;
	int r;

	if ((r = norm_domains(ctl, v, n, doms)) != CTL_OK)
		return r;
	if ((r = domains_check_free(ctl, doms, n)) != CTL_OK) {
		free_all(doms, n);
		return r;
	}
	for (i = 0; i < n; i++)
		domains_store_add(st, doms[i], org);
	return CTL_OK;
}

/*
 * A STORE with create-only entries refused MODIFIED: someone took one in
 * between.  Replace the server's message with one naming it.
 */
int
cmd_domains_raced(struct ctl *ctl, const char *what)
{
	const struct acap_completion *c = ctl_completion(ctl);

	if (c != NULL && c->code != NULL && strcmp(c->code, "MODIFIED") == 0) {
		free(ctl->error);
		ctl->error = NULL;
		return ctl_error(ctl, "%s was taken meanwhile; nothing was "
		    "changed", what);
	}
	return CTL_FAIL;
}

static int
org_exists(struct ctl *ctl, const char *org)
{
	const char *err;
	int r;

	if (!model_name_ok(org, &err))
		return ctl_usage(ctl, "organisation \"%s\": %s", org, err);
	if ((r = registry_get(ctl, MODEL_ORG_REGISTRY, org, NULL)) == -1)
		return CTL_FAIL;
	if (r == 0)
		return ctl_error(ctl, "no organisation \"%s\"", org);
	return CTL_OK;
}

static int
domain_list_out(struct ctl *ctl, const char *org)
{
	json_t *list;
	size_t i;

	list = jsonx_set(ctl_result(ctl), "domains", json_array());
	if (domains_list(ctl, org, list) == -1)
		return CTL_FAIL;
	for (i = 0; i < json_array_size(list); i++)
		ctl_out(ctl, "%s\n", json_string_value(json_array_get(list,
		    i)));
	return CTL_OK;
}

/* "add|del|list [DOMAIN...]" for org (NULL: the site). */
static int
domain_cmd(struct ctl *ctl, const char *org, const char *op, int argc,
    char **argv)
{
	char *doms[CTL_LIST_MAX], *owner;
	struct ds_store *st;
	const char *who = org != NULL ? org : "the site";
	size_t n = (size_t)argc, i;
	json_t *done;
	bool add;
	int r;

	jsonx_set_str(ctl_result(ctl), "org", org);
	if (strcmp(op, "list") == 0) {
		if (argc != 0)
			return ctl_usage(ctl, "domain list takes no domain");
		return domain_list_out(ctl, org);
	}
	if (strcmp(op, "add") != 0 && strcmp(op, "del") != 0)
		return ctl_usage(ctl, "expected add, del or list, not \"%s\"",
		    op);
	if (argc == 0)
		return ctl_usage(ctl, "domain %s needs at least one domain",
		    op);
	if (n > CTL_LIST_MAX)
		return ctl_usage(ctl, "at most %d domains at once",
		    CTL_LIST_MAX);
	st = ds_store_new();
	if (strcmp(op, "add") == 0) {
		r = cmd_domains_add(ctl, org, (const char *const *)argv, n,
		    st, doms);
		if (r != CTL_OK) {
			ds_store_free(&st);
			return r;
		}
	} else {
		if ((r = norm_domains(ctl, (const char *const *)argv, n,
		    doms)) != CTL_OK) {
			ds_store_free(&st);
			return r;
		}
		for (i = 0; i < n; i++) {
			r = domains_owner(ctl, doms[i], &owner);
			if (r == 1 && (org == NULL ? owner != NULL :
			    owner == NULL || strcmp(owner, org) != 0)) {
				ctl_error(ctl, "domain %s is not %s's (it "
				    "belongs to %s%s)", doms[i], who,
				    owner != NULL ? "organisation " :
				    "the site", owner != NULL ? owner : "");
				r = -1;
			} else if (r == 0)
				ctl_error(ctl, "no domain %s", doms[i]);
			free(owner);
			if (r != 1) {
				free_all(doms, n);
				ds_store_free(&st);
				return CTL_FAIL;
			}
		}
		if (domains_store_drop(ctl, st, org,
		    (const char *const *)doms, n) == -1) {
			free_all(doms, n);
			ds_store_free(&st);
			return CTL_FAIL;
		}
	}
	add = strcmp(op, "add") == 0;
	r = ctl_store(ctl, st, add ? "adding the domain" :
	    "removing the domain");
	ds_store_free(&st);
	if (r != 0) {
		free_all(doms, n);
		return r == 1 && add ? cmd_domains_raced(ctl, "a domain") :
		    CTL_FAIL;
	}
	done = jsonx_set(ctl_result(ctl), add ? "added" : "removed",
	    json_array());
	for (i = 0; i < n; i++) {
		ctl_out(ctl, "domain %s %s %s%s\n", doms[i],
		    add ? "added to" : "removed from",
		    org != NULL ? "organisation " : "the site",
		    org != NULL ? org : "");
		jsonx_add(done, jsonx_str(doms[i]));
	}
	free_all(doms, n);
	return CTL_OK;
}

int
cmd_org_domain(struct ctl *ctl, int argc, char **argv)
{
	int r;

	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	if (argc < 2)
		return ctl_usage(ctl, "org domain needs add|del|list and an "
		    "organisation");
	if ((r = org_exists(ctl, argv[1])) != CTL_OK)
		return r;
	return domain_cmd(ctl, argv[1], argv[0], argc - 2, argv + 2);
}

int
cmd_site_domain(struct ctl *ctl, int argc, char **argv)
{
	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	if (argc < 1)
		return ctl_usage(ctl, "site domain needs add|del|list");
	return domain_cmd(ctl, NULL, argv[0], argc - 1, argv + 1);
}

int
cmd_org_discovery(struct ctl *ctl, int argc, char **argv)
{
	struct ds_store *st;
	char *ep;
	int r;

	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	if (argc != 2)
		return ctl_usage(ctl, "org discovery needs an organisation "
		    "and user|org");
	if (strcmp(argv[1], "user") != 0 && strcmp(argv[1], "org") != 0)
		return ctl_usage(ctl, "discovery \"%s\": expected \"user\" "
		    "(answers carry per-user values) or \"org\" (the "
		    "organisation's values only)", argv[1]);
	if ((r = org_exists(ctl, argv[0])) != CTL_OK)
		return r;
	st = ds_store_new();
	ep = ds_entry_path(MODEL_ORG_REGISTRY, argv[0]);
	ds_store_modifiers(st, ep, DS_NOCREATE);
	ds_store_set_str(st, ep, MODEL_A_ORG_DISCOVERY, argv[1]);
	free(ep);
	registry_org_walls(st, argv[0]);
	r = ctl_store(ctl, st, "setting the organisation's discovery");
	ds_store_free(&st);
	if (r != 0)
		return CTL_FAIL;
	jsonx_set_str(ctl_result(ctl), "org", argv[0]);
	jsonx_set_str(ctl_result(ctl), "discovery", argv[1]);
	ctl_out(ctl, "organisation %s: discovery answers carry %s\n",
	    argv[0], strcmp(argv[1], "user") == 0 ? "per-user values" :
	    "the organisation's values only");
	return CTL_OK;
}

int
cmd_addresses_add(struct ctl *ctl, const char *user, const char *org,
    const char *const *v, size_t n, struct ds_store *st, json_t *added)
{
	char buf[MODEL_ADDRESS_MAX + 1];
	const char *err;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (strlen(v[i]) > MODEL_ADDRESS_MAX - 1 ||
		    !model_address_ok(v[i], buf, &err))
			return ctl_usage(ctl, "address \"%s\": %s", v[i],
			    strlen(v[i]) > MODEL_ADDRESS_MAX - 1 ?
			    "an address has at most 319 characters" : err);
		for (j = 0; j < json_array_size(added); j++)
			if (strcmp(buf, json_string_value(
			    json_array_get(added, j))) == 0)
				return ctl_usage(ctl, "address \"%s\" is given "
				    "twice", buf);
		if (addresses_check(ctl, buf, user, org) == -1)
			return CTL_FAIL;
		jsonx_add(added, jsonx_str(buf));
	}
	for (i = 0; i < json_array_size(added); i++)
		addresses_store_add(st, json_string_value(json_array_get(added,
		    i)), user);
	return CTL_OK;
}

int
cmd_user_address(struct ctl *ctl, int argc, char **argv)
{
	char buf[MODEL_ADDRESS_MAX + 1], *org = NULL, *who = NULL;
	const char *err, *user, *op;
	struct ds_store *st;
	json_t *list;
	size_t i;
	int r;

	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	if (argc < 2)
		return ctl_usage(ctl, "user address needs add|del|list and a "
		    "user");
	op = argv[0];
	user = argv[1];
	if (!model_name_ok(user, &err))
		return ctl_usage(ctl, "user \"%s\": %s", user, err);
	if (strcmp(op, "add") != 0 && strcmp(op, "del") != 0 &&
	    strcmp(op, "list") != 0)
		return ctl_usage(ctl, "expected add, del or list, not \"%s\"",
		    op);
	if ((r = registry_user_org(ctl, user, &org)) == -1)
		return CTL_FAIL;
	if (r == 0)
		return ctl_error(ctl, "no user \"%s\" is registered", user);
	jsonx_set_str(ctl_result(ctl), "user", user);
	list = jsonx_set(ctl_result(ctl), strcmp(op, "list") == 0 ?
	    "addresses" : strcmp(op, "add") == 0 ? "added" : "removed",
	    json_array());
	if (strcmp(op, "list") == 0) {
		free(org);
		if (argc != 2)
			return ctl_usage(ctl, "user address list takes one "
			    "user");
		if (addresses_list(ctl, user, list) == -1)
			return CTL_FAIL;
		for (i = 0; i < json_array_size(list); i++)
			ctl_out(ctl, "%s\n", json_string_value(
			    json_array_get(list, i)));
		return CTL_OK;
	}
	if (argc < 3) {
		free(org);
		return ctl_usage(ctl, "user address %s needs at least one "
		    "address", op);
	}
	st = ds_store_new();
	if (strcmp(op, "add") == 0) {
		r = cmd_addresses_add(ctl, user, org,
		    (const char *const *)argv + 2, (size_t)argc - 2, st, list);
	} else {
		r = CTL_OK;
		for (i = 2; i < (size_t)argc && r == CTL_OK; i++) {
			if (strlen(argv[i]) > MODEL_ADDRESS_MAX - 1 ||
			    !model_address_ok(argv[i], buf, &err)) {
				r = ctl_usage(ctl, "address \"%s\": %s",
				    argv[i], strlen(argv[i]) >
				    MODEL_ADDRESS_MAX - 1 ? "too long" : err);
				break;
			}
			if ((r = addresses_user(ctl, buf, &who)) == -1) {
				r = CTL_FAIL;
				break;
			}
			if (r == 0 || who == NULL || strcmp(who, user) != 0)
				r = ctl_error(ctl, "address %s is not user "
				    "%s's", buf, user);
			else {
				registry_delete(st, MODEL_ADDRESS_INDEX, buf);
				jsonx_add(list, jsonx_str(buf));
				r = CTL_OK;
			}
			free(who);
			who = NULL;
		}
	}
	free(org);
	if (r != CTL_OK) {
		ds_store_free(&st);
		return r;
	}
	r = ctl_store(ctl, st, strcmp(op, "add") == 0 ? "adding the address" :
	    "removing the address");
	ds_store_free(&st);
	if (r == 1 && strcmp(op, "add") == 0)
		return cmd_domains_raced(ctl, "an address");
	if (r != 0)
		return CTL_FAIL;
	for (i = 0; i < json_array_size(list); i++)
		ctl_out(ctl, "address %s %s user %s\n", json_string_value(
		    json_array_get(list, i)), strcmp(op, "add") == 0 ?
		    "given to" : "taken from", user);
	return CTL_OK;
}
