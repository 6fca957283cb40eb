/*
 * discovery.c -- autoconfig and Autodiscover endpoints and the resolution
 * of a request to a layer (see discovery.h, doc/discovery.md).
 *
 * Privacy: without authentication the answer is built from the domain's
 * organisation (or site) layer with no address in it, so it is the same
 * octets for every address of the domain, existing or not; the address
 * index is not even read.  Per-user answers need the organisation's
 * opt-in (vendor.acapd.org.discovery "user") or HTTP Basic over TLS as the
 * address's own user.  Basic over plain HTTP is refused unchecked.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "disc-req.h"
#include "discovery.h"
#include "http.h"
#include "inherit.h"
#include "log.h"
#include "profile.h"
#include "sasl.h"
#include "server.h"

#define SCHEMA_2006A \
	"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
#define XML_TYPE	"application/xml; charset=utf-8"

/* A malloc'd copy of a single value (first of a multi-value), or NULL. */
static char *
value_of(const struct inherit_attr *ia)
{
	const struct store_str *v;
	char *s;

	if (ia == NULL || ia->a.nvalues == 0 ||
	    (ia->a.kind != STORE_V_SINGLE && ia->a.kind != STORE_V_MULTI))
		return NULL;
	v = &ia->a.values[0];
	if (memchr(v->s, '\0', v->len) != NULL)
		return NULL;
	if ((s = malloc(v->len + 1)) == NULL)
		abort();
	memcpy(s, v->s, v->len);
	s[v->len] = '\0';
	return s;
}

static char *
entry_value(const struct inherit_entry *e, const char *attr)
{
	struct inherit_tmp tmp;

	return e != NULL ? value_of(inherit_entry_get(e, attr, &tmp)) : NULL;
}

static bool
has_value(const struct inherit_entry *e, const char *attr)
{
	struct inherit_tmp tmp;
	const struct inherit_attr *ia = inherit_entry_get(e, attr, &tmp);

	return ia != NULL && ia->a.nvalues > 0 &&
	    (ia->a.kind == STORE_V_SINGLE || ia->a.kind == STORE_V_MULTI);
}

/* The effective view of path; a dataset that does not exist is empty. */
static bool
view_open(const char *path, struct inherit_view **v_r)
{
	enum store_err r = inherit_view_open(srv->store, path, 0, v_r);

	if (r == STORE_ENOEXIST) {
		*v_r = NULL;
		return true;
	}
	return r == STORE_OK;
}

/*
 * Attributes of one entry of a registry: 1 with *value_r (malloc'd, NULL
 * when the attribute is absent) and, when attr2 is not NULL, *value2_r,
 * 0 when there is no such entry, -1 on a store error.
 */
static int
registry_get2(const char *path, const char *entry, const char *attr,
    char **value_r, const char *attr2, char **value2_r)
{
	struct inherit_view *v;
	const struct inherit_entry *e;

	*value_r = NULL;
	if (attr2 != NULL)
		*value2_r = NULL;
	if (!view_open(path, &v))
		return -1;
	if (v == NULL)
		return 0;
	if ((e = inherit_view_find(v, entry)) != NULL) {
		*value_r = entry_value(e, attr);
		if (attr2 != NULL)
			*value2_r = entry_value(e, attr2);
	}
	inherit_view_free(&v);
	return e != NULL ? 1 : 0;
}

static int
registry_get(const char *path, const char *entry, const char *attr,
    char **value_r)
{
	return registry_get2(path, entry, attr, value_r, NULL, NULL);
}

/* The entry name at the end of a dataset path or URL ("/email/~/mail"). */
static const char *
last_component(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s);
	const char *slash;

	while (n > 0 && s[n - 1] == '/')
		n--;
	for (slash = s + n; slash > s && slash[-1] != '/'; slash--)
		;
	if ((size_t)(s + n - slash) >= len || s + n == slash)
		return NULL;
	memcpy(buf, slash, (size_t)(s + n - slash));
	buf[s + n - slash] = '\0';
	return buf;
}

/*
 * The entry of view v named by option optname of the option view (the
 * mua.default.* options, draft-ietf-acap-email §4), else the entry called
 * prefer, else the first entry carrying attr.
 */
