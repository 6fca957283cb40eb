/*
 * check_tls.c -- acapd/tls.c: self-signed certificates, server contexts,
 * in-memory handshakes over BIO pairs, reload-and-swap, client
 * certificate identities, random passwords.  Files go to mkdtemp dirs.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"

static char tmpdir[64];
static char cert[128], key[128];

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
path_in(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

static void
make_cert(const char *certname, const char *keyname, const char *cn,
    enum tls_key_type type)
{
	char c[128], k[128];
	const char *err = NULL;

	path_in(c, sizeof(c), certname);
	path_in(k, sizeof(k), keyname);
	if (tls_selfsigned_create(c, k, cn, type, &err) != 0)
		ck_abort_msg("tls_selfsigned_create: %s", err);
}

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/acapd-check-tls-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	path_in(cert, sizeof(cert), "cert.pem");
	path_in(key, sizeof(key), "key.pem");
	make_cert("cert.pem", "key.pem", "acap.example.org", TLS_KEY_EC_P256);
}

static void
teardown(void)
{
	nftw(tmpdir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

static struct tls_ctx *
server_ctx(const char *certfile, const char *keyfile, const char *ca)
{
	struct tls_opts o;
	struct tls_ctx *ctx = NULL;
	const char *err = NULL;

	tls_opts_init(&o);
	o.cert_file = certfile;
	o.key_file = keyfile;
	o.ca_file = ca;
	if (tls_ctx_new(&o, &ctx, &err) != 0)
		ck_abort_msg("tls_ctx_new: %s", err);
	ck_assert_ptr_nonnull(ctx);
	return ctx;
}

/* A client context trusting trustfile, checking the name "localhost". */
static SSL_CTX *
client_ctx(const char *trustfile, int max_version)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(SSL_CTX_load_verify_locations(c, trustfile, NULL), 1);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	if (max_version != 0)
		ck_assert_int_eq(SSL_CTX_set_max_proto_version(c, max_version),
		    1);
	return c;
}

/* Run both ends over a BIO pair.  0 when both finished, -1 on failure. */
static int
handshake(SSL *srv, SSL *cli)
{
	BIO *bs, *bc;
	int i, rs, rc, es, ec;

	ck_assert_int_eq(BIO_new_bio_pair(&bs, 0, &bc, 0), 1);
	SSL_set_bio(srv, bs, bs);
	SSL_set_bio(cli, bc, bc);
	SSL_set_connect_state(cli);
	ck_assert_int_eq(SSL_set1_host(cli, "localhost"), 1);
	for (i = 0; i < 64; i++) {
		rc = SSL_do_handshake(cli);
		rs = SSL_do_handshake(srv);
		if (rc == 1 && rs == 1)
			return 0;
		ec = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(cli, rc);
		es = rs == 1 ? SSL_ERROR_NONE : SSL_get_error(srv, rs);
		if ((ec != SSL_ERROR_NONE && ec != SSL_ERROR_WANT_READ &&
		    ec != SSL_ERROR_WANT_WRITE) ||
		    (es != SSL_ERROR_NONE && es != SSL_ERROR_WANT_READ &&
		    es != SSL_ERROR_WANT_WRITE)) {
			ERR_clear_error();
			return -1;
		}
	}
	return -1;
}

/* What the last successful try_handshake() negotiated. */
static const char *last_cipher;
static int last_version;

