/*
 * check_profile.c -- unit suite for libacap/profile.c: the mapping of the
 * model's attributes (URLs, TLS policy, idle ceiling) onto struct profile,
 * the ports and socket types it settles on, and the escaping and shape of
 * the autoconfig and Autodiscover documents.
 */
#include "autoconf.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

START_TEST(test_imap_urls)
{
	static const struct {
		const char *url, *tls;
		const char *host;
		unsigned int port;
		enum profile_socket socket;
	} rows[] = {
		{ "imap://imap.example/", NULL, "imap.example", 143,
		    PROFILE_SOCKET_STARTTLS },
		{ "imaps://imap.example/", NULL, "imap.example", 993,
		    PROFILE_SOCKET_SSL },
		{ "imap://imap.example/", "implicit", "imap.example", 993,
		    PROFILE_SOCKET_SSL },
		{ "imap://imap.example:1143/", "implicit", "imap.example", 1143,
		    PROFILE_SOCKET_SSL },
		{ "IMAP://Imap.Example:144", "starttls-optional",
		    "Imap.Example", 144, PROFILE_SOCKET_STARTTLS },
		{ "imap://[::1]:143/INBOX", NULL, "[::1]", 143,
		    PROFILE_SOCKET_STARTTLS },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct profile p;

		profile_init(&p);
		ck_assert_int_eq(profile_set_attr(&p, PROFILE_EMAIL,
		    "email.server.IMAP", rows[i].url), 1);
		if (rows[i].tls != NULL)
			ck_assert_int_eq(profile_set_attr(&p, PROFILE_EMAIL,
			    "vendor.acapd.tls", rows[i].tls), 1);
		profile_finish(&p);
		ck_assert_str_eq(p.imap.host, rows[i].host);
		ck_assert_uint_eq(p.imap.port, rows[i].port);
		ck_assert_int_eq(p.imap.socket, rows[i].socket);
		profile_free(&p);
	}
}
END_TEST

START_TEST(test_smtp_and_auth)
{
	struct profile p;

	profile_init(&p);
	/* draft-ietf-acap-pers §8: smtp: without a port is 25 */
	ck_assert_int_eq(profile_set_attr(&p, PROFILE_PERSONALITY,
	    "personality.Server.SMTP", "smtp:mx.example"), 1);
	profile_finish(&p);
	ck_assert_uint_eq(p.smtp.port, 25);
	ck_assert_int_eq(profile_set_attr(&p, PROFILE_PERSONALITY,
	    "personality.Server.SMTP", "submission://sub.example"), 1);
	profile_finish(&p);
	ck_assert_uint_eq(p.smtp.port, 587);
	ck_assert_int_eq(p.smtp.socket, PROFILE_SOCKET_STARTTLS);
	ck_assert_int_eq(profile_set_attr(&p, PROFILE_PERSONALITY,
	    "personality.Server.SMTP", "smtps://ann%40x;AUTH=CRAM-MD5@s.example"),
	    1);
	profile_finish(&p);
	ck_assert_uint_eq(p.smtp.port, 465);
	ck_assert_int_eq(p.smtp.socket, PROFILE_SOCKET_SSL);
	ck_assert_str_eq(p.smtp.login, "ann@x");
	ck_assert_str_eq(p.smtp.auth, "CRAM-MD5");
	ck_assert_str_eq(profile_auth_autoconfig(p.smtp.auth),
	    "password-encrypted");
	/* the email entry's policy does not touch the personality's server */
	ck_assert_int_eq(profile_set_attr(&p, PROFILE_EMAIL,
	    "vendor.acapd.tls", "implicit"), 1);
	ck_assert_int_eq(p.smtp.tls, PROFILE_TLS_UNSET);
	/* bad values: refused, the server stays unset */
	ck_assert_int_eq(profile_set_attr(&p, PROFILE_PERSONALITY,
	    "personality.Server.SMTP", "http://x.example"), -1);
	ck_assert_ptr_null(p.smtp.host);
	ck_assert_int_eq(profile_set_attr(&p, PROFILE_EMAIL,
	    "email.server.IMAP", "imap://h:99999/"), -1);
	ck_assert_int_eq(profile_set_attr(&p, PROFILE_EMAIL,
	    "email.server.IMAP", "imap:///"), -1);
	ck_assert_int_eq(profile_set_attr(&p, PROFILE_EMAIL,
	    "vendor.acapd.idle-ceiling", "1740"), 1);
	ck_assert_int_eq(p.idle_ceiling, 1740);
	ck_assert_int_eq(profile_set_attr(&p, PROFILE_EMAIL,
	    "vendor.acapd.idle-ceiling", "-5"), -1);
	ck_assert_int_eq(profile_set_attr(&p, PROFILE_EMAIL,
	    "email.check-interval", "600"), 0);
	profile_free(&p);
}
END_TEST

