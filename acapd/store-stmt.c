/*
 * store-stmt.c -- every SQL statement acapd runs on the data (prepared
 * once at open, st->stmt), the SQLite helpers around them (binding,
 * stepping, mapping SQLite's errors to store errors and st->errbuf) and
 * the modtime generator (RFC 2244 §3.1.1).
 * Owns: the statement table, st->stmt, st->errbuf's SQLite messages,
 * st->last_modtime and the clock.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "store-int.h"

/* ---- Statements ---------------------------------------------------- */

/* Every SQL statement acapd runs on the data, prepared once at open. */
static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	/* one STORE inside a batch (store_batch_apply) */
	[ST_SAVEPOINT] = "SAVEPOINT store",
	[ST_RELEASE] = "RELEASE store",
	[ST_ROLLBACK_TO] = "ROLLBACK TO store",
	[ST_META_GET] = "SELECT value FROM store_meta WHERE key = ?1",
	[ST_META_SET] = "INSERT INTO store_meta (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[ST_READ_BEGIN] = "BEGIN DEFERRED",
	[ST_DS_BY_PATH] = "SELECT id, horizon FROM dataset WHERE path = ?1",
	/* one statement per dataset: the hot path of every SEARCH */
	[ST_DS_LOAD] = "SELECT d.id, e.id, e.name, e.modtime, e.blocked,"
	    " a.name, a.kind, a.value, a.acl FROM dataset d"
	    " LEFT JOIN entry e ON e.dataset_id = d.id"
	    " LEFT JOIN attr a ON a.entry_id = e.id"
	    " WHERE d.path = ?1 ORDER BY e.name, a.name",
	/* the same for the "" entry and entry ?2 only (two index lookups):
	   a write's check of one entry (store_snap_get_entry) */
	[ST_DS_LOAD_ENTRY] = "SELECT d.id, e.id, e.name, e.modtime,"
	    " e.blocked, a.name, a.kind, a.value, a.acl FROM dataset d"
	    " LEFT JOIN entry e ON e.dataset_id = d.id AND e.name IN ('', ?2)"
	    " LEFT JOIN attr a ON a.entry_id = e.id"
	    " WHERE d.path = ?1 ORDER BY e.name, a.name",
	/* a page (store_snap_get_range): the "" entry and the first ?3
	   unblocked entries named after ?2, through the (dataset_id, name)
	   index: work proportional to the page, not the dataset */
	[ST_DS_LOAD_RANGE] = "SELECT d.id, e.id, e.name, e.modtime,"
	    " e.blocked, a.name, a.kind, a.value, a.acl FROM dataset d"
	    " LEFT JOIN entry e ON e.id IN"
	    " (SELECT id FROM entry WHERE dataset_id = d.id AND name = ''"
	    "  UNION ALL SELECT id FROM (SELECT id FROM entry"
	    "  WHERE dataset_id = d.id AND name > ?2 AND blocked = 0"
	    "  ORDER BY name LIMIT ?3))"
	    " LEFT JOIN attr a ON a.entry_id = e.id"
	    " WHERE d.path = ?1 ORDER BY e.name, a.name",
	[ST_DS_COUNT_AFTER] = "SELECT count(*) FROM entry e, dataset d"
	    " WHERE d.path = ?1 AND e.dataset_id = d.id AND e.name > ?2"
	    " AND e.blocked = 0",
	[ST_DS_INSERT] = "INSERT INTO dataset (path, class, owner_kind,"
	    " owner_name, is_root, horizon) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_DS_SET_HORIZON] = "UPDATE dataset SET horizon = ?2 WHERE id = ?1",
	[ST_TREE_LIST] = "SELECT d.path, d.owner_kind, d.owner_name,"
	    " (SELECT COALESCE(SUM(length(CAST(e.name AS BLOB))), 0)"
	    "  FROM entry e WHERE e.dataset_id = d.id) +"
	    " (SELECT COALESCE(SUM(a.bytes), 0) FROM entry e"
	    "  JOIN attr a ON a.entry_id = e.id WHERE e.dataset_id = d.id)"
	    " FROM dataset d WHERE d.path >= ?1 AND d.path < ?2",
	[ST_TREE_DELETE] = "DELETE FROM dataset WHERE path >= ?1 AND path < ?2",
	[ST_TREE_RENAME] = "UPDATE dataset SET path = ?3 || substr(path, ?4)"
	    " WHERE path >= ?1 AND path < ?2",
	[ST_DROPPED_PUT] = "INSERT INTO dropped (path, modtime) VALUES (?1, ?2)"
	    " ON CONFLICT (path) DO UPDATE SET modtime = excluded.modtime",
	[ST_DROPPED_GET] = "SELECT modtime FROM dropped WHERE path = ?1",
	[ST_ENTRY_GET] = "SELECT id, blocked FROM entry"
	    " WHERE dataset_id = ?1 AND name = ?2",
	[ST_ENTRY_INSERT] = "INSERT INTO entry (dataset_id, name, modtime,"
	    " blocked) VALUES (?1, ?2, ?3, ?4)",
	[ST_ENTRY_SET] = "UPDATE entry SET modtime = ?2, blocked = ?3"
	    " WHERE id = ?1",
	[ST_ENTRY_RENAME] = "UPDATE entry SET name = ?2, modtime = ?3"
	    " WHERE id = ?1",
	[ST_ENTRY_DELETE] = "DELETE FROM entry WHERE id = ?1",
	[ST_ENTRY_BYTES] = "SELECT COALESCE(SUM(bytes), 0) FROM attr"
	    " WHERE entry_id = ?1",
	[ST_ATTR_GET] = "SELECT kind, value, acl, bytes FROM attr"
	    " WHERE entry_id = ?1 AND name = ?2",
	/* an upsert, not INSERT OR REPLACE: REPLACE on a table with a
	   foreign key makes every put a multi-row write that opens a
	   statement journal (12% of acapd's CPU in a bulk import) */
	[ST_ATTR_PUT] = "INSERT INTO attr (entry_id, name, kind,"
	    " value, acl, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT (entry_id, name) DO UPDATE SET kind = excluded.kind,"
	    " value = excluded.value, acl = excluded.acl,"
	    " bytes = excluded.bytes",
	[ST_ATTR_DELETE] = "DELETE FROM attr WHERE entry_id = ?1 AND name = ?2",
	[ST_ATTR_DELETE_ALL] = "DELETE FROM attr WHERE entry_id = ?1",
	[ST_DELETED_PUT] = "INSERT INTO deleted (dataset_id, name, modtime)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (dataset_id, name)"
	    " DO UPDATE SET modtime = excluded.modtime",
	[ST_DELETED_SINCE] = "SELECT name FROM deleted"
	    " WHERE dataset_id = ?1 AND modtime > ?2 ORDER BY modtime, name",
	[ST_DELETED_PRUNE] = "DELETE FROM deleted WHERE modtime < ?1",
	[ST_DROPPED_PRUNE] = "DELETE FROM dropped WHERE modtime < ?1",
	/* the audit trail (store-audit.c, read by store-snap.c) */
	[ST_AUDIT_PUT] = "INSERT INTO audit (time, user, authz, peer,"
	    " session, op, dataset, entry, attr, what, old_kind, old,"
	    " new_kind, new, redacted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[ST_AUDIT_ATTRS] = "SELECT name, kind, value FROM attr"
	    " WHERE entry_id = ?1 ORDER BY name",
	[ST_AUDIT_PRUNE] = "DELETE FROM audit WHERE time < ?1",
	[ST_AUDIT_LOAD] = "SELECT id, time, user, authz, peer, session, op,"
	    " dataset, entry, attr, what, old_kind, old, new_kind, new,"
	    " redacted FROM audit ORDER BY id",
	[ST_AUDIT_LOAD_DS] = "SELECT id, time, user, authz, peer, session,"
	    " op, dataset, entry, attr, what, old_kind, old, new_kind, new,"
	    " redacted FROM audit WHERE dataset = ?1 ORDER BY id",
	[ST_AUDIT_LOAD_RANGE] = "SELECT id, time, user, authz, peer, session,"
	    " op, dataset, entry, attr, what, old_kind, old, new_kind, new,"
	    " redacted FROM audit WHERE id > ?1 ORDER BY id LIMIT ?2",
	[ST_AUDIT_COUNT_AFTER] = "SELECT count(*) FROM audit WHERE id > ?1",
	[ST_QUOTA_GET] = "SELECT usage, limit_bytes FROM quota WHERE user = ?1",
	[ST_QUOTA_ADD] = "INSERT INTO quota (user, usage) VALUES (?1, ?2)"
	    " ON CONFLICT (user) DO UPDATE SET usage = usage + excluded.usage",
	[ST_QUOTA_SET_LIMIT] = "INSERT INTO quota (user, limit_bytes)"
	    " VALUES (?1, ?2) ON CONFLICT (user)"
	    " DO UPDATE SET limit_bytes = excluded.limit_bytes",
	[ST_DIR_CLASSES] = "SELECT class, MAX(horizon) FROM dataset"
	    " WHERE is_root AND class IS NOT NULL"
	    " GROUP BY class ORDER BY class",
	[ST_DIR_KINDS] = "SELECT owner_kind, MAX(horizon) FROM dataset"
	    " WHERE is_root AND class = ?1 GROUP BY owner_kind"
	    " ORDER BY owner_kind",
	[ST_DIR_OWNERS] = "SELECT d.owner_name, d.horizon, a.value"
	    " FROM dataset d"
	    " LEFT JOIN entry e ON e.dataset_id = d.id AND e.name = ''"
	    " LEFT JOIN attr a ON a.entry_id = e.id AND a.name = 'dataset.acl'"
	    "  AND a.kind = 3"
	    " WHERE d.is_root AND d.class = ?1 AND d.owner_kind = ?2"
	    " ORDER BY d.owner_name",
	[ST_DIR_BYOWNER] = "SELECT d.class, d.horizon, a.value FROM dataset d"
	    " LEFT JOIN entry e ON e.dataset_id = d.id AND e.name = ''"
	    " LEFT JOIN attr a ON a.entry_id = e.id AND a.name = 'dataset.acl'"
	    "  AND a.kind = 3"
	    " WHERE d.is_root AND d.owner_kind = ?1 AND d.owner_name = ?2"
	    " AND d.class IS NOT NULL ORDER BY d.class",
};

