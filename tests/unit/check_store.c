/*
 * check_store.c -- unit tests for acapd/store.c: migrations, round trips,
 * persistence, modtimes, atomicity, dataset creation (§5.3), quotas,
 * DELETEDSINCE, the change feed and the error-code table.  Every test
 * uses a fresh SQLite file in a temporary directory.
 */
#include "autoconf.h"

#include <check.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acap-buf.h"
#include "inherit.h"
#include "store.h"

static char tmpdir[256];
static char dbpath[512];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/acapd.db", tmpdir);
}

static void
teardown(void)
{
	char p[600];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	rmdir(tmpdir);
}

static struct store *
open_store_cfg(uint64_t quota, uint32_t retention, size_t cache)
{
	struct store_config c;
	struct store *st = NULL;
	const char *err = NULL;

	memset(&c, 0, sizeof(c));
	c.path = dbpath;
	c.view = &inherit_store_view_ops;
	c.integrity_check = true;
	c.quota_bytes = quota;
	c.deleted_retention = retention;
	c.cache_datasets = cache;
	ck_assert_msg(store_open(&c, &st, &err) == 0, "store_open: %s", err);
	return st;
}

static struct store *
open_store(void)
{
	return open_store_cfg(0, 0, 64);
}

/* STORE one attribute: value NULL stores NIL. */
static enum store_err
put(struct store *st, const char *ds, const char *entry, const char *attr,
    const char *value)
{
	struct store_str v = { value, value != NULL ? strlen(value) : 0 };
	struct store_attr_op a;
	struct store_entry_op op;
	struct store_result res;

	memset(&a, 0, sizeof(a));
	memset(&op, 0, sizeof(op));
	a.name = attr;
	a.value_op = value != NULL ? STORE_OP_SET : STORE_OP_NIL;
	a.values = &v;
	a.nvalues = 1;
	op.dataset = ds;
	op.entry = entry;
	op.attrs = &a;
	op.nattrs = attr != NULL ? 1 : 0;
	return store_apply(st, &op, 1, &res);
}

static enum store_err
put_op(struct store *st, const char *ds, const char *entry, const char *attr,
    enum store_op vop)
{
	struct store_attr_op a;
	struct store_entry_op op;
	struct store_result res;

	memset(&a, 0, sizeof(a));
	memset(&op, 0, sizeof(op));
	a.name = attr;
	a.value_op = vop;
	op.dataset = ds;
	op.entry = entry;
	op.attrs = &a;
	op.nattrs = 1;
	return store_apply(st, &op, 1, &res);
}

static enum store_err
put_multi(struct store *st, const char *ds, const char *entry,
    const char *attr, const struct store_str *v, size_t n)
{
	struct store_attr_op a;
	struct store_entry_op op;
	struct store_result res;

	memset(&a, 0, sizeof(a));
	memset(&op, 0, sizeof(op));
	a.name = attr;
	a.value_op = STORE_OP_SET;
	a.multi = true;
	a.values = v;
	a.nvalues = n;
	op.dataset = ds;
	op.entry = entry;
	op.attrs = &a;
	op.nattrs = 1;
	return store_apply(st, &op, 1, &res);
}

/* The stored attribute (NULL if absent); *snap_r must be released. */
static const struct store_attr *
get(struct store *st, const char *ds, const char *entry, const char *attr,
    struct store_snap **snap_r)
{
	const struct store_entry *e;

	*snap_r = NULL;
	if (store_snap_get(st, ds, snap_r) != STORE_OK)
		return NULL;
	if ((e = store_snap_find(*snap_r, entry)) == NULL)
		return NULL;
	return store_entry_attr(e, attr);
}

static char *
entry_modtime(struct store *st, const char *ds, const char *entry)
{
	struct store_snap *snap = NULL;
	const struct store_entry *e;
	char *r = NULL;

	if (store_snap_get(st, ds, &snap) == STORE_OK &&
	    (e = store_snap_find(snap, entry)) != NULL)
		r = strdup(e->modtime);
	store_snap_unref(&snap);
	return r;
}

static time_t fake_sec;

static int
fake_clock(struct timespec *ts)
{
	ts->tv_sec = fake_sec;
	ts->tv_nsec = 0;
	return 0;
}

/* ---- Opening and schema --------------------------------------------- */

START_TEST(test_open_migrates)
{
	struct store *st = open_store();
	sqlite3 *db;
	sqlite3_stmt *s;
	char buf[STORE_MODTIME_LEN + 1];

	store_modtime_current(st, buf);
	ck_assert_uint_eq(strlen(buf), STORE_MODTIME_LEN);
	store_free(&st);
	ck_assert_ptr_null(st);

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1,
	    &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_ge(sqlite3_column_int(s, 0), 1);
	sqlite3_finalize(s);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1,
	    &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);

	/* a second open finds the schema in place */
	st = open_store();
	store_free(&st);
}
END_TEST

START_TEST(test_open_modtime_survives_clock)
{
	struct store_config c;
	struct store *st = NULL;
	const char *err = NULL;
	char first[STORE_MODTIME_LEN + 1], again[STORE_MODTIME_LEN + 1];

	/* no STORE ever: the MODTIME a SEARCH reports must not go back
	   when acapd restarts with the clock behind */
	memset(&c, 0, sizeof(c));
	c.path = dbpath;
	c.view = &inherit_store_view_ops;
	c.clock_cb = fake_clock;
	fake_sec = 1900000000;
	ck_assert_int_eq(store_open(&c, &st, &err), 0);
	store_modtime_current(st, first);
	ck_assert_str_eq(first, "20300317174640000000");
	store_free(&st);
	fake_sec -= 86400 * 365;
	ck_assert_int_eq(store_open(&c, &st, &err), 0);
	store_modtime_current(st, again);
	ck_assert_str_ge(again, first);
	store_free(&st);
}
END_TEST

START_TEST(test_open_newer_schema_refused)
{
	struct store_config c;
	struct store *st = open_store();
	const char *err = NULL;
	sqlite3 *db;

	store_free(&st);
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 999", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	memset(&c, 0, sizeof(c));
	c.path = dbpath;
	c.view = &inherit_store_view_ops;
	ck_assert_int_eq(store_open(&c, &st, &err), -1);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(err, "newer"));
}
END_TEST

START_TEST(test_open_bad_path)
{
	struct store_config c;
	struct store *st = NULL;
	const char *err = NULL;

	memset(&c, 0, sizeof(c));
	c.path = "/nonexistent-dir/x/acapd.db";
	c.view = &inherit_store_view_ops;
	ck_assert_int_eq(store_open(&c, &st, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_null(st);
}
END_TEST

/* ---- Round trips ------------------------------------------------------- */

START_TEST(test_single_roundtrip)
{
	struct store *st = open_store();
	struct store_snap *snap;
	const struct store_attr *a;

	ck_assert_int_eq(put(st, "/email/user/fred/", "corp",
	    "email.server.IMAP", "imap://mail.example.com/"), STORE_OK);
	a = get(st, "/email/user/fred/", "corp", "email.server.IMAP", &snap);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, STORE_V_SINGLE);
	ck_assert_uint_eq(a->nvalues, 1);
	ck_assert_str_eq(a->values[0].s, "imap://mail.example.com/");
	ck_assert_ptr_null(a->acl);
	store_snap_unref(&snap);
	ck_assert_ptr_null(snap);
	store_free(&st);
}
END_TEST

START_TEST(test_multi_binary_roundtrip)
{
	struct store *st = open_store();
	struct store_snap *snap;
	const struct store_attr *a;
	struct store_str v[3] = {
		{ "a\0b", 3 }, { "", 0 }, { "third value", 11 },
	};

	ck_assert_int_eq(put_multi(st, "/addressbook/user/fred/", "x",
	    "addressbook.Email", v, 3), STORE_OK);
	a = get(st, "/addressbook/user/fred/", "x", "addressbook.Email",
	    &snap);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, STORE_V_MULTI);
	ck_assert_uint_eq(a->nvalues, 3);
	ck_assert_uint_eq(a->values[0].len, 3);
	ck_assert_int_eq(memcmp(a->values[0].s, "a\0b", 3), 0);
	ck_assert_uint_eq(a->values[1].len, 0);
	ck_assert_str_eq(a->values[2].s, "third value");
	store_snap_unref(&snap);

	/* an empty multi-value is a value, not NIL */
	ck_assert_int_eq(put_multi(st, "/addressbook/user/fred/", "x",
	    "addressbook.List", NULL, 0), STORE_OK);
	a = get(st, "/addressbook/user/fred/", "x", "addressbook.List", &snap);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, STORE_V_MULTI);
	ck_assert_uint_eq(a->nvalues, 0);
	store_snap_unref(&snap);
	store_free(&st);
}
END_TEST

