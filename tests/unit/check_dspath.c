/*
 * check_dspath.c -- unit suite for acapd/dspath.c: entry and attribute
 * names (RFC 2244 §3.1), dataset canonicalisation ("~", "/byowner/",
 * trailing "/"; §4.1, §4.3, ACAP-NOTES §7-§8, §20.19), entry paths, owners.
 */
#include "autoconf.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dspath.h"

struct ncase {
	const char *s;
	size_t len;
	bool ok;
};

#define N(x, ok)	{ x, sizeof(x) - 1, ok }

static const struct ncase entry_names[] = {
	N("", true),			/* the management entry */
	N("A0345", true),
	N("fred flintstone", true),
	N("a.b", true),
	N("a.", true),
	N("caf\xc3\xa9", true),
	N("~", true),
	N(".hidden", false),		/* must not begin with "." */
	N(".", false),
	N("..", false),
	N("a/b", false),
	N("/", false),
	N("a\0b", false),
	N("\xff", false),
	N("\xc0\xaf", false),		/* overlong "/" */
	N("\xed\xa0\x80", false),	/* surrogate */
};

START_TEST(test_entry_name)
{
	const struct ncase *c = &entry_names[_i];

	ck_assert_msg(dspath_entry_name_valid(c->s, c->len) == c->ok,
	    "case %d", _i);
}
END_TEST

static const struct ncase attr_names[] = {
	N("entry", true),
	N("modtime", true),
	N("addressbook.Email", true),
	N("dataset.acl.addressbook.Email", true),
	N("vendor.example.x", true),
	N("user.joe.hair-length", true),
	N("option.value", true),
	N("caf\xc3\xa9.x", true),
	N("a b.c", true),
	N("", false),
	N("a*", false),
	N("addressbook.*", false),	/* a RETURN pattern, not a name */
	N("*", false),
	N("a%b", false),
	N(".a", false),
	N("a.", false),
	N("a..b", false),
	N(".", false),
	N("a\0b", false),
	N("\xc3\x28", false),
	N("a.\xff", false),
};

START_TEST(test_attr_name)
{
	const struct ncase *c = &attr_names[_i];

	ck_assert_msg(dspath_attr_name_valid(c->s, c->len) == c->ok,
	    "case %d", _i);
}
END_TEST

START_TEST(test_name_null)
{
	ck_assert(!dspath_entry_name_valid(NULL, 0));
	ck_assert(!dspath_attr_name_valid(NULL, 0));
	ck_assert_ptr_null(dspath_canonical(NULL, 0, "fred"));
}
END_TEST

struct ccase {
	const char *in;
	const char *user;
	const char *want;	/* NULL: invalid */
};

