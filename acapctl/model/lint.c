/*
 * lint.c -- RFC 5383 / RFC 8314 checks over effective mail settings.
 * Pure functions over ds.h datasets.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"
#include "lint.h"
#include "model.h"
#include "validate.h"

#define DEFAULT_TLS	"starttls-required"

static char *
xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		abort();
	return p;
}

static bool
deliberate(const struct ds_entry *e, const char *attr)
{
	const struct ds_attr *a;
	char name[512];

	snprintf(name, sizeof(name), "%s%s", MODEL_A_DELIBERATE_PREFIX, attr);
	if (e == NULL || (a = ds_entry_get(e, name)) == NULL)
		return false;
	return a->value.kind != DS_NIL;
}

static void __attribute__((format(printf, 7, 8)))
add(struct lint_report *r, enum lint_severity sev, const char *rule,
    const char *ref, const char *cls, const struct ds_entry *e,
    const char *fmt, ...)
{
	struct lint_finding *f;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	f = realloc(r->f, (r->n + 1) * sizeof(*r->f));
	if (f == NULL)
		abort();
	r->f = f;
	f = &r->f[r->n++];
	f->severity = sev;
	f->rule = rule;
	f->ref = ref;
	f->cls = xstrdup(cls);
	f->entry = xstrdup(e->name);
	f->attr = NULL;
	f->message = msg;
}

/* The finding just added concerns attr. */
static void
about(struct lint_report *r, const char *attr)
{
	r->f[r->n - 1].attr = xstrdup(attr);
}

/* Severity sev, or a note when the attribute was deliberately set. */
static enum lint_severity
sev_for(const struct ds_entry *e, const char *attr, enum lint_severity sev)
{
	return deliberate(e, attr) ? LINT_NOTE : sev;
}

static const char *
single(const struct ds_entry *e, const char *attr)
{
	const struct ds_attr *a;

	if (e == NULL || (a = ds_entry_get(e, attr)) == NULL)
		return NULL;
	return ds_value_str(&a->value);
}

/*
 * TLS policy of an entry: its (effective) vendor.acapd.tls, else the
 * default.  Accounts and personalities have their own: IMAP on 993 with
 * submission on 587 is common.
 */
static const char *
tls_policy(const struct ds_entry *e)
{
	const char *t = single(e, "vendor.acapd.tls");

	return t != NULL ? t : DEFAULT_TLS;
}

/*
 * Port and TLS agreement for one server URL.  std_port is the RFC 5383
 * port, tls_port the implicit-TLS one (RFC 8314 §3.3).
 */
static void
check_server(struct lint_report *r, const char *cls,
    const struct ds_entry *e, const char *attr, const char *tls,
    const char *rule, unsigned int std_port, unsigned int tls_port,
    const char *what)
{
	const char *url = single(e, attr), *err;
	struct validate_url u;
	bool implicit = strcmp(tls, "implicit") == 0;
	bool tls_set = single(e, "vendor.acapd.tls") != NULL;

	if (url == NULL)
		return;
	if (validate_parse_url(url, &u, &err) == -1) {
		add(r, LINT_ERROR, rule, "RFC 5383 §3", cls, e,
		    "%s \"%s\" cannot be used: %s", attr, url, err);
		about(r, attr);
		return;
	}
	if (u.implicit_tls && !implicit) {
		if (tls_set) {
			add(r, LINT_ERROR, "tls-required", "RFC 8314 §3", cls,
			    e, "%s uses the %s: scheme (implicit TLS) but "
			    "vendor.acapd.tls is %s", attr, u.scheme, tls);
			about(r, "vendor.acapd.tls");
		}
		implicit = true;	/* the scheme says so */
	}
	if (u.port == std_port) {
		if (implicit && !u.implicit_tls) {
			add(r, LINT_ERROR, "tls-required", "RFC 8314 §3", cls,
			    e, "vendor.acapd.tls is implicit but %s names "
			    "port %u, where %s starts in plaintext "
			    "(STARTTLS); implicit TLS uses port %u", attr,
			    u.port, what, tls_port);
			about(r, "vendor.acapd.tls");
		}
		return;
	}
	if (u.port == tls_port && (implicit || u.implicit_tls)) {
		add(r, LINT_NOTE, rule, "RFC 8314 §3.3", cls, e,
		    "%s on port %u with implicit TLS instead of %u with "
		    "STARTTLS (RFC 5383 §3); fine where clients support it",
		    what, u.port, std_port);
		about(r, attr);
		return;
	}
	if (u.port == tls_port) {
		add(r, LINT_ERROR, "tls-required", "RFC 8314 §3.3", cls, e,
		    "%s names port %u, the implicit-TLS port, but "
		    "vendor.acapd.tls is %s", attr, u.port, tls);
		about(r, "vendor.acapd.tls");
		return;
	}
	add(r, sev_for(e, attr, LINT_WARNING), rule, "RFC 5383 §3", cls, e,
	    "%s is on port %u%s; RFC 5383 §3 wants port %u%s", what, u.port,
	    u.port_given ? "" : " (the URL's default)", std_port,
	    deliberate(e, attr) ? " (deliberately changed)" : "");
	about(r, attr);
}