static const struct inherit_entry *
pick_entry(struct inherit_view *v, struct inherit_view *opts,
    const char *optname, const char *prefer, const char *attr)
{
	const struct inherit_entry *e = NULL, *all;
	char buf[256], *val;
	size_t i, n;

	if (v == NULL)
		return NULL;
	if (opts != NULL && (val = entry_value(inherit_view_find(opts,
	    optname), "option.value")) != NULL) {
		const char *name = last_component(val, buf, sizeof(buf));

		if (name != NULL)
			e = inherit_view_find(v, name);
		free(val);
		if (e != NULL)
			return e;
	}
	if (prefer != NULL && (e = inherit_view_find(v, prefer)) != NULL &&
	    has_value(e, attr))
		return e;
	all = inherit_view_entries(v, &n);
	for (i = 0; i < n; i++)
		if (all[i].name[0] != '\0' && has_value(&all[i], attr))
			return &all[i];
	return NULL;
}

static void
apply_entry(struct profile *p, enum profile_class cls,
    const struct inherit_entry *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nattrs; i++) {
		char *val = value_of(&e->attrs[i]);

		if (val != NULL)
			profile_set_attr(p, cls, e->attrs[i].a.name, val);
		free(val);
	}
}

/* Fill p from the layer whose datasets are /email/<layer>, ... */
static bool
fill_layer(struct profile *p, const char *layer)
{
	struct inherit_view *ev = NULL, *pv = NULL, *ov = NULL;
	const struct inherit_entry *acct, *pers;
	char path[400], buf[256];
	const char *prefer = NULL;
	char *link;
	bool ok;

	snprintf(path, sizeof(path), "/email/%s/", layer);
	ok = view_open(path, &ev);
	snprintf(path, sizeof(path), "/personality/%s/", layer);
	ok = ok && view_open(path, &pv);
	snprintf(path, sizeof(path), "/option/%s/", layer);
	ok = ok && view_open(path, &ov);
	if (ok) {
		acct = pick_entry(ev, ov, "mua.default.account", NULL,
		    "email.server.IMAP");
		apply_entry(p, PROFILE_EMAIL, acct);
		/* the account's own personality, else the default one */
		link = entry_value(acct, "email.personality");
		if (link != NULL)
			prefer = last_component(link, buf, sizeof(buf));
		else if (acct != NULL)
			prefer = acct->name;
		pers = link != NULL && prefer != NULL && pv != NULL ?
		    inherit_view_find(pv, prefer) : NULL;
		if (pers == NULL)
			pers = pick_entry(pv, ov, "mua.default.personality",
			    prefer, "personality.Server.SMTP");
		apply_entry(p, PROFILE_PERSONALITY, pers);
		free(link);
	}
	if (ev != NULL)
		inherit_view_free(&ev);
	if (pv != NULL)
		inherit_view_free(&pv);
	if (ov != NULL)
		inherit_view_free(&ov);
	return ok;
}

enum disc_result
discovery_resolve(const char *domain, const char *addr, const char *auth_user,
    struct profile *p)
{
	char *org = NULL, *optin = NULL, *user = NULL, *desc = NULL;
	char layer[300];
	bool per_user = false;
	enum disc_result res = DISC_OK;
	int r;

	r = registry_get(DISC_DOMAINS, domain, DISC_DOMAIN_ORG, &org);
	if (r <= 0)
		return r == 0 ? DISC_UNKNOWN_DOMAIN : DISC_STORE_ERROR;
	if (org != NULL && registry_get2(DISC_ORGS, org, DISC_ORG_OPTIN,
	    &optin, "vendor.acapd.org.description", &desc) == -1) {
		res = DISC_STORE_ERROR;
		goto out;
	}
	if (addr != NULL && (auth_user != NULL ||
	    (optin != NULL && strcmp(optin, "user") == 0))) {
		if (registry_get(DISC_ADDRESSES, addr, DISC_ADDRESS_USER,
		    &user) == -1) {
			res = DISC_STORE_ERROR;
			goto out;
		}
		if (auth_user != NULL &&
		    (user == NULL || strcmp(user, auth_user) != 0)) {
			res = DISC_NOT_YOURS;
			goto out;
		}
		per_user = user != NULL;
	}
	profile_set_str(&p->domain, domain);
	profile_set_str(&p->org_name, org);
	profile_set_str(&p->org_description, desc);
	if (per_user)
		snprintf(layer, sizeof(layer), "user/%s", user);
	else if (org != NULL)
		snprintf(layer, sizeof(layer), "group/%s", org);
	else
		snprintf(layer, sizeof(layer), "site");
	if (!fill_layer(p, layer)) {
		res = DISC_STORE_ERROR;
		goto out;
	}
	if (per_user) {
		profile_set_str(&p->email, addr);
		profile_set_str(&p->login, user);
	} else {
		/* nothing of a person in an organisation-level answer */
		profile_set_str(&p->email, NULL);
		profile_set_str(&p->display_name, NULL);
	}
out:
	free(org);
	free(optin);
	free(user);
	free(desc);
	return res;
}

