/*
 * check_search.c -- unit tests for acapd/search.c: every search key, the
 * three mandatory comparators, BAD cases, stable multi-key SORT with NIL
 * and multi-values last, RETURN formatting (names, metadata lists,
 * patterns, RETURN ()), DEPTH, referrals, NOINHERIT, the directory
 * datasets, the access hook and RANGE (RFC 2244 §3.4, §6.4).
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acap-buf.h"
#include "inherit.h"
#include "search.h"
#include "store.h"

static char tmpdir[256];
static char dbpath[512];
static struct store *st;
static struct search_query *q;

static void
setup(void)
{
	struct store_config c;
	const char *err = NULL;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_search.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/acapd.db", tmpdir);
	memset(&c, 0, sizeof(c));
	c.path = dbpath;
	c.view = &inherit_store_view_ops;
	c.cache_datasets = 256;
	ck_assert_msg(store_open(&c, &st, &err) == 0, "store_open: %s", err);
	q = search_query_new();
}

static void
teardown(void)
{
	char p[600];

	search_query_free(&q);
	store_free(&st);
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	rmdir(tmpdir);
}

static void
put(const char *ds, const char *entry, const char *attr, const char *value)
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
	op.nattrs = 1;
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
}

/*
 * A page (doc/protocol-notes.md "Paging"): SORT ("entry" "i;octet"),
 * LIMIT n n, ALL (after NULL) or COMPARESTRICT "entry" "+i;octet" after,
 * with a budget of max_entries.  Returns the result; *names_r the rows.
 */
static struct search_result *
run_page(const char *after, uint32_t n, size_t max_entries,
    const struct search_access *acc, char **names_r)
{
	struct search_query *pq = search_query_new();
	struct search_result *res = NULL;
	const struct inherit_view *v;
	const struct inherit_entry *e;
	struct acap_buf b = ACAP_BUF_INIT;
	const char *err = NULL;
	size_t i;

	ck_assert_int_eq(search_query_begin_sort(pq), 0);
	ck_assert_int_eq(search_query_add_sort(pq, "entry", "i;octet", &err),
	    0);
	ck_assert_int_eq(search_query_set_limit(pq, n, n), 0);
	search_query_set_criteria(pq, after == NULL ? search_key_all(pq) :
	    search_key_match(pq, SEARCH_COMPARESTRICT, "entry", "+i;octet",
	    after, strlen(after), false, &err));
	search_query_set_budget(pq, 1, max_entries);
	ck_assert_int_eq(search_run(st, "/option/site/", pq, acc, &res),
	    STORE_OK);
	acap_buf_addstr(&b, "");
	for (i = 0; i < search_result_count(res); i++) {
		search_result_row(res, i, &v, &e);
		acap_buf_printf(&b, i > 0 ? ",%s" : "%s", e->name);
	}
	*names_r = b.data;
	search_query_free(&pq);
	return res;
}

static void
put_multi(const char *ds, const char *entry, const char *attr,
    const struct store_str *v, size_t n)
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
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
}

static void
put_acl(const char *ds, const char *entry, const char *attr, const char *acl)
{
	struct store_str v = { acl, strlen(acl) };
	struct store_attr_op a;
	struct store_entry_op op;
	struct store_result res;

	memset(&a, 0, sizeof(a));
	memset(&op, 0, sizeof(op));
	a.name = attr;
	a.acl_op = STORE_OP_SET;
	a.acl = &v;
	a.nacl = 1;
	op.dataset = ds;
	op.entry = entry;
	op.attrs = &a;
	op.nattrs = 1;
	ck_assert_int_eq(store_apply(st, &op, 1, &res), STORE_OK);
}

/* An address book with a little of everything. */
static void
fill_addressbook(void)
{
	struct store_str two[2] = { { "fred@stone.org", 14 },
	    { "ff@bedrock.net", 14 } };

	put("/addressbook/user/fred/", "A0345", "addressbook.Alias", "fred");
	put("/addressbook/user/fred/", "A0345", "addressbook.CommonName",
	    "Fred Flintstone");
	put_multi("/addressbook/user/fred/", "A0345", "addressbook.Email",
	    two, 2);
	put("/addressbook/user/fred/", "A0345", "addressbook.Age", "45");
	put("/addressbook/user/fred/", "B0001", "addressbook.Alias", "Barney");
	put("/addressbook/user/fred/", "B0001", "addressbook.Email",
	    "barney@stone.org");
	put("/addressbook/user/fred/", "B0001", "addressbook.Age", "9");
	put("/addressbook/user/fred/", "C0002", "addressbook.Alias", "wilma");
	put("/addressbook/user/fred/", "C0002", "addressbook.Age", "100");
	put("/addressbook/user/fred/", "D0003", "addressbook.Alias", "dino");
}

/* Names of the matching entries of path, in order, joined by ','. */
static char *
names(const char *path, const struct search_access *acc)
{
	struct search_result *res = NULL;
	const struct inherit_view *v;
	const struct inherit_entry *e;
	struct acap_buf b = ACAP_BUF_INIT;
	size_t i;

	ck_assert_int_eq(search_run(st, path, q, acc, &res), STORE_OK);
	acap_buf_addstr(&b, "");
	for (i = 0; i < search_result_count(res); i++) {
		search_result_row(res, i, &v, &e);
		if (i > 0)
			acap_buf_addch(&b, ',');
		if (search_query_depth(q) != 1) {
			acap_buf_addstr(&b, inherit_view_path(v));
		}
		acap_buf_addstr(&b, e->name[0] != '\0' ? e->name : "\"\"");
	}
	search_result_free(&res);
	ck_assert_ptr_null(res);
	return b.data;
}

