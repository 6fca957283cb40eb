/*
 * enrol.c -- GET /enrol/<token>: a device's profile, served once
 * (enrol.h, doc/discovery.md).
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <openssl/evp.h>

#include "acap-buf.h"
#include "config.h"
#include "discovery.h"
#include "enrol.h"
#include "http.h"
#include "log.h"
#include "profile.h"
#include "profile-apple.h"
#include "profile-json.h"
#include "server.h"
#include "store.h"

#define ENROL_REGISTRY	"/vendor.acapd.enrol/site/"
#define ENROL_PREFIX	"/enrol/"
#define TOKEN_LEN	43	/* 32 octets in base64url, no padding */

static struct profile_signer *signer;

/* A single value of an entry's attribute, copied; NULL when none. */
static char *
attr_copy(const struct store_entry *e, const char *name)
{
	const struct store_attr *a = e != NULL ? store_entry_attr(e, name) :
	    NULL;
	char *s;

	if (a == NULL || a->kind != STORE_V_SINGLE || a->nvalues != 1 ||
	    memchr(a->values[0].s, '\0', a->values[0].len) != NULL)
		return NULL;
	if ((s = strndup(a->values[0].s, a->values[0].len)) == NULL)
		abort();
	return s;
}

/* One attribute of one registry entry: 1, 0 (no entry), -1 (store). */
static int
registry_value(const char *path, const char *entry, const char *attr,
    char **value_r)
{
	struct store_snap *snap = NULL;
	const struct store_entry *e;
	enum store_err r;

	*value_r = NULL;
	if ((r = store_snap_get(srv->store, path, &snap)) == STORE_ENOEXIST)
		return 0;
	if (r != STORE_OK)
		return -1;
	e = store_snap_find(snap, entry);
	if (e != NULL && !e->blocked)
		*value_r = attr_copy(e, attr);
	store_snap_unref(&snap);
	return e != NULL && !e->blocked ? 1 : 0;
}

/*
 * The first entry of a registry whose attr is value (the address index
 * by user, the domains by organisation): a copy, or NULL.
 */
static char *
registry_first(const char *path, const char *attr, const char *value)
{
	struct store_snap *snap = NULL;
	const struct store_entry *es;
	char *v, *found = NULL;
	size_t i, n;

	if (value == NULL || store_snap_get(srv->store, path, &snap) !=
	    STORE_OK)
		return NULL;
	es = store_snap_entries(snap, &n);
	for (i = 0; i < n && found == NULL; i++) {
		if (es[i].blocked || es[i].name[0] == '\0')
			continue;
		v = attr_copy(&es[i], attr);
		if (v != NULL && strcmp(v, value) == 0 &&
		    (found = strdup(es[i].name)) == NULL)
			abort();
		free(v);
	}
	store_snap_unref(&snap);
	return found;
}

/*
 * The profile of device id: its layer's effective settings, its user's
 * first address (the user name as login), its organisation -- as acapctl
 * "device profile" builds it (acapctl/model/profiles.c).
 */
static bool
device_profile(const char *id, struct profile *p)
{
	char layer[128], *user = NULL, *org = NULL, *desc = NULL, *addr;
	const char *at;
	bool ok = false;

	if (registry_value("/vendor.acapd.device/site/", id,
	    "vendor.acapd.device.user", &user) != 1 || user == NULL)
		goto out;
	if (registry_value("/vendor.acapd.user/site/", user,
	    "vendor.acapd.user.org", &org) == -1)
		goto out;
	if (org != NULL && registry_value(DISC_ORGS, org,
	    "vendor.acapd.org.description", &desc) == -1)
		goto out;
	snprintf(layer, sizeof(layer), "host/%s", id);
	if (!discovery_fill_layer(p, layer))
		goto out;
	if ((addr = registry_first(DISC_ADDRESSES, DISC_ADDRESS_USER,
	    user)) != NULL) {
		profile_set_str(&p->email, addr);
		at = strrchr(addr, '@');
		profile_set_str(&p->domain, at != NULL ? at + 1 : NULL);
		free(addr);
	} else if (org != NULL) {
		addr = registry_first(DISC_DOMAINS, DISC_DOMAIN_ORG, org);
		profile_set_str(&p->domain, addr);
		free(addr);
	}
	if (p->login == NULL)
		profile_set_str(&p->login, user);
	profile_set_str(&p->org_name, org);
	profile_set_str(&p->org_description, desc);
	ok = true;
out:
	free(user);
	free(org);
	free(desc);
	return ok;
}

