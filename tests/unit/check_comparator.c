/*
 * check_comparator.c -- unit suite for acapd/comparator.c: lookup, the
 * operations of i;octet, i;ascii-casemap and i;ascii-numeric (RFC 2244
 * §3.4, ACAP-NOTES §11), NUL-safety and linear-time substring search.
 */
#include "autoconf.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comparator.h"

static const struct comparator *
get(const char *name)
{
	const struct comparator *c = comparator_lookup(name, NULL);

	ck_assert_ptr_nonnull(c);
	return c;
}

static int
sign(int v)
{
	return v < 0 ? -1 : v > 0;
}

START_TEST(test_lookup)
{
	const struct comparator *c;
	bool rev = true;

	c = comparator_lookup("i;octet", &rev);
	ck_assert_ptr_nonnull(c);
	ck_assert(!rev);
	ck_assert_str_eq(comparator_name(c), "i;octet");
	rev = true;
	ck_assert_ptr_eq(comparator_lookup("+i;octet", &rev), c);
	ck_assert(!rev);
	ck_assert_ptr_eq(comparator_lookup("-i;octet", &rev), c);
	ck_assert(rev);
	/* names are matched without regard to ASCII case */
	ck_assert_ptr_eq(comparator_lookup("I;OCTET", NULL), c);
	ck_assert_str_eq(comparator_name(comparator_lookup("-I;Ascii-CaseMap",
	    &rev)), "i;ascii-casemap");
	ck_assert(rev);
	ck_assert_str_eq(comparator_name(get("i;ascii-numeric")),
	    "i;ascii-numeric");
	ck_assert_ptr_ne(get("i;ascii-numeric"), get("i;ascii-casemap"));

	/* unknown or malformed: the caller answers BAD (§3.4) */
	ck_assert_ptr_null(comparator_lookup("i;unknown", &rev));
	ck_assert_ptr_null(comparator_lookup("en;primary", &rev));
	ck_assert_ptr_null(comparator_lookup("", &rev));
	ck_assert_ptr_null(comparator_lookup("+", &rev));
	ck_assert_ptr_null(comparator_lookup("-", &rev));
	ck_assert_ptr_null(comparator_lookup("--i;octet", &rev));
	ck_assert_ptr_null(comparator_lookup("+-i;octet", &rev));
	ck_assert_ptr_null(comparator_lookup(" i;octet", &rev));
	ck_assert_ptr_null(comparator_lookup("i;octet ", &rev));
	ck_assert_ptr_null(comparator_lookup("i;octe", &rev));
	ck_assert_ptr_null(comparator_lookup("i;octets", &rev));
	ck_assert_ptr_null(comparator_lookup(NULL, &rev));
}
END_TEST

START_TEST(test_ops_and_names)
{
	unsigned int all = COMPARATOR_OP_ORDER | COMPARATOR_OP_EQUAL |
	    COMPARATOR_OP_PREFIX | COMPARATOR_OP_SUBSTRING;
	size_t i;

	ck_assert_uint_eq(comparator_ops(get("i;octet")), all);
	ck_assert_uint_eq(comparator_ops(get("i;ascii-casemap")), all);
	ck_assert_uint_eq(comparator_ops(get("i;ascii-numeric")),
	    COMPARATOR_OP_ORDER | COMPARATOR_OP_EQUAL);

	/* NULL-terminated, most efficient first, all implemented */
	ck_assert_str_eq(comparator_names[0], "i;octet");
	for (i = 0; comparator_names[i] != NULL; i++)
		ck_assert_str_eq(comparator_name(get(comparator_names[i])),
		    comparator_names[i]);
	ck_assert_uint_eq(i, 3);
}
END_TEST

struct ocase {
	const char *cmp;
	const char *a;
	size_t alen;
	const char *b;
	size_t blen;
	int order;	/* sign */
};

#define S(x)	x, sizeof(x) - 1

