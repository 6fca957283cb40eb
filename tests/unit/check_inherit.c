/*
 * check_inherit.c -- unit tests for acapd/inherit.c over a real store:
 * long chains, cycles and the depth cap, attribute merge with NIL and
 * DEFAULT, entry tombstones, modtime = max, the "" entry, virtual
 * subdatasets, NOINHERIT, ACL lookup, renames and DELETEDSINCE across a
 * chain (RFC 2244 §5.1, §6.6).
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acap-buf.h"
#include "inherit.h"
#include "store.h"

static char tmpdir[256];
static char dbpath[512];
static struct store *st;

static void
setup(void)
{
	struct store_config c;
	const char *err = NULL;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_inherit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/acapd.db", tmpdir);
	memset(&c, 0, sizeof(c));
	c.path = dbpath;
	c.view = &inherit_store_view_ops;
	c.cache_datasets = 256;
	ck_assert_msg(store_open(&c, &st, &err) == 0, "store_open: %s", err);
}

static void
teardown(void)
{
	char p[600];

	store_free(&st);
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	rmdir(tmpdir);
}

/* A STORE of one attribute, with UNCHANGEDSINCE when since is not NULL. */
static enum store_err
put_since(const char *ds, const char *entry, const char *attr,
    enum store_op vop, const char *value, const char *since)
{
	struct store_str v = { value, value != NULL ? strlen(value) : 0 };
	struct store_attr_op a;
	struct store_entry_op op;
	struct store_result res;

	memset(&a, 0, sizeof(a));
	memset(&op, 0, sizeof(op));
	a.name = attr;
	a.value_op = vop;
	a.values = &v;
	a.nvalues = 1;
	op.dataset = ds;
	op.entry = entry;
	op.unchangedsince = since;
	op.attrs = &a;
	op.nattrs = 1;
	return store_apply(st, &op, 1, &res);
}

static enum store_err
put_kind(const char *ds, const char *entry, const char *attr,
    enum store_op vop, const char *value)
{
	return put_since(ds, entry, attr, vop, value, NULL);
}

static void
put(const char *ds, const char *entry, const char *attr, const char *value)
{
	ck_assert_int_eq(put_kind(ds, entry, attr, STORE_OP_SET, value),
	    STORE_OK);
}

static void
put_dot(const char *ds, const char *entry)
{
	struct store_str dot = { ".", 1 };
	struct store_attr_op a;
	struct store_entry_op op;
	struct store_result res;

	memset(&a, 0, sizeof(a));
	memset(&op, 0, sizeof(op));
	a.name = "subdataset";
	a.value_op = STORE_OP_SET;
	a.multi = true;
	a.values = &dot;
	a.nvalues = 1;
	op.dataset = ds;
	op.entry = entry;
	op.attrs = &a;
	op.nattrs = 1;
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
}

static struct inherit_view *
view(const char *path, unsigned int flags)
{
	struct inherit_view *v = NULL;

	ck_assert_int_eq(inherit_view_open(st, path, flags, &v), STORE_OK);
	ck_assert_ptr_nonnull(v);
	return v;
}

/* The single value of attr in entry of v, or NULL. */
static const char *
value(const struct inherit_view *v, const char *entry, const char *attr)
{
	const struct inherit_entry *e = inherit_view_find(v, entry);
	const struct inherit_attr *a;
	static struct inherit_tmp tmp;

	if (e == NULL || (a = inherit_entry_get(e, attr, &tmp)) == NULL ||
	    a->a.kind == STORE_V_NIL)
		return NULL;
	return a->a.kind == STORE_V_SINGLE ? a->a.values[0].s : "(multi)";
}

static unsigned int
layer_of(const struct inherit_view *v, const char *entry, const char *attr)
{
	struct inherit_tmp tmp;
	const struct inherit_attr *a;

	a = inherit_entry_get(inherit_view_find(v, entry), attr, &tmp);
	ck_assert_ptr_nonnull(a);
	return a->layer;
}

