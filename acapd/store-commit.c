/*
 * store-commit.c -- batches of STOREs in one transaction, one savepoint
 * per STORE, the commit (inline or on the commit thread, with its wake-up
 * pipe) and the change feed: the changes a batch made, handed to the
 * change callback once it is durable.
 * Owns: the batch state (in_txn, txn_lost, nkept, txn_modtime,
 * in_callback), st->changes, the commit thread and its mutex, condition,
 * pipe and result, the change callback.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "store-int.h"

/* A COMMIT's result when the PostgreSQL log refused the batch. */
#define ST_PG_FAILED	(-1)

/* ---- The change feed ------------------------------------------------- */

void
st_txn_change(struct store *st, enum store_change_kind kind, const char *ds,
    const char *entry)
{
	struct change_rec *c;

	st_grow((void **)&st->changes, &st->cchanges, st->nchanges + 1,
	    sizeof(*st->changes));
	c = &st->changes[st->nchanges++];
	c->kind = kind;
	c->dataset = st_xstrdup(ds);
	c->entry = entry != NULL ? st_xstrdup(entry) : NULL;
	memcpy(c->modtime, st->txn_modtime, sizeof(c->modtime));
}

/* Forget the changes recorded from index from on (a STORE rolled back). */
static void
txn_changes_truncate(struct store *st, size_t from)
{
	while (st->nchanges > from) {
		st->nchanges--;
		free(st->changes[st->nchanges].dataset);
		free(st->changes[st->nchanges].entry);
	}
}

static void
txn_reset(struct store *st)
{
	txn_changes_truncate(st, 0);
	st_txn_quota_reset(st);
	st_pg_batch_reset(st);
	st->in_txn = false;
	st->txn_lost = STORE_OK;
	st->nkept = 0;
}

void
store_set_change_cb(struct store *st, store_change_cb *cb, void *arg)
{
	st->change_cb = cb;
	st->change_arg = arg;
}

void
store_set_feed_cb(struct store *st, store_feed_cb *cb, void *arg)
{
	st->feed_cb = cb;
	st->feed_arg = arg;
}

/*
 * The change callback, once per STORE of the committed batch, in the
 * order they were applied (their changes are consecutive and share the
 * STORE's modtime, which no other STORE has).
 */
static void
fire_changes(struct store *st)
{
	struct store_change *c;
	size_t i, first;

	if (st->change_cb == NULL || st->nchanges == 0)
		return;
	c = st_xrealloc(NULL, st->nchanges, sizeof(*c));
	for (i = 0; i < st->nchanges; i++) {
		c[i].kind = st->changes[i].kind;
		c[i].dataset = st->changes[i].dataset;
		c[i].entry = st->changes[i].entry;
		c[i].modtime = st->changes[i].modtime;
	}
	for (first = 0, i = 1; i <= st->nchanges; i++)
		if (i == st->nchanges ||
		    strcmp(c[i].modtime, c[first].modtime) != 0) {
			st->change_cb(st->change_arg, &c[first], i - first);
			first = i;
		}
	free(c);
}

/* ---- Batches and the commit thread ----------------------------------- */

/* Undo the whole batch after a failure; keeps the cause in errbuf. */
static void
batch_rollback(struct store *st)
{
	char why[sizeof(st->errbuf)];

	/* a failing ROLLBACK would overwrite the cause */
	memcpy(why, st->errbuf, sizeof(why));
	if (!sqlite3_get_autocommit(st->db))
		st_step_done(st, st_stq(st, ST_ROLLBACK));
	memcpy(st->errbuf, why, sizeof(why));
	/* snapshots read inside the transaction may show its writes */
	st_cache_clear(&st->cache);
	txn_reset(st);
}

/*
 * The batch's COMMIT returned rc after commit_us microseconds: undo
 * everything on an error, else count it and run the change callback once
 * per STORE.
 */
