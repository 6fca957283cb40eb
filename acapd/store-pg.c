/*
 * store-pg.c -- the PostgreSQL backend (database postgresql://...): the
 * datasets live in memory, in an SQLite replica that every other store
 * file reads and writes as usual, and PostgreSQL holds what is shared by
 * every node: a base image and the ordered log of committed batches
 * (schema/pg/).  A batch applied to the replica is committed by writing
 * its STOREs to the log in one statement that also advances the head row
 * (only if no other node committed since this replica's state: one order
 * across nodes, modtimes strictly increasing, UNCHANGEDSINCE and quotas
 * checked against the state every node agrees on) and sends NOTIFY.
 * Other nodes LISTEN, fetch the new log rows by sequence number and
 * replay them into their replica, which runs the change callback for
 * their contexts.  doc/scale-out.md, "Store backend", says why.
 * Owns: st->pg (both PostgreSQL connections, the applied sequence
 * number, the encoded batch, the stale flag).
 *
 * One file of about 1,200 lines: the log record's encoding, the commit,
 * the replay, the feed's state machine and the base image all share the
 * private struct store_pg and its two connections; split by role they
 * would each need it, as the SQLite store's files share store-int.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store-int.h"

/* Generated from schema/pg/NNN-*.sql (schema/local.mk). */
extern const char *const store_schema_pg_sql[];
extern const size_t store_schema_pg_count;

#define PG_CHANNEL	"acap_changes"
#define FETCH_ROWS	256

enum lstate {
	L_DOWN,		/* no listen connection: reconnect at the next poll */
	L_CONNECTING,	/* PQconnectStart() under way */
	L_LISTEN,	/* LISTEN sent, its result awaited */
	L_IDLE,		/* listening, nothing in flight */
	L_FETCH,	/* a fetch of log rows in flight */
};

struct store_pg {
	char *url;
	char node[96];
	PGconn *cconn;		/* the commit connection (commit thread) */
	PGconn *lconn;		/* LISTEN and fetches (event loop) */
	enum lstate lstate;
	bool want_fetch;	/* a NOTIFY (or a reconnect) since the fetch */
	bool stale;		/* the replica may miss other nodes' commits */
	bool replaying;		/* applying log rows: no refusal, no commit */
	bool lost_race;		/* the last commit: another node's was first */
	int64_t seq;		/* the last log row in the replica */
	int64_t commit_seq;	/* the commit thread's result: the new row */
	struct acap_buf batch;	/* the batch's STOREs, encoded */
	size_t nstores;
	char first[STORE_MODTIME_LEN + 1];	/* of the batch's STOREs */
	char err[256];		/* the commit thread's failure */
	char note[320];		/* for the log: store_peer_poll() */
	unsigned char *image;	/* the base image until deserialized */
	size_t image_len;
	bool started;		/* st_pg_start() done */
	bool mthread;		/* a base-image upload thread exists */
	pthread_t mthr;
	int mdone;		/* it finished (atomic) */
	char mnote[256];	/* its failure, for the log (after mdone) */
};

bool
st_pg_url(const char *path)
{
	return strncmp(path, "postgresql://", 13) == 0 ||
	    strncmp(path, "postgres://", 11) == 0;
}

bool
store_database_remote(const char *path)
{
	return st_pg_url(path);
}

/* A line for the log, which store_peer_poll() hands to its caller. */
static void __attribute__((format(printf, 2, 3)))
note(struct store_pg *pg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pg->note, sizeof(pg->note), fmt, ap);
	va_end(ap);
}

/* ---- Encoding of a STORE (node-independent, little-endian) ------------- */

static void
put_u32(struct acap_buf *b, uint32_t v)
{
	unsigned char c[4];

	c[0] = v & 0xff;
	c[1] = (v >> 8) & 0xff;
	c[2] = (v >> 16) & 0xff;
	c[3] = (v >> 24) & 0xff;
	acap_buf_add(b, c, 4);
}

#define NULL_LEN 0xffffffffu

static void
put_str(struct acap_buf *b, const char *s, size_t len)
{
	if (s == NULL) {
		put_u32(b, NULL_LEN);
		return;
	}
	put_u32(b, (uint32_t)len);
	acap_buf_add(b, s, len);
}

static void
put_strs(struct acap_buf *b, const struct store_str *v, size_t n)
{
	size_t i;

	put_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		put_str(b, v[i].s, v[i].len);
}

static void
put_cstr(struct acap_buf *b, const char *s)
{
	put_str(b, s, s == NULL ? 0 : strlen(s));
}

/*
 * One STORE: its modtime, its audit context (doc/audit.md: every node
 * replays the STORE with it, so each replica records the same audit
 * rows from the same old values), then every entry operation.
 */