START_TEST(test_acl_metadata_roundtrip)
{
	struct store *st = open_store();
	struct store_snap *snap;
	const struct store_attr *a;
	struct store_str acl[2] = { { "fred\trwi", 8 }, { "-anyone\tw", 9 } };
	struct store_str v = { "x", 1 };
	struct store_attr_op op;
	struct store_entry_op e;
	struct store_result res;

	memset(&op, 0, sizeof(op));
	memset(&e, 0, sizeof(e));
	op.name = "option.value";
	op.acl_op = STORE_OP_SET;
	op.acl = acl;
	op.nacl = 2;
	e.dataset = "/option/site/";
	e.entry = "lock";
	e.attrs = &op;
	e.nattrs = 1;
	ck_assert_int_eq(store_apply(st, &e, 1, &res), STORE_OK);
	/* acl only: the attribute has no local value */
	a = get(st, "/option/site/", "lock", "option.value", &snap);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, STORE_V_INHERIT);
	ck_assert_uint_eq(a->nacl, 2);
	ck_assert_str_eq(a->acl[1].s, "-anyone\tw");
	store_snap_unref(&snap);

	/* a value keeps the acl; DEFAULT keeps it too */
	ck_assert_int_eq(put(st, "/option/site/", "lock", "option.value", "1"),
	    STORE_OK);
	a = get(st, "/option/site/", "lock", "option.value", &snap);
	ck_assert_int_eq(a->kind, STORE_V_SINGLE);
	ck_assert_uint_eq(a->nacl, 2);
	store_snap_unref(&snap);

	/* removing the acl and the value removes the row */
	op.acl_op = STORE_OP_NIL;
	op.value_op = STORE_OP_DEFAULT;
	op.values = &v;
	ck_assert_int_eq(store_apply(st, &e, 1, &res), STORE_OK);
	a = get(st, "/option/site/", "lock", "option.value", &snap);
	ck_assert_ptr_null(a);
	store_snap_unref(&snap);
	store_free(&st);
}
END_TEST

START_TEST(test_persistence_across_reopen)
{
	struct store *st = open_store();
	struct store_snap *snap;
	const struct store_attr *a;
	char *mt1, *mt2;

	ck_assert_int_eq(put(st, "/option/user/joe/", "mua.default.account",
	    "option.value", "corp"), STORE_OK);
	mt1 = entry_modtime(st, "/option/user/joe/", "mua.default.account");
	store_free(&st);

	st = open_store();
	a = get(st, "/option/user/joe/", "mua.default.account",
	    "option.value", &snap);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->values[0].s, "corp");
	store_snap_unref(&snap);
	mt2 = entry_modtime(st, "/option/user/joe/", "mua.default.account");
	ck_assert_str_eq(mt1, mt2);
	free(mt1);
	free(mt2);
	store_free(&st);
}
END_TEST

START_TEST(test_cache_sees_writes)
{
	/* the snapshot cache must never serve stale data */
	struct store *st = open_store_cfg(0, 0, 2);
	struct store_snap *snap, *old;
	const struct store_attr *a;
	char ds[64];
	int i;

	ck_assert_int_eq(put(st, "/option/site/", "e", "option.value", "1"),
	    STORE_OK);
	ck_assert_ptr_nonnull(get(st, "/option/site/", "e", "option.value",
	    &old));
	ck_assert_int_eq(put(st, "/option/site/", "e", "option.value", "2"),
	    STORE_OK);
	a = get(st, "/option/site/", "e", "option.value", &snap);
	ck_assert_str_eq(a->values[0].s, "2");
	store_snap_unref(&snap);
	/* the old snapshot is immutable and still valid */
	a = store_entry_attr(store_snap_find(old, "e"), "option.value");
	ck_assert_str_eq(a->values[0].s, "1");
	store_snap_unref(&old);
	/* a negative entry is dropped when the dataset appears */
	ck_assert_int_eq(store_snap_get(st, "/option/user/new/", &snap),
	    STORE_ENOEXIST);
	ck_assert_int_eq(put(st, "/option/user/new/", "e", "option.value",
	    "x"), STORE_OK);
	ck_assert_int_eq(store_snap_get(st, "/option/user/new/", &snap),
	    STORE_OK);
	store_snap_unref(&snap);
	/* eviction with a tiny cache */
	for (i = 0; i < 10; i++) {
		snprintf(ds, sizeof(ds), "/option/user/u%d/", i);
		ck_assert_int_eq(put(st, ds, "e", "option.value", ds),
		    STORE_OK);
	}
	for (i = 0; i < 10; i++) {
		snprintf(ds, sizeof(ds), "/option/user/u%d/", i);
		a = get(st, ds, "e", "option.value", &snap);
		ck_assert_str_eq(a->values[0].s, ds);
		store_snap_unref(&snap);
	}
	store_free(&st);
}
END_TEST

/* ---- Modtimes ------------------------------------------------------------ */

START_TEST(test_modtime_monotonic)
{
	struct store *st = open_store();
	char prev[STORE_MODTIME_LEN + 1], cur[STORE_MODTIME_LEN + 1];
	struct store_str v = { "v", 1 };
	struct store_attr_op a;
	struct store_entry_op op;
	struct store_result res;
	int i;

	memset(&a, 0, sizeof(a));
	memset(&op, 0, sizeof(op));
	a.name = "option.value";
	a.value_op = STORE_OP_SET;
	a.values = &v;
	a.nvalues = 1;
	op.dataset = "/option/site/";
	op.entry = "e";
	op.attrs = &a;
	op.nattrs = 1;
	/* a frozen clock: every STORE still gets a new, larger modtime */
	fake_sec = 1900000000;	/* 2030-03-17 17:46:40 */
	store_set_clock(st, fake_clock);
	store_modtime_current(st, prev);
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
		ck_assert_uint_eq(strlen(res.modtime), STORE_MODTIME_LEN);
		ck_assert_str_gt(res.modtime, prev);
		store_modtime_current(st, cur);
		ck_assert_str_eq(cur, res.modtime);
		memcpy(prev, res.modtime, sizeof(prev));
	}
	/* the entry carries the modtime of its last STORE */
	{
		char *mt = entry_modtime(st, "/option/site/", "e");

		ck_assert_str_eq(mt, prev);
		free(mt);
	}
	/* the clock jumps back a day and we restart: still increasing */
	store_free(&st);
	st = open_store();
	fake_sec -= 86400;
	store_set_clock(st, fake_clock);
	store_modtime_current(st, cur);
	ck_assert_str_eq(cur, prev);
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
	ck_assert_str_gt(res.modtime, prev);
	/* and the clock moving forward again is used as is */
	fake_sec += 2 * 86400;
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
	ck_assert_int_eq(strncmp(res.modtime, "2030031817", 10), 0);
	store_free(&st);
}
END_TEST

START_TEST(test_modtime_one_per_store)
{
	/* several entries in one STORE share its modtime (§3.1.1) */
	struct store *st = open_store();
	struct store_str v = { "v", 1 };
	struct store_attr_op a;
	struct store_entry_op op[2];
	struct store_result res;
	char *m1, *m2;

	memset(&a, 0, sizeof(a));
	memset(op, 0, sizeof(op));
	a.name = "option.value";
	a.value_op = STORE_OP_SET;
	a.values = &v;
	a.nvalues = 1;
	op[0].dataset = "/option/site/";
	op[0].entry = "a";
	op[0].attrs = &a;
	op[0].nattrs = 1;
	op[1] = op[0];
	op[1].dataset = "/option/group/g/";
	op[1].entry = "b";
	ck_assert_int_eq(store_apply(st, op, 2, &res), STORE_OK);
	m1 = entry_modtime(st, "/option/site/", "a");
	m2 = entry_modtime(st, "/option/group/g/", "b");
	ck_assert_str_eq(m1, res.modtime);
	ck_assert_str_eq(m2, res.modtime);
	free(m1);
	free(m2);
	store_free(&st);
}
END_TEST

/* ---- Atomicity ------------------------------------------------------- */

START_TEST(test_atomic_failure_changes_nothing)
{
	struct store *st = open_store();
	struct store_snap *snap;
	struct store_str v1 = { "new", 3 };
	struct store_attr_op a;
	struct store_entry_op op[3];
	struct store_result res;
	char before[STORE_MODTIME_LEN + 1];
	const struct store_attr *at;

	ck_assert_int_eq(put(st, "/option/site/", "a", "option.value", "old"),
	    STORE_OK);
	memset(&a, 0, sizeof(a));
	memset(op, 0, sizeof(op));
	a.name = "option.value";
	a.value_op = STORE_OP_SET;
	a.values = &v1;
	a.nvalues = 1;
	/* 1: a change, 2: a new dataset, 3: fails UNCHANGEDSINCE */
	op[0].dataset = "/option/site/";
	op[0].entry = "a";
	op[0].attrs = &a;
	op[0].nattrs = 1;
	op[1] = op[0];
	op[1].dataset = "/option/user/zed/deep/";
	op[1].entry = "b";
	op[2] = op[0];
	op[2].unchangedsince = "00000101000000";
	store_modtime_current(st, before);
	ck_assert_int_eq(store_apply(st, op, 3, &res), STORE_EMODIFIED);
	ck_assert_str_eq(res.err.dataset, "/option/site/");
	ck_assert_str_eq(res.err.entry, "a");

	at = get(st, "/option/site/", "a", "option.value", &snap);
	ck_assert_str_eq(at->values[0].s, "old");
	store_snap_unref(&snap);
	ck_assert_int_eq(store_snap_get(st, "/option/user/zed/", &snap),
	    STORE_ENOEXIST);
	ck_assert_int_eq(store_snap_get(st, "/option/user/zed/deep/", &snap),
	    STORE_ENOEXIST);
	/* after a reopen, too */
	store_free(&st);
	st = open_store();
	at = get(st, "/option/site/", "a", "option.value", &snap);
	ck_assert_str_eq(at->values[0].s, "old");
	store_snap_unref(&snap);
	ck_assert_int_eq(store_snap_get(st, "/option/user/zed/", &snap),
	    STORE_ENOEXIST);
	store_free(&st);
}
END_TEST