/* The ENTRY payloads of a search, one per line. */
static char *
entries(const char *path, const struct search_access *acc)
{
	struct search_result *res = NULL;
	const struct inherit_view *v;
	const struct inherit_entry *e;
	struct acap_buf b = ACAP_BUF_INIT;
	size_t i;

	ck_assert_int_eq(search_run(st, path, q, acc, &res), STORE_OK);
	acap_buf_addstr(&b, "");
	for (i = 0; i < search_result_count(res); i++) {
		search_result_row(res, i, &v, &e);
		search_format_entry(&b, q, acc, v, e);
		acap_buf_addch(&b, '\n');
	}
	search_result_free(&res);
	return b.data;
}

static void
criteria(struct search_key *k)
{
	ck_assert_ptr_nonnull(k);
	search_query_set_criteria(q, k);
}

static struct search_key *
kmatch(enum search_op op, const char *attr, const char *cmp, const char *v)
{
	const char *err = NULL;
	struct search_key *k;

	k = search_key_match(q, op, attr, cmp, v, v != NULL ? strlen(v) : 0,
	    v == NULL, &err);
	ck_assert_msg(k != NULL, "key: %s", err);
	return k;
}

/*
 * An admin's page in name order reads the page's entries only (the
 * budget counts "" and the n read), matches what one search finds after
 * the bound, and counts all of them; anyone else's is the normal search.
 */
/* The rights *arg, whatever the ACL. */
static unsigned int
fixed_rights(void *arg, const char *dataset, const struct store_str *acl,
    size_t n)
{
	(void)dataset;
	(void)acl;
	(void)n;
	return *(const unsigned int *)arg;
}

START_TEST(test_paging)
{
	unsigned int all = SEARCH_R_ALL, read = SEARCH_R_READ | SEARCH_R_SEARCH;
	struct search_access admin = { fixed_rights, &all, true };
	struct search_access user = { fixed_rights, &read, false };
	struct search_result *res;
	size_t limit;
	char name[8], *got;
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "p%02d", i);
		put("/option/site/", name, "option.value", name);
	}
	put("/option/site/", "p05", "entry", NULL);	/* deleted */
	/* 39 entries and "", a budget of 12 */
	res = run_page("p09", 10, 12, NULL, &got);
	ck_assert_int_eq(search_result_overrun(res, &limit),
	    SEARCH_OVER_NONE);
	ck_assert_str_eq(got, "p10,p11,p12,p13,p14,p15,p16,p17,p18,p19");
	ck_assert_uint_eq(search_result_matches(res), 30);
	search_result_free(&res);
	free(got);
	res = run_page(NULL, 10, 12, &admin, &got);
	ck_assert_int_eq(search_result_overrun(res, &limit),
	    SEARCH_OVER_NONE);
	ck_assert_str_eq(got, ",p00,p01,p02,p03,p04,p06,p07,p08,p09,p10");
	ck_assert_uint_eq(search_result_matches(res), 40);
	search_result_free(&res);
	free(got);
	res = run_page("p35", 10, 12, &admin, &got);
	ck_assert_str_eq(got, "p36,p37,p38,p39");
	ck_assert_uint_eq(search_result_matches(res), 4);
	search_result_free(&res);
	free(got);
	/* not an admin: every entry looked at, over the budget */
	res = run_page("p09", 10, 12, &user, &got);
	ck_assert_int_eq(search_result_overrun(res, &limit),
	    SEARCH_OVER_ENTRIES);
	search_result_free(&res);
	free(got);
	/* a page larger than the budget is over it too */
	res = run_page("p09", 20, 12, NULL, &got);
	ck_assert_int_eq(search_result_overrun(res, &limit),
	    SEARCH_OVER_ENTRIES);
	search_result_free(&res);
	free(got);
}
END_TEST

static void
expect_names(const char *path, const char *expect)
{
	char *got = names(path, NULL);

	ck_assert_str_eq(got, expect);
	free(got);
}

static void
check_names(const char *expect)
{
	char *got = names("/addressbook/user/fred/", NULL);

	ck_assert_str_eq(got, expect);
	free(got);
}

/* ---- Keys -------------------------------------------------------------- */

START_TEST(test_all_and_default_order)
{
	fill_addressbook();
	criteria(search_key_all(q));
	/* default order: entry names in octet order; "" is an entry too */
	check_names("\"\",A0345,B0001,C0002,D0003");
	search_query_set_criteria(q, NULL);
	check_names("\"\",A0345,B0001,C0002,D0003");
}
END_TEST

START_TEST(test_equal)
{
	fill_addressbook();
	criteria(kmatch(SEARCH_EQUAL, "addressbook.Alias", "i;octet", "fred"));
	check_names("A0345");
	/* case matters for i;octet, not for i;ascii-casemap */
	criteria(kmatch(SEARCH_EQUAL, "addressbook.Alias", "i;octet", "FRED"));
	check_names("");
	criteria(kmatch(SEARCH_EQUAL, "addressbook.Alias", "i;ascii-casemap",
	    "FRED"));
	check_names("A0345");
	/* any value of a multi-value matches */
	criteria(kmatch(SEARCH_EQUAL, "addressbook.Email", "i;octet",
	    "ff@bedrock.net"));
	check_names("A0345");
	/* EQUAL NIL: the attribute is absent; NOT EQUAL NIL: present */
	criteria(kmatch(SEARCH_EQUAL, "addressbook.Email", "i;octet", NULL));
	check_names("\"\",C0002,D0003");
	criteria(search_key_not(q, kmatch(SEARCH_EQUAL, "addressbook.Email",
	    "i;octet", NULL)));
	check_names("A0345,B0001");
	/* the computed "entry" attribute */
	criteria(kmatch(SEARCH_EQUAL, "entry", "i;octet", "C0002"));
	check_names("C0002");
	/* i;ascii-numeric equality is numeric */
	criteria(kmatch(SEARCH_EQUAL, "addressbook.Age", "i;ascii-numeric",
	    "0045"));
	check_names("A0345");
}
END_TEST

