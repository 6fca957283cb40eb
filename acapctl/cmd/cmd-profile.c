/*
 * cmd-profile.c -- discovery from acapctl (doc/discovery.md): "device
 * profile" (a device's mail account as an Apple configuration profile,
 * Mozilla autoconfig or JSON, from its effective settings), "device url"
 * and "device enrol --url" (one-time enrol URLs that acapd serves once),
 * and "dns" (the RFC 6186 / RFC 8314 SRV records of a domain).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "acap-buf.h"
#include "cmds.h"
#include "ctl.h"
#include "domains.h"
#include "ds.h"
#include "jsonx.h"
#include "model.h"
#include "profile.h"
#include "profile-apple.h"
#include "profile-json.h"
#include "profiles.h"
#include "registry.h"

#define ENROL_TTL_DEFAULT	86400		/* 24 h */
#define ENROL_TTL_MAX		(30 * 86400)

static bool
format_ok(const char *f)
{
	return strcmp(f, "mobileconfig") == 0 ||
	    strcmp(f, "autoconfig") == 0 || strcmp(f, "json") == 0;
}

/*
 * The host part of a URL ("https://h:8443/x" -> "h"), into buf.  The
 * instance name the profile identifiers derive from.
 */
static void
url_host(const char *url, char *buf, size_t size)
{
	const char *h = strstr(url, "://"), *end;

	h = h != NULL ? h + 3 : url;
	if (*h == '[')
		end = strchr(h, ']') != NULL ? strchr(h, ']') + 1 : h +
		    strlen(h);
	else
		end = h + strcspn(h, ":/");
	snprintf(buf, size, "%.*s", (int)(end - h), h);
}

/* The instance: the enrol URL's host, else the server's (-H). */
static void
instance_name(const struct ctl *ctl, char *buf, size_t size)
{
	if (ctl->conf.enrol_url != NULL)
		url_host(ctl->conf.enrol_url, buf, size);
	else
		snprintf(buf, size, "%s", ctl->conf.host != NULL ?
		    ctl->conf.host : "localhost");
}

/* A file of the state directory, new string, or NULL without one. */
static char *
state_file(const struct ctl *ctl, const char *name)
{
	char *p;

	if (ctl->conf.statedir == NULL)
		return NULL;
	if (asprintf(&p, "%s/%s", ctl->conf.statedir, name) < 0)
		abort();
	return p;
}

static int
sign(struct ctl *ctl, const char *cert, const char *key,
    struct acap_buf *plist, struct acap_buf *out)
{
	char *c = NULL, *k = NULL, why[512];
	struct profile_signer *s;
	int r;

	if (cert == NULL)
		cert = ctl->conf.profile_cert;
	if (key == NULL)
		key = ctl->conf.profile_key;
	if (cert == NULL)
		cert = c = state_file(ctl, "cert.pem");
	if (key == NULL)
		key = k = state_file(ctl, "key.pem");
	if (cert == NULL || key == NULL) {
		free(c);
		free(k);
		return ctl_usage(ctl, "no signing certificate: give --cert "
		    "and --key, profile-cert and profile-key, or -s "
		    "STATEDIR (its cert.pem and key.pem); or --unsigned");
	}
	s = profile_signer_load(cert, key, why, sizeof(why));
	free(c);
	free(k);
	if (s == NULL)
		return ctl_error(ctl, "signing key: %s", why);
	r = profile_apple_sign(s, plist->data, plist->len, out, why,
	    sizeof(why));
	profile_signer_free(&s);
	return r == 0 ? CTL_OK : ctl_error(ctl, "%s", why);
}

