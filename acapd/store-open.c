/*
 * store-open.c -- opening and closing the store: the database handle
 * with acapd's settings, the start-up reads and writes, degraded mode
 * (a database that takes no writes: read-only file, full disk, the WAL
 * index kept in memory) and leaving it, the statistics; and the store's
 * small allocation helpers.
 * Owns: struct store's lifetime, st->db and st->path, write_err and
 * exclusive, and store_open()'s static error message.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store-int.h"

/* ---- Small helpers ---------------------------------------------------- */

void *
st_xrealloc(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		abort();
	p = realloc(p, n * size == 0 ? 1 : n * size);
	if (p == NULL)
		abort();
	return p;
}

char *
st_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

/* Grow *p (with *cap elements) so that it holds at least need. */
void
st_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n;

	if (need <= *cap)
		return;
	n = *cap < 8 ? 8 : *cap;
	while (n < need)
		n *= 2;
	*p = st_xrealloc(*p, n, size);
	*cap = n;
}

/* ---- Opening ------------------------------------------------------------ */

static char open_error[256];	/* store_open()'s *errstr_r */

/* A failure that leaves the store readable: degraded, not broken. */
static bool
write_refused(enum store_err err)
{
	return err == STORE_EFULL || err == STORE_EROFS;
}

/*
 * Open st->path into st->db with acapd's settings.  SQLite falls back to
 * a read-only handle by itself when the file cannot be opened for writing
 * (immutable file, read-only mount): sqlite3_db_readonly() tells.  On -1
 * st->errbuf says why; st->db may be set and is the caller's to close.
 */
static int
db_connect(struct store *st)
{
	int rc;

	/* no memory statistics (acapd reads none): with them every SQLite
	   allocation takes a global mutex, 5-10% of acapd's CPU in a bulk
	   import.  Only before SQLite's initialisation: later calls are
	   refused (SQLITE_MISUSE) and change nothing. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	rc = sqlite3_open_v2(st->path, &st->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		st_db_fail(st, rc);
		return -1;
	}
	sqlite3_busy_timeout(st->db, st->cfg.busy_timeout_ms > 0 ?
	    st->cfg.busy_timeout_ms : 5000);
	/* before the first access, so that SQLite never creates the -shm */
	if (st->exclusive &&
	    st_exec_sql(st, "PRAGMA locking_mode = EXCLUSIVE") == -1)
		return -1;
	/* the journal mode is kept in the file: a read-only one has it */
	if ((sqlite3_db_readonly(st->db, "main") != 1 &&
	    st_exec_sql(st, "PRAGMA journal_mode = WAL") == -1) ||
	    st_exec_sql(st, "PRAGMA synchronous = FULL") == -1 ||
	    st_exec_sql(st, "PRAGMA foreign_keys = ON") == -1 ||
	    st_exec_sql(st, "PRAGMA mmap_size = 268435456") == -1 ||
	    /* 16 MiB of page cache (default 2): a batch of large STOREs
	       (acapctl import: 50 users, a registry entry and 3 datasets
	       each) no longer spills dirty pages to the WAL before its
	       COMMIT */
	    st_exec_sql(st, "PRAGMA cache_size = -16384") == -1 ||
	    /* statement and savepoint journals in memory: every INSERT
	       inside a STORE's savepoint copies the pages it changes to
	       the sub-journal, which past 64 KiB spilled to a temporary
	       file, one pwrite() per statement (30% of acapd's CPU in an
	       import of many users); bounded by the pages a transaction
	       changes, which the page cache holds anyway */
	    st_exec_sql(st, "PRAGMA temp_store = MEMORY") == -1)
		return -1;
	return 0;
}

/*
 * The writes of a start, which also show whether the database takes
 * writes at all: the modtime (the first one of a new database, else the
 * current value again) and the DELETEDSINCE pruning.  Sets write_err.
 */