static bool
token_ok(const char *t)
{
	size_t i;

	if (strlen(t) != TOKEN_LEN)
		return false;
	for (i = 0; i < TOKEN_LEN; i++)
		if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' &&
		    t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') ||
		    t[i] == '-' || t[i] == '_'))
			return false;
	return true;
}

/* The host of the Host header, without a port: the profile's instance. */
static void
host_of(const char *h, char *buf, size_t size)
{
	size_t n;

	if (h == NULL || *h == '\0')
		h = "localhost";
	if (*h == '[')
		n = strchr(h, ']') != NULL ? (size_t)(strchr(h, ']') - h) + 1 :
		    strlen(h);
	else
		n = strcspn(h, ":");
	snprintf(buf, size, "%.*s", (int)n, h);
	for (n = 0; buf[n] != '\0'; n++)
		if (buf[n] >= 'A' && buf[n] <= 'Z')
			buf[n] = (char)(buf[n] + 32);
}

/*
 * Take the token's entry: read it and delete it in one STORE guarded by
 * UNCHANGEDSINCE its modtime (RFC 2244 §6.6.1), committed before the
 * caller answers.  1 with *device_r and *format_r when the token was
 * good, 0 when unknown, used or expired, -1 on a store error.
 */
static int
take(const char *hash, char **device_r, char **format_r)
{
	struct store_snap *snap = NULL;
	const struct store_entry *e;
	struct store_attr_op aop;
	struct store_entry_op eop;
	struct store_result res;
	char now[15], *expires, modtime[STORE_MODTIME_LEN + 1];
	struct tm tm;
	time_t t;
	enum store_err r;
	bool live;

	*device_r = *format_r = NULL;
	if ((r = store_snap_get(srv->store, ENROL_REGISTRY, &snap)) ==
	    STORE_ENOEXIST)
		return 0;
	if (r != STORE_OK)
		return -1;
	if ((e = store_snap_find(snap, hash)) == NULL || e->blocked) {
		store_snap_unref(&snap);
		return 0;
	}
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y%m%d%H%M%S", &tm);
	expires = attr_copy(e, "vendor.acapd.enrol.expires");
	/* ACAP times compare as strings (RFC 2244 §2.6.4: fixed width) */
	live = expires != NULL && strlen(expires) == 14 &&
	    strcmp(expires, now) > 0;
	free(expires);
	*device_r = attr_copy(e, "vendor.acapd.enrol.device");
	*format_r = attr_copy(e, "vendor.acapd.enrol.format");
	snprintf(modtime, sizeof(modtime), "%s", e->modtime);
	store_snap_unref(&snap);

	/* used up now, expired or not: delete first, answer after */
	memset(&aop, 0, sizeof(aop));
	aop.name = "entry";
	aop.value_op = STORE_OP_DEFAULT;
	memset(&eop, 0, sizeof(eop));
	eop.dataset = ENROL_REGISTRY;
	eop.entry = hash;
	eop.unchangedsince = modtime;
	eop.attrs = &aop;
	eop.nattrs = 1;
	memset(&res, 0, sizeof(res));
	r = store_apply(srv->store, &eop, 1, &res);
	if (r != STORE_OK || !live || *device_r == NULL) {
		free(*device_r);
		free(*format_r);
		*device_r = *format_r = NULL;
		if (r == STORE_OK || r == STORE_EMODIFIED ||
		    r == STORE_ENOENT)
			return 0;
		log_warn("enrol: cannot delete a token: %s",
		    store_err_text(r));
		return -1;
	}
	return 1;
}