START_TEST(test_prefix_substring)
{
	fill_addressbook();
	criteria(kmatch(SEARCH_PREFIX, "addressbook.Alias", "i;octet", "w"));
	check_names("C0002");
	criteria(kmatch(SEARCH_PREFIX, "addressbook.Alias", "i;ascii-casemap",
	    "b"));
	check_names("B0001");
	criteria(kmatch(SEARCH_SUBSTRING, "addressbook.Email", "i;octet",
	    "stone"));
	check_names("A0345,B0001");
	criteria(kmatch(SEARCH_SUBSTRING, "addressbook.CommonName",
	    "i;ascii-casemap", "FLINT"));
	check_names("A0345");
	criteria(kmatch(SEARCH_SUBSTRING, "addressbook.CommonName", "i;octet",
	    "FLINT"));
	check_names("");
}
END_TEST

START_TEST(test_compare)
{
	fill_addressbook();
	/* ages 45, 9, 100; dino has none */
	criteria(kmatch(SEARCH_COMPARE, "addressbook.Age", "i;ascii-numeric",
	    "45"));
	check_names("A0345,C0002");
	criteria(kmatch(SEARCH_COMPARESTRICT, "addressbook.Age",
	    "+i;ascii-numeric", "45"));
	check_names("C0002");
	/* "-" reverses: COMPARE ... "-cmp" v means "<= v" */
	criteria(kmatch(SEARCH_COMPARE, "addressbook.Age", "-i;ascii-numeric",
	    "45"));
	check_names("A0345,B0001");
	criteria(kmatch(SEARCH_COMPARESTRICT, "addressbook.Age",
	    "-i;ascii-numeric", "45"));
	check_names("B0001");
	/* the same values as octets: "100" < "45" < "9" */
	criteria(kmatch(SEARCH_COMPARE, "addressbook.Age", "i;octet", "45"));
	check_names("A0345,B0001");
	/* multi-values never compare */
	criteria(kmatch(SEARCH_COMPARE, "addressbook.Email", "i;octet", ""));
	check_names("B0001");
}
END_TEST

START_TEST(test_compare_modtime)
{
	char mt[STORE_MODTIME_LEN + 1];

	put("/option/site/", "old", "option.value", "1");
	store_modtime_current(st, mt);
	put("/option/site/", "new", "option.value", "2");
	criteria(kmatch(SEARCH_COMPARESTRICT, "modtime", "+i;octet", mt));
	expect_names("/option/site/", "new");
	search_query_free(&q);
	q = search_query_new();
	criteria(search_key_logic(q, SEARCH_AND,
	    kmatch(SEARCH_COMPARE, "modtime", "-i;octet", mt),
	    search_key_not(q, kmatch(SEARCH_EQUAL, "entry", "i;octet", ""))));
	expect_names("/option/site/", "old");
}
END_TEST

START_TEST(test_logic)
{
	fill_addressbook();
	/* example A046's shape */
	criteria(search_key_logic(q, SEARCH_OR,
	    search_key_not(q, kmatch(SEARCH_EQUAL, "addressbook.Email",
	    "i;octet", NULL)),
	    search_key_not(q, kmatch(SEARCH_EQUAL, "addressbook.Age",
	    "i;octet", NULL))));
	check_names("A0345,B0001,C0002");
	criteria(search_key_logic(q, SEARCH_AND,
	    kmatch(SEARCH_PREFIX, "addressbook.Alias", "i;ascii-casemap", "b"),
	    kmatch(SEARCH_EQUAL, "addressbook.Age", "i;ascii-numeric", "9")));
	check_names("B0001");
	criteria(search_key_not(q, search_key_all(q)));
	check_names("");
}
END_TEST

START_TEST(test_bad_comparators)
{
	const char *err = NULL;

	/* unknown comparator */
	ck_assert_ptr_null(search_key_match(q, SEARCH_EQUAL, "a.b", "i;nope",
	    "x", 1, false, &err));
	ck_assert_ptr_nonnull(err);
	/* i;ascii-numeric has no prefix or substring operation */
	err = NULL;
	ck_assert_ptr_null(search_key_match(q, SEARCH_PREFIX, "a.b",
	    "i;ascii-numeric", "1", 1, false, &err));
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_null(search_key_match(q, SEARCH_SUBSTRING, "a.b",
	    "i;ascii-numeric", "1", 1, false, &err));
	/* NIL only with EQUAL */
	ck_assert_ptr_null(search_key_match(q, SEARCH_COMPARE, "a.b",
	    "i;octet", NULL, 0, true, &err));
	/* SORT needs ordering */
	ck_assert_int_eq(search_query_add_sort(q, "a.b", "x;y", &err), -1);
	ck_assert_int_eq(search_query_add_sort(q, "a.b", "-i;ascii-casemap",
	    &err), 0);
	/* RETURN metadata must be known (§3.1.2) */
	{
		const char *meta[] = { "value", "colour" };

		ck_assert_int_eq(search_query_add_return(q, "a.b", meta, 2,
		    &err), -1);
	}
}
END_TEST