START_TEST(test_unchangedsince)
{
	struct store *st = open_store();
	struct store_str v = { "x", 1 };
	struct store_attr_op a;
	struct store_entry_op op;
	struct store_result res;
	char *mt;

	memset(&a, 0, sizeof(a));
	memset(&op, 0, sizeof(op));
	a.name = "option.value";
	a.value_op = STORE_OP_SET;
	a.values = &v;
	a.nvalues = 1;
	op.dataset = "/option/site/";
	op.entry = "e";
	op.attrs = &a;
	op.nattrs = 1;
	/* "create only": succeeds when the entry does not exist */
	op.unchangedsince = "00000101000000";
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_EMODIFIED);
	/* the entry's own modtime passes, an older one fails */
	mt = entry_modtime(st, "/option/site/", "e");
	op.unchangedsince = mt;
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_EMODIFIED);
	free(mt);
	/* a 14-digit time in the future passes */
	op.unchangedsince = "99991231235959";
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
	store_free(&st);
}
END_TEST

/* ---- Datasets: creation (§5.3), NOCREATE, subdatasets ------------------ */

START_TEST(test_implicit_creation_all_levels)
{
	struct store *st = open_store();
	struct store_snap *snap;
	const struct store_attr *a;

	ck_assert_int_eq(put(st, "/email/user/joe/a/b/", "x", "email.x", "1"),
	    STORE_OK);
	/* every level exists, each parent entry points down with "." */
	a = get(st, "/email/user/joe/", "a", "subdataset", &snap);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, STORE_V_MULTI);
	ck_assert_uint_eq(a->nvalues, 1);
	ck_assert_str_eq(a->values[0].s, ".");
	store_snap_unref(&snap);
	a = get(st, "/email/user/joe/a/", "b", "subdataset", &snap);
	ck_assert_ptr_nonnull(a);
	store_snap_unref(&snap);
	/* each has its "" entry with dataset.acl from birth (§3.5) */
	a = get(st, "/email/user/joe/a/b/", "", "dataset.acl", &snap);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, STORE_V_MULTI);
	ck_assert_str_eq(a->values[0].s, "joe\txrwia");
	store_snap_unref(&snap);
	/* the user's class root inherits the site by default */
	a = get(st, "/email/user/joe/", "", "dataset.inherit", &snap);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->values[0].s, "/email/site/");
	ck_assert_str_eq(store_snap_inherit(snap), "/email/site/");
	store_snap_unref(&snap);
	/* deeper levels append the component */
	a = get(st, "/email/user/joe/a/", "", "dataset.inherit", &snap);
	ck_assert_str_eq(a->values[0].s, "/email/site/a/");
	store_snap_unref(&snap);
	/* the site itself inherits nothing and is readable by anyone */
	ck_assert_int_eq(put(st, "/email/site/", "s", "email.x", "1"),
	    STORE_OK);
	ck_assert_ptr_null(get(st, "/email/site/", "", "dataset.inherit",
	    &snap));
	store_snap_unref(&snap);
	a = get(st, "/email/site/", "", "dataset.acl", &snap);
	ck_assert_str_eq(a->values[0].s, "anyone\txr");
	store_snap_unref(&snap);
	store_free(&st);
}
END_TEST

START_TEST(test_creation_from_byowner_template)
{
	/* the RFC 2244 §5.3 example */
	struct store *st = open_store();
	struct store_snap *snap;
	const struct store_attr *a;
	struct store_str acl[2] = { { "joe\txrwia", 9 }, { "fred\txr", 7 } };

	ck_assert_int_eq(put_multi(st, "/byowner/user/joe/", "",
	    "dataset.acl", acl, 2), STORE_OK);
	ck_assert_int_eq(put(st, "/byowner/user/joe/", "", "dataset.inherit",
	    "/byowner/site/"), STORE_OK);
	/* templates hold only their "" entry */
	ck_assert_int_eq(put(st, "/byowner/user/joe/", "x", "a.b", "1"),
	    STORE_EPERM);
	ck_assert_int_eq(put(st, "/new/user/joe/", "e", "new.x", "1"),
	    STORE_OK);
	a = get(st, "/new/user/joe/", "", "dataset.acl", &snap);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->nvalues, 2);
	ck_assert_str_eq(a->values[0].s, "joe\txrwia");
	ck_assert_str_eq(a->values[1].s, "fred\txr");
	store_snap_unref(&snap);
	a = get(st, "/new/user/joe/", "", "dataset.inherit", &snap);
	ck_assert_str_eq(a->values[0].s, "/new/site/");
	store_snap_unref(&snap);
	/* the /byowner/ view lists the classes the owner has */
	ck_assert_int_eq(store_snap_get(st, "/byowner/user/joe/", &snap),
	    STORE_OK);
	ck_assert(store_snap_is_directory(snap));
	ck_assert_ptr_nonnull(store_snap_find(snap, ""));
	ck_assert_ptr_nonnull(store_snap_find(snap, "new"));
	ck_assert_ptr_null(store_snap_inherit(snap));
	store_snap_unref(&snap);
	store_free(&st);
}
END_TEST

START_TEST(test_nocreate)
{
	struct store *st = open_store();
	struct store_str v = { "x", 1 };
	struct store_attr_op a;
	struct store_entry_op op;
	struct store_result res;
	struct acap_buf code = ACAP_BUF_INIT;

	memset(&a, 0, sizeof(a));
	memset(&op, 0, sizeof(op));
	a.name = "option.value";
	a.value_op = STORE_OP_SET;
	a.values = &v;
	a.nvalues = 1;
	op.dataset = "/option/user/amy/";
	op.entry = "e";
	op.nocreate = true;
	op.attrs = &a;
	op.nattrs = 1;
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_ENOEXIST);
	store_err_format_code(STORE_ENOEXIST, &res.err, &code);
	ck_assert_str_eq(code.data, "NOEXIST \"/option/user/amy/\"");
	acap_buf_deinit(&code);
	op.nocreate = false;
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
	op.nocreate = true;
	op.entry = "f";
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
	store_free(&st);
}
END_TEST

START_TEST(test_directories_not_storable)
{
	struct store *st = open_store();

	ck_assert_int_eq(put(st, "/", "x", "a.b", "1"), STORE_EPERM);
	ck_assert_int_eq(put(st, "/email/", "x", "a.b", "1"), STORE_EPERM);
	ck_assert_int_eq(put(st, "/email/user/", "x", "a.b", "1"),
	    STORE_EPERM);
	ck_assert_int_eq(put(st, "/email/bogus/", "x", "a.b", "1"),
	    STORE_ENOEXIST);
	store_free(&st);
}
END_TEST

START_TEST(test_directory_views)
{
	struct store *st = open_store();
	struct store_snap *snap;
	const struct store_entry *e;
	const struct store_attr *a;

	ck_assert_int_eq(put(st, "/email/user/ann/", "x", "e.x", "1"),
	    STORE_OK);
	ck_assert_int_eq(put(st, "/email/user/bob/", "x", "e.x", "1"),
	    STORE_OK);
	ck_assert_int_eq(put(st, "/option/site/", "x", "o.x", "1"), STORE_OK);
	ck_assert_int_eq(put(st, "/byowner/user/ann/", "", "dataset.x", "1"),
	    STORE_OK);

	ck_assert_int_eq(store_snap_get(st, "/", &snap), STORE_OK);
	ck_assert_ptr_nonnull(store_snap_find(snap, "email"));
	ck_assert_ptr_nonnull(store_snap_find(snap, "option"));
	ck_assert_ptr_null(store_snap_find(snap, "byowner"));
	store_snap_unref(&snap);

	ck_assert_int_eq(store_snap_get(st, "/email/", &snap), STORE_OK);
	ck_assert_ptr_nonnull(store_snap_find(snap, "user"));
	ck_assert_ptr_null(store_snap_find(snap, "site"));
	store_snap_unref(&snap);

	ck_assert_int_eq(store_snap_get(st, "/email/user/", &snap), STORE_OK);
	e = store_snap_find(snap, "ann");
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(store_snap_find(snap, "bob"));
	/* visibility follows the user's dataset.acl */
	a = store_entry_attr(e, "entry");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->nacl, 1);
	ck_assert_str_eq(a->acl[0].s, "ann\txrwia");
	a = store_entry_attr(e, "subdataset");
	ck_assert_str_eq(a->values[0].s, ".");
	store_snap_unref(&snap);

	ck_assert_int_eq(store_snap_get(st, "/email/group/", &snap),
	    STORE_ENOEXIST);
	ck_assert_int_eq(store_snap_get(st, "/nothing/", &snap),
	    STORE_ENOEXIST);
	store_free(&st);
}
END_TEST