static enum store_err
commit_complete(struct store *st, int rc, long long commit_us)
{
	enum store_err r;

	if (rc == ST_PG_FAILED) {
		/* not in the shared log: not committed anywhere */
		metrics_store_commit(0, commit_us, false);
		st_pg_committed(st, false);
		batch_rollback(st);
		return STORE_ETRYLATER;
	}
	if (rc != SQLITE_DONE) {
		metrics_store_commit(0, commit_us, false);
		r = st_db_fail(st, rc);
		batch_rollback(st);
		return r;
	}
	metrics_store_commit(st->nkept, commit_us, true);
	st_pg_committed(st, true);
	st->stats.commits++;
	st->stats.stores += st->nkept;
	/* the callback may read (NOTIFY re-evaluation), not write */
	st->in_txn = false;
	st->in_callback = true;
	fire_changes(st);
	st->in_callback = false;
	txn_reset(st);
	return STORE_OK;
}

/*
 * The commit thread: runs the COMMIT statement (its WAL write and fsync)
 * when asked, and writes a byte to cpipe when it is done.  It touches
 * nothing else of the store; the event loop's thread does not use the
 * database meanwhile (st_commit_wait()).
 */
static void *
commit_thread(void *arg)
{
	struct store *st = arg;
	sqlite3_stmt *s;
	const char b = 1;
	long long t0, us;
	int rc;

	pthread_mutex_lock(&st->cmu);
	for (;;) {
		while (!st->crequest && !st->cquit)
			pthread_cond_wait(&st->ccv, &st->cmu);
		if (st->cquit)
			break;
		/* fetched each time: store_retry_writes() may reopen */
		s = st->stmt[ST_COMMIT];
		pthread_mutex_unlock(&st->cmu);
		t0 = metrics_now_us();
		/* the shared log first: the replica commits what it took */
		if (st->pg != NULL && st_pg_commit(st) == -1)
			rc = ST_PG_FAILED;
		else {
			sqlite3_reset(s);
			rc = sqlite3_step(s);
			sqlite3_reset(s);
		}
		us = metrics_now_us() - t0;
		pthread_mutex_lock(&st->cmu);
		st->crc = rc;
		st->ccommit_us = us;
		st->crequest = false;
		pthread_cond_broadcast(&st->ccv);
		while (write(st->cpipe[1], &b, 1) == -1 && errno == EINTR)
			continue;
	}
	pthread_mutex_unlock(&st->cmu);
	return NULL;
}

/*
 * Every store call that reads or writes the database or the batch state
 * starts here: a COMMIT still running on the thread is waited for and
 * its batch completed (change callback included), so that nothing reads
 * a STORE before it is durable and the connection is never used by two
 * threads at once.  The result is kept for store_batch_commit_finish().
 */
void
st_commit_wait(struct store *st)
{
	long long us;
	int rc;

	if (st->async != AC_RUNNING)
		return;
	pthread_mutex_lock(&st->cmu);
	while (st->crequest)
		pthread_cond_wait(&st->ccv, &st->cmu);
	rc = st->crc;
	us = st->ccommit_us;
	pthread_mutex_unlock(&st->cmu);
	st->async = AC_DONE;
	st->async_result = commit_complete(st, rc, us);
}

