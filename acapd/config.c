/*
 * config.c -- the option table and the acapd.conf parser.
 *
 * Syntax: one "name value" per line; "#" starts a comment; the value is
 * the rest of the line with surrounding blanks removed (it may contain
 * spaces, e.g. a listen list).  Every option is documented in
 * acapd.conf(5).
 */
#include "autoconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "bounds.h"

struct config *cfg;

enum opt_type { OPT_STR, OPT_BOOL, OPT_UINT, OPT_ULL, OPT_DUR };

struct option {
	const char *name;
	enum opt_type type;
	size_t off;
	const char *def;
	unsigned long long min, max;
};

#define O(f) offsetof(struct config, f)
#define XSTR(x) STR(x)
#define STR(x) #x
#define UMAX 4294967295ULL

/* Sorted by name is not required; kept grouped as in config.h. */
static const struct option options[] = {
	{ "listen", OPT_STR, O(listen), "0.0.0.0:674 [::]:674", 0, 0 },
	{ "tcp_keepalive", OPT_BOOL, O(tcp_keepalive), "no", 0, 0 },
	{ "max_connections", OPT_UINT, O(max_connections),
	    XSTR(LIM_MAX_CONNECTIONS), 0, UMAX },
	{ "max_connections_per_ip", OPT_UINT, O(max_connections_per_ip),
	    XSTR(LIM_MAX_CONNECTIONS_PER_IP), 0, UMAX },
	{ "max_unauth_connections", OPT_UINT, O(max_unauth_connections),
	    XSTR(LIM_MAX_UNAUTH_CONNECTIONS), 0, UMAX },
	{ "idle_timeout", OPT_UINT, O(idle_timeout), XSTR(LIM_IDLE_TIMEOUT),
	    LIM_IDLE_TIMEOUT_MIN, UMAX },
	{ "preauth_idle_timeout", OPT_UINT, O(preauth_idle_timeout),
	    XSTR(LIM_PREAUTH_IDLE_TIMEOUT), 1, UMAX },

	{ "metrics_listen", OPT_STR, O(metrics_listen), "127.0.0.1:9674",
	    0, 0 },
	{ "http_listen", OPT_STR, O(http_listen), "", 0, 0 },
	{ "https_listen", OPT_STR, O(https_listen), "", 0, 0 },
	{ "http_max_header_size", OPT_UINT, O(http_max_header_size),
	    XSTR(LIM_HTTP_MAX_HEADER_SIZE), 1024, 1048576 },
	{ "http_max_body_size", OPT_UINT, O(http_max_body_size),
	    XSTR(LIM_HTTP_MAX_BODY_SIZE), 1024, 16777216 },
	{ "http_max_uri", OPT_UINT, O(http_max_uri), XSTR(LIM_HTTP_MAX_URI),
	    256, 1048576 },
	{ "http_timeout", OPT_UINT, O(http_timeout), XSTR(LIM_HTTP_TIMEOUT),
	    1, 3600 },
	{ "http_max_connections_per_ip", OPT_UINT,
	    O(http_max_connections_per_ip),
	    XSTR(LIM_HTTP_MAX_CONNECTIONS_PER_IP), 1, UMAX },

	{ "statedir", OPT_STR, O(statedir), LOCALSTATEDIR "/lib/acapd", 0, 0 },
	{ "database", OPT_STR, O(database), "acapd.db", 0, 0 },
	{ "pidfile", OPT_STR, O(pidfile), "", 0, 0 },
	{ "portfile", OPT_STR, O(portfile), "", 0, 0 },
	{ "user", OPT_STR, O(user), "", 0, 0 },
	{ "group", OPT_STR, O(group), "", 0, 0 },

	{ "syslog", OPT_BOOL, O(syslog), "no", 0, 0 },
	{ "log_level", OPT_STR, O(log_level), "info", 0, 0 },

	{ "tls_cert", OPT_STR, O(tls_cert), "", 0, 0 },
	{ "tls_key", OPT_STR, O(tls_key), "", 0, 0 },
	{ "tls_ca", OPT_STR, O(tls_ca), "", 0, 0 },
	{ "tls_min_protocol", OPT_STR, O(tls_min_protocol), "TLSv1.2", 0, 0 },
	{ "tls_ciphers", OPT_STR, O(tls_ciphers), "", 0, 0 },
	{ "tls_ciphersuites", OPT_STR, O(tls_ciphersuites), "", 0, 0 },
	{ "tls_generate", OPT_BOOL, O(tls_generate), "no", 0, 0 },
	{ "require_tls", OPT_BOOL, O(require_tls), "no", 0, 0 },
	{ "require_tls_exempt_loopback", OPT_BOOL,
	    O(require_tls_exempt_loopback), "no", 0, 0 },

	{ "sasl_mech_list", OPT_STR, O(sasl_mech_list), "", 0, 0 },
	{ "sasl_pwcheck_method", OPT_STR, O(sasl_pwcheck_method), "auxprop",
	    0, 0 },
	{ "sasl_auxprop_plugin", OPT_STR, O(sasl_auxprop_plugin), "sasldb",
	    0, 0 },
	{ "sasl_sasldb", OPT_STR, O(sasl_sasldb), "sasldb2", 0, 0 },
	{ "sasl_saslauthd_path", OPT_STR, O(sasl_saslauthd_path), "", 0, 0 },
	{ "sasl_sql", OPT_STR, O(sasl_sql), "", 0, 0 },
	{ "allow_plaintext", OPT_BOOL, O(allow_plaintext), "no", 0, 0 },
	{ "allow_anonymous", OPT_BOOL, O(allow_anonymous), "no", 0, 0 },
	{ "admins", OPT_STR, O(admins), "", 0, 0 },
	{ "managed_classes", OPT_STR, O(managed_classes),
	    "email personality option", 0, 0 },
	{ "bootstrap_admin", OPT_STR, O(bootstrap_admin), "", 0, 0 },
	{ "max_auth_failures", OPT_UINT, O(max_auth_failures),
	    XSTR(LIM_MAX_AUTH_FAILURES), 1, 1000 },
	{ "max_auth_failures_per_ip", OPT_UINT, O(max_auth_failures_per_ip),
	    "30", 1, UMAX },
	{ "auth_fail_window", OPT_UINT, O(auth_fail_window), "300", 1,
	    86400 },
	{ "auth_fail_delay_ms", OPT_UINT, O(auth_fail_delay_ms),
	    XSTR(LIM_AUTH_FAIL_DELAY_MS), 0, 60000 },

	{ "preauth_max_line", OPT_UINT, O(preauth_max_line),
	    XSTR(LIM_PREAUTH_MAX_LINE), 256, UMAX },
	{ "preauth_max_literal", OPT_UINT, O(preauth_max_literal),
	    XSTR(LIM_PREAUTH_MAX_LITERAL), 0, UMAX },
	{ "preauth_max_nonsync", OPT_UINT, O(preauth_max_nonsync),
	    XSTR(LIM_PREAUTH_MAX_NONSYNC), 0, UMAX },
	{ "preauth_max_command", OPT_UINT, O(preauth_max_command),
	    XSTR(LIM_PREAUTH_MAX_COMMAND), 256, UMAX },
	/* 0: bounded by max_command only (bounds.h); else 1024 or more */
	{ "max_line", OPT_UINT, O(max_line), XSTR(LIM_MAX_LINE), 1024, UMAX },
	{ "max_literal", OPT_UINT, O(max_literal), XSTR(LIM_MAX_LITERAL),
	    1024, UMAX },
	{ "max_command", OPT_UINT, O(max_command), XSTR(LIM_MAX_COMMAND),
	    1024, UMAX },
	{ "max_depth", OPT_UINT, O(max_depth), XSTR(LIM_MAX_DEPTH), 2, 1000 },
	{ "max_args", OPT_UINT, O(max_args), XSTR(LIM_MAX_ARGS), 16, UMAX },
	{ "max_bad_commands", OPT_UINT, O(max_bad_commands),
	    XSTR(LIM_MAX_BAD_COMMANDS), 1, UMAX },
	{ "max_output", OPT_UINT, O(max_output), XSTR(LIM_MAX_OUTPUT),
	    65536, UMAX },
	{ "output_hiwat", OPT_UINT, O(output_hiwat), XSTR(LIM_OUTPUT_HIWAT),
	    4096, UMAX },
	{ "output_timeout", OPT_UINT, O(output_timeout),
	    XSTR(LIM_OUTPUT_TIMEOUT), 1, 86400 },
	{ "context_limit", OPT_UINT, O(context_limit),
	    XSTR(LIM_CONTEXT_LIMIT), 100, 1000000 },
	{ "search_max_datasets", OPT_UINT, O(search_max_datasets),
	    XSTR(LIM_SEARCH_MAX_DATASETS), 1, 100000 },
	{ "search_max_entries", OPT_UINT, O(search_max_entries),
	    XSTR(LIM_SEARCH_MAX_ENTRIES), 1, UMAX },
	{ "max_literal_inflight", OPT_UINT, O(max_literal_inflight),
	    XSTR(LIM_MAX_LITERAL_INFLIGHT), 65536, UMAX },

	{ "quota", OPT_ULL, O(quota), "10485760", 0, ~0ULL },
	{ "tombstone_days", OPT_UINT, O(tombstone_days), "30", 1, 36500 },
	{ "integrity_check", OPT_BOOL, O(integrity_check), "no", 0, 0 },
	{ "seed_site", OPT_BOOL, O(seed_site), "yes", 0, 0 },
	{ "cache_datasets", OPT_UINT, O(cache_datasets), "16384", 0, UMAX },
	{ "store_commit_delay_ms", OPT_UINT, O(store_commit_delay_ms), "0",
	    0, 1000 },
	{ "store_commit_thread", OPT_BOOL, O(store_commit_thread), "yes", 0,
	    0 },
	{ "audit", OPT_BOOL, O(audit), "yes", 0, 0 },
	{ "audit_retention", OPT_DUR, O(audit_retention), "90d", 0, UMAX },
	{ "audit_secret", OPT_STR, O(audit_secret),
	    "*.password *.passwd *.secret", 0, 0 },
};

