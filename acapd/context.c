/*
 * context.c -- contexts and NOTIFY fan-out (RFC 2244 §3.3, §6.5).
 *
 * A context keeps the search result that made it (rows hold refcounted,
 * immutable inheritance views, so a snapshot context stays valid after
 * later STOREs) plus, per row, a key (entry name, or full path when DEPTH
 * is not 1) and a signature of its RETURN data.  A NOTIFY context is
 * registered in the index under every dataset its rows and its base
 * dataset's inheritance chain come from.  When a commit touches one of
 * those datasets, the context's search is run again and the new rows are
 * diffed against the old ones: REMOVEFROM for rows that left, CHANGE for
 * rows that moved or whose RETURN data changed, ADDTO for new rows, then
 * MODTIME (§6.5.3-§6.5.6).
 *
 * Re-evaluation is not done inside the commit: the change callback only
 * queues the affected contexts (once each, oldest first) and a zero
 * timer drains the queue in slices of CONTEXT_SLICE_USEC, so the STORE
 * that caused the change is answered at once and the event loop keeps
 * serving (and flushing the first notifications) during a large fan-out.
 * A context that is used before its turn (UPDATECONTEXT, SEARCH on it)
 * is brought up to date first.
 *
 * One file (about 1,400 lines): the context table, the dataset index,
 * re-evaluation with its O(n log n) diff and the held notifications of a
 * connection are one piece of state with one owner.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/queue.h>

#include <event2/event.h>

#include "acap-buf.h"
#include "access.h"
#include "config.h"
#include "conn.h"
#include "context.h"
#include "inherit.h"
#include "log.h"
#include "metrics.h"
#include "search.h"
#include "server.h"
#include "store.h"

struct member {
	char *key;		/* entry name or full entry path */
	uint64_t sig;		/* hash of the formatted RETURN data */
	uint64_t msig;		/* hash of the effective modtime */
};

struct watch;

/* A context's place in one watch's array (for O(1) removal). */
struct wref {
	struct watch *w;
	size_t idx;
};

struct context {
	TAILQ_ENTRY(context) entry;	/* in the connection's set */
	TAILQ_ENTRY(context) dirty_entry; /* in the re-evaluation queue */
	bool dirty;
	bool held;	/* changed during a piecewise answer on conn */
	struct conn *conn;
	char *name;
	char *path;
	struct search_query *q;
	struct search_result *res;
	bool enumerate, notify;
	bool stopped;	/* over the work budget: no longer re-evaluated */
	/*
	 * A context made from a context (SEARCH "ctx" MAKECONTEXT ...):
	 * derived.  A NOTIFY one whose source is a live NOTIFY context is
	 * linked to it (src, and in src->deps) and re-evaluated with it;
	 * otherwise, or once its source is freed, it is frozen: it keeps
	 * the rows it has and is never re-evaluated.  Derived contexts are
	 * not in the fan-out index: their source's re-evaluation is.
	 */
	bool derived;
	bool frozen;
	struct context *src;
	struct context **deps;
	size_t ndeps, capdeps;
	struct member *m;
	size_t nm;
	struct wref *watch;	/* the watches this context is indexed under */
	size_t nwatch, capwatch;
	char changed[STORE_MODTIME_LEN + 1];	/* last change that showed */
	char pending[STORE_MODTIME_LEN + 1];	/* newest queued change */
};

TAILQ_HEAD(context_list, context);

struct context_set {
	struct context_list list;
	size_t n;
	size_t nheld;		/* contexts with held == true */
	struct conn *conn;
	TAILQ_ENTRY(context_set) all_entry;	/* in all_sets */
};

/* One entry of a watch's array: the context and its wref's index. */
struct wslot {
	struct context *ctx;
	size_t ref;
};

/* The fan-out index: dataset path -> contexts. */
struct watch {
	struct watch *next;
	char *path;
	struct wslot *v;
	size_t n, cap;
};

/* Longest run of re-evaluations before the loop serves I/O again. */
#define CONTEXT_SLICE_USEC 5000

static TAILQ_HEAD(, context) dirty_queue =
    TAILQ_HEAD_INITIALIZER(dirty_queue);
static struct event *drain_ev;

#define WATCH_BUCKETS 65536
static struct watch **watch_table;
static struct store *ctx_store;
static size_t ctx_total;
/* Every connection's context set, for the feed alerts (context_feed_cb). */
static TAILQ_HEAD(, context_set) all_sets = TAILQ_HEAD_INITIALIZER(all_sets);

extern void (*conn_context_free_hook)(struct conn *c, void **slot);
extern void (*conn_context_resume_hook)(struct conn *c, void **slot);

static void context_settle(struct context *ctx);
static void drain_schedule(void);
static void context_stop_deps(struct context *ctx);

static uint64_t
hash_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	return h;
}

#define HASH_INIT 14695981039346656037ULL

static struct watch **
watch_slot(const char *path)
{
	uint64_t h = hash_bytes(HASH_INIT, path, strlen(path));
	struct watch **wp;

	for (wp = &watch_table[h % WATCH_BUCKETS]; *wp != NULL;
	    wp = &(*wp)->next)
		if (strcmp((*wp)->path, path) == 0)
			break;
	return wp;
}