static enum store_err
start_writes(struct store *st)
{
	enum store_err r = STORE_OK;
	int e;

	if (sqlite3_db_readonly(st->db, "main") == 1) {
		e = st_write_refusal(st);
		snprintf(st->errbuf, sizeof(st->errbuf), "the database file "
		    "could only be opened read-only%s%s", e != 0 ? ": " : "",
		    e != 0 ? strerror(e) : "");
		r = STORE_EROFS;
	}
	if (r == STORE_OK)
		r = st_meta_set(st, "modtime", st->last_modtime);
	if (r == STORE_OK)
		r = store_maintain(st);
	if (r == STORE_OK || write_refused(r))
		st->write_err = r;
	return r;
}

/*
 * PRAGMA journal_mode = mode; the pragma answers the mode it ended in,
 * without an error when it could not change.
 */
static int
journal_mode(struct store *st, const char *mode)
{
	char sql[64], got[16] = "";
	sqlite3_stmt *s;

	snprintf(sql, sizeof(sql), "PRAGMA journal_mode = %s", mode);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		st_db_fail(st, sqlite3_errcode(st->db));
		return -1;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(got, sizeof(got), "%s",
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (strcasecmp(got, mode) != 0) {
		snprintf(st->errbuf, sizeof(st->errbuf), "journal mode %s "
		    "refused (%s): %s", mode, got, sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

/*
 * A WAL-mode handle in exclusive locking mode keeps its WAL index in
 * memory and locks other processes out.  SQLite leaves that mode only
 * through another journal mode; each step needs writes to work.
 */
static int
leave_exclusive(struct store *st)
{
	int version;

	if (journal_mode(st, "delete") == -1 ||
	    st_exec_sql(st, "PRAGMA locking_mode = NORMAL") == -1 ||
	    journal_mode(st, "wal") == -1)
		return -1;
	/* the exclusive lock goes at the next access: make one */
	if (st_pragma_int(st, "PRAGMA user_version", &version) == -1)
		return -1;
	st->exclusive = false;
	return 0;
}

/*
 * Replace a handle SQLite opened read-only by a read-write one once the
 * file takes writes again (chattr -i, remount).  The schema was current
 * when the old handle was opened.  The old handle stays when the new one
 * is read-only too or fails.
 */
static int
reopen(struct store *st)
{
	sqlite3 *old = st->db;
	sqlite3_stmt *old_stmt[ST_COUNT];

	memcpy(old_stmt, st->stmt, sizeof(old_stmt));
	memset(st->stmt, 0, sizeof(st->stmt));
	st->db = NULL;
	if (db_connect(st) == 0 && sqlite3_db_readonly(st->db, "main") != 1 &&
	    st_db_prepare(st) == 0) {
		st_db_close(old, old_stmt);
		return 0;
	}
	st_db_close(st->db, st->stmt);
	st->db = old;
	memcpy(st->stmt, old_stmt, sizeof(old_stmt));
	return -1;
}

/* Open the handle and read what the store keeps in memory. */
static int
open_read(struct store *st)
{
	char buf[64];

	if (db_connect(st) == -1 || st_pg_load_base(st) == -1)
		return -1;
	if (st->cfg.integrity_check && st_integrity_check(st) == -1)
		return -1;
	/* an old schema needs writes: no degraded start then */
	if (st_migrate(st) == -1 || st_db_prepare(st) == -1)
		return -1;
	if (st_meta_get(st, "modtime", buf, sizeof(buf)) != STORE_OK ||
	    st_meta_get(st, "deleted_horizon", st->deleted_horizon,
	    sizeof(st->deleted_horizon)) != STORE_OK)
		return -1;
	if (strlen(buf) == STORE_MODTIME_LEN) {
		memcpy(st->last_modtime, buf, STORE_MODTIME_LEN + 1);
	} else {
		/* SEARCH reports this value before any STORE: keep it, so a
		   restart with the clock behind never reports less */
		st_modtime_now(st, st->last_modtime);
	}
	if (strlen(st->deleted_horizon) != STORE_MODTIME_LEN)
		st_time_normalize("0", st->deleted_horizon);
	return 0;
}

int
store_open(const struct store_config *cfg, struct store **store_r,
    const char **errstr_r)
{
	struct store *st;
	enum store_err r;

	*store_r = NULL;
	if (cfg->view == NULL) {
		*errstr_r = "no effective view for the write path "
		    "(store_config.view)";
		return -1;
	}
	st = st_xrealloc(NULL, 1, sizeof(*st));
	memset(st, 0, sizeof(*st));
	st->cfg = *cfg;
	st->cfg.path = NULL;
	st->cfg.audit_secret = NULL;
	store_set_audit(st, cfg->audit, cfg->audit_retention,
	    cfg->audit_secret);
	/* PostgreSQL: the datasets in memory, a replica of the shared log */
	st->path = st_xstrdup(st_pg_url(cfg->path) ? ":memory:" : cfg->path);
	st->clock_cb = cfg->clock_cb != NULL ? cfg->clock_cb : st_default_clock;
	acap_buf_init(&st->val);
	acap_buf_init(&st->acl);
	acap_buf_init(&st->oldval);
	acap_buf_init(&st->oldacl);
	st_cache_init(&st->cache, cfg->cache_datasets);

	if (st_pg_url(cfg->path) && st_pg_open(st, cfg->path) == -1)
		goto fail;
	if (open_read(st) == -1) {
		int e = st_write_refusal(st);

		/* no room for the WAL index (-shm): keep it in memory */
		if (e != ENOSPC && e != EDQUOT)
			goto fail;
		st_db_close(st->db, st->stmt);
		st->db = NULL;
		memset(st->stmt, 0, sizeof(st->stmt));
		st->exclusive = true;
		if (open_read(st) == -1)
			goto fail;
	}
	if ((r = start_writes(st)) != STORE_OK && !write_refused(r))
		goto fail;
	if (st->pg != NULL) {
		if (st_pg_start(st) == -1)
			goto fail;
		/*
		 * The upkeep once more, on the caught-up replica: the log
		 * replayed records (the audit trail among them) that
		 * start_writes' upkeep, on the base image alone, did not see;
		 * it also uploads a new base image (st_pg_maintain).
		 */
		if ((r = store_maintain(st)) != STORE_OK && !write_refused(r))
			goto fail;
	}
	if (st->exclusive) {
		size_t n = strlen(st->errbuf);

		snprintf(st->errbuf + n, sizeof(st->errbuf) - n, " (WAL "
		    "index in memory: other processes cannot open the "
		    "database meanwhile)");
	}
	*store_r = st;
	return 0;
fail:
	/* the store goes away: keep its message in static storage */
	snprintf(open_error, sizeof(open_error), "%s",
	    st->errbuf[0] != '\0' ? st->errbuf : "cannot open the store");
	*errstr_r = open_error;
	store_free(&st);
	return -1;
}

enum store_err
store_write_state(const struct store *st)
{
	return st->write_err;
}

enum store_err
store_retry_writes(struct store *st)
{
	enum store_err r;

	st_commit_wait(st);
	if (st->write_err == STORE_OK && !st->exclusive)
		return STORE_OK;
	if (st->in_txn || st->in_callback || st->reading > 0)
		return st->write_err;
	if (sqlite3_db_readonly(st->db, "main") == 1 && reopen(st) == -1) {
		int e = st_write_refusal(st);

		snprintf(st->errbuf, sizeof(st->errbuf), "the database file "
		    "is still read-only%s%s", e != 0 ? ": " : "",
		    e != 0 ? strerror(e) : "");
		return STORE_EROFS;
	}
	if ((r = start_writes(st)) != STORE_OK)
		return r;
	/* writes work: the WAL index goes back to shared memory */
	if (st->exclusive && leave_exclusive(st) == -1)
		return STORE_ETRYLATER;
	return STORE_OK;
}

void
store_free(struct store **store_r)
{
	struct store *st = *store_r;

	if (st == NULL)
		return;
	*store_r = NULL;
	st_commit_thread_stop(st);
	st_pg_free(st);
	st_cache_deinit(&st->cache);
	st_sb_deinit(&st->sb);
	st_db_close(st->db, st->stmt);
	free(st->path);
	free(st->changes);
	free(st->qd);
	free(st->quota_user);
	free(st->audit_secret);
	acap_buf_deinit(&st->val);
	acap_buf_deinit(&st->acl);
	acap_buf_deinit(&st->oldval);
	acap_buf_deinit(&st->oldacl);
	free(st);
}

void
store_get_stats(const struct store *st, struct store_stats *stats_r)
{
	*stats_r = st->stats;
}