static void
encode_store(struct acap_buf *b, const char *modtime,
    const struct store_audit *audit, const struct store_entry_op *ops,
    size_t nops)
{
	const struct store_attr_op *a;
	size_t i, j;

	acap_buf_add(b, modtime, STORE_MODTIME_LEN);
	put_u32(b, audit != NULL);
	if (audit != NULL) {
		put_cstr(b, audit->op);
		put_cstr(b, audit->user);
		put_cstr(b, audit->authz);
		put_cstr(b, audit->peer);
		put_cstr(b, audit->session);
	}
	put_u32(b, (uint32_t)nops);
	for (i = 0; i < nops; i++) {
		put_str(b, ops[i].dataset, strlen(ops[i].dataset));
		put_str(b, ops[i].entry, strlen(ops[i].entry));
		put_u32(b, ops[i].nocreate);
		put_str(b, ops[i].unchangedsince, ops[i].unchangedsince ==
		    NULL ? 0 : strlen(ops[i].unchangedsince));
		put_u32(b, (uint32_t)ops[i].nattrs);
		for (j = 0; j < ops[i].nattrs; j++) {
			a = &ops[i].attrs[j];
			put_str(b, a->name, strlen(a->name));
			put_u32(b, a->value_op);
			put_u32(b, a->multi);
			put_strs(b, a->values, a->value_op == STORE_OP_SET ?
			    (a->multi ? a->nvalues : 1) : 0);
			put_u32(b, a->acl_op);
			put_strs(b, a->acl, a->acl_op == STORE_OP_SET ?
			    a->nacl : 0);
		}
	}
}

/* A decoder over one log row; strings point into the row, NUL added. */
struct dec {
	const unsigned char *p, *end;
	bool bad;
	char **owned;		/* NUL-terminated copies to free */
	size_t nowned, cowned;
};

static uint32_t
get_u32(struct dec *d)
{
	uint32_t v;

	if (d->end - d->p < 4) {
		d->bad = true;
		return 0;
	}
	v = (uint32_t)d->p[0] | (uint32_t)d->p[1] << 8 |
	    (uint32_t)d->p[2] << 16 | (uint32_t)d->p[3] << 24;
	d->p += 4;
	return v;
}

static const char *
get_str(struct dec *d, size_t *len_r)
{
	uint32_t n = get_u32(d);
	char *s;

	if (len_r != NULL)
		*len_r = 0;
	if (d->bad || n == NULL_LEN)
		return NULL;
	if ((size_t)(d->end - d->p) < n) {
		d->bad = true;
		return NULL;
	}
	s = st_xrealloc(NULL, (size_t)n + 1, 1);
	memcpy(s, d->p, n);
	s[n] = '\0';
	d->p += n;
	st_grow((void **)&d->owned, &d->cowned, d->nowned + 1,
	    sizeof(*d->owned));
	d->owned[d->nowned++] = s;
	if (len_r != NULL)
		*len_r = n;
	return s;
}

static struct store_str *
get_strs(struct dec *d, size_t *n_r)
{
	uint32_t n = get_u32(d), i;
	struct store_str *v;

	*n_r = 0;
	if (d->bad || n > (size_t)(d->end - d->p) / 4) {
		d->bad = true;
		return NULL;
	}
	v = st_xrealloc(NULL, n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i].s = get_str(d, &v[i].len);
	*n_r = n;
	return v;
}

static void
free_ops(struct store_entry_op *ops, size_t nops)
{
	size_t i, j;

	for (i = 0; i < nops; i++) {
		struct store_attr_op *a = (struct store_attr_op *)ops[i].attrs;

		for (j = 0; a != NULL && j < ops[i].nattrs; j++) {
			free((void *)a[j].values);
			free((void *)a[j].acl);
		}
		free(a);
	}
	free(ops);
}

/* The next STORE of a row, or false at its end or on garbage. */
static bool
decode_store(struct dec *d, char modtime[STORE_MODTIME_LEN + 1],
    struct store_audit *audit, bool *has_audit_r,
    struct store_entry_op **ops_r, size_t *nops_r)
{
	struct store_entry_op *ops;
	struct store_attr_op *a;
	uint32_t nops, i, j;

