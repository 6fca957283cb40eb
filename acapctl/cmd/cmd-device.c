/*
 * cmd-device.c -- "device enrol|list|show|del|clone": devices registered
 * per user in /vendor.acapd.device/user/<user>/ (indexed by id in
 * /vendor.acapd.device/site/ so ids stay unique), each with settings
 * datasets /<class>/host/<id>/ inheriting from its user (RFC 2244 §4.1
 * "host" owners).  Cloning copies one device's own layer to another in
 * a single STORE, which RFC 2244 §6.6.1 makes atomic.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"
#include "cmds.h"
#include "ctl.h"
#include "ds.h"
#include "jsonx.h"
#include "model.h"
#include "registry.h"

#define MAX_CLASSES	16

static const char *
attr_str(const struct ds_entry *e, const char *attr)
{
	const struct ds_attr *a = ds_entry_get(e, attr);

	return a != NULL ? ds_value_str(&a->value) : NULL;
}

static int
check_id(struct ctl *ctl, const char *id)
{
	const char *err;

	if (!model_device_id_ok(id, &err))
		return ctl_usage(ctl, "device \"%s\": %s", id, err);
	return CTL_OK;
}

/* Add the registry and index entries of a new device to st. */
static void
enrol_store(struct ds_store *st, const char *user, const char *id,
    const char *name)
{
	char now[15], *reg, *ep;

	model_time_now(now);
	ep = ds_entry_path(MODEL_DEVICE_INDEX, id);
	/* create only: the id must be new everywhere */
	ds_store_modifiers(st, ep, DS_CREATE_ONLY);
	ds_store_set_str(st, ep, MODEL_A_DEV_USER, user);
	free(ep);
	registry_entry_walls(st, MODEL_DEVICE_INDEX, id, user);
	reg = model_device_registry(user);
	ep = ds_entry_path(reg, id);
	ds_store_set_str(st, ep, MODEL_A_DEV_USER, user);
	ds_store_set_str(st, ep, MODEL_A_DEV_ENROLLED, now);
	if (name != NULL)
		ds_store_set_str(st, ep, MODEL_A_DEV_NAME, name);
	free(ep);
	free(reg);
	registry_wire(st, MODEL_DEVICE, id, MODEL_USER, user);
}

/* A STORE that failed on the create-only index entry: id taken. */
static int
taken(struct ctl *ctl, const char *id)
{
	const struct acap_completion *c = ctl_completion(ctl);

	if (c != NULL && c->code != NULL && strcmp(c->code, "MODIFIED") == 0) {
		free(ctl->error);
		ctl->error = NULL;
		return ctl_error(ctl, "device id \"%s\" is already taken", id);
	}
	return CTL_FAIL;
}

int
cmd_device_enrol(struct ctl *ctl, int argc, char **argv)
{
	const char *id = NULL, *name = NULL, *err, *format = "mobileconfig",
	    *ttl = NULL;
	bool url = false;
	struct ctl_opt opts[] = {
		{ "id", CTL_OPT_ARG, &id },
		{ "name", CTL_OPT_ARG, &name },
		{ "url", CTL_OPT_FLAG, &url },
		{ "format", CTL_OPT_ARG, &format },
		{ "ttl", CTL_OPT_ARG, &ttl },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	struct ds_store *st;
	char idbuf[32];
	int r;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "device enrol needs the user");
	if (!model_name_ok(argv[0], &err))
		return ctl_usage(ctl, "user \"%s\": %s", argv[0], err);
	if (id != NULL && check_id(ctl, id) != CTL_OK)
		return CTL_USAGE;
	if (!url && (ttl != NULL || strcmp(format, "mobileconfig") != 0))
		return ctl_usage(ctl, "--format and --ttl go with --url");
	if (url && ctl->conf.enrol_url == NULL)
		return ctl_usage(ctl, "no enrol URL base: give --enrol-url "
		    "https://HOST[:PORT] or set enrol-url in acapctl.conf");
	if (id == NULL) {
		if (model_device_id_new(idbuf, sizeof(idbuf)) == -1)
			return ctl_error(ctl, "cannot make a device id");
		id = idbuf;
	}
	if ((r = registry_get(ctl, MODEL_USER_REGISTRY, argv[0], NULL)) != 1)
		return r == -1 ? CTL_FAIL : ctl_error(ctl, "no user \"%s\" is "
		    "registered", argv[0]);
	st = ds_store_new();
	enrol_store(st, argv[0], id, name);
	r = ctl_store(ctl, st, "enrolling the device");
	ds_store_free(&st);
	if (r == 1)
		return taken(ctl, id);
	if (r != 0)
		return CTL_FAIL;
	jsonx_set_str(ctl_result(ctl), "id", id);
	jsonx_set_str(ctl_result(ctl), "user", argv[0]);
	jsonx_set_str(ctl_result(ctl), "name", name);
	if (!ctl->json) {
		printf("%s\n", id);
		fprintf(stderr, "acapctl: device %s enrolled for %s (settings "
		    "in /email/host/%s/ inherit from /email/user/%s/)\n", id,
		    argv[0], id, argv[0]);
	}
	/* the device is there; its URL, if that fails, by "device url" */
	return url ? cmd_enrol_url(ctl, id, format, ttl) : CTL_OK;
}

