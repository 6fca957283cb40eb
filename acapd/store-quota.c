/*
 * store-quota.c -- quotas (RFC 2244 §6.8, GETQUOTA): the usage deltas a
 * STORE makes, charged to the owning users at its end and checked
 * against their limits; reading and setting limits.
 * Owns: st->qd (the running STORE's deltas), st->quota_user, the
 * default limit (st->cfg.quota_bytes).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "store-int.h"

/* ---- Usage deltas of the running STORE ------------------------------- */

/* Forget the quota deltas (charged, or rolled back with their STORE). */
void
st_txn_quota_reset(struct store *st)
{
	size_t i;

	for (i = 0; i < st->nqd; i++)
		free(st->qd[i].user);
	st->nqd = 0;
}

static void
txn_quota_user(struct store *st, const char *user, size_t len, int64_t delta)
{
	size_t i;

	if (delta == 0)
		return;
	for (i = 0; i < st->nqd; i++)
		if (strlen(st->qd[i].user) == len &&
		    memcmp(st->qd[i].user, user, len) == 0) {
			st->qd[i].delta += delta;
			return;
		}
	st_grow((void **)&st->qd, &st->cqd, st->nqd + 1, sizeof(*st->qd));
	st->qd[st->nqd].user = st_xrealloc(NULL, len + 1, 1);
	memcpy(st->qd[st->nqd].user, user, len);
	st->qd[st->nqd].user[len] = '\0';
	st->qd[st->nqd].delta = delta;
	st->nqd++;
}

/* Charge delta bytes to the owner of the dataset (users only). */
void
st_txn_quota(struct store *st, const struct path_info *pi, int64_t delta)
{
	if ((pi->kind == PK_DATASET || pi->kind == PK_BYOWNER) &&
	    st_span_is(pi->okind, "user"))
		txn_quota_user(st, pi->oname.p, pi->oname.n, delta);
}

/* Add the transaction's usage deltas; fail if a user grew past a limit. */
enum store_err
st_quota_commit(struct store *st)
{
	sqlite3_stmt *s;
	enum store_err r;
	int64_t usage, limit;
	size_t i;
	int rc;

	for (i = 0; i < st->nqd; i++) {
		if (st->qd[i].delta == 0)
			continue;
		s = st_stq(st, ST_QUOTA_ADD);
		st_bind_text(s, 1, st->qd[i].user);
		sqlite3_bind_int64(s, 2, st->qd[i].delta);
		if ((r = st_step_done(st, s)) != STORE_OK)
			return r;
		if (st->qd[i].delta < 0)
			continue;
		s = st_stq(st, ST_QUOTA_GET);
		st_bind_text(s, 1, st->qd[i].user);
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW) {
			sqlite3_reset(s);
			return st_db_fail(st, rc);
		}
		usage = sqlite3_column_int64(s, 0);
		limit = sqlite3_column_type(s, 1) == SQLITE_NULL ?
		    (int64_t)st->cfg.quota_bytes : sqlite3_column_int64(s, 1);
		sqlite3_reset(s);
		/* a replayed STORE passed the check on its node (store-pg.c) */
		if (limit > 0 && usage > limit && !st_pg_replaying(st))
			return STORE_EQUOTA;
	}
	return STORE_OK;
}

/* ---- Quotas ------------------------------------------------------------ */

enum store_err
store_quota_get(struct store *st, const char *path, uint64_t *limit_r,
    uint64_t *usage_r, const char **user_r)
{
	struct path_info pi;
	sqlite3_stmt *s;
	int64_t usage = 0, limit = (int64_t)st->cfg.quota_bytes;
	int rc;

	st_commit_wait(st);
	st_path_classify(path, &pi);
	if ((pi.kind != PK_DATASET && pi.kind != PK_BYOWNER) ||
	    !st_span_is(pi.okind, "user"))
		return STORE_ENOQUOTA;
	free(st->quota_user);
	st->quota_user = strndup(pi.oname.p, pi.oname.n);
	if (st->quota_user == NULL)
		abort();
	s = st_stq(st, ST_QUOTA_GET);
	st_bind_text(s, 1, st->quota_user);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		usage = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			limit = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_db_fail(st, rc);
	if (limit <= 0)
		return STORE_ENOQUOTA;
	*limit_r = (uint64_t)limit;
	*usage_r = usage > 0 ? (uint64_t)usage : 0;
	if (user_r != NULL)
		*user_r = st->quota_user;
	return STORE_OK;
}

enum store_err
store_quota_set_limit(struct store *st, const char *user, uint64_t bytes)
{
	sqlite3_stmt *s;

	st_commit_wait(st);
	s = st_stq(st, ST_QUOTA_SET_LIMIT);
	st_bind_text(s, 1, user);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)bytes);
	return st_step_done(st, s);
}

void
store_set_default_quota(struct store *st, uint64_t bytes)
{
	st->cfg.quota_bytes = bytes;
}