static const struct ccase canon[] = {
	{ "/", NULL, "/" },
	/* dataset-class = name-component / vendor-token (§4.3, RFC 6075) */
	{ "/vendor.acapd.user/site/", NULL, "/vendor.acapd.user/site/" },
	{ "/vendor.acapd..user/site/", NULL, NULL },
	{ "/vendor.acapd./site/", NULL, NULL },
	{ "/vendor.acapd/site/", NULL, "/vendor.acapd/site/" },
	{ "/addr*book/", NULL, NULL },
	{ "/a%b/", NULL, NULL },
	{ "/addr.book/", NULL, NULL },
	{ "/vendor./", NULL, NULL },
	{ "/vendor.a*b/", NULL, NULL },
	{ "/byowner/site/addr.book/", NULL, NULL },
	{ "/addressbook", NULL, "/addressbook/" },
	{ "/addressbook/", NULL, "/addressbook/" },
	{ "/addressbook/~/", "fred", "/addressbook/user/fred/" },
	{ "/addressbook/~", "fred", "/addressbook/user/fred/" },
	{ "/addressbook/~/public", "fred", "/addressbook/user/fred/public/" },
	{ "/addressbook/~/", NULL, "/addressbook/~/" },
	{ "/folder/site", NULL, "/folder/site/" },
	{ "/folder/site/comp.mail.misc", NULL, "/folder/site/comp.mail.misc/" },
	{ "/options/group/dinosaur operators/common", NULL,
	  "/options/group/dinosaur operators/common/" },
	{ "/email/host/dev-1.example.com/", NULL,
	  "/email/host/dev-1.example.com/" },
	{ "/email/user/", NULL, "/email/user/" },	/* directory (§4.1) */
	{ "/email/group/", NULL, "/email/group/" },
	{ "/email/user/fred", "joe", "/email/user/fred/" },
	{ "/email/user/fred/~/", "fred", "/email/user/fred/~/" },
	{ "/vendor.acapd.device/user/fred/", NULL,
	  "/vendor.acapd.device/user/fred/" },
	{ "/email/user/fr\xc3\xa9" "d/", NULL, "/email/user/fr\xc3\xa9" "d/" },
	/* the /byowner/ view names the same datasets */
	{ "/byowner/~/email/", "fred", "/email/user/fred/" },
	{ "/byowner/~/email", "fred", "/email/user/fred/" },
	{ "/byowner/~/email/x/y", "fred", "/email/user/fred/x/y/" },
	{ "/byowner/user/joe/new/", NULL, "/new/user/joe/" },
	{ "/byowner/site/email", NULL, "/email/site/" },
	{ "/byowner/group/ops/email/a/", NULL, "/email/group/ops/a/" },
	{ "/byowner/host/h1/option/", NULL, "/option/host/h1/" },
	{ "/byowner/~/email/", NULL, "/email/~/" },
	/* ... and its listings stay byowner */
	{ "/byowner/user/fred/", NULL, "/byowner/user/fred/" },
	{ "/byowner/~/", "fred", "/byowner/user/fred/" },
	{ "/byowner/~", "fred", "/byowner/user/fred/" },
	{ "/byowner/site/", NULL, "/byowner/site/" },
	{ "/byowner/", NULL, "/byowner/" },
	{ "/byowner/user/", NULL, "/byowner/user/" },
	/* invalid */
	{ "", NULL, NULL },
	{ "email/site/", NULL, NULL },
	{ "//", NULL, NULL },
	{ "/email//site/", NULL, NULL },
	{ "/email/site//", NULL, NULL },
	{ "/.email/", NULL, NULL },
	{ "/email/.site/", NULL, NULL },
	{ "/email/site/.x/", NULL, NULL },
	{ "/email/site/a/../", NULL, NULL },
	{ "/email/fred/", NULL, NULL },		/* not an owner (§4.1) */
	{ "/email/users/fred/", NULL, NULL },
	{ "/email/Site/", NULL, NULL },
	{ "/byowner/fred/email/", NULL, NULL },
	{ "/byowner/~/byowner/x", "fred", NULL },	/* reserved, §4.1 */
	{ "/byowner/site/byowner/", NULL, NULL },
	{ "/email/\xff/", NULL, NULL },
	{ "/email/site/\xc3/", NULL, NULL },
	{ "/email/~/", "a/b", NULL },		/* unusable user names */
	{ "/email/~/", ".x", NULL },
	{ "/email/~/", "", NULL },
	{ "/byowner/~/email/", "a/b", NULL },
};

START_TEST(test_canonical)
{
	const struct ccase *c = &canon[_i];
	char *r = dspath_canonical(c->in, strlen(c->in), c->user);
	char *r2;

	if (c->want == NULL) {
		ck_assert_msg(r == NULL, "case %d: got %s", _i, r);
		return;
	}
	ck_assert_msg(r != NULL, "case %d: NULL", _i);
	ck_assert_str_eq(r, c->want);
	/* canonical names are fixed points */
	r2 = dspath_canonical(r, strlen(r), c->user);
	ck_assert_ptr_nonnull(r2);
	ck_assert_str_eq(r2, r);
	free(r2);
	free(r);
}
END_TEST

START_TEST(test_canonical_len)
{
	char *r;

	/* len is honoured: NUL inside, or a longer buffer */
	ck_assert_ptr_null(dspath_canonical("/email/site/a\0b/", 16, NULL));
	r = dspath_canonical("/email/site/xyz", 12, NULL);
	ck_assert_str_eq(r, "/email/site/");
	free(r);
	ck_assert_ptr_null(dspath_canonical("/email/site/", 0, NULL));
}
END_TEST