/* Index ctx under path (not already there); -1 when out of memory. */
static int
watch_add(const char *path, struct context *ctx)
{
	struct watch **wp = watch_slot(path), *w = *wp;

	if (ctx->nwatch == ctx->capwatch) {
		size_t cap = ctx->capwatch == 0 ? 4 : ctx->capwatch * 2;
		struct wref *n = realloc(ctx->watch, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		ctx->watch = n;
		ctx->capwatch = cap;
	}
	if (w == NULL) {
		if ((w = calloc(1, sizeof(*w))) == NULL ||
		    (w->path = strdup(path)) == NULL) {
			free(w);
			return -1;
		}
		*wp = w;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap == 0 ? 4 : w->cap * 2;
		struct wslot *n = realloc(w->v, cap * sizeof(*n));

		if (n == NULL) {
			if (w->n == 0) {
				*wp = w->next;
				free(w->path);
				free(w);
			}
			return -1;
		}
		w->v = n;
		w->cap = cap;
	}
	w->v[w->n].ctx = ctx;
	w->v[w->n].ref = ctx->nwatch;
	ctx->watch[ctx->nwatch].w = w;
	ctx->watch[ctx->nwatch].idx = w->n;
	w->n++;
	ctx->nwatch++;
	return 0;
}

/* Remove ctx's i-th index entry from its watch (swap with the last). */
static void
watch_del(struct context *ctx, size_t i)
{
	struct watch *w = ctx->watch[i].w, **wp;
	size_t idx = ctx->watch[i].idx;

	w->n--;
	if (idx != w->n) {
		struct wslot last = w->v[w->n];

		w->v[idx] = last;
		last.ctx->watch[last.ref].idx = idx;
	}
	if (w->n == 0) {
		wp = watch_slot(w->path);
		*wp = w->next;
		free(w->v);
		free(w->path);
		free(w);
	}
}

static void
context_unwatch(struct context *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nwatch; i++)
		watch_del(ctx, i);
	ctx->nwatch = 0;
}

/*
 * A set of dataset paths (borrowed strings): collected with repeats, then
 * pathset_finish() sorts them and drops the repeats (O(n log n) for a
 * context of many rows, where a scan per path was quadratic).
 */
struct pathset {
	const char **p;
	size_t n, cap;
};

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
pathset_finish(struct pathset *ps)
{
	size_t i, n = 0;

	if (ps->n == 0)
		return;
	qsort(ps->p, ps->n, sizeof(*ps->p), path_cmp);
	for (i = 1; i < ps->n; i++)
		if (strcmp(ps->p[i], ps->p[n]) != 0)
			ps->p[++n] = ps->p[i];
	ps->n = n + 1;
}

static void
pathset_add(struct pathset *ps, const char *path)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap == 0 ? 8 : ps->cap * 2;
		const char **n = realloc(ps->p, cap * sizeof(*n));

		if (n == NULL)
			return;	/* the context misses this dataset */
		ps->p = n;
		ps->cap = cap;
	}
	ps->p[ps->n++] = path;
}

static void
pathset_add_view(struct pathset *ps, const struct inherit_view *v)
{
	unsigned int i, n = inherit_view_layers(v);

	for (i = 0; i < n; i++)
		pathset_add(ps, inherit_view_layer_path(v, i));
}

/* Whether ctx is indexed under exactly the paths of ps, in that order. */
static bool
context_watches(const struct context *ctx, const struct pathset *ps)
{
	size_t i;

	if (ctx->nwatch != ps->n)
		return false;
	for (i = 0; i < ps->n; i++)
		if (strcmp(ctx->watch[i].w->path, ps->p[i]) != 0)
			return false;
	return true;
}

/*
 * Index a NOTIFY context under every dataset its result res depends on.
 * A re-evaluation usually leaves that set as it was: then the index is
 * not touched.
 */
static void
context_rewatch(struct context *ctx, const struct search_result *res)
{
	const struct inherit_view *v, *last = NULL;
	const struct inherit_entry *e;
	struct inherit_view *base = NULL;
	struct pathset ps = { NULL, 0, 0 };
	size_t i;

	if (!ctx->notify || ctx->stopped || ctx->derived)
		return;
	pathset_add(&ps, ctx->path);
	if (inherit_view_open(ctx_store, ctx->path,
	    search_query_noinherit(ctx->q) ? INHERIT_F_NOINHERIT : 0,
	    &base) == STORE_OK)
		pathset_add_view(&ps, base);
	for (i = 0; i < search_result_count(res); i++) {
		search_result_row(res, i, &v, &e);
		if (v != last)		/* a dataset's rows are together */
			pathset_add_view(&ps, v);
		last = v;
	}
	pathset_finish(&ps);
	if (!context_watches(ctx, &ps)) {
		context_unwatch(ctx);
		for (i = 0; i < ps.n; i++)
			(void)watch_add(ps.p[i], ctx);
	}
	inherit_view_free(&base);
	free(ps.p);
}

/* Skip the first string (quoted or literal) of our own writer's output. */
static size_t
skip_first_string(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	if (s[0] == '"') {
		for (i = 1; i < len; i++) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				return i + 1;
		}
		return len;
	}
	if (s[0] == '{') {
		unsigned long n = strtoul(s + 1, NULL, 10);
		const char *nl = memchr(s, '\n', len);

		if (nl == NULL)
			return len;
		i = (size_t)(nl - s) + 1 + n;
		return i > len ? len : i;
	}
	return 0;
}

static void
member_key(const struct context *ctx, const struct inherit_view *v,
    const struct inherit_entry *e, struct acap_buf *b)
{
	acap_buf_reset(b);
	if (search_query_has_depth(ctx->q))	/* §6.4.2: entry path */
		acap_buf_addstr(b, inherit_view_path(v));
	acap_buf_addstr(b, e->name);
}

/*
 * The formatted RETURN data of every row of one evaluation (what ADDTO
 * and CHANGE carry after the entry name), kept so that a row is
 * formatted once: for its signature and, if it changed, for the client.
 */
struct rowdata {
	struct acap_buf buf;
	size_t *span;		/* row i: offset span[2i], length span[2i+1] */
};

#define ROWDATA_INIT { ACAP_BUF_INIT, NULL }

static void
rowdata_free(struct rowdata *rd)
{
	acap_buf_deinit(&rd->buf);
	free(rd->span);
	rd->span = NULL;
}

static void
members_free(struct member *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(m[i].key);
	free(m);
}

/*
 * Build the member table of res.  With rd, every row's formatted data is
 * kept there; without, it is formatted into scratch space and dropped.
 */