START_TEST(test_documents)
{
	struct acap_buf b = ACAP_BUF_INIT;
	struct profile p;

	profile_init(&p);
	profile_set_str(&p.domain, "acme.example");
	profile_set_str(&p.org_name, "a&b");
	profile_set_attr(&p, PROFILE_EMAIL, "email.server.IMAP",
	    "imaps://imap.acme.example/");
	profile_set_attr(&p, PROFILE_PERSONALITY, "personality.Server.SMTP",
	    "smtp:smtp.acme.example:587");
	profile_set_attr(&p, PROFILE_PERSONALITY, "personality.Real-Name",
	    "<Ann> \"O'Neil\"\x01");
	profile_autoconfig_xml(&p, &b);
	ck_assert_ptr_nonnull(strstr(b.data, "<displayShortName>a&amp;b<"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "<username>%EMAILADDRESS%</username>"));
	ck_assert_ptr_nonnull(strstr(b.data, "<socketType>SSL</socketType>"));
	ck_assert_ptr_nonnull(strstr(b.data, "<port>993</port>"));
	ck_assert_ptr_null(strstr(b.data, "a&b"));
	acap_buf_reset(&b);
	profile_autodiscover_xml(&p, &b);
	ck_assert_ptr_nonnull(strstr(b.data, "<DisplayName>&lt;Ann&gt; "
	    "&quot;O&apos;Neil&quot; </DisplayName>"));
	ck_assert_ptr_nonnull(strstr(b.data, "<Encryption>SSL</Encryption>"));
	ck_assert_ptr_nonnull(strstr(b.data, "<Encryption>TLS</Encryption>"));
	ck_assert_ptr_null(strstr(b.data, "<LoginName>"));
	profile_set_str(&p.login, "ann");
	acap_buf_reset(&b);
	profile_autodiscover_xml(&p, &b);
	ck_assert_ptr_nonnull(strstr(b.data, "<LoginName>ann</LoginName>"));
	/* a placeholder login: autoconfig keeps it, Autodiscover drops it */
	profile_set_attr(&p, PROFILE_EMAIL, "email.server.IMAP",
	    "imap://%25EMAILLOCALPART%25@imap.acme.example/");
	acap_buf_reset(&b);
	profile_autoconfig_xml(&p, &b);
	ck_assert_ptr_nonnull(strstr(b.data,
	    "<username>%EMAILLOCALPART%</username>"));
	acap_buf_reset(&b);
	profile_autodiscover_xml(&p, &b);
	ck_assert_ptr_null(strstr(b.data, "EMAILLOCALPART"));
	/* invalid UTF-8 and U+FFFF become U+FFFD */
	acap_buf_reset(&b);
	profile_xml_escape(&b, "a\xff" "b\xef\xbf\xbf" "c\xc3\xa9");
	ck_assert_str_eq(b.data, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xc3\xa9");
	acap_buf_deinit(&b);
	profile_free(&p);
}
END_TEST

static Suite *
profile_suite(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("profile");

	tcase_add_test(tc, test_imap_urls);
	tcase_add_test(tc, test_smtp_and_auth);
	tcase_add_test(tc, test_documents);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(profile_suite());
	int failed;

	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