START_TEST(test_subdataset_create_and_delete)
{
	struct store *st = open_store();
	struct store_snap *snap;
	struct store_str dot = { ".", 1 };
	struct store_str far = { "//other.example//email/site/x/", 30 };
	struct store_str both[2] = { { ".", 1 }, { "//o//x/", 7 } };

	ck_assert_int_eq(put_multi(st, "/email/site/", "folder", "subdataset",
	    &dot, 1), STORE_OK);
	ck_assert_int_eq(store_snap_get(st, "/email/site/folder/", &snap),
	    STORE_OK);
	store_snap_unref(&snap);
	ck_assert_int_eq(put(st, "/email/site/folder/sub/", "e", "e.x", "1"),
	    STORE_OK);
	/* NIL deletes the whole sub-hierarchy (§3.1.1) */
	ck_assert_int_eq(put(st, "/email/site/", "folder", "subdataset", NULL),
	    STORE_OK);
	ck_assert_int_eq(store_snap_get(st, "/email/site/folder/", &snap),
	    STORE_ENOEXIST);
	ck_assert_int_eq(store_snap_get(st, "/email/site/folder/sub/", &snap),
	    STORE_ENOEXIST);
	/* a remote-only location creates nothing here */
	ck_assert_int_eq(put_multi(st, "/email/site/", "remote", "subdataset",
	    &far, 1), STORE_OK);
	ck_assert_int_eq(store_snap_get(st, "/email/site/remote/", &snap),
	    STORE_ENOEXIST);
	ck_assert_int_eq(put_multi(st, "/email/site/", "remote", "subdataset",
	    both, 2), STORE_OK);
	ck_assert_int_eq(store_snap_get(st, "/email/site/remote/", &snap),
	    STORE_OK);
	store_snap_unref(&snap);
	/* deleting the entry deletes its subdataset too */
	ck_assert_int_eq(put_op(st, "/email/site/", "remote", "entry",
	    STORE_OP_NIL), STORE_OK);
	ck_assert_int_eq(store_snap_get(st, "/email/site/remote/", &snap),
	    STORE_ENOEXIST);
	store_free(&st);
}
END_TEST

/* ---- Entries: delete, tombstones, rename ------------------------------- */

START_TEST(test_entry_delete_and_default)
{
	struct store *st = open_store();
	struct store_snap *snap;
	const struct store_entry *e;

	ck_assert_int_eq(put(st, "/option/site/", "e", "option.value", "1"),
	    STORE_OK);
	ck_assert_int_eq(put_op(st, "/option/site/", "e", "entry",
	    STORE_OP_NIL), STORE_OK);
	ck_assert_int_eq(store_snap_get(st, "/option/site/", &snap), STORE_OK);
	e = store_snap_find(snap, "e");
	ck_assert_ptr_nonnull(e);
	ck_assert(e->blocked);
	ck_assert_uint_eq(e->nattrs, 0);
	store_snap_unref(&snap);
	/* DEFAULT drops the tombstone as well */
	ck_assert_int_eq(put_op(st, "/option/site/", "e", "entry",
	    STORE_OP_DEFAULT), STORE_OK);
	ck_assert_int_eq(store_snap_get(st, "/option/site/", &snap), STORE_OK);
	ck_assert_ptr_null(store_snap_find(snap, "e"));
	store_snap_unref(&snap);
	/* storing again revives it */
	ck_assert_int_eq(put(st, "/option/site/", "e", "option.value", "2"),
	    STORE_OK);
	ck_assert_int_eq(store_snap_get(st, "/option/site/", &snap), STORE_OK);
	e = store_snap_find(snap, "e");
	ck_assert(!(e->blocked));
	store_snap_unref(&snap);
	store_free(&st);
}
END_TEST

/*
 * store_snap_get_range(): the "" entry and the first max unblocked
 * entries after the bound, the number of all of them, and the work the
 * page's size (range_snaps, no whole-dataset load); what paging SEARCH
 * is built on (doc/protocol-notes.md "Paging").
 */