START_TEST(test_modifiers_once)
{
	bool en, no;
	uint32_t a, b;

	ck_assert_int_eq(search_query_depth(q), 1);
	ck_assert(!search_query_hardlimit(q, &a));
	ck_assert(!search_query_limit(q, &a, &b));
	ck_assert_int_eq(search_query_set_depth(q, 0), 0);
	ck_assert_int_eq(search_query_set_depth(q, 2), -1);
	ck_assert_int_eq(search_query_depth(q), 0);
	ck_assert_int_eq(search_query_set_hardlimit(q, 5), 0);
	ck_assert_int_eq(search_query_set_hardlimit(q, 5), -1);
	ck_assert(search_query_hardlimit(q, &a));
	ck_assert_uint_eq(a, 5);
	ck_assert_int_eq(search_query_set_limit(q, 100, 1), 0);
	ck_assert_int_eq(search_query_set_limit(q, 100, 1), -1);
	ck_assert(search_query_limit(q, &a, &b));
	ck_assert_uint_eq(a, 100);
	ck_assert_uint_eq(b, 1);
	ck_assert_int_eq(search_query_set_noinherit(q), 0);
	ck_assert_int_eq(search_query_set_noinherit(q), -1);
	ck_assert(search_query_noinherit(q));
	ck_assert_int_eq(search_query_begin_return(q), 0);
	ck_assert_int_eq(search_query_begin_return(q), -1);
	ck_assert(search_query_has_return(q));
	ck_assert_int_eq(search_query_begin_sort(q), 0);
	ck_assert_int_eq(search_query_begin_sort(q), -1);
	ck_assert_ptr_null(search_query_makecontext(q, &en, &no));
	ck_assert_int_eq(search_query_set_makecontext(q, "blob", true, false),
	    0);
	ck_assert_int_eq(search_query_set_makecontext(q, "blob", true, false),
	    -1);
	ck_assert_str_eq(search_query_makecontext(q, &en, &no), "blob");
	ck_assert(en);
	ck_assert(!no);
}
END_TEST

START_TEST(test_range)
{
	const struct inherit_view *v;
	const struct inherit_entry *e;
	struct search_result *res;

	put("/option/site/", "a", "option.value", "1");
	ck_assert(!search_query_uses_range(q));
	criteria(search_key_range(q, 2, 3, "19970728105308"));
	ck_assert(search_query_uses_range(q));
	ck_assert_int_eq(search_run(st, "/option/site/", q, NULL, &res),
	    STORE_OK);
	/* without positions (a dataset), RANGE matches nothing */
	ck_assert_uint_eq(search_result_count(res), 0);
	search_result_free(&res);
	search_query_set_criteria(q, search_key_all(q));
	ck_assert_int_eq(search_run(st, "/option/site/", q, NULL, &res),
	    STORE_OK);
	search_result_row(res, 1, &v, &e);
	search_query_set_criteria(q, search_key_range(q, 2, 3, "1"));
	ck_assert(!search_match(q, NULL, v, e, 1));
	ck_assert(search_match(q, NULL, v, e, 2));
	ck_assert(search_match(q, NULL, v, e, 3));
	ck_assert(!search_match(q, NULL, v, e, 4));
	ck_assert(!search_match(q, NULL, v, e, 0));
	search_result_free(&res);
}
END_TEST

START_TEST(test_budget)
{
	/* the work budget at N and N + 1: never a truncated result */
	struct store_str dot = { ".", 1 };
	struct search_result *res;
	size_t limit;

	put("/option/site/", "a", "option.value", "1");
	put("/option/site/", "b", "option.value", "2");
	put("/option/site/", "c", "option.value", "3");
	criteria(search_key_all(q));
	/* "", a, b, c: 4 entries, 1 dataset */
	search_query_set_budget(q, 1, 4);
	ck_assert_int_eq(search_run(st, "/option/site/", q, NULL, &res),
	    STORE_OK);
	ck_assert_int_eq(search_result_overrun(res, &limit),
	    SEARCH_OVER_NONE);
	ck_assert_uint_eq(search_result_count(res), 4);
	search_result_free(&res);
	search_query_set_budget(q, 1, 3);
	ck_assert_int_eq(search_run(st, "/option/site/", q, NULL, &res),
	    STORE_OK);
	ck_assert_int_eq(search_result_overrun(res, &limit),
	    SEARCH_OVER_ENTRIES);
	ck_assert_uint_eq(limit, 3);
	search_result_free(&res);
	/* DEPTH follows a subdataset: 2 datasets */
	put_multi("/option/site/", "d", "subdataset", &dot, 1);
	put("/option/site/d/", "x", "option.value", "4");
	ck_assert_int_eq(search_query_set_depth(q, 0), 0);
	search_query_set_budget(q, 2, 0);
	ck_assert_int_eq(search_run(st, "/option/site/", q, NULL, &res),
	    STORE_OK);
	ck_assert_int_eq(search_result_overrun(res, &limit),
	    SEARCH_OVER_NONE);
	search_result_free(&res);
	search_query_set_budget(q, 1, 0);
	ck_assert_int_eq(search_run(st, "/option/site/", q, NULL, &res),
	    STORE_OK);
	ck_assert_int_eq(search_result_overrun(res, &limit),
	    SEARCH_OVER_DATASETS);
	ck_assert_uint_eq(limit, 1);
	search_result_free(&res);
}
END_TEST

static void
result_row_cb(const void *arg, size_t i, const struct inherit_view **v_r,
    const struct inherit_entry **e_r)
{
	search_result_row(arg, i, v_r, e_r);
}