/*
 * HTTP Basic: 0 none, 1 verified (*user_r malloc'd), -1 answered already
 * (401/403/400).  Over plain HTTP the password is never checked.
 */
static int
basic_auth(const struct http_req *r, char **user_r)
{
	char *user, *pass;
	const char *err;
	int k;

	*user_r = NULL;
	k = http_basic_auth(r, &user, &pass);
	if (k == 1)
		return 0;
	if (k == -1) {
		http_error(r, 400, "malformed Authorization header");
		return -1;
	}
	if (!r->tls) {
		/* RFC 7617 §4: Basic sends the password in the clear */
		free(user);
		free(pass);
		http_error(r, 403, "HTTP Basic authentication is accepted "
		    "over HTTPS only; the password was not checked");
		return -1;
	}
	k = sasl_module_checkpass(user, pass, &err);
	free(pass);
	if (k != 1) {
		if (k == -1)
			log_warn("discovery: %s", err);
		log_info("discovery: HTTP Basic for %s from %s failed", user,
		    r->peer);
		free(user);
		http_header(r, "WWW-Authenticate",
		    "Basic realm=\"acapd\", charset=\"UTF-8\"");
		http_error(r, 401, "authentication failed");
		return -1;
	}
	*user_r = user;
	return 1;
}

static void
resolve_error(const struct http_req *r, enum disc_result res)
{
	switch (res) {
	case DISC_UNKNOWN_DOMAIN:
		http_error(r, 404, "no mail domain of this server");
		break;
	case DISC_NOT_YOURS:
		http_error(r, 403, "this address is not the authenticated "
		    "user's");
		break;
	default:
		http_error(r, 503, "the settings store is unavailable; try "
		    "again later");
		break;
	}
}

static void
send_xml(const struct http_req *r, const struct acap_buf *b, bool per_user)
{
	/* per-user answers must not sit in a shared cache */
	http_header(r, "Cache-Control", per_user ? "private, no-store" :
	    "no-cache");
	http_reply(r, 200, XML_TYPE, b);
}

/* GET /mail/config-v1.1.xml and /.well-known/autoconfig/mail/... */
static void
autoconfig_cb(const struct http_req *r, void *arg)
{
	char addr[DISCREQ_MAX_ADDRESS + 1], domain[DISCREQ_MAX_ADDRESS + 1];
	char *param, *user = NULL;
	struct acap_buf b = ACAP_BUF_INIT;
	struct profile p;
	enum disc_result res;
	bool have_addr = false;

	(void)arg;
	if ((param = discreq_query_param(r->query, "emailaddress")) != NULL &&
	    param[0] != '\0') {
		if (discreq_address(param, addr, domain, sizeof(addr)) == -1) {
			free(param);
			http_error(r, 400, "emailaddress is not an address");
			return;
		}
		have_addr = true;
	} else if (discreq_host_domain(r->host, domain, sizeof(domain)) == -1) {
		free(param);
		http_error(r, 400, "no emailaddress and no usable Host header");
		return;
	}
	free(param);
	if (basic_auth(r, &user) == -1)
		return;
	profile_init(&p);
	res = discovery_resolve(domain, have_addr ? addr : NULL, user, &p);
	/* Thunderbird asks autoconfig.<domain>: try the domain under it */
	if (res == DISC_UNKNOWN_DOMAIN && !have_addr &&
	    strncmp(domain, "autoconfig.", 11) == 0)
		res = discovery_resolve(domain + 11, NULL, user, &p);
	if (res != DISC_OK)
		resolve_error(r, res);
	else {
		profile_autoconfig_xml(&p, &b);
		send_xml(r, &b, p.email != NULL);
	}
	profile_free(&p);
	acap_buf_deinit(&b);
	free(user);
}

