/*
 * tls.h -- the server's OpenSSL context: built from options, swapped on
 * reload only when the new one is complete; a self-signed certificate for
 * the first start; the verified client certificate's identity for SASL
 * EXTERNAL.  Owns no connection: callers make SSL objects and run them
 * (STARTTLS, RFC 2595 §5; the handshake lives in conn.c).
 */
#ifndef ACAPD_TLS_H
#define ACAPD_TLS_H

#include <stddef.h>

struct ssl_st;		/* OpenSSL's SSL */
struct ssl_ctx_st;	/* OpenSSL's SSL_CTX */

/*
 * Context options.  NULL or "" means the default.  tls_ctx_new() copies
 * the strings, so the struct may be freed afterwards.
 */
struct tls_opts {
	const char *cert_file;		/* PEM: certificate (chain), required */
	const char *key_file;		/* PEM: private key, required */
	/*
	 * PEM CA certificates that may sign client certificates.  When set,
	 * clients are asked for a certificate (not required); see
	 * tls_peer_cn().  Default: none asked.
	 */
	const char *ca_file;
	const char *min_protocol;	/* "TLSv1.2" (default) or "TLSv1.3" */
	const char *ciphers;		/* TLS 1.2 cipher list (OpenSSL's) */
	const char *ciphersuites;	/* TLS 1.3 suites (OpenSSL's) */
};

/* Fill *o with the defaults (all NULL). */
void tls_opts_init(struct tls_opts *o);

struct tls_ctx;

/*
 * Build a server context: certificate and key (checked to match), minimum
 * protocol, ciphers, optional client-certificate CA, SSL_MODE_RELEASE_BUFFERS
 * (idle connections keep no buffers), no renegotiation, no compression.
 * Returns 0 with *ctx_r set, or -1 with *errstr_r (static storage, valid
 * until the next tls_* call; names the file and OpenSSL's reason).
 */
int tls_ctx_new(const struct tls_opts *o, struct tls_ctx **ctx_r,
    const char **errstr_r);
/* Free the holder and drop its reference to the SSL_CTX; sets *ctxp NULL.
 * Connections already made keep working (they hold their own reference). */
void tls_ctx_free(struct tls_ctx **ctxp);

/*
 * SIGHUP: build a new context from o (NULL: the options last used) and
 * swap it in only if that fully succeeds.  Returns 0, or -1 with
 * *errstr_r (as above) and the old context still in place.  Existing
 * connections keep the context they were made with.
 */
int tls_ctx_reload(struct tls_ctx *ctx, const struct tls_opts *o,
    const char **errstr_r);

/*
 * The current SSL_CTX, borrowed: valid until the next tls_ctx_reload()
 * or tls_ctx_free().  Take SSL_CTX_up_ref() to keep it longer.
 */
struct ssl_ctx_st *tls_ctx_get(const struct tls_ctx *ctx);
/*
 * A new server-side SSL from the current context (SSL_set_accept_state
 * done).  The caller owns it (SSL_free, or hand it to a bufferevent that
 * frees it).  NULL on failure, with *errstr_r as above.
 */
struct ssl_st *tls_ctx_ssl_new(struct tls_ctx *ctx, const char **errstr_r);

/* Key type for tls_selfsigned_create(). */
enum tls_key_type {
	TLS_KEY_EC_P256,
	TLS_KEY_RSA_2048
};

/*
 * Create a self-signed server certificate valid for 10 years with subject
 * CN=cn and subjectAltName DNS:localhost, IP:127.0.0.1, IP:::1 (and
 * DNS:cn when cn looks like a host name), for the quick start.  The key
 * file gets mode 0600, the certificate 0644.  Refuses to overwrite an
 * existing file.  Returns 0, or -1 with *errstr_r as above (on failure
 * no file is left behind).
 */
int tls_selfsigned_create(const char *cert_file, const char *key_file,
    const char *cn, enum tls_key_type type, const char **errstr_r);

/*
 * The subject CN of the peer's certificate if the peer sent one and it
 * verified against the context's CA file; NULL otherwise (also when the
 * CN is missing, repeated, or holds a NUL).  For SASL EXTERNAL.  The
 * caller frees the string with free().
 */
char *tls_peer_cn(struct ssl_st *ssl);

/* Strength of the negotiated cipher in bits (the SASL external SSF);
 * 0 before the handshake completes. */
unsigned tls_ssl_ssf(struct ssl_st *ssl);

/*
 * Fill buf with a random password of size - 1 characters from an
 * unambiguous alphabet (no 0/O, 1/l/I) using RAND_bytes, NUL-terminated.
 * size must be at least 17 (16 characters, ~92 bits).  Returns 0, or -1
 * if size is too small or the RNG failed (buf is then cleared).
 */
int tls_random_password(char *buf, size_t size);

#endif
