/*
 * cmd-user.c -- "user add|passwd|list|show|move|del": SASL accounts in the
 * instance's sasldb (local, with -s / --sasldb) and user settings layers
 * (/<class>/user/<name>/ inheriting from their organisation or the site)
 * with their registry entries.
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
#include "userdb.h"

struct pwopts {
	bool from_stdin;
	const char *file;
	bool random;
};

static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* A new password as the options say.  NULL: error recorded. */
static char *
get_password(struct ctl *ctl, const struct pwopts *po, bool *random_r)
{
	char buf[USERDB_RANDOM_PASSWORD_LEN + 1], *pw;

	*random_r = false;
	if ((po->from_stdin ? 1 : 0) + (po->file != NULL ? 1 : 0) +
	    (po->random ? 1 : 0) > 1) {
		ctl_usage(ctl, "give at most one of --password-stdin, "
		    "--password-file and --random-password");
		return NULL;
	}
	if (po->random) {
		if (userdb_random_password(buf, sizeof(buf)) == -1) {
			ctl_error(ctl, "cannot generate a password");
			return NULL;
		}
		if ((pw = strdup(buf)) == NULL)
			abort();
		explicit_bzero(buf, sizeof(buf));
		*random_r = true;
		return pw;
	}
	return ctl_new_password(ctl, po->from_stdin, po->file);
}

static void
show_random(struct ctl *ctl, const char *user, const char *pw)
{
	jsonx_set_str(ctl_result(ctl), "password", pw);
	ctl_out(ctl, "password for %s: %s\n", user, pw);
}

static int
check_user_name(struct ctl *ctl, const char *name, bool account)
{
	const char *err;

	if (!model_name_ok(name, &err))
		return ctl_usage(ctl, "user \"%s\": %s", name, err);
	if (account && !userdb_name_ok(name, &err))
		return ctl_usage(ctl, "user \"%s\": %s", name, err);
	return CTL_OK;
}