static struct member *
members_build(const struct context *ctx, const struct search_result *res,
    const struct search_access *acc, struct rowdata *rd, size_t *n_r)
{
	struct acap_buf key = ACAP_BUF_INIT, scratch = ACAP_BUF_INIT;
	struct acap_buf *data = rd != NULL ? &rd->buf : &scratch;
	const struct inherit_view *v;
	const struct inherit_entry *e;
	size_t i, n = search_result_count(res), start, off;
	struct member *m;

	*n_r = 0;
	if ((m = calloc(n > 0 ? n : 1, sizeof(*m))) == NULL)
		return NULL;
	if (rd != NULL &&
	    (rd->span = calloc(n > 0 ? 2 * n : 1, sizeof(*rd->span))) ==
	    NULL) {
		free(m);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		search_result_row(res, i, &v, &e);
		member_key(ctx, v, e, &key);
		if ((m[i].key = strdup(key.data)) == NULL) {
			members_free(m, i);
			m = NULL;
			break;
		}
		if (rd == NULL)
			acap_buf_reset(data);
		start = data->len;
		search_format_entry(data, ctx->q, acc, v, e);
		off = start + skip_first_string(data->data + start,
		    data->len - start);
		m[i].sig = hash_bytes(HASH_INIT, data->data + off,
		    data->len - off);
		m[i].msig = hash_bytes(HASH_INIT, e->modtime,
		    strlen(e->modtime));
		if (rd != NULL) {
			rd->span[2 * i] = off;
			rd->span[2 * i + 1] = data->len - off;
		}
	}
	acap_buf_deinit(&key);
	acap_buf_deinit(&scratch);
	if (m != NULL)
		*n_r = n;
	return m;
}

static struct context_set *
context_set_get(struct conn *c, bool create)
{
	struct context_set **sp = (struct context_set **)conn_context_slot(c);

	if (*sp == NULL && create) {
		if ((*sp = calloc(1, sizeof(**sp))) == NULL)
			return NULL;
		TAILQ_INIT(&(*sp)->list);
		(*sp)->conn = c;
		TAILQ_INSERT_TAIL(&all_sets, *sp, all_entry);
	}
	return *sp;
}

/* A search result's rows, for search_refine(). */
static void
result_row_cb(const void *arg, size_t i, const struct inherit_view **v_r,
    const struct inherit_entry **e_r)
{
	search_result_row(arg, i, v_r, e_r);
}

/* The rows of derived context ctx, given its source's rows now. */
static struct search_result *
derived_rows(const struct context *ctx, const struct search_result *srcres,
    const struct search_access *acc)
{
	return search_refine(search_result_count(srcres), result_row_cb,
	    srcres, ctx->q, acc, ctx->src->enumerate);
}

static void
deps_del(struct context *src, const struct context *d)
{
	size_t i;

	for (i = 0; i < src->ndeps; i++)
		if (src->deps[i] == d) {
			src->deps[i] = src->deps[--src->ndeps];
			return;
		}
}

/*
 * The source of d is going away (FREECONTEXT, a MAKECONTEXT of its name):
 * d stays, frozen with its rows as of now -- brought up to date first,
 * so the notifications it was owed are sent -- and is not re-evaluated
 * again (doc/protocol-notes.md "Contexts made from a context").  When
 * the connection goes, nothing is brought up to date (teardown).
 */
static void
context_freeze(struct context *d, bool teardown)
{
	struct search_access acc;

	if (!teardown && !conn_closing(d->conn))
		context_sync(d);
	d->src = NULL;
	d->frozen = true;
	if (d->res == NULL) {
		access_for_conn(d->conn, &acc);
		d->res = search_refine(0, NULL, NULL, d->q, &acc, false);
	}
}

static void
context_destroy(struct context_set *set, struct context *ctx, bool teardown)
{
	if (ctx->src != NULL)
		deps_del(ctx->src, ctx);
	/* each is brought up to date while still linked (its last
	   notifications come from ctx's re-evaluation), then let go */
	while (ctx->ndeps > 0) {
		context_freeze(ctx->deps[ctx->ndeps - 1], teardown);
		ctx->ndeps--;
	}
	free(ctx->deps);
	context_unwatch(ctx);
	free(ctx->watch);
	if (ctx->dirty)
		TAILQ_REMOVE(&dirty_queue, ctx, dirty_entry);
	if (ctx->held)
		set->nheld--;
	TAILQ_REMOVE(&set->list, ctx, entry);
	set->n--;
	ctx_total--;
	search_query_free(&ctx->q);
	search_result_free(&ctx->res);
	members_free(ctx->m, ctx->nm);
	free(ctx->name);
	free(ctx->path);
	free(ctx);
}

static void
context_conn_gone(struct conn *c, void **slot)
{
	struct context_set *set = *slot;
	struct context *ctx;

	(void)c;
	if (set == NULL)
		return;
	while ((ctx = TAILQ_FIRST(&set->list)) != NULL)
		context_destroy(set, ctx, true);
	TAILQ_REMOVE(&all_sets, set, all_entry);
	free(set);
	*slot = NULL;
}

struct context *
context_find(struct conn *c, const char *name)
{
	struct context_set *set = context_set_get(c, false);
	struct context *ctx;

	if (set == NULL)
		return NULL;
	TAILQ_FOREACH(ctx, &set->list, entry)
		if (strcmp(ctx->name, name) == 0)
			return ctx;
	return NULL;
}

/*
 * context_make() and context_make_from(): *srcp is the source context of
 * a derived one (NULL for a dataset's); it becomes NULL when the source
 * is the context of that name, freed here.
 */
static enum context_err
context_new(struct conn *c, const char *name, const char *path,
    struct context **srcp, struct search_query *q, struct search_result *res,
    struct context **ctx_r)
{
	struct context_set *set = context_set_get(c, true);
	struct search_access acc;
	struct context *ctx, *old;
	bool enumerate, notify;