START_TEST(test_refine)
{
	/* SEARCH on a context: filter, positions for RANGE, re-sort */
	struct search_query *q2 = search_query_new();
	struct search_result *ctx, *res;
	const struct inherit_view *v;
	const struct inherit_entry *e;
	const char *err;

	fill_addressbook();
	criteria(search_key_not(q, kmatch(SEARCH_EQUAL, "entry", "i;octet",
	    "")));
	ck_assert_int_eq(search_query_add_sort(q, "addressbook.Alias",
	    "i;ascii-casemap", &err), 0);
	ck_assert_int_eq(search_run(st, "/addressbook/user/fred/", q, NULL,
	    &ctx), STORE_OK);
	/* context order: Barney, dino, fred, wilma */
	search_query_set_criteria(q2, search_key_range(q2, 2, 3, "1"));
	res = search_refine(search_result_count(ctx), result_row_cb, ctx, q2,
	    NULL, true);
	/* the context's views may go: the refined result holds its own */
	search_result_free(&ctx);
	ck_assert_uint_eq(search_result_count(res), 2);
	search_result_row(res, 0, &v, &e);
	ck_assert_str_eq(e->name, "D0003");
	search_result_row(res, 1, &v, &e);
	ck_assert_str_eq(e->name, "A0345");
	search_result_free(&res);
	/* not enumerated: RANGE matches nothing; SORT applies */
	ck_assert_int_eq(search_run(st, "/addressbook/user/fred/", q, NULL,
	    &ctx), STORE_OK);
	res = search_refine(search_result_count(ctx), result_row_cb, ctx, q2,
	    NULL, false);
	ck_assert_uint_eq(search_result_count(res), 0);
	search_result_free(&res);
	search_query_set_criteria(q2, search_key_all(q2));
	ck_assert_int_eq(search_query_add_sort(q2, "entry", "-i;octet", &err),
	    0);
	res = search_refine(search_result_count(ctx), result_row_cb, ctx, q2,
	    NULL, false);
	ck_assert_uint_eq(search_result_count(res), 4);
	search_result_row(res, 0, &v, &e);
	ck_assert_str_eq(e->name, "D0003");
	search_result_free(&res);
	search_result_free(&ctx);
	search_query_free(&q2);
}
END_TEST

START_TEST(test_limits)
{
	size_t n;
	bool toomany;

	/* no modifiers: everything, no TOOMANY */
	ck_assert(search_limits(q, 347, &n, &toomany));
	ck_assert_uint_eq(n, 347);
	ck_assert(!toomany);
	/* LIMIT 100 1 with 347 matches: one ENTRY, OK (TOOMANY 347) */
	ck_assert_int_eq(search_query_set_limit(q, 100, 1), 0);
	ck_assert(search_limits(q, 347, &n, &toomany));
	ck_assert_uint_eq(n, 1);
	ck_assert(toomany);
	/* at the limit (N) nothing happens, above it (N+1) it does */
	ck_assert(search_limits(q, 100, &n, &toomany));
	ck_assert_uint_eq(n, 100);
	ck_assert(!toomany);
	ck_assert(search_limits(q, 101, &n, &toomany));
	ck_assert_uint_eq(n, 1);
	ck_assert(toomany);
	/* HARDLIMIT: N passes, N+1 is WAYTOOMANY */
	ck_assert_int_eq(search_query_set_hardlimit(q, 200), 0);
	ck_assert(search_limits(q, 200, &n, &toomany));
	ck_assert(!search_limits(q, 201, &n, &toomany));
	search_query_free(&q);
	q = search_query_new();
	/* LIMIT with a larger second number sends what there is */
	ck_assert_int_eq(search_query_set_limit(q, 2, 10), 0);
	ck_assert(search_limits(q, 3, &n, &toomany));
	ck_assert_uint_eq(n, 3);
	ck_assert(toomany);
	/* LIMIT 0 0: nothing sent, but the total reported */
	search_query_free(&q);
	q = search_query_new();
	ck_assert_int_eq(search_query_set_limit(q, 0, 0), 0);
	ck_assert(search_limits(q, 1, &n, &toomany));
	ck_assert_uint_eq(n, 0);
	ck_assert(toomany);
}
END_TEST

/* ---- SORT ----------------------------------------------------------- */

START_TEST(test_sort)
{
	const char *err;

	fill_addressbook();
	criteria(search_key_not(q, kmatch(SEARCH_EQUAL, "entry", "i;octet",
	    "")));
	ck_assert_int_eq(search_query_begin_sort(q), 0);
	ck_assert_int_eq(search_query_add_sort(q, "addressbook.Age",
	    "i;ascii-numeric", &err), 0);
	/* 9, 45, 100, then dino (NIL) last */
	check_names("B0001,A0345,C0002,D0003");
}
END_TEST

START_TEST(test_sort_reverse_nil_last)
{
	const char *err;

	fill_addressbook();
	criteria(search_key_not(q, kmatch(SEARCH_EQUAL, "entry", "i;octet",
	    "")));
	ck_assert_int_eq(search_query_add_sort(q, "addressbook.Age",
	    "-i;ascii-numeric", &err), 0);
	/* reversed, but NIL still sorts last */
	check_names("C0002,A0345,B0001,D0003");
	search_query_free(&q);
	q = search_query_new();
	criteria(search_key_not(q, kmatch(SEARCH_EQUAL, "entry", "i;octet",
	    "")));
	/* a multi-value sorts last too, with NIL */
	ck_assert_int_eq(search_query_add_sort(q, "addressbook.Email",
	    "-i;octet", &err), 0);
	check_names("B0001,A0345,C0002,D0003");
}
END_TEST