START_TEST(test_snap_range)
{
	struct store *st = open_store_cfg(0, 0, 0);
	struct store_snap *snap;
	struct store_stats before, after;
	const struct store_entry *e;
	uint64_t total;
	size_t n;
	char name[16];
	int i;

	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "n%02d", i);
		ck_assert_int_eq(put(st, "/option/site/", name, "option.v",
		    name), STORE_OK);
	}
	/* a tombstone and a deleted entry are not in any page */
	ck_assert_int_eq(put_op(st, "/option/site/", "n05", "entry",
	    STORE_OP_NIL), STORE_OK);
	ck_assert_int_eq(put_op(st, "/option/site/", "n06", "entry",
	    STORE_OP_DEFAULT), STORE_OK);
	store_get_stats(st, &before);
	ck_assert_int_eq(store_snap_get_range(st, "/option/site/", "", 4,
	    &snap, &total), STORE_OK);
	e = store_snap_entries(snap, &n);
	ck_assert_uint_eq(n, 5);		/* "" and 4 */
	ck_assert_str_eq(e[0].name, "");
	ck_assert_str_eq(e[1].name, "n00");
	ck_assert_str_eq(e[4].name, "n03");
	ck_assert_uint_eq(total, 48);
	ck_assert_ptr_nonnull(store_entry_attr(&e[4], "option.v"));
	store_snap_unref(&snap);
	ck_assert_int_eq(store_snap_get_range(st, "/option/site/", "n03", 3,
	    &snap, &total), STORE_OK);
	e = store_snap_entries(snap, &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(e[1].name, "n04");
	ck_assert_str_eq(e[2].name, "n07");	/* n05, n06 left out */
	ck_assert_str_eq(e[3].name, "n08");
	ck_assert_uint_eq(total, 44);
	store_snap_unref(&snap);
	/* the last page: fewer than max, total what was read */
	ck_assert_int_eq(store_snap_get_range(st, "/option/site/", "n47", 10,
	    &snap, &total), STORE_OK);
	e = store_snap_entries(snap, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(total, 2);
	store_snap_unref(&snap);
	ck_assert_int_eq(store_snap_get_range(st, "/option/site/", "z", 10,
	    &snap, &total), STORE_OK);
	ck_assert_uint_eq(total, 0);
	store_snap_unref(&snap);
	store_get_stats(st, &after);
	ck_assert_uint_eq(after.range_snaps - before.range_snaps, 4);
	ck_assert_uint_eq(after.snap_loads, before.snap_loads);
	/* not served by a range: read whole */
	ck_assert_int_eq(store_snap_get_range(st, "/option/", "", 10,
	    &snap, &total), STORE_EINVALID);
	ck_assert_int_eq(store_snap_get_range(st, STORE_AUDIT_PATH "x/",
	    "", 10, &snap, &total), STORE_EINVALID);
	ck_assert_int_eq(store_snap_get_range(st, STORE_AUDIT_PATH, "x", 10,
	    &snap, &total), STORE_EINVALID);
	ck_assert_int_eq(store_snap_get_range(st, "/option/user/nobody/", "",
	    10, &snap, &total), STORE_ENOEXIST);
	store_free(&st);
}
END_TEST

static void
collect(void *arg, const char *name)
{
	struct acap_buf *b = arg;

	acap_buf_addstr(b, name);
	acap_buf_addch(b, ',');
}

START_TEST(test_rename)
{
	struct store *st = open_store();
	struct store_snap *snap;
	const struct store_attr *a;
	struct store_str nv = { "corp2", 5 };
	struct store_str dot = { ".", 1 };
	struct store_attr_op op;
	struct store_entry_op e;
	struct store_result res;
	struct acap_buf names = ACAP_BUF_INIT;
	char t0[STORE_MODTIME_LEN + 1];

	ck_assert_int_eq(put(st, "/email/user/u/", "corp", "email.x", "1"),
	    STORE_OK);
	ck_assert_int_eq(put_multi(st, "/email/user/u/", "corp", "subdataset",
	    &dot, 1), STORE_OK);
	ck_assert_int_eq(put(st, "/email/user/u/corp/", "in", "email.y", "2"),
	    STORE_OK);
	ck_assert_int_eq(put(st, "/email/user/u/", "other", "email.x", "1"),
	    STORE_OK);
	store_modtime_current(st, t0);
	memset(&op, 0, sizeof(op));
	memset(&e, 0, sizeof(e));
	op.name = "entry";
	op.value_op = STORE_OP_SET;
	op.values = &nv;
	op.nvalues = 1;
	e.dataset = "/email/user/u/";
	e.entry = "corp";
	e.attrs = &op;
	e.nattrs = 1;
	ck_assert_int_eq(store_apply(st, &e, 1, &res), STORE_OK);
	a = get(st, "/email/user/u/", "corp2", "email.x", &snap);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_null(store_snap_find(snap, "corp"));
	store_snap_unref(&snap);
	/* the sub-hierarchy moved along */
	a = get(st, "/email/user/u/corp2/", "in", "email.y", &snap);
	ck_assert_ptr_nonnull(a);
	store_snap_unref(&snap);
	ck_assert_int_eq(store_snap_get(st, "/email/user/u/corp/", &snap),
	    STORE_ENOEXIST);
	/* the old name is reported by DELETEDSINCE (OUR CALL) */
	ck_assert_int_eq(store_deleted_since(st, "/email/user/u/", t0, collect,
	    &names), STORE_OK);
	ck_assert_str_eq(names.data, "corp,");
	/* renaming onto an existing entry, or a missing one, fails */
	e.entry = "other";
	ck_assert_int_eq(store_apply(st, &e, 1, &res), STORE_EEXIST);
	e.entry = "missing";
	ck_assert_int_eq(store_apply(st, &e, 1, &res), STORE_ENOENT);
	acap_buf_deinit(&names);
	store_free(&st);
}
END_TEST

/* ---- Quotas ---------------------------------------------------------- */

START_TEST(test_quota)
{
	struct store *st = open_store_cfg(300, 0, 64);
	char big[201];
	uint64_t limit, usage, usage2;
	const char *user;
	struct store_snap *snap;
	struct acap_buf code = ACAP_BUF_INIT;
	struct store_result res;
	struct store_str v;
	struct store_attr_op a;
	struct store_entry_op op;

	ck_assert_int_eq(put(st, "/option/user/q/", "e", "option.value", "x"),
	    STORE_OK);
	ck_assert_int_eq(store_quota_get(st, "/option/user/q/", &limit,
	    &usage, &user), STORE_OK);
	ck_assert_uint_eq(limit, 300);
	ck_assert_uint_gt(usage, 0);
	ck_assert_str_eq(user, "q");
	/* a value that does not fit is refused, and nothing changes */
	memset(big, 'b', 200);
	big[200] = '\0';
	ck_assert_int_eq(put(st, "/option/user/q/", "f", "option.value", big),
	    STORE_OK);
	ck_assert_int_eq(put(st, "/option/user/q/", "g", "option.value", big),
	    STORE_EQUOTA);
	store_err_format_code(STORE_EQUOTA, NULL, &code);
	ck_assert_str_eq(code.data, "QUOTA");
	acap_buf_deinit(&code);
	ck_assert_int_eq(store_snap_get(st, "/option/user/q/", &snap),
	    STORE_OK);
	ck_assert_ptr_null(store_snap_find(snap, "g"));
	store_snap_unref(&snap);
	ck_assert_int_eq(store_quota_get(st, "/option/user/q/sub/", &limit,
	    &usage2, NULL), STORE_OK);
	ck_assert_uint_gt(usage2, usage + 200);
	/* shrinking is always allowed; deleting frees the bytes */
	ck_assert_int_eq(put_op(st, "/option/user/q/", "f", "entry",
	    STORE_OP_DEFAULT), STORE_OK);
	ck_assert_int_eq(store_quota_get(st, "/option/user/q/", &limit,
	    &usage2, NULL), STORE_OK);
	ck_assert_uint_eq(usage2, usage);
	/* site datasets have no quota */
	ck_assert_int_eq(store_quota_get(st, "/option/site/", &limit, &usage,
	    NULL), STORE_ENOQUOTA);
	/* a per-user override */
	ck_assert_int_eq(store_quota_set_limit(st, "q", 0), STORE_OK);
	ck_assert_int_eq(store_quota_get(st, "/option/user/q/", &limit,
	    &usage, NULL), STORE_ENOQUOTA);
	ck_assert_int_eq(store_quota_set_limit(st, "q", 10000), STORE_OK);
	ck_assert_int_eq(put(st, "/option/user/q/", "g", "option.value", big),
	    STORE_OK);
	/* usage survives a restart and a subtree deletion is credited */
	store_free(&st);
	st = open_store_cfg(300, 0, 64);
	ck_assert_int_eq(store_quota_get(st, "/option/user/q/", &limit,
	    &usage, NULL), STORE_OK);
	ck_assert_uint_eq(limit, 10000);
	v.s = big;
	v.len = 200;
	memset(&a, 0, sizeof(a));
	memset(&op, 0, sizeof(op));
	a.name = "option.value";
	a.value_op = STORE_OP_SET;
	a.values = &v;
	a.nvalues = 1;
	op.dataset = "/option/user/q/sub/";
	op.entry = "h";
	op.attrs = &a;
	op.nattrs = 1;
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
	ck_assert_int_eq(store_quota_get(st, "/option/user/q/", &limit,
	    &usage2, NULL), STORE_OK);
	ck_assert_uint_gt(usage2, usage + 200);
	ck_assert_int_eq(put(st, "/option/user/q/", "sub", "subdataset", NULL),
	    STORE_OK);
	ck_assert_int_eq(store_quota_get(st, "/option/user/q/", &limit,
	    &usage2, NULL), STORE_OK);
	ck_assert_uint_le(usage2, usage + 16);
	store_free(&st);
}
END_TEST

/* ---- DELETEDSINCE ------------------------------------------------------- */

START_TEST(test_deleted_since)
{
	struct store *st;
	struct acap_buf names = ACAP_BUF_INIT;
	char t0[STORE_MODTIME_LEN + 1], t1[STORE_MODTIME_LEN + 1];

	fake_sec = 1800000000;
	st = open_store_cfg(0, 3600, 64);
	store_set_clock(st, fake_clock);
	ck_assert_int_eq(put(st, "/folder/site/", "blurdybloop", "f.x", "1"),
	    STORE_OK);
	ck_assert_int_eq(put(st, "/folder/site/", "anteaters", "f.x", "1"),
	    STORE_OK);
	ck_assert_int_eq(put(st, "/folder/site/", "keep", "f.x", "1"),
	    STORE_OK);
	store_modtime_current(st, t0);
	ck_assert_int_eq(put_op(st, "/folder/site/", "blurdybloop", "entry",
	    STORE_OP_NIL), STORE_OK);
	store_modtime_current(st, t1);
	ck_assert_int_eq(put_op(st, "/folder/site/", "anteaters", "entry",
	    STORE_OP_DEFAULT), STORE_OK);
	ck_assert_int_eq(store_deleted_since(st, "/folder/site/", t0, collect,
	    &names), STORE_OK);
	ck_assert_str_eq(names.data, "blurdybloop,anteaters,");
	acap_buf_reset(&names);
	ck_assert_int_eq(store_deleted_since(st, "/folder/site/", t1, collect,
	    &names), STORE_OK);
	ck_assert_str_eq(names.data, "anteaters,");
	acap_buf_reset(&names);
	/* before the dataset existed: we cannot know */
	ck_assert_int_eq(store_deleted_since(st, "/folder/site/",
	    "19951009040854", collect, &names), STORE_ETOOOLD);
	ck_assert_uint_eq(names.len, 0);
	ck_assert_int_eq(store_deleted_since(st, "/folder/none/", t0, collect,
	    &names), STORE_ENOEXIST);
	/* two hours later the log is pruned past t0: TOOOLD */
	fake_sec += 7200;
	ck_assert_int_eq(store_maintain(st), STORE_OK);
	ck_assert_int_eq(store_deleted_since(st, "/folder/site/", t0, collect,
	    &names), STORE_ETOOOLD);
	/* the horizon is persistent */
	store_free(&st);
	st = open_store_cfg(0, 0, 64);
	ck_assert_int_eq(store_deleted_since(st, "/folder/site/", t0, collect,
	    &names), STORE_ETOOOLD);
	acap_buf_deinit(&names);
	store_free(&st);
}
END_TEST

START_TEST(test_deleted_since_dropped_dataset)
{
	struct store *st = open_store();
	struct acap_buf names = ACAP_BUF_INIT;
	struct store_str dot = { ".", 1 };
	char t0[STORE_MODTIME_LEN + 1];

	ck_assert_int_eq(put_multi(st, "/email/site/", "f", "subdataset", &dot,
	    1), STORE_OK);
	ck_assert_int_eq(put(st, "/email/site/f/", "x", "e.x", "1"), STORE_OK);
	store_modtime_current(st, t0);
	ck_assert_int_eq(put(st, "/email/site/", "f", "subdataset", NULL),
	    STORE_OK);
	/* its inheritors lost entries without a log: TOOOLD, not NOEXIST */
	ck_assert_int_eq(store_deleted_since(st, "/email/site/f/", t0, collect,
	    &names), STORE_ETOOOLD);
	ck_assert_int_eq(store_deleted_since(st, "/email/site/f/deeper/", t0,
	    collect, &names), STORE_ETOOOLD);
	acap_buf_deinit(&names);
	store_free(&st);
}
END_TEST

/* ---- Change feed ------------------------------------------------------ */

struct feed {
	int calls;
	struct acap_buf log;
	struct store *st;
	bool reentered, saw_commit;
};

static void
feed_cb(void *arg, const struct store_change *c, size_t n)
{
	struct feed *f = arg;
	size_t i;

	f->calls++;
	if (f->st != NULL) {
		struct store_snap *snap = NULL;

		/* the callback reads the committed state, and cannot write */
		f->reentered = put(f->st, "/option/site/", "x", "o.v", "1") !=
		    STORE_EIO;
		store_read_begin(f->st);
		f->saw_commit = store_snap_get(f->st, c[n - 1].dataset,
		    &snap) == STORE_OK;
		store_read_end(f->st);
		store_snap_unref(&snap);
	}
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(strlen(c[i].modtime), STORE_MODTIME_LEN);
		acap_buf_printf(&f->log, "%d:%s%s;", (int)c[i].kind,
		    c[i].dataset, c[i].entry != NULL ? c[i].entry : "-");
	}
}

