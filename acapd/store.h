/*
 * store.h -- the dataset store: datasets, entries, attributes, modtimes,
 * the DELETEDSINCE log and quotas, persisted in SQLite (RFC 2244 §3.1, §5),
 * or shared by several nodes through PostgreSQL (database postgresql://,
 * store-pg.c: an in-memory SQLite replica of a shared log; every call
 * below behaves the same; doc/scale-out.md).
 *
 * Owns: the database handle, the schema migrations, every SQL statement,
 * the global modtime generator and a cache of dataset snapshots.  It knows
 * nothing about connections or protocol text, except the one table that
 * maps its errors to ACAP response codes (store_err_code()).  Inheritance
 * is resolved above it (inherit.h): the few effective facts the write
 * path needs come through struct store_view_ops, which the layer above
 * supplies, so the store names no module above it and a second backend
 * implementing this header reuses inherit.c and search.c unchanged.
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct acap_buf;
struct store;
struct store_snap;

/* "YYYYMMDDhhmmss" + 6 digits: every modtime we hand out has this width. */
#define STORE_MODTIME_LEN	20

/*
 * Every store error.  store_err_code() maps each one to its ACAP response
 * (RFC 2244 §3.6); keep that table and this enum in step.
 */
enum store_err {
	STORE_OK = 0,
	STORE_ENOEXIST,		/* dataset missing: NO (NOEXIST dataset) */
	STORE_ENOENT,		/* entry missing (rename source): NO */
	STORE_EEXIST,		/* rename target exists: NO */
	STORE_EMODIFIED,	/* UNCHANGEDSINCE failed: NO (MODIFIED path) */
	STORE_EQUOTA,		/* over quota: NO (QUOTA) */
	STORE_EINVALID,		/* validated attr: NO (INVALID path attr) */
	STORE_EPERM,		/* not permitted: NO (PERMISSION (dataset)) */
	STORE_ETOOOLD,		/* DELETEDSINCE before the log: NO (TOOOLD) */
	STORE_ENOQUOTA,		/* GETQUOTA: no resource limit applies: NO */
	STORE_ETRYLATER,	/* database busy: NO (TRYLATER) */
	STORE_EFULL,		/* the disk is full: NO (TRYLATER) */
	STORE_EROFS,		/* the database is read-only: NO (TRYLATER) */
	STORE_EIO,		/* I/O error, corruption, bug: NO */
};

/*
 * Which dataset/entry/attribute an error is about.  The pointers borrow
 * from the request given to the failing call (or from the store until the
 * next call): format the reply before freeing the request.
 */
struct store_errinfo {
	const char *dataset;	/* canonical dataset path */
	const char *entry;	/* entry name, or NULL */
	const char *attr;	/* attribute name, or NULL */
};

/* The ACAP response code name ("MODIFIED", "QUOTA", ...) or NULL. */
const char *store_err_code(enum store_err err);
/* A short English text for the tagged NO. Static. */
const char *store_err_text(enum store_err err);
/*
 * Append the response code with its arguments in wire form, without the
 * parentheses ('MODIFIED "/email/user/fred/corp"'), to out; nothing when
 * the error has no code.  info may be NULL (arguments are then omitted
 * only for errors that have none; others get "/").
 */
void store_err_format_code(enum store_err err,
    const struct store_errinfo *info, struct acap_buf *out);

/* ---- Opening -------------------------------------------------------- */

/*
 * The effective view (RFC 2244 §5.1) the write path needs: NOCREATE on a
 * virtual dataset, UNCHANGEDSINCE against the effective entry, a rename
 * that materialises inherited values and blocks the base's entry of the
 * old name.  Supplied from above (inherit.h: inherit_store_view_ops) in
 * store_config.view.  A view is opened inside the write transaction and
 * sees the STOREs applied before.
 */
