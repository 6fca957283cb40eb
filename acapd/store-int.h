/*
 * store-int.h -- what the store's own files share, and nothing else may
 * include: struct store, the statement ids, dataset paths, the snapshot
 * builder and cache, and the functions one role file calls in another
 * (store-open.c, store-schema.c, store-stmt.c, store-snap.c,
 * store-write.c, store-commit.c, store-quota.c, store-log.c,
 * store-audit.c, and store-pg.c, the PostgreSQL backend under them).  The rest
 * of acapd goes through store.h.  Functions shared across these files
 * carry the st_ prefix, so that no generic name leaves libstore.a.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#include "acap-buf.h"
#include "store.h"

/* ---- Dataset paths (store-snap.c) ----------------------------------- */

#define MAX_COMPONENTS	64

struct span {
	const char *p;
	size_t n;
};

enum path_kind {
	PK_INVALID,
	PK_ROOT,	/* "/" */
	PK_CLASSDIR,	/* "/<class>/" */
	PK_KINDDIR,	/* "/<class>/<group|host|user>/" */
	PK_BYOWNER,	/* "/byowner/<owner>/" */
	PK_DATASET,	/* "/<class>/<owner>/<rest...>" */
};

struct path_info {
	enum path_kind kind;
	struct span class;
	struct span okind;	/* site, group, host, user */
	struct span oname;	/* empty for site */
	size_t nrest;		/* components after the owner */
	struct span last;	/* last component */
};

/* ---- Snapshot builder (store-snap.c) --------------------------------- */

/* Snapshot builder: offsets while loading, pointers after finish. */
struct sb_entry {
	size_t name, modtime;
	bool blocked;
	size_t attr0, nattrs;
};

struct sb_attr {
	size_t name;
	enum store_vkind kind;
	size_t str0, nstr;
	bool has_acl;
	size_t acl0, nacl;
};

struct sb_str {
	size_t off, len;
};

struct snap_builder {
	struct sb_entry *e;
	size_t ne, ce;
	struct sb_attr *a;
	size_t na, ca;
	struct sb_str *s;
	size_t ns, cs;
	char *b;
	size_t nb, cb;
};

/* ---- Snapshot cache: path -> snapshot (or "absent"), LRU-bounded ---- */

struct cache_node {
	struct cache_node *hnext;
	struct cache_node *prev, *next;	/* LRU: head.next is the newest */
	uint32_t hash;
	char *path;
	struct store_snap *snap;	/* NULL: the dataset does not exist */
};

struct cache {
	struct cache_node **buckets;
	size_t nbuckets;		/* power of 2 */
	size_t count, cap;
	struct cache_node head;
};

/* ---- The store -------------------------------------------------------- */

/* Every SQL statement's id; its text is in store-stmt.c (stmt_sql). */
enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_META_GET,
	ST_META_SET,
	ST_READ_BEGIN,
	ST_DS_BY_PATH,
	ST_DS_LOAD,
	ST_DS_LOAD_ENTRY,
	ST_DS_LOAD_RANGE,
	ST_DS_COUNT_AFTER,
	ST_DS_INSERT,
	ST_DS_SET_HORIZON,
	ST_TREE_LIST,
	ST_TREE_DELETE,
	ST_TREE_RENAME,
	ST_DROPPED_PUT,
	ST_DROPPED_GET,
	ST_ENTRY_GET,
	ST_ENTRY_INSERT,
	ST_ENTRY_SET,
	ST_ENTRY_RENAME,
	ST_ENTRY_DELETE,
	ST_ENTRY_BYTES,
	ST_ATTR_GET,
	ST_ATTR_PUT,
	ST_ATTR_DELETE,
	ST_ATTR_DELETE_ALL,
	ST_DELETED_PUT,
	ST_DELETED_SINCE,
	ST_DELETED_PRUNE,
	ST_DROPPED_PRUNE,
	ST_QUOTA_GET,
	ST_QUOTA_ADD,
	ST_QUOTA_SET_LIMIT,
	ST_DIR_CLASSES,
	ST_DIR_KINDS,
	ST_DIR_OWNERS,
	ST_DIR_BYOWNER,
	ST_AUDIT_PUT,
	ST_AUDIT_ATTRS,
	ST_AUDIT_PRUNE,
	ST_AUDIT_LOAD,
	ST_AUDIT_LOAD_DS,
	ST_AUDIT_LOAD_RANGE,
	ST_AUDIT_COUNT_AFTER,
	ST_COUNT
};

struct change_rec {
	enum store_change_kind kind;
	char *dataset;
	char *entry;
	char modtime[STORE_MODTIME_LEN + 1];	/* of its STORE */
};