int
cmd_user_add(struct ctl *ctl, int argc, char **argv)
{
	const char *org = NULL, *err;
	bool no_account = false, local_only = false, random, server, local;
	struct pwopts po = { false, NULL, false };
	struct ctl_list addrs = { { NULL }, 0 };
	json_t *added = NULL;
	struct ctl_opt opts[] = {
		{ "org", CTL_OPT_ARG, &org },
		{ "address", CTL_OPT_LIST, &addrs },
		{ "password-stdin", CTL_OPT_FLAG, &po.from_stdin },
		{ "password-file", CTL_OPT_ARG, &po.file },
		{ "random-password", CTL_OPT_FLAG, &po.random },
		{ "no-account", CTL_OPT_FLAG, &no_account },
		{ "local-only", CTL_OPT_FLAG, &local_only },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	const struct acap_completion *c;
	struct userdb *db = NULL;
	struct ds_store *st;
	char now[15], *ep, *pw = NULL;
	int r;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "user add needs one user name");
	local = !no_account && ctl_userdb_configured(ctl);
	/*
	 * The settings layer is made on the server unless only the local
	 * account was asked for: -s alone (the server host's own scripts,
	 * e.g. the test driver) makes only the account.
	 */
	server = !local_only && (ctl_server_configured(ctl) || org != NULL ||
	    !ctl_userdb_configured(ctl));
	if (local_only && !local)
		return ctl_usage(ctl, "--local-only needs -s STATEDIR or "
		    "--sasldb and no --no-account");
	if (check_user_name(ctl, argv[0], local) != CTL_OK)
		return CTL_USAGE;
	if (addrs.n > 0 && !server)
		return ctl_usage(ctl, "--address needs the server's "
		    "registry (not --local-only or -s alone)");
	if (org != NULL && !model_name_ok(org, &err))
		return ctl_usage(ctl, "organisation \"%s\": %s", org, err);
	if (local) {
		if (ctl_userdb(ctl, &db) == -1)
			return CTL_FAIL;
		if ((r = userdb_exists(db, argv[0], &err)) == -1)
			return ctl_error(ctl, "%s", err);
		if (r == 1)
			return ctl_error(ctl, "SASL account \"%s\" already "
			    "exists", argv[0]);
		if ((pw = get_password(ctl, &po, &random)) == NULL)
			return ctl->usage_error ? CTL_USAGE : CTL_FAIL;
	} else if (po.from_stdin || po.file != NULL || po.random)
		ctl_warn(ctl, "no SASL account is made without -s STATEDIR "
		    "or --sasldb; the password option is ignored");

	if (server) {
		if (org != NULL &&
		    (r = registry_get(ctl, MODEL_ORG_REGISTRY, org,
		    NULL)) != 1) {
			wipe_free(pw);
			return r == -1 ? CTL_FAIL : ctl_error(ctl,
			    "no organisation \"%s\" (org add %s)", org, org);
		}
		model_time_now(now);
		st = ds_store_new();
		ep = ds_entry_path(MODEL_USER_REGISTRY, argv[0]);
		ds_store_modifiers(st, ep, DS_CREATE_ONLY);
		ds_store_set_str(st, ep, MODEL_A_USER_CREATED, now);
		if (org != NULL)
			ds_store_set_str(st, ep, MODEL_A_USER_ORG, org);
		free(ep);
		registry_entry_walls(st, MODEL_USER_REGISTRY, argv[0],
		    argv[0]);
		registry_wire(st, MODEL_USER, argv[0], org != NULL ?
		    MODEL_ORG : MODEL_SITE, org);
		/* its addresses: as given, or user@ each domain of its org */
		added = jsonx_set(ctl_result(ctl), "addresses",
		    json_array());
		if (addrs.n > 0)
			r = cmd_addresses_add(ctl, argv[0], org, addrs.v,
			    addrs.n, st, added);
		else
			r = addresses_defaults(ctl, argv[0], org, added) ==
			    -1 ? CTL_FAIL : CTL_OK;
		if (r == CTL_OK && addrs.n == 0)
			r = cmd_addresses_add(ctl, argv[0], org, NULL, 0, st,
			    added);
		if (r != CTL_OK) {
			ds_store_free(&st);
			wipe_free(pw);
			return r;
		}
		r = ctl_store(ctl, st, "creating the user's settings layer");
		ds_store_free(&st);
		if (r == 1 && (c = ctl_completion(ctl)) != NULL &&
		    c->code != NULL && strcmp(c->code, "MODIFIED") == 0) {
			free(ctl->error);
			ctl->error = NULL;
			if (registry_get(ctl, MODEL_USER_REGISTRY, argv[0],
			    NULL) == 0)
				cmd_domains_raced(ctl, "an address");
			else
				ctl_error(ctl, "user \"%s\" is already "
				    "registered", argv[0]);
		}
		if (r != 0) {
			wipe_free(pw);
			return CTL_FAIL;
		}
		ctl_out(ctl, "user %s registered (inherits from %s%s)\n",
		    argv[0], org != NULL ? "organisation " : "the site",
		    org != NULL ? org : "");
		for (size_t i = 0; i < json_array_size(added); i++)
			ctl_out(ctl, "address %s given to user %s\n",
			    json_string_value(json_array_get(added, i)),
			    argv[0]);
	}
	jsonx_set_str(ctl_result(ctl), "user", argv[0]);
	jsonx_set_str(ctl_result(ctl), "org", org);
	jsonx_set_bool(ctl_result(ctl), "registered", server);
	jsonx_set_bool(ctl_result(ctl), "account", local);
	if (local) {
		if (userdb_add(db, argv[0], pw, &err) == -1) {
			wipe_free(pw);
			if (server)
				ctl_warn(ctl, "the settings layer was made but "
				    "the account was not");
			return ctl_error(ctl, "%s", err);
		}
		ctl_out(ctl, "SASL account %s created in %s\n", argv[0],
		    userdb_path(db));
		if (random)
			show_random(ctl, argv[0], pw);
	}
	wipe_free(pw);
	return CTL_OK;
}

int
cmd_user_passwd(struct ctl *ctl, int argc, char **argv)
{
	struct pwopts po = { false, NULL, false };
	struct ctl_opt opts[] = {
		{ "password-stdin", CTL_OPT_FLAG, &po.from_stdin },
		{ "password-file", CTL_OPT_ARG, &po.file },
		{ "random-password", CTL_OPT_FLAG, &po.random },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	struct userdb *db;
	const char *err;
	bool random;
	char *pw;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "user passwd needs one user name");
	if (ctl_userdb(ctl, &db) == -1)
		return CTL_FAIL;
	if ((pw = get_password(ctl, &po, &random)) == NULL)
		return ctl->usage_error ? CTL_USAGE : CTL_FAIL;
	if (userdb_passwd(db, argv[0], pw, &err) == -1) {
		wipe_free(pw);
		return ctl_error(ctl, "%s", err);
	}
	jsonx_set_str(ctl_result(ctl), "user", argv[0]);
	ctl_out(ctl, "password of %s changed\n", argv[0]);
	if (random)
		show_random(ctl, argv[0], pw);
	wipe_free(pw);
	return CTL_OK;
}