static const struct option *
config_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

static int
config_set(struct config *c, const struct option *o, const char *value,
    char *errbuf, size_t errlen)
{
	char *p = (char *)c + o->off;
	unsigned long long v;
	char *end;

	switch (o->type) {
	case OPT_STR: {
		char **sp = (char **)p;
		char *dup = strdup(value);

		if (dup == NULL) {
			snprintf(errbuf, errlen, "out of memory");
			return -1;
		}
		free(*sp);
		*sp = dup;
		return 0;
	}
	case OPT_BOOL:
		if (strcasecmp(value, "yes") == 0 ||
		    strcasecmp(value, "true") == 0 ||
		    strcasecmp(value, "on") == 0 || strcmp(value, "1") == 0)
			*(bool *)p = true;
		else if (strcasecmp(value, "no") == 0 ||
		    strcasecmp(value, "false") == 0 ||
		    strcasecmp(value, "off") == 0 || strcmp(value, "0") == 0)
			*(bool *)p = false;
		else {
			snprintf(errbuf, errlen,
			    "option %s: \"%s\" is not yes or no", o->name,
			    value);
			return -1;
		}
		return 0;
	case OPT_DUR:
		/* seconds, or a number with s, m, h, d or w: "90d" */
		errno = 0;
		if (value[0] < '0' || value[0] > '9') {
			snprintf(errbuf, errlen, "option %s: \"%s\" is not a "
			    "duration (e.g. 90d, 12h, 3600)", o->name, value);
			return -1;
		}
		v = strtoull(value, &end, 10);
		if (errno == 0 && end[0] != '\0' && end[1] == '\0' &&
		    strchr("smhdw", end[0]) != NULL) {
			unsigned long long unit = end[0] == 's' ? 1 :
			    end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 :
			    end[0] == 'd' ? 86400 : 604800;

			if (v > o->max / unit)
				errno = ERANGE;
			v *= unit;
			end++;
		}
		if (errno != 0 || *end != '\0' || v > o->max) {
			snprintf(errbuf, errlen, "option %s: \"%s\" is not a "
			    "duration (e.g. 90d, 12h, 3600)", o->name, value);
			return -1;
		}
		*(unsigned int *)p = (unsigned int)v;
		return 0;
	case OPT_UINT:
	case OPT_ULL:
		errno = 0;
		if (value[0] < '0' || value[0] > '9') {
			snprintf(errbuf, errlen,
			    "option %s: \"%s\" is not a number", o->name,
			    value);
			return -1;
		}
		v = strtoull(value, &end, 10);
		/* Accept k/m/g suffixes for sizes. */
		if (*end == 'k' || *end == 'K')
			v *= 1024, end++;
		else if (*end == 'm' || *end == 'M')
			v *= 1024 * 1024, end++;
		else if (*end == 'g' || *end == 'G')
			v *= 1024ULL * 1024 * 1024, end++;
		if (errno != 0 || *end != '\0') {
			snprintf(errbuf, errlen,
			    "option %s: \"%s\" is not a number", o->name,
			    value);
			return -1;
		}
		/* max_line 0 means "no bound of its own" (bounds.h) */
		if ((v < o->min && !(v == 0 &&
		    strcmp(o->name, "max_line") == 0)) || v > o->max) {
			snprintf(errbuf, errlen,
			    "option %s: %llu is outside %llu..%llu", o->name,
			    v, o->min, o->max);
			return -1;
		}
		if (o->type == OPT_UINT)
			*(unsigned int *)p = (unsigned int)v;
		else
			*(unsigned long long *)p = v;
		return 0;
	}
	return -1;
}

