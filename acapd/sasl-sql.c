/*
 * sasl-sql.c -- the "sasl_sql" libpq URI as libsasl2 sql auxprop options
 * (see sasl-sql.h).  The statements ignore the realm: accounts belong to
 * the deployment, whatever host name each node has.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "sasl-sql.h"

/* name, value pairs: at most 10 options. */
#define SASL_SQL_MAX	(2 * 10)

static char sasl_sql_err[512];

/*
 * The pairs as one allocation: the pointers, their NULL, then the
 * strings, so that free() of the list frees everything.
 */
static char **
sql_pack(const char *const *pairs, size_t n)
{
	size_t size = (n + 1) * sizeof(char *), i;
	char **list, *p;

	for (i = 0; i < n; i++)
		size += strlen(pairs[i]) + 1;
	if ((list = malloc(size)) == NULL)
		abort();	/* out of memory */
	p = (char *)(list + n + 1);
	for (i = 0; i < n; i++) {
		list[i] = p;
		p = stpcpy(p, pairs[i]) + 1;
	}
	list[n] = NULL;
	return list;
}

/*
 * "h1:p1,h2:p2" for the plugin's sql_hostnames from libpq's host and port
 * lists (port: one for all, or one per host).  NULL with the error set.
 */
static char *
sql_hostnames(const char *host, const char *port)
{
	size_t nh = 1, np = 1, i, len;
	const char *h = host, *p = port;
	char *out, *o;

	for (i = 0; host[i] != '\0'; i++)
		nh += host[i] == ',';
	for (i = 0; port != NULL && port[i] != '\0'; i++)
		np += port[i] == ',';
	if (port != NULL && np != 1 && np != nh) {
		snprintf(sasl_sql_err, sizeof(sasl_sql_err),
		    "%zu hosts but %zu ports", nh, np);
		return NULL;
	}
	len = strlen(host) + (port != NULL ? strlen(port) * nh : 0) + nh + 1;
	if ((o = out = calloc(1, len)) == NULL)
		abort();
	for (i = 0; i < nh; i++) {
		size_t hl = strcspn(h, ","), pl;

		/* The plugin skips non-alphanumerics after a comma. */
		if (i > 0 && hl > 0 && h[0] == '/') {
			snprintf(sasl_sql_err, sizeof(sasl_sql_err),
			    "only the first host may be a socket directory "
			    "(libsasl2's sql plugin cannot read it elsewhere)");
			free(out);
			return NULL;
		}
		if (i > 0)
			*o++ = ',';
		memcpy(o, h, hl);
		o += hl;
		h += hl + (h[hl] == ',');
		if (port != NULL) {
			pl = strcspn(p, ",");
			if (pl > 0) {
				*o++ = ':';
				memcpy(o, p, pl);
				o += pl;
			}
			if (np > 1)
				p += pl + (p[pl] == ',');
		}
	}
	*o = '\0';
	return out;
}

char **
sasl_sql_options(const char *uri, const char **errstr_r)
{
	PQconninfoOption *opts, *op;
	const char *host = NULL, *port = NULL, *dbname = NULL, *user = NULL,
	    *password = NULL, *sslmode = NULL;
	const char *pairs[SASL_SQL_MAX];
	char **list, *errmsg = NULL, *hosts;
	size_t n = 0;

	*errstr_r = sasl_sql_err;
	if ((opts = PQconninfoParse(uri, &errmsg)) == NULL) {
		snprintf(sasl_sql_err, sizeof(sasl_sql_err), "%s",
		    errmsg != NULL ? errmsg : "out of memory");
		/* libpq's messages end in a newline. */
		sasl_sql_err[strcspn(sasl_sql_err, "\n")] = '\0';
		PQfreemem(errmsg);
		return NULL;
	}
	for (op = opts; op->keyword != NULL; op++) {
		if (op->val == NULL || op->val[0] == '\0')
			continue;
		if (strcmp(op->keyword, "host") == 0)
			host = op->val;
		else if (strcmp(op->keyword, "port") == 0)
			port = op->val;
		else if (strcmp(op->keyword, "dbname") == 0)
			dbname = op->val;
		else if (strcmp(op->keyword, "user") == 0)
			user = op->val;
		else if (strcmp(op->keyword, "password") == 0)
			password = op->val;
		else if (strcmp(op->keyword, "sslmode") == 0)
			sslmode = op->val;
		else {
			snprintf(sasl_sql_err, sizeof(sasl_sql_err),
			    "parameter \"%s\" is not supported by libsasl2's "
			    "sql plugin (host, port, dbname, user, password, "
			    "sslmode)", op->keyword);
			PQconninfoFree(opts);
			return NULL;
		}
	}
	if (sslmode != NULL && strcmp(sslmode, "disable") != 0 &&
	    strcmp(sslmode, "require") != 0) {
		snprintf(sasl_sql_err, sizeof(sasl_sql_err), "sslmode \"%s\": "
		    "libsasl2's sql plugin knows disable or require only",
		    sslmode);
		PQconninfoFree(opts);
		return NULL;
	}
	if ((hosts = sql_hostnames(host != NULL ? host : "localhost",
	    port)) == NULL) {
		PQconninfoFree(opts);
		return NULL;
	}
#define SQL_ADD(name, value)	(pairs[n++] = (name), pairs[n++] = (value))
	SQL_ADD("sql_engine", "pgsql");
	SQL_ADD("sql_hostnames", hosts);
	if (dbname != NULL)
		SQL_ADD("sql_database", dbname);
	if (user != NULL)
		SQL_ADD("sql_user", user);
	if (password != NULL)
		SQL_ADD("sql_passwd", password);
	SQL_ADD("sql_usessl", sslmode != NULL &&
	    strcmp(sslmode, "require") == 0 ? "yes" : "no");
	/* The plugin escapes %u and %v (PQescapeString); %p is libsasl2's. */
	SQL_ADD("sql_select", "SELECT value FROM " SASL_SQL_TABLE
	    " WHERE username = '%u' AND property = '%p'"
	    " AND value IS NOT NULL");
	SQL_ADD("sql_insert", "INSERT INTO " SASL_SQL_TABLE
	    " (username, property, value) VALUES ('%u', '%p', '%v')"
	    " ON CONFLICT (username, property) DO UPDATE"
	    " SET value = EXCLUDED.value");
	SQL_ADD("sql_update", "UPDATE " SASL_SQL_TABLE
	    " SET value = '%v' WHERE username = '%u' AND property = '%p'");
#undef SQL_ADD
	list = sql_pack(pairs, n);
	free(hosts);
	PQconninfoFree(opts);
	*errstr_r = NULL;
	return list;
}