START_TEST(test_change_feed)
{
	struct store *st = open_store();
	struct feed f;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(put(st, "/option/site/", "a", "o.v", "1"), STORE_OK);
	store_set_change_cb(st, feed_cb, &f);
	f.st = st;
	ck_assert_int_eq(put(st, "/option/site/", "a", "o.v", "2"), STORE_OK);
	ck_assert_int_eq(f.calls, 1);
	ck_assert(!f.reentered);
	ck_assert(f.saw_commit);
	f.st = NULL;
	ck_assert_str_eq(f.log.data, "0:/option/site/a;");
	acap_buf_reset(&f.log);
	ck_assert_int_eq(put(st, "/option/group/g/", "b", "o.v", "2"),
	    STORE_OK);
	ck_assert_int_eq(f.calls, 2);
	ck_assert_str_eq(f.log.data, "2:/option/group/g/-;"
	    "0:/option/group/g/;0:/option/group/g/b;");
	acap_buf_reset(&f.log);
	ck_assert_int_eq(put_op(st, "/option/site/", "a", "entry",
	    STORE_OP_NIL), STORE_OK);
	ck_assert_str_eq(f.log.data, "1:/option/site/a;");
	/* nothing is reported for a failed STORE */
	ck_assert_int_eq(put(st, "/option/", "a", "o.v", "2"), STORE_EPERM);
	ck_assert_int_eq(f.calls, 3);
	store_set_change_cb(st, NULL, NULL);
	ck_assert_int_eq(put(st, "/option/site/", "a", "o.v", "3"), STORE_OK);
	ck_assert_int_eq(f.calls, 3);
	acap_buf_deinit(&f.log);
	store_free(&st);
}
END_TEST

/* ---- Group commit (store_batch_*) ------------------------------------ */

/* One STORE of one attribute, built in caller-owned structs. */
static void
op_set(struct store_entry_op *op, struct store_attr_op *a,
    struct store_str *v, const char *ds, const char *entry,
    const char *attr, const char *value)
{
	memset(op, 0, sizeof(*op));
	memset(a, 0, sizeof(*a));
	v->s = value;
	v->len = strlen(value);
	a->name = attr;
	a->value_op = STORE_OP_SET;
	a->values = v;
	a->nvalues = 1;
	op->dataset = ds;
	op->entry = entry;
	op->attrs = a;
	op->nattrs = 1;
}

static bool
has_entry(struct store *st, const char *ds, const char *entry)
{
	struct store_snap *snap = NULL;
	bool r;

	r = store_snap_get(st, ds, &snap) == STORE_OK &&
	    store_snap_find(snap, entry) != NULL;
	store_snap_unref(&snap);
	return r;
}

/*
 * Five STOREs in one transaction: each is atomic on its own (a failing
 * one, even a multi-entry one failing on its second entry, leaves no
 * trace), each sees what the ones before it did (UNCHANGEDSINCE), each
 * gets its own modtime, one commit, one change callback per STORE after
 * the commit, and all of it survives a reopen.
 */
START_TEST(test_batch_stores_independent)
{
	struct store *st = open_store_cfg(300, 0, 64);
	struct store_entry_op op[2];
	struct store_attr_op a[2];
	struct store_str v[2];
	struct store_result res, res1;
	struct store_stats s0, s1;
	uint64_t limit, usage0, usage;
	char big[401];
	struct feed f;

	memset(&f, 0, sizeof(f));
	memset(big, 'b', 400);
	big[400] = '\0';
	ck_assert_int_eq(put(st, "/option/user/q/", "e", "o.v", "x"),
	    STORE_OK);
	ck_assert_int_eq(put(st, "/option/site/", "m", "o.v", "1"), STORE_OK);
	ck_assert_int_eq(store_quota_get(st, "/option/user/q/", &limit,
	    &usage0, NULL), STORE_OK);
	store_set_change_cb(st, feed_cb, &f);
	store_get_stats(st, &s0);

	ck_assert_int_eq(store_batch_begin(st), STORE_OK);
	/* no second batch, no single STORE while one is open */
	ck_assert_int_eq(store_batch_begin(st), STORE_EIO);
	ck_assert_int_eq(put(st, "/option/site/", "z", "o.v", "1"), STORE_EIO);
	/* 1: applied */
	op_set(&op[0], &a[0], &v[0], "/option/site/", "a", "o.v", "1");
	ck_assert_int_eq(store_batch_apply(st, op, 1, &res1), STORE_OK);
	/* 2: UNCHANGEDSINCE fails, alone */
	op_set(&op[0], &a[0], &v[0], "/option/site/", "m", "o.v", "2");
	op[0].unchangedsince = "00000101000000";
	ck_assert_int_eq(store_batch_apply(st, op, 1, &res), STORE_EMODIFIED);
	/* 3: the quota fails on its second entry: the first is undone too */
	op_set(&op[0], &a[0], &v[0], "/option/site/", "b", "o.v", "2");
	op_set(&op[1], &a[1], &v[1], "/option/user/q/", "big", "o.v", big);
	ck_assert_int_eq(store_batch_apply(st, op, 2, &res), STORE_EQUOTA);
	ck_assert_str_eq(res.err.dataset, "/option/user/q/");
	ck_assert(!has_entry(st, "/option/site/", "b"));
	/* 4: sees 1 ("a" exists now, so "create only" fails) */
	op_set(&op[0], &a[0], &v[0], "/option/site/", "a", "o.v", "4");
	op[0].unchangedsince = "00000101000000";
	ck_assert_int_eq(store_batch_apply(st, op, 1, &res), STORE_EMODIFIED);
	/* 5: applied, a later modtime than 1 */
	op_set(&op[0], &a[0], &v[0], "/option/site/", "c", "o.v", "5");
	ck_assert_int_eq(store_batch_apply(st, op, 1, &res), STORE_OK);
	ck_assert_int_gt(strcmp(res.modtime, res1.modtime), 0);
	/* reads inside the batch see it; nothing is reported yet */
	ck_assert(has_entry(st, "/option/site/", "a"));
	ck_assert(has_entry(st, "/option/site/", "c"));
	ck_assert_int_eq(f.calls, 0);

	ck_assert_int_eq(store_batch_commit(st), STORE_OK);
	ck_assert_int_eq(f.calls, 2);
	ck_assert_str_eq(f.log.data, "0:/option/site/a;0:/option/site/c;");
	store_get_stats(st, &s1);
	ck_assert_uint_eq(s1.commits, s0.commits + 1);
	ck_assert_uint_eq(s1.stores, s0.stores + 2);
	/* the store is usable again, outside a batch */
	ck_assert_int_eq(put(st, "/option/site/", "d", "o.v", "6"), STORE_OK);
	acap_buf_deinit(&f.log);
	store_free(&st);

	st = open_store_cfg(300, 0, 64);
	ck_assert(has_entry(st, "/option/site/", "a"));
	ck_assert(has_entry(st, "/option/site/", "c"));
	ck_assert(has_entry(st, "/option/site/", "d"));
	ck_assert(!has_entry(st, "/option/site/", "b"));
	ck_assert(!has_entry(st, "/option/user/q/", "big"));
	ck_assert_int_eq(store_quota_get(st, "/option/user/q/", &limit,
	    &usage, NULL), STORE_OK);
	ck_assert_uint_eq(usage, usage0);
	store_free(&st);
}
END_TEST

/* A batch in which every STORE failed commits nothing (and syncs nothing). */
START_TEST(test_batch_nothing_applied)
{
	struct store *st = open_store();
	struct store_entry_op op;
	struct store_attr_op a;
	struct store_str v;
	struct store_result res;
	struct store_stats s0, s1;
	char now[STORE_MODTIME_LEN + 1];

	store_get_stats(st, &s0);
	ck_assert_int_eq(store_batch_begin(st), STORE_OK);
	op_set(&op, &a, &v, "/option/", "a", "o.v", "1");
	ck_assert_int_eq(store_batch_apply(st, &op, 1, &res), STORE_EPERM);
	ck_assert_int_eq(store_batch_commit(st), STORE_OK);
	store_get_stats(st, &s1);
	ck_assert_uint_eq(s1.commits, s0.commits);
	ck_assert_uint_eq(s1.stores, s0.stores);
	/* outside a batch, the batch calls refuse */
	ck_assert_int_eq(store_batch_apply(st, &op, 1, &res), STORE_EIO);
	ck_assert_int_eq(store_batch_commit(st), STORE_EIO);
	/* a modtime handed out by a failed STORE is never handed out again */
	store_modtime_current(st, now);
	op_set(&op, &a, &v, "/option/site/", "a", "o.v", "1");
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
	ck_assert_int_gt(strcmp(res.modtime, now), 0);
	store_free(&st);
}
END_TEST

/*
 * Let no file grow past the WAL's current size (a full disk, as SQLite
 * sees it: the next COMMIT cannot append), and undo that.
 */
static void
wal_freeze(const struct stat *wal, struct rlimit *old)
{
	struct rlimit lim;

	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, old), 0);
	lim = *old;
	lim.rlim_cur = (rlim_t)wal->st_size;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

static void
wal_thaw(const struct rlimit *old)
{
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, old), 0);
	signal(SIGXFSZ, SIG_DFL);
}

/*
 * A commit that fails (the WAL cannot grow: RLIMIT_FSIZE, as a full disk
 * would) fails every STORE of the batch: nothing of it is visible, no
 * change is reported, and the store goes on afterwards.
 */