static void
autodiscover_error(const struct http_req *r, int http, int code,
    const char *msg)
{
	struct acap_buf b = ACAP_BUF_INIT;

	profile_autodiscover_error_xml(&b, code, msg);
	http_header(r, "Cache-Control", "no-store");
	http_reply(r, http, XML_TYPE, &b);
	acap_buf_deinit(&b);
}

/* POST /autodiscover/autodiscover.xml (any case) */
static void
autodiscover_cb(const struct http_req *r, void *arg)
{
	char addr[DISCREQ_MAX_ADDRESS + 1], domain[DISCREQ_MAX_ADDRESS + 1];
	char *email, *schema, *user = NULL;
	struct acap_buf b = ACAP_BUF_INIT;
	const char *err;
	struct profile p;
	enum disc_result res;

	(void)arg;
	if (discreq_autodiscover(r->body, r->bodylen, &email, &schema,
	    &err) == -1) {
		autodiscover_error(r, 400, 600, err);
		return;
	}
	if (schema != NULL && strcmp(schema, SCHEMA_2006A) != 0) {
		/* [MS-OXDSCLI]: 601, the requested schema is not provided */
		autodiscover_error(r, 200, 601, "Provider is not available: "
		    "only the response schema " SCHEMA_2006A " is served");
		goto out;
	}
	if (discreq_address(email, addr, domain, sizeof(addr)) == -1) {
		autodiscover_error(r, 400, 600, "EMailAddress is not an "
		    "address");
		goto out;
	}
	if (basic_auth(r, &user) == -1)
		goto out;
	profile_init(&p);
	res = discovery_resolve(domain, addr, user, &p);
	if (res != DISC_OK)
		resolve_error(r, res);
	else {
		profile_autodiscover_xml(&p, &b);
		send_xml(r, &b, p.email != NULL);
	}
	profile_free(&p);
out:
	acap_buf_deinit(&b);
	free(email);
	free(schema);
	free(user);
}

/* GET /autodiscover/autodiscover.json...?Protocol=AutodiscoverV1 */
static void
autodiscover_json_cb(const struct http_req *r, void *arg)
{
	char *proto = discreq_query_param(r->query, "protocol");
	struct acap_buf b = ACAP_BUF_INIT;
	const char *c;

	(void)arg;
	if (proto == NULL || strcasecmp(proto, "AutodiscoverV1") != 0) {
		acap_buf_addstr(&b, "{\"ErrorCode\":\"ProtocolNotSupported\","
		    "\"ErrorMessage\":\"only Protocol=AutodiscoverV1 is "
		    "served\"}\n");
		http_header(r, "Cache-Control", "no-store");
		http_reply(r, 400, "application/json", &b);
		goto out;
	}
	/* the Host goes into the answer: host name characters only */
	for (c = r->host; c != NULL && *c != '\0'; c++)
		if (!(*c == '.' || *c == '-' || *c == ':' || *c == '[' ||
		    *c == ']' || (*c >= '0' && *c <= '9') ||
		    (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
			break;
	if (r->host == NULL || r->host[0] == '\0' || *c != '\0' ||
	    strlen(r->host) > 262) {
		http_error(r, 400, "no usable Host header");
		goto out;
	}
	acap_buf_printf(&b, "{\"Protocol\":\"AutodiscoverV1\",\"Url\":"
	    "\"https://%s/Autodiscover/Autodiscover.xml\"}\n", r->host);
	http_header(r, "Cache-Control", "no-cache");
	http_reply(r, 200, "application/json", &b);
out:
	acap_buf_deinit(&b);
	free(proto);
}

void
discovery_init(void)
{
	http_route_add("/mail/config-v1.1.xml", 0, HTTP_M_GET, autoconfig_cb,
	    NULL);
	http_route_add("/.well-known/autoconfig/mail/config-v1.1.xml", 0,
	    HTTP_M_GET, autoconfig_cb, NULL);
	http_route_add("/autodiscover/autodiscover.xml", HTTP_R_NOCASE,
	    HTTP_M_POST, autodiscover_cb, NULL);
	http_route_add("/autodiscover/autodiscover.json",
	    HTTP_R_NOCASE | HTTP_R_PREFIX, HTTP_M_GET, autodiscover_json_cb,
	    NULL);
}

bool
discovery_fill_layer(struct profile *p, const char *layer)
{
	return fill_layer(p, layer);
}