struct store_attr;
struct store_view;
struct store_view_ops {
	/* STORE_OK, STORE_ENOEXIST (not even virtual), or a store error */
	enum store_err (*open)(struct store *st, const char *dataset,
	    struct store_view **v_r);
	void (*close)(struct store_view **v_r);		/* sets NULL */
	/*
	 * Optional (NULL: open): a view in which only entry name (and "")
	 * is complete, for modtime() of that one name; reads one entry per
	 * layer instead of whole datasets.
	 */
	enum store_err (*open_entry)(struct store *st, const char *dataset,
	    const char *name, struct store_view **v_r);
	/* the visible entry's modtime, NULL when no entry name is visible */
	const char *(*modtime)(const struct store_view *v, const char *name);
	/* whether the base layers show an entry name (below the dataset) */
	bool (*base_has)(const struct store_view *v, const char *name);
	/*
	 * The i-th attribute of the visible entry name (false past the last
	 * or when not visible), and whether its value is inherited.
	 */
	bool (*attr)(const struct store_view *v, const char *name, size_t i,
	    const struct store_attr **a_r, bool *inherited_r);
};

struct store_config {
	const char *path;		/* database file (":memory:" works), or
					   a libpq URI postgresql://... or
					   postgres://...: the PostgreSQL
					   backend (doc/scale-out.md) */
	bool integrity_check;		/* PRAGMA integrity_check at open */
	uint64_t quota_bytes;		/* default per-user quota; 0 = none */
	uint32_t deleted_retention;	/* seconds DELETEDSINCE reaches back;
					   0 = keep forever */
	size_t cache_datasets;		/* snapshots cached; 0 = no cache */
	int busy_timeout_ms;		/* sqlite3_busy_timeout(); 0 = 5000 */
	int (*clock_cb)(struct timespec *);	/* tests; NULL = real clock */
	const struct store_view_ops *view;	/* required: see above */
	/* the audit trail: see "The audit trail" below */
	bool audit;			/* record audited changes */
	uint32_t audit_retention;	/* seconds kept; 0 = for ever */
	const char *audit_secret;	/* attribute name patterns whose
					   values are redacted (fnmatch(3),
					   blank-separated); NULL = none */
};

/*
 * Open (creating if needed) the database, set WAL, synchronous=FULL,
 * foreign_keys=ON and the busy timeout, optionally run the integrity
 * check, apply pending migrations in order (each in its own transaction,
 * recorded in PRAGMA user_version), write the modtime and prune the
 * DELETEDSINCE log.  When those last writes fail because the disk is full
 * or the database is read-only, the store still opens, degraded: see
 * store_write_state().  Returns 0 and the store in *store_r, or -1 with a
 * static or store-owned reason in *errstr_r (valid until the next call;
 * the caller logs it and exits).  cfg is copied; cfg->path only needs to
 * live during the call.
 */
int store_open(const struct store_config *cfg, struct store **store_r,
    const char **errstr_r);
/* Close the database and free everything; sets *store_r = NULL. */
void store_free(struct store **store_r);

/*
 * Degraded (read-only) mode.  A store opened on a database that cannot
 * be written (full disk, immutable file, read-only mount) serves reads;
 * its writes fail with STORE_EFULL or STORE_EROFS, which map to NO
 * (TRYLATER) with a text naming the cause.  A database whose schema must
 * be upgraded does not open at all.
 *
 * store_write_state() is STORE_OK while writes work, else the error that
 * stopped them at the last check (store_last_error() has the detail).
 * store_retry_writes() checks again, reopening read-write a handle SQLite
 * had to open read-only, and returns STORE_OK once a write succeeded, the
 * error otherwise.  Call it from the event loop, outside read sections.
 * On a full disk STOREs succeed again as soon as there is room, before
 * the next check notices.
 */
enum store_err store_write_state(const struct store *st);
enum store_err store_retry_writes(struct store *st);

/*
 * SQLite's message for the last STORE_EIO/STORE_ETRYLATER (for the log),
 * or "". Valid until the next store call.
 */
const char *store_last_error(const struct store *st);

/*
 * Periodic upkeep (call from a timer, e.g. hourly): prune the DELETEDSINCE
 * log older than the retention window and record the new horizon, and
 * the audit trail older than audit_retention.
 */
enum store_err store_maintain(struct store *st);