int
cmd_device_profile(struct ctl *ctl, int argc, char **argv)
{
	const char *format = "mobileconfig", *output = NULL, *cert = NULL,
	    *key = NULL, *err;
	bool unsigned_ = false;
	struct ctl_opt opts[] = {
		{ "format", CTL_OPT_ARG, &format },
		{ "output", CTL_OPT_ARG, &output },
		{ "cert", CTL_OPT_ARG, &cert },
		{ "key", CTL_OPT_ARG, &key },
		{ "unsigned", CTL_OPT_FLAG, &unsigned_ },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	struct acap_buf b = ACAP_BUF_INIT, signed_ = ACAP_BUF_INIT, *res = &b;
	struct profile p;
	char inst[256], why[4200], *user = NULL;
	int rc = CTL_FAIL;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "device profile needs a device id");
	if (!model_device_id_ok(argv[0], &err))
		return ctl_usage(ctl, "device \"%s\": %s", argv[0], err);
	if (!format_ok(format))
		return ctl_usage(ctl, "--format \"%s\": expected mobileconfig, "
		    "autoconfig or json", format);
	if (output == NULL && ctl->json)
		return ctl_usage(ctl, "--json needs --output FILE");
	if (strcmp(format, "mobileconfig") != 0 && (unsigned_ ||
	    cert != NULL || key != NULL))
		return ctl_usage(ctl, "--unsigned, --cert and --key are for "
		    "--format mobileconfig");
	profile_init(&p);
	if (profiles_device(ctl, argv[0], &p, &user) == -1)
		goto out;
	instance_name(ctl, inst, sizeof(inst));
	if (strcmp(format, "autoconfig") == 0)
		profile_autoconfig_xml(&p, &b);
	else if (strcmp(format, "json") == 0)
		profile_json(&p, argv[0], &b);
	else if (profile_apple_plist(&p, inst, argv[0], &b) == -1) {
		rc = ctl_error(ctl, "cannot derive the profile's UUID");
		goto out;
	} else if (!unsigned_) {
		if ((rc = sign(ctl, cert, key, &b, &signed_)) != CTL_OK)
			goto out;
		res = &signed_;
		rc = CTL_FAIL;
	}
	jsonx_set_str(ctl_result(ctl), "device", argv[0]);
	jsonx_set_str(ctl_result(ctl), "user", user);
	jsonx_set_str(ctl_result(ctl), "format", format);
	jsonx_set_bool(ctl_result(ctl), "signed", res == &signed_);
	if (output != NULL) {
		if (cmd_io_write_file(output, res->data, res->len, why,
		    sizeof(why)) == -1) {
			rc = ctl_error(ctl, "%s", why);
			goto out;
		}
		jsonx_set_str(ctl_result(ctl), "output", output);
		ctl_out(ctl, "profile of device %s (%s%s) written to %s\n",
		    argv[0], format, res == &signed_ ? ", signed" : "",
		    output);
	} else if (fwrite(res->data, 1, res->len, stdout) != res->len ||
	    fflush(stdout) != 0) {
		rc = ctl_error(ctl, "cannot write the profile");
		goto out;
	}
	rc = CTL_OK;
out:
	free(user);
	profile_free(&p);
	acap_buf_deinit(&b);
	acap_buf_deinit(&signed_);
	return rc;
}

/* "1800", "30m", "24h", "7d" -> seconds; -1 when malformed or too long. */
static long
parse_ttl(const char *s)
{
	char *end;
	long n;

	n = strtol(s, &end, 10);
	if (end == s || n <= 0 || n > ENROL_TTL_MAX)
		return -1;
	if (*end == 'm')
		n *= 60;
	else if (*end == 'h')
		n *= 3600;
	else if (*end == 'd')
		n *= 86400;
	else if (*end != 's' && *end != '\0')
		return -1;
	if (*end != '\0' && end[1] != '\0')
		return -1;
	return n > ENROL_TTL_MAX ? -1 : n;
}

/* base64url without padding (RFC 4648 §5). */
static void
b64url(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;
	unsigned long v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned long)in[i] << 16;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
	}
	out[o] = '\0';
}