START_TEST(test_batch_commit_fails)
{
	struct store *st = open_store();
	struct store_entry_op op;
	struct store_attr_op a;
	struct store_str v;
	struct store_result res;
	struct rlimit old;
	struct stat sb;
	char wal[600];
	struct feed f;
	enum store_err r;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(put(st, "/option/site/", "m", "o.v", "1"), STORE_OK);
	store_set_change_cb(st, feed_cb, &f);
	snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_int_eq(store_batch_begin(st), STORE_OK);
	op_set(&op, &a, &v, "/option/site/", "a", "o.v", "1");
	ck_assert_int_eq(store_batch_apply(st, &op, 1, &res), STORE_OK);
	op_set(&op, &a, &v, "/option/site/", "b", "o.v", "2");
	ck_assert_int_eq(store_batch_apply(st, &op, 1, &res), STORE_OK);
	wal_freeze(&sb, &old);
	r = store_batch_commit(st);
	wal_thaw(&old);
	ck_assert(r == STORE_EFULL || r == STORE_EIO);
	ck_assert_int_eq(f.calls, 0);
	ck_assert(!has_entry(st, "/option/site/", "a"));
	ck_assert(!has_entry(st, "/option/site/", "b"));
	ck_assert(has_entry(st, "/option/site/", "m"));
	op_set(&op, &a, &v, "/option/site/", "c", "o.v", "3");
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
	ck_assert(has_entry(st, "/option/site/", "c"));
	ck_assert_int_eq(f.calls, 1);
	acap_buf_deinit(&f.log);
	store_free(&st);
}
END_TEST

/*
 * The COMMIT on the commit thread: the batch completes when finished;
 * a read meanwhile waits for it (and completes the batch itself), so it
 * sees the STORE committed; the thread's descriptor says when; a failed
 * COMMIT fails the batch as store_batch_commit() does.
 */
START_TEST(test_batch_commit_thread)
{
	struct store *st = open_store();
	struct store_entry_op op;
	struct store_attr_op a;
	struct store_str v;
	struct store_result res;
	struct store_stats s0, s1;
	struct rlimit old;
	struct pollfd pfd;
	struct stat sb;
	char wal[600];
	enum store_err r;
	struct feed f;
	int fd;

	memset(&f, 0, sizeof(f));
	store_set_change_cb(st, feed_cb, &f);
	fd = store_commit_thread_start(st);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(store_commit_thread_start(st), fd);
	store_get_stats(st, &s0);
	ck_assert_int_eq(store_batch_begin(st), STORE_OK);
	op_set(&op, &a, &v, "/option/site/", "a", "o.v", "1");
	ck_assert_int_eq(store_batch_apply(st, &op, 1, &res), STORE_OK);
	ck_assert(store_batch_commit_start(st, &r));
	/* the descriptor becomes readable once the COMMIT is done */
	pfd.fd = fd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
	ck_assert_int_eq(store_batch_commit_finish(st), STORE_OK);
	ck_assert_int_eq(f.calls, 1);
	store_get_stats(st, &s1);
	ck_assert_uint_eq(s1.commits, s0.commits + 1);
	/* nothing left to finish, and the descriptor is drained */
	ck_assert_int_eq(store_batch_commit_finish(st), STORE_EIO);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);

	/* a read while the COMMIT may still run: it waits, then sees it */
	ck_assert_int_eq(store_batch_begin(st), STORE_OK);
	op_set(&op, &a, &v, "/option/site/", "b", "o.v", "2");
	ck_assert_int_eq(store_batch_apply(st, &op, 1, &res), STORE_OK);
	ck_assert(store_batch_commit_start(st, &r));
	ck_assert(has_entry(st, "/option/site/", "b"));
	ck_assert_int_eq(f.calls, 2);
	ck_assert_int_eq(store_batch_commit_finish(st), STORE_OK);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);

	/* a batch with nothing applied completes at once */
	ck_assert_int_eq(store_batch_begin(st), STORE_OK);
	op_set(&op, &a, &v, "/option/", "c", "o.v", "3");
	ck_assert_int_eq(store_batch_apply(st, &op, 1, &res), STORE_EPERM);
	ck_assert(!store_batch_commit_start(st, &r));
	ck_assert_int_eq(r, STORE_OK);

	/* a COMMIT that fails on the thread fails the batch */
	snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_int_eq(store_batch_begin(st), STORE_OK);
	op_set(&op, &a, &v, "/option/site/", "d", "o.v", "4");
	ck_assert_int_eq(store_batch_apply(st, &op, 1, &res), STORE_OK);
	wal_freeze(&sb, &old);
	ck_assert(store_batch_commit_start(st, &r));
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
	wal_thaw(&old);
	r = store_batch_commit_finish(st);
	ck_assert(r == STORE_EFULL || r == STORE_EIO);
	ck_assert(!has_entry(st, "/option/site/", "d"));
	ck_assert_int_eq(f.calls, 2);
	/* and the store goes on, thread and all */
	ck_assert_int_eq(put(st, "/option/site/", "e", "o.v", "5"), STORE_OK);
	acap_buf_deinit(&f.log);
	store_free(&st);
}
END_TEST

/* ---- The error table ------------------------------------------------- */

/* ---- The audit trail (store.h "The audit trail") ------------------- */

static enum store_err
audit_veto(void *arg)
{
	(void)arg;
	return STORE_EPERM;
}

/* The audit record's attribute name as a C string, or NULL. */
static const char *
audit_get(const struct store_entry *e, const char *name)
{
	char an[64];
	const struct store_attr *a;

	snprintf(an, sizeof(an), STORE_AUDIT_ATTR "%s", name);
	a = store_entry_attr(e, an);
	return a != NULL && a->kind == STORE_V_SINGLE ? a->values[0].s : NULL;
}

/* The audit records, "" entry excluded. */
static const struct store_entry *
audit_read(struct store *st, struct store_snap **snap, size_t *n)
{
	const struct store_entry *e;
	const struct store_attr *acl;

	store_snap_unref(snap);
	ck_assert_int_eq(store_snap_get(st, STORE_AUDIT_PATH, snap),
	    STORE_OK);
	e = store_snap_entries(*snap, n);
	ck_assert_uint_ge(*n, 1);
	ck_assert_str_eq(e[0].name, "");
	/* nobody but a reader with every right */
	acl = store_entry_attr(&e[0], "dataset.acl");
	ck_assert_ptr_nonnull(acl);
	ck_assert_int_eq(acl->kind, STORE_V_MULTI);
	ck_assert_uint_eq(acl->nvalues, 0);
	(*n)--;
	return e + 1;
}