	*ops_r = NULL;
	*nops_r = 0;
	if (d->p == d->end || d->end - d->p < STORE_MODTIME_LEN + 4)
		return false;
	memcpy(modtime, d->p, STORE_MODTIME_LEN);
	modtime[STORE_MODTIME_LEN] = '\0';
	d->p += STORE_MODTIME_LEN;
	memset(audit, 0, sizeof(*audit));
	if ((*has_audit_r = get_u32(d) != 0)) {
		audit->op = get_str(d, NULL);
		audit->user = get_str(d, NULL);
		audit->authz = get_str(d, NULL);
		audit->peer = get_str(d, NULL);
		audit->session = get_str(d, NULL);
	}
	nops = get_u32(d);
	if (nops > (size_t)(d->end - d->p) / 16) {
		d->bad = true;
		return false;
	}
	ops = st_xrealloc(NULL, nops, sizeof(*ops));
	memset(ops, 0, nops * sizeof(*ops));
	for (i = 0; i < nops && !d->bad; i++) {
		ops[i].dataset = get_str(d, NULL);
		ops[i].entry = get_str(d, NULL);
		ops[i].nocreate = get_u32(d) != 0;
		ops[i].unchangedsince = get_str(d, NULL);
		ops[i].nattrs = get_u32(d);
		if (ops[i].nattrs > (size_t)(d->end - d->p) / 8) {
			d->bad = true;
			ops[i].nattrs = 0;
			break;
		}
		a = st_xrealloc(NULL, ops[i].nattrs, sizeof(*a));
		memset(a, 0, ops[i].nattrs * sizeof(*a));
		ops[i].attrs = a;
		for (j = 0; j < ops[i].nattrs && !d->bad; j++) {
			a[j].name = get_str(d, NULL);
			a[j].value_op = (enum store_op)get_u32(d);
			a[j].multi = get_u32(d) != 0;
			a[j].values = get_strs(d, &a[j].nvalues);
			a[j].acl_op = (enum store_op)get_u32(d);
			a[j].acl = get_strs(d, &a[j].nacl);
		}
		if (ops[i].dataset == NULL || ops[i].entry == NULL)
			d->bad = true;
	}
	*ops_r = ops;
	*nops_r = nops;
	return !d->bad;
}

static void
dec_free(struct dec *d)
{
	while (d->nowned > 0)
		free(d->owned[--d->nowned]);
	free(d->owned);
	d->owned = NULL;
	d->cowned = 0;
}

/* ---- Recording and committing a batch ---------------------------------- */

void
st_pg_record(struct store *st, const struct store_audit *audit,
    const struct store_entry_op *ops, size_t nops)
{
	struct store_pg *pg = st->pg;

	if (pg == NULL || pg->replaying)
		return;
	if (pg->nstores == 0)
		memcpy(pg->first, st->txn_modtime, sizeof(pg->first));
	encode_store(&pg->batch, st->txn_modtime, audit, ops, nops);
	pg->nstores++;
}

void
st_pg_batch_reset(struct store *st)
{
	if (st->pg == NULL)
		return;
	acap_buf_reset(&st->pg->batch);
	st->pg->nstores = 0;
}

/*
 * Write the batch to the log: one statement, so one transaction, that
 * advances the head row only when it is still at the replica's sequence
 * number and below the batch's first modtime (another node committed
 * meanwhile: nothing is written), inserts the log row and sends NOTIFY
 * (delivered at the commit).  Runs on the commit thread, or inline; uses
 * only pg->cconn, the batch and commit_seq/err.  0, or -1 with pg->err.
 */