static void
check_tls(struct lint_report *r, const char *cls, const struct ds_entry *e,
    const char *tls)
{
	if (!validate_tls_policy_ok(tls)) {
		add(r, LINT_ERROR, "tls-required", "RFC 8314 §3", cls, e,
		    "vendor.acapd.tls \"%s\" is not a TLS policy "
		    "(starttls-required, starttls-optional, implicit)", tls);
		about(r, "vendor.acapd.tls");
	} else if (strcmp(tls, "starttls-optional") == 0) {
		add(r, sev_for(e, "vendor.acapd.tls", LINT_WARNING),
		    "tls-required", "RFC 8314 §3, RFC 2595 §2", cls, e,
		    "STARTTLS is optional, so an attacker can strip it; "
		    "use starttls-required or implicit");
		about(r, "vendor.acapd.tls");
	}
}

static void
check_email(struct lint_report *r, const struct ds_entry *e)
{
	const char *tls = tls_policy(e), *v;
	long secs;

	check_tls(r, "email", e, tls);
	check_server(r, "email", e, "email.server.IMAP", tls, "imap-port-143",
	    143, 993, "IMAP");
	if ((v = single(e, "vendor.acapd.idle-ceiling")) != NULL) {
		if (validate_parse_seconds(v, &secs) == -1) {
			add(r, LINT_ERROR, "idle-ceiling-2h", "RFC 5383 §4.1",
			    "email", e, "vendor.acapd.idle-ceiling \"%s\" is "
			    "not a number of seconds", v);
			about(r, "vendor.acapd.idle-ceiling");
		} else if (secs >= VALIDATE_IDLE_HARD) {
			add(r, sev_for(e, "vendor.acapd.idle-ceiling",
			    LINT_ERROR), "idle-ceiling-2h", "RFC 5383 §4.1",
			    "email", e, "idle ceiling %ld s is 2 hours or "
			    "more: middleboxes commonly drop idle TCP "
			    "connections at 2 hours%s", secs,
			    deliberate(e, "vendor.acapd.idle-ceiling") ?
			    " (deliberately configured)" : "");
			about(r, "vendor.acapd.idle-ceiling");
		} else if (secs > VALIDATE_IDLE_MAX_DEFAULT) {
			add(r, sev_for(e, "vendor.acapd.idle-ceiling",
			    LINT_WARNING), "idle-ceiling-29min",
			    "RFC 5383 §4.1, RFC 2177", "email", e,
			    "idle ceiling %ld s is over 29 minutes: IMAP "
			    "servers may end IDLE first", secs);
			about(r, "vendor.acapd.idle-ceiling");
		}
	}
	if ((v = single(e, "vendor.acapd.tcp-keepalive")) != NULL &&
	    strcmp(v, "off") != 0) {
		add(r, strcmp(v, "on") == 0 ?
		    sev_for(e, "vendor.acapd.tcp-keepalive", LINT_WARNING) :
		    LINT_ERROR, "tcp-keepalive-off", "RFC 5383 §4.2", "email",
		    e, strcmp(v, "on") == 0 ? "TCP keep-alive is on; RFC "
		    "5383 §4.2 says SHOULD NOT: it wakes dormant devices" :
		    "vendor.acapd.tcp-keepalive must be off or on");
		about(r, "vendor.acapd.tcp-keepalive");
	}
}

static void
check_personality(struct lint_report *r, const struct ds_entry *p)
{
	const char *tls = tls_policy(p);

	if (single(p, "vendor.acapd.tls") != NULL)
		check_tls(r, "personality", p, tls);
	check_server(r, "personality", p, "personality.Server.SMTP", tls,
	    "submission-port-587", 587, 465, "submission");
}

void
lint_run(const struct ds *email, const struct ds *personality,
    struct lint_report *r)
{
	size_t i;

	if (email != NULL)
		for (i = 0; i < email->nentries; i++)
			check_email(r, &email->entries[i]);
	if (personality != NULL)
		for (i = 0; i < personality->nentries; i++)
			check_personality(r, &personality->entries[i]);
}

void
lint_report_clear(struct lint_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->f[i].cls);
		free(r->f[i].entry);
		free(r->f[i].attr);
		free(r->f[i].message);
	}
	free(r->f);
	r->f = NULL;
	r->n = 0;
}

const char *
lint_severity_name(enum lint_severity s)
{
	switch (s) {
	case LINT_NOTE:
		return "note";
	case LINT_WARNING:
		return "warning";
	case LINT_ERROR:
		break;
	}
	return "error";
}

size_t
lint_count(const struct lint_report *r, enum lint_severity min)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		if (r->f[i].severity >= min)
			n++;
	return n;
}
