/*
 * check_acl.c -- rights math (RFC 2244 §3.5): each right alone, negative
 * rights, groups, anyone, anonymous, admins, implicit owner rights.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

static unsigned int
rights_of(const struct acl_identity *who, const char *const *items)
{
	size_t lens[16], n;

	for (n = 0; items[n] != NULL; n++)
		lens[n] = strlen(items[n]);
	return acl_rights(who, items, lens, n);
}

START_TEST(test_parse_rights)
{
	unsigned int r;
	char buf[16];

	ck_assert_int_eq(acl_rights_parse("xrwia", 5, &r), 0);
	ck_assert_uint_eq(r, ACL_R_ALL);
	ck_assert_str_eq(acl_rights_format(r, buf, sizeof(buf)), "xrwia");
	ck_assert_int_eq(acl_rights_parse("air", 3, &r), 0);
	ck_assert_str_eq(acl_rights_format(r, buf, sizeof(buf)), "ria");
	ck_assert_int_eq(acl_rights_parse("", 0, &r), 0);
	ck_assert_uint_eq(r, 0);
	ck_assert_int_eq(acl_rights_parse("r9", 2, &r), 0);
	ck_assert_str_eq(acl_rights_format(r, buf, sizeof(buf)), "r9");
	ck_assert_int_eq(acl_rights_parse("rq", 2, &r), -1);
	ck_assert_int_eq(acl_rights_parse("R", 1, &r), -1);
	ck_assert_int_eq(acl_rights_parse("r\t", 2, &r), -1);
}
END_TEST

START_TEST(test_item_parse)
{
	const char *id;
	size_t idlen;
	bool neg;
	unsigned int r;

	ck_assert_int_eq(acl_item_parse("joe\txrwia", 9, &id, &idlen, &neg,
	    &r), 0);
	ck_assert_uint_eq(idlen, 3);
	ck_assert(memcmp(id, "joe", 3) == 0);
	ck_assert(!neg);
	ck_assert_uint_eq(r, ACL_R_ALL);
	ck_assert_int_eq(acl_item_parse("-anyone\tw", 9, &id, &idlen, &neg,
	    &r), 0);
	ck_assert(neg);
	ck_assert_uint_eq(idlen, 6);
	ck_assert_uint_eq(r, ACL_R_WRITE);
	/* an empty rights string is allowed (SETACL "") */
	ck_assert_int_eq(acl_item_parse("joe\t", 4, &id, &idlen, &neg, &r), 0);
	ck_assert_uint_eq(r, 0);
	/* no TAB, empty identifier, a lone "-", a second TAB, bad right */
	ck_assert_int_eq(acl_item_parse("joe xr", 6, &id, &idlen, &neg, &r),
	    -1);
	ck_assert_int_eq(acl_item_parse("\tr", 2, &id, &idlen, &neg, &r), -1);
	ck_assert_int_eq(acl_item_parse("-\tr", 3, &id, &idlen, &neg, &r), -1);
	ck_assert_int_eq(acl_item_parse("a\tr\tw", 5, &id, &idlen, &neg, &r),
	    -1);
	ck_assert_int_eq(acl_item_parse("a\tz", 3, &id, &idlen, &neg, &r), -1);
}
END_TEST

START_TEST(test_each_right_alone)
{
	static const char *const letters[] = { "x", "r", "w", "i", "a" };
	struct acl_identity who = { "fred", NULL, 0, false };
	char item[32];
	const char *items[2] = { item, NULL };
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(item, sizeof(item), "fred\t%s", letters[i]);
		/* no right implies another (§3.5: "never tied") */
		ck_assert_uint_eq(rights_of(&who, items), 1u << i);
	}
}
END_TEST

START_TEST(test_union_minus_negative)
{
	const char *const items[] = { "anyone\tr", "fred\twi", "-fred\ti",
		"-anyone\tx", "barney\ta", NULL };
	struct acl_identity fred = { "fred", NULL, 0, false };
	struct acl_identity barney = { "barney", NULL, 0, false };
	struct acl_identity anon = { NULL, NULL, 0, false };

	ck_assert_uint_eq(rights_of(&fred, items), ACL_R_READ | ACL_R_WRITE);
	ck_assert_uint_eq(rights_of(&barney, items), ACL_R_READ | ACL_R_ADMIN);
	ck_assert_uint_eq(rights_of(&anon, items), ACL_R_READ);
}
END_TEST

