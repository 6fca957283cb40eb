/*
 * tls.c -- the server's OpenSSL context (build, reload-and-swap), the
 * first-start self-signed certificate, the verified client certificate's
 * CN for SASL EXTERNAL, and random passwords.  No socket code: conn.c
 * runs the handshake (STARTTLS, RFC 2595 §5).
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"

/* 10 years, counted in days (two or three leap days included). */
#define TLS_SELFSIGNED_DAYS	3653
/* Session id context: required when client certificates may be verified
 * and sessions resumed. */
#define TLS_SID_CTX		"acapd"

struct tls_ctx {
	SSL_CTX *ssl_ctx;
	struct tls_opts opts;	/* strings owned, copied from the caller */
};

static char tls_errbuf[512];

static const char *tls_seterr(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * Format the message, append OpenSSL's most specific queued reason (the
 * last one) if any, and clear the queue.
 */
static const char *
tls_seterr(const char *fmt, ...)
{
	char reason[256];
	unsigned long e, last = 0;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(tls_errbuf, sizeof(tls_errbuf), fmt, ap);
	va_end(ap);
	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last != 0) {
		ERR_error_string_n(last, reason, sizeof(reason));
		n = strlen(tls_errbuf);
		snprintf(tls_errbuf + n, sizeof(tls_errbuf) - n, ": %s",
		    reason);
	}
	return tls_errbuf;
}

static bool
tls_set(const char *s)
{
	return s != NULL && *s != '\0';
}

static char *
tls_xstrdup(const char *s)
{
	char *p;

	if (!tls_set(s))
		return NULL;
	if ((p = strdup(s)) == NULL)
		abort();	/* out of memory, as xmalloc would */
	return p;
}

void
tls_opts_init(struct tls_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static void
tls_opts_copy(struct tls_opts *dst, const struct tls_opts *src)
{
	dst->cert_file = tls_xstrdup(src->cert_file);
	dst->key_file = tls_xstrdup(src->key_file);
	dst->ca_file = tls_xstrdup(src->ca_file);
	dst->min_protocol = tls_xstrdup(src->min_protocol);
	dst->ciphers = tls_xstrdup(src->ciphers);
	dst->ciphersuites = tls_xstrdup(src->ciphersuites);
}

static void
tls_opts_clear(struct tls_opts *o)
{
	free((char *)o->cert_file);
	free((char *)o->key_file);
	free((char *)o->ca_file);
	free((char *)o->min_protocol);
	free((char *)o->ciphers);
	free((char *)o->ciphersuites);
	memset(o, 0, sizeof(*o));
}

static int
tls_parse_protocol(const char *s, int *version_r)
{
	if (!tls_set(s) || strcasecmp(s, "TLSv1.2") == 0)
		*version_r = TLS1_2_VERSION;
	else if (strcasecmp(s, "TLSv1.3") == 0)
		*version_r = TLS1_3_VERSION;
	else
		return -1;
	return 0;
}

/*
 * Let the handshake go on whatever the client certificate's verification
 * says: a client with an unknown certificate can still use a password.
 * The outcome stays in SSL_get_verify_result(), which tls_peer_cn() reads.
 */
static int
tls_verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	(void)store;
	return 1;
}