START_TEST(test_sort_multikey_stable)
{
	const char *err;
	char name[8];
	int i;

	/* 12 entries, 3 groups: ties keep the name order (stable) */
	for (i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "e%02d", i);
		put("/option/site/", name, "option.group",
		    i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c");
		if (i % 2 == 0)
			put("/option/site/", name, "option.flag", "x");
	}
	criteria(kmatch(SEARCH_PREFIX, "entry", "i;octet", "e"));
	ck_assert_int_eq(search_query_add_sort(q, "option.group", "-i;octet",
	    &err), 0);
	expect_names("/option/site/",
	    "e02,e05,e08,e11,e01,e04,e07,e10,e00,e03,e06,e09");
	ck_assert_int_eq(search_query_add_sort(q, "option.flag", "i;octet",
	    &err), 0);
	expect_names("/option/site/",
	    "e02,e08,e05,e11,e04,e10,e01,e07,e00,e06,e03,e09");
}
END_TEST

/* ---- RETURN ------------------------------------------------------- */

START_TEST(test_return_values)
{
	const char *err;
	const char *const sv[] = { "size", "value", "myrights" };
	char *out;

	fill_addressbook();
	criteria(kmatch(SEARCH_EQUAL, "entry", "i;octet", "A0345"));
	ck_assert_int_eq(search_query_begin_return(q), 0);
	ck_assert_int_eq(search_query_add_return(q, "addressbook.Alias", NULL,
	    0, &err), 0);
	ck_assert_int_eq(search_query_add_return(q, "addressbook.Email", NULL,
	    0, &err), 0);
	ck_assert_int_eq(search_query_add_return(q, "addressbook.List", NULL,
	    0, &err), 0);
	ck_assert_int_eq(search_query_add_return(q, "addressbook.Alias", sv,
	    3, &err), 0);
	ck_assert_int_eq(search_query_add_return(q, "addressbook.Email", sv,
	    3, &err), 0);
	out = entries("/addressbook/user/fred/", NULL);
	ck_assert_str_eq(out, "\"A0345\" \"fred\" "
	    "(\"fred@stone.org\" \"ff@bedrock.net\") NIL "
	    "(4 \"fred\" \"xrwia\") ((14 14) (\"fred@stone.org\" "
	    "\"ff@bedrock.net\") \"xrwia\")\n");
	free(out);
}
END_TEST

/* A compacted query holds less and means the same. */
START_TEST(test_compact)
{
	const char *err;
	const char *const sv[] = { "size", "value" };
	char *before, *after, big[3000];
	size_t held;
	bool en, no;

	fill_addressbook();
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(search_query_set_makecontext(q, "ctx", false, true),
	    0);
	ck_assert_int_eq(search_query_begin_return(q), 0);
	ck_assert_int_eq(search_query_add_return(q, "addressbook.Alias", sv, 2,
	    &err), 0);
	ck_assert_int_eq(search_query_add_return(q, "addressbook.E*", NULL, 0,
	    &err), 0);
	ck_assert_int_eq(search_query_begin_sort(q), 0);
	ck_assert_int_eq(search_query_add_sort(q, "addressbook.Age",
	    "-i;ascii-numeric", &err), 0);
	/* a value over one arena block: the query spans several */
	criteria(search_key_logic(q, SEARCH_OR,
	    search_key_not(q, kmatch(SEARCH_SUBSTRING, "addressbook.Alias",
	    "i;octet", big)),
	    search_key_logic(q, SEARCH_AND,
	    kmatch(SEARCH_PREFIX, "addressbook.Alias", "i;ascii-casemap", "B"),
	    kmatch(SEARCH_EQUAL, "addressbook.Age", "i;ascii-numeric", "9"))));
	before = entries("/addressbook/user/fred/", NULL);
	held = search_query_memory(q);
	search_query_compact(q);
	ck_assert_uint_lt(search_query_memory(q), held);
	ck_assert_uint_lt(search_query_memory(q), sizeof(big) + 2048);
	after = entries("/addressbook/user/fred/", NULL);
	ck_assert_str_eq(after, before);
	free(after);
	ck_assert_str_eq(search_query_makecontext(q, &en, &no), "ctx");
	ck_assert(!en && no);
	/* idempotent */
	held = search_query_memory(q);
	search_query_compact(q);
	ck_assert_uint_eq(search_query_memory(q), held);
	after = entries("/addressbook/user/fred/", NULL);
	ck_assert_str_eq(after, before);
	free(after);
	free(before);
}
END_TEST

START_TEST(test_return_meta_kinds)
{
	const char *err;
	const char *const m[] = { "attribute", "count", "acl", "size" };
	char *out;

	put("/option/site/", "e", "option.value", "v");
	put_acl("/option/site/", "e", "option.value", "fred\tr");
	criteria(kmatch(SEARCH_EQUAL, "entry", "i;octet", "e"));
	ck_assert_int_eq(search_query_add_return(q, "option.value", m, 4,
	    &err), 0);
	ck_assert_int_eq(search_query_add_return(q, "option.none", m, 4,
	    &err), 0);
	out = entries("/option/site/", NULL);
	ck_assert_str_eq(out, "\"e\" (\"option.value\" 1 (\"fred\tr\") 1) "
	    "(\"option.none\" 0 NIL NIL)\n");
	free(out);
}
END_TEST