	if (set == NULL)
		goto nomem;
	/* §6.4.1: an existing context of that name is freed first. */
	if ((old = context_find(c, name)) != NULL) {
		if (old == *srcp)
			*srcp = NULL;
		context_destroy(set, old, false);
	}
	if (set->n >= cfg->context_limit) {
		search_query_free(&q);
		search_result_free(&res);
		return CONTEXT_ELIMIT;
	}
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		goto nomem;
	ctx->conn = c;
	ctx->q = q;
	ctx->res = res;
	access_for_conn(c, &acc);
	search_query_makecontext(q, &enumerate, &notify);
	ctx->enumerate = enumerate;
	ctx->notify = notify;
	if ((ctx->name = strdup(name)) == NULL ||
	    (ctx->path = strdup(path)) == NULL ||
	    (ctx->m = members_build(ctx, res, &acc, NULL, &ctx->nm)) ==
	    NULL) {
		free(ctx->name);
		free(ctx->path);
		free(ctx);
		goto nomem;
	}
	TAILQ_INSERT_TAIL(&set->list, ctx, entry);
	metrics_inc(M_CONTEXTS_CREATED);
	set->n++;
	ctx_total++;
	*ctx_r = ctx;
	return CONTEXT_OK;
nomem:
	search_query_free(&q);
	search_result_free(&res);
	return CONTEXT_ENOMEM;
}

enum context_err
context_make(struct conn *c, const char *name, const char *path,
    struct search_query *q, struct search_result *res)
{
	struct context *ctx, *src = NULL;
	enum context_err ce;

	ce = context_new(c, name, path, &src, q, res, &ctx);
	if (ce == CONTEXT_OK)
		context_rewatch(ctx, res);
	return ce;
}

enum context_err
context_make_from(struct conn *c, const char *name, struct context *src,
    struct search_query *q, struct search_result *res)
{
	struct context *ctx;
	enum context_err ce;
	char *path;

	if ((path = strdup(src->path)) == NULL) {
		search_query_free(&q);
		search_result_free(&res);
		return CONTEXT_ENOMEM;
	}
	ce = context_new(c, name, path, &src, q, res, &ctx);
	free(path);
	if (ce != CONTEXT_OK)
		return ce;
	ctx->derived = true;
	if (!ctx->notify)
		return CONTEXT_OK;	/* a snapshot, as any context */
	if (src == NULL || !src->notify || src->frozen) {
		/* its source never changes (any more): nor will it */
		ctx->frozen = true;
		return CONTEXT_OK;
	}
	ctx->stopped = src->stopped;
	if (src->ndeps == src->capdeps) {
		size_t cap = src->capdeps == 0 ? 4 : src->capdeps * 2;
		struct context **n = realloc(src->deps, cap * sizeof(*n));

		if (n == NULL) {
			ctx->frozen = true;
			return CONTEXT_OK;
		}
		src->deps = n;
		src->capdeps = cap;
	}
	src->deps[src->ndeps++] = ctx;
	ctx->src = src;
	return CONTEXT_OK;
}

size_t
context_count(const struct context *ctx)
{
	return search_result_count(ctx->res);
}

void
context_row(const struct context *ctx, size_t i,
    const struct inherit_view **v_r, const struct inherit_entry **e_r)
{
	search_result_row(ctx->res, i, v_r, e_r);
}

bool
context_enumerated(const struct context *ctx)
{
	return ctx->enumerate;
}

bool
context_notify(const struct context *ctx)
{
	return ctx->notify;
}

const char *
context_changed_modtime(const struct context *ctx)
{
	return ctx->changed;
}

const char *
context_path(const struct context *ctx)
{
	return ctx->path;
}

const struct search_query *
context_query(const struct context *ctx)
{
	return ctx->q;
}

enum context_err
context_free_named(struct conn *c, const char *name)
{
	struct context_set *set = context_set_get(c, false);
	struct context *ctx = context_find(c, name);

	if (ctx == NULL)
		return CONTEXT_ENOENT;
	context_destroy(set, ctx, false);
	return CONTEXT_OK;
}

enum context_err
context_update(struct conn *c, const char *name)
{
	struct context *ctx = context_find(c, name);

	if (ctx == NULL || !ctx->notify)
		return CONTEXT_ENOENT;
	/* §6.5.2: pending notifications are sent before the OK. */
	context_settle(ctx);
	return ctx->stopped ? CONTEXT_EBUDGET : CONTEXT_OK;
}

size_t
context_conn_count(struct conn *c)
{
	struct context_set *set = context_set_get(c, false);

	return set != NULL ? set->n : 0;
}

size_t
context_total(void)
{
	return ctx_total;
}

/* ---- Notification ----------------------------------------------------- */

/* Append one untagged notification line for ctx to out. */
static void
notify_line(struct acap_buf *out, const struct context *ctx,
    const char *kind, const char *key, const char *pos, const char *data,
    size_t datalen)
{
	metrics_inc(kind[0] == 'A' ? M_NOTIFY_ADDTO : kind[0] == 'R' ?
	    M_NOTIFY_REMOVEFROM : M_NOTIFY_CHANGE);
	acap_buf_addstr(out, "* ");
	acap_buf_addstr(out, kind);
	acap_buf_addch(out, ' ');
	acap_buf_add_cstring(out, ctx->name);
	acap_buf_addch(out, ' ');
	acap_buf_add_cstring(out, key);
	acap_buf_addstr(out, pos);
	if (datalen > 0)
		acap_buf_add(out, data, datalen);
	acap_buf_addstr(out, "\r\n");
}

/* Members sorted by key, for binary search: key and index. */
struct keyidx {
	const char *key;
	size_t i;
};

static int
keyidx_cmp(const void *a, const void *b)
{
	return strcmp(((const struct keyidx *)a)->key,
	    ((const struct keyidx *)b)->key);
}