int
cmd_device_list(struct ctl *ctl, int argc, char **argv)
{
	json_t *list, *o;
	const char *user, *name, *err;
	struct ds *ds;
	size_t i;
	int r;

	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	if (argc > 1)
		return ctl_usage(ctl, "device list takes at most a user");
	if (argc == 1) {
		if (!model_name_ok(argv[0], &err))
			return ctl_usage(ctl, "user \"%s\": %s", argv[0], err);
		r = registry_user_devices(ctl, argv[0], &ds);
	} else
		r = ctl_read_dataset(ctl, MODEL_DEVICE_INDEX, CTL_NOINHERIT,
		    NULL, &ds);
	if (r == -1)
		return CTL_FAIL;
	list = jsonx_set(ctl_result(ctl), "devices", json_array());
	for (i = 0; i < ds->nentries; i++) {
		user = argc == 1 ? argv[0] :
		    attr_str(&ds->entries[i], MODEL_A_DEV_USER);
		name = attr_str(&ds->entries[i], MODEL_A_DEV_NAME);
		o = jsonx_add(list, json_object());
		jsonx_set_str(o, "id", ds->entries[i].name);
		jsonx_set_str(o, "user", user);
		if (argc == 1) {
			jsonx_set_str(o, "name", name);
			jsonx_set_str(o, "enrolled",
			    attr_str(&ds->entries[i], MODEL_A_DEV_ENROLLED));
		}
		ctl_out(ctl, "%s\t%s%s%s\n", ds->entries[i].name,
		    user != NULL ? user : "?", name != NULL ? "\t" : "",
		    name != NULL ? name : "");
	}
	ds_free(&ds);
	return CTL_OK;
}

/* Owner of a device, or an error. */
static int
device_user(struct ctl *ctl, const char *id, char **user_r)
{
	int r = registry_device_user(ctl, id, user_r);

	if (r == 1)
		return CTL_OK;
	return r == -1 ? CTL_FAIL : ctl_error(ctl, "no device \"%s\"", id);
}