/*
 * Why the file system refuses writes to the database, as an errno value,
 * or 0: the database or its WAL not writable (EROFS, EPERM for an
 * immutable file, EACCES), or the file system (nearly) out of space.
 * SQLite does not record errno for a write that fails at COMMIT, when
 * the WAL frames are written, so st_db_fail() asks here.
 */
int
st_write_refusal(const struct store *st)
{
	static const char *const suffix[] = { "", "-wal" };
	char path[4096];
	struct statvfs sv;
	size_t i;

	if (st->path == NULL || strcmp(st->path, ":memory:") == 0)
		return 0;
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", st->path, suffix[i]);
		if (access(path, W_OK) == -1 && errno != ENOENT)
			return errno;
	}
	if (statvfs(st->path, &sv) == 0) {
		if (sv.f_flag & ST_RDONLY)
			return EROFS;
		/* a few blocks may be left when a bigger write failed */
		if ((geteuid() == 0 ? sv.f_bfree : sv.f_bavail) *
		    (uint64_t)sv.f_frsize < 1048576)
			return ENOSPC;
	}
	return 0;
}

enum store_err
st_db_fail(struct store *st, int rc)
{
	snprintf(st->errbuf, sizeof(st->errbuf), "%s",
	    st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED ||
	    (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return STORE_ETRYLATER;
	if (st->db != NULL && (rc & 0xff) == SQLITE_IOERR) {
		/* a write refused by the file system says why in errno */
		int e = sqlite3_system_errno(st->db);

		if (e != ENOSPC && e != EDQUOT && e != EROFS && e != EPERM &&
		    e != EACCES)
			e = st_write_refusal(st);
		if (e != 0) {
			size_t n = strlen(st->errbuf);

			snprintf(st->errbuf + n, sizeof(st->errbuf) - n,
			    " (%s)", strerror(e));
		}
		if (e == ENOSPC || e == EDQUOT)
			return STORE_EFULL;
		if (e == EROFS || e == EPERM || e == EACCES)
			return STORE_EROFS;
	}
	if ((rc & 0xff) == SQLITE_FULL)
		return STORE_EFULL;
	if ((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_PERM ||
	    (rc & 0xff) == SQLITE_CANTOPEN)
		return STORE_EROFS;
	return STORE_EIO;
}

const char *
store_last_error(const struct store *st)
{
	return st->errbuf;
}

/* A prepared statement, reset and unbound. */
sqlite3_stmt *
st_stq(struct store *st, enum stmt_id id)
{
	sqlite3_stmt *s = st->stmt[id];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

void
st_bind_text(sqlite3_stmt *s, int i, const char *t)
{
	if (t == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
}

void
st_bind_span(sqlite3_stmt *s, int i, struct span sp)
{
	sqlite3_bind_text(s, i, sp.p, (int)sp.n, SQLITE_STATIC);
}

/* Run a statement that returns no rows. */
enum store_err
st_step_done(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_db_fail(st, rc);
	return STORE_OK;
}

void
st_db_close(sqlite3 *db, sqlite3_stmt **stmt)
{
	int i;

	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(stmt[i]);
	sqlite3_close(db);
}

int
st_db_prepare(struct store *st)
{
	int rc, i;

	for (i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			st_db_fail(st, rc);
			return -1;
		}
	}
	return 0;
}

/* ---- Modtimes (RFC 2244 §3.1.1) -------------------------------------- */

int
st_default_clock(struct timespec *ts)
{
	return clock_gettime(CLOCK_REALTIME, ts);
}

void
st_modtime_format(time_t sec, long usec, char out[STORE_MODTIME_LEN + 1])
{
	struct tm tm;
	char buf[96];

	if (gmtime_r(&sec, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0)
		memset(&tm, 0, sizeof(tm));
	if (usec < 0 || usec > 999999)
		usec = 0;
	snprintf(buf, sizeof(buf), "%04d%02d%02d%02d%02d%02d%06ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, usec);
	memcpy(out, buf, STORE_MODTIME_LEN);
	out[STORE_MODTIME_LEN] = '\0';
}

void
st_modtime_now(struct store *st, char out[STORE_MODTIME_LEN + 1])
{
	struct timespec ts;

	if (st->clock_cb(&ts) == -1)
		ts.tv_sec = ts.tv_nsec = 0;
	st_modtime_format(ts.tv_sec, ts.tv_nsec / 1000, out);
}

/* Add one to a decimal digit string (wraps only past all nines). */
static void
modtime_increment(char *s)
{
	size_t i = strlen(s);

	while (i-- > 0) {
		if (s[i] < '9') {
			s[i]++;
			return;
		}
		s[i] = '0';
	}
}

/* The next modtime: the clock, or last + 1 when the clock lags. */
void
st_modtime_next(struct store *st, char out[STORE_MODTIME_LEN + 1])
{
	st_modtime_now(st, out);
	if (strcmp(out, st->last_modtime) <= 0) {
		memcpy(out, st->last_modtime, STORE_MODTIME_LEN + 1);
		modtime_increment(out);
	}
	memcpy(st->last_modtime, out, STORE_MODTIME_LEN + 1);
}

/* A client time (14+ digits) padded or cut to our fixed width. */
void
st_time_normalize(const char *t, char out[STORE_MODTIME_LEN + 1])
{
	size_t i;

	for (i = 0; i < STORE_MODTIME_LEN && t[i] >= '0' && t[i] <= '9'; i++)
		out[i] = t[i];
	for (; i < STORE_MODTIME_LEN; i++)
		out[i] = '0';
	out[STORE_MODTIME_LEN] = '\0';
}

bool
store_time_valid(const char *s, size_t len)
{
	size_t i;

	if (len < 14)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

void
store_modtime_current(const struct store *st, char buf[STORE_MODTIME_LEN + 1])
{
	memcpy(buf, st->last_modtime, STORE_MODTIME_LEN + 1);
}

void
store_set_clock(struct store *st, int (*clock_cb)(struct timespec *))
{
	st->clock_cb = clock_cb != NULL ? clock_cb : st_default_clock;
}