static void
local_list_cb(const char *user, const char *realm, void *arg)
{
	struct ctl *ctl = arg;
	json_t *o, *list = json_object_get(ctl_result(ctl), "users");

	o = jsonx_add(list, json_object());
	jsonx_set_str(o, "name", user);
	jsonx_set_str(o, "realm", realm);
	/* Accounts in PostgreSQL (--sasl-sql) have no realm. */
	ctl_out(ctl, "%s%s%s\n", user, *realm != '\0' ? "@" : "", realm);
}

int
cmd_user_list(struct ctl *ctl, int argc, char **argv)
{
	const char *org = NULL, *err, *o;
	bool local = false;
	struct ctl_opt opts[] = {
		{ "org", CTL_OPT_ARG, &org },
		{ "local", CTL_OPT_FLAG, &local },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	const struct ds_attr *a;
	json_t *list, *j;
	struct userdb *db;
	struct ds *ds;
	size_t i;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 0)
		return ctl_usage(ctl, "user list takes no arguments");
	list = jsonx_set(ctl_result(ctl), "users", json_array());
	if (local || (ctl_userdb_configured(ctl) &&
	    !ctl_server_configured(ctl) && org == NULL)) {
		if (ctl_userdb(ctl, &db) == -1)
			return CTL_FAIL;
		if (userdb_list(db, local_list_cb, ctl, &err) == -1)
			return ctl_error(ctl, "%s", err);
		return CTL_OK;
	}
	if (ctl_read_dataset(ctl, MODEL_USER_REGISTRY, CTL_NOINHERIT, NULL,
	    &ds) == -1)
		return CTL_FAIL;
	for (i = 0; i < ds->nentries; i++) {
		a = ds_entry_get(&ds->entries[i], MODEL_A_USER_ORG);
		o = a != NULL ? ds_value_str(&a->value) : NULL;
		if (org != NULL && (o == NULL || strcmp(o, org) != 0))
			continue;
		j = jsonx_add(list, json_object());
		jsonx_set_str(j, "name", ds->entries[i].name);
		jsonx_set_str(j, "org", o);
		ctl_out(ctl, "%s\t%s\n", ds->entries[i].name,
		    o != NULL ? o : "(site)");
	}
	ds_free(&ds);
	return CTL_OK;
}