START_TEST(test_no_inheritance)
{
	struct inherit_view *v;
	size_t n;

	put("/option/site/", "a", "option.value", "1");
	v = view("/option/site/", 0);
	ck_assert_uint_eq(inherit_view_layers(v), 1);
	ck_assert_str_eq(inherit_view_path(v), "/option/site/");
	inherit_view_entries(v, &n);
	ck_assert_uint_eq(n, 2);		/* "" and "a" */
	ck_assert_str_eq(value(v, "a", "option.value"), "1");
	ck_assert_str_eq(value(v, "a", "entry"), "a");
	ck_assert_uint_eq(strlen(value(v, "a", "modtime")), STORE_MODTIME_LEN);
	ck_assert_ptr_null(value(v, "a", "option.other"));
	ck_assert(!inherit_view_is_virtual(v));
	inherit_view_free(&v);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(inherit_view_open(st, "/option/user/x/", 0, &v),
	    STORE_ENOEXIST);
}
END_TEST

/* user -> group -> site, the mail-client setup chain (DESIGN.md §2) */
START_TEST(test_three_layers)
{
	struct inherit_view *v;

	put("/email/site/", "corp", "email.server.IMAP", "imap://site/");
	put("/email/site/", "corp", "vendor.acapd.tls", "starttls-required");
	put("/email/site/", "corp", "vendor.acapd.idle-ceiling", "1740");
	put("/email/group/org/", "corp", "email.server.IMAP", "imap://org/");
	put("/email/user/joe/", "", "dataset.inherit", "/email/group/org/");
	put("/email/user/joe/", "corp", "vendor.acapd.idle-ceiling", "600");
	v = view("/email/user/joe/", 0);
	ck_assert_uint_eq(inherit_view_layers(v), 3);
	ck_assert_str_eq(inherit_view_layer_path(v, 1), "/email/group/org/");
	ck_assert_str_eq(inherit_view_layer_path(v, 2), "/email/site/");
	ck_assert_str_eq(value(v, "corp", "email.server.IMAP"), "imap://org/");
	ck_assert_uint_eq(layer_of(v, "corp", "email.server.IMAP"), 1);
	ck_assert_str_eq(value(v, "corp", "vendor.acapd.tls"),
	    "starttls-required");
	ck_assert_uint_eq(layer_of(v, "corp", "vendor.acapd.tls"), 2);
	ck_assert_str_eq(value(v, "corp", "vendor.acapd.idle-ceiling"), "600");
	ck_assert_uint_eq(layer_of(v, "corp", "vendor.acapd.idle-ceiling"), 0);
	inherit_view_free(&v);
	/* NOINHERIT: only what the user stored */
	v = view("/email/user/joe/", INHERIT_F_NOINHERIT);
	ck_assert_uint_eq(inherit_view_layers(v), 1);
	ck_assert_ptr_null(value(v, "corp", "email.server.IMAP"));
	ck_assert_str_eq(value(v, "corp", "vendor.acapd.idle-ceiling"), "600");
	inherit_view_free(&v);
}
END_TEST

START_TEST(test_chain_of_eight)
{
	struct inherit_view *v;
	char ds[64], prev[64], attr[32], val[32];
	int i;

	for (i = 0; i < 9; i++) {
		snprintf(ds, sizeof(ds), "/option/group/l%d/", i);
		snprintf(attr, sizeof(attr), "option.l%d", i);
		snprintf(val, sizeof(val), "v%d", i);
		put(ds, "e", attr, val);
		put(ds, "e", "option.common", val);
		if (i > 0)
			put(ds, "", "dataset.inherit", prev);
		else
			ck_assert_int_eq(put_kind(ds, "", "dataset.inherit",
			    STORE_OP_NIL, NULL), STORE_OK);
		memcpy(prev, ds, sizeof(prev));
	}
	v = view("/option/group/l8/", 0);
	ck_assert_uint_eq(inherit_view_layers(v), 9);
	for (i = 0; i < 9; i++) {
		snprintf(attr, sizeof(attr), "option.l%d", i);
		snprintf(val, sizeof(val), "v%d", i);
		ck_assert_str_eq(value(v, "e", attr), val);
		ck_assert_uint_eq(layer_of(v, "e", attr), 8 - i);
	}
	ck_assert_str_eq(value(v, "e", "option.common"), "v8");
	inherit_view_free(&v);
}
END_TEST

