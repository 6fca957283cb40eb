/*
 * check_arg.c -- unit suite for libacap/acap-arg.c: keyword, string,
 * number and UTF-8 checks, on hand-built and on parsed arguments.
 */
#include "autoconf.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acap-arg.h"
#include "acap-parser.h"

static struct acap_arg
mk(enum acap_arg_type type, const char *s, size_t len)
{
	struct acap_arg a;

	memset(&a, 0, sizeof(a));
	a.type = type;
	a.str = s;
	a.len = len;
	return a;
}

static struct acap_arg
atom(const char *s)
{
	return mk(ACAP_ARG_ATOM, s, strlen(s));
}

START_TEST(test_is_atom)
{
	struct acap_arg a = atom("Search");
	struct acap_arg q = mk(ACAP_ARG_STRING, "SEARCH", 6);

	ck_assert(acap_arg_is_atom(&a, "SEARCH"));
	ck_assert(acap_arg_is_atom(&a, "search"));
	ck_assert(acap_arg_is_atom(&a, "sEaRcH"));
	ck_assert(!acap_arg_is_atom(&a, "SEARCHX"));
	ck_assert(!acap_arg_is_atom(&a, "SEARC"));
	ck_assert(!acap_arg_is_atom(&a, ""));
	/* a quoted "SEARCH" is not the keyword */
	ck_assert(!acap_arg_is_atom(&q, "SEARCH"));
	ck_assert(!acap_arg_is_atom(NULL, "SEARCH"));
	/* ASCII case folding only: no locale tricks with 8-bit octets */
	a = atom("\xc9");
	ck_assert(!acap_arg_is_atom(&a, "\xe9"));
	/* "[" and "{" differ from their lower-case neighbours */
	a = atom("A[");
	ck_assert(!acap_arg_is_atom(&a, "a{"));
}
END_TEST

START_TEST(test_types)
{
	struct acap_arg s = mk(ACAP_ARG_STRING, "x", 1);
	struct acap_arg n = mk(ACAP_ARG_NIL, "NIL", 3);
	struct acap_arg l = mk(ACAP_ARG_LIST, NULL, 0);
	struct acap_arg a = atom("x");

	ck_assert(acap_arg_is_string(&s));
	ck_assert(!acap_arg_is_string(&a));
	ck_assert(!acap_arg_is_string(&n));
	ck_assert(!acap_arg_is_string(NULL));
	ck_assert(acap_arg_is_nil(&n));
	ck_assert(!acap_arg_is_nil(&a));
	ck_assert(!acap_arg_is_nil(&s));
	ck_assert(acap_arg_is_list(&l));
	ck_assert(!acap_arg_is_list(&s));
	ck_assert(!acap_arg_is_list(NULL));
}
END_TEST

START_TEST(test_string_utf8)
{
	struct acap_arg a;

	a = mk(ACAP_ARG_STRING, "caf\xc3\xa9", 5);
	ck_assert(acap_arg_is_string_utf8(&a));
	a = mk(ACAP_ARG_STRING, "", 0);
	ck_assert(acap_arg_is_string_utf8(&a));
	/* NUL is valid UTF-8 but not allowed in string-utf8 */
	a = mk(ACAP_ARG_STRING, "a\0b", 3);
	ck_assert(!acap_arg_is_string_utf8(&a));
	a = mk(ACAP_ARG_STRING, "caf\xe9", 4);
	ck_assert(!acap_arg_is_string_utf8(&a));
	a = atom("abc");
	ck_assert(!acap_arg_is_string_utf8(&a));
	a = mk(ACAP_ARG_NIL, "NIL", 3);
	ck_assert(!acap_arg_is_string_utf8(&a));
}
END_TEST

struct numcase {
	const char *s;
	int rc;
	uint32_t v;
};

static const struct numcase numbers[] = {
	{ "0", 0, 0 },
	{ "7", 0, 7 },
	{ "100", 0, 100 },
	{ "0000000001", 0, 1 },		/* 10 digits */
	{ "4294967295", 0, 4294967295u },
	{ "4294967296", -1, 0 },	/* 2^32 */
	{ "9999999999", -1, 0 },
	{ "00000000001", -1, 0 },	/* 11 digits */
	{ "12345678901", -1, 0 },
	{ "", -1, 0 },			/* ACAP-NOTES §20.8 */
	{ "12a", -1, 0 },
	{ "-1", -1, 0 },
	{ "+1", -1, 0 },
	{ "1.5", -1, 0 },
};

START_TEST(test_number)
{
	const struct numcase *c = &numbers[_i];
	struct acap_arg a = atom(c->s);
	uint32_t v = 12345;

	ck_assert_int_eq(acap_arg_get_number(&a, &v), c->rc);
	if (c->rc == 0)
		ck_assert_uint_eq(v, c->v);
	else
		ck_assert_uint_eq(v, 12345);	/* untouched on failure */
}
END_TEST

START_TEST(test_number_types)
{
	struct acap_arg a;
	uint32_t v;

	/* a number is an atom, never a string or NIL */
	a = mk(ACAP_ARG_STRING, "12", 2);
	ck_assert_int_eq(acap_arg_get_number(&a, &v), -1);
	a = mk(ACAP_ARG_NIL, "NIL", 3);
	ck_assert_int_eq(acap_arg_get_number(&a, &v), -1);
	ck_assert_int_eq(acap_arg_get_number(NULL, &v), -1);

	a = atom("0");
	ck_assert_int_eq(acap_arg_get_nz_number(&a, &v), -1);
	a = atom("0000000000");
	ck_assert_int_eq(acap_arg_get_nz_number(&a, &v), -1);
	a = atom("1");
	ck_assert_int_eq(acap_arg_get_nz_number(&a, &v), 0);
	ck_assert_uint_eq(v, 1);
	a = atom("4294967295");
	ck_assert_int_eq(acap_arg_get_nz_number(&a, &v), 0);
	ck_assert_uint_eq(v, 4294967295u);
	a = atom("4294967296");
	ck_assert_int_eq(acap_arg_get_nz_number(&a, &v), -1);
}
END_TEST