int
store_commit_thread_start(struct store *st)
{
	sigset_t all, old;
	int rc;

	if (st->cthread)
		return st->cpipe[0];
	if (sqlite3_threadsafe() == 0) {
		errno = ENOTSUP;	/* SQLite built without thread support */
		return -1;
	}
	if (pipe(st->cpipe) == -1)
		return -1;
	if (fcntl(st->cpipe[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(st->cpipe[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(st->cpipe[1], F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	pthread_mutex_init(&st->cmu, NULL);
	pthread_cond_init(&st->ccv, NULL);
	st->crequest = st->cquit = false;
	/* signals (TERM, HUP, ...) stay with the event loop's thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&st->cthr, NULL, commit_thread, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&st->ccv);
		pthread_mutex_destroy(&st->cmu);
		goto fail;
	}
	st->cthread = true;
	return st->cpipe[0];
fail:
	close(st->cpipe[0]);
	close(st->cpipe[1]);
	st->cpipe[0] = st->cpipe[1] = -1;
	return -1;
}

void
st_commit_thread_stop(struct store *st)
{
	if (!st->cthread)
		return;
	st_commit_wait(st);
	pthread_mutex_lock(&st->cmu);
	st->cquit = true;
	pthread_cond_broadcast(&st->ccv);
	pthread_mutex_unlock(&st->cmu);
	pthread_join(st->cthr, NULL);
	pthread_cond_destroy(&st->ccv);
	pthread_mutex_destroy(&st->cmu);
	close(st->cpipe[0]);
	close(st->cpipe[1]);
	st->cthread = false;
}

bool
store_batch_commit_start(struct store *st, enum store_err *r_r)
{
	enum store_err r = st->txn_lost;

	if (!st->cthread || !st->in_txn || st->async == AC_RUNNING ||
	    r != STORE_OK || st->nkept == 0) {
		*r_r = store_batch_commit(st);
		return false;
	}
	/* the last modtime handed out survives a restart (store_open) */
	if ((r = st_meta_set(st, "modtime", st->last_modtime)) != STORE_OK) {
		batch_rollback(st);
		*r_r = r;
		return false;
	}
	st->async = AC_RUNNING;
	pthread_mutex_lock(&st->cmu);
	st->crequest = true;
	pthread_cond_broadcast(&st->ccv);
	pthread_mutex_unlock(&st->cmu);
	return true;
}

enum store_err
store_batch_commit_finish(struct store *st)
{
	char buf[64];

	st_commit_wait(st);
	while (st->cthread && read(st->cpipe[0], buf, sizeof(buf)) > 0)
		continue;
	if (st->async != AC_DONE) {
		snprintf(st->errbuf, sizeof(st->errbuf), "no commit to finish");
		return STORE_EIO;
	}
	st->async = AC_NONE;
	return st->async_result;
}

enum store_err
store_batch_begin(struct store *st)
{
	enum store_err r;

	st_commit_wait(st);
	if (st->in_txn || st->in_callback || st->reading > 0) {
		snprintf(st->errbuf, sizeof(st->errbuf), "a write inside a "
		    "batch, a read section or a change callback");
		return STORE_EIO;
	}
	if (st_pg_refuse(st))
		return STORE_ETRYLATER;
	if ((r = st_step_done(st, st_stq(st, ST_BEGIN))) != STORE_OK)
		return r;
	st->in_txn = true;
	st->txn_lost = STORE_OK;
	st->nkept = 0;
	return STORE_OK;
}

enum store_err
store_batch_apply(struct store *st, const struct store_entry_op *ops,
    size_t nops, struct store_result *res)
{
	return store_batch_apply_verify(st, ops, nops, NULL, NULL, NULL, res);
}

enum store_err
store_batch_apply_verify(struct store *st, const struct store_entry_op *ops,
    size_t nops, const struct store_audit *audit, store_verify_cb *verify,
    void *arg, struct store_result *res)
{
	char why[sizeof(st->errbuf)];
	size_t mark = st->nchanges, i;
	enum store_err r;

	memset(res, 0, sizeof(*res));
	st_commit_wait(st);
	if (!st->in_txn) {
		snprintf(st->errbuf, sizeof(st->errbuf), "store_batch_apply "
		    "outside a batch");
		return STORE_EIO;
	}
	if (st->txn_lost != STORE_OK)
		return st->txn_lost;
	if ((r = st_step_done(st, st_stq(st, ST_SAVEPOINT))) != STORE_OK)
		goto lost;
	if (st->forced_modtime[0] != '\0') {
		/* a logged STORE replayed: the modtime it was given */
		memcpy(st->txn_modtime, st->forced_modtime,
		    sizeof(st->txn_modtime));
		if (strcmp(st->txn_modtime, st->last_modtime) > 0)
			memcpy(st->last_modtime, st->txn_modtime,
			    sizeof(st->last_modtime));
	} else
		st_modtime_next(st, st->txn_modtime);
	r = STORE_OK;
	/* its audit records go into this savepoint too (store-audit.c) */
	st->audit = audit;
	for (i = 0; i < nops && r == STORE_OK; i++)
		r = st_apply_entry(st, &ops[i], res);
	st->audit = NULL;
	if (r == STORE_OK)
		r = st_quota_commit(st);
	st_txn_quota_reset(st);
	/* the caller's check of the state this STORE made (rights.h) */
	if (r == STORE_OK && verify != NULL)
		r = verify(arg);
	if (r == STORE_OK && (r = st_step_done(st, st_stq(st, ST_RELEASE))) ==
	    STORE_OK) {
		memcpy(res->modtime, st->txn_modtime, sizeof(res->modtime));
		st_pg_record(st, audit, ops, nops);
		st->nkept++;
		return STORE_OK;
	}
	/*
	 * This STORE alone is undone.  Some errors (I/O, full disk, busy)
	 * make SQLite roll back the whole transaction: then every STORE of
	 * the batch fails with this one's cause.
	 */
	txn_changes_truncate(st, mark);
	st_cache_clear(&st->cache);
	if (sqlite3_get_autocommit(st->db))
		goto lost;
	memcpy(why, st->errbuf, sizeof(why));
	if (st_step_done(st, st_stq(st, ST_ROLLBACK_TO)) != STORE_OK ||
	    st_step_done(st, st_stq(st, ST_RELEASE)) != STORE_OK) {
		memcpy(st->errbuf, why, sizeof(why));
		goto lost;
	}
	memcpy(st->errbuf, why, sizeof(why));
	return r;
lost:
	st->txn_lost = r != STORE_OK ? r : STORE_EIO;
	return st->txn_lost;
}

enum store_err
store_batch_commit(struct store *st)
{
	sqlite3_stmt *s;
	enum store_err r;
	long long t0;
	int rc;

	st_commit_wait(st);
	if (!st->in_txn) {
		snprintf(st->errbuf, sizeof(st->errbuf), "store_batch_commit "
		    "outside a batch");
		return STORE_EIO;
	}
	r = st->txn_lost;
	if (r == STORE_OK && st->nkept == 0) {
		/* nothing to make durable: no commit, no fsync */
		st_step_done(st, st_stq(st, ST_ROLLBACK));
		txn_reset(st);
		return STORE_OK;
	}
	/* the last modtime handed out survives a restart (store_open) */
	if (r == STORE_OK)
		r = st_meta_set(st, "modtime", st->last_modtime);
	if (r != STORE_OK) {
		batch_rollback(st);
		return r;
	}
	if (st->pg != NULL && st_pg_commit(st) == -1)
		return commit_complete(st, ST_PG_FAILED, 0);
	s = st_stq(st, ST_COMMIT);
	t0 = metrics_now_us();
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return commit_complete(st, rc, metrics_now_us() - t0);
}

enum store_err
store_apply(struct store *st, const struct store_entry_op *ops, size_t nops,
    struct store_result *res)
{
	return store_apply_audit(st, ops, nops, NULL, res);
}

enum store_err
store_apply_audit(struct store *st, const struct store_entry_op *ops,
    size_t nops, const struct store_audit *audit, struct store_result *res)
{
	enum store_err r;

	memset(res, 0, sizeof(*res));
	if ((r = store_batch_begin(st)) != STORE_OK)
		return r;
	if ((r = store_batch_apply_verify(st, ops, nops, audit, NULL, NULL,
	    res)) != STORE_OK) {
		batch_rollback(st);
		return r;
	}
	return store_batch_commit(st);
}