START_TEST(test_depth)
{
	char path[400], *r;
	int i;

	/* "/c/site/" + 30 more components = 32 */
	strcpy(path, "/c/site");
	for (i = 0; i < 30; i++)
		strcat(path, "/d");
	r = dspath_canonical(path, strlen(path), NULL);
	ck_assert_ptr_nonnull(r);
	free(r);
	/* the same dataset through /byowner/ has one more component */
	strcpy(path, "/byowner/site/c");
	for (i = 0; i < 30; i++)
		strcat(path, "/d");
	r = dspath_canonical(path, strlen(path), NULL);
	ck_assert_ptr_nonnull(r);
	free(r);
	strcpy(path, "/c/site");
	for (i = 0; i < 31; i++)
		strcat(path, "/d");
	ck_assert_ptr_null(dspath_canonical(path, strlen(path), NULL));
	/* "~" grows by one component when expanded */
	strcpy(path, "/c/~");
	for (i = 0; i < 30; i++)
		strcat(path, "/d");
	ck_assert_ptr_null(dspath_canonical(path, strlen(path), "fred"));
	r = dspath_canonical(path, strlen(path), NULL);
	ck_assert_ptr_nonnull(r);
	free(r);
}
END_TEST

START_TEST(test_split_entry)
{
	const char *path, *entry;
	char *ds;

	path = "/addressbook/user/fred/A0345";
	ck_assert_int_eq(dspath_split_entry(path, NULL, &ds, &entry), 0);
	ck_assert_str_eq(ds, "/addressbook/user/fred/");
	ck_assert_ptr_eq(entry, path + 23);	/* a pointer into path */
	ck_assert_str_eq(entry, "A0345");
	free(ds);

	ck_assert_int_eq(dspath_split_entry("/option/~/common/SMTPserver",
	    "fred", &ds, &entry), 0);
	ck_assert_str_eq(ds, "/option/user/fred/common/");
	ck_assert_str_eq(entry, "SMTPserver");
	free(ds);

	ck_assert_int_eq(dspath_split_entry("/byowner/~/email/corp", "fred",
	    &ds, &entry), 0);
	ck_assert_str_eq(ds, "/email/user/fred/");
	ck_assert_str_eq(entry, "corp");
	free(ds);

	/* RFC 2244 §6.6.1 A344 */
	ck_assert_int_eq(dspath_split_entry(
	    "/addressbook/group/Developers/ACD54", NULL, &ds, &entry), 0);
	ck_assert_str_eq(ds, "/addressbook/group/Developers/");
	ck_assert_str_eq(entry, "ACD54");
	free(ds);

	/* a trailing "/" names the dataset's "" entry */
	ck_assert_int_eq(dspath_split_entry("/email/user/fred/", NULL, &ds,
	    &entry), 0);
	ck_assert_str_eq(ds, "/email/user/fred/");
	ck_assert_str_eq(entry, "");
	free(ds);

	/* an entry of a directory dataset */
	ck_assert_int_eq(dspath_split_entry("/email/user/fred", NULL, &ds,
	    &entry), 0);
	ck_assert_str_eq(ds, "/email/user/");
	ck_assert_str_eq(entry, "fred");
	free(ds);

	ck_assert_int_eq(dspath_split_entry("/email/user/fred/.x", NULL, &ds,
	    &entry), -1);
	ck_assert_ptr_null(ds);
	ck_assert_ptr_null(entry);
	ck_assert_int_eq(dspath_split_entry("email/x", NULL, &ds, &entry), -1);
	ck_assert_int_eq(dspath_split_entry("/email//x", NULL, &ds, &entry),
	    -1);
	ck_assert_int_eq(dspath_split_entry("/email/fred/x", NULL, &ds,
	    &entry), -1);
	ck_assert_int_eq(dspath_split_entry("/email/site/\xff", NULL, &ds,
	    &entry), -1);
	ck_assert_int_eq(dspath_split_entry("", NULL, &ds, &entry), -1);
	ck_assert_int_eq(dspath_split_entry(NULL, NULL, &ds, &entry), -1);
	ck_assert_ptr_null(ds);
}
END_TEST

struct pcase {
	const char *in;
	int rc;
	const char *class;
	const char *owner;
	const char *user;
};