struct utf8case {
	const char *s;
	size_t len;
	bool ok;
};

#define U(str, ok)	{ str, sizeof(str) - 1, ok }

static const struct utf8case utf8[] = {
	U("", true),
	U("plain ASCII ~", true),
	U("\0", true),				/* U+0000 is UTF-8 */
	U("\xc2\x80", true),			/* U+0080 */
	U("\xc3\xa9", true),
	U("\xdf\xbf", true),			/* U+07FF */
	U("\xe0\xa0\x80", true),		/* U+0800 */
	U("\xe2\x82\xac", true),		/* euro sign */
	U("\xed\x9f\xbf", true),		/* U+D7FF */
	U("\xee\x80\x80", true),		/* U+E000 */
	U("\xef\xbf\xbf", true),		/* U+FFFF */
	U("\xf0\x90\x80\x80", true),		/* U+10000 */
	U("\xf4\x8f\xbf\xbf", true),		/* U+10FFFF */
	U("\xf0\x9f\x98\x80 ok", true),
	U("\x80", false),			/* lone continuation */
	U("\xbf", false),
	U("\xc0\x80", false),			/* overlong NUL */
	U("\xc1\xbf", false),			/* overlong */
	U("\xe0\x80\x80", false),		/* overlong */
	U("\xe0\x9f\xbf", false),		/* overlong U+07FF */
	U("\xed\xa0\x80", false),		/* surrogate U+D800 */
	U("\xed\xbf\xbf", false),		/* surrogate U+DFFF */
	U("\xf0\x80\x80\x80", false),		/* overlong */
	U("\xf0\x8f\xbf\xbf", false),		/* overlong U+FFFF */
	U("\xf4\x90\x80\x80", false),		/* U+110000 */
	U("\xf5\x80\x80\x80", false),
	U("\xf8\x88\x80\x80\x80", false),	/* old 5-octet form */
	U("\xfc\x84\x80\x80\x80\x80", false),	/* old 6-octet form */
	U("\xfe", false),
	U("\xff", false),
	U("\xc3", false),			/* truncated */
	U("\xe2\x82", false),
	U("\xf0\x90\x80", false),
	U("\xc3\x28", false),			/* bad continuation */
	U("\xe2\x28\xa1", false),
	U("\xe2\x82\x28", false),
	U("\xf0\x90\x28\xbc", false),
	U("ok \xc3\xa9 then \xe9", false),
};

START_TEST(test_utf8)
{
	const struct utf8case *c = &utf8[_i];

	ck_assert_msg(acap_utf8_valid(c->s, c->len) == c->ok,
	    "case %d: want %d", _i, (int)c->ok);
}
END_TEST

/* The getters on a tree from the parser. */
START_TEST(test_parsed)
{
	static const struct acap_limits lim = {
		.max_line = 1024, .max_literal = 1024,
		.max_nonsync_literal = 1024, .max_command = 4096,
		.max_depth = 4, .max_args = 100,
	};
	struct acap_parser *p = acap_parser_new(ACAP_PARSER_COMMAND, &lim);
	const struct acap_cmd *cmd;
	const char *in = "A1 search 4294967295 \"12\" nil ({1+}\r\n\xe9 "
	    "\"/a/\")\r\n";
	size_t used;
	uint32_t v;

	ck_assert_int_eq(acap_parser_feed(p, in, strlen(in), &used, &cmd), 1);
	ck_assert_uint_eq(cmd->nargs, 5);
	ck_assert(acap_arg_is_atom(&cmd->args[0], "SEARCH"));
	ck_assert_int_eq(acap_arg_get_number(&cmd->args[1], &v), 0);
	ck_assert_uint_eq(v, 4294967295u);
	ck_assert_int_eq(acap_arg_get_number(&cmd->args[2], &v), -1);
	ck_assert(acap_arg_is_string_utf8(&cmd->args[2]));
	ck_assert(acap_arg_is_nil(&cmd->args[3]));
	ck_assert(acap_arg_is_list(&cmd->args[4]));
	ck_assert_uint_eq(cmd->args[4].count, 2);
	/* a literal holding Latin-1: a string, but not string-utf8 */
	ck_assert(acap_arg_is_string(&cmd->args[4].list[0]));
	ck_assert(!acap_arg_is_string_utf8(&cmd->args[4].list[0]));
	ck_assert(acap_arg_is_string_utf8(&cmd->args[4].list[1]));
	acap_parser_free(&p);
}
END_TEST

static Suite *
arg_suite(void)
{
	Suite *s = suite_create("acap-arg");
	TCase *tc = tcase_create("arg");

	tcase_add_test(tc, test_is_atom);
	tcase_add_test(tc, test_types);
	tcase_add_test(tc, test_string_utf8);
	tcase_add_loop_test(tc, test_number, 0,
	    sizeof(numbers) / sizeof(numbers[0]));
	tcase_add_test(tc, test_number_types);
	tcase_add_loop_test(tc, test_utf8, 0, sizeof(utf8) / sizeof(utf8[0]));
	tcase_add_test(tc, test_parsed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(arg_suite());
	int failed;

	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