int
cmd_user_show(struct ctl *ctl, int argc, char **argv)
{
	const struct ds_attr *a;
	json_t *o, *devs, *d, *addrs;
	struct ds_entry e;
	struct userdb *db;
	struct ds *ds;
	const char *org, *err, *name;
	size_t i;
	int r;

	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "user show needs one user name");
	if (check_user_name(ctl, argv[0], false) != CTL_OK)
		return CTL_USAGE;
	o = ctl_result(ctl);
	jsonx_set_str(o, "name", argv[0]);
	if (ctl_userdb_configured(ctl) && !ctl_server_configured(ctl)) {
		if (ctl_userdb(ctl, &db) == -1)
			return CTL_FAIL;
		if ((r = userdb_exists(db, argv[0], &err)) == -1)
			return ctl_error(ctl, "%s", err);
		jsonx_set_bool(o, "account", r == 1);
		ctl_out(ctl, "user:     %s\naccount:  %s\n", argv[0],
		    r == 1 ? "yes" : "no");
		return r == 1 ? CTL_OK : ctl_error(ctl, "no SASL account "
		    "\"%s\"", argv[0]);
	}
	if ((r = registry_get(ctl, MODEL_USER_REGISTRY, argv[0], &e)) == -1)
		return CTL_FAIL;
	if (r == 0)
		return ctl_error(ctl, "no user \"%s\" is registered",
		    argv[0]);
	a = ds_entry_get(&e, MODEL_A_USER_ORG);
	org = a != NULL ? ds_value_str(&a->value) : NULL;
	jsonx_set_str(o, "org", org);
	a = ds_entry_get(&e, MODEL_A_USER_CREATED);
	jsonx_set_str(o, "created", a != NULL ?
	    ds_value_str(&a->value) : NULL);
	ctl_out(ctl, "user:     %s\norg:      %s\n", argv[0],
	    org != NULL ? org : "(none: inherits from the site)");
	if (a != NULL && ds_value_str(&a->value) != NULL)
		ctl_out(ctl, "created:  %s\n", ds_value_str(&a->value));
	ctl_out(ctl, "datasets: /email/user/%s/ (and personality, option) "
	    "-> %s%s%s\n", argv[0], org != NULL ? "/email/group/" :
	    "/email/site/", org != NULL ? org : "", org != NULL ? "/" : "");
	ds_entry_clear(&e);
	addrs = jsonx_set(o, "addresses", json_array());
	if (addresses_list(ctl, argv[0], addrs) == -1)
		return CTL_FAIL;
	ctl_out(ctl, "addresses:");
	for (i = 0; i < json_array_size(addrs); i++)
		ctl_out(ctl, " %s", json_string_value(json_array_get(addrs,
		    i)));
	ctl_out(ctl, "%s\n", json_array_size(addrs) == 0 ? " (none)" : "");
	if (registry_user_devices(ctl, argv[0], &ds) == -1)
		return CTL_FAIL;
	devs = jsonx_set(o, "devices", json_array());
	ctl_out(ctl, "devices: ");
	for (i = 0; i < ds->nentries; i++) {
		d = jsonx_add(devs, json_object());
		jsonx_set_str(d, "id", ds->entries[i].name);
		a = ds_entry_get(&ds->entries[i], MODEL_A_DEV_NAME);
		name = a != NULL ? ds_value_str(&a->value) : NULL;
		jsonx_set_str(d, "name", name);
		ctl_out(ctl, " %s%s%s%s", ds->entries[i].name,
		    name != NULL ? " (" : "", name != NULL ? name : "",
		    name != NULL ? ")" : "");
	}
	ctl_out(ctl, "%s\n", ds->nentries == 0 ? " (none)" : "");
	ds_free(&ds);
	return CTL_OK;
}

int
cmd_user_move(struct ctl *ctl, int argc, char **argv)
{
	const char *org, *err;
	struct ds_store *st;
	json_t *dropped, *added;
	char *ep, *old = NULL;
	bool same;
	size_t i;
	int r;

	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	if (argc != 2)
		return ctl_usage(ctl, "user move needs a user and an "
		    "organisation (or \"site\")");
	if (check_user_name(ctl, argv[0], false) != CTL_OK)
		return CTL_USAGE;
	org = strcmp(argv[1], "site") == 0 ? NULL : argv[1];
	if (org != NULL && !model_name_ok(org, &err))
		return ctl_usage(ctl, "organisation \"%s\": %s", org, err);
	if ((r = registry_user_org(ctl, argv[0], &old)) != 1)
		return r == -1 ? CTL_FAIL : ctl_error(ctl, "no user \"%s\" "
		    "is registered", argv[0]);
	if (org != NULL &&
	    (r = registry_get(ctl, MODEL_ORG_REGISTRY, org, NULL)) != 1) {
		free(old);
		return r == -1 ? CTL_FAIL : ctl_error(ctl, "no organisation "
		    "\"%s\"", org);
	}
	st = ds_store_new();
	/*
	 * The index stays right: the addresses in the old organisation's
	 * domains go, user@ each domain of the new one comes.
	 */
	dropped = jsonx_set(ctl_result(ctl), "addresses_removed",
	    json_array());
	added = jsonx_set(ctl_result(ctl), "addresses_added", json_array());
	same = (old == NULL && org == NULL) || (old != NULL && org != NULL &&
	    strcmp(old, org) == 0);
	r = old == NULL || same ? 0 : addresses_store_drop(ctl, st, argv[0],
	    old, dropped);
	free(old);
	if (!same && (r == -1 || addresses_defaults(ctl, argv[0], org,
	    added) == -1 || cmd_addresses_add(ctl, argv[0], org, NULL, 0, st,
	    added) != CTL_OK)) {
		ds_store_free(&st);
		return CTL_FAIL;
	}
	ep = ds_entry_path(MODEL_USER_REGISTRY, argv[0]);
	ds_store_set_str(st, ep, MODEL_A_USER_ORG, org);
	free(ep);
	registry_entry_walls(st, MODEL_USER_REGISTRY, argv[0], argv[0]);
	registry_wire(st, MODEL_USER, argv[0], org != NULL ? MODEL_ORG :
	    MODEL_SITE, org);
	r = ctl_store(ctl, st, "moving the user");
	ds_store_free(&st);
	if (r != 0)
		return CTL_FAIL;
	jsonx_set_str(ctl_result(ctl), "user", argv[0]);
	jsonx_set_str(ctl_result(ctl), "org", org);
	ctl_out(ctl, "user %s now inherits from %s%s\n", argv[0],
	    org != NULL ? "organisation " : "the site", org != NULL ? org :
	    "");
	for (i = 0; i < json_array_size(dropped); i++)
		ctl_out(ctl, "address %s taken from user %s\n",
		    json_string_value(json_array_get(dropped, i)), argv[0]);
	for (i = 0; i < json_array_size(added); i++)
		ctl_out(ctl, "address %s given to user %s\n",
		    json_string_value(json_array_get(added, i)), argv[0]);
	return CTL_OK;
}