/* Build a complete SSL_CTX from o, or NULL with *errstr_r. */
static SSL_CTX *
tls_build(const struct tls_opts *o, const char **errstr_r)
{
	STACK_OF(X509_NAME) *cas;
	SSL_CTX *c;
	int version;

	ERR_clear_error();
	if (!tls_set(o->cert_file) || !tls_set(o->key_file)) {
		*errstr_r = tls_seterr("TLS: certificate and key files are "
		    "required");
		return NULL;
	}
	if (tls_parse_protocol(o->min_protocol, &version) == -1) {
		*errstr_r = tls_seterr("TLS: unknown minimum protocol \"%s\" "
		    "(TLSv1.2 or TLSv1.3)", o->min_protocol);
		return NULL;
	}
	if ((c = SSL_CTX_new(TLS_server_method())) == NULL) {
		*errstr_r = tls_seterr("TLS: cannot create a context");
		return NULL;
	}
	if (!SSL_CTX_set_min_proto_version(c, version)) {
		*errstr_r = tls_seterr("TLS: cannot set the minimum protocol");
		goto fail;
	}
	SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Tens of thousands of idle phones: free buffers between reads. */
	SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_dh_auto(c, 1);
	if (tls_set(o->ciphers) && !SSL_CTX_set_cipher_list(c, o->ciphers)) {
		*errstr_r = tls_seterr("TLS: bad cipher list \"%s\"",
		    o->ciphers);
		goto fail;
	}
	if (tls_set(o->ciphersuites) &&
	    !SSL_CTX_set_ciphersuites(c, o->ciphersuites)) {
		*errstr_r = tls_seterr("TLS: bad TLS 1.3 ciphersuites \"%s\"",
		    o->ciphersuites);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(c, o->cert_file) != 1) {
		*errstr_r = tls_seterr("TLS: cannot load certificate %s",
		    o->cert_file);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(c, o->key_file, SSL_FILETYPE_PEM) !=
	    1) {
		/* OpenSSL checks the pair while loading; say so plainly. */
		if (ERR_GET_REASON(ERR_peek_last_error()) ==
		    X509_R_KEY_VALUES_MISMATCH)
			*errstr_r = tls_seterr("TLS: key %s does not match "
			    "certificate %s", o->key_file, o->cert_file);
		else
			*errstr_r = tls_seterr("TLS: cannot load private key "
			    "%s", o->key_file);
		goto fail;
	}
	if (SSL_CTX_check_private_key(c) != 1) {
		*errstr_r = tls_seterr("TLS: key %s does not match "
		    "certificate %s", o->key_file, o->cert_file);
		goto fail;
	}
	if (!SSL_CTX_set_session_id_context(c,
	    (const unsigned char *)TLS_SID_CTX, strlen(TLS_SID_CTX))) {
		*errstr_r = tls_seterr("TLS: cannot set the session context");
		goto fail;
	}
	if (tls_set(o->ca_file)) {
		if (SSL_CTX_load_verify_locations(c, o->ca_file, NULL) != 1) {
			*errstr_r = tls_seterr("TLS: cannot load CA file %s",
			    o->ca_file);
			goto fail;
		}
		if ((cas = SSL_load_client_CA_file(o->ca_file)) == NULL) {
			*errstr_r = tls_seterr("TLS: no CA names in %s",
			    o->ca_file);
			goto fail;
		}
		SSL_CTX_set_client_CA_list(c, cas);
		SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE,
		    tls_verify_cb);
	} else
		SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	return c;
fail:
	SSL_CTX_free(c);
	return NULL;
}

int
tls_ctx_new(const struct tls_opts *o, struct tls_ctx **ctx_r,
    const char **errstr_r)
{
	struct tls_ctx *ctx;
	SSL_CTX *c;

	*ctx_r = NULL;
	if ((c = tls_build(o, errstr_r)) == NULL)
		return -1;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		abort();
	ctx->ssl_ctx = c;
	tls_opts_copy(&ctx->opts, o);
	*ctx_r = ctx;
	return 0;
}

void
tls_ctx_free(struct tls_ctx **ctxp)
{
	struct tls_ctx *ctx = *ctxp;

	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	tls_opts_clear(&ctx->opts);
	free(ctx);
	*ctxp = NULL;
}

int
tls_ctx_reload(struct tls_ctx *ctx, const struct tls_opts *o,
    const char **errstr_r)
{
	struct tls_opts copy;
	SSL_CTX *c;

	if (o == NULL)
		o = &ctx->opts;
	if ((c = tls_build(o, errstr_r)) == NULL)
		return -1;
	if (o != &ctx->opts) {
		tls_opts_copy(&copy, o);
		tls_opts_clear(&ctx->opts);
		ctx->opts = copy;
	}
	/* SSL objects made from the old context hold their own reference. */
	SSL_CTX_free(ctx->ssl_ctx);
	ctx->ssl_ctx = c;
	return 0;
}

struct ssl_ctx_st *
tls_ctx_get(const struct tls_ctx *ctx)
{
	return ctx->ssl_ctx;
}