/* Handshake a fresh SSL from ctx with a client trusting trustfile. */
static int
try_handshake(struct tls_ctx *ctx, const char *trustfile, int max_version,
    char **peer_cn_r)
{
	SSL_CTX *cc = client_ctx(trustfile, max_version);
	SSL *srv, *cli;
	const char *err = NULL;
	char buf[8];
	int r;

	srv = tls_ctx_ssl_new(ctx, &err);
	ck_assert_ptr_nonnull(srv);
	ck_assert(SSL_is_server(srv));
	cli = SSL_new(cc);
	last_cipher = NULL;
	last_version = 0;
	r = handshake(srv, cli);
	if (r == 0) {
		/* OpenSSL's own static name: still valid after SSL_free() */
		last_cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(srv));
		last_version = SSL_version(srv);
		ck_assert_int_eq(SSL_get_verify_result(cli), X509_V_OK);
		ck_assert_uint_ge(tls_ssl_ssf(srv), 128);
		/* Application data flows. */
		ck_assert_int_eq(SSL_write(cli, "hello", 5), 5);
		ck_assert_int_eq(SSL_read(srv, buf, sizeof(buf)), 5);
		ck_assert(memcmp(buf, "hello", 5) == 0);
		/* Idle connections keep no buffers. */
		ck_assert(SSL_get_mode(srv) & SSL_MODE_RELEASE_BUFFERS);
	}
	if (peer_cn_r != NULL)
		*peer_cn_r = r == 0 ? tls_peer_cn(srv) : NULL;
	SSL_free(cli);
	SSL_free(srv);
	SSL_CTX_free(cc);
	return r;
}