START_TEST(test_depth_cap)
{
	struct inherit_view *v;
	char ds[64], prev[64];
	int i;

	for (i = 0; i < 25; i++) {
		snprintf(ds, sizeof(ds), "/option/group/d%d/", i);
		put(ds, "e", "option.value", ds);
		if (i > 0)
			put(ds, "", "dataset.inherit", prev);
		memcpy(prev, ds, sizeof(prev));
	}
	v = view("/option/group/d24/", 0);
	ck_assert_uint_eq(inherit_view_layers(v), INHERIT_MAX_LAYERS);
	ck_assert_str_eq(value(v, "e", "option.value"), "/option/group/d24/");
	inherit_view_free(&v);
}
END_TEST

START_TEST(test_cycle)
{
	struct inherit_view *v;

	put("/option/group/a/", "ea", "option.value", "a");
	put("/option/group/b/", "eb", "option.value", "b");
	put("/option/group/a/", "", "dataset.inherit", "/option/group/b/");
	put("/option/group/b/", "", "dataset.inherit", "/option/group/a/");
	v = view("/option/group/a/", 0);
	ck_assert_uint_eq(inherit_view_layers(v), 2);
	ck_assert_str_eq(value(v, "ea", "option.value"), "a");
	ck_assert_str_eq(value(v, "eb", "option.value"), "b");
	inherit_view_free(&v);
	/* a dataset naming itself */
	put("/option/group/c/", "", "dataset.inherit", "/option/group/c/");
	v = view("/option/group/c/", 0);
	ck_assert_uint_eq(inherit_view_layers(v), 1);
	inherit_view_free(&v);
}
END_TEST

START_TEST(test_missing_base)
{
	struct inherit_view *v;

	put("/option/user/m/", "e", "option.value", "1");
	put("/option/user/m/", "", "dataset.inherit", "/option/group/none/");
	v = view("/option/user/m/", 0);
	ck_assert_uint_eq(inherit_view_layers(v), 1);
	ck_assert_str_eq(value(v, "e", "option.value"), "1");
	inherit_view_free(&v);
	/* a directory listing is no base: its entries are not inherited */
	put("/option/group/g/", "x", "option.value", "1");
	put("/option/user/m/", "", "dataset.inherit", "/option/group/");
	v = view("/option/user/m/", 0);
	ck_assert_uint_eq(inherit_view_layers(v), 1);
	ck_assert_ptr_null(inherit_view_find(v, "g"));
	inherit_view_free(&v);
}
END_TEST

/*
 * A user dataset inheriting an unstored "/<class>/site/" (what acapd
 * creates for every user): the chain ends there (§5.2), and looking for
 * a virtual base never builds the "/<class>/" listing, which would read
 * every dataset of the class (a STORE opens such views three times).
 */
START_TEST(test_unstored_site_base_no_listing)
{
	struct inherit_view *v;
	struct store_stats s0, s1;

	put("/option/user/s/", "e", "option.value", "1");
	put("/option/user/s/", "", "dataset.inherit", "/option/site/");
	store_get_stats(st, &s0);
	v = view("/option/user/s/", 0);
	ck_assert_uint_eq(inherit_view_layers(v), 1);
	ck_assert_str_eq(value(v, "e", "option.value"), "1");
	inherit_view_free(&v);
	store_get_stats(st, &s1);
	ck_assert_uint_eq(s1.dir_snaps, s0.dir_snaps);
	/* the listing itself is still there when asked for */
	v = view("/option/", 0);
	ck_assert(inherit_view_is_directory(v));
	inherit_view_free(&v);
	store_get_stats(st, &s1);
	ck_assert_uint_eq(s1.dir_snaps, s0.dir_snaps + 1);
	/* a virtual site subdataset below a stored site still resolves */
	put("/option/site/", "sub", "option.value", "2");
	put_dot("/option/site/", "sub");
	put("/option/site/sub/", "x", "option.value", "3");
	put("/option/user/s/", "", "dataset.inherit", "/option/site/sub/");
	v = view("/option/user/s/", 0);
	ck_assert_uint_eq(inherit_view_layers(v), 2);
	ck_assert_str_eq(value(v, "x", "option.value"), "3");
	inherit_view_free(&v);
	ck_assert(store_path_is_directory("/"));
	ck_assert(store_path_is_directory("/option/"));
	ck_assert(store_path_is_directory("/option/user/"));
	ck_assert(store_path_is_directory("/byowner/user/s/"));
	ck_assert(!store_path_is_directory("/option/site/"));
	ck_assert(!store_path_is_directory("/option/user/s/"));
}
END_TEST

