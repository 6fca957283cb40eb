/*
 * store-schema.c -- the database's schema: the migrations compiled in
 * from schema/NNN-*.sql, applied after PRAGMA user_version; the
 * integrity check at open; the store_meta key/value table.
 * Owns: the schema version; no state in memory.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "store-int.h"

/* Generated from schema/NNN-*.sql (schema/local.mk). */
extern const char *const store_schema_sql[];
extern const size_t store_schema_count;

enum store_err
st_meta_get(struct store *st, const char *key, char *out, size_t outsize)
{
	sqlite3_stmt *s = st_stq(st, ST_META_GET);
	int rc;

	st_bind_text(s, 1, key);
	out[0] = '\0';
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(out, outsize, "%s",
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_db_fail(st, rc);
	return STORE_OK;
}

enum store_err
st_meta_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s = st_stq(st, ST_META_SET);

	st_bind_text(s, 1, key);
	st_bind_text(s, 2, value);
	return st_step_done(st, s);
}

int
st_exec_sql(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(st->errbuf, sizeof(st->errbuf), "%s",
		    msg != NULL ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
st_pragma_int(struct store *st, const char *sql, int *v_r)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	*v_r = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
st_integrity_check(struct store *st)
{
	sqlite3_stmt *s;
	const char *r;
	int rc, ok = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r = (const char *)sqlite3_column_text(s, 0);
		ok = r != NULL && strcmp(r, "ok") == 0;
		snprintf(st->errbuf, sizeof(st->errbuf), "integrity_check: %s",
		    r != NULL ? r : "?");
	}
	sqlite3_finalize(s);
	return ok ? 0 : -1;
}

/* Apply schema/NNN-*.sql after user_version, each in a transaction. */
int
st_migrate(struct store *st)
{
	char sql[64];
	int version;
	size_t i;

	if (st_pragma_int(st, "PRAGMA user_version", &version) == -1)
		return -1;
	if (version < 0 || (size_t)version > store_schema_count) {
		snprintf(st->errbuf, sizeof(st->errbuf), "database schema "
		    "version %d is newer than this acapd (%zu)", version,
		    store_schema_count);
		return -1;
	}
	for (i = (size_t)version; i < store_schema_count; i++) {
		if (st_exec_sql(st, "BEGIN IMMEDIATE") == -1)
			return -1;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
		if (st_exec_sql(st, store_schema_sql[i]) == -1 ||
		    st_exec_sql(st, sql) == -1 || st_exec_sql(st, "COMMIT") == -1) {
			char why[sizeof(st->errbuf)];

			/* a failing ROLLBACK would overwrite the cause */
			memcpy(why, st->errbuf, sizeof(why));
			st_exec_sql(st, "ROLLBACK");
			snprintf(st->errbuf, sizeof(st->errbuf), "cannot upgrade "
			    "the schema to version %zu: %.180s", i + 1, why);
			return -1;
		}
	}
	return 0;
}