struct quota_delta {
	char *user;
	int64_t delta;
};

struct store_pg;

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
	struct store_config cfg;
	char *path;			/* of the database, for reopening */
	enum store_err write_err;	/* STORE_OK, or why writes fail */
	bool exclusive;			/* WAL index in memory (full disk) */
	int (*clock_cb)(struct timespec *);
	char last_modtime[STORE_MODTIME_LEN + 1];
	char deleted_horizon[STORE_MODTIME_LEN + 1];
	store_change_cb *change_cb;
	void *change_arg;
	store_feed_cb *feed_cb;		/* store-pg.c's feed transitions */
	void *feed_arg;
	struct cache cache;
	struct snap_builder sb;
	struct store_stats stats;
	char errbuf[256];
	char *quota_user;

	unsigned int reading;		/* store_read_begin() nesting */
	bool read_txn;			/* a read transaction is open */

	/* the running transaction (a batch of STOREs, store_batch_*()) */
	bool in_txn;
	bool in_callback;		/* the change callback is running */
	enum store_err txn_lost;	/* SQLite rolled the batch back: why */
	size_t nkept;			/* STOREs applied in the batch so far */

	/* the commit thread (store_commit_thread_start) */
	bool cthread;			/* created */
	pthread_t cthr;
	pthread_mutex_t cmu;
	pthread_cond_t ccv;
	bool crequest;			/* a COMMIT for the thread (cmu) */
	bool cquit;			/* the thread is to exit (cmu) */
	int crc;			/* what the COMMIT returned (cmu) */
	long long ccommit_us;		/* how long it took (cmu) */
	int cpipe[2];			/* a byte per finished COMMIT */
	enum { AC_NONE, AC_RUNNING, AC_DONE } async;
	enum store_err async_result;	/* AC_DONE: the batch's result */
	char txn_modtime[STORE_MODTIME_LEN + 1];	/* the STORE's */
	struct change_rec *changes;
	size_t nchanges, cchanges;
	struct quota_delta *qd;
	size_t nqd, cqd;
	struct acap_buf val;		/* scratch: encoded values */
	struct acap_buf acl;
	struct acap_buf oldval;		/* scratch: a row read back */
	struct acap_buf oldacl;

	/* the audit trail (store-audit.c) */
	const struct store_audit *audit;	/* the STORE being applied */
	bool audit_on;			/* cfg.audit, or store_set_audit() */
	uint32_t audit_retention;
	char *audit_secret;		/* owned copy of the patterns */
	bool audit_reader;		/* build the audit dataset's records */
	/* the PostgreSQL backend (store-pg.c); NULL on SQLite alone */
	struct store_pg *pg;
	/* replaying a logged STORE: its modtime, else "" */
	char forced_modtime[STORE_MODTIME_LEN + 1];
};

/* ---- store-open.c: small helpers (abort on allocation failure) ------- */

void *st_xrealloc(void *p, size_t n, size_t size);
char *st_xstrdup(const char *s);
/* Grow *p (with *cap elements) so that it holds at least need. */
void st_grow(void **p, size_t *cap, size_t need, size_t size);

/* ---- store-schema.c: migrations and store_meta ----------------------- */

enum store_err st_meta_get(struct store *st, const char *key, char *out,
    size_t outsize);
enum store_err st_meta_set(struct store *st, const char *key,
    const char *value);
int st_exec_sql(struct store *st, const char *sql);
int st_pragma_int(struct store *st, const char *sql, int *v_r);
int st_integrity_check(struct store *st);
/* Apply schema/NNN-*.sql after user_version, each in a transaction. */
int st_migrate(struct store *st);

/* ---- store-stmt.c: statements, SQLite helpers, modtimes -------------- */

/* Why the file system refuses writes to the database (errno), or 0. */
int st_write_refusal(const struct store *st);
enum store_err st_db_fail(struct store *st, int rc);
/* A prepared statement, reset and unbound. */
sqlite3_stmt *st_stq(struct store *st, enum stmt_id id);
void st_bind_text(sqlite3_stmt *s, int i, const char *t);
void st_bind_span(sqlite3_stmt *s, int i, struct span sp);
/* Run a statement that returns no rows. */
enum store_err st_step_done(struct store *st, sqlite3_stmt *s);
void st_db_close(sqlite3 *db, sqlite3_stmt **stmt);
int st_db_prepare(struct store *st);
int st_default_clock(struct timespec *ts);
void st_modtime_format(time_t sec, long usec,
    char out[STORE_MODTIME_LEN + 1]);