START_TEST(test_nil_and_default)
{
	struct inherit_view *v;
	const struct inherit_entry *e;

	put("/option/site/", "smtp", "option.value", "smtp.site");
	put("/option/site/", "smtp", "option.note", "site note");
	put("/option/user/u/", "smtp", "option.value", "smtp.mine");
	v = view("/option/user/u/", 0);
	ck_assert_str_eq(value(v, "smtp", "option.value"), "smtp.mine");
	ck_assert_str_eq(value(v, "smtp", "option.note"), "site note");
	inherit_view_free(&v);
	/* NIL masks the inherited value */
	ck_assert_int_eq(put_kind("/option/user/u/", "smtp", "option.note",
	    STORE_OP_NIL, NULL), STORE_OK);
	v = view("/option/user/u/", 0);
	e = inherit_view_find(v, "smtp");
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_null(value(v, "smtp", "option.note"));
	ck_assert_str_eq(value(v, "smtp", "option.value"), "smtp.mine");
	inherit_view_free(&v);
	/* DEFAULT reverts to the inherited value */
	ck_assert_int_eq(put_kind("/option/user/u/", "smtp", "option.value",
	    STORE_OP_DEFAULT, NULL), STORE_OK);
	ck_assert_int_eq(put_kind("/option/user/u/", "smtp", "option.note",
	    STORE_OP_DEFAULT, NULL), STORE_OK);
	v = view("/option/user/u/", 0);
	ck_assert_str_eq(value(v, "smtp", "option.value"), "smtp.site");
	ck_assert_uint_eq(layer_of(v, "smtp", "option.value"), 1);
	ck_assert_str_eq(value(v, "smtp", "option.note"), "site note");
	inherit_view_free(&v);
	/* a later change in the base shows through (no copy was made) */
	put("/option/site/", "smtp", "option.value", "smtp.site2");
	v = view("/option/user/u/", 0);
	ck_assert_str_eq(value(v, "smtp", "option.value"), "smtp.site2");
	inherit_view_free(&v);
}
END_TEST

START_TEST(test_entry_tombstone)
{
	struct inherit_view *v;

	put("/option/site/", "gone", "option.value", "x");
	put("/option/site/", "kept", "option.value", "y");
	put("/option/user/t/", "own", "option.value", "z");
	v = view("/option/user/t/", 0);
	ck_assert_ptr_nonnull(inherit_view_find(v, "gone"));
	ck_assert(inherit_view_base_has(v, "gone"));
	ck_assert(!inherit_view_base_has(v, "own"));
	inherit_view_free(&v);
	/* NIL to "entry" deletes and blocks inheritance (§6.6.1) */
	ck_assert_int_eq(put_kind("/option/user/t/", "gone", "entry",
	    STORE_OP_NIL, NULL), STORE_OK);
	v = view("/option/user/t/", 0);
	ck_assert_ptr_null(inherit_view_find(v, "gone"));
	ck_assert_ptr_nonnull(inherit_view_find(v, "kept"));
	inherit_view_free(&v);
	/* changes in the base do not bring it back */
	put("/option/site/", "gone", "option.value", "x2");
	v = view("/option/user/t/", 0);
	ck_assert_ptr_null(inherit_view_find(v, "gone"));
	inherit_view_free(&v);
	/* DEFAULT to "entry" reverts to the inherited entry */
	ck_assert_int_eq(put_kind("/option/user/t/", "gone", "entry",
	    STORE_OP_DEFAULT, NULL), STORE_OK);
	v = view("/option/user/t/", 0);
	ck_assert_str_eq(value(v, "gone", "option.value"), "x2");
	inherit_view_free(&v);
	/* a tombstone in a middle layer hides the layers below it */
	put("/option/group/mid/", "", "dataset.inherit", "/option/site/");
	ck_assert_int_eq(put_kind("/option/group/mid/", "kept", "entry",
	    STORE_OP_NIL, NULL), STORE_OK);
	put("/option/user/t/", "", "dataset.inherit", "/option/group/mid/");
	v = view("/option/user/t/", 0);
	ck_assert_ptr_null(inherit_view_find(v, "kept"));
	ck_assert(!inherit_view_base_has(v, "kept"));
	inherit_view_free(&v);
}
END_TEST

