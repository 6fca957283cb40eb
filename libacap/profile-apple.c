/*
 * profile-apple.c -- Apple configuration profiles (profile-apple.h).
 * Keys from Apple's "Mail" payload reference (com.apple.mail.managed)
 * and the top-level "Configuration" profile keys.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acap-buf.h"
#include "profile.h"
#include "profile-apple.h"

struct profile_signer {
	X509 *cert;
	EVP_PKEY *key;
	STACK_OF(X509) *chain;
};

int
profile_uuid5(const char *name, char out[37])
{
	/* RFC 9562 Appendix A: the URL namespace */
	static const unsigned char ns[16] = { 0x6b, 0xa7, 0xb8, 0x11, 0x9d,
	    0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
	    0xc8 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	size_t i, o = 0;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, ns, sizeof(ns)) == 1 &&
	    EVP_DigestUpdate(ctx, name, strlen(name)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= 16;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	/* RFC 9562 §5.5: version 5, variant 10 */
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		snprintf(out + o, 3, "%02x", md[i]);
		o += 2;
	}
	out[o] = '\0';
	return 0;
}

static void
key(struct acap_buf *b, int indent, const char *k)
{
	acap_buf_printf(b, "%*s<key>", indent, "");
	profile_xml_escape(b, k);
	acap_buf_addstr(b, "</key>\n");
}

static void
str(struct acap_buf *b, int indent, const char *k, const char *v)
{
	if (v == NULL)
		return;
	key(b, indent, k);
	acap_buf_printf(b, "%*s<string>", indent, "");
	profile_xml_escape(b, v);
	acap_buf_addstr(b, "</string>\n");
}

static void
num(struct acap_buf *b, int indent, const char *k, unsigned long v)
{
	key(b, indent, k);
	acap_buf_printf(b, "%*s<integer>%lu</integer>\n", indent, "", v);
}

static void
flag(struct acap_buf *b, int indent, const char *k, int v)
{
	key(b, indent, k);
	acap_buf_printf(b, "%*s<%s/>\n", indent, "", v ? "true" : "false");
}

/* Apple's authentication names for a SASL mechanism. */
static const char *
auth_name(const char *mech)
{
	if (mech != NULL && strcasecmp(mech, "CRAM-MD5") == 0)
		return "EmailAuthCRAMMD5";
	if (mech != NULL && strcasecmp(mech, "GSSAPI") == 0)
		return "EmailAuthKerberos";
	return "EmailAuthPassword";
}

/* "acap.example.org" -> "org.example.acap" (reverse-DNS identifiers). */
static void
reverse_dns(struct acap_buf *b, const char *host)
{
	const char *end = host + strlen(host), *dot;

	while (end > host) {
		for (dot = end; dot > host && dot[-1] != '.'; dot--)
			;
		acap_buf_add(b, dot, (size_t)(end - dot));
		end = dot > host ? dot - 1 : host;
		if (end > host)
			acap_buf_addch(b, '.');
	}
}

static void
server(struct acap_buf *b, const char *dir, const struct profile_server *s,
    const char *user)
{
	char k[64];

	snprintf(k, sizeof(k), "%sMailServerHostName", dir);
	str(b, 6, k, s->host);
	snprintf(k, sizeof(k), "%sMailServerPortNumber", dir);
	num(b, 6, k, s->port);
	/* Mail negotiates STARTTLS on a plaintext port when this is set */
	snprintf(k, sizeof(k), "%sMailServerUseSSL", dir);
	flag(b, 6, k, s->socket != PROFILE_SOCKET_PLAIN);
	snprintf(k, sizeof(k), "%sMailServerAuthentication", dir);
	str(b, 6, k, auth_name(s->auth));
	snprintf(k, sizeof(k), "%sMailServerUsername", dir);
	str(b, 6, k, s->login != NULL ? s->login : user);
}