static X509 *
read_cert(const char *path)
{
	FILE *fp = fopen(path, "r");
	X509 *x;

	ck_assert_ptr_nonnull(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	ck_assert_ptr_nonnull(x);
	return x;
}

/* ---- self-signed certificates ---------------------------------------- */

START_TEST(test_selfsigned_ec)
{
	struct stat st;
	X509 *x;
	EVP_PKEY *pk;
	char cn[128];
	time_t now = time(NULL), in9y = now + 9L * 366 * 86400;

	ck_assert_int_eq(stat(key, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(stat(cert, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	x = read_cert(cert);
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	    cn, sizeof(cn));
	ck_assert_str_eq(cn, "acap.example.org");
	/* Self-signed: issuer = subject, and the signature verifies. */
	ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_issuer_name(x)), 0);
	pk = X509_get0_pubkey(x);
	ck_assert_int_eq(EVP_PKEY_base_id(pk), EVP_PKEY_EC);
	ck_assert_int_eq(X509_verify(x, pk), 1);
	/* SAN: the host name, localhost and the loopback addresses. */
	ck_assert_int_eq(X509_check_host(x, "acap.example.org", 0, 0, NULL),
	    1);
	ck_assert_int_eq(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	ck_assert_int_eq(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	ck_assert_int_eq(X509_check_ip_asc(x, "::1", 0), 1);
	ck_assert_int_eq(X509_check_host(x, "other.example.org", 0, 0, NULL),
	    0);
	/* Valid now and for about ten years. */
	ck_assert_int_lt(X509_cmp_time(X509_get0_notBefore(x), &now), 0);
	ck_assert_int_gt(X509_cmp_time(X509_get0_notAfter(x), &in9y), 0);
	X509_free(x);
}
END_TEST

START_TEST(test_selfsigned_rsa)
{
	char c[128], k[128];
	struct tls_ctx *ctx;
	X509 *x;

	make_cert("rsa.pem", "rsa.key", "localhost", TLS_KEY_RSA_2048);
	path_in(c, sizeof(c), "rsa.pem");
	path_in(k, sizeof(k), "rsa.key");
	x = read_cert(c);
	ck_assert_int_eq(EVP_PKEY_base_id(X509_get0_pubkey(x)), EVP_PKEY_RSA);
	ck_assert_int_eq(EVP_PKEY_bits(X509_get0_pubkey(x)), 2048);
	X509_free(x);
	ctx = server_ctx(c, k, NULL);
	ck_assert_int_eq(try_handshake(ctx, c, 0, NULL), 0);
	ck_assert_int_eq(try_handshake(ctx, c, TLS1_2_VERSION, NULL), 0);
	tls_ctx_free(&ctx);
}
END_TEST

START_TEST(test_selfsigned_no_overwrite)
{
	const char *err = NULL;
	char other[128];
	struct stat st;
	mode_t old;

	ck_assert_int_eq(tls_selfsigned_create(cert, key, "x", TLS_KEY_EC_P256,
	    &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "already exists"));
	/* Neither file is touched, and a half-made pair is not left. */
	path_in(other, sizeof(other), "new.pem");
	ck_assert_int_eq(tls_selfsigned_create(other, key, "x",
	    TLS_KEY_EC_P256, &err), -1);
	ck_assert_int_eq(stat(other, &st), -1);
	ck_assert_int_eq(tls_selfsigned_create(cert, other, "",
	    TLS_KEY_EC_P256, &err), -1);
	/* A permissive umask does not make the key readable. */
	old = umask(0);
	make_cert("u.pem", "u.key", "localhost", TLS_KEY_EC_P256);
	umask(old);
	path_in(other, sizeof(other), "u.key");
	ck_assert_int_eq(stat(other, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

/* ---- contexts and handshakes ----------------------------------------- */

START_TEST(test_handshake)
{
	struct tls_ctx *ctx = server_ctx(cert, key, NULL);
	SSL_CTX *c = tls_ctx_get(ctx);
	SSL_CTX *other;
	char *cn = (char *)"unset";

	ck_assert(SSL_CTX_get_mode(c) & SSL_MODE_RELEASE_BUFFERS);
	ck_assert(SSL_CTX_get_options(c) & SSL_OP_NO_RENEGOTIATION);
	ck_assert(SSL_CTX_get_options(c) & SSL_OP_NO_COMPRESSION);
	ck_assert_int_eq(SSL_CTX_get_min_proto_version(c), TLS1_2_VERSION);
	ck_assert_int_eq(try_handshake(ctx, cert, 0, &cn), 0);
	/* No CA file: no client certificate, no identity. */
	ck_assert_ptr_null(cn);
	/* TLS 1.2 still accepted by default, 1.1 not (RFC 8314 §4.1). */
	ck_assert_int_eq(try_handshake(ctx, cert, TLS1_2_VERSION, NULL), 0);
	ck_assert_int_eq(try_handshake(ctx, cert, TLS1_1_VERSION, NULL), -1);
	/* A client that trusts another certificate refuses ours. */
	make_cert("other.pem", "other.key", "localhost", TLS_KEY_EC_P256);
	{
		char o[128];

		path_in(o, sizeof(o), "other.pem");
		ck_assert_int_eq(try_handshake(ctx, o, 0, NULL), -1);
	}
	other = tls_ctx_get(ctx);
	ck_assert_ptr_eq(other, c);
	ck_assert_uint_eq(tls_ssl_ssf(NULL), 0);
	tls_ctx_free(&ctx);
	ck_assert_ptr_null(ctx);
}
END_TEST

START_TEST(test_min_protocol)
{
	struct tls_opts o;
	struct tls_ctx *ctx = NULL;
	const char *err = NULL;

	tls_opts_init(&o);
	o.cert_file = cert;
	o.key_file = key;
	o.min_protocol = "TLSv1.3";
	ck_assert_int_eq(tls_ctx_new(&o, &ctx, &err), 0);
	ck_assert_int_eq(try_handshake(ctx, cert, TLS1_2_VERSION, NULL), -1);
	ck_assert_int_eq(try_handshake(ctx, cert, 0, NULL), 0);
	tls_ctx_free(&ctx);
	o.min_protocol = "TLSv1.0";
	ck_assert_int_eq(tls_ctx_new(&o, &ctx, &err), -1);
	ck_assert_ptr_null(ctx);
	ck_assert_ptr_nonnull(strstr(err, "TLSv1.0"));
}
END_TEST

START_TEST(test_ciphers)
{
	struct tls_opts o;
	struct tls_ctx *ctx = NULL;
	const char *err = NULL;

	tls_opts_init(&o);
	o.cert_file = cert;
	o.key_file = key;
	/*
	 * Not what a default client prefers (AES-256 first): a server that
	 * ignored the options would negotiate something else, and both
	 * handshakes would still succeed.
	 */
	o.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
	o.ciphersuites = "TLS_AES_128_GCM_SHA256";
	ck_assert_int_eq(tls_ctx_new(&o, &ctx, &err), 0);
	ck_assert_int_eq(try_handshake(ctx, cert, TLS1_2_VERSION, NULL), 0);
	ck_assert_int_eq(last_version, TLS1_2_VERSION);
	ck_assert_str_eq(last_cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
	ck_assert_int_eq(try_handshake(ctx, cert, 0, NULL), 0);
	ck_assert_int_eq(last_version, TLS1_3_VERSION);
	ck_assert_str_eq(last_cipher, "TLS_AES_128_GCM_SHA256");
	tls_ctx_free(&ctx);
	o.ciphers = "NO-SUCH-CIPHER";
	ck_assert_int_eq(tls_ctx_new(&o, &ctx, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cipher"));
}
END_TEST

START_TEST(test_bad_files)
{
	struct tls_opts o;
	struct tls_ctx *ctx = NULL;
	const char *err = NULL;
	char missing[128], okey[128];

	path_in(missing, sizeof(missing), "missing.pem");
	tls_opts_init(&o);
	o.cert_file = missing;
	o.key_file = key;
	ck_assert_int_eq(tls_ctx_new(&o, &ctx, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, missing));
	/* Key of another certificate. */
	make_cert("o.pem", "o.key", "localhost", TLS_KEY_EC_P256);
	path_in(okey, sizeof(okey), "o.key");
	o.cert_file = cert;
	o.key_file = okey;
	ck_assert_int_eq(tls_ctx_new(&o, &ctx, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "does not match"));
	o.key_file = NULL;
	ck_assert_int_eq(tls_ctx_new(&o, &ctx, &err), -1);
	o.key_file = key;
	o.ca_file = missing;
	ck_assert_int_eq(tls_ctx_new(&o, &ctx, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "CA file"));
	ck_assert_ptr_null(ctx);
}
END_TEST

START_TEST(test_reload)
{
	struct tls_ctx *ctx = server_ctx(cert, key, NULL);
	SSL_CTX *before = tls_ctx_get(ctx), *after;
	struct tls_opts o;
	const char *err = NULL;
	char missing[128], c2[128], k2[128];
	SSL *old_ssl, *cli;
	SSL_CTX *cc;

	/* A connection made before the reload. */
	old_ssl = tls_ctx_ssl_new(ctx, &err);
	ck_assert_ptr_nonnull(old_ssl);

	path_in(missing, sizeof(missing), "missing.pem");
	tls_opts_init(&o);
	o.cert_file = missing;
	o.key_file = key;
	ck_assert_int_eq(tls_ctx_reload(ctx, &o, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, missing));
	/* The old context stays, and works. */
	ck_assert_ptr_eq(tls_ctx_get(ctx), before);
	ck_assert_int_eq(try_handshake(ctx, cert, 0, NULL), 0);

	/* Same options again (files re-read): a new context. */
	ck_assert_int_eq(tls_ctx_reload(ctx, NULL, &err), 0);
	/* New certificate: new handshakes present it. */
	make_cert("c2.pem", "k2.pem", "second.example.org", TLS_KEY_EC_P256);
	path_in(c2, sizeof(c2), "c2.pem");
	path_in(k2, sizeof(k2), "k2.pem");
	o.cert_file = c2;
	o.key_file = k2;
	ck_assert_int_eq(tls_ctx_reload(ctx, &o, &err), 0);
	after = tls_ctx_get(ctx);
	ck_assert_ptr_ne(after, before);
	ck_assert_int_eq(try_handshake(ctx, c2, 0, NULL), 0);
	ck_assert_int_eq(try_handshake(ctx, cert, 0, NULL), -1);
	/* NULL now means the options of the last successful reload. */
	ck_assert_int_eq(tls_ctx_reload(ctx, NULL, &err), 0);
	ck_assert_int_eq(try_handshake(ctx, c2, 0, NULL), 0);

	/* The connection made before still completes, with the old cert. */
	cc = client_ctx(cert, 0);
	cli = SSL_new(cc);
	ck_assert_int_eq(handshake(old_ssl, cli), 0);
	SSL_free(cli);
	SSL_free(old_ssl);
	SSL_CTX_free(cc);
	tls_ctx_free(&ctx);
}
END_TEST

/* ---- client certificates --------------------------------------------- */

/* A plain self-signed client certificate (no EKU), CN=cn, into name. */
static void
make_client_cert(const char *name, const char *keyname, const char *cn)
{
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
	EVP_PKEY *pk = NULL;
	X509 *x = X509_new();
	char path[128];
	FILE *fp;

	ck_assert_int_gt(EVP_PKEY_keygen_init(kc), 0);
	ck_assert_int_gt(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc,
	    NID_X9_62_prime256v1), 0);
	ck_assert_int_gt(EVP_PKEY_keygen(kc, &pk), 0);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pk);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	ck_assert_int_gt(X509_sign(x, pk, EVP_sha256()), 0);
	path_in(path, sizeof(path), name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	PEM_write_X509(fp, x);
	fclose(fp);
	path_in(path, sizeof(path), keyname);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	X509_free(x);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(kc);
}

/* Handshake presenting clientcert (or none); return tls_peer_cn(). */
static char *
client_cert_cn(struct tls_ctx *ctx, const char *clientcert,
    const char *clientkey)
{
	SSL_CTX *cc = client_ctx(cert, 0);
	SSL *srv, *cli;
	const char *err = NULL;
	char p[128], *cn;

	if (clientcert != NULL) {
		path_in(p, sizeof(p), clientcert);
		ck_assert_int_eq(SSL_CTX_use_certificate_file(cc, p,
		    SSL_FILETYPE_PEM), 1);
		path_in(p, sizeof(p), clientkey);
		ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(cc, p,
		    SSL_FILETYPE_PEM), 1);
	}
	srv = tls_ctx_ssl_new(ctx, &err);
	cli = SSL_new(cc);
	/* The handshake succeeds even with an unknown certificate. */
	ck_assert_int_eq(handshake(srv, cli), 0);
	cn = tls_peer_cn(srv);
	SSL_free(cli);
	SSL_free(srv);
	SSL_CTX_free(cc);
	return cn;
}

START_TEST(test_client_cert)
{
	struct tls_ctx *ctx;
	char ca[128], *cn;

	make_client_cert("alice.pem", "alice.key", "alice");
	make_client_cert("mallory.pem", "mallory.key", "alice");
	path_in(ca, sizeof(ca), "alice.pem");
	ctx = server_ctx(cert, key, ca);

	cn = client_cert_cn(ctx, "alice.pem", "alice.key");
	ck_assert_ptr_nonnull(cn);
	ck_assert_str_eq(cn, "alice");
	free(cn);
	/* Same CN, not signed by the CA file: no identity. */
	ck_assert_ptr_null(client_cert_cn(ctx, "mallory.pem", "mallory.key"));
	/* No certificate: no identity. */
	ck_assert_ptr_null(client_cert_cn(ctx, NULL, NULL));
	tls_ctx_free(&ctx);

	/* Without a CA file the server never asks. */
	ctx = server_ctx(cert, key, NULL);
	ck_assert_ptr_null(client_cert_cn(ctx, "alice.pem", "alice.key"));
	tls_ctx_free(&ctx);
}
END_TEST

START_TEST(test_random_password)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	    "abcdefghijkmnopqrstuvwxyz23456789";
	char a[64], b[64], small[17];
	bool seen[256];
	size_t i, distinct = 0;

	memset(seen, 0, sizeof(seen));
	ck_assert_int_eq(tls_random_password(a, sizeof(a)), 0);
	ck_assert_int_eq(tls_random_password(b, sizeof(b)), 0);
	ck_assert_uint_eq(strlen(a), sizeof(a) - 1);
	ck_assert_str_ne(a, b);
	for (i = 0; a[i] != '\0'; i++) {
		ck_assert_ptr_nonnull(strchr(alphabet, a[i]));
		if (!seen[(unsigned char)a[i]])
			distinct++;
		seen[(unsigned char)a[i]] = true;
	}
	ck_assert_uint_gt(distinct, 20);
	ck_assert_int_eq(tls_random_password(small, 16), -1);
	ck_assert_int_eq(tls_random_password(small, sizeof(small)), 0);
	ck_assert_uint_eq(strlen(small), 16);
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_selfsigned_ec);
	tcase_add_test(tc, test_selfsigned_rsa);
	tcase_add_test(tc, test_selfsigned_no_overwrite);
	tcase_add_test(tc, test_handshake);
	tcase_add_test(tc, test_min_protocol);
	tcase_add_test(tc, test_ciphers);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_client_cert);
	tcase_add_test(tc, test_random_password);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tls_suite());
	int failed;

	/* one line per test (tools/summary.sh counts them) */
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