START_TEST(test_modtime_max_and_mgmt_entry)
{
	struct inherit_view *v;
	const struct inherit_entry *e;
	char mt[STORE_MODTIME_LEN + 1];

	put("/option/user/w/", "e", "option.mine", "1");
	put("/option/site/", "", "dataset.x", "site-only");
	put("/option/site/", "e", "option.base", "2");	/* newer */
	store_modtime_current(st, mt);
	v = view("/option/user/w/", 0);
	e = inherit_view_find(v, "e");
	ck_assert_str_eq(e->modtime, mt);
	ck_assert_uint_eq(e->layer, 0);
	/* the "" entry is the dataset's own: nothing inherited (§5.2) */
	ck_assert_ptr_null(value(v, "", "dataset.x"));
	ck_assert_str_eq(value(v, "", "dataset.inherit"), "/option/site/");
	inherit_view_free(&v);
}
END_TEST

START_TEST(test_virtual_subdataset)
{
	struct inherit_view *v;
	struct inherit_tmp tmp;
	const struct inherit_attr *a;

	put("/email/site/", "corp", "email.x", "1");
	put_dot("/email/site/", "corp");
	put("/email/site/corp/", "inner", "email.y", "2");
	put_dot("/email/site/corp/", "inner");
	put("/email/site/corp/inner/", "deep", "email.z", "3");
	put("/email/user/v/", "own", "email.x", "0");
	put("/email/user/v/", "corp", "email.x", "mine");

	/* the inherited subdataset is a virtual (".") */
	v = view("/email/user/v/", 0);
	a = inherit_entry_get(inherit_view_find(v, "corp"), "subdataset",
	    &tmp);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->a.kind, STORE_V_MULTI);
	ck_assert_uint_eq(a->a.nvalues, 1);
	ck_assert_str_eq(a->a.values[0].s, ".");
	ck_assert_uint_eq(a->layer, 1);
	inherit_view_free(&v);

	/* the virtual child: a copy of the base's child */
	v = view("/email/user/v/corp/", 0);
	ck_assert(inherit_view_is_virtual(v));
	ck_assert_str_eq(value(v, "inner", "email.y"), "2");
	ck_assert_str_eq(inherit_view_layer_path(v, 1), "/email/site/corp/");
	inherit_view_free(&v);
	/* and its own virtual child, recursively */
	v = view("/email/user/v/corp/inner/", 0);
	ck_assert_str_eq(value(v, "deep", "email.z"), "3");
	inherit_view_free(&v);
	/* invisible under NOINHERIT */
	ck_assert_int_eq(inherit_view_open(st, "/email/user/v/corp/",
	    INHERIT_F_NOINHERIT, &v), STORE_ENOEXIST);
	/* no virtual child where the base has none */
	ck_assert_int_eq(inherit_view_open(st, "/email/user/v/own/", 0, &v),
	    STORE_ENOEXIST);
	/* storing into it makes it real, still inheriting the base's child */
	put("/email/user/v/corp/", "added", "email.y", "u");
	v = view("/email/user/v/corp/", 0);
	ck_assert(!inherit_view_is_virtual(v));
	ck_assert_str_eq(value(v, "added", "email.y"), "u");
	ck_assert_str_eq(value(v, "inner", "email.y"), "2");
	inherit_view_free(&v);
	/* NOCREATE accepts the virtual dataset */
	{
		struct store_str val = { "n", 1 };
		struct store_attr_op ao;
		struct store_entry_op eo;
		struct store_result res;

		memset(&ao, 0, sizeof(ao));
		memset(&eo, 0, sizeof(eo));
		ao.name = "email.z";
		ao.value_op = STORE_OP_SET;
		ao.values = &val;
		ao.nvalues = 1;
		eo.dataset = "/email/user/v/corp/inner/";
		eo.entry = "n";
		eo.nocreate = true;
		eo.attrs = &ao;
		eo.nattrs = 1;
		ck_assert_int_eq(store_apply(st, &eo, 1, &res), STORE_OK);
		eo.dataset = "/email/user/v/nothing/";
		ck_assert_int_eq(store_apply(st, &eo, 1, &res),
		    STORE_ENOEXIST);
	}
}
END_TEST