START_TEST(test_return_patterns)
{
	const char *err;
	const char *const v[] = { "value" };
	char *out, mt[STORE_MODTIME_LEN + 1], expect[512];

	put("/addressbook/user/fred/", "A0345", "addressbook.Alias", "fred");
	put("/addressbook/user/fred/", "A0345", "addressbook.Email",
	    "fred@stone.org");
	put("/addressbook/user/fred/", "A0345", "user.fred.note", "x");
	store_modtime_current(st, mt);
	criteria(kmatch(SEARCH_EQUAL, "entry", "i;octet", "A0345"));
	/* "*" (example A047): ("attribute" "value") per attribute */
	ck_assert_int_eq(search_query_add_return(q, "*", NULL, 0, &err), 0);
	out = entries("/addressbook/user/fred/", NULL);
	snprintf(expect, sizeof(expect), "\"A0345\" ((\"entry\" \"A0345\") "
	    "(\"modtime\" \"%s\") (\"addressbook.Alias\" \"fred\") "
	    "(\"addressbook.Email\" \"fred@stone.org\") "
	    "(\"user.fred.note\" \"x\"))\n", mt);
	ck_assert_str_eq(out, expect);
	free(out);
	/* a prefix pattern with one metadata item: bare values, grouped */
	search_query_free(&q);
	q = search_query_new();
	criteria(kmatch(SEARCH_EQUAL, "entry", "i;octet", "A0345"));
	ck_assert_int_eq(search_query_add_return(q, "addressbook.*", v, 1,
	    &err), 0);
	ck_assert_int_eq(search_query_add_return(q, "nothing.*", NULL, 0,
	    &err), 0);
	out = entries("/addressbook/user/fred/", NULL);
	ck_assert_str_eq(out,
	    "\"A0345\" (\"fred\" \"fred@stone.org\") ()\n");
	free(out);
}
END_TEST

START_TEST(test_return_empty_and_depth_paths)
{
	struct store_str dot = { ".", 1 };
	const char *err;
	char *out;

	put("/email/site/", "corp", "email.x", "1");
	put_multi("/email/site/", "corp", "subdataset", &dot, 1);
	put("/email/site/corp/", "in", "email.y", "2");
	criteria(kmatch(SEARCH_PREFIX, "email.", "i;octet", ""));
	criteria(search_key_not(q, kmatch(SEARCH_EQUAL, "entry", "i;octet",
	    "")));
	/* RETURN (): ENTRY with the name only (ACAP-NOTES §12) */
	ck_assert_int_eq(search_query_begin_return(q), 0);
	out = entries("/email/site/", NULL);
	ck_assert_str_eq(out, "\"corp\"\n");
	free(out);
	/* DEPTH 2: full entry paths, parents before children */
	ck_assert_int_eq(search_query_set_depth(q, 2), 0);
	ck_assert_int_eq(search_query_add_return(q, "email.y", NULL, 0, &err),
	    0);
	out = entries("/email/site/", NULL);
	ck_assert_str_eq(out, "\"/email/site/corp\" NIL\n"
	    "\"/email/site/corp/in\" \"2\"\n");
	free(out);
}
END_TEST

/* ---- DEPTH, referrals, NOINHERIT, directories --------------------- */

START_TEST(test_depth)
{
	struct store_str dot = { ".", 1 };
	struct store_str far = { "//acap2.example//email/site/far/", 32 };
	struct search_result *res;
	const struct store_str *urls;
	const char *ds;
	size_t n;
	char *got;

	put_multi("/email/site/", "a", "subdataset", &dot, 1);
	put_multi("/email/site/a/", "b", "subdataset", &dot, 1);
	put("/email/site/a/b/", "leaf", "email.x", "1");
	put_multi("/email/site/", "far", "subdataset", &far, 1);
	criteria(search_key_not(q, kmatch(SEARCH_EQUAL, "entry", "i;octet",
	    "")));
	got = names("/email/site/", NULL);
	ck_assert_str_eq(got, "a,far");
	free(got);
	ck_assert_int_eq(search_query_set_depth(q, 2), 0);
	got = names("/email/site/", NULL);
	ck_assert_str_eq(got, "/email/site/a,/email/site/far,/email/site/a/b");
	free(got);
	search_query_free(&q);
	q = search_query_new();
	criteria(search_key_not(q, kmatch(SEARCH_EQUAL, "entry", "i;octet",
	    "")));
	ck_assert_int_eq(search_query_set_depth(q, 0), 0);
	got = names("/email/site/", NULL);
	ck_assert_str_eq(got, "/email/site/a,/email/site/far,/email/site/a/b,"
	    "/email/site/a/b/leaf");
	free(got);
	/* the remote subtree is a referral */
	ck_assert_int_eq(search_run(st, "/email/site/", q, NULL, &res),
	    STORE_OK);
	ck_assert_uint_eq(search_result_refer_count(res), 1);
	search_result_refer(res, 0, &ds, &urls, &n);
	ck_assert_str_eq(ds, "/email/site/far/");
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(urls[0].s, "//acap2.example//email/site/far/");
	search_result_free(&res);
	/* a missing dataset */
	ck_assert_int_eq(search_run(st, "/email/site/nope/", q, NULL, &res),
	    STORE_ENOEXIST);
	ck_assert_ptr_null(res);
}
END_TEST

START_TEST(test_noinherit_and_virtual)
{
	struct store_str dot = { ".", 1 };
	char *got;

	put("/email/site/", "corp", "email.server.IMAP", "imap://site/");
	put_multi("/email/site/", "corp", "subdataset", &dot, 1);
	put("/email/site/corp/", "inner", "email.x", "1");
	put("/email/user/joe/", "own", "email.x", "1");
	criteria(search_key_not(q, kmatch(SEARCH_EQUAL, "entry", "i;octet",
	    "")));
	got = names("/email/user/joe/", NULL);
	ck_assert_str_eq(got, "corp,own");
	free(got);
	got = names("/email/user/joe/corp/", NULL);
	ck_assert_str_eq(got, "inner");
	free(got);
	ck_assert_int_eq(search_query_set_noinherit(q), 0);
	got = names("/email/user/joe/", NULL);
	ck_assert_str_eq(got, "own");
	free(got);
	{
		struct search_result *res;

		ck_assert_int_eq(search_run(st, "/email/user/joe/corp/", q,
		    NULL, &res), STORE_ENOEXIST);
	}
}
END_TEST