static void
config_defaults(struct config *c)
{
	char err[256];
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (config_set(c, &options[i], options[i].def, err,
		    sizeof(err)) == -1)
			abort();	/* a default outside its own range */
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
config_line(struct config *c, char *line, const char *where, char *errbuf,
    size_t errlen, char sep)
{
	const struct option *o;
	char *name, *value, *hash;
	char sub[256];

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	name = trim(line);
	if (*name == '\0')
		return 0;
	value = name + strcspn(name, sep == '=' ? "=" : " \t");
	if (*value != '\0')
		*value++ = '\0';
	name = trim(name);
	value = trim(value);
	if ((o = config_find(name)) == NULL) {
		snprintf(errbuf, errlen, "%s: unknown option \"%s\"", where,
		    name);
		return -1;
	}
	if (config_set(c, o, value, sub, sizeof(sub)) == -1) {
		snprintf(errbuf, errlen, "%s: %s", where, sub);
		return -1;
	}
	return 0;
}

int
config_load(struct config *c, const char *path, bool missing_ok,
    char *const *overrides, size_t noverrides, char *errbuf, size_t errlen)
{
	char line[4096], where[4200], buf[4096];
	unsigned int lineno = 0;
	size_t i;
	FILE *fp;

	config_defaults(c);
	if (path != NULL) {
		if ((fp = fopen(path, "r")) == NULL) {
			if (errno == ENOENT && missing_ok)
				goto overrides;
			snprintf(errbuf, errlen, "%s: %s", path,
			    strerror(errno));
			return -1;
		}
		while (fgets(line, sizeof(line), fp) != NULL) {
			lineno++;
			if (strchr(line, '\n') == NULL && !feof(fp)) {
				snprintf(errbuf, errlen, "%s:%u: line too long",
				    path, lineno);
				fclose(fp);
				return -1;
			}
			snprintf(where, sizeof(where), "%s:%u", path, lineno);
			if (config_line(c, line, where, errbuf, errlen,
			    ' ') == -1) {
				fclose(fp);
				return -1;
			}
		}
		fclose(fp);
	}
overrides:
	for (i = 0; i < noverrides; i++) {
		snprintf(buf, sizeof(buf), "%s", overrides[i]);
		if (strchr(buf, '=') == NULL) {
			snprintf(errbuf, errlen,
			    "-o %s: expected name=value", overrides[i]);
			return -1;
		}
		if (config_line(c, buf, "-o", errbuf, errlen, '=') == -1)
			return -1;
	}
	return 0;
}

static void
config_resolve(char **sp, const char *dir)
{
	char *n;

	if (**sp == '\0' || **sp == '/')
		return;
	if (asprintf(&n, "%s/%s", dir, *sp) == -1)
		abort();
	free(*sp);
	*sp = n;
}

int
config_split_hostport(const char *spec, const char *defport, char *host,
    size_t hostlen, char *port, size_t portlen)
{
	const char *colon;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (end == NULL || end[1] != ':')
			return -1;
		snprintf(host, hostlen, "%.*s", (int)(end - spec - 1), spec + 1);
		snprintf(port, portlen, "%s", end + 2);
		return 0;
	}
	if ((colon = strrchr(spec, ':')) == NULL) {
		snprintf(host, hostlen, "%s", spec);
		snprintf(port, portlen, "%s", defport);
		return 0;
	}
	snprintf(host, hostlen, "%.*s", (int)(colon - spec), spec);
	if (strcmp(host, "*") == 0)
		host[0] = '\0';
	snprintf(port, portlen, "%s", colon + 1);
	return 0;
}