START_TEST(test_acl_lookup)
{
	struct inherit_view *v;
	const struct store_str *acl;
	struct store_str aacl = { "bob\tr", 5 };
	struct store_str dacl = { "anyone\tx", 8 };
	struct store_attr_op a;
	struct store_entry_op op;
	struct store_result res;
	size_t n;

	put("/option/site/", "e", "option.value", "s");
	put("/option/site/", "e", "option.other", "o");
	put("/option/user/k/", "e", "option.mine", "m");
	/* dataset.acl.option.other in the site */
	memset(&a, 0, sizeof(a));
	memset(&op, 0, sizeof(op));
	a.name = "dataset.acl.option.other";
	a.value_op = STORE_OP_SET;
	a.multi = true;
	a.values = &dacl;
	a.nvalues = 1;
	op.dataset = "/option/site/";
	op.entry = "";
	op.attrs = &a;
	op.nattrs = 1;
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
	/* attribute acl on option.value in the site */
	memset(&a, 0, sizeof(a));
	a.name = "option.value";
	a.acl_op = STORE_OP_SET;
	a.acl = &aacl;
	a.nacl = 1;
	op.entry = "e";
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);

	v = view("/option/user/k/", 0);
	inherit_acl(v, inherit_view_find(v, "e"), "option.value", &acl, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(acl[0].s, "bob\tr");
	inherit_acl(v, inherit_view_find(v, "e"), "option.other", &acl, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(acl[0].s, "anyone\tx");
	/* a local value: the user's dataset.acl */
	inherit_acl(v, inherit_view_find(v, "e"), "option.mine", &acl, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(acl[0].s, "k\txrwia");
	/* "entry": the entry's first layer */
	inherit_acl(v, inherit_view_find(v, "e"), "entry", &acl, &n);
	ck_assert_str_eq(acl[0].s, "k\txrwia");
	inherit_view_free(&v);
}
END_TEST

START_TEST(test_rename_inherited_entry)
{
	struct inherit_view *v;
	struct store_str nv = { "mine", 4 };
	struct store_attr_op a;
	struct store_entry_op op;
	struct store_result res;

	put("/option/site/", "corp", "option.value", "base");
	put("/option/site/", "corp", "option.other", "b2");
	put("/option/user/r/", "corp", "option.other", "local");
	memset(&a, 0, sizeof(a));
	memset(&op, 0, sizeof(op));
	a.name = "entry";
	a.value_op = STORE_OP_SET;
	a.values = &nv;
	a.nvalues = 1;
	op.dataset = "/option/user/r/";
	op.entry = "corp";
	op.attrs = &a;
	op.nattrs = 1;
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
	v = view("/option/user/r/", 0);
	/* the old name is blocked, the new one shows the same values */
	ck_assert_ptr_null(inherit_view_find(v, "corp"));
	ck_assert_str_eq(value(v, "mine", "option.value"), "base");
	ck_assert_uint_eq(layer_of(v, "mine", "option.value"), 0);
	ck_assert_str_eq(value(v, "mine", "option.other"), "local");
	inherit_view_free(&v);
}
END_TEST

START_TEST(test_unchangedsince_inherited)
{
	struct inherit_view *v;
	struct store_str val = { "x", 1 };
	struct store_attr_op a;
	struct store_entry_op op;
	struct store_result res;
	char t[STORE_MODTIME_LEN + 1];

	put("/option/user/c/", "e", "option.mine", "1");
	v = view("/option/user/c/", 0);
	memcpy(t, inherit_view_find(v, "e")->modtime, sizeof(t));
	inherit_view_free(&v);
	/* the base changes: the entry the user sees is newer than t */
	put("/option/site/", "e", "option.base", "2");
	memset(&a, 0, sizeof(a));
	memset(&op, 0, sizeof(op));
	a.name = "option.mine";
	a.value_op = STORE_OP_SET;
	a.values = &val;
	a.nvalues = 1;
	op.dataset = "/option/user/c/";
	op.entry = "e";
	op.unchangedsince = t;
	op.attrs = &a;
	op.nattrs = 1;
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_EMODIFIED);
}
END_TEST

/* A create-only STORE (UNCHANGEDSINCE the oldest time) of entry. */
static enum store_err
create_only(const char *ds, const char *entry)
{
	return put_since(ds, entry, "option.mine", STORE_OP_SET, "c",
	    "00000101000000");
}

/*
 * inherit_view_open_entry() shows one entry as inherit_view_open() does
 * (modtime, layer, values, through tombstones and virtual layers), and a
 * create-only STORE reads no whole dataset: it sees inherited entries
 * (RFC 2244 §6.6.1) through one entry per layer.
 */
START_TEST(test_unchangedsince_one_entry)
{
	static const char *const names[] = { "base", "both", "gone", "own",
	    "inner", "absent", "" };
	static const char *const paths[] = { "/option/user/r/",
	    "/email/user/v/corp/" };
	struct inherit_view *v, *ve;
	const struct inherit_entry *e, *ee;
	struct store_stats before, after;
	char name[16];
	size_t i, p;

	put("/option/site/", "base", "option.base", "1");
	put("/option/site/", "both", "option.base", "1");
	put("/option/site/", "gone", "option.base", "1");
	put("/option/user/r/", "both", "option.mine", "2");
	put("/option/user/r/", "own", "option.mine", "2");
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "u%zu", i);
		put("/option/user/r/", name, "option.mine", "3");
	}
	ck_assert_int_eq(put_kind("/option/user/r/", "gone", "entry",
	    STORE_OP_NIL, NULL), STORE_OK);
	put("/option/site/", "both", "option.base", "newer");
	put("/email/site/", "corp", "email.x", "1");
	put_dot("/email/site/", "corp");
	put("/email/site/corp/", "inner", "email.y", "2");
	put("/email/user/v/", "corp", "email.x", "mine");

	for (p = 0; p < 2; p++) {
		v = view(paths[p], 0);
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			ve = NULL;
			ck_assert_int_eq(inherit_view_open_entry(st, paths[p],
			    names[i], 0, &ve), STORE_OK);
			e = inherit_view_find(v, names[i]);
			ee = inherit_view_find(ve, names[i]);
			ck_assert_msg((e == NULL) == (ee == NULL), "%s%s",
			    paths[p], names[i]);
			if (e != NULL) {
				ck_assert_str_eq(e->modtime, ee->modtime);
				ck_assert_uint_eq(e->layer, ee->layer);
				ck_assert_uint_eq(e->nattrs, ee->nattrs);
			}
			ck_assert_uint_eq(inherit_view_layers(v),
			    inherit_view_layers(ve));
			inherit_view_free(&ve);
		}
		inherit_view_free(&v);
	}
	ck_assert_str_eq(value(v = view("/option/user/r/", 0), "both",
	    "option.base"), "newer");
	inherit_view_free(&v);

	/* visible through inheritance only, or stored: not created */
	ck_assert_int_eq(create_only("/option/user/r/", "base"),
	    STORE_EMODIFIED);
	ck_assert_int_eq(create_only("/option/user/r/", "own"),
	    STORE_EMODIFIED);
	ck_assert_int_eq(create_only("/email/user/v/corp/", "inner"),
	    STORE_EMODIFIED);
	/* hidden by a tombstone, or nowhere: created */
	ck_assert_int_eq(create_only("/option/user/r/", "gone"), STORE_OK);
	store_get_stats(st, &before);
	ck_assert_int_eq(create_only("/option/user/r/", "new"), STORE_OK);
	store_get_stats(st, &after);
	/* neither the user's 54 entries nor the site's were read whole */
	ck_assert_uint_eq(after.snap_loads, before.snap_loads);
	ck_assert_uint_gt(after.entry_snaps, before.entry_snaps);
	ck_assert_int_eq(create_only("/option/user/r/", "new"),
	    STORE_EMODIFIED);
}
END_TEST