/* Counters since store_open(), for tests and the log. */
struct store_stats {
	uint64_t dir_snaps;		/* directory snapshots synthesised */
	uint64_t commits;		/* transactions committed */
	uint64_t stores;		/* STOREs committed (in those) */
	uint64_t snap_loads;		/* stored datasets read whole */
	uint64_t entry_snaps;		/* ... one entry (snap_get_entry) */
	uint64_t range_snaps;		/* ... one page (snap_get_range) */
};
void store_get_stats(const struct store *st, struct store_stats *stats_r);

/* ---- Modtimes (RFC 2244 §3.1.1) ------------------------------------ */

/*
 * Whether s (len octets) is a time as RFC 2244 §8 "time" allows inside
 * its quotes: 14 or more ASCII digits (YYYYMMDDhhmmss + fraction).
 */
bool store_time_valid(const char *s, size_t len);

/*
 * The last modtime handed out (STORE_MODTIME_LEN digits + NUL into buf):
 * every committed change so far has a modtime <= this value and every
 * later one will be greater.  This is what SEARCH reports in MODTIME.
 */
void store_modtime_current(const struct store *st,
    char buf[STORE_MODTIME_LEN + 1]);

/*
 * Test hook: replace the wall clock used by the generator (NULL restores
 * clock_gettime(CLOCK_REALTIME)).  The generator stays strictly
 * increasing whatever the clock does.
 */
void store_set_clock(struct store *st, int (*clock_cb)(struct timespec *));

/* ---- Rows: how entries look when read ------------------------------ */

/* A counted string; values may contain NUL (RFC 2244 §2.6.3.1). */
struct store_str {
	const char *s;
	size_t len;
};

enum store_vkind {
	STORE_V_INHERIT = 0,	/* no local value: only acl metadata here */
	STORE_V_NIL = 1,	/* NIL stored: masks an inherited value */
	STORE_V_SINGLE = 2,
	STORE_V_MULTI = 3,	/* list of 0 or more values */
};

/* An attribute as stored in one dataset. */
struct store_attr {
	const char *name;
	enum store_vkind kind;
	const struct store_str *values;	/* SINGLE: 1 item; MULTI: nvalues */
	size_t nvalues;
	const struct store_str *acl;	/* "ident\trights" items; NULL when the
					   attribute has no acl metadata */
	size_t nacl;
};

/* An entry as stored in one dataset. */
struct store_entry {
	const char *name;		/* "" is the management entry */
	const char *modtime;		/* STORE_MODTIME_LEN digits */
	bool blocked;			/* inheritance tombstone (§6.6.1) */
	const struct store_attr *attrs;	/* sorted by name, octet order */
	size_t nattrs;
};

/* ---- Snapshots: one dataset, read-only, refcounted ----------------- */

/*
 * The current content of one dataset.  path is canonical.  Besides stored
 * datasets this returns the synthesised directory datasets (RFC 2244
 * §4.1): "/" (one entry per dataset class), "/<class>/" (site, group,
 * host, user), "/<class>/<group|host|user>/" (one entry per owner with
 * data of that class) and "/byowner/<owner>/" (one entry per class the
 * owner has data in, plus the stored template's "" entry).  Directory
 * entries carry subdataset ("."), and an "entry" acl copied from the
 * child's dataset.acl so that a rights check hides what the caller may
 * not see.
 * Returns STORE_OK with a new reference in *snap_r (release it with
 * store_snap_unref()), STORE_ENOEXIST, or STORE_EIO/ETRYLATER.
 * Snapshots are immutable: a later STORE makes new ones.
 */
enum store_err store_snap_get(struct store *st, const char *path,
    struct store_snap **snap_r);
void store_snap_ref(struct store_snap *snap);
/*
 * The same as store_snap_get() restricted to the entries "" and name
 * (those of them that exist): what a check of one entry needs (a STORE's
 * UNCHANGEDSINCE through inheritance, inherit.h inherit_view_open_entry)
 * without reading the whole dataset.  When the whole dataset is cached,
 * that snapshot; otherwise two indexed lookups, not cached.  Directory
 * and audit paths: as store_snap_get().
 */
enum store_err store_snap_get_entry(struct store *st, const char *path,
    const char *name, struct store_snap **snap_r);