int
profile_apple_plist(struct profile *p, const char *instance,
    const char *device, struct acap_buf *out)
{
	struct acap_buf id = ACAP_BUF_INIT, name = ACAP_BUF_INIT;
	char uuid[37], muuid[37], *mid;
	const char *user, *label;

	profile_finish(p);
	acap_buf_printf(&name, "acapd:%s/device/%s", instance, device);
	reverse_dns(&id, instance);
	acap_buf_printf(&id, ".acapd.device.%s", device);
	if (profile_uuid5(name.data, uuid) == -1) {
		acap_buf_deinit(&name);
		acap_buf_deinit(&id);
		return -1;
	}
	acap_buf_addstr(&name, "/mail");
	if (profile_uuid5(name.data, muuid) == -1 ||
	    asprintf(&mid, "%s.mail", id.data) < 0) {
		acap_buf_deinit(&name);
		acap_buf_deinit(&id);
		return -1;
	}
	user = p->login != NULL ? p->login : p->email;
	label = p->org_description != NULL ? p->org_description :
	    p->org_name != NULL ? p->org_name : p->domain != NULL ?
	    p->domain : instance;
	acap_buf_addstr(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
	    "<plist version=\"1.0\">\n<dict>\n");
	key(out, 2, "PayloadContent");
	acap_buf_addstr(out, "  <array>\n    <dict>\n");
	str(out, 6, "EmailAccountDescription", label);
	str(out, 6, "EmailAccountName", p->display_name);
	str(out, 6, "EmailAccountType", "EmailTypeIMAP");
	str(out, 6, "EmailAddress", p->email);
	server(out, "Incoming", &p->imap, user);
	server(out, "Outgoing", &p->smtp, user);
	flag(out, 6, "OutgoingPasswordSameAsIncomingPassword", 1);
	str(out, 6, "PayloadDisplayName", "Mail");
	str(out, 6, "PayloadIdentifier", mid);
	str(out, 6, "PayloadType", "com.apple.mail.managed");
	str(out, 6, "PayloadUUID", muuid);
	num(out, 6, "PayloadVersion", 1);
	acap_buf_addstr(out, "    </dict>\n  </array>\n");
	str(out, 2, "PayloadDescription", "Mail settings from acapd");
	str(out, 2, "PayloadDisplayName", label);
	str(out, 2, "PayloadIdentifier", id.data);
	str(out, 2, "PayloadOrganization", p->org_description != NULL ?
	    p->org_description : p->org_name);
	flag(out, 2, "PayloadRemovalDisallowed", 0);
	str(out, 2, "PayloadType", "Configuration");
	str(out, 2, "PayloadUUID", uuid);
	num(out, 2, "PayloadVersion", 1);
	acap_buf_addstr(out, "</dict>\n</plist>\n");
	free(mid);
	acap_buf_deinit(&name);
	acap_buf_deinit(&id);
	return 0;
}

static void
ssl_why(char *why, size_t whylen, const char *what)
{
	unsigned long e = ERR_peek_last_error();

	snprintf(why, whylen, "%s: %s", what, e != 0 ?
	    ERR_reason_error_string(e) : "failed");
	ERR_clear_error();
}

struct profile_signer *
profile_signer_load(const char *certfile, const char *keyfile, char *why,
    size_t whylen)
{
	struct profile_signer *s;
	X509 *x;
	FILE *f;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		abort();
	if ((s->chain = sk_X509_new_null()) == NULL)
		abort();
	if ((f = fopen(certfile, "r")) == NULL) {
		snprintf(why, whylen, "cannot open %s", certfile);
		goto fail;
	}
	if ((s->cert = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
		fclose(f);
		ssl_why(why, whylen, certfile);
		goto fail;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(s->chain, x) == 0)
			abort();
	ERR_clear_error();	/* the end of the file */
	fclose(f);
	if ((f = fopen(keyfile, "r")) == NULL) {
		snprintf(why, whylen, "cannot open %s", keyfile);
		goto fail;
	}
	s->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (s->key == NULL) {
		ssl_why(why, whylen, keyfile);
		goto fail;
	}
	if (X509_check_private_key(s->cert, s->key) != 1) {
		ERR_clear_error();
		snprintf(why, whylen, "%s is not the key of %s", keyfile,
		    certfile);
		goto fail;
	}
	return s;
fail:
	profile_signer_free(&s);
	return NULL;
}

void
profile_signer_free(struct profile_signer **sp)
{
	struct profile_signer *s = *sp;

	if (s == NULL)
		return;
	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	sk_X509_pop_free(s->chain, X509_free);
	free(s);
	*sp = NULL;
}

int
profile_apple_sign(const struct profile_signer *s, const void *data,
    size_t len, struct acap_buf *out, char *why, size_t whylen)
{
	CMS_ContentInfo *cms;
	unsigned char *der = NULL;
	BIO *in;
	int n;

	if ((in = BIO_new_mem_buf(data, (int)len)) == NULL)
		abort();
	/* attached content, binary (the plist is sent as is), the chain */
	cms = CMS_sign(s->cert, s->key, s->chain, in, CMS_BINARY);
	BIO_free(in);
	if (cms == NULL) {
		ssl_why(why, whylen, "signing the profile");
		return -1;
	}
	n = i2d_CMS_ContentInfo(cms, &der);
	CMS_ContentInfo_free(cms);
	if (n <= 0) {
		ssl_why(why, whylen, "encoding the signed profile");
		return -1;
	}
	acap_buf_add(out, der, (size_t)n);
	OPENSSL_free(der);
	return 0;
}
