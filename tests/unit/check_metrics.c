/*
 * check_metrics.c -- the metrics registry (acapd/metrics.c): label sets
 * fixed (an unknown verb or mechanism goes to its catch-all), histogram
 * buckets "less than or equal" and cumulative, and the text it renders.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* The exposition as a string (caller frees). */
static char *
render(void)
{
	struct metrics_gauges g = { 1, 2, 1, 100, 3, 1000.0 };
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(fp);
	metrics_render(fp, &g);
	fclose(fp);
	return text;
}

static void
has(const char *text, const char *line)
{
	char *want;

	ck_assert_int_ne(asprintf(&want, "\n%s\n", line), -1);
	if (strstr(text, want) == NULL)
		ck_abort_msg("no line \"%s\" in the exposition", line);
	free(want);
}

START_TEST(test_commands_by_verb_and_result)
{
	char *t;

	metrics_reset();
	metrics_command("STORE", M_RES_OK, 0);
	metrics_command("STORE", M_RES_OK, 0);
	metrics_command("STORE", M_RES_NO, 0);
	metrics_command("search", M_RES_BAD, 0);	/* case as the table */
	metrics_command("FROB", M_RES_BAD, 0);
	metrics_command("", M_RES_BAD, 0);
	metrics_command(NULL, M_RES_BAD, 0);
	t = render();
	has(t, "acapd_commands_total{verb=\"STORE\",result=\"OK\"} 2");
	has(t, "acapd_commands_total{verb=\"STORE\",result=\"NO\"} 1");
	has(t, "acapd_commands_total{verb=\"SEARCH\",result=\"BAD\"} 1");
	has(t, "acapd_commands_total{verb=\"unknown\",result=\"BAD\"} 3");
	/* start_us 0: no latency observed */
	has(t, "acapd_command_duration_seconds_count{verb=\"STORE\"} 0");
	free(t);
}
END_TEST

START_TEST(test_latency_buckets)
{
	long long now = metrics_now_us();
	char *t;

	metrics_reset();
	/* far in the past: beyond every finite bucket */
	metrics_command("NOOP", M_RES_OK, now - 60 * 1000000LL);
	metrics_command("NOOP", M_RES_OK, metrics_now_us());
	t = render();
	has(t, "acapd_command_duration_seconds_bucket{verb=\"NOOP\","
	    "le=\"10\"} 1");
	has(t, "acapd_command_duration_seconds_bucket{verb=\"NOOP\","
	    "le=\"+Inf\"} 2");
	has(t, "acapd_command_duration_seconds_count{verb=\"NOOP\"} 2");
	free(t);
}
END_TEST

START_TEST(test_batch_histogram_le_inclusive)
{
	char *t;

	metrics_reset();
	metrics_store_commit(1, 500, true);
	metrics_store_commit(2, 500, true);
	metrics_store_commit(3, 1500, true);
	metrics_store_commit(5000, 100, true);
	metrics_store_commit(0, 100, false);
	t = render();
	has(t, "acapd_store_batch_size_bucket{le=\"1\"} 1");
	has(t, "acapd_store_batch_size_bucket{le=\"2\"} 2");
	has(t, "acapd_store_batch_size_bucket{le=\"4\"} 3");
	has(t, "acapd_store_batch_size_bucket{le=\"1024\"} 3");
	has(t, "acapd_store_batch_size_bucket{le=\"+Inf\"} 4");
	has(t, "acapd_store_batch_size_sum 5006.000000");
	has(t, "acapd_store_batch_size_count 4");
	has(t, "acapd_store_commit_duration_seconds_bucket{le=\"0.0005\"} 3");
	has(t, "acapd_store_commit_duration_seconds_bucket{le=\"0.0025\"} 4");
	has(t, "acapd_store_commit_duration_seconds_sum 0.002600");
	has(t, "acapd_store_commits_total{result=\"ok\"} 4");
	has(t, "acapd_store_commits_total{result=\"failed\"} 1");
	free(t);
}
END_TEST

START_TEST(test_auth_and_counters)
{
	char *t;

	metrics_reset();
	metrics_auth("PLAIN", true);
	metrics_auth("scram-sha-256", false);
	metrics_auth("X-NEW", false);
	metrics_auth(NULL, false);
	metrics_inc(M_TLS_OK);
	metrics_inc(M_NOTIFY_ADDTO);
	metrics_inc(M_NOTIFY_ADDTO);
	t = render();
	has(t, "acapd_auth_total{mechanism=\"PLAIN\",result=\"success\"} 1");
	has(t, "acapd_auth_total{mechanism=\"SCRAM-SHA-256\","
	    "result=\"failure\"} 1");
	has(t, "acapd_auth_total{mechanism=\"other\",result=\"failure\"} 2");
	has(t, "acapd_tls_handshakes_total{result=\"ok\"} 1");
	has(t, "acapd_notifications_total{kind=\"ADDTO\"} 2");
	has(t, "acapd_connections{state=\"unauthenticated\"} 1");
	has(t, "acapd_connections{state=\"authenticated\"} 2");
	has(t, "acapd_contexts 3");
	has(t, "# TYPE acapd_commands_total counter");
	has(t, "# TYPE acapd_store_batch_size histogram");
	ck_assert(strncmp(t, "# HELP acapd_start_time_seconds ", 32) == 0);
	ck_assert(t[strlen(t) - 1] == '\n');
	free(t);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_commands_by_verb_and_result);
	tcase_add_test(tc, test_latency_buckets);
	tcase_add_test(tc, test_batch_histogram_le_inclusive);
	tcase_add_test(tc, test_auth_and_counters);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	int failed;

	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