/*
 * One page of a stored dataset, read by entry name through the index
 * (paging, doc/protocol-notes.md "Paging"): the "" entry (when there is
 * one) and the first max entries named after "after" in octet order
 * ("" reads from the first), blocked entries left out, as a snapshot
 * that is not cached.  *total_r is the number of unblocked entries named
 * after "after" (those read when fewer than max, else an index count).
 * The audit trail STORE_AUDIT_PATH pages the same way when after is ""
 * or a record name.  STORE_EINVALID when path is not served so (a
 * directory, an audit dataset of one dataset, another bound): read it
 * whole.  Otherwise as store_snap_get().
 */
enum store_err store_snap_get_range(struct store *st, const char *path,
    const char *after, size_t max, struct store_snap **snap_r,
    uint64_t *total_r);
/*
 * Whether canonical path names a synthesised directory dataset ("/",
 * "/<class>/", "/<class>/<group|host|user>/", "/byowner/<owner>/"),
 * whether or not it lists anything now.  No database access.
 */
bool store_path_is_directory(const char *path);
void store_snap_unref(struct store_snap **snap_r);	/* sets NULL */

/*
 * Group the reads that follow into one database read transaction until
 * the matching store_read_end() (nestable; a no-op inside store_apply()).
 * Reads see one consistent state and cost less.  Keep sections short (a
 * command): an open read transaction holds back WAL checkpoints, and
 * store_apply() refuses to run inside one.
 */
void store_read_begin(struct store *st);
void store_read_end(struct store *st);

/* Canonical path; lives as long as the snapshot. */
const char *store_snap_path(const struct store_snap *snap);
/* Entries (blocked ones included), sorted by name in octet order. */
const struct store_entry *store_snap_entries(const struct store_snap *snap,
    size_t *n_r);
/* Binary search by name; NULL when absent. */
const struct store_entry *store_snap_find(const struct store_snap *snap,
    const char *name);
/* Binary search of an entry's attributes; NULL when absent. */
const struct store_attr *store_entry_attr(const struct store_entry *e,
    const char *name);
/*
 * The value of dataset.inherit in the "" entry (canonical), or NULL when
 * the dataset inherits nothing.
 */
const char *store_snap_inherit(const struct store_snap *snap);
/* Whether this is a synthesised directory dataset (not storable). */
bool store_snap_is_directory(const struct store_snap *snap);

/* ---- Writing: one STORE command = one transaction ------------------ */

enum store_op {
	STORE_OP_KEEP = 0,	/* not mentioned: unchanged */
	STORE_OP_SET,
	STORE_OP_NIL,
	STORE_OP_DEFAULT,
};

/*
 * One attribute of a STORE (RFC 2244 §6.6.1).  Special names:
 *   "entry": SET renames (values[0] = new name; the same name just
 *            touches/creates the entry), NIL deletes the entry and blocks
 *            inheritance, DEFAULT drops the local entry;
 *   "subdataset": SET with "." among the values creates the child
 *            dataset; NIL/DEFAULT (or a SET without ".") deletes the
 *            local child hierarchy;
 *   "dataset.inherit": values[0] must already be canonical.
 * Validation (INVALID, BAD) is the caller's job; store_apply() trusts
 * names and values.
 */
struct store_attr_op {
	const char *name;
	enum store_op value_op;
	bool multi;			/* SET: a multi-value */
	const struct store_str *values;	/* SET: 1 item, or nvalues if multi */
	size_t nvalues;
	enum store_op acl_op;		/* KEEP, SET, NIL (DEFAULT = NIL) */
	const struct store_str *acl;
	size_t nacl;
};

struct store_entry_op {
	const char *dataset;		/* canonical dataset path */
	const char *entry;		/* entry name */
	bool nocreate;
	const char *unchangedsince;	/* NULL, or 14+ digits */
	const struct store_attr_op *attrs;
	size_t nattrs;
};

struct store_result {
	char modtime[STORE_MODTIME_LEN + 1];	/* of the commit */
	struct store_errinfo err;		/* on failure */
};