void
config_finish(struct config *c)
{
	/* "sqlite:PATH" is PATH; a PostgreSQL URI is not a file */
	if (strncmp(c->database, "sqlite:", 7) == 0)
		memmove(c->database, c->database + 7,
		    strlen(c->database + 7) + 1);
	if (strncmp(c->database, "postgresql:", 11) != 0 &&
	    strncmp(c->database, "postgres:", 9) != 0)
		config_resolve(&c->database, c->statedir);
	config_resolve(&c->sasl_sasldb, c->statedir);
	config_resolve(&c->tls_cert, c->statedir);
	config_resolve(&c->tls_key, c->statedir);
	config_resolve(&c->tls_ca, c->statedir);
	config_resolve(&c->portfile, c->statedir);
	config_resolve(&c->pidfile, c->statedir);
}

void
config_clear(struct config *c)
{
	size_t i;

	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (options[i].type == OPT_STR) {
			char **sp = (char **)((char *)c + options[i].off);

			free(*sp);
			*sp = NULL;
		}
}

void
config_dump(const struct config *c, void *arg)
{
	FILE *fp = arg;
	size_t i;

	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		const struct option *o = &options[i];
		const char *p = (const char *)c + o->off;

		switch (o->type) {
		case OPT_STR:
			fprintf(fp, "%s %s\n", o->name, *(char *const *)p);
			break;
		case OPT_BOOL:
			fprintf(fp, "%s %s\n", o->name,
			    *(const bool *)p ? "yes" : "no");
			break;
		case OPT_UINT:
		case OPT_DUR:
			fprintf(fp, "%s %u\n", o->name,
			    *(const unsigned int *)p);
			break;
		case OPT_ULL:
			fprintf(fp, "%s %llu\n", o->name,
			    *(const unsigned long long *)p);
			break;
		}
	}
}