static struct keyidx *
keyidx_build(const struct member *m, size_t n)
{
	struct keyidx *x = calloc(n > 0 ? n : 1, sizeof(*x));
	size_t i;

	if (x == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		x[i].key = m[i].key;
		x[i].i = i;
	}
	qsort(x, n, sizeof(*x), keyidx_cmp);
	return x;
}

/* Index of key in the members x was built from, or -1. */
static ssize_t
keyidx_find(const struct keyidx *x, size_t n, const char *key)
{
	struct keyidx k = { key, 0 }, *f;

	if (n == 0)
		return -1;
	f = bsearch(&k, x, n, sizeof(*x), keyidx_cmp);
	return f != NULL ? (ssize_t)f->i : -1;
}

/*
 * A Fenwick tree of counts over positions 0..n-1: add at a position, the
 * sum below a position, and the position of the k-th counted one, each
 * O(log n).  t has n + 1 zeroed slots.
 */
static void
fw_add(size_t *t, size_t n, size_t pos, size_t d)	/* d: 1 or -1 */
{
	for (pos++; pos <= n; pos += pos & (~pos + 1))
		t[pos] += d;
}

static size_t
fw_below(const size_t *t, size_t pos)
{
	size_t sum = 0;

	for (; pos > 0; pos -= pos & (~pos + 1))
		sum += t[pos];
	return sum;
}

static size_t
fw_kth(const size_t *t, size_t n, size_t k)	/* k >= 1 */
{
	size_t pos = 0, step = 1;

	while (step * 2 <= n)
		step *= 2;
	for (; step > 0; step /= 2)
		if (pos + step <= n && t[pos + step] < k) {
			pos += step;
			k -= t[pos];
		}
	return pos;		/* 0-based position of the k-th */
}

/*
 * Diff old members against the new ones (nm, whose formatted data is in
 * rd) and append the notifications to out.  W, the client's view of the
 * ordered list, changes as each notification is "applied", so every
 * position we send is the one the client will compute (§6.5.3-§6.5.5):
 *
 *  1. rows that left: REMOVEFROM at their current position, old order;
 *  2. rows that stay: the untouched ones (same data and modtime) that
 *     are in new order among themselves are settled and do not move;
 *     each other one, in new order, moves to just after the settled row
 *     that precedes it in the new order (its "anchor"; the front when
 *     none does) and is settled from then on: a CHANGE when it moves or
 *     its data changed.  Shifts caused by a move are implicit (§6.5.5);
 *  3. new rows: ADDTO at their final position, in order.
 *
 * O(n log n): keys are found by binary search, and positions in W come
 * from a Fenwick tree over "slots", the places rows can occupy: each
 * staying row's place in W after step 1, and after each settled row (and
 * at the front) the rows that will move behind it, in the order they
 * will.  Pass A finds every moving row's slot, pass B moves the rows and
 * reads their positions.  Returns whether anything was appended.
 */
static bool
context_diff(struct context *ctx, const struct member *nm, size_t nn,
    const struct rowdata *rd, struct acap_buf *out)
{
	size_t no = ctx->nm, wn = 0, i, j, a, nslots, from, to, pred, cur, ns;
	struct keyidx *oidx = NULL, *nidx = NULL;
	ssize_t *newpos = NULL, *wpos = NULL, last = -1;
	size_t *anchor = NULL, *seq = NULL, *chain = NULL, *base = NULL;
	size_t *f1 = NULL, *f2 = NULL;
	bool *settled = NULL, sent = false;
	char pos[48];

	oidx = keyidx_build(ctx->m, no);
	nidx = keyidx_build(nm, nn);
	newpos = calloc(no + 1, sizeof(*newpos));
	wpos = calloc(nn + 1, sizeof(*wpos));
	anchor = calloc(nn + 1, sizeof(*anchor));
	seq = calloc(nn + 1, sizeof(*seq));
	chain = calloc(no + 2, sizeof(*chain));
	base = calloc(no + 2, sizeof(*base));
	settled = calloc(nn + 1, sizeof(*settled));
	f1 = calloc(nn + 1, sizeof(*f1));
	if (oidx == NULL || nidx == NULL || newpos == NULL || wpos == NULL ||
	    anchor == NULL || seq == NULL || chain == NULL || base == NULL ||
	    settled == NULL || f1 == NULL)
		goto out;
	/* 1. Rows that left; W is the old order without them. */
	for (i = 0; i < nn; i++)
		wpos[i] = -1;
	for (i = 0; i < no; i++) {
		newpos[i] = keyidx_find(nidx, nn, ctx->m[i].key);
		if (newpos[i] >= 0) {
			wpos[newpos[i]] = (ssize_t)wn++;
			continue;
		}
		snprintf(pos, sizeof(pos), " %zu",
		    ctx->enumerate ? wn + 1 : 0);	/* wn rows before it */
		notify_line(out, ctx, "REMOVEFROM", ctx->m[i].key, pos, NULL,
		    0);
		sent = true;
	}
	/*
	 * 2. Settled: untouched, and in new order among the settled before
	 * them in W.  Indexed by new position from here on.
	 */
	for (i = 0; i < no; i++) {
		ssize_t ni = newpos[i];

		if (ni < 0 || nm[ni].msig != ctx->m[i].msig ||
		    nm[ni].sig != ctx->m[i].sig || ni <= last)
			continue;
		settled[ni] = true;
		last = ni;
		anchor[ni] = (size_t)wpos[ni] + 1;	/* 0 is the front */
		fw_add(f1, nn, (size_t)ni, 1);
	}
	/* Pass A: each moving row's anchor and its rank behind it. */
	for (i = 0; i < nn; i++) {
		if (wpos[i] < 0 || settled[i])
			continue;
		pred = fw_below(f1, i);
		a = pred == 0 ? 0 : anchor[fw_kth(f1, nn, pred)];
		anchor[i] = a;
		seq[i] = ++chain[a];
		fw_add(f1, nn, i, 1);
	}
	/* slot (a, s): block a holds its settled row (a > 0), then chain */
	nslots = 0;
	for (a = 0; a <= wn; a++) {
		base[a] = nslots;
		nslots += (a > 0 ? 1 : 0) + chain[a];
	}
	if ((f2 = calloc(nslots + 1, sizeof(*f2))) == NULL)
		goto out;
	for (j = 0; j < wn; j++)
		fw_add(f2, nslots, base[j + 1], 1);
	/* Pass B: move, in new order. */
	for (i = 0; i < nn; i++) {
		if (wpos[i] < 0 || settled[i])
			continue;
		j = (size_t)wpos[i];
		cur = base[j + 1];
		from = fw_below(f2, cur);
		fw_add(f2, nslots, cur, (size_t)-1);
		ns = base[anchor[i]] + (anchor[i] > 0 ? seq[i] : seq[i] - 1);
		to = fw_below(f2, ns);
		fw_add(f2, nslots, ns, 1);
		if (from == to && nm[i].sig == ctx->m[keyidx_find(oidx, no,
		    nm[i].key)].sig)
			continue;	/* only the modtime changed */
		snprintf(pos, sizeof(pos), " %zu %zu",
		    ctx->enumerate ? from + 1 : 0, ctx->enumerate ? to + 1 : 0);
		notify_line(out, ctx, "CHANGE", nm[i].key, pos,
		    rd->buf.data + rd->span[2 * i], rd->span[2 * i + 1]);
		sent = true;
	}
	/* 3. New rows: ADDTO at their final position, in order. */
	for (i = 0; i < nn; i++) {
		if (wpos[i] >= 0)
			continue;
		snprintf(pos, sizeof(pos), " %zu", ctx->enumerate ? i + 1 : 0);
		notify_line(out, ctx, "ADDTO", nm[i].key, pos,
		    rd->buf.data + rd->span[2 * i], rd->span[2 * i + 1]);
		sent = true;
	}
out:
	free(oidx);
	free(nidx);
	free(newpos);
	free(wpos);
	free(anchor);
	free(seq);
	free(chain);
	free(base);
	free(settled);
	free(f1);
	free(f2);
	return sent;
}