static const struct ocase orders[] = {
	/* i;octet: unsigned octets, a proper prefix first, NULs count */
	{ "i;octet", S(""), S(""), 0 },
	{ "i;octet", S(""), S("a"), -1 },
	{ "i;octet", S("a"), S(""), 1 },
	{ "i;octet", S("a"), S("b"), -1 },
	{ "i;octet", S("abc"), S("abd"), -1 },
	{ "i;octet", S("ab"), S("abc"), -1 },
	{ "i;octet", S("abc"), S("abc"), 0 },
	{ "i;octet", S("\x80"), S("\x7f"), 1 },
	{ "i;octet", S("\xff"), S("\x01"), 1 },
	{ "i;octet", S("a\0b"), S("a\0c"), -1 },
	{ "i;octet", S("a\0"), S("a"), 1 },
	{ "i;octet", S("A"), S("a"), -1 },
	{ "i;octet", S("a"), S("_"), 1 },
	{ "i;octet", S("Z"), S("a"), -1 },
	/* i;ascii-casemap: a-z become A-Z first, nothing else */
	{ "i;ascii-casemap", S("hello"), S("HELLO"), 0 },
	{ "i;ascii-casemap", S("HeLLo"), S("hEllO"), 0 },
	{ "i;ascii-casemap", S("a"), S("_"), -1 },
	{ "i;ascii-casemap", S("Z"), S("a"), 1 },
	{ "i;ascii-casemap", S("abc"), S("ABD"), -1 },
	{ "i;ascii-casemap", S("ab"), S("ABC"), -1 },
	{ "i;ascii-casemap", S("["), S("{"), -1 },
	{ "i;ascii-casemap", S("\xc3\xa9"), S("\xc3\x89"), 1 },
	{ "i;ascii-casemap", S("a\0b"), S("A\0B"), 0 },
	/* i;ascii-numeric: leading digits as a number of any size */
	{ "i;ascii-numeric", S("1"), S("2"), -1 },
	{ "i;ascii-numeric", S("10"), S("9"), 1 },
	{ "i;ascii-numeric", S("007"), S("7"), 0 },
	{ "i;ascii-numeric", S("0"), S("000"), 0 },
	{ "i;ascii-numeric", S("0"), S("1"), -1 },
	{ "i;ascii-numeric", S("123abc"), S("123"), 0 },
	{ "i;ascii-numeric", S("123abc"), S("124"), -1 },
	{ "i;ascii-numeric", S("1.5"), S("1"), 0 },
	{ "i;ascii-numeric", S("12\0" "9"), S("12"), 0 },
	{ "i;ascii-numeric", S("4294967296"), S("4294967295"), 1 },
	{ "i;ascii-numeric", S("18446744073709551616"),
	  S("18446744073709551615"), 1 },
	{ "i;ascii-numeric", S("123456789012345678901234567890"),
	  S("123456789012345678901234567891"), -1 },
	{ "i;ascii-numeric", S("1000000000000000000000000000000000000000"),
	  S("999999999999999999999999999999999999999"), 1 },
	{ "i;ascii-numeric", S("0000000000000000000000000000000000000001"),
	  S("2"), -1 },
	/* not starting with a digit: after every number, equal to others */
	{ "i;ascii-numeric", S(""), S("0"), 1 },
	{ "i;ascii-numeric", S("abc"), S("99999999999999999999999"), 1 },
	{ "i;ascii-numeric", S("abc"), S("xyz"), 0 },
	{ "i;ascii-numeric", S(""), S("abc"), 0 },
	{ "i;ascii-numeric", S(" 1"), S("1"), 1 },
	{ "i;ascii-numeric", S("-1"), S("1"), 1 },
	{ "i;ascii-numeric", S("+1"), S("-5"), 0 },
};

START_TEST(test_order)
{
	const struct ocase *c = &orders[_i];
	const struct comparator *cmp = get(c->cmp);

	ck_assert_msg(sign(comparator_order(cmp, c->a, c->alen, c->b,
	    c->blen)) == c->order, "case %d", _i);
	/* antisymmetric */
	ck_assert_msg(sign(comparator_order(cmp, c->b, c->blen, c->a,
	    c->alen)) == -c->order, "case %d reversed", _i);
	/* equality agrees with ordering for these comparators */
	ck_assert_msg(comparator_equal(cmp, c->a, c->alen, c->b, c->blen) ==
	    (c->order == 0), "case %d equal", _i);
}
END_TEST

