/*
 * store-log.c -- the DELETEDSINCE log (RFC 2244 §6.6.2): answering from
 * the "deleted" rows of a dataset and the "dropped" rows of removed or
 * renamed datasets, and pruning both after the retention time.  The
 * write path adds the rows (store-write.c).
 * Owns: st->deleted_horizon, the oldest time the log still answers for.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store-int.h"

/* ---- Pruning --------------------------------------------------------- */

enum store_err
store_maintain(struct store *st)
{
	char cutoff[STORE_MODTIME_LEN + 1];
	struct timespec ts;
	sqlite3_stmt *s;
	enum store_err r;

	st_commit_wait(st);
	/* PostgreSQL: a new base image, the log pruned like this one */
	st_pg_maintain(st);
	if (st->cfg.deleted_retention == 0)
		return STORE_OK;
	if (st->clock_cb(&ts) == -1)
		return STORE_OK;
	st_modtime_format(ts.tv_sec - (time_t)st->cfg.deleted_retention,
	    ts.tv_nsec / 1000, cutoff);
	if (strcmp(cutoff, st->deleted_horizon) <= 0)
		return STORE_OK;
	if ((r = st_step_done(st, st_stq(st, ST_BEGIN))) != STORE_OK)
		return r;
	s = st_stq(st, ST_DELETED_PRUNE);
	st_bind_text(s, 1, cutoff);
	if ((r = st_step_done(st, s)) == STORE_OK) {
		s = st_stq(st, ST_DROPPED_PRUNE);
		st_bind_text(s, 1, cutoff);
		r = st_step_done(st, s);
	}
	if (r == STORE_OK)
		r = st_meta_set(st, "deleted_horizon", cutoff);
	if (r == STORE_OK)
		r = st_step_done(st, st_stq(st, ST_COMMIT));
	if (r != STORE_OK) {
		char why[sizeof(st->errbuf)];

		/* SQLite may have rolled back already: keep the cause */
		memcpy(why, st->errbuf, sizeof(why));
		st_step_done(st, st_stq(st, ST_ROLLBACK));
		memcpy(st->errbuf, why, sizeof(why));
		return r;
	}
	memcpy(st->deleted_horizon, cutoff, sizeof(cutoff));
	return STORE_OK;
}

/* ---- DELETEDSINCE ---------------------------------------------------- */

/* Whether path or one of its ancestors was dropped after t. */
static enum store_err
dropped_after(struct store *st, const char *path, const char *t, bool *r_r)
{
	sqlite3_stmt *s;
	char *p = st_xstrdup(path);
	size_t len;
	int rc = SQLITE_DONE;

	*r_r = false;
	for (len = strlen(p); len > 1 && !*r_r; ) {
		p[len] = '\0';
		s = st_stq(st, ST_DROPPED_GET);
		st_bind_text(s, 1, p);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*r_r = strcmp((const char *)sqlite3_column_text(s, 0),
			    t) > 0;
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			break;
		/* up one component: "/a/b/" -> "/a/" */
		for (len--; len > 0 && p[len - 1] != '/'; len--)
			;
	}
	free(p);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_db_fail(st, rc);
	return STORE_OK;
}

enum store_err
store_deleted_since(struct store *st, const char *path, const char *time,
    void (*cb)(void *arg, const char *name), void *arg)
{
	char t[STORE_MODTIME_LEN + 1], horizon[STORE_MODTIME_LEN + 1];
	sqlite3_stmt *s;
	enum store_err r;
	int64_t id;
	bool dropped;
	int rc;

	st_commit_wait(st);
	st_time_normalize(time, t);
	if (strcmp(t, st->deleted_horizon) < 0)
		return STORE_ETOOOLD;
	if ((r = st_ds_lookup(st, path, &id, horizon)) != STORE_OK)
		return r;
	if (id == 0) {
		if ((r = dropped_after(st, path, t, &dropped)) != STORE_OK)
			return r;
		return dropped ? STORE_ETOOOLD : STORE_ENOEXIST;
	}
	if (strcmp(t, horizon) < 0)
		return STORE_ETOOOLD;
	s = st_stq(st, ST_DELETED_SINCE);
	sqlite3_bind_int64(s, 1, id);
	st_bind_text(s, 2, t);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(arg, (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_db_fail(st, rc);
	return STORE_OK;
}
