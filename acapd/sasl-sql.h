/*
 * sasl-sql.h -- SASL accounts in PostgreSQL, shared by every acapd node
 * (doc/scale-out.md, "Accounts across nodes"): turns the libpq URI of the
 * "sasl_sql" option into the options of libsasl2's sql auxprop plugin
 * (libsasl2-modules-sql, engine pgsql) reading the table SASL_SQL_TABLE.
 * acapctl's writer (acapctl/client/userdb-pg.c) uses the same table and
 * SASL_SQL_SCHEMA.  Owns nothing: the caller frees the list.
 */
#ifndef ACAPD_SASL_SQL_H
#define ACAPD_SASL_SQL_H

/* One row per user and property; acapctl writes "userPassword". */
#define SASL_SQL_TABLE	"acapd_sasl"
#define SASL_SQL_SCHEMA \
	"CREATE TABLE IF NOT EXISTS " SASL_SQL_TABLE " (" \
	"username text NOT NULL, property text NOT NULL, value text, " \
	"PRIMARY KEY (username, property))"

/*
 * The libsasl2 options for uri (a libpq URI or "key=value" string):
 * sql_engine, sql_hostnames, sql_database, sql_user, sql_passwd,
 * sql_usessl, sql_select, sql_insert, sql_update, as a NULL-terminated
 * name, value list (for struct sasl_opts.extra).  libsasl2's plugin knows
 * host, port, dbname, user, password and SSL on or off only: any other
 * parameter is refused, as is a host list whose second entry is a socket
 * directory (the plugin cannot parse it).  Returns the list, one
 * allocation (free() frees it all), or NULL with *errstr_r (static
 * storage).
 */
char **sasl_sql_options(const char *uri, const char **errstr_r);

#endif