START_TEST(test_directory_datasets)
{
	char *got;

	put("/email/user/ann/", "a", "email.x", "1");
	put("/email/user/bob/", "a", "email.x", "1");
	put("/option/site/", "a", "option.x", "1");
	got = names("/", NULL);
	ck_assert_str_eq(got, "email,option");
	free(got);
	got = names("/email/user/", NULL);
	ck_assert_str_eq(got, "ann,bob");
	free(got);
	got = names("/byowner/user/ann/", NULL);
	ck_assert_str_eq(got, "email");
	free(got);
	/* DEPTH through a directory */
	ck_assert_int_eq(search_query_set_depth(q, 3), 0);
	criteria(kmatch(SEARCH_EQUAL, "entry", "i;octet", "a"));
	got = names("/email/", NULL);
	ck_assert_str_eq(got, "/email/user/ann/a,/email/user/bob/a");
	free(got);
	search_query_free(&q);
	q = search_query_new();
	ck_assert_int_eq(search_query_set_depth(q, 2), 0);
	criteria(kmatch(SEARCH_EQUAL, "entry", "i;octet", "a"));
	got = names("/byowner/user/ann/", NULL);
	ck_assert_str_eq(got, "/email/user/ann/a");
	free(got);
}
END_TEST

/* ---- The access hook ------------------------------------------------- */

/* A toy policy: "fred" gets what an ACL item "fred\t<rights>" says. */
static unsigned int
toy_rights(void *arg, const char *dataset, const struct store_str *acl,
    size_t n)
{
	const char *who = arg;
	unsigned int r = 0;
	size_t i, wl = strlen(who);
	const char *p;

	(void)dataset;
	for (i = 0; i < n; i++) {
		if (acl[i].len <= wl || strncmp(acl[i].s, who, wl) != 0 ||
		    acl[i].s[wl] != '\t')
			continue;
		for (p = acl[i].s + wl + 1; *p != '\0'; p++)
			r |= *p == 'x' ? SEARCH_R_SEARCH : *p == 'r' ?
			    SEARCH_R_READ : *p == 'w' ? SEARCH_R_WRITE :
			    *p == 'i' ? SEARCH_R_INSERT : *p == 'a' ?
			    SEARCH_R_ADMIN : 0;
	}
	return r;
}

START_TEST(test_access_hook)
{
	struct search_access acc = { toy_rights, (void *)"fred", false };
	const char *err;
	const char *const mr[] = { "value", "myrights" };
	char *got;

	put("/option/user/joe/", "pub", "option.value", "p");
	put("/option/user/joe/", "pub", "option.secret", "s");
	put("/option/user/joe/", "hid", "option.value", "h");
	/* fred may read "pub" but only search option.secret */
	put_acl("/option/user/joe/", "pub", "entry", "fred\tr");
	put_acl("/option/user/joe/", "pub", "option.value", "fred\tr");
	put_acl("/option/user/joe/", "pub", "option.secret", "fred\tx");
	got = names("/option/user/joe/", &acc);
	ck_assert_str_eq(got, "pub");
	free(got);
	got = names("/option/user/joe/", NULL);
	ck_assert_str_eq(got, "\"\",hid,pub");
	free(got);
	/* x: EQUAL with i;octet works, other keys see NIL */
	criteria(kmatch(SEARCH_EQUAL, "option.secret", "i;octet", "s"));
	got = names("/option/user/joe/", &acc);
	ck_assert_str_eq(got, "pub");
	free(got);
	criteria(kmatch(SEARCH_PREFIX, "option.secret", "i;octet", "s"));
	got = names("/option/user/joe/", &acc);
	ck_assert_str_eq(got, "");
	free(got);
	criteria(kmatch(SEARCH_EQUAL, "option.secret", "i;ascii-casemap",
	    "s"));
	got = names("/option/user/joe/", &acc);
	ck_assert_str_eq(got, "");
	free(got);
	/* RETURN: unreadable values are NIL; patterns skip them */
	criteria(search_key_all(q));
	ck_assert_int_eq(search_query_add_return(q, "option.secret", mr, 2,
	    &err), 0);
	ck_assert_int_eq(search_query_add_return(q, "option.*", NULL, 0,
	    &err), 0);
	got = entries("/option/user/joe/", &acc);
	ck_assert_str_eq(got, "\"pub\" (NIL \"x\") "
	    "((\"option.value\" \"p\"))\n");
	free(got);
}
END_TEST

static Suite *
search_suite(void)
{
	Suite *s = suite_create("search");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_all_and_default_order);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_prefix_substring);
	tcase_add_test(tc, test_compare);
	tcase_add_test(tc, test_compare_modtime);
	tcase_add_test(tc, test_logic);
	tcase_add_test(tc, test_bad_comparators);
	tcase_add_test(tc, test_modifiers_once);
	tcase_add_test(tc, test_range);
	tcase_add_test(tc, test_refine);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_sort);
	tcase_add_test(tc, test_sort_reverse_nil_last);
	tcase_add_test(tc, test_sort_multikey_stable);
	tcase_add_test(tc, test_return_values);
	tcase_add_test(tc, test_compact);
	tcase_add_test(tc, test_return_meta_kinds);
	tcase_add_test(tc, test_return_patterns);
	tcase_add_test(tc, test_return_empty_and_depth_paths);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_budget);
	tcase_add_test(tc, test_paging);
	tcase_add_test(tc, test_noinherit_and_virtual);
	tcase_add_test(tc, test_directory_datasets);
	tcase_add_test(tc, test_access_hook);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(search_suite());
	int failed;

	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