int
cmd_user_del(struct ctl *ctl, int argc, char **argv)
{
	bool keep_account = false, local_only = false, server, local;
	struct ctl_opt opts[] = {
		{ "keep-account", CTL_OPT_FLAG, &keep_account },
		{ "local-only", CTL_OPT_FLAG, &local_only },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	json_t *devs;
	struct userdb *db;
	struct ds_store *st;
	struct ds *ds;
	const char *err;
	size_t i;
	int r;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "user del needs one user name");
	if (check_user_name(ctl, argv[0], false) != CTL_OK)
		return CTL_USAGE;
	local = !keep_account && ctl_userdb_configured(ctl);
	server = !local_only && (ctl_server_configured(ctl) ||
	    !ctl_userdb_configured(ctl));
	jsonx_set_str(ctl_result(ctl), "user", argv[0]);
	if (server) {
		if ((r = registry_get(ctl, MODEL_USER_REGISTRY, argv[0],
		    NULL)) == -1)
			return CTL_FAIL;
		if (r == 0 && !local)
			return ctl_error(ctl, "no user \"%s\" is registered",
			    argv[0]);
		st = ds_store_new();
		/* the index decides which devices are the user's */
		if (registry_user_devices(ctl, argv[0], &ds) == -1) {
			ds_store_free(&st);
			return CTL_FAIL;
		}
		devs = jsonx_set(ctl_result(ctl), "devices",
		    json_array());
		for (i = 0; i < ds->nentries; i++) {
			jsonx_add(devs,
			    jsonx_str(ds->entries[i].name));
			if (registry_drop_device(ctl, st, argv[0],
			    ds->entries[i].name) == -1)
				break;
		}
		/* whatever else the user wrote into their own registry */
		if (i == ds->nentries && registry_clear_own(ctl, st,
		    argv[0]) == -1)
			i = 0;
		if (i < ds->nentries ||
		    registry_clear_layer(ctl, st, MODEL_USER,
		    argv[0]) == -1) {
			ds_free(&ds);
			ds_store_free(&st);
			return CTL_FAIL;
		}
		if (r == 1)
			registry_delete(st, MODEL_USER_REGISTRY, argv[0]);
		if (addresses_store_drop(ctl, st, argv[0], NULL,
		    jsonx_set(ctl_result(ctl), "addresses",
		    json_array())) == -1) {
			ds_free(&ds);
			ds_store_free(&st);
			return CTL_FAIL;
		}
		r = ctl_store(ctl, st, "deleting the user's settings");
		ds_store_free(&st);
		if (r != 0) {
			ds_free(&ds);
			return CTL_FAIL;
		}
		ctl_out(ctl, "settings of %s deleted (%zu device%s)\n",
		    argv[0], ds->nentries, ds->nentries == 1 ? "" : "s");
		ds_free(&ds);
	}
	if (local) {
		if (ctl_userdb(ctl, &db) == -1)
			return CTL_FAIL;
		if (userdb_del(db, argv[0], &err) == -1)
			return ctl_error(ctl, "%s", err);
		ctl_out(ctl, "SASL account %s deleted\n", argv[0]);
	}
	jsonx_set_bool(ctl_result(ctl), "account_deleted", local);
	return CTL_OK;
}