int
cmd_device_show(struct ctl *ctl, int argc, char **argv)
{
	struct model_layer l;
	json_t *o, *cls, *entries, *e, *a;
	struct ds_entry reg_e;
	struct ds *ds;
	char *user, *reg, *path;
	size_t i, j, k;
	int r;

	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "device show needs a device id");
	if (check_id(ctl, argv[0]) != CTL_OK)
		return CTL_USAGE;
	if (device_user(ctl, argv[0], &user) != CTL_OK)
		return CTL_FAIL;
	o = ctl_result(ctl);
	jsonx_set_str(o, "id", argv[0]);
	jsonx_set_str(o, "user", user);
	reg = model_device_registry(user);
	r = registry_get(ctl, reg, argv[0], &reg_e);
	free(reg);
	if (r == -1) {
		free(user);
		return CTL_FAIL;
	}
	ctl_out(ctl, "device:   %s\nuser:     %s\n", argv[0], user);
	if (r == 1) {
		jsonx_set_str(o, "name", attr_str(&reg_e,
		    MODEL_A_DEV_NAME));
		jsonx_set_str(o, "enrolled", attr_str(&reg_e,
		    MODEL_A_DEV_ENROLLED));
		if (attr_str(&reg_e, MODEL_A_DEV_NAME) != NULL)
			ctl_out(ctl, "name:     %s\n",
			    attr_str(&reg_e, MODEL_A_DEV_NAME));
		if (attr_str(&reg_e, MODEL_A_DEV_ENROLLED) != NULL)
			ctl_out(ctl, "enrolled: %s\n",
			    attr_str(&reg_e, MODEL_A_DEV_ENROLLED));
		ds_entry_clear(&reg_e);
	}
	l.kind = MODEL_DEVICE;
	l.name = argv[0];
	cls = jsonx_set(o, "settings", json_object());
	for (i = 0; i < MODEL_NCLASSES; i++) {
		path = model_dataset(&l, model_classes[i]);
		r = ctl_read_dataset(ctl, path, CTL_NOINHERIT, NULL, &ds);
		free(path);
		if (r == -1) {
			free(user);
			return CTL_FAIL;
		}
		entries = jsonx_set(cls, model_classes[i],
		    json_array());
		for (j = 0; j < ds->nentries; j++) {
			e = jsonx_add(entries, json_object());
			jsonx_set_str(e, "name", ds->entries[j].name);
			a = jsonx_set(e, "attributes",
			    json_object());
			ctl_out(ctl, "%s %s\n", model_classes[i],
			    ds->entries[j].name);
			for (k = 0; k < ds->entries[j].nattrs; k++) {
				struct acap_buf b = ACAP_BUF_INIT;

				jsonx_set(a, ds->entries[j].attrs[k].name,
				    ds_value_to_json(
				    &ds->entries[j].attrs[k].value));
				ds_value_format(&ds->entries[j].attrs[k].value,
				    &b);
				ctl_out(ctl, "    %s = %s\n",
				    ds->entries[j].attrs[k].name, b.data);
				acap_buf_deinit(&b);
			}
		}
		ds_free(&ds);
	}
	free(user);
	return CTL_OK;
}

int
cmd_device_del(struct ctl *ctl, int argc, char **argv)
{
	struct ds_store *st;
	char *user;
	int r;

	if (ctl_getopt(ctl, &argc, argv, NULL) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "device del needs a device id");
	if (check_id(ctl, argv[0]) != CTL_OK)
		return CTL_USAGE;
	if (device_user(ctl, argv[0], &user) != CTL_OK)
		return CTL_FAIL;
	st = ds_store_new();
	r = registry_drop_device(ctl, st, user, argv[0]);
	if (r == 0)
		r = ctl_store(ctl, st, "deleting the device");
	ds_store_free(&st);
	if (r != 0) {
		free(user);
		return CTL_FAIL;
	}
	jsonx_set_str(ctl_result(ctl), "id", argv[0]);
	jsonx_set_str(ctl_result(ctl), "user", user);
	ctl_out(ctl, "device %s of %s deleted\n", argv[0], user);
	free(user);
	return CTL_OK;
}

/* Replace every occurrence of from by to in s (len octets). */
static void
replace_all(struct acap_buf *out, const char *s, size_t len,
    const char *from, const char *to)
{
	size_t fl = strlen(from), i = 0;

	while (i < len) {
		if (len - i >= fl && memcmp(s + i, from, fl) == 0) {
			acap_buf_addstr(out, to);
			i += fl;
		} else
			acap_buf_addch(out, s[i++]);
	}
}

/*
 * Owner-relative parts of a value (dataset paths and ACAP URLs naming the
 * source user's or device's datasets) rewritten for the destination.
 */