static void
enrol_cb(const struct http_req *r, void *arg)
{
	struct acap_buf body = ACAP_BUF_INIT, sig = ACAP_BUF_INIT, *out = &body;
	const char *token = r->path + strlen(ENROL_PREFIX), *ctype;
	char hash[65], host[256], disp[160], why[256];
	char *device = NULL, *format = NULL;
	unsigned char md[32];
	struct profile p;
	size_t i;
	int t;

	(void)arg;
	http_header(r, "Cache-Control", "no-store");
	/* a HEAD (a link checker) must not use the token up */
	if (evhttp_request_get_command(r->req) == EVHTTP_REQ_HEAD) {
		http_header(r, "Allow", "GET");
		http_error(r, 405, "GET only: the link is served once");
		return;
	}
	if (!token_ok(token) || EVP_Digest(token, TOKEN_LEN, md, NULL,
	    EVP_sha256(), NULL) != 1) {
		http_error(r, 404, "no such enrol link (unknown, used or "
		    "expired)");
		return;
	}
	for (i = 0; i < sizeof(md); i++)
		snprintf(hash + 2 * i, 3, "%02x", md[i]);
	if ((t = take(hash, &device, &format)) != 1) {
		if (t == 0)
			http_error(r, 404, "no such enrol link (unknown, used "
			    "or expired)");
		else
			http_error(r, 503, "the store is not available");
		return;
	}
	profile_init(&p);
	host_of(r->host, host, sizeof(host));
	if (!device_profile(device, &p)) {
		http_error(r, 503, "the device's settings cannot be read");
		goto out;
	}
	if (format != NULL && strcmp(format, "autoconfig") == 0) {
		profile_autoconfig_xml(&p, &body);
		ctype = "application/xml; charset=utf-8";
	} else if (format != NULL && strcmp(format, "json") == 0) {
		profile_json(&p, device, &body);
		ctype = "application/json";
	} else {
		if (profile_apple_plist(&p, host, device, &body) == -1) {
			http_error(r, 500, "cannot make the profile");
			goto out;
		}
		if (signer != NULL) {
			if (profile_apple_sign(signer, body.data, body.len,
			    &sig, why, sizeof(why)) == -1) {
				log_warn("enrol: %s", why);
				http_error(r, 500, "cannot sign the profile");
				goto out;
			}
			out = &sig;
		}
		ctype = PROFILE_APPLE_TYPE;
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s."
		    "mobileconfig\"", device);
		http_header(r, "Content-Disposition", disp);
	}
	log_info("enrol: device %s: %s profile served once to %s", device,
	    format != NULL ? format : "mobileconfig", r->peer);
	http_reply(r, 200, ctype, out);
out:
	profile_free(&p);
	acap_buf_deinit(&body);
	acap_buf_deinit(&sig);
	free(device);
	free(format);
}

void
enrol_init(void)
{
	char why[512];

	http_route_add(ENROL_PREFIX, HTTP_R_PREFIX, HTTP_M_GET, enrol_cb,
	    NULL);
	if (cfg->tls_cert == NULL || cfg->tls_cert[0] == '\0' ||
	    cfg->tls_key == NULL || cfg->tls_key[0] == '\0') {
		log_info("enrol: no tls_cert/tls_key: profiles are served "
		    "unsigned");
		return;
	}
	if ((signer = profile_signer_load(cfg->tls_cert, cfg->tls_key, why,
	    sizeof(why))) == NULL)
		log_warn("enrol: profiles are served unsigned: %s", why);
}

void
enrol_close(void)
{
	profile_signer_free(&signer);
}