/*
 * A re-evaluation that ran out of the work budget (the context's SEARCH
 * was within it when it was made; its datasets have grown since): there
 * is no complete new state to diff against, and sending a part of it
 * would be a silent truncation.  The context stops: it leaves the
 * fan-out index, the client gets an ALERT with the response code the
 * SEARCH would get (§6.2.9), and UPDATECONTEXT on it answers NO, until
 * the client frees it (doc/protocol-notes.md "Work budget").
 */
static bool
context_over_budget(struct context *ctx, const struct search_result *res)
{
	struct acap_buf out = ACAP_BUF_INIT, text = ACAP_BUF_INIT;
	enum search_overrun over;
	size_t limit;

	if ((over = search_result_overrun(res, &limit)) == SEARCH_OVER_NONE)
		return false;
	ctx->stopped = true;
	context_unwatch(ctx);
	conn_log(ctx->conn, LOG_NOTICE, "context %s: stopped, over the work "
	    "budget (%zu)", ctx->name, limit);
	acap_buf_printf(&text, "Context %s is no longer updated: its search "
	    "would %s more than %zu %s", ctx->name,
	    over == SEARCH_OVER_DATASETS ? "open" : "look at", limit,
	    over == SEARCH_OVER_DATASETS ? "datasets (search_max_datasets)" :
	    "entries (search_max_entries)");
	acap_buf_addstr(&out, "* ALERT (WAYTOOMANY/WORK) ");
	acap_buf_add_text(&out, text.data);
	acap_buf_addstr(&out, "\r\n");
	conn_write(ctx->conn, out.data, out.len);
	acap_buf_deinit(&text);
	acap_buf_deinit(&out);
	context_stop_deps(ctx);
	return true;
}

/*
 * ctx stopped: so do the live contexts made from it (their rows come
 * from its rows), each told with its own ALERT, as ctx was.
 */
static void
context_stop_deps(struct context *ctx)
{
	struct acap_buf out = ACAP_BUF_INIT, text = ACAP_BUF_INIT;
	size_t i;

	for (i = 0; i < ctx->ndeps; i++) {
		struct context *d = ctx->deps[i];

		if (d->stopped)
			continue;
		d->stopped = true;
		conn_log(d->conn, LOG_NOTICE, "context %s: stopped with its "
		    "source %s", d->name, ctx->name);
		acap_buf_reset(&text);
		acap_buf_reset(&out);
		acap_buf_printf(&text, "Context %s is no longer updated: it "
		    "was made from context %s, which stopped", d->name,
		    ctx->name);
		acap_buf_addstr(&out, "* ALERT (WAYTOOMANY/WORK) ");
		acap_buf_add_text(&out, text.data);
		acap_buf_addstr(&out, "\r\n");
		conn_write(d->conn, out.data, out.len);
		context_stop_deps(d);
	}
	acap_buf_deinit(&text);
	acap_buf_deinit(&out);
}

/*
 * Run ctx's search again and send what changed, in one write: the
 * notifications, then MODTIME with the newest change queued for it.
 */
static void context_apply(struct context *ctx, struct search_result *res,
    const struct search_access *acc);