static void
rewrite_value(const struct ds_value *in, struct ds_value *out,
    const char *from_user, const char *to_user, const char *from_id,
    const char *to_id, bool *changed)
{
	struct acap_buf a = ACAP_BUF_INIT, b = ACAP_BUF_INIT;
	char *fu, *tu, *fh, *th;
	size_t i;

	ds_value_copy(out, in);
	if (asprintf(&fu, "/user/%s/", from_user) < 0 ||
	    asprintf(&tu, "/user/%s/", to_user) < 0 ||
	    asprintf(&fh, "/host/%s/", from_id) < 0 ||
	    asprintf(&th, "/host/%s/", to_id) < 0)
		abort();
	for (i = 0; i < out->n; i++) {
		acap_buf_reset(&a);
		acap_buf_reset(&b);
		replace_all(&a, out->v[i], out->len[i], fu, tu);
		replace_all(&b, a.data != NULL ? a.data : "", a.len, fh, th);
		if (b.len != out->len[i] ||
		    memcmp(b.data != NULL ? b.data : "", out->v[i],
		    b.len) != 0) {
			free(out->v[i]);
			if ((out->v[i] = malloc(b.len + 1)) == NULL)
				abort();
			memcpy(out->v[i], b.data != NULL ? b.data : "", b.len);
			out->v[i][b.len] = '\0';
			out->len[i] = b.len;
			*changed = true;
		}
	}
	acap_buf_deinit(&a);
	acap_buf_deinit(&b);
	free(fu);
	free(tu);
	free(fh);
	free(th);
}

static size_t
split_classes(char *list, const char **out)
{
	size_t n = 0;
	char *tok, *save;

	for (tok = strtok_r(list, ", ", &save); tok != NULL && n < MAX_CLASSES;
	    tok = strtok_r(NULL, ", ", &save))
		out[n++] = tok;
	return n;
}