/*
 * Apply a whole STORE atomically: create missing datasets (unless
 * NOCREATE) with management attributes copied from the /byowner/ parent
 * (§5.3), check UNCHANGEDSINCE against the effective entry, apply every
 * attribute, record DELETEDSINCE and inheritance tombstones, charge
 * quotas, give every changed entry one new modtime, commit, then report
 * the changes through the change callback.  On any error nothing is
 * applied.  Returns STORE_OK once committed (only then may the caller
 * send OK), else the error with res->err naming the culprit.
 */
enum store_err store_apply(struct store *st, const struct store_entry_op *ops,
    size_t nops, struct store_result *res);

/*
 * Group commit: several STOREs, each atomic on its own, in one database
 * transaction and so one fsync (doc/store-batch.md).  store_apply() is a
 * batch of one.
 *
 * store_batch_begin() opens the write transaction (BEGIN IMMEDIATE);
 * refused inside a read section, a change callback or another batch.
 * While it is open, reads (snapshots, views, store_read_begin()) see the
 * STOREs applied so far, and nothing else may write.
 *
 * store_batch_apply() applies one STORE as store_apply() describes,
 * under a savepoint: on an error (UNCHANGEDSINCE, quota, ...) only this
 * STORE is undone and its error returned, and the batch goes on.  When
 * SQLite itself abandoned the transaction (I/O error, full disk), the
 * error is returned for this and every later call and by the commit.
 * res->modtime is the STORE's own modtime (every STORE in a batch gets
 * a distinct one, in order).
 *
 * store_batch_commit() commits (synchronous=FULL: durable on return) and
 * then runs the change callback once per applied STORE, in order.  On
 * an error nothing of the batch is applied: every STORE that
 * store_batch_apply() accepted has failed with that error.  A batch in
 * which no STORE was applied commits nothing and syncs nothing.  The
 * batch is closed either way.
 */
enum store_err store_batch_begin(struct store *st);
enum store_err store_batch_apply(struct store *st,
    const struct store_entry_op *ops, size_t nops, struct store_result *res);
enum store_err store_batch_commit(struct store *st);

/* ---- The audit trail (doc/audit.md) ------------------------------- */

/*
 * Who makes a change.  A STORE applied with an audit context records, in
 * its own savepoint (so in the same transaction as the change: a STORE
 * that fails, is refused or is undone records nothing, and a recorded one
 * cannot be lost), one audit record per attribute whose value or ACL
 * changed: the STORE's modtime, these identities, the dataset, entry and
 * attribute, and the old and new value (or ACL).  Removing an entry
 * records "entry" (old: its name, new: NIL or none) and every attribute
 * it held; a rename records "entry" (old and new names).  Values of
 * attributes matching audit_secret are not recorded (redacted).  Setting
 * a value to what it already is records nothing.  Datasets created
 * implicitly, their copied management attributes and the datasets a
 * removed subdataset held are not itemised.  Without a context (NULL:
 * the server's own writes, seeding and upgrades), nothing is recorded.
 */
struct store_audit {
	const char *op;		/* "STORE", "SETACL", "DELETEACL" */
	const char *user;	/* the authenticated identity */
	const char *authz;	/* the authorization identity, NULL when the
				   same */
	const char *peer;	/* the client's address */
	const char *session;	/* the session (connection id as logged) */
};

/*
 * The audit trail read as a dataset: store_snap_get() of this path
 * returns one entry per record, named by its id (decimal, zero-padded
 * to STORE_AUDIT_ID_LEN digits, so octet order is age order), modtime =
 * the record's time, with the attributes STORE_AUDIT_ATTR "time", "user",
 * "authz", "peer", "session", "op", "dataset", "entry", "attr", "what"
 * ("value" or "acl"), "old", "new" (a single value, a multi-value, or
 * absent for none/NIL and when redacted) and "redacted" ("old", "new"
 * or "both": which values were not recorded), plus a ""
 * entry whose dataset.acl is empty: only a reader with every right (a
 * configured admin) sees it.  Below it, STORE_AUDIT_PATH followed by a
 * dataset's canonical path without its leading "/" (e.g.
 * "/vendor.acapd.audit/site/email/user/bob/") is the same for the
 * records of that dataset only (a scan of the trail in the database,
 * without building the other records): it exists for
 * any such path (empty when nothing was recorded).  The class is
 * read-only: STOREs into it fail with STORE_EPERM.  Changes to it are
 * not reported by the change callback.
 */