int
st_pg_commit(struct store *st)
{
	static const char sql[] =
	    "WITH h AS (UPDATE acap_head SET seq = seq + 1, modtime = $3 "
	    "WHERE id = 1 AND seq = $1 AND modtime < $2 RETURNING seq), "
	    "l AS (INSERT INTO acap_log (seq, modtime, node, data) "
	    "SELECT seq, $3, $4, $5 FROM h RETURNING seq) "
	    "SELECT seq, pg_notify('" PG_CHANNEL "', seq::text) FROM l";
	struct store_pg *pg = st->pg;
	char seqbuf[24];
	const char *vals[5];
	int lens[5] = { 0, 0, 0, 0, 0 }, fmts[5] = { 0, 0, 0, 0, 1 };
	PGresult *res;
	int rc = -1;

	if (pg->replaying || pg->nstores == 0)
		return 0;
	pg->lost_race = false;
	if (PQstatus(pg->cconn) != CONNECTION_OK) {
		PQreset(pg->cconn);
		if (PQstatus(pg->cconn) != CONNECTION_OK) {
			snprintf(pg->err, sizeof(pg->err), "PostgreSQL "
			    "unreachable: %s", PQerrorMessage(pg->cconn));
			return -1;
		}
	}
	snprintf(seqbuf, sizeof(seqbuf), "%lld", (long long)pg->seq);
	vals[0] = seqbuf;
	vals[1] = pg->first;
	vals[2] = st->last_modtime;
	vals[3] = pg->node;
	vals[4] = pg->batch.data != NULL ? pg->batch.data : "";
	lens[4] = (int)pg->batch.len;
	res = PQexecParams(pg->cconn, sql, 5, NULL, vals, lens, fmts, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		snprintf(pg->err, sizeof(pg->err), "PostgreSQL: %s",
		    PQerrorMessage(pg->cconn));
	else if (PQntuples(res) != 1) {
		snprintf(pg->err, sizeof(pg->err), "another node committed "
		    "first; catching up");
		pg->lost_race = true;
	}
	else {
		pg->commit_seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		rc = 0;
	}
	PQclear(res);
	return rc;
}

/* On the event loop, after the commit thread: the batch is (not) in. */
void
st_pg_committed(struct store *st, bool ok)
{
	struct store_pg *pg = st->pg;

	if (pg == NULL || pg->replaying)
		return;
	if (ok && pg->nstores > 0)
		pg->seq = pg->commit_seq;
	else if (!ok) {
		snprintf(st->errbuf, sizeof(st->errbuf), "%s", pg->err);
		pg->want_fetch = true;
	}
	st_pg_batch_reset(st);
}

bool
store_batch_lost_race(const struct store *st)
{
	return st->pg != NULL && st->pg->lost_race;
}

bool
st_pg_replaying(const struct store *st)
{
	return st->pg != NULL && st->pg->replaying;
}

bool
st_pg_refuse(struct store *st)
{
	if (st->pg == NULL || st->pg->replaying || !st->pg->stale)
		return false;
	snprintf(st->errbuf, sizeof(st->errbuf), "the change feed from "
	    "PostgreSQL was lost; catching up");
	return true;
}

/* ---- Replaying log rows -------------------------------------------------- */

/*
 * Apply one log row (a committed batch of another node, or of this one
 * before a restart) to the replica: the same STOREs with the same
 * modtimes on the same state give the same result.  The change callback
 * runs as for a local batch.  -1 when the row cannot be applied.
 */
static int
replay_row(struct store *st, int64_t seq, const unsigned char *data,
    size_t len)
{
	struct store_pg *pg = st->pg;
	struct dec d = { data, data + len, false, NULL, 0, 0 };
	struct store_entry_op *ops;
	struct store_result res;
	struct store_audit audit;
	bool has_audit;
	size_t nops;
	enum store_err r;
	int rc = 0;

	pg->replaying = true;
	if (store_batch_begin(st) != STORE_OK) {
		pg->replaying = false;
		return -1;
	}
	while (decode_store(&d, st->forced_modtime, &audit, &has_audit, &ops,
	    &nops)) {
		r = store_batch_apply_verify(st, ops, nops, has_audit ?
		    &audit : NULL, NULL, NULL, &res);
		if (r != STORE_OK) {
			/* the replica differs from the origin's: say so */
			note(st->pg, "PostgreSQL log row %lld: a STORE on %s "
			    "failed on replay: %s", (long long)seq,
			    nops > 0 ? ops[0].dataset : "?",
			    store_err_text(r));
			rc = -1;
		}
		free_ops(ops, nops);
		dec_free(&d);
	}
	if (d.bad) {
		free_ops(ops, nops);
		rc = -1;
	}
	dec_free(&d);
	st->forced_modtime[0] = '\0';
	if (store_batch_commit(st) != STORE_OK)
		rc = -1;
	pg->seq = seq;
	pg->replaying = false;
	return rc;
}

static void feed_state(struct store *st, bool stale);

/* Apply a result of (seq, data) rows; the number applied. */
static int
replay_result(struct store *st, PGresult *res)
{
	int i, n = PQntuples(res);
	int64_t seq;

	for (i = 0; i < n; i++) {
		seq = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		if (PQfformat(res, 0) == 1) {
			/* int8 in binary: big-endian */
			const unsigned char *p = (const unsigned char *)
			    PQgetvalue(res, i, 0);
			uint64_t v = 0;
			int k;

			for (k = 0; k < 8; k++)
				v = v << 8 | p[k];
			seq = (int64_t)v;
		}
		if (seq <= st->pg->seq)
			continue;	/* this node's own, or seen */
		if (seq != st->pg->seq + 1) {
			/* pruned past this replica: it cannot catch up */
			note(st->pg, "PostgreSQL log row %lld missing after "
			    "%lld (pruned): restart this node",
			    (long long)st->pg->seq + 1, (long long)st->pg->seq);
			feed_state(st, true);
			return i;
		}
		replay_row(st, seq, (const unsigned char *)PQgetvalue(res, i,
		    1), (size_t)PQgetlength(res, i, 1));
	}
	return n;
}

static const char fetch_sql[] = "SELECT seq, data FROM acap_log "
    "WHERE seq > $1 ORDER BY seq LIMIT " "256";

/* ---- Opening ---------------------------------------------------------------- */

static PGresult *
exec_ok(struct store *st, PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(st->errbuf, sizeof(st->errbuf), "PostgreSQL: %s",
		    PQerrorMessage(c));
		PQclear(res);
		return NULL;
	}
	return res;
}