static void
context_reevaluate(struct context *ctx)
{
	struct search_access acc;
	struct search_result *res = NULL;
	struct context *src = ctx->src;
	enum store_err err;

	if (conn_closing(ctx->conn) || ctx->stopped || ctx->frozen)
		return;
	access_for_conn(ctx->conn, &acc);
	if (src != NULL) {
		/*
		 * Derived: a change queued for the source first; its
		 * re-evaluation brings this one up to date (context_apply).
		 * Otherwise (a change of groups, user_refresh()) the
		 * source's rows as they are now, refined again.
		 */
		if (src->dirty) {
			context_settle(src);
			return;
		}
		context_sync(src);
		if (ctx->stopped) {	/* its source stopped meanwhile */
			context_release_rows(src);
			return;
		}
		res = derived_rows(ctx, src->res, &acc);
		context_release_rows(src);
		context_apply(ctx, res, &acc);
		return;
	}
	err = search_run(ctx_store, ctx->path, ctx->q, &acc, &res);
	if (err == STORE_OK && context_over_budget(ctx, res)) {
		search_result_free(&res);
		return;
	}
	if (err == STORE_ENOEXIST) {
		/*
		 * The dataset went away (or became unreadable): every row
		 * leaves, and the context is empty from now on.
		 */
		res = search_refine(0, NULL, NULL, ctx->q, &acc, false);
	} else if (err != STORE_OK) {
		conn_log(ctx->conn, LOG_ERR, "context %s: re-evaluation "
		    "failed: %s", ctx->name, store_err_text(err));
		return;
	}
	context_apply(ctx, res, &acc);
}

/*
 * res is ctx's new rows (taken): send what changed, in one write (the
 * notifications, then MODTIME with the newest change queued for it),
 * then do the same for the contexts made from ctx, from these rows: a
 * change to the source's entries reaches them even when the source's
 * own RETURN data did not change, in the same turn, after the source's
 * notifications.
 */
static void
context_apply(struct context *ctx, struct search_result *res,
    const struct search_access *acc)
{
	struct rowdata rd = ROWDATA_INIT;
	struct acap_buf out = ACAP_BUF_INIT;
	struct member *nm;
	size_t nn, i;

	if (res == NULL ||
	    (nm = members_build(ctx, res, acc, &rd, &nn)) == NULL) {
		search_result_free(&res);
		rowdata_free(&rd);
		return;
	}
	if (context_diff(ctx, nm, nn, &rd, &out)) {
		snprintf(ctx->changed, sizeof(ctx->changed), "%s",
		    ctx->pending);
		/* §6.5.6: the client has every change up to this modtime. */
		metrics_inc(M_NOTIFY_MODTIME);
		acap_buf_addstr(&out, "* MODTIME ");
		acap_buf_add_cstring(&out, ctx->name);
		acap_buf_addch(&out, ' ');
		acap_buf_add_cstring(&out, ctx->pending);
		acap_buf_addstr(&out, "\r\n");
		conn_write(ctx->conn, out.data, out.len);
	}
	acap_buf_deinit(&out);
	rowdata_free(&rd);
	members_free(ctx->m, ctx->nm);
	ctx->m = nm;
	ctx->nm = nn;
	search_result_free(&ctx->res);
	context_rewatch(ctx, res);
	for (i = 0; i < ctx->ndeps; i++) {
		struct context *d = ctx->deps[i];

		if (d->stopped || d->held || conn_closing(d->conn))
			continue;
		if (d->dirty) {		/* brought up to date here */
			TAILQ_REMOVE(&dirty_queue, d, dirty_entry);
			d->dirty = false;
		}
		if (strcmp(ctx->pending, d->pending) > 0)
			snprintf(d->pending, sizeof(d->pending), "%s",
			    ctx->pending);
		context_apply(d, derived_rows(d, res, acc), acc);
	}
	search_result_free(&res);	/* NOTIFY: rows are made on demand */
}

/*
 * Take ctx off the queue and bring it up to date.  Not while its
 * connection is in the middle of a piecewise answer (a large SEARCH,
 * conn_stream()): the notifications would come between that answer's
 * lines, and the answer may be reading ctx's rows (MAKECONTEXT).  The
 * context is held instead and queued again when the answer is complete
 * (context_conn_resume()), so notifications still follow the answer as
 * they did when it was written in one go.
 */
static void
context_settle(struct context *ctx)
{
	if (!ctx->dirty)
		return;
	TAILQ_REMOVE(&dirty_queue, ctx, dirty_entry);
	ctx->dirty = false;
	if (conn_streaming(ctx->conn)) {
		conn_log(ctx->conn, LOG_DEBUG, "context %s: notifications wait "
		    "for the answer in progress", ctx->name);
		ctx->held = true;
		context_set_get(ctx->conn, false)->nheld++;
		return;
	}
	context_reevaluate(ctx);
}

/* c's piecewise answer is complete: its held contexts queue again. */
static void
context_conn_resume(struct conn *c, void **slot)
{
	struct context_set *set = *slot;
	struct context *ctx;

	(void)c;
	if (set == NULL || set->nheld == 0)
		return;
	TAILQ_FOREACH(ctx, &set->list, entry) {
		if (!ctx->held)
			continue;
		ctx->held = false;
		ctx->dirty = true;
		TAILQ_INSERT_TAIL(&dirty_queue, ctx, dirty_entry);
	}
	set->nheld = 0;
	drain_schedule();
}

static void
drain_schedule(void)
{
	static const struct timeval zero = { 0, 0 };

	if (drain_ev != NULL && !evtimer_pending(drain_ev, NULL))
		evtimer_add(drain_ev, &zero);
}

/* Re-evaluate queued contexts for one slice, then let the loop run. */
static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct context *ctx;
	long long deadline = server_now_us() + CONTEXT_SLICE_USEC;
	unsigned int k = 0;

	(void)fd;
	(void)what;
	(void)arg;
	while ((ctx = TAILQ_FIRST(&dirty_queue)) != NULL) {
		context_settle(ctx);
		if ((++k & 15) == 0 && server_now_us() >= deadline)
			break;
	}
	conn_flush_pending();	/* this slice's notifications go out now */
	if (!TAILQ_EMPTY(&dirty_queue))
		drain_schedule();
}