void st_modtime_now(struct store *st, char out[STORE_MODTIME_LEN + 1]);
/* The next modtime: the clock, or last + 1 when the clock lags. */
void st_modtime_next(struct store *st, char out[STORE_MODTIME_LEN + 1]);
/* A client time (14+ digits) padded or cut to our fixed width. */
void st_time_normalize(const char *t, char out[STORE_MODTIME_LEN + 1]);

/* ---- store-snap.c: paths, snapshots, the cache, reading -------------- */

bool st_span_is(struct span s, const char *lit);
void st_path_classify(const char *path, struct path_info *pi);
/* "base" + comp + "/" in canonical form (§5.3 inherit rule). */
char *st_path_child(const char *base, const char *comp, size_t complen);
/* Exclusive upper bound of the paths below prefix ("/a/b/" -> "/a/b0"). */
char *st_path_upper(const char *prefix);
void st_sb_deinit(struct snap_builder *sb);
void st_cache_init(struct cache *c, size_t cap);
void st_cache_drop(struct cache *c, const char *path);
void st_cache_drop_prefix(struct cache *c, const char *prefix);
void st_cache_clear(struct cache *c);
void st_cache_deinit(struct cache *c);
enum store_err st_ds_lookup(struct store *st, const char *path,
    int64_t *id_r, char *horizon);
/* A stored dataset, through the cache. */
enum store_err st_stored_snap_get(struct store *st, const char *path,
    struct store_snap **snap_r);

/* ---- store-write.c: the write path ----------------------------------- */

enum store_err st_apply_entry(struct store *st,
    const struct store_entry_op *op, struct store_result *res);

/* ---- store-commit.c: batches, the commit thread, the change feed ----- */

void st_txn_change(struct store *st, enum store_change_kind kind,
    const char *ds, const char *entry);
/*
 * Wait for a COMMIT still running on the commit thread and complete its
 * batch: every call that uses the database or the batch state first.
 */
void st_commit_wait(struct store *st);
void st_commit_thread_stop(struct store *st);

/* ---- store-audit.c: the audit trail ---------------------------------- */

/*
 * Record that attribute attr of entry in ds changed (what: "value" or
 * "acl"; kinds as enum store_vkind, values as stored), when the STORE
 * being applied has an audit context and old and new differ.
 */
enum store_err st_audit_change(struct store *st, const char *ds,
    const char *entry, const char *attr, const char *what,
    enum store_vkind okind, const void *old, size_t olen,
    enum store_vkind nkind, const void *new, size_t nlen);
/* Record the removal of every attribute of local entry eid. */
enum store_err st_audit_entry_attrs(struct store *st, const char *ds,
    const char *entry, int64_t eid);
/* Delete records older than the retention (store_maintain). */
enum store_err st_audit_prune(struct store *st);
/*
 * The audit trail as a dataset (store-snap.c): path is STORE_AUDIT_PATH
 * (every record) or below it (the records of one dataset).
 */
enum store_err st_audit_snap(struct store *st, const char *path,
    struct store_snap **snap_r);

/* ---- store-quota.c: quotas ------------------------------------------- */

/* Forget the quota deltas (charged, or rolled back with their STORE). */
void st_txn_quota_reset(struct store *st);
/* Charge delta bytes to the owner of the dataset (users only). */
void st_txn_quota(struct store *st, const struct path_info *pi,
    int64_t delta);
/* Add the transaction's usage deltas; fail if a user grew past a limit. */
enum store_err st_quota_commit(struct store *st);

/* ---- store-pg.c: the PostgreSQL backend ----------------------------- */

/* Whether a database setting is a libpq URI (postgresql://, postgres://). */
bool st_pg_url(const char *path);
/* Connect, migrate the shared schema, read the base image: before the
   replica opens.  -1 with st->errbuf. */
int st_pg_open(struct store *st, const char *url);
/* Load the base image into the replica's fresh handle (no-op without). */
int st_pg_load_base(struct store *st);
/* LISTEN, replay the log, take the head's modtime: after the replica. */
int st_pg_start(struct store *st);
void st_pg_free(struct store *st);
/* A STORE of the batch was kept: encode it for the log. */
void st_pg_record(struct store *st, const struct store_audit *audit,
    const struct store_entry_op *ops,
    size_t nops);
void st_pg_batch_reset(struct store *st);
/* Write the batch to the log (commit thread or inline): 0 or -1. */
int st_pg_commit(struct store *st);
/* After st_pg_commit(), on the event loop: advance or fail the batch. */
void st_pg_committed(struct store *st, bool ok);
bool st_pg_replaying(const struct store *st);
/* Write a new base image and prune the log (store_maintain()). */
void st_pg_maintain(struct store *st);
/* Whether reads and writes are refused (the change feed was lost). */
bool st_pg_refuse(struct store *st);

#endif