START_TEST(test_negative_beats_positive_anywhere)
{
	/* order does not matter: the negative union is subtracted last */
	const char *const a[] = { "-anyone\tw", "fred\trw", NULL };
	const char *const b[] = { "fred\trw", "-anyone\tw", NULL };
	struct acl_identity fred = { "fred", NULL, 0, false };

	ck_assert_uint_eq(rights_of(&fred, a), ACL_R_READ);
	ck_assert_uint_eq(rights_of(&fred, b), ACL_R_READ);
}
END_TEST

START_TEST(test_groups)
{
	const char *const groups[] = { "acme", "staff" };
	const char *const items[] = { "/group/acme\tr", "/group/other\tw",
		"-/group/staff\tx", "/group/staff\tx", "acme\ti", NULL };
	struct acl_identity member = { "alice", groups, 2, false };
	struct acl_identity outsider = { "bob", NULL, 0, false };

	ck_assert_uint_eq(rights_of(&member, items), ACL_R_READ);
	ck_assert_uint_eq(rights_of(&outsider, items), 0);
	/* a group name is not a user name */
	ck_assert(!acl_ident_matches(&member, "acme", 4));
	ck_assert(acl_ident_matches(&member, "/group/acme", 11));
	ck_assert(!acl_ident_matches(&member, "/group/acm", 10));
	ck_assert(!acl_ident_matches(&member, "/group/", 7));
}
END_TEST

START_TEST(test_anonymous_and_admin)
{
	const char *const items[] = { "fred\tr", NULL };
	const char *const none[] = { NULL };
	struct acl_identity anon = { NULL, NULL, 0, false };
	struct acl_identity admin = { "root", NULL, 0, true };

	ck_assert_uint_eq(rights_of(&anon, items), 0);
	ck_assert(!acl_ident_matches(&anon, "fred", 4));
	ck_assert_uint_eq(rights_of(&admin, none), ACL_R_ALL);
}
END_TEST

START_TEST(test_malformed_items_ignored)
{
	const char *const items[] = { "fred r", "fred\tq", "fred\tx", NULL };
	struct acl_identity fred = { "fred", NULL, 0, false };

	ck_assert_uint_eq(rights_of(&fred, items), ACL_R_SEARCH);
}
END_TEST

START_TEST(test_implicit_owner_rights)
{
	struct acl_identity fred = { "fred", NULL, 0, false };
	struct acl_identity anon = { NULL, NULL, 0, false };

	ck_assert_uint_eq(acl_implicit_rights(&fred, "/email/user/fred/"),
	    ACL_R_READ | ACL_R_ADMIN);
	ck_assert_uint_eq(acl_implicit_rights(&fred,
	    "/option/user/fred/sub/"), ACL_R_READ | ACL_R_ADMIN);
	ck_assert_uint_eq(acl_implicit_rights(&fred, "/email/user/freda/"),
	    0);
	ck_assert_uint_eq(acl_implicit_rights(&fred, "/email/group/fred/"),
	    0);
	ck_assert_uint_eq(acl_implicit_rights(&fred, "/email/site/"), 0);
	ck_assert_uint_eq(acl_implicit_rights(&fred, "/email/user/"), 0);
	ck_assert_uint_eq(acl_implicit_rights(&anon, "/email/user/fred/"), 0);
}
END_TEST

static Suite *
acl_suite(void)
{
	Suite *s = suite_create("acl");
	TCase *tc = tcase_create("rights");

	tcase_add_test(tc, test_parse_rights);
	tcase_add_test(tc, test_item_parse);
	tcase_add_test(tc, test_each_right_alone);
	tcase_add_test(tc, test_union_minus_negative);
	tcase_add_test(tc, test_negative_beats_positive_anywhere);
	tcase_add_test(tc, test_groups);
	tcase_add_test(tc, test_anonymous_and_admin);
	tcase_add_test(tc, test_malformed_items_ignored);
	tcase_add_test(tc, test_implicit_owner_rights);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(acl_suite());
	int failed;

	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
