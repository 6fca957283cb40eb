/*
 * check_bench.c -- unit tests for acap-bench's helpers: histogram
 * quantiles and encoding (bench-hist.c), request templates
 * (bench-client.c), the JSON writer (bench-json.c).  The benchmarks
 * themselves never run under "make check".
 */
#include "autoconf.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acap-buf.h"
#include "bench-client.h"
#include "bench-hist.h"
#include "bench-json.h"
#include "bench-proc.h"

/* Quantiles are within one bucket (1/64 relative) of the exact value. */
static void
assert_close(uint64_t got, uint64_t want)
{
	double d = fabs((double)got - (double)want);

	ck_assert_msg(d <= (double)want / 64.0 + 1.0,
	    "got %llu, want %llu", (unsigned long long)got,
	    (unsigned long long)want);
}

START_TEST(hist_empty)
{
	struct bench_hist *h = bench_hist_new();

	ck_assert_uint_eq(bench_hist_count(h), 0);
	ck_assert_uint_eq(bench_hist_quantile(h, 0.5), 0);
	ck_assert_uint_eq(bench_hist_max(h), 0);
	ck_assert(bench_hist_mean(h) == 0.0);
	bench_hist_free(&h);
	ck_assert_ptr_null(h);
}
END_TEST

START_TEST(hist_small_values_exact)
{
	struct bench_hist *h = bench_hist_new();
	uint64_t v;

	for (v = 1; v <= 100; v++)
		bench_hist_add(h, v);
	ck_assert_uint_eq(bench_hist_count(h), 100);
	ck_assert_uint_eq(bench_hist_min(h), 1);
	ck_assert_uint_eq(bench_hist_max(h), 100);
	ck_assert_uint_eq(bench_hist_quantile(h, 0.5), 50);
	ck_assert_uint_eq(bench_hist_quantile(h, 0.99), 99);
	ck_assert_uint_eq(bench_hist_quantile(h, 1.0), 100);
	ck_assert(fabs(bench_hist_mean(h) - 50.5) < 1e-9);
	bench_hist_free(&h);
}
END_TEST

START_TEST(hist_large_values_relative_error)
{
	struct bench_hist *h = bench_hist_new();
	uint64_t v;

	/* 1 us .. 10 ms in 1 us steps */
	for (v = 1; v <= 10000; v++)
		bench_hist_add(h, v * 1000);
	assert_close(bench_hist_quantile(h, 0.5), 5000000);
	assert_close(bench_hist_quantile(h, 0.99), 9900000);
	assert_close(bench_hist_quantile(h, 0.999), 9990000);
	ck_assert_uint_eq(bench_hist_max(h), 10000000);
	bench_hist_free(&h);
}
END_TEST

START_TEST(hist_outlier_shows_in_tail_only)
{
	struct bench_hist *h = bench_hist_new();
	int i;

	for (i = 0; i < 999; i++)
		bench_hist_add(h, 1000000);	/* 1 ms */
	bench_hist_add(h, 500000000);		/* 500 ms */
	assert_close(bench_hist_quantile(h, 0.5), 1000000);
	assert_close(bench_hist_quantile(h, 0.99), 1000000);
	assert_close(bench_hist_quantile(h, 0.9995), 500000000);
	ck_assert_uint_eq(bench_hist_max(h), 500000000);
	bench_hist_free(&h);
}
END_TEST

START_TEST(hist_huge_value_clamped)
{
	struct bench_hist *h = bench_hist_new();

	bench_hist_add(h, UINT64_MAX / 2);
	ck_assert_uint_eq(bench_hist_count(h), 1);
	ck_assert_uint_eq(bench_hist_max(h), UINT64_MAX / 2);
	ck_assert_uint_eq(bench_hist_quantile(h, 0.5), UINT64_MAX / 2);
	bench_hist_free(&h);
}
END_TEST

