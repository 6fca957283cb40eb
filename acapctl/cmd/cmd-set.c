/*
 * cmd-set.c -- settings at any layer: "set" (a value), "unset" (NIL:
 * masks the inherited value), "reset" (DEFAULT: inherit again), "show"
 * (own values, or effective ones with the layer each came from), and
 * "lock"/"unlock" (an inherited "-anyone" ACL right, RFC 2244 §3.5,
 * §6.7).  Inheritance semantics: RFC 2244 §5.1, §6.6.1.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"
#include "acap-client.h"
#include "cmds.h"
#include "ctl.h"
#include "ds.h"
#include "jsonx.h"
#include "model.h"
#include "registry.h"
#include "validate.h"

#define CHAIN_MAX	16	/* like the server's INHERIT_MAX_LAYERS */

/* What a settings command addresses. */
struct target {
	struct model_layer layer;
	char *layer_str;
	char *cls;
	char *dataset;
};

static void
target_clear(struct target *t)
{
	model_layer_clear(&t->layer);
	free(t->layer_str);
	free(t->cls);
	free(t->dataset);
	memset(t, 0, sizeof(*t));
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

/*
 * Layer from argv, class from --class, the path, or attr's prefix.
 * Returns CTL_OK or CTL_USAGE.
 */
static int
target_parse(struct ctl *ctl, int *argc, char ***argv, const char *cls_opt,
    int attr_index, struct target *t)
{
	const char *cls = NULL;
	char *pcls;

	memset(t, 0, sizeof(*t));
	if (ctl_take_layer(ctl, argc, argv, &t->layer) != CTL_OK)
		return CTL_USAGE;
	t->layer_str = model_layer_string(&t->layer);
	if (t->layer.kind == MODEL_PATH) {
		if ((pcls = model_class_of_dataset(t->layer.name)) == NULL)
			return ctl_usage(ctl, "\"%s\" is not a dataset path",
			    t->layer.name);
		if (cls_opt != NULL && strcmp(cls_opt, pcls) != 0) {
			free(pcls);
			return ctl_usage(ctl, "--class %s contradicts the "
			    "path %s", cls_opt, t->layer.name);
		}
		t->cls = pcls;
		t->dataset = xstrdup(t->layer.name);
		return CTL_OK;
	}
	if (cls_opt != NULL) {
		if (cls_opt[0] == '\0' || strchr(cls_opt, '/') != NULL ||
		    cls_opt[0] == '.')
			return ctl_usage(ctl, "bad class \"%s\"", cls_opt);
		cls = cls_opt;
	} else if (attr_index >= 0 && attr_index < *argc)
		cls = model_class_of_attr((*argv)[attr_index]);
	if (cls == NULL)
		return CTL_OK;	/* all classes (show), or caller complains */
	t->cls = xstrdup(cls);
	t->dataset = model_dataset(&t->layer, cls);
	return CTL_OK;
}

static int
need_class(struct ctl *ctl, const struct target *t, const char *attr)
{
	if (t->cls != NULL)
		return CTL_OK;
	return ctl_usage(ctl, "cannot tell which class \"%s\" belongs to; "
	    "give --class (email, personality, option, ...)", attr);
}

static int
check_entry_attr(struct ctl *ctl, const char *entry, const char *attr)
{
	const char *err;

	if (!model_entry_ok(entry, &err))
		return ctl_usage(ctl, "entry \"%s\": %s", entry, err);
	if (attr == NULL)
		return CTL_OK;
	if (!model_attr_ok(attr, &err))
		return ctl_usage(ctl, "attribute \"%s\": %s", attr, err);
	if (strncmp(attr, "dataset.", 8) == 0)
		return ctl_usage(ctl, "%s is dataset management (RFC 2244 "
		    "§5); acapctl sets it itself", attr);
	return CTL_OK;
}

/*
 * Reset (DEFAULT) attr of entry -- or the whole entry when attr is NULL
 * -- in every registered layer below t that overrides it.  The layers
 * reset are appended to list.  Returns 0 or -1.
 */
static int
reset_below(struct ctl *ctl, struct ds_store *st, const struct target *t,
    const char *entry, const char *attr, json_t *list)
{
	const struct ds_entry *e;
	struct model_layer *ls;
	struct ds_value def;
	struct ds *ds;
	char *path, *ep;
	size_t i, n;
	int rc = 0;

	if (t->layer.kind == MODEL_PATH) {
		ctl_warn(ctl, "lower layers of a dataset path are unknown; "
		    "name the layer (site, org ...) to reach them");
		return 0;
	}
	if (registry_below(ctl, (int)t->layer.kind, t->layer.name, &ls,
	    &n) == -1)
		return -1;
	ds_value_init_default(&def);
	for (i = 0; i < n && rc == 0; i++) {
		path = model_dataset(&ls[i], t->cls);
		if (ctl_read_dataset(ctl, path, CTL_NOINHERIT, entry,
		    &ds) == -1)
			rc = -1;
		else if ((e = ds_find(ds, entry)) != NULL &&
		    (attr == NULL || ds_entry_get(e, attr) != NULL)) {
			ep = ds_entry_path(path, entry);
			ds_store_set(st, ep, attr != NULL ? attr : "entry",
			    &def);
			free(ep);
			ep = model_layer_string(&ls[i]);
			jsonx_add(list, jsonx_str(ep));
			free(ep);
		}
		ds_free(&ds);
		free(path);
	}
	for (i = 0; i < n; i++)
		model_layer_clear(&ls[i]);
	free(ls);
	return rc;
}

static void
print_reset(struct ctl *ctl, json_t *list)
{
	size_t i;

	if (json_array_size(list) == 0)
		return;
	ctl_out(ctl, "overrides reset to inherit:");
	for (i = 0; i < json_array_size(list); i++)
		ctl_out(ctl, " %s",
		    json_string_value(json_array_get(list, i)));
	ctl_out(ctl, "\n");
}

/* ENTRY responses to a STORE with DEFAULT: what is inherited now. */
static void
default_cb(const struct acap_client_resp *r, void *arg)
{
	struct ctl *ctl = arg;
	struct ds_value v;
	struct acap_buf b = ACAP_BUF_INIT;
	json_t *inh;
	size_t i;

	/* RFC 2244 §6.6.1: ENTRY entry-path (attribute value ...) */
	if (!r->tagged || strcmp(r->name, "ENTRY") != 0 || r->nargs < 2 ||
	    r->args[1].type != ACAP_ARG_LIST)
		return;
	for (i = 0; i + 1 < r->args[1].count; i += 2) {
		if (r->args[1].list[i].type != ACAP_ARG_STRING ||
		    ds_value_from_arg(&r->args[1].list[i + 1], &v) == -1)
			continue;
		acap_buf_reset(&b);
		ds_value_format(&v, &b);
		ctl_out(ctl, "now inherited: %s = %s\n",
		    r->args[1].list[i].str, b.data);
		inh = json_object_get(ctl_result(ctl), "inherited");
		if (inh == NULL)
			inh = jsonx_set(ctl_result(ctl), "inherited",
			    json_object());
		jsonx_set(inh, r->args[1].list[i].str,
		    ds_value_to_json(&v));
		ds_value_free(&v);
	}
	acap_buf_deinit(&b);
}

enum op {
	OP_SET,
	OP_UNSET,
	OP_RESET,
};

static int
store_op(struct ctl *ctl, enum op op, int argc, char **argv)
{
	const char *cls_opt = NULL, *entry, *attr;
	bool deliberate = false, everyone = false;
	struct ctl_opt opts[] = {
		{ "class", CTL_OPT_ARG, &cls_opt },
		{ "deliberate", CTL_OPT_FLAG, &deliberate },
		{ "everyone", CTL_OPT_FLAG, &everyone },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	json_t *res, *reset;
	struct ds_value v;
	struct ds_store *st = NULL;
	struct target t;
	char msg[512], *ep = NULL, *marker = NULL;
	int i, rc = CTL_FAIL, r;

	ds_value_init_nil(&v);
	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (op != OP_SET && deliberate)
		return ctl_usage(ctl, "--deliberate goes with set");
	if (target_parse(ctl, &argc, &argv, cls_opt, 1, &t) != CTL_OK)
		goto usage;
	if ((op == OP_SET && argc < 3) || (op == OP_UNSET && argc != 2) ||
	    (op == OP_RESET && (argc < 1 || argc > 2))) {
		rc = ctl_usage(ctl, op == OP_SET ? "set needs LAYER ENTRY "
		    "ATTR VALUE..." : op == OP_UNSET ? "unset needs LAYER "
		    "ENTRY ATTR" : "reset needs LAYER ENTRY [ATTR]");
		goto out;
	}
	entry = argv[0];
	attr = argc >= 2 ? argv[1] : NULL;
	if (check_entry_attr(ctl, entry, attr) != CTL_OK ||
	    (attr != NULL && need_class(ctl, &t, attr) != CTL_OK))
		goto usage;
	if (t.cls == NULL) {
		rc = ctl_usage(ctl, "reset of a whole entry needs --class");
		goto out;
	}
	if (op == OP_SET) {
		for (i = 2; i < argc; i++) {
			switch (validate_value(attr, argv[i], strlen(argv[i]),
			    deliberate, msg, sizeof(msg))) {
			case VALIDATE_REFUSE:
				rc = ctl_error(ctl, "%s", msg);
				goto out;
			case VALIDATE_WARN:
				ctl_warn(ctl, "%s", msg);
				break;
			case VALIDATE_OK:
				break;
			}
		}
		if (argc == 3)
			ds_value_init_str(&v, argv[2]);
		else
			ds_value_init_multi(&v, (const char *const *)argv + 2,
			    (size_t)argc - 2);
	} else if (op == OP_RESET)
		ds_value_init_default(&v);

	st = ds_store_new();
	ep = ds_entry_path(t.dataset, entry);
	ds_store_set(st, ep, attr != NULL ? attr : "entry", &v);
	if (deliberate || (op == OP_RESET && attr != NULL)) {
		/*
		 * The marker that makes lint report a note, not a warning;
		 * a reset drops it with the value.
		 */
		if (asprintf(&marker, "%s%s", MODEL_A_DELIBERATE_PREFIX,
		    attr) < 0)
			abort();
		if (deliberate) {
			char now[15], who[300];

			model_time_now(now);
			snprintf(who, sizeof(who),
			    "set deliberately by %s at %s",
			    ctl->conf.user != NULL ? ctl->conf.user : "?", now);
			ds_store_set_str(st, ep, marker, who);
		} else
			ds_store_set(st, ep, marker, &v);
	}
	res = ctl_result(ctl);
	reset = jsonx_set(res, "reset_below", json_array());
	if (everyone && reset_below(ctl, st, &t, entry, attr, reset) == -1)
		goto out;
	r = ctl_store_cb(ctl, st, op == OP_SET ? "storing the value" :
	    op == OP_UNSET ? "storing NIL" : "storing DEFAULT", default_cb,
	    ctl);
	if (r != 0)
		goto out;
	jsonx_set_str(res, "layer", t.layer_str);
	jsonx_set_str(res, "class", t.cls);
	jsonx_set_str(res, "dataset", t.dataset);
	jsonx_set_str(res, "entry", entry);
	jsonx_set_str(res, "attribute", attr);
	jsonx_set(res, "value", ds_value_to_json(&v));
	if (op == OP_SET) {
		struct acap_buf b = ACAP_BUF_INIT;

		ds_value_format(&v, &b);
		ctl_out(ctl, "%s %s: %s = %s\n", t.layer_str, entry, attr,
		    b.data);
		acap_buf_deinit(&b);
	} else if (op == OP_UNSET)
		ctl_out(ctl, "%s %s: %s = NIL (hides inherited values)\n",
		    t.layer_str, entry, attr);
	else
		ctl_out(ctl, "%s %s: %s reverts to inheritance\n",
		    t.layer_str, entry, attr != NULL ? attr : "the entry");
	print_reset(ctl, reset);
	rc = CTL_OK;
	goto out;
usage:
	rc = CTL_USAGE;
out:
	free(ep);
	free(marker);
	ds_store_free(&st);
	ds_value_free(&v);
	target_clear(&t);
	return rc;
}

int
cmd_set_set(struct ctl *ctl, int argc, char **argv)
{
	return store_op(ctl, OP_SET, argc, argv);
}

int
cmd_set_unset(struct ctl *ctl, int argc, char **argv)
{
	return store_op(ctl, OP_UNSET, argc, argv);
}

int
cmd_set_reset(struct ctl *ctl, int argc, char **argv)
{
	return store_op(ctl, OP_RESET, argc, argv);
}

/* show */

static json_t *
entry_json(const struct ds_entry *e)
{
	json_t *o = json_object(), *a;
	size_t i;

	jsonx_set_str(o, "name", e->name);
	a = jsonx_set(o, "attributes", json_object());
	for (i = 0; i < e->nattrs; i++)
		jsonx_set(a, e->attrs[i].name,
		    ds_value_to_json(&e->attrs[i].value));
	return o;
}

static void
print_attr(struct ctl *ctl, const char *name, const struct ds_value *v,
    const char *from)
{
	struct acap_buf b = ACAP_BUF_INIT;

	ds_value_format(v, &b);
	if (from != NULL)
		ctl_out(ctl, "    %s = %s\t(%s)\n", name, b.data, from);
	else
		ctl_out(ctl, "    %s = %s\n", name, b.data);
	acap_buf_deinit(&b);
}

static int
show_own(struct ctl *ctl, const char *cls, const char *path,
    const char *entry, json_t *list)
{
	json_t *d, *entries;
	struct ds *ds;
	size_t i, j;

	if (ctl_read_dataset(ctl, path, CTL_NOINHERIT, entry, &ds) == -1)
		return -1;
	d = jsonx_add(list, json_object());
	jsonx_set_str(d, "class", cls);
	jsonx_set_str(d, "dataset", path);
	jsonx_set_bool(d, "exists", ds->exists);
	jsonx_set_str(d, "inherit", ds_inherit(ds));
	entries = jsonx_set(d, "entries", json_array());
	ctl_out(ctl, "%s%s%s%s\n", path, ds_inherit(ds) != NULL ?
	    " (inherits from " : "", ds_inherit(ds) != NULL ? ds_inherit(ds) :
	    "", ds_inherit(ds) != NULL ? ")" : "");
	if (!ds->exists)
		ctl_out(ctl, "  (no such dataset)\n");
	for (i = 0; i < ds->nentries; i++) {
		jsonx_add(entries, entry_json(&ds->entries[i]));
		ctl_out(ctl, "  %s\n", ds->entries[i].name);
		for (j = 0; j < ds->entries[i].nattrs; j++)
			print_attr(ctl, ds->entries[i].attrs[j].name,
			    &ds->entries[i].attrs[j].value, NULL);
	}
	ds_free(&ds);
	return 0;
}

struct chain {
	size_t n;
	struct ds *own[CHAIN_MAX];
	char *layer[CHAIN_MAX];		/* "site", "org:acme" or the path */
};

static void
chain_clear(struct chain *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		ds_free(&c->own[i]);
		free(c->layer[i]);
	}
	c->n = 0;
}

/* Follow dataset.inherit from path (RFC 2244 §5.1), own values only. */
static int
chain_read(struct ctl *ctl, const char *path, struct chain *c)
{
	struct model_layer l;
	const char *next = path;
	char *copy;
	size_t i;

	c->n = 0;
	while (next != NULL && c->n < CHAIN_MAX) {
		for (i = 0; i < c->n; i++)
			if (strcmp(c->own[i]->path, next) == 0)
				return 0;	/* a cycle: stop */
		copy = xstrdup(next);
		if (ctl_read_dataset(ctl, copy, CTL_NOINHERIT, NULL,
		    &c->own[c->n]) == -1) {
			free(copy);
			chain_clear(c);
			return -1;
		}
		if (model_layer_of_dataset(copy, &l, NULL) == 0) {
			c->layer[c->n] = model_layer_string(&l);
			model_layer_clear(&l);
			free(copy);
		} else
			c->layer[c->n] = copy;
		next = ds_inherit(c->own[c->n]);
		c->n++;
	}
	return 0;
}

/* Which layer of the chain supplies value v of attr in entry. */
static const char *
origin(const struct chain *c, const char *entry, const char *attr,
    const struct ds_value *v)
{
	const struct ds_entry *e;
	const struct ds_attr *a;
	size_t i;

	for (i = 0; i < c->n; i++) {
		if ((e = ds_find(c->own[i], entry)) == NULL ||
		    (a = ds_entry_get(e, attr)) == NULL)
			continue;
		if (ds_value_equal(&a->value, v))
			return c->layer[i];
	}
	return NULL;
}

static int
show_effective(struct ctl *ctl, const char *cls, const char *path,
    const char *entry, json_t *list)
{
	json_t *d, *entries, *je, *attrs, *ja, *masked;
	const struct ds_entry *ee, *oe;
	const struct ds_attr *a;
	struct chain c;
	struct ds *eff;
	const char *from;
	size_t i, j, k, m;

	if (ctl_read_dataset(ctl, path, 0, entry, &eff) == -1)
		return -1;
	if (chain_read(ctl, path, &c) == -1) {
		ds_free(&eff);
		return -1;
	}
	d = jsonx_add(list, json_object());
	jsonx_set_str(d, "class", cls);
	jsonx_set_str(d, "dataset", path);
	jsonx_set_bool(d, "exists", eff->exists);
	ja = jsonx_set(d, "chain", json_array());
	ctl_out(ctl, "%s (effective; chain:", path);
	for (i = 0; i < c.n; i++) {
		jsonx_add(ja, jsonx_str(c.layer[i]));
		ctl_out(ctl, "%s%s", i == 0 ? " " : " -> ", c.layer[i]);
	}
	ctl_out(ctl, ")\n");
	entries = jsonx_set(d, "entries", json_array());
	for (i = 0; i < eff->nentries; i++) {
		ee = &eff->entries[i];
		je = jsonx_add(entries, json_object());
		jsonx_set_str(je, "name", ee->name);
		attrs = jsonx_set(je, "attributes", json_object());
		ctl_out(ctl, "  %s\n", ee->name);
		for (j = 0; j < ee->nattrs; j++) {
			from = origin(&c, ee->name, ee->attrs[j].name,
			    &ee->attrs[j].value);
			ja = jsonx_set(attrs, ee->attrs[j].name,
			    json_object());
			jsonx_set(ja, "value",
			    ds_value_to_json(&ee->attrs[j].value));
			jsonx_set_str(ja, "from", from);
			print_attr(ctl, ee->attrs[j].name,
			    &ee->attrs[j].value, from != NULL ? from :
			    "origin unknown");
		}
		/* values of upper layers that do not show: masked by NIL */
		masked = NULL;
		for (k = 0; k < c.n; k++) {
			if ((oe = ds_find(c.own[k], ee->name)) == NULL)
				continue;
			for (m = 0; m < oe->nattrs; m++) {
				a = &oe->attrs[m];
				if (ds_entry_get(ee, a->name) != NULL ||
				    a->value.kind == DS_NIL)
					continue;
				if (masked == NULL)
					masked = jsonx_set(je, "masked",
					    json_object());
				if (json_object_get(masked, a->name) != NULL)
					continue;
				jsonx_set_str(masked, a->name,
				    c.layer[k]);
				ctl_out(ctl, "    %s: masked (NIL stored below "
				    "%s)\n", a->name, c.layer[k]);
			}
		}
	}
	chain_clear(&c);
	ds_free(&eff);
	return 0;
}

int
cmd_set_show(struct ctl *ctl, int argc, char **argv)
{
	const char *cls_opt = NULL, *entry;
	bool effective = false;
	struct ctl_opt opts[] = {
		{ "class", CTL_OPT_ARG, &cls_opt },
		{ "effective", CTL_OPT_FLAG, &effective },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	json_t *list;
	struct target t;
	char *path;
	size_t i;
	int rc = CTL_OK, r;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (target_parse(ctl, &argc, &argv, cls_opt, -1, &t) != CTL_OK) {
		target_clear(&t);
		return CTL_USAGE;
	}
	if (argc > 1) {
		target_clear(&t);
		return ctl_usage(ctl, "show takes LAYER [ENTRY]");
	}
	entry = argc == 1 ? argv[0] : NULL;
	if (entry != NULL && check_entry_attr(ctl, entry, NULL) != CTL_OK) {
		target_clear(&t);
		return CTL_USAGE;
	}
	jsonx_set_str(ctl_result(ctl), "layer", t.layer_str);
	jsonx_set_bool(ctl_result(ctl), "effective", effective);
	list = jsonx_set(ctl_result(ctl), "datasets", json_array());
	for (i = 0; i < MODEL_NCLASSES && rc == CTL_OK; i++) {
		const char *cls = t.cls != NULL ? t.cls : model_classes[i];

		path = t.dataset != NULL ? xstrdup(t.dataset) :
		    model_dataset(&t.layer, cls);
		r = effective ? show_effective(ctl, cls, path, entry, list) :
		    show_own(ctl, cls, path, entry, list);
		free(path);
		if (r == -1)
			rc = CTL_FAIL;
		if (t.cls != NULL)
			break;
	}
	target_clear(&t);
	return rc;
}

/* lock / unlock */

static void
acl_object(struct ctl *ctl, struct acap_buf *b, const char *ds,
    const char *attr, const char *entry)
{
	/* acl-object = "(" dataset SP attribute SP entry-name ")" (§6.7) */
	acap_buf_addch(b, '(');
	acap_client_add_string(ctl->client, b, ds, strlen(ds));
	acap_buf_addch(b, ' ');
	acap_client_add_string(ctl->client, b, attr, strlen(attr));
	acap_buf_addch(b, ' ');
	acap_client_add_string(ctl->client, b, entry, strlen(entry));
	acap_buf_addch(b, ')');
}

struct acl_read {
	struct ds_value v[2];
	size_t n;
};

static void
acl_read_cb(const struct acap_client_resp *r, void *arg)
{
	struct acl_read *ar = arg;
	size_t i;

	if (!r->tagged || strcmp(r->name, "ENTRY") != 0)
		return;
	for (i = 1; i < r->nargs && ar->n < 2; i++)
		if (ds_value_from_arg(&r->args[i], &ar->v[ar->n]) == 0)
			ar->n++;
}

/*
 * The ACL governing attr of entry in ds (RFC 2244 §3.5 lookup order):
 * the attribute's own acl metadata, else dataset.acl.<attr>, else
 * dataset.acl.  *own_r says whether the attribute has its own.
 * Returns 0 (value in *acl, maybe NIL) or -1.
 */
static int
governing_acl(struct ctl *ctl, const char *ds, const char *attr,
    const char *entry, struct ds_value *acl, bool *own_r)
{
	struct acap_buf b = ACAP_BUF_INIT;
	struct acl_read ar;
	char *dattr;
	int r;

	memset(&ar, 0, sizeof(ar));
	*own_r = false;
	ds_value_init_nil(acl);
	acap_buf_addstr(&b, "SEARCH ");
	acap_client_add_string(ctl->client, &b, ds, strlen(ds));
	acap_buf_addstr(&b, " NOINHERIT RETURN (");
	acap_client_add_string(ctl->client, &b, attr, strlen(attr));
	acap_buf_addstr(&b, " (\"acl\")) EQUAL \"entry\" \"i;octet\" ");
	acap_client_add_string(ctl->client, &b, entry, strlen(entry));
	r = ctl_run(ctl, &b, acl_read_cb, &ar);
	if (r == 0 && ar.n == 1 && ar.v[0].kind == DS_MULTI) {
		*own_r = true;
		*acl = ar.v[0];
		acap_buf_deinit(&b);
		return 0;
	}
	while (ar.n > 0)
		ds_value_free(&ar.v[--ar.n]);
	if (r == -1)
		goto fail;
	/* the dataset's defaults live in its "" entry (§5) */
	if (asprintf(&dattr, "dataset.acl.%s", attr) < 0)
		abort();
	acap_buf_reset(&b);
	acap_buf_addstr(&b, "SEARCH ");
	acap_client_add_string(ctl->client, &b, ds, strlen(ds));
	acap_buf_addstr(&b, " NOINHERIT RETURN (");
	acap_client_add_string(ctl->client, &b, dattr, strlen(dattr));
	acap_buf_addstr(&b, " \"dataset.acl\") EQUAL \"entry\" \"i;octet\" "
	    "\"\"");
	free(dattr);
	r = ctl_run(ctl, &b, acl_read_cb, &ar);
	if (r == -1)
		goto fail;
	if (r == 1) {
		ctl_refused(ctl, "reading the ACL of %s", ds);
		goto fail;
	}
	if (ar.n >= 1 && ar.v[0].kind == DS_MULTI)
		ds_value_copy(acl, &ar.v[0]);
	else if (ar.n == 2 && ar.v[1].kind == DS_MULTI)
		ds_value_copy(acl, &ar.v[1]);
	while (ar.n > 0)
		ds_value_free(&ar.v[--ar.n]);
	acap_buf_deinit(&b);
	return 0;
fail:
	acap_buf_deinit(&b);
	return -1;
}

static int
setacl(struct ctl *ctl, const struct target *t, const char *entry,
    const char *attr, const char *ident, const char *rights)
{
	struct acap_buf b = ACAP_BUF_INIT;
	int r;

	acap_buf_addstr(&b, "SETACL ");
	acl_object(ctl, &b, t->dataset, attr, entry);
	acap_buf_addch(&b, ' ');
	acap_client_add_string(ctl->client, &b, ident, strlen(ident));
	acap_buf_addch(&b, ' ');
	acap_client_add_string(ctl->client, &b, rights, strlen(rights));
	r = ctl_run(ctl, &b, NULL, NULL);
	acap_buf_deinit(&b);
	if (r == 1)
		ctl_refused(ctl, "SETACL %s for %s", rights, ident);
	return r == 0 ? 0 : -1;
}

static int
lock_op(struct ctl *ctl, bool lock, int argc, char **argv)
{
	const char *cls_opt = NULL, *reason = NULL, *entry, *attr;
	bool keep = false, own;
	struct ctl_opt opts[] = {
		{ "class", CTL_OPT_ARG, &cls_opt },
		{ "reason", CTL_OPT_ARG, &reason },
		{ "keep-overrides", CTL_OPT_FLAG, &keep },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	struct acap_buf b = ACAP_BUF_INIT;
	json_t *res, *reset;
	struct ds_store *st = NULL;
	struct ds_value acl, rv;
	struct target t;
	char *ep = NULL, *rattr = NULL, *tab, *ident;
	size_t i;
	int rc = CTL_FAIL, r;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (!lock && (reason != NULL || keep))
		return ctl_usage(ctl, "unlock takes only --class");
	if (target_parse(ctl, &argc, &argv, cls_opt, 1, &t) != CTL_OK) {
		target_clear(&t);
		return CTL_USAGE;
	}
	if (argc != 2) {
		target_clear(&t);
		return ctl_usage(ctl, "%s needs LAYER ENTRY ATTR",
		    lock ? "lock" : "unlock");
	}
	entry = argv[0];
	attr = argv[1];
	if (check_entry_attr(ctl, entry, attr) != CTL_OK ||
	    need_class(ctl, &t, attr) != CTL_OK) {
		target_clear(&t);
		return CTL_USAGE;
	}
	if (ctl_connect(ctl) == -1)
		goto out;
	res = ctl_result(ctl);
	jsonx_set_str(res, "layer", t.layer_str);
	jsonx_set_str(res, "dataset", t.dataset);
	jsonx_set_str(res, "entry", entry);
	jsonx_set_str(res, "attribute", attr);
	reset = jsonx_set(res, "reset_below", json_array());

	/* the visible reason, inherited with the value (doc/settings.md) */
	if (asprintf(&rattr, "%s%s", MODEL_A_LOCK_PREFIX, attr) < 0)
		abort();
	st = ds_store_new();
	ep = ds_entry_path(t.dataset, entry);
	if (lock) {
		ds_value_init_str(&rv, reason != NULL ? reason :
		    "locked by the administrator");
		/* lower overrides would escape the lock: revert them */
		if (!keep && reset_below(ctl, st, &t, entry, attr,
		    reset) == -1) {
			ds_value_free(&rv);
			goto out;
		}
	} else
		ds_value_init_default(&rv);
	ds_store_set(st, ep, rattr, &rv);
	ds_value_free(&rv);

	/* the ACL first: if the server refuses it, nothing has changed */
	if (lock) {
		/*
		 * SETACL on an attribute without its own ACL creates one that
		 * replaces the dataset default (§3.5 lookup order): copy the
		 * default first so that reading stays allowed.
		 */
		if (governing_acl(ctl, t.dataset, attr, entry, &acl,
		    &own) == -1)
			goto out;
		for (i = 0; !own && i < acl.n; i++) {
			ident = xstrdup(acl.v[i]);
			if ((tab = strchr(ident, '\t')) != NULL) {
				*tab = '\0';
				r = setacl(ctl, &t, entry, attr, ident,
				    tab + 1);
			} else
				r = 0;
			free(ident);
			if (r == -1) {
				ds_value_free(&acl);
				goto out;
			}
		}
		ds_value_free(&acl);
		/* §3.5: a "-" identifier revokes; inherited by lower layers */
		if (setacl(ctl, &t, entry, attr, "-anyone", "wi") == -1)
			goto out;
	} else {
		acap_buf_addstr(&b, "DELETEACL ");
		acl_object(ctl, &b, t.dataset, attr, entry);
		acap_buf_addstr(&b, " \"-anyone\"");
		r = ctl_run(ctl, &b, NULL, NULL);
		if (r == 1)
			ctl_refused(ctl, "DELETEACL");
		if (r != 0)
			goto out;
	}
	if (ctl_store(ctl, st, lock ? "storing the lock reason" :
	    "removing the lock reason") != 0)
		goto out;
	if (lock) {
		ctl_out(ctl, "%s %s: %s locked (%s)\n", t.layer_str, entry,
		    attr, reason != NULL ? reason : "no reason given");
		print_reset(ctl, reset);
	} else
		ctl_out(ctl, "%s %s: %s unlocked\n", t.layer_str, entry,
		    attr);
	rc = CTL_OK;
out:
	acap_buf_deinit(&b);
	ds_store_free(&st);
	free(ep);
	free(rattr);
	target_clear(&t);
	return rc;
}

int
cmd_set_lock(struct ctl *ctl, int argc, char **argv)
{
	return lock_op(ctl, true, argc, argv);
}

int
cmd_set_unlock(struct ctl *ctl, int argc, char **argv)
{
	return lock_op(ctl, false, argc, argv);
}