static int
exec_cmd(struct store *st, PGconn *c, const char *sql)
{
	PGresult *res = exec_ok(st, c, sql);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

/* Apply schema/pg/NNN-*.sql after acap_schema.version, under a lock. */
static int
pg_migrate(struct store *st, PGconn *c)
{
	PGresult *res;
	char sql[96];
	size_t v, i;

	if (exec_cmd(st, c, "BEGIN") == -1)
		return -1;
	if (exec_cmd(st, c, "SELECT pg_advisory_xact_lock(2244)") == -1 ||
	    exec_cmd(st, c, "CREATE TABLE IF NOT EXISTS acap_schema "
	    "(version integer NOT NULL)") == -1 ||
	    (res = exec_ok(st, c, "SELECT version FROM acap_schema")) == NULL)
		goto fail;
	v = PQntuples(res) > 0 ? strtoul(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	if (v > store_schema_pg_count) {
		snprintf(st->errbuf, sizeof(st->errbuf), "PostgreSQL schema "
		    "version %zu is newer than this acapd (%zu)", v,
		    store_schema_pg_count);
		goto fail;
	}
	for (i = v; i < store_schema_pg_count; i++) {
		snprintf(sql, sizeof(sql), "UPDATE acap_schema SET version = "
		    "%zu", i + 1);
		if (exec_cmd(st, c, store_schema_pg_sql[i]) == -1 ||
		    exec_cmd(st, c, sql) == -1)
			goto fail;
	}
	return exec_cmd(st, c, "COMMIT");
fail:
	PQclear(PQexec(c, "ROLLBACK"));
	return -1;
}

/* PostgreSQL's NOTICEs (CREATE ... IF NOT EXISTS) are not for the log. */
static void
no_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static PGconn *
pg_connect(struct store *st, const char *url)
{
	PGconn *c = PQconnectdb(url);

	PQsetNoticeProcessor(c, no_notice, NULL);
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(st->errbuf, sizeof(st->errbuf), "PostgreSQL %s: %s",
		    url, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

/*
 * Before the replica opens: connect, migrate the shared schema and read
 * the base image (if any).  The replica is in memory (st->path).
 */
int
st_pg_open(struct store *st, const char *url)
{
	struct store_pg *pg;
	PGresult *res;
	char host[64];

	pg = st_xrealloc(NULL, 1, sizeof(*pg));
	memset(pg, 0, sizeof(*pg));
	st->pg = pg;
	pg->url = st_xstrdup(url);
	acap_buf_init(&pg->batch);
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	snprintf(pg->node, sizeof(pg->node), "%s:%ld", host, (long)getpid());
	if ((pg->cconn = pg_connect(st, url)) == NULL ||
	    pg_migrate(st, pg->cconn) == -1)
		return -1;
	res = PQexecParams(pg->cconn, "SELECT seq, image FROM acap_base",
	    0, NULL, NULL, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(st->errbuf, sizeof(st->errbuf), "PostgreSQL: %s",
		    PQerrorMessage(pg->cconn));
		PQclear(res);
		return -1;
	}
	if (PQntuples(res) == 1) {
		const unsigned char *p = (const unsigned char *)
		    PQgetvalue(res, 0, 0);
		uint64_t v = 0;
		int k;

		for (k = 0; k < 8; k++)
			v = v << 8 | p[k];
		pg->seq = (int64_t)v;
		pg->image_len = (size_t)PQgetlength(res, 0, 1);
		pg->image = sqlite3_malloc64(pg->image_len);
		if (pg->image == NULL)
			abort();
		memcpy(pg->image, PQgetvalue(res, 0, 1), pg->image_len);
	}
	PQclear(res);
	return 0;
}

/* Right after the replica's handle opened: load the base image into it. */
int
st_pg_load_base(struct store *st)
{
	struct store_pg *pg = st->pg;
	int rc;

	if (pg == NULL || pg->image == NULL)
		return 0;
	rc = sqlite3_deserialize(st->db, "main", pg->image, pg->image_len,
	    pg->image_len, SQLITE_DESERIALIZE_FREEONCLOSE |
	    SQLITE_DESERIALIZE_RESIZEABLE);
	pg->image = NULL;	/* SQLite's now, even on failure */
	if (rc != SQLITE_OK) {
		st_db_fail(st, rc);
		return -1;
	}
	return 0;
}

/*
 * Once the replica is open: LISTEN first (so no commit after the reads
 * below goes unnoticed), then replay the whole log after the base, and
 * take the head's modtime so this node's next one is above every other.
 */
int
st_pg_start(struct store *st)
{
	struct store_pg *pg = st->pg;
	PGresult *res;
	char seqbuf[24];
	const char *vals[1] = { seqbuf };
	int n;

	if ((pg->lconn = pg_connect(st, pg->url)) == NULL ||
	    exec_cmd(st, pg->lconn, "LISTEN " PG_CHANNEL) == -1)
		return -1;
	do {
		snprintf(seqbuf, sizeof(seqbuf), "%lld", (long long)pg->seq);
		res = PQexecParams(pg->cconn, fetch_sql, 1, NULL, vals, NULL,
		    NULL, 1);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			snprintf(st->errbuf, sizeof(st->errbuf), "PostgreSQL: "
			    "%s", PQerrorMessage(pg->cconn));
			PQclear(res);
			return -1;
		}
		n = PQntuples(res);
		replay_result(st, res);
		PQclear(res);
		if (pg->stale) {
			snprintf(st->errbuf, sizeof(st->errbuf), "the "
			    "PostgreSQL log does not reach back to the base "
			    "image (row %lld)", (long long)pg->seq + 1);
			return -1;
		}
	} while (n == FETCH_ROWS);
	if ((res = exec_ok(st, pg->cconn, "SELECT modtime FROM acap_head")) ==
	    NULL)
		return -1;
	if (PQntuples(res) == 1 && strlen(PQgetvalue(res, 0, 0)) ==
	    STORE_MODTIME_LEN && strcmp(PQgetvalue(res, 0, 0),
	    st->last_modtime) > 0)
		memcpy(st->last_modtime, PQgetvalue(res, 0, 0),
		    STORE_MODTIME_LEN + 1);
	PQclear(res);
	if (PQsetnonblocking(pg->lconn, 1) == -1) {
		snprintf(st->errbuf, sizeof(st->errbuf), "PostgreSQL: %s",
		    PQerrorMessage(pg->lconn));
		return -1;
	}
	pg->lstate = L_IDLE;
	pg->started = true;
	return 0;
}

void
st_pg_free(struct store *st)
{
	struct store_pg *pg = st->pg;

	if (pg == NULL)
		return;
	st->pg = NULL;
	if (pg->mthread)
		pthread_join(pg->mthr, NULL);
	if (pg->cconn != NULL)
		PQfinish(pg->cconn);
	if (pg->lconn != NULL)
		PQfinish(pg->lconn);
	sqlite3_free(pg->image);
	acap_buf_deinit(&pg->batch);
	free(pg->url);
	free(pg);
}

/* ---- Pruning the log: a new base image ------------------------------------ */

/*
 * A copy of the replica at log row seq, uploaded by a thread of its own
 * (with its own connection, so that neither the event loop nor the
 * commit thread waits for it) as the new base image, unless another node
 * already wrote a newer one; then the log rows the base image contains
 * and older than the retention are deleted.  The rows kept let a node
 * whose change feed was cut for less than the retention catch up; a
 * node further behind refuses reads until restarted (it loads the image).
 */
struct maint_job {
	struct store_pg *pg;
	char *url;
	unsigned char *img;
	sqlite3_int64 len;
	int64_t seq;
	char modtime[STORE_MODTIME_LEN + 1];
	uint32_t retention;	/* seconds; 0 = keep the log */
};

static void *
maint_thread(void *arg)
{
	static const char up[] =
	    "INSERT INTO acap_base AS b (id, seq, modtime, image) "
	    "VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET "
	    "seq = EXCLUDED.seq, modtime = EXCLUDED.modtime, "
	    "image = EXCLUDED.image WHERE b.seq < EXCLUDED.seq";
	static const char prune[] =
	    "DELETE FROM acap_log WHERE seq <= (SELECT seq FROM acap_base) "
	    "AND committed < now() - make_interval(secs => $1::integer)";
	struct maint_job *j = arg;
	char seqbuf[24], retbuf[16];
	const char *vals[3] = { seqbuf, j->modtime, (const char *)j->img };
	int lens[3] = { 0, 0, (int)j->len }, fmts[3] = { 0, 0, 1 };
	PGconn *c = PQconnectdb(j->url);
	PGresult *res = NULL;

	PQsetNoticeProcessor(c, no_notice, NULL);
	snprintf(seqbuf, sizeof(seqbuf), "%lld", (long long)j->seq);
	snprintf(retbuf, sizeof(retbuf), "%u", j->retention);
	if (PQstatus(c) == CONNECTION_OK) {
		res = PQexecParams(c, up, 3, NULL, vals, lens, fmts, 0);
		if (PQresultStatus(res) == PGRES_COMMAND_OK &&
		    j->retention > 0) {
			PQclear(res);
			vals[0] = retbuf;
			res = PQexecParams(c, prune, 1, NULL, vals, NULL,
			    NULL, 0);
		}
	}
	if (PQstatus(c) != CONNECTION_OK ||
	    PQresultStatus(res) != PGRES_COMMAND_OK)
		snprintf(j->pg->mnote, sizeof(j->pg->mnote), "PostgreSQL "
		    "base image at log row %lld not written: %s",
		    (long long)j->seq, PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
	sqlite3_free(j->img);
	free(j->url);
	__atomic_store_n(&j->pg->mdone, 1, __ATOMIC_RELEASE);
	free(j);
	return NULL;
}

void
st_pg_maintain(struct store *st)
{
	struct store_pg *pg = st->pg;
	struct maint_job *j;
	sigset_t all, old;
	int rc;

	if (pg == NULL || !pg->started || pg->stale || st->in_txn ||
	    st->reading > 0)
		return;
	if (pg->mthread) {
		if (!__atomic_load_n(&pg->mdone, __ATOMIC_ACQUIRE))
			return;		/* the last one still uploads */
		pthread_join(pg->mthr, NULL);
		pg->mthread = false;
		if (pg->mnote[0] != '\0')
			note(pg, "%s", pg->mnote);
	}
	j = st_xrealloc(NULL, 1, sizeof(*j));
	memset(j, 0, sizeof(*j));
	j->pg = pg;
	j->seq = pg->seq;
	memcpy(j->modtime, st->last_modtime, sizeof(j->modtime));
	j->retention = st->cfg.deleted_retention;
	if ((j->img = sqlite3_serialize(st->db, "main", &j->len, 0)) ==
	    NULL || j->len > 0x7fffffff) {
		sqlite3_free(j->img);
		free(j);
		return;
	}
	j->url = st_xstrdup(pg->url);
	pg->mdone = 0;
	pg->mnote[0] = '\0';
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&pg->mthr, NULL, maint_thread, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		sqlite3_free(j->img);
		free(j->url);
		free(j);
		return;
	}
	pg->mthread = true;
}

/* ---- The change feed from other nodes (event loop) ----------------------- */

int
store_peer_fd(const struct store *st)
{
	if (st->pg == NULL || st->pg->lconn == NULL ||
	    st->pg->lstate == L_CONNECTING || st->pg->lstate == L_DOWN)
		return -1;
	return PQsocket(st->pg->lconn);
}

/* The feed's state changes: the flag reads and writes check, and the
   layer above told once per transition (store_set_feed_cb). */
static void
feed_state(struct store *st, bool stale)
{
	if (st->pg->stale == stale)
		return;
	st->pg->stale = stale;
	if (st->feed_cb != NULL)
		st->feed_cb(st->feed_arg, stale);
}

static void
lost(struct store *st)
{
	struct store_pg *pg = st->pg;

	if (!pg->stale)
		note(pg, "PostgreSQL change feed lost (reads and writes "
		    "refused until it caught up): %s", pg->lconn != NULL ?
		    PQerrorMessage(pg->lconn) : "no connection");
	if (pg->lconn != NULL)
		PQfinish(pg->lconn);
	pg->lconn = NULL;
	pg->lstate = L_DOWN;
	feed_state(st, true);
}

/* Send the fetch of the rows after the replica's (nothing waits). */
static void
send_fetch(struct store *st)
{
	struct store_pg *pg = st->pg;
	char seqbuf[24];
	const char *vals[1] = { seqbuf };

	snprintf(seqbuf, sizeof(seqbuf), "%lld", (long long)pg->seq);
	if (!PQsendQueryParams(pg->lconn, fetch_sql, 1, NULL, vals, NULL,
	    NULL, 1)) {
		lost(st);
		return;
	}
	pg->want_fetch = false;
	pg->lstate = L_FETCH;
}

/* Results of what was sent; false while they are not all in. */
static bool
take_results(struct store *st, bool *ok_r, int *rows_r)
{
	struct store_pg *pg = st->pg;
	PGresult *res;

	*ok_r = true;
	*rows_r = 0;
	while (!PQisBusy(pg->lconn)) {
		if ((res = PQgetResult(pg->lconn)) == NULL)
			return true;
		switch (PQresultStatus(res)) {
		case PGRES_TUPLES_OK:
			/* a batch still completing (the loop waits for it
			   first) or a change callback cannot take rows */
			st_commit_wait(st);
			*rows_r = PQntuples(res);
			if (replay_result(st, res) < *rows_r)
				*ok_r = false;
			break;
		case PGRES_COMMAND_OK:
			break;
		default:
			*ok_r = false;
		}
		PQclear(res);
	}
	return false;
}

static void
peer_poll(struct store *st)
{
	struct store_pg *pg = st->pg;
	PGnotify *n;
	bool ok;
	int rows;

	switch (pg->lstate) {
	case L_DOWN:
		pg->lconn = PQconnectStart(pg->url);
		if (pg->lconn == NULL || PQstatus(pg->lconn) == CONNECTION_BAD) {
			lost(st);
			return;
		}
		pg->lstate = L_CONNECTING;
		/* FALLTHROUGH */
	case L_CONNECTING:
		switch (PQconnectPoll(pg->lconn)) {
		case PGRES_POLLING_FAILED:
			lost(st);
			return;
		case PGRES_POLLING_OK:
			break;
		default:
			return;		/* the next poll goes on */
		}
		if (PQsetnonblocking(pg->lconn, 1) == -1 ||
		    !PQsendQuery(pg->lconn, "LISTEN " PG_CHANNEL)) {
			lost(st);
			return;
		}
		pg->lstate = L_LISTEN;
		return;
	default:
		break;
	}
	if (!PQconsumeInput(pg->lconn) || PQflush(pg->lconn) == -1) {
		lost(st);
		return;
	}
	while ((n = PQnotifies(pg->lconn)) != NULL) {
		/* the payload is the row's sequence number: this node's own
		   commits (already in the replica) need no fetch */
		if (strtoll(n->extra, NULL, 10) > pg->seq)
			pg->want_fetch = true;
		PQfreemem(n);
	}
	if (pg->lstate == L_LISTEN || pg->lstate == L_FETCH) {
		if (!take_results(st, &ok, &rows))
			return;
		if (!ok && pg->stale && pg->lstate == L_FETCH) {
			pg->lstate = L_IDLE;
			return;		/* cannot catch up: stays refused */
		}
		if (pg->lstate == L_LISTEN)
			pg->want_fetch = true;	/* catch up after a gap */
		else if (rows == FETCH_ROWS)
			pg->want_fetch = true;	/* more to come */
		else if (ok && pg->stale) {
			note(pg, "PostgreSQL change feed back, caught up to "
			    "log row %lld", (long long)pg->seq);
			feed_state(st, false);	/* caught up, listening */
		}
		pg->lstate = L_IDLE;
	}
	if (pg->want_fetch && pg->lstate == L_IDLE)
		send_fetch(st);
}

const char *
store_peer_poll(struct store *st)
{
	struct store_pg *pg = st->pg;

	if (pg == NULL)
		return NULL;
	pg->note[0] = '\0';
	/* a batch still committing completes first (its change callback) */
	st_commit_wait(st);
	if (!st->in_txn && !st->in_callback && st->reading == 0)
		peer_poll(st);
	return pg->note[0] != '\0' ? pg->note : NULL;
}

/* ---- Copying a SQLite database into PostgreSQL ---------------------------- */

/*
 * The SQLite file as one image, read in one read transaction (WAL frames
 * included), marked as a rollback-journal database so that the replica
 * can load it into memory.  Its modtime too.  NULL with errbuf set.
 */
static unsigned char *
sqlite_image(const char *path, sqlite3_int64 *len_r, char *modtime,
    char *errbuf, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	unsigned char *img = NULL;
	const char *v;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK || sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(db, "SELECT value FROM "
	    "store_meta WHERE key = 'modtime'", -1, &s, NULL) != SQLITE_OK) {
		snprintf(errbuf, errlen, "%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : "out of memory");
		goto done;
	}
	modtime[0] = '\0';
	if (sqlite3_step(s) == SQLITE_ROW &&
	    (v = (const char *)sqlite3_column_text(s, 0)) != NULL &&
	    strlen(v) == STORE_MODTIME_LEN)
		memcpy(modtime, v, STORE_MODTIME_LEN + 1);
	if ((img = sqlite3_serialize(db, "main", len_r, 0)) == NULL ||
	    *len_r < 100) {
		snprintf(errbuf, errlen, "%s: cannot read the database: %s",
		    path, sqlite3_errmsg(db));
		sqlite3_free(img);
		img = NULL;
		goto done;
	}
	/* file format bytes 18 and 19: 2 is WAL, 1 the rollback journal */
	img[18] = img[19] = 1;
done:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return img;
}

int
store_copy_to(const char *path, const char *url, char *errbuf,
    size_t errlen)
{
	static const char sql[] =
	    "WITH h AS (UPDATE acap_head SET modtime = $1 WHERE id = 1 AND "
	    "seq = 0 AND NOT EXISTS (SELECT 1 FROM acap_log) AND NOT EXISTS "
	    "(SELECT 1 FROM acap_base) RETURNING seq) "
	    "INSERT INTO acap_base (id, seq, modtime, image) "
	    "SELECT 1, seq, $1, $2 FROM h";
	struct store st;
	char modtime[STORE_MODTIME_LEN + 1];
	sqlite3_int64 len;
	unsigned char *img;
	const char *vals[2];
	int lens[2] = { 0, 0 }, fmts[2] = { 0, 1 };
	PGconn *c = NULL;
	PGresult *res = NULL;
	int rc = -1;

	memset(&st, 0, sizeof(st));
	if (!st_pg_url(url)) {
		snprintf(errbuf, errlen, "%s is not a postgresql:// URI", url);
		return -1;
	}
	if ((img = sqlite_image(path, &len, modtime, errbuf, errlen)) == NULL)
		return -1;
	if (len > 0x7fffffff) {
		snprintf(errbuf, errlen, "%s: over 2 GB, too large to copy in "
		    "one piece", path);
		goto done;
	}
	if ((c = pg_connect(&st, url)) == NULL || pg_migrate(&st, c) == -1) {
		snprintf(errbuf, errlen, "%s", st.errbuf);
		goto done;
	}
	vals[0] = modtime;
	vals[1] = (const char *)img;
	lens[1] = (int)len;
	res = PQexecParams(c, sql, 2, NULL, vals, lens, fmts, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		snprintf(errbuf, errlen, "PostgreSQL: %s", PQerrorMessage(c));
	else if (strcmp(PQcmdTuples(res), "1") != 0)
		snprintf(errbuf, errlen, "the PostgreSQL database already "
		    "holds datasets: nothing copied");
	else
		rc = 0;
done:
	PQclear(res);
	if (c != NULL)
		PQfinish(c);
	sqlite3_free(img);
	return rc;
}