static void
collect(void *arg, const char *name)
{
	struct acap_buf *b = arg;

	acap_buf_addstr(b, name);
	acap_buf_addch(b, ',');
}

START_TEST(test_deleted_since_chain)
{
	struct acap_buf names = ACAP_BUF_INIT;
	char t0[STORE_MODTIME_LEN + 1];

	put("/option/site/", "a", "option.value", "1");
	put("/option/site/", "b", "option.value", "1");
	put("/option/user/d/", "b", "option.value", "local");
	put("/option/user/d/", "c", "option.value", "local");
	store_modtime_current(st, t0);
	/* deleted in the base: gone from the user's view too */
	ck_assert_int_eq(put_kind("/option/site/", "a", "entry", STORE_OP_NIL,
	    NULL), STORE_OK);
	/* reverted locally but still inherited: not deleted */
	ck_assert_int_eq(put_kind("/option/user/d/", "b", "entry",
	    STORE_OP_DEFAULT, NULL), STORE_OK);
	/* deleted locally */
	ck_assert_int_eq(put_kind("/option/user/d/", "c", "entry",
	    STORE_OP_NIL, NULL), STORE_OK);
	ck_assert_int_eq(inherit_deleted_since(st, "/option/user/d/", t0,
	    collect, &names), STORE_OK);
	ck_assert_str_eq(names.data, "a,c,");
	acap_buf_reset(&names);
	ck_assert_int_eq(inherit_deleted_since(st, "/option/user/none/", t0,
	    collect, &names), STORE_ENOEXIST);
	/* a new base (dataset.inherit changed after t): TOOOLD */
	put("/option/group/new/", "x", "option.value", "1");
	put("/option/user/d/", "", "dataset.inherit", "/option/group/new/");
	ck_assert_int_eq(inherit_deleted_since(st, "/option/user/d/", t0,
	    collect, &names), STORE_ETOOOLD);
	acap_buf_deinit(&names);
}
END_TEST

static Suite *
inherit_suite(void)
{
	Suite *s = suite_create("inherit");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_no_inheritance);
	tcase_add_test(tc, test_three_layers);
	tcase_add_test(tc, test_chain_of_eight);
	tcase_add_test(tc, test_depth_cap);
	tcase_add_test(tc, test_cycle);
	tcase_add_test(tc, test_missing_base);
	tcase_add_test(tc, test_unstored_site_base_no_listing);
	tcase_add_test(tc, test_nil_and_default);
	tcase_add_test(tc, test_entry_tombstone);
	tcase_add_test(tc, test_modtime_max_and_mgmt_entry);
	tcase_add_test(tc, test_virtual_subdataset);
	tcase_add_test(tc, test_acl_lookup);
	tcase_add_test(tc, test_rename_inherited_entry);
	tcase_add_test(tc, test_unchangedsince_inherited);
	tcase_add_test(tc, test_unchangedsince_one_entry);
	tcase_add_test(tc, test_deleted_since_chain);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(inherit_suite());
	int failed;

	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