#define STORE_AUDIT_PATH	"/vendor.acapd.audit/site/"
#define STORE_AUDIT_CLASS	"vendor.acapd.audit"
#define STORE_AUDIT_ATTR	"vendor.acapd.audit."
#define STORE_AUDIT_ID_LEN	12

/*
 * Whether store_snap_get() of the audit paths builds their records (true)
 * or only their "" entry (false, the default: for anyone but an admin the
 * dataset is unreadable anyway, and building it would make a SEARCH or
 * STORE of a non-admin cost as much as the trail is long).  The command
 * layer sets it for the duration of an admin's command.
 */
void store_set_audit_reader(struct store *st, bool full);

/* From now on (SIGHUP): whether to record, retention, secret patterns. */
void store_set_audit(struct store *st, bool on, uint32_t retention,
    const char *secret);
/* Whether attribute name matches the audit_secret patterns in force. */
bool store_audit_secret(const struct store *st, const char *name);

/*
 * store_batch_apply() with a check of the result and an audit context
 * (NULL: nothing recorded).  Once the STORE is applied (before its
 * savepoint is released), verify(arg) runs (when not NULL); it may
 * read the store (snapshots, views: they show this STORE) and returns
 * STORE_OK to keep the STORE, or an error (e.g. STORE_EPERM) to undo it,
 * its audit records with it, which is then returned.  Used for
 * guarantees that are properties of the result, whatever the path to it
 * (rights.h, the lock guard).
 */
typedef enum store_err store_verify_cb(void *arg);
enum store_err store_batch_apply_verify(struct store *st,
    const struct store_entry_op *ops, size_t nops,
    const struct store_audit *audit, store_verify_cb *verify, void *arg,
    struct store_result *res);
/* store_apply() with an audit context (SETACL, DELETEACL). */
enum store_err store_apply_audit(struct store *st,
    const struct store_entry_op *ops, size_t nops,
    const struct store_audit *audit, struct store_result *res);

/*
 * The same commit on a thread of its own, so that the caller's event
 * loop goes on (reading, parsing, queueing the next STOREs) during the
 * fsync.  store_commit_thread_start() creates the thread once and
 * returns a descriptor that becomes readable when a COMMIT finished (-1:
 * no thread; store_batch_commit_start() then commits in place).
 *
 * store_batch_commit_start() returns true when the COMMIT was handed to
 * the thread: call store_batch_commit_finish() when the descriptor is
 * readable; it completes the batch as store_batch_commit() does (change
 * callback, or everything undone) and returns its result.  It returns
 * false when the batch was completed at once (nothing to commit, the
 * batch lost, no thread), with the result in *r_r.
 *
 * While the COMMIT runs, every other store call that uses the database
 * (snapshots, views, read sections, quotas, DELETEDSINCE, a new batch)
 * first waits for it and completes the batch, so no read sees a STORE
 * before it is durable and the database connection is never used by two
 * threads at once.  store_free() waits for it and ends the thread.
 */
int store_commit_thread_start(struct store *st);
bool store_batch_commit_start(struct store *st, enum store_err *r_r);
enum store_err store_batch_commit_finish(struct store *st);

/* ---- Change feed ----------------------------------------------------- */

enum store_change_kind {
	STORE_CHANGE_ENTRY,		/* entry created or modified */
	STORE_CHANGE_ENTRY_REMOVED,	/* entry deleted, renamed away, or
					   reverted to the inherited one */
	STORE_CHANGE_DATASET_CREATED,	/* entry is NULL */
	STORE_CHANGE_DATASET_REMOVED,	/* entry is NULL */
};

struct store_change {
	enum store_change_kind kind;
	const char *dataset;		/* canonical */
	const char *entry;		/* entry name, or NULL */
	const char *modtime;		/* the commit's modtime */
};

/*
 * Called once per committed STORE, after the commit of its batch, with
 * every change it made (in the order made; all with the STORE's modtime).  The array and strings live only
 * during the call.  Datasets inheriting from a changed one are not
 * listed: whoever needs them resolves dataset.inherit (inherit.h).
 * Must not call store_apply() (no re-entry).
 */