START_TEST(test_equal)
{
	const struct comparator *oct = get("i;octet");
	const struct comparator *cm = get("i;ascii-casemap");
	const struct comparator *num = get("i;ascii-numeric");

	ck_assert(comparator_equal(oct, S("abc"), S("abc")));
	ck_assert(!comparator_equal(oct, S("abc"), S("ABC")));
	ck_assert(comparator_equal(oct, S("a\0b"), S("a\0b")));
	ck_assert(!comparator_equal(oct, S("a\0b"), S("a\0c")));
	ck_assert(!comparator_equal(oct, S("ab"), S("abc")));
	/* length matters even when the C strings agree */
	ck_assert(!comparator_equal(oct, S("a\0"), S("a")));
	ck_assert(comparator_equal(oct, S(""), S("")));
	ck_assert(comparator_equal(cm, S("abc"), S("ABC")));
	ck_assert(!comparator_equal(cm, S("abc"), S("ABCD")));
	ck_assert(!comparator_equal(cm, S("\xc3\xa9"), S("\xc3\x89")));
	ck_assert(comparator_equal(num, S("007"), S("7")));
	ck_assert(comparator_equal(num, S("1"), S("01a")));
	ck_assert(comparator_equal(num, S("abc"), S("xyz")));
	ck_assert(!comparator_equal(num, S("1"), S("2")));
	ck_assert(!comparator_equal(num, S("1"), S("abc")));
}
END_TEST

START_TEST(test_prefix_substring)
{
	const struct comparator *oct = get("i;octet");
	const struct comparator *cm = get("i;ascii-casemap");
	const struct comparator *num = get("i;ascii-numeric");

	ck_assert(comparator_prefix(oct, S("hello"), S("he")));
	ck_assert(comparator_prefix(oct, S("hello"), S("hello")));
	ck_assert(!comparator_prefix(oct, S("hello"), S("HE")));
	ck_assert(!comparator_prefix(oct, S("he"), S("hello")));
	ck_assert(!comparator_prefix(oct, S("hello"), S("el")));
	ck_assert(comparator_prefix(oct, S("x"), S("")));
	ck_assert(comparator_prefix(oct, S(""), S("")));
	ck_assert(comparator_prefix(oct, S("a\0b"), S("a\0")));
	ck_assert(!comparator_prefix(oct, S("a\0b"), S("a\0c")));
	ck_assert(comparator_prefix(cm, S("hello"), S("HE")));
	ck_assert(!comparator_prefix(cm, S("hello"), S("HEX")));

	ck_assert(comparator_substring(oct, S("hello world"), S("o w")));
	ck_assert(comparator_substring(oct, S("hello"), S("hello")));
	ck_assert(comparator_substring(oct, S("hello"), S("lo")));
	ck_assert(!comparator_substring(oct, S("hello"), S("xyz")));
	ck_assert(!comparator_substring(oct, S("hello"), S("LL")));
	ck_assert(!comparator_substring(oct, S("lo"), S("hello")));
	ck_assert(comparator_substring(oct, S("hello"), S("")));
	ck_assert(comparator_substring(oct, S(""), S("")));
	ck_assert(!comparator_substring(oct, S(""), S("a")));
	ck_assert(comparator_substring(oct, S("a\0bc"), S("\0b")));
	ck_assert(!comparator_substring(oct, S("a\0bc"), S("\0c")));
	ck_assert(comparator_substring(oct, S("abababc"), S("ababc")));
	ck_assert(comparator_substring(oct, S("aabaabaaab"), S("aaab")));
	ck_assert(comparator_substring(cm, S("Hello World"), S("WORLD")));
	ck_assert(comparator_substring(cm, S("Hello World"), S("o w")));
	ck_assert(!comparator_substring(cm, S("Hello World"), S("o_w")));

	/* i;ascii-numeric has neither operation */
	ck_assert(!comparator_prefix(num, S("123"), S("1")));
	ck_assert(!comparator_substring(num, S("123"), S("2")));
	ck_assert(!comparator_substring(num, S("123"), S("")));
}
END_TEST

static unsigned char
up(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? c - 32 : c;
}