static const struct pcase parses[] = {
	{ "/email/user/fred/", 0, "email", "user/fred", "fred" },
	{ "/email/user/fred/x/y/", 0, "email", "user/fred", "fred" },
	{ "/email/site/", 0, "email", "site", NULL },
	{ "/email/site/sub/", 0, "email", "site", NULL },
	{ "/email/group/dinosaur operators/", 0, "email",
	  "group/dinosaur operators", NULL },
	{ "/email/host/dev1/sub/", 0, "email", "host/dev1", NULL },
	{ "/vendor.acapd.device/user/fred/", 0, "vendor.acapd.device",
	  "user/fred", "fred" },
	{ "/email/~/", 0, "email", "~", NULL },
	{ "/", -1, NULL, NULL, NULL },
	{ "/email/", -1, NULL, NULL, NULL },
	{ "/email/user/", -1, NULL, NULL, NULL },
	{ "/email/group/", -1, NULL, NULL, NULL },
	{ "/byowner/user/fred/", -1, NULL, NULL, NULL },
	{ "/email/fred/", -1, NULL, NULL, NULL },
	{ "email/site/", -1, NULL, NULL, NULL },
};

static void
assert_pstr(const char *got, const char *want)
{
	if (want == NULL)
		ck_assert_ptr_null(got);
	else
		ck_assert_pstr_eq(got, want);
}

START_TEST(test_parse)
{
	const struct pcase *c = &parses[_i];
	char *class = (char *)"x", *owner = (char *)"x", *user = (char *)"x";

	ck_assert_int_eq(dspath_parse(c->in, &class, &owner, &user), c->rc);
	assert_pstr(class, c->class);
	assert_pstr(owner, c->owner);
	assert_pstr(user, c->user);
	free(class);
	free(owner);
	free(user);
	/* every output is optional */
	ck_assert_int_eq(dspath_parse(c->in, NULL, NULL, NULL), c->rc);
	ck_assert_int_eq(dspath_parse(c->in, NULL, &owner, NULL), c->rc);
	assert_pstr(owner, c->owner);
	free(owner);
}
END_TEST

static const struct {
	const char *dataset, *target;
	bool ok;
} inherits[] = {
	{ "/email/user/alice/", "/email/group/acme/", true },
	{ "/email/host/d1/", "/email/user/alice/", true },
	{ "/email/user/alice/d/", "/email/user/alice/", false },	/* parent */
	{ "/email/user/alice/d/e/", "/email/user/alice/", false },
	{ "/email/user/alice/d/", "/email/", false },
	{ "/email/user/alice/", "/email/user/alice/", false },	/* itself */
	{ "/email/user/alice/", "/email/user/alice/d/", false },	/* child */
	{ "/email/user/alice/", "/email/user/alice/d/e/", false },
	{ "/email/user/alice/", "/email/user/alicex/", true },	/* sibling */
	{ "/email/user/alicex/", "/email/user/alice/", true },
	{ "/email/user/alice/d/", "/email/user/alice/e/", true },
	{ "/email/user/alice/d/", "/email/user/alice/dd/", true },
	{ "/a/site/", "/b/site/", true },
	{ "/a/site/", "/", false },
};

START_TEST(test_inherit_allowed)
{
	ck_assert_msg(dspath_inherit_allowed(inherits[_i].dataset,
	    inherits[_i].target) == inherits[_i].ok, "%s -> %s",
	    inherits[_i].dataset, inherits[_i].target);
}
END_TEST

static Suite *
dspath_suite(void)
{
	Suite *s = suite_create("dspath");
	TCase *tc = tcase_create("dspath");

	tcase_add_loop_test(tc, test_entry_name, 0,
	    sizeof(entry_names) / sizeof(entry_names[0]));
	tcase_add_loop_test(tc, test_attr_name, 0,
	    sizeof(attr_names) / sizeof(attr_names[0]));
	tcase_add_test(tc, test_name_null);
	tcase_add_loop_test(tc, test_canonical, 0,
	    sizeof(canon) / sizeof(canon[0]));
	tcase_add_test(tc, test_canonical_len);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_split_entry);
	tcase_add_loop_test(tc, test_parse, 0,
	    sizeof(parses) / sizeof(parses[0]));
	tcase_add_loop_test(tc, test_inherit_allowed, 0,
	    sizeof(inherits) / sizeof(inherits[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dspath_suite());
	int failed;

	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