struct ssl_st *
tls_ctx_ssl_new(struct tls_ctx *ctx, const char **errstr_r)
{
	SSL *ssl;

	ERR_clear_error();
	if ((ssl = SSL_new(ctx->ssl_ctx)) == NULL) {
		*errstr_r = tls_seterr("TLS: cannot create a session");
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return ssl;
}

/* ---- self-signed certificate ---------------------------------------- */

static EVP_PKEY *
tls_keygen(enum tls_key_type type)
{
	EVP_PKEY_CTX *kc;
	EVP_PKEY *pkey = NULL;
	int ok;

	kc = EVP_PKEY_CTX_new_id(type == TLS_KEY_RSA_2048 ? EVP_PKEY_RSA :
	    EVP_PKEY_EC, NULL);
	if (kc == NULL)
		return NULL;
	ok = EVP_PKEY_keygen_init(kc) > 0;
	if (ok && type == TLS_KEY_RSA_2048)
		ok = EVP_PKEY_CTX_set_rsa_keygen_bits(kc, 2048) > 0;
	else if (ok)
		ok = EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc,
		    NID_X9_62_prime256v1) > 0;
	if (ok && EVP_PKEY_keygen(kc, &pkey) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(kc);
	return pkey;
}

static bool
tls_is_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != n)
		return false;
	return s[0] != '.' && s[0] != '-';
}

static bool
tls_is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

static int
tls_add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int ok;

	if ((ext = X509V3_EXT_nconf_nid(NULL, v3, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* Build and sign the certificate for pkey.  NULL on failure. */
static X509 *
tls_make_cert(EVP_PKEY *pkey, const char *cn, enum tls_key_type type)
{
	unsigned char serial[16];
	char san[600];
	X509V3_CTX v3;
	X509_NAME *name;
	BIGNUM *bn = NULL;
	X509 *x;

	if ((x = X509_new()) == NULL)
		return NULL;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;		/* positive (RFC 5280 §4.1.2.2) */
	serial[0] |= 0x40;		/* and a full 16 octets */
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto fail;
	if (!X509_set_version(x, 2) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -300) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), TLS_SELFSIGNED_DAYS, 0,
	    NULL) == NULL ||
	    !X509_set_pubkey(x, pkey))
		goto fail;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name))
		goto fail;
	snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1,IP:::1");
	if (strcasecmp(cn, "localhost") != 0 && strcmp(cn, "127.0.0.1") != 0 &&
	    strcmp(cn, "::1") != 0) {
		if (tls_is_ip(cn))
			snprintf(san + strlen(san), sizeof(san) - strlen(san),
			    ",IP:%s", cn);
		else if (tls_is_hostname(cn))
			snprintf(san + strlen(san), sizeof(san) - strlen(san),
			    ",DNS:%s", cn);
	}
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if (tls_add_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE") ||
	    tls_add_ext(x, &v3, NID_key_usage, type == TLS_KEY_RSA_2048 ?
	    "critical,digitalSignature,keyEncipherment" :
	    "critical,digitalSignature") ||
	    tls_add_ext(x, &v3, NID_ext_key_usage, "serverAuth") ||
	    tls_add_ext(x, &v3, NID_subject_key_identifier, "hash") ||
	    tls_add_ext(x, &v3, NID_subject_alt_name, san))
		goto fail;
	if (X509_sign(x, pkey, EVP_sha256()) <= 0)
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

/*
 * Create path (which must not exist) with exactly the given mode and write
 * the key or the certificate into it.  Returns 0 or -1 (errno or the
 * OpenSSL queue says why); on failure the file is removed.
 */
static int
tls_write_pem(const char *path, mode_t mode, EVP_PKEY *pkey, X509 *x)
{
	BIO *bio;
	int fd, ok, saved = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1)
		return -1;
	/* The umask may have narrowed the mode; the key must be 0600. */
	if (fchmod(fd, mode) == -1 ||
	    (bio = BIO_new_fd(fd, BIO_NOCLOSE)) == NULL) {
		saved = errno;
		goto fail;
	}
	if (pkey != NULL)
		ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
		    NULL);
	else
		ok = PEM_write_bio_X509(bio, x);
	ok = ok && BIO_flush(bio) == 1;
	BIO_free(bio);
	saved = errno;
	if (!ok || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		saved = errno;
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	if (fd != -1)
		close(fd);
	unlink(path);
	errno = saved != 0 ? saved : EIO;
	return -1;
}

