/*
 * check_buf.c -- unit suite for libacap/acap-buf.c: the growable buffer,
 * the quoted-or-literal rule, response text, and writer -> parser round
 * trips of arbitrary byte strings.
 */
#include "autoconf.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"
#include "acap-parser.h"

static const struct acap_limits lim = {
	.max_line = 1 << 16,
	.max_literal = 1 << 20,
	.max_nonsync_literal = 1 << 20,
	.max_command = 1 << 22,
	.max_depth = 8,
	.max_args = 1000,
};

START_TEST(test_buffer)
{
	struct acap_buf b = ACAP_BUF_INIT;
	size_t i;

	ck_assert_ptr_null(b.data);
	acap_buf_add(&b, "ab", 2);
	acap_buf_addch(&b, 'c');
	acap_buf_addstr(&b, "de");
	acap_buf_printf(&b, "-%d-%s", 42, "x");
	ck_assert_uint_eq(b.len, 10);
	ck_assert_str_eq(b.data, "abcde-42-x");
	acap_buf_add(&b, "\0z", 2);
	ck_assert_uint_eq(b.len, 12);
	ck_assert_mem_eq(b.data + 10, "\0z", 3);	/* NUL-terminated */
	acap_buf_add(&b, NULL, 0);
	ck_assert_uint_eq(b.len, 12);

	/* growth keeps the contents */
	acap_buf_reset(&b);
	for (i = 0; i < 10000; i++)
		acap_buf_addch(&b, (char)('a' + i % 26));
	ck_assert_uint_eq(b.len, 10000);
	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(b.data[i], 'a' + i % 26);
	ck_assert_int_eq(b.data[b.len], '\0');
	ck_assert_uint_gt(b.cap, b.len);

	/* reset drops a big allocation, keeps a small one */
	acap_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_le(b.cap, 4096);
	acap_buf_addstr(&b, "small");
	acap_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_str_eq(b.data, "");
	ck_assert_uint_gt(b.cap, 0);

	acap_buf_deinit(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	/* reusable after deinit */
	acap_buf_init(&b);
	acap_buf_printf(&b, "%s", "again");
	ck_assert_str_eq(b.data, "again");
	acap_buf_deinit(&b);
}
END_TEST

START_TEST(test_printf_long)
{
	struct acap_buf b = ACAP_BUF_INIT;
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	acap_buf_addstr(&b, "<");
	acap_buf_printf(&b, "%s|%zu", big, sizeof(big));
	ck_assert_uint_eq(b.len, 1 + 4999 + 1 + 4);
	ck_assert_int_eq(b.data[0], '<');
	ck_assert_str_eq(b.data + 5001, "5000");
	acap_buf_deinit(&b);
}
END_TEST

static char *
filled(char c, size_t n, const char *tail)
{
	size_t tl = strlen(tail);
	char *s = malloc(n + tl + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	memcpy(s + n, tail, tl + 1);
	return s;
}

START_TEST(test_needs_literal)
{
	char *s;

	ck_assert_int_eq(acap_string_needs_literal("", 0), 0);
	ck_assert_int_eq(acap_string_needs_literal("abc", 3), 0);
	ck_assert_int_eq(acap_string_needs_literal("a\tb", 3), 0);
	ck_assert_int_eq(acap_string_needs_literal("\xff\x01", 2), 0);
	ck_assert_int_eq(acap_string_needs_literal("a\0b", 3), 1);
	ck_assert_int_eq(acap_string_needs_literal("a\rb", 3), 1);
	ck_assert_int_eq(acap_string_needs_literal("a\nb", 3), 1);
	s = filled('a', 1025, "");
	ck_assert_int_eq(acap_string_needs_literal(s, 1024), 0);
	ck_assert_int_eq(acap_string_needs_literal(s, 1025), 1);
	free(s);
	/* escapes count: 1022 + \" is 1024 octets on the wire, 1023 + \" is
	   1025 (RFC 2244 §8 "quoted") */
	s = filled('a', 1022, "\"");
	ck_assert_int_eq(acap_string_needs_literal(s, 1023), 0);
	free(s);
	s = filled('a', 1023, "\\");
	ck_assert_int_eq(acap_string_needs_literal(s, 1024), 1);
	free(s);
}
END_TEST

START_TEST(test_add_string)
{
	struct acap_buf b = ACAP_BUF_INIT;

	acap_buf_add_string(&b, "abc", 3);
	ck_assert_str_eq(b.data, "\"abc\"");
	acap_buf_reset(&b);
	acap_buf_add_string(&b, "", 0);
	ck_assert_str_eq(b.data, "\"\"");
	acap_buf_reset(&b);
	acap_buf_add_cstring(&b, "a\"b\\c");
	ck_assert_str_eq(b.data, "\"a\\\"b\\\\c\"");
	acap_buf_reset(&b);
	acap_buf_add_cstring(&b, "\"\\");
	ck_assert_str_eq(b.data, "\"\\\"\\\\\"");
	acap_buf_reset(&b);
	acap_buf_add_string(&b, "a\r\nb", 4);
	ck_assert_str_eq(b.data, "{4}\r\na\r\nb");
	acap_buf_reset(&b);
	acap_buf_add_string(&b, "\0", 1);
	ck_assert_uint_eq(b.len, 6);
	ck_assert_mem_eq(b.data, "{1}\r\n\0", 6);
	acap_buf_reset(&b);
	acap_buf_add_nstring(&b, NULL, 0);
	acap_buf_addch(&b, ' ');
	acap_buf_add_nstring(&b, "NIL", 3);
	ck_assert_str_eq(b.data, "NIL \"NIL\"");
	acap_buf_deinit(&b);
}
END_TEST

/*
 * Write "<prefix>" + string + CRLF, parse it back and compare.  COMMAND
 * mode answers the {n} continuation; RESPONSE mode reads it directly.
 */
static void
round_trip(const char *s, size_t len, enum acap_parser_mode mode)
{
	struct acap_parser *p = acap_parser_new(mode, &lim);
	struct acap_buf b = ACAP_BUF_INIT;
	const struct acap_cmd *cmd;
	size_t off = 0, used;
	int r;

	acap_buf_addstr(&b, mode == ACAP_PARSER_COMMAND ? "A1 X " : "* X ");
	acap_buf_add_string(&b, s, len);
	acap_buf_addstr(&b, "\r\n");
	for (;;) {
		r = acap_parser_feed(p, b.data + off, b.len - off, &used, &cmd);
		off += used;
		if (r != 0 || !acap_parser_want_continuation(p))
			break;
		acap_parser_continue(p);
	}
	ck_assert_msg(r == 1, "parse failed: %s",
	    acap_parser_error(p, NULL, NULL));
	ck_assert_uint_eq(off, b.len);
	ck_assert_uint_eq(cmd->nargs, 2);
	ck_assert_int_eq(cmd->args[1].type, ACAP_ARG_STRING);
	ck_assert_uint_eq(cmd->args[1].len, len);
	if (len > 0)
		ck_assert_mem_eq(cmd->args[1].str, s, len);
	ck_assert_int_eq(cmd->args[1].literal,
	    acap_string_needs_literal(s, len));
	acap_buf_deinit(&b);
	acap_parser_free(&p);
}

static void
round_trip_both(const char *s, size_t len)
{
	round_trip(s, len, ACAP_PARSER_COMMAND);
	round_trip(s, len, ACAP_PARSER_RESPONSE);
}

START_TEST(test_round_trip)
{
	static const char *const simple[] = {
		"", "a", "hello world", "\"", "\\", "\"\\\"", "tab\there",
		"caf\xc3\xa9", "{5}", "{5+}", "(a b)", "NIL", "*", "\xff\xfe",
	};
	static const struct {
		const char *s;
		size_t len;
	} binary[] = {
		{ "\0", 1 }, { "\r", 1 }, { "\n", 1 }, { "\r\n", 2 },
		{ "a\0b", 3 }, { "line1\r\nline2", 12 },
		{ "\0tim\0tanstaaftanstaaf", 21 }, { "x\r\n{3}\r\n", 8 },
	};
	char all[256], *s;
	size_t i, n;
	uint32_t st = 99;

	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		round_trip_both(simple[i], strlen(simple[i]));
	for (i = 0; i < sizeof(binary) / sizeof(binary[0]); i++)
		round_trip_both(binary[i].s, binary[i].len);
	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	round_trip_both(all, sizeof(all));
	for (i = 0; i < 256; i++)
		round_trip_both(all + i, 1);	/* every single octet */

	/* 1024 and 1025 octets, plain and with quoted-specials */
	for (n = 1020; n <= 1026; n++) {
		s = filled('q', n, "");
		round_trip_both(s, n);
		s[n / 2] = '"';
		round_trip_both(s, n);
		s[n - 1] = '\\';
		round_trip_both(s, n);
		free(s);
	}
	/* random binary values */
	s = malloc(5000);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < 200; i++) {
		size_t k;

		n = (st = st * 1103515245u + 12345u) >> 8;
		n %= 5000;
		for (k = 0; k < n; k++) {
			st = st * 1103515245u + 12345u;
			s[k] = (char)(st >> 16);
			/* sometimes keep it quotable */
			if (i % 2 == 0 && (s[k] == '\0' || s[k] == '\r' ||
			    s[k] == '\n'))
				s[k] = 'z';
		}
		round_trip_both(s, n);
	}
	free(s);
}
END_TEST

/* Parse the output of acap_buf_add_text: one quoted string. */
static void
text_check(const char *in, const char *want)
{
	struct acap_parser *p = acap_parser_new(ACAP_PARSER_RESPONSE, &lim);
	struct acap_buf b = ACAP_BUF_INIT;
	const struct acap_cmd *cmd;
	size_t used;

	acap_buf_addstr(&b, "* OK ");
	acap_buf_add_text(&b, in);
	ck_assert_uint_ge(b.len, 7);
	ck_assert_int_eq(b.data[5], '"');
	ck_assert_int_eq(b.data[b.len - 1], '"');
	ck_assert_uint_le(b.len - 7, 1024);	/* between the quotes */
	acap_buf_addstr(&b, "\r\n");
	ck_assert_int_eq(acap_parser_feed(p, b.data, b.len, &used, &cmd), 1);
	ck_assert_uint_eq(used, b.len);
	ck_assert_int_eq(cmd->args[1].type, ACAP_ARG_STRING);
	ck_assert(!cmd->args[1].literal);
	ck_assert_str_eq(cmd->args[1].str, want);
	acap_buf_deinit(&b);
	acap_parser_free(&p);
}

START_TEST(test_text)
{
	char *in, *want;

	text_check("SEARCH completed", "SEARCH completed");
	text_check("", "");
	text_check(NULL, "");
	text_check("say \"hi\" \\o/", "say \"hi\" \\o/");
	text_check("two\r\nlines\n", "two  lines ");
	text_check("caf\xc3\xa9", "caf\xc3\xa9");

	/* cut at 1024 octets */
	in = filled('a', 2000, "");
	want = filled('a', 1024, "");
	text_check(in, want);
	free(in);
	free(want);
	/* ... counted as sent: an escape that would pass 1024 is dropped */
	in = filled('a', 1023, "\"tail");
	want = filled('a', 1023, "");
	text_check(in, want);
	free(in);
	free(want);
	in = filled('a', 1022, "\"tail");
	want = filled('a', 1022, "\"");
	text_check(in, want);
	free(in);
	free(want);
	/* ... never inside a UTF-8 character */
	in = filled('a', 1023, "\xc3\xa9");
	want = filled('a', 1023, "");
	text_check(in, want);
	free(in);
	free(want);
	in = filled('a', 1022, "\xc3\xa9z");
	want = filled('a', 1022, "\xc3\xa9");
	text_check(in, want);
	free(in);
	free(want);
	in = filled('a', 1022, "\xe2\x82\xac");
	want = filled('a', 1022, "");
	text_check(in, want);
	free(in);
	free(want);
	in = filled('a', 1021, "\xe2\x82\xac!");
	want = filled('a', 1021, "\xe2\x82\xac");
	text_check(in, want);
	free(in);
	free(want);
	in = filled('a', 1021, "\xf0\x9f\x98\x80");
	want = filled('a', 1021, "");
	text_check(in, want);
	free(in);
	free(want);
	/* stray octets are single units */
	in = filled('a', 1023, "\xa9\xa9");
	want = filled('a', 1023, "\xa9");
	text_check(in, want);
	free(in);
	free(want);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("acap-buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, test_buffer);
	tcase_add_test(tc, test_printf_long);
	tcase_add_test(tc, test_needs_literal);
	tcase_add_test(tc, test_add_string);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_text);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(buf_suite());
	int failed;

	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