START_TEST(test_audit)
{
	static const struct store_audit who = { "STORE", "alice", "bob",
	    "192.0.2.1", "00000000000000a1" };
	struct store_config c;
	struct store *st = NULL;
	struct store_snap *snap = NULL;
	const struct store_entry *e;
	struct store_entry_op op;
	struct store_attr_op a;
	struct store_str v;
	struct store_result res;
	const char *err = NULL;
	size_t n;

	memset(&c, 0, sizeof(c));
	c.path = dbpath;
	c.view = &inherit_store_view_ops;
	c.audit = true;
	c.audit_retention = 3600;
	c.audit_secret = "*.password other.secret";
	c.clock_cb = fake_clock;
	fake_sec = 1800000000;
	ck_assert_int_eq(store_open(&c, &st, &err), 0);
	store_set_audit_reader(st, true);

	/* a change with a context is recorded, with everything */
	op_set(&op, &a, &v, "/email/user/bob/", "corp", "email.server.IMAP",
	    "imap://old/");
	ck_assert_int_eq(store_apply_audit(st, &op, 1, &who, &res), STORE_OK);
	e = audit_read(st, &snap, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(strlen(e[0].name), STORE_AUDIT_ID_LEN);
	ck_assert_str_eq(audit_get(&e[0], "time"), res.modtime);
	ck_assert_str_eq(e[0].modtime, res.modtime);
	ck_assert_str_eq(audit_get(&e[0], "user"), "alice");
	ck_assert_str_eq(audit_get(&e[0], "authz"), "bob");
	ck_assert_str_eq(audit_get(&e[0], "peer"), "192.0.2.1");
	ck_assert_str_eq(audit_get(&e[0], "session"), "00000000000000a1");
	ck_assert_str_eq(audit_get(&e[0], "op"), "STORE");
	ck_assert_str_eq(audit_get(&e[0], "dataset"), "/email/user/bob/");
	ck_assert_str_eq(audit_get(&e[0], "entry"), "corp");
	ck_assert_str_eq(audit_get(&e[0], "attr"), "email.server.IMAP");
	ck_assert_str_eq(audit_get(&e[0], "what"), "value");
	ck_assert_ptr_null(audit_get(&e[0], "old"));
	ck_assert_str_eq(audit_get(&e[0], "new"), "imap://old/");
	ck_assert_ptr_null(audit_get(&e[0], "redacted"));

	/* the same value again is no change; no context records nothing */
	ck_assert_int_eq(store_apply_audit(st, &op, 1, &who, &res), STORE_OK);
	op_set(&op, &a, &v, "/email/user/bob/", "corp", "email.server.IMAP",
	    "imap://quiet/");
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
	e = audit_read(st, &snap, &n);
	ck_assert_uint_eq(n, 1);

	/* failed and undone STOREs record nothing */
	op_set(&op, &a, &v, "/email/user/bob/", "corp", "email.server.IMAP",
	    "imap://stale/");
	op.unchangedsince = "19990101000000";
	ck_assert_int_eq(store_apply_audit(st, &op, 1, &who, &res),
	    STORE_EMODIFIED);
	op.unchangedsince = NULL;
	ck_assert_int_eq(store_batch_begin(st), STORE_OK);
	ck_assert_int_eq(store_batch_apply_verify(st, &op, 1, &who,
	    audit_veto, NULL, &res), STORE_EPERM);
	ck_assert_int_eq(store_batch_commit(st), STORE_OK);
	e = audit_read(st, &snap, &n);
	ck_assert_uint_eq(n, 1);

	/* old and new; a secret's values are not kept */
	op_set(&op, &a, &v, "/email/user/bob/", "corp", "email.server.IMAP",
	    "imap://new/");
	ck_assert_int_eq(store_apply_audit(st, &op, 1, &who, &res), STORE_OK);
	op_set(&op, &a, &v, "/email/user/bob/", "corp", "email.x.password",
	    "hunter2");
	ck_assert_int_eq(store_apply_audit(st, &op, 1, &who, &res), STORE_OK);
	ck_assert(store_audit_secret(st, "other.secret"));
	ck_assert(!store_audit_secret(st, "email.server.IMAP"));
	e = audit_read(st, &snap, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(audit_get(&e[1], "old"), "imap://quiet/");
	ck_assert_str_eq(audit_get(&e[1], "new"), "imap://new/");
	ck_assert_str_eq(audit_get(&e[2], "attr"), "email.x.password");
	ck_assert_ptr_null(audit_get(&e[2], "new"));
	ck_assert_str_eq(audit_get(&e[2], "redacted"), "new");

	/* removing the entry records it and what it held */
	ck_assert_int_eq(put_op(st, "/email/user/bob/", "corp", "entry",
	    STORE_OP_DEFAULT), STORE_OK);	/* no context: nothing */
	e = audit_read(st, &snap, &n);
	ck_assert_uint_eq(n, 3);

	/* read-only, and nothing else under its class exists */
	op_set(&op, &a, &v, STORE_AUDIT_PATH, "x", "vendor.acapd.audit.user",
	    "x");
	ck_assert_int_eq(store_apply_audit(st, &op, 1, &who, &res),
	    STORE_EPERM);
	store_snap_unref(&snap);
	ck_assert_int_eq(store_snap_get(st, "/vendor.acapd.audit/user/x/",
	    &snap), STORE_ENOEXIST);

	/* a reader that is not an admin's command gets no records */
	store_set_audit_reader(st, false);
	e = audit_read(st, &snap, &n);
	ck_assert_uint_eq(n, 0);
	store_set_audit_reader(st, true);

	/* retention: two hours later, an hour's worth is kept */
	fake_sec += 7200;
	ck_assert_int_eq(store_maintain(st), STORE_OK);
	e = audit_read(st, &snap, &n);
	ck_assert_uint_eq(n, 0);
	store_snap_unref(&snap);
	store_free(&st);
}
END_TEST

START_TEST(test_audit_entry_removal)
{
	static const struct store_audit who = { "STORE", "admin", NULL,
	    "::1", "0000000000000001" };
	struct store_config c;
	struct store *st = NULL;
	struct store_snap *snap = NULL;
	const struct store_entry *e;
	struct store_entry_op op;
	struct store_attr_op a[2];
	struct store_str v[2];
	struct store_result res;
	const char *err = NULL;
	size_t n;

	memset(&c, 0, sizeof(c));
	c.path = dbpath;
	c.view = &inherit_store_view_ops;
	c.audit = true;
	ck_assert_int_eq(store_open(&c, &st, &err), 0);
	store_set_audit_reader(st, true);
	ck_assert_int_eq(put(st, "/email/site/", "e", "email.a", "1"),
	    STORE_OK);
	ck_assert_int_eq(put(st, "/email/site/", "e", "email.b", "2"),
	    STORE_OK);
	/* a rename: "entry", old and new names */
	op_set(&op, &a[0], &v[0], "/email/site/", "e", "entry", "f");
	ck_assert_int_eq(store_apply_audit(st, &op, 1, &who, &res), STORE_OK);
	e = audit_read(st, &snap, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(audit_get(&e[0], "attr"), "entry");
	ck_assert_str_eq(audit_get(&e[0], "old"), "e");
	ck_assert_str_eq(audit_get(&e[0], "new"), "f");
	ck_assert_ptr_null(audit_get(&e[0], "authz"));
	/* NIL: every attribute, then "entry" */
	memset(&op, 0, sizeof(op));
	memset(a, 0, sizeof(a));
	a[0].name = "entry";
	a[0].value_op = STORE_OP_NIL;
	op.dataset = "/email/site/";
	op.entry = "f";
	op.attrs = a;
	op.nattrs = 1;
	ck_assert_int_eq(store_apply_audit(st, &op, 1, &who, &res), STORE_OK);
	e = audit_read(st, &snap, &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(audit_get(&e[1], "attr"), "email.a");
	ck_assert_str_eq(audit_get(&e[1], "old"), "1");
	ck_assert_ptr_null(audit_get(&e[1], "new"));
	ck_assert_str_eq(audit_get(&e[2], "attr"), "email.b");
	ck_assert_str_eq(audit_get(&e[3], "attr"), "entry");
	ck_assert_str_eq(audit_get(&e[3], "old"), "f");
	ck_assert_str_eq(audit_get(&e[3], "entry"), "f");
	/* all of one STORE share its modtime */
	ck_assert_str_eq(e[1].modtime, e[3].modtime);
	store_snap_unref(&snap);
	store_free(&st);
}
END_TEST

START_TEST(test_err_codes)
{
	struct store_errinfo info = { "/addressbook/user/joe/", "ABD42",
	    "dataset.acl" };
	struct acap_buf b = ACAP_BUF_INIT;

	ck_assert_str_eq(store_err_code(STORE_EMODIFIED), "MODIFIED");
	ck_assert_str_eq(store_err_code(STORE_ETOOOLD), "TOOOLD");
	ck_assert_str_eq(store_err_code(STORE_ETRYLATER), "TRYLATER");
	ck_assert_ptr_null(store_err_code(STORE_EIO));
	ck_assert_ptr_null(store_err_code(STORE_ENOQUOTA));
	ck_assert_ptr_nonnull(store_err_text(STORE_EQUOTA));
	store_err_format_code(STORE_EMODIFIED, &info, &b);
	ck_assert_str_eq(b.data, "MODIFIED \"/addressbook/user/joe/ABD42\"");
	acap_buf_reset(&b);
	store_err_format_code(STORE_EINVALID, &info, &b);
	ck_assert_str_eq(b.data,
	    "INVALID \"/addressbook/user/joe/ABD42\" \"dataset.acl\"");
	acap_buf_reset(&b);
	store_err_format_code(STORE_EPERM, &info, &b);
	ck_assert_str_eq(b.data, "PERMISSION (\"/addressbook/user/joe/\")");
	acap_buf_reset(&b);
	store_err_format_code(STORE_EIO, &info, &b);
	ck_assert_uint_eq(b.len, 0);
	acap_buf_deinit(&b);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_open_migrates);
	tcase_add_test(tc, test_open_modtime_survives_clock);
	tcase_add_test(tc, test_open_newer_schema_refused);
	tcase_add_test(tc, test_open_bad_path);
	tcase_add_test(tc, test_single_roundtrip);
	tcase_add_test(tc, test_multi_binary_roundtrip);
	tcase_add_test(tc, test_acl_metadata_roundtrip);
	tcase_add_test(tc, test_persistence_across_reopen);
	tcase_add_test(tc, test_cache_sees_writes);
	tcase_add_test(tc, test_modtime_monotonic);
	tcase_add_test(tc, test_modtime_one_per_store);
	tcase_add_test(tc, test_atomic_failure_changes_nothing);
	tcase_add_test(tc, test_unchangedsince);
	tcase_add_test(tc, test_implicit_creation_all_levels);
	tcase_add_test(tc, test_creation_from_byowner_template);
	tcase_add_test(tc, test_nocreate);
	tcase_add_test(tc, test_directories_not_storable);
	tcase_add_test(tc, test_directory_views);
	tcase_add_test(tc, test_subdataset_create_and_delete);
	tcase_add_test(tc, test_entry_delete_and_default);
	tcase_add_test(tc, test_snap_range);
	tcase_add_test(tc, test_rename);
	tcase_add_test(tc, test_quota);
	tcase_add_test(tc, test_deleted_since);
	tcase_add_test(tc, test_deleted_since_dropped_dataset);
	tcase_add_test(tc, test_change_feed);
	tcase_add_test(tc, test_batch_stores_independent);
	tcase_add_test(tc, test_batch_nothing_applied);
	tcase_add_test(tc, test_batch_commit_fails);
	tcase_add_test(tc, test_batch_commit_thread);
	tcase_add_test(tc, test_audit);
	tcase_add_test(tc, test_audit_entry_removal);
	tcase_add_test(tc, test_err_codes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