void
context_sync(struct context *ctx)
{
	struct search_access acc;
	enum store_err err;

	context_settle(ctx);
	if (ctx->res != NULL)
		return;
	/* a NOTIFY context's rows: its search, as of now (it is current) */
	access_for_conn(ctx->conn, &acc);
	if (ctx->src != NULL && !ctx->stopped) {
		/* derived: its source's rows, refined */
		context_sync(ctx->src);
		if (!ctx->stopped) {
			ctx->res = derived_rows(ctx, ctx->src->res, &acc);
			context_release_rows(ctx->src);
			return;
		}
		context_release_rows(ctx->src);
	}
	err = ctx->stopped ? STORE_ENOEXIST :
	    search_run(ctx_store, ctx->path, ctx->q, &acc, &ctx->res);
	if (err == STORE_OK && context_over_budget(ctx, ctx->res)) {
		search_result_free(&ctx->res);
		err = STORE_ENOEXIST;
	}
	if (err != STORE_OK) {
		if (err != STORE_ENOEXIST)
			conn_log(ctx->conn, LOG_ERR, "context %s: %s",
			    ctx->name, store_err_text(err));
		ctx->res = search_refine(0, NULL, NULL, ctx->q, &acc, false);
	}
}

/*
 * A NOTIFY context is kept current, so its rows can be made again when
 * needed (context_sync): between uses it keeps only its members' keys and
 * signatures, not the rows' inheritance views and the snapshots they pin
 * (about 2 KiB per idle context).
 */
void
context_release_rows(struct context *ctx)
{
	if (ctx->notify && !ctx->frozen)	/* frozen: its rows for good */
		search_result_free(&ctx->res);
}

/* Queue ctx for re-evaluation (once), remembering the newest change. */
static void
context_mark_dirty(struct context *ctx, const char *modtime)
{
	snprintf(ctx->pending, sizeof(ctx->pending), "%s", modtime);
	if (ctx->dirty || ctx->held)
		return;
	ctx->dirty = true;
	TAILQ_INSERT_TAIL(&dirty_queue, ctx, dirty_entry);
}

static void
user_refresh(struct conn *c, void *arg)
{
	const char *modtime = arg;
	struct context_set *set;
	struct context *ctx;

	access_load_groups(c);
	if ((set = context_set_get(c, false)) == NULL)
		return;
	TAILQ_FOREACH(ctx, &set->list, entry)
		if (ctx->notify && !ctx->frozen)
			context_mark_dirty(ctx, modtime);
}

/*
 * A connection's groups come from its user's entry in ACCESS_USERS_DS
 * (access.c).  When a commit changes such an entry, the user's
 * connections load their groups again and their NOTIFY contexts are
 * re-evaluated: entries that an ACL grants to a group appear or disappear
 * (ADDTO/REMOVEFROM) as membership changes, as they do after SETACL
 * (RFC 2244 §6.5: a context shows what its owner may see now).  Cost:
 * one index lookup per changed user entry (conn_foreach_user).
 */
static void
users_changed(const struct store_change *changes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (changes[i].entry != NULL &&
		    strcmp(changes[i].dataset, ACCESS_USERS_DS) == 0)
			conn_foreach_user(changes[i].entry, user_refresh,
			    (void *)(uintptr_t)changes[i].modtime);
}

static void
context_changed_cb(void *arg, const struct store_change *changes, size_t n)
{
	struct context *ctx;
	size_t i, j;

	(void)arg;
	users_changed(changes, n);
	for (i = 0; i < n; i++) {
		struct watch *w = *watch_slot(changes[i].dataset);

		if (w == NULL)
			continue;
		for (j = 0; j < w->n; j++)
			context_mark_dirty(w->v[j].ctx, changes[i].modtime);
	}
	if (drain_ev == NULL) {
		/* no event loop (unit tests): re-evaluate at once */
		while ((ctx = TAILQ_FIRST(&dirty_queue)) != NULL)
			context_settle(ctx);
	} else if (!TAILQ_EMPTY(&dirty_queue))
		drain_schedule();
}

/*
 * The shared store's change feed was lost or is back (store.h
 * store_set_feed_cb; the PostgreSQL backend): every connection holding
 * a context is told with an ALERT (RFC 2244 §6.2.9: a message that "MUST
 * be presented to the user"), so that no context is served stale
 * silently.  Nothing is lost meanwhile: the rows missed run the change
 * callback when the feed is back, before the second ALERT.
 */
static void
context_feed_cb(void *arg, bool lost)
{
	struct acap_buf out = ACAP_BUF_INIT;
	struct context_set *set;

	(void)arg;
	acap_buf_addstr(&out, "* ALERT ");
	acap_buf_add_text(&out, lost ?
	    "Contexts may be behind: this server lost the change feed of "
	    "the shared database; they catch up when it is back" :
	    "Contexts are up to date again: the change feed of the shared "
	    "database is back");
	acap_buf_addstr(&out, "\r\n");
	TAILQ_FOREACH(set, &all_sets, all_entry) {
		if (set->n == 0)
			continue;
		conn_log(set->conn, LOG_NOTICE, "told of the change feed: %s",
		    lost ? "lost" : "back");
		conn_write(set->conn, out.data, out.len);
	}
	acap_buf_deinit(&out);
}

void
context_init(struct store *st)
{
	ctx_store = st;
	if (watch_table == NULL &&
	    (watch_table = calloc(WATCH_BUCKETS, sizeof(*watch_table))) ==
	    NULL)
		fatal("out of memory");
	if (drain_ev == NULL && srv != NULL && srv->base != NULL &&
	    (drain_ev = evtimer_new(srv->base, drain_cb, NULL)) == NULL)
		fatal("out of memory");
	store_set_change_cb(st, context_changed_cb, NULL);
	store_set_feed_cb(st, context_feed_cb, NULL);
	conn_context_free_hook = context_conn_gone;
	conn_context_resume_hook = context_conn_resume;
}