int
cmd_enrol_url(struct ctl *ctl, const char *id, const char *format,
    const char *ttl_s)
{
	unsigned char raw[32], md[32];
	char token[48], hex[65], expires[15], now[15], *ep, *url;
	const char *base = ctl->conf.enrol_url, *x;
	struct ds_store *st;
	struct ds *old;
	time_t t;
	struct tm tm;
	size_t i, blen;
	long ttl = ENROL_TTL_DEFAULT;
	int r;

	if (!format_ok(format))
		return ctl_usage(ctl, "--format \"%s\": expected mobileconfig, "
		    "autoconfig or json", format);
	if (ttl_s != NULL && (ttl = parse_ttl(ttl_s)) == -1)
		return ctl_usage(ctl, "--ttl \"%s\": seconds, or a number "
		    "with s, m, h or d, at most 30 days", ttl_s);
	if (base == NULL)
		return ctl_usage(ctl, "no enrol URL base: give --enrol-url "
		    "https://HOST[:PORT] or set enrol-url in acapctl.conf");
	/* the token: 256 random bits; only its hash is stored */
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return ctl_error(ctl, "no random bytes for the token");
	b64url(raw, sizeof(raw), token);
	explicit_bzero(raw, sizeof(raw));
	if (EVP_Digest(token, strlen(token), md, NULL, EVP_sha256(),
	    NULL) != 1)
		return ctl_error(ctl, "cannot hash the token");
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	t = time(NULL) + ttl;
	gmtime_r(&t, &tm);
	strftime(expires, sizeof(expires), "%Y%m%d%H%M%S", &tm);
	model_time_now(now);
	st = ds_store_new();
	/* tokens past their time go with this STORE */
	if (ctl_read_dataset(ctl, MODEL_ENROL_REGISTRY, CTL_NOINHERIT, NULL,
	    &old) == -1) {
		ds_store_free(&st);
		return CTL_FAIL;
	}
	for (i = 0; i < old->nentries; i++) {
		const struct ds_attr *a = ds_entry_get(&old->entries[i],
		    MODEL_A_ENROL_EXPIRES);

		x = a != NULL ? ds_value_str(&a->value) : NULL;
		if (x == NULL || strcmp(x, now) <= 0)
			registry_delete(st, MODEL_ENROL_REGISTRY,
			    old->entries[i].name);
	}
	ds_free(&old);
	ep = ds_entry_path(MODEL_ENROL_REGISTRY, hex);
	ds_store_modifiers(st, ep, DS_CREATE_ONLY);
	ds_store_set_str(st, ep, MODEL_A_ENROL_DEVICE, id);
	ds_store_set_str(st, ep, MODEL_A_ENROL_FORMAT, format);
	ds_store_set_str(st, ep, MODEL_A_ENROL_EXPIRES, expires);
	free(ep);
	registry_entry_walls(st, MODEL_ENROL_REGISTRY, hex, NULL);
	r = ctl_store(ctl, st, "storing the enrol token");
	ds_store_free(&st);
	if (r != 0) {
		explicit_bzero(token, sizeof(token));
		return CTL_FAIL;
	}
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (asprintf(&url, "%.*s/enrol/%s", (int)blen, base, token) < 0)
		abort();
	explicit_bzero(token, sizeof(token));
	jsonx_set_str(ctl_result(ctl), "url", url);
	jsonx_set_str(ctl_result(ctl), "expires", expires);
	jsonx_set_str(ctl_result(ctl), "format", format);
	ctl_out(ctl, "%s\n", url);
	explicit_bzero(url, strlen(url));
	free(url);
	return CTL_OK;
}

int
cmd_device_url(struct ctl *ctl, int argc, char **argv)
{
	const char *format = "mobileconfig", *ttl = NULL, *err;
	struct ctl_opt opts[] = {
		{ "format", CTL_OPT_ARG, &format },
		{ "ttl", CTL_OPT_ARG, &ttl },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	char *user = NULL;
	int r;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "device url needs a device id");
	if (!model_device_id_ok(argv[0], &err))
		return ctl_usage(ctl, "device \"%s\": %s", argv[0], err);
	if ((r = registry_device_user(ctl, argv[0], &user)) != 1)
		return r == -1 ? CTL_FAIL : ctl_error(ctl, "no device \"%s\"",
		    argv[0]);
	free(user);
	jsonx_set_str(ctl_result(ctl), "device", argv[0]);
	return cmd_enrol_url(ctl, argv[0], format, ttl);
}

/*
 * One SRV record; when the settings name the other socket type of the
 * pair, "0 0 0 ." (RFC 6186 §3.4: the service is decidedly not offered,
 * so clients take the published one); with no server, a comment.
 */
static void
srv(struct ctl *ctl, const char *svc, const char *domain, long ttl,
    const struct profile_server *s, enum profile_socket want,
    unsigned int port_default, json_t *recs)
{
	unsigned int port = s->port != 0 ? s->port : port_default;
	json_t *o;

	if (s->host == NULL) {
		ctl_out(ctl, "; %s._tcp.%s.: no server in the settings\n",
		    svc, domain);
		return;
	}
	o = jsonx_add(recs, json_object());
	jsonx_set_str(o, "name", svc);
	jsonx_set_str(o, "type", "SRV");
	if (s->socket != want) {
		ctl_out(ctl, "%s._tcp.%s.\t%ld\tIN\tSRV\t0 0 0 .\n", svc,
		    domain, ttl);
		jsonx_set_int(o, "port", 0);
		jsonx_set_str(o, "target", ".");
		return;
	}
	/* priority 0, weight 1, the configured port */
	ctl_out(ctl, "%s._tcp.%s.\t%ld\tIN\tSRV\t0 1 %u %s.\n", svc, domain,
	    ttl, port, s->host);
	jsonx_set_int(o, "port", (long long)port);
	jsonx_set_str(o, "target", s->host);
}