START_TEST(hist_merge_and_encoding)
{
	struct bench_hist *a = bench_hist_new(), *b = bench_hist_new();
	struct bench_hist *c = bench_hist_new();
	struct acap_buf buf = ACAP_BUF_INIT;
	uint64_t v;

	for (v = 1; v <= 500; v++)
		bench_hist_add(a, v * 997);
	for (v = 501; v <= 1000; v++)
		bench_hist_add(b, v * 997);
	bench_hist_encode(a, &buf);
	ck_assert_int_eq(bench_hist_decode_merge(c, buf.data, buf.len), 0);
	acap_buf_reset(&buf);
	bench_hist_encode(b, &buf);
	ck_assert_int_eq(bench_hist_decode_merge(c, buf.data, buf.len), 0);
	bench_hist_merge(a, b);
	ck_assert_uint_eq(bench_hist_count(c), 1000);
	ck_assert_uint_eq(bench_hist_count(a), 1000);
	ck_assert_uint_eq(bench_hist_min(c), 997);
	ck_assert_uint_eq(bench_hist_max(c), 997000);
	ck_assert_uint_eq(bench_hist_quantile(c, 0.5),
	    bench_hist_quantile(a, 0.5));
	ck_assert_uint_eq(bench_hist_quantile(c, 0.99),
	    bench_hist_quantile(a, 0.99));
	assert_close(bench_hist_quantile(c, 0.5), 500 * 997);
	/* truncated and corrupted encodings are refused, h unchanged */
	ck_assert_int_eq(bench_hist_decode_merge(c, buf.data, buf.len - 1),
	    -1);
	ck_assert_int_eq(bench_hist_decode_merge(c, buf.data, 4), -1);
	buf.data[0] ^= 0x55;
	ck_assert_int_eq(bench_hist_decode_merge(c, buf.data, buf.len), -1);
	ck_assert_uint_eq(bench_hist_count(c), 1000);
	acap_buf_deinit(&buf);
	bench_hist_free(&a);
	bench_hist_free(&b);
	bench_hist_free(&c);
}
END_TEST

START_TEST(expand_placeholders)
{
	char out[128];
	int n;

	n = bench_client_expand("STORE (\"/option/user/{user}/b\" \"x\" "
	    "\"{n}\") {conn}", "u42", 7, 3, out, sizeof(out));
	ck_assert_str_eq(out, "STORE (\"/option/user/u42/b\" \"x\" \"7\") 3");
	ck_assert_int_eq(n, (int)strlen(out));
	/* unknown braces pass through (literal syntax stays intact) */
	n = bench_client_expand("{5+} {user", "u1", 0, 0, out, sizeof(out));
	ck_assert_str_eq(out, "{5+} {user");
	/* too small: refused, not truncated */
	ck_assert_int_eq(bench_client_expand("{user}{user}", "abcdef", 0, 0,
	    out, 12), -1);
	ck_assert_int_eq(bench_client_expand("{user}{user}", "abcdef", 0, 0,
	    out, 13), 12);
}
END_TEST

START_TEST(json_writer)
{
	struct bench_json *j = bench_json_new();

	bench_json_open(j, NULL);
	bench_json_str(j, "s", "a\"b\\c\n");
	bench_json_str(j, "null", NULL);
	bench_json_uint(j, "u", 9223372036854775807ull);
	bench_json_uint(j, "big", 18446744073709551615ull);
	bench_json_num(j, "n", 42.0);
	bench_json_num(j, "x", 1.5);
	bench_json_num(j, "inf", INFINITY);
	bench_json_open_array(j, "a");
	bench_json_bool(j, NULL, true);
	bench_json_open(j, NULL);
	bench_json_close(j);
	bench_json_close_array(j);
	bench_json_open_array(j, "empty");
	bench_json_close_array(j);
	bench_json_close(j);
	ck_assert_str_eq(bench_json_text(j),
	    "{\n"
	    "  \"s\": \"a\\\"b\\\\c\\n\",\n"
	    "  \"null\": null,\n"
	    "  \"u\": 9223372036854775807,\n"
	    "  \"big\": 1.84467e19,\n"
	    "  \"n\": 42,\n"
	    "  \"x\": 1.5,\n"
	    "  \"inf\": null,\n"
	    "  \"a\": [\n"
	    "    true,\n"
	    "    {}\n"
	    "  ],\n"
	    "  \"empty\": []\n"
	    "}\n");
	bench_json_free(&j);
	ck_assert_ptr_null(j);
}
END_TEST

START_TEST(proc_self)
{
	struct bench_proc_sample s;
	uint64_t t0 = bench_proc_now_ns();

	ck_assert_int_eq(bench_proc_sample(getpid(), &s), 0);
	ck_assert_uint_gt(s.rss_kb, 0);
	ck_assert_uint_ge(s.hwm_kb, s.rss_kb);
	ck_assert_uint_gt(s.fds, 2);
	ck_assert_uint_ge(s.t_ns, t0);
	ck_assert(s.cpu_user >= 0 && s.cpu_sys >= 0);
	/* a pid that cannot exist */
	ck_assert_int_eq(bench_proc_sample((pid_t)0x7ffffff0, &s), -1);
}
END_TEST

static Suite *
bench_suite(void)
{
	Suite *s = suite_create("bench");
	TCase *tc = tcase_create("helpers");

	tcase_add_test(tc, hist_empty);
	tcase_add_test(tc, hist_small_values_exact);
	tcase_add_test(tc, hist_large_values_relative_error);
	tcase_add_test(tc, hist_outlier_shows_in_tail_only);
	tcase_add_test(tc, hist_huge_value_clamped);
	tcase_add_test(tc, hist_merge_and_encoding);
	tcase_add_test(tc, expand_placeholders);
	tcase_add_test(tc, json_writer);
	tcase_add_test(tc, proc_self);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(bench_suite());
	int failed;

	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
