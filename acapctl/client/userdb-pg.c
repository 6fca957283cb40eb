/*
 * userdb-pg.c -- SASL accounts in PostgreSQL (see userdb-pg.h).  Every
 * statement is parameterised: user names and passwords never become SQL.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "sasl-sql.h"
#include "userdb-pg.h"

/* The property libsasl2 checks PLAIN against and derives SCRAM from. */
#define USERDB_PG_PASSWORD	"userPassword"

struct userdb_pg {
	PGconn *conn;
	char *where;		/* URI without the password */
};

static void pg_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
pg_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* libpq's messages end in a newline. */
	n = strlen(err);
	while (n > 0 && err[n - 1] == '\n')
		err[--n] = '\0';
}

/* Where the accounts are, without a password: "dbname on host". */
static char *
pg_where(PGconn *conn)
{
	const char *db = PQdb(conn), *host = PQhost(conn);
	size_t len = strlen(db) + strlen(host) + 64;
	char *s = malloc(len);

	if (s == NULL)
		abort();
	snprintf(s, len, "PostgreSQL database %s on %s", db, host);
	return s;
}

/* Run one parameterised statement; NULL with err set on failure. */
static PGresult *
pg_exec(struct userdb_pg *pg, const char *sql, int n,
    const char *const *params, char *err, size_t errlen)
{
	PGresult *res;
	ExecStatusType st;

	res = PQexecParams(pg->conn, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_err(err, errlen, "%s: %s", pg->where,
		    PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Run one parameterised command: the rows it changed, or -1 (err set). */
static int
pg_count(struct userdb_pg *pg, const char *sql, int n,
    const char *const *params, char *err, size_t errlen)
{
	PGresult *res;
	int rows;

	if ((res = pg_exec(pg, sql, n, params, err, errlen)) == NULL)
		return -1;
	rows = atoi(PQcmdTuples(res));
	PQclear(res);
	return rows;
}

int
userdb_pg_open(const char *uri, struct userdb_pg **pg_r, char *err,
    size_t errlen)
{
	struct userdb_pg *pg;
	PGresult *res;

	*pg_r = NULL;
	if ((pg = calloc(1, sizeof(*pg))) == NULL)
		abort();
	pg->conn = PQconnectdb(uri);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		pg_err(err, errlen, "cannot connect to the account database: "
		    "%s", PQerrorMessage(pg->conn));
		userdb_pg_close(&pg);
		return -1;
	}
	pg->where = pg_where(pg->conn);
	/* Quiet the NOTICE that an existing table gives. */
	PQclear(PQexec(pg->conn, "SET client_min_messages = warning"));
	if ((res = pg_exec(pg, SASL_SQL_SCHEMA, 0, NULL, err, errlen)) ==
	    NULL) {
		userdb_pg_close(&pg);
		return -1;
	}
	PQclear(res);
	*pg_r = pg;
	return 0;
}

void
userdb_pg_close(struct userdb_pg **pgp)
{
	struct userdb_pg *pg = *pgp;

	if (pg == NULL)
		return;
	PQfinish(pg->conn);
	free(pg->where);
	free(pg);
	*pgp = NULL;
}

const char *
userdb_pg_where(const struct userdb_pg *pg)
{
	return pg->where;
}

int
userdb_pg_exists(struct userdb_pg *pg, const char *user, char *err,
    size_t errlen)
{
	const char *params[1] = { user };
	PGresult *res;
	int r;

	if ((res = pg_exec(pg, "SELECT 1 FROM " SASL_SQL_TABLE
	    " WHERE username = $1 LIMIT 1", 1, params, err, errlen)) == NULL)
		return -1;
	r = PQntuples(res) > 0;
	PQclear(res);
	return r;
}

int
userdb_pg_add(struct userdb_pg *pg, const char *user, const char *pass,
    char *err, size_t errlen)
{
	const char *params[3] = { user, USERDB_PG_PASSWORD, pass };
	int n;

	/* One statement: two acapctl adding the same name, one wins. */
	if ((n = pg_count(pg, "INSERT INTO " SASL_SQL_TABLE
	    " (username, property, value) SELECT $1, $2, $3 WHERE NOT EXISTS"
	    " (SELECT 1 FROM " SASL_SQL_TABLE " WHERE username = $1)"
	    " ON CONFLICT DO NOTHING", 3, params, err, errlen)) == -1)
		return -1;
	if (n != 1) {
		pg_err(err, errlen, "user \"%s\" already exists", user);
		return -1;
	}
	return 0;
}

/* passwd and del: rows changed (-1: error already set); 0 is no user. */
static int
pg_need_user(struct userdb_pg *pg, const char *user, int rows, char *err,
    size_t errlen)
{
	if (rows == -1)
		return -1;
	if (rows == 0) {
		pg_err(err, errlen, "no such user \"%s\" in %s", user,
		    pg->where);
		return -1;
	}
	return 0;
}

int
userdb_pg_passwd(struct userdb_pg *pg, const char *user, const char *pass,
    char *err, size_t errlen)
{
	const char *params[3] = { user, USERDB_PG_PASSWORD, pass };

	/*
	 * The password replaces every secret the user had (other
	 * properties a libsasl2 writer may have stored), in one statement.
	 */
	return pg_need_user(pg, user, pg_count(pg, "WITH gone AS (DELETE FROM "
	    SASL_SQL_TABLE " WHERE username = $1 AND property <> $2) UPDATE "
	    SASL_SQL_TABLE " SET value = $3 WHERE username = $1 AND"
	    " property = $2", 3, params, err, errlen), err, errlen);
}

int
userdb_pg_del(struct userdb_pg *pg, const char *user, char *err,
    size_t errlen)
{
	const char *params[1] = { user };

	return pg_need_user(pg, user, pg_count(pg, "DELETE FROM "
	    SASL_SQL_TABLE " WHERE username = $1", 1, params, err, errlen),
	    err, errlen);
}

int
userdb_pg_list(struct userdb_pg *pg,
    void (*cb)(const char *user, const char *realm, void *arg), void *arg,
    char *err, size_t errlen)
{
	PGresult *res;
	int i;

	if ((res = pg_exec(pg, "SELECT username FROM "
	    SASL_SQL_TABLE " GROUP BY username ORDER BY username COLLATE \"C\"", 0, NULL, err,
	    errlen)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++)
		cb(PQgetvalue(res, i, 0), "", arg);
	PQclear(res);
	return 0;
}