int
cmd_dns(struct ctl *ctl, int argc, char **argv)
{
	const char *http = NULL, *acap = NULL, *ttl_s = NULL, *err;
	struct ctl_opt opts[] = {
		{ "http-host", CTL_OPT_ARG, &http },
		{ "acap-host", CTL_OPT_ARG, &acap },
		{ "ttl", CTL_OPT_ARG, &ttl_s },
		{ NULL, CTL_OPT_FLAG, NULL },
	};
	struct model_layer l = { MODEL_SITE, NULL };
	struct profile p;
	json_t *recs;
	char dom[256], inst[256], *org = NULL, *end;
	long ttl = 3600;
	int r;

	if (ctl_getopt(ctl, &argc, argv, opts) != 0)
		return CTL_USAGE;
	if (argc != 1)
		return ctl_usage(ctl, "dns needs one domain");
	if (strlen(argv[0]) > 253 || !model_domain_ok(argv[0], dom, &err))
		return ctl_usage(ctl, "domain \"%s\": %s", argv[0],
		    strlen(argv[0]) > 253 ? "too long" : err);
	if (ttl_s != NULL && ((ttl = strtol(ttl_s, &end, 10)) < 0 ||
	    *end != '\0' || end == ttl_s || ttl > 2147483647))
		return ctl_usage(ctl, "--ttl \"%s\": seconds (RFC 2181 §8)",
		    ttl_s);
	if ((r = domains_owner(ctl, dom, &org)) == -1)
		return CTL_FAIL;
	if (r == 0)
		return ctl_error(ctl, "unknown domain %s (org domain add ORG "
		    "%s, or site domain add %s)", dom, dom, dom);
	if (org != NULL) {
		l.kind = MODEL_ORG;
		l.name = org;
	}
	profile_init(&p);
	if (profiles_layer(ctl, &l, &p) == -1) {
		profile_free(&p);
		free(org);
		return CTL_FAIL;
	}
	profile_finish(&p);
	instance_name(ctl, inst, sizeof(inst));
	if (acap == NULL)
		acap = ctl->conf.host != NULL ? ctl->conf.host : inst;
	if (http == NULL)
		http = inst;
	jsonx_set_str(ctl_result(ctl), "domain", dom);
	jsonx_set_str(ctl_result(ctl), "org", org);
	recs = jsonx_set(ctl_result(ctl), "records", json_array());
	ctl_out(ctl, "; %s: mail service records (RFC 6186, RFC 8314) from "
	    "the settings of %s%s\n", dom, org != NULL ? "organisation " :
	    "the site", org != NULL ? org : "");
	ctl_out(ctl, "$TTL %ld\n", ttl);
	srv(ctl, "_imap", dom, ttl, &p.imap, PROFILE_SOCKET_STARTTLS, 143,
	    recs);
	srv(ctl, "_imaps", dom, ttl, &p.imap, PROFILE_SOCKET_SSL, 993, recs);
	srv(ctl, "_submission", dom, ttl, &p.smtp, PROFILE_SOCKET_STARTTLS,
	    587, recs);
	/* RFC 8314 §5.1: implicit TLS for submission */
	srv(ctl, "_submissions", dom, ttl, &p.smtp, PROFILE_SOCKET_SSL, 465,
	    recs);
	ctl_out(ctl, "; ACAP itself (RFC 2244 port 674), for ACAP clients\n");
	ctl_out(ctl, "_acap._tcp.%s.\t%ld\tIN\tSRV\t0 1 %s %s.\n", dom, ttl,
	    ctl->conf.port != NULL ? ctl->conf.port : "674", acap);
	ctl_out(ctl, "; autoconfig (Thunderbird) and Autodiscover (Outlook) "
	    "on the host serving acapd's HTTP\n");
	ctl_out(ctl, "autoconfig.%s.\t%ld\tIN\tCNAME\t%s.\n", dom, ttl, http);
	ctl_out(ctl, "autodiscover.%s.\t%ld\tIN\tCNAME\t%s.\n", dom, ttl,
	    http);
	ctl_out(ctl, "_autodiscover._tcp.%s.\t%ld\tIN\tSRV\t0 0 443 %s.\n",
	    dom, ttl, http);
	jsonx_set_str(ctl_result(ctl), "acap_host", acap);
	jsonx_set_str(ctl_result(ctl), "http_host", http);
	profile_free(&p);
	free(org);
	return CTL_OK;
}