int
cmd_device_clone(struct ctl *ctl, int argc, char **argv)
{
	const char *to_user = NULL, *classes_opt = NULL;
	bool force = false;
	struct ctl_opt opts[] = {
		{ "user", CTL_OPT_ARG, &to_user },
		{ "force", CTL_OPT_FLAG, &force },
		{ "classes", CTL_OPT_ARG, &classes_opt },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	const char *classes[MAX_CLASSES], *src, *dst, *err;
	struct model_layer ls, ld;
	json_t *res, *copied, *removed, *c;
	struct ds *sds = NULL, *dds = NULL;
	struct ds_store *st = NULL;
	struct ds_value def, nv;
	const struct ds_entry *se, *de;
	char *src_user = NULL, *dst_user = NULL, *clist = NULL;
	char *spath, *dpath, *ep;
	size_t ncls, i, j, k;
	bool dst_exists, changed;
	int r, rc = CTL_FAIL;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 2)
		return ctl_usage(ctl, "device clone needs SRC and DST ids");
	src = argv[0];
	dst = argv[1];
	if (check_id(ctl, src) != CTL_OK || check_id(ctl, dst) != CTL_OK)
		return CTL_USAGE;
	if (strcmp(src, dst) == 0)
		return ctl_usage(ctl, "source and destination are the same "
		    "device");
	if (to_user != NULL && !model_name_ok(to_user, &err))
		return ctl_usage(ctl, "user \"%s\": %s", to_user, err);
	if ((clist = strdup(classes_opt != NULL ? classes_opt :
	    "email,personality,option")) == NULL)
		abort();
	ncls = split_classes(clist, classes);
	for (i = 0; i < ncls; i++)
		if (classes[i][0] == '.' || strchr(classes[i], '/') != NULL) {
			rc = ctl_usage(ctl, "bad class \"%s\"", classes[i]);
			goto out;
		}

	if (device_user(ctl, src, &src_user) != CTL_OK)
		goto out;
	if ((r = registry_device_user(ctl, dst, &dst_user)) == -1)
		goto out;
	dst_exists = r == 1;
	if (dst_exists && !force) {
		rc = ctl_error(ctl, "device %s exists (of user %s); --force "
		    "replaces its settings with those of %s", dst, dst_user,
		    src);
		goto out;
	}
	if (dst_exists && to_user != NULL && strcmp(to_user, dst_user) != 0) {
		rc = ctl_error(ctl, "device %s belongs to %s, not %s", dst,
		    dst_user, to_user);
		goto out;
	}
	if (!dst_exists) {
		if ((dst_user = strdup(to_user != NULL ? to_user :
		    src_user)) == NULL)
			abort();
		if ((r = registry_get(ctl, MODEL_USER_REGISTRY, dst_user,
		    NULL)) != 1) {
			if (r == 0)
				ctl_error(ctl, "no user \"%s\" is registered",
				    dst_user);
			goto out;
		}
	}

	res = ctl_result(ctl);
	jsonx_set_str(res, "source", src);
	jsonx_set_str(res, "destination", dst);
	jsonx_set_str(res, "user", dst_user);
	jsonx_set_bool(res, "created", !dst_exists);
	copied = jsonx_set(res, "copied", json_array());
	removed = jsonx_set(res, "reverted", json_array());

	st = ds_store_new();
	if (!dst_exists) {
		char name[128];

		snprintf(name, sizeof(name), "clone of %s", src);
		enrol_store(st, dst_user, dst, name);
	} else
		registry_wire(st, MODEL_DEVICE, dst, MODEL_USER, dst_user);
	ls.kind = ld.kind = MODEL_DEVICE;
	ls.name = (char *)src;
	ld.name = (char *)dst;
	ds_value_init_default(&def);
	for (i = 0; i < ncls; i++) {
		spath = model_dataset(&ls, classes[i]);
		dpath = model_dataset(&ld, classes[i]);
		r = ctl_read_dataset(ctl, spath, CTL_NOINHERIT, NULL, &sds);
		if (r == 0 && dst_exists)
			r = ctl_read_dataset(ctl, dpath, CTL_NOINHERIT, NULL,
			    &dds);
		if (r == -1) {
			free(spath);
			free(dpath);
			goto out;
		}
		for (j = 0; j < sds->nentries; j++) {
			se = &sds->entries[j];
			de = dds != NULL ? ds_find(dds, se->name) : NULL;
			ep = ds_entry_path(dpath, se->name);
			for (k = 0; k < se->nattrs; k++) {
				changed = false;
				rewrite_value(&se->attrs[k].value, &nv,
				    src_user, dst_user, src, dst, &changed);
				ds_store_set(st, ep, se->attrs[k].name, &nv);
				ds_value_free(&nv);
				c = jsonx_add(copied, json_object());
				jsonx_set_str(c, "class", classes[i]);
				jsonx_set_str(c, "entry", se->name);
				jsonx_set_str(c, "attribute",
				    se->attrs[k].name);
				jsonx_set_bool(c, "rewritten", changed);
				ctl_out(ctl, "copy   %s %s %s%s\n", classes[i],
				    se->name, se->attrs[k].name, changed ?
				    " (owner-relative value rewritten)" : "");
			}
			/* attributes DST has and SRC has not: inherit */
			for (k = 0; de != NULL && k < de->nattrs; k++) {
				if (ds_entry_get(se, de->attrs[k].name) != NULL)
					continue;
				ds_store_set(st, ep, de->attrs[k].name, &def);
				c = jsonx_add(removed, json_object());
				jsonx_set_str(c, "class", classes[i]);
				jsonx_set_str(c, "entry", se->name);
				jsonx_set_str(c, "attribute",
				    de->attrs[k].name);
				ctl_out(ctl, "revert %s %s %s\n", classes[i],
				    se->name, de->attrs[k].name);
			}
			free(ep);
		}
		/* entries DST has and SRC has not: back to inheritance */
		for (j = 0; dds != NULL && j < dds->nentries; j++) {
			if (ds_find(sds, dds->entries[j].name) != NULL)
				continue;
			ep = ds_entry_path(dpath, dds->entries[j].name);
			ds_store_set(st, ep, "entry", &def);
			free(ep);
			c = jsonx_add(removed, json_object());
			jsonx_set_str(c, "class", classes[i]);
			jsonx_set_str(c, "entry", dds->entries[j].name);
			ctl_out(ctl, "revert %s %s (whole entry)\n",
			    classes[i], dds->entries[j].name);
		}
		ds_free(&sds);
		ds_free(&dds);
		free(spath);
		free(dpath);
	}
	/* one STORE: DST ends up a full copy, or is untouched (§6.6.1) */
	r = ctl_store(ctl, st, "cloning the device");
	if (r == 1 && !dst_exists) {
		rc = taken(ctl, dst);
		goto out;
	}
	if (r != 0)
		goto out;
	ctl_out(ctl, "device %s cloned to %s (%zu value%s, user %s)\n", src,
	    dst, json_array_size(copied),
	    json_array_size(copied) == 1 ? "" : "s", dst_user);
	rc = CTL_OK;
out:
	ds_free(&sds);
	ds_free(&dds);
	ds_store_free(&st);
	free(src_user);
	free(dst_user);
	free(clist);
	return rc;
}