static bool
naive_find(const char *v, size_t vlen, const char *p, size_t plen,
    bool casemap)
{
	size_t i, k;

	for (i = 0; i + plen <= vlen; i++) {
		for (k = 0; k < plen; k++) {
			unsigned char a = (unsigned char)v[i + k];
			unsigned char b = (unsigned char)p[k];

			if (casemap ? up(a) != up(b) : a != b)
				break;
		}
		if (k == plen)
			return true;
	}
	return false;
}

/* KMP against a naive scan, over a small alphabet so matches happen. */
START_TEST(test_substring_random)
{
	static const char alpha[] = { 'a', 'b', 'A', 'B', '\0' };
	const struct comparator *oct = get("i;octet");
	const struct comparator *cm = get("i;ascii-casemap");
	char v[400], p[300];
	uint32_t st = 7;
	size_t vlen, plen, k;
	int round;

	for (round = 0; round < 20000; round++) {
		st = st * 1103515245u + 12345u;
		vlen = (st >> 8) % (round % 10 == 0 ? 400 : 24);
		st = st * 1103515245u + 12345u;
		plen = (st >> 8) % (round % 10 == 0 ? 300 : 8);
		for (k = 0; k < vlen; k++) {
			st = st * 1103515245u + 12345u;
			v[k] = alpha[(st >> 8) % (round % 3 ? 2 : 5)];
		}
		for (k = 0; k < plen; k++) {
			st = st * 1103515245u + 12345u;
			p[k] = alpha[(st >> 8) % (round % 3 ? 2 : 5)];
		}
		/* long periodic patterns that do occur: past the stack table */
		if (round % 10 == 0 && plen > 0 && vlen >= plen && round % 20)
			memcpy(v + vlen - plen, p, plen);
		ck_assert_int_eq(comparator_substring(oct, v, vlen, p, plen),
		    naive_find(v, vlen, p, plen, false));
		ck_assert_int_eq(comparator_substring(cm, v, vlen, p, plen),
		    naive_find(v, vlen, p, plen, true));
	}
}
END_TEST

/* A quadratic scan would take minutes here; the test timeout is seconds. */
START_TEST(test_substring_linear)
{
	const struct comparator *oct = get("i;octet");
	const struct comparator *cm = get("i;ascii-casemap");
	size_t vlen = 4u << 20, plen = 1u << 20;
	char *v = malloc(vlen), *p = malloc(plen);

	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(p);
	memset(v, 'a', vlen);
	memset(p, 'a', plen);
	p[plen - 1] = 'b';
	ck_assert(!comparator_substring(oct, v, vlen, p, plen));
	ck_assert(!comparator_substring(cm, v, vlen, p, plen));
	v[vlen - 1] = 'B';
	ck_assert(!comparator_substring(oct, v, vlen, p, plen));
	ck_assert(comparator_substring(cm, v, vlen, p, plen));
	free(v);
	free(p);
}
END_TEST

/* i;ascii-numeric against strtoull where that cannot overflow. */
START_TEST(test_numeric_random)
{
	const struct comparator *num = get("i;ascii-numeric");
	char a[32], b[32];
	uint32_t st = 3;
	unsigned long long x, y;
	int round, za, zb;

	for (round = 0; round < 20000; round++) {
		st = st * 1103515245u + 12345u;
		x = ((unsigned long long)st << 20) ^ (st >> 3);
		st = st * 1103515245u + 12345u;
		y = round % 4 == 0 ? x :
		    ((unsigned long long)st << 17) % 100000;
		za = round % 5;
		zb = round % 7;
		snprintf(a, sizeof(a), "%0*llu%s", za + 1, x,
		    round % 2 ? "x" : "");
		snprintf(b, sizeof(b), "%0*llu", zb + 1, y);
		ck_assert_int_eq(sign(comparator_order(num, a, strlen(a), b,
		    strlen(b))), x < y ? -1 : x > y);
	}
}
END_TEST

static Suite *
comparator_suite(void)
{
	Suite *s = suite_create("comparator");
	TCase *tc = tcase_create("comparator");

	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_ops_and_names);
	tcase_add_loop_test(tc, test_order, 0,
	    sizeof(orders) / sizeof(orders[0]));
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_prefix_substring);
	tcase_add_test(tc, test_substring_random);
	tcase_add_test(tc, test_substring_linear);
	tcase_add_test(tc, test_numeric_random);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(comparator_suite());
	int failed;

	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