int
tls_selfsigned_create(const char *cert_file, const char *key_file,
    const char *cn, enum tls_key_type type, const char **errstr_r)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	struct stat st;
	int r = -1;

	ERR_clear_error();
	if (!tls_set(cn) || strlen(cn) > 64) {
		/* RFC 5280 ub-common-name: at most 64 characters. */
		*errstr_r = tls_seterr("TLS: the certificate CN must be 1 to "
		    "64 characters");
		return -1;
	}
	if (lstat(key_file, &st) == 0 || lstat(cert_file, &st) == 0) {
		*errstr_r = tls_seterr("TLS: %s already exists; not "
		    "overwriting", lstat(key_file, &st) == 0 ? key_file :
		    cert_file);
		return -1;
	}
	if ((pkey = tls_keygen(type)) == NULL) {
		*errstr_r = tls_seterr("TLS: cannot generate a key");
		goto out;
	}
	if ((x = tls_make_cert(pkey, cn, type)) == NULL) {
		*errstr_r = tls_seterr("TLS: cannot build the certificate");
		goto out;
	}
	if (tls_write_pem(key_file, 0600, pkey, NULL) == -1) {
		*errstr_r = tls_seterr("TLS: cannot write %s: %s", key_file,
		    strerror(errno));
		goto out;
	}
	if (tls_write_pem(cert_file, 0644, NULL, x) == -1) {
		*errstr_r = tls_seterr("TLS: cannot write %s: %s", cert_file,
		    strerror(errno));
		unlink(key_file);
		goto out;
	}
	r = 0;
out:
	X509_free(x);
	EVP_PKEY_free(pkey);
	return r;
}

/* ---- per-connection helpers ------------------------------------------ */

char *
tls_peer_cn(struct ssl_st *ssl)
{
	X509 *cert;
	X509_NAME *name;
	X509_NAME_ENTRY *entry;
	unsigned char *utf8 = NULL;
	char *cn = NULL;
	int idx, len;

	/* Without SSL_VERIFY_PEER the result says X509_V_OK regardless. */
	if (ssl == NULL || !(SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER))
		return NULL;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	cert = SSL_get1_peer_certificate(ssl);
#else
	cert = SSL_get_peer_certificate(ssl);
#endif
	if (cert == NULL)
		return NULL;
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		goto out;
	name = X509_get_subject_name(cert);
	idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	/* Exactly one CN, or the identity would be ambiguous. */
	if (idx < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, idx) >=
	    0)
		goto out;
	entry = X509_NAME_get_entry(name, idx);
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
	if (len <= 0 || memchr(utf8, '\0', (size_t)len) != NULL)
		goto out;
	if ((cn = malloc((size_t)len + 1)) == NULL)
		abort();
	memcpy(cn, utf8, (size_t)len);
	cn[len] = '\0';
out:
	OPENSSL_free(utf8);
	X509_free(cert);
	return cn;
}

unsigned
tls_ssl_ssf(struct ssl_st *ssl)
{
	const SSL_CIPHER *cipher;
	int bits;

	if (ssl == NULL || (cipher = SSL_get_current_cipher(ssl)) == NULL)
		return 0;
	bits = SSL_CIPHER_get_bits(cipher, NULL);
	return bits > 0 ? (unsigned)bits : 0;
}

int
tls_random_password(char *buf, size_t size)
{
	/* 57 symbols: no 0/O, 1/l/I, so it can be read out and typed. */
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	    "abcdefghijkmnopqrstuvwxyz23456789";
	const unsigned n = sizeof(alphabet) - 1;
	/* Largest multiple of n below 256: reject above it, no bias. */
	const unsigned limit = 256 - 256 % n;
	unsigned char rnd[64];
	size_t i = 0, j;

	if (buf == NULL || size < 17)
		return -1;
	while (i < size - 1) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			OPENSSL_cleanse(buf, size);
			return -1;
		}
		for (j = 0; j < sizeof(rnd) && i < size - 1; j++)
			if (rnd[j] < limit)
				buf[i++] = alphabet[rnd[j] % n];
	}
	buf[i] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}