typedef void store_change_cb(void *arg, const struct store_change *changes,
    size_t nchanges);
/* Install (or with NULL remove) the change callback. */
void store_set_change_cb(struct store *st, store_change_cb *cb, void *arg);
/*
 * The change feed of a shared store (the PostgreSQL backend,
 * doc/scale-out.md) was lost (lost = true: changes other nodes commit
 * are not seen until it is back; reads answer TRYLATER meanwhile) or is
 * back and caught up (lost = false: the changes missed have gone
 * through the change callback).  Called on the event loop, once per
 * transition; never on SQLite alone.  Lets the layer above tell clients
 * whose contexts may be behind (issue "many nodes": no stale context
 * served silently).
 */
typedef void store_feed_cb(void *arg, bool lost);
void store_set_feed_cb(struct store *st, store_feed_cb *cb, void *arg);

/*
 * The PostgreSQL backend: the commits of other nodes.  store_peer_fd()
 * is the descriptor to watch for reading (-1 on SQLite, or while the
 * connection is down or being made: it changes after a reconnection, so
 * ask again after every poll); store_peer_poll() reads what arrived
 * without waiting, reconnects a lost connection step by step, fetches
 * the log rows after the replica's and applies them, which runs the
 * change callback as for local STOREs.  Call it when the descriptor is
 * readable and from a timer (a few times a second), outside batches and
 * read sections.  While the feed is lost and until it caught up, reads
 * and writes fail with STORE_ETRYLATER (no stale answers).  Returns a
 * line for the log (lost, back, a row that failed) or NULL.
 */
int store_peer_fd(const struct store *st);
/*
 * PostgreSQL: whether the last batch failed (STORE_ETRYLATER) only
 * because another node committed first.  Nothing of it was applied
 * anywhere: the caller may apply the same STOREs again, best once the
 * replica caught up (a few milliseconds later).  False on SQLite.
 */
bool store_batch_lost_race(const struct store *st);
/* Whether a database setting names PostgreSQL (no file of ours). */
bool store_database_remote(const char *path);
const char *store_peer_poll(struct store *st);

/*
 * Copy the SQLite database at path (every dataset, entry, modtime, ACL,
 * DELETEDSINCE record and quota) into the empty PostgreSQL database url,
 * as the base image every node's replica starts from; the schema is
 * created or migrated first.  Refused when url already holds datasets.
 * Run it on a stopped instance.  0, or -1 with the reason in errbuf.
 */
int store_copy_to(const char *path, const char *url, char *errbuf,
    size_t errlen);

/* ---- DELETEDSINCE (RFC 2244 §6.6.2) -------------------------------- */

/*
 * Names deleted from the stored dataset path after time (14+ digits):
 * cb is called once per name, in modtime order; the strings live during
 * the call.  STORE_ETOOOLD when the log does not reach back to time
 * (pruned, or the dataset was created later), STORE_ENOEXIST when the
 * dataset is not stored.  No callback runs when an error is returned.
 */
enum store_err store_deleted_since(struct store *st, const char *path,
    const char *time, void (*cb)(void *arg, const char *name), void *arg);

/* ---- Quotas (RFC 2244 §5.5, §6.8) ---------------------------------- */

/*
 * The quota covering a dataset path: every dataset owned by "user/<u>"
 * (including the template /byowner/user/<u>/) counts toward <u>'s quota.
 * Returns STORE_OK with the limit and usage in bytes, STORE_ENOQUOTA when
 * no limit applies (not a user's dataset, or limit 0).  *user_r (may be
 * NULL) is set to the owning user name, store-owned and valid until the
 * next store call.
 */
enum store_err store_quota_get(struct store *st, const char *path,
    uint64_t *limit_r, uint64_t *usage_r, const char **user_r);
/* The default per-user limit from now on (SIGHUP); 0 = no quota. */
void store_set_default_quota(struct store *st, uint64_t bytes);
/* Per-user override of the default limit; bytes 0 = no quota. */
enum store_err store_quota_set_limit(struct store *st, const char *user,
    uint64_t bytes);

#endif
