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
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/queue.h>

#include "acap-buf.h"
#include "access.h"
#include "config.h"
#include "conn.h"
#include "context.h"
#include "inherit.h"
#include "log.h"
#include "search.h"
#include "store.h"

struct member {
	char *key;		/* entry name or full entry path */
	uint64_t sig;		/* hash of the formatted RETURN data */
	uint64_t msig;		/* hash of the effective modtime */
};

struct context {
	TAILQ_ENTRY(context) entry;	/* in the connection's set */
	struct context *dirty_next;	/* change batch list */
	bool dirty;
	struct conn *conn;
	char *name;
	char *path;
	struct search_query *q;
	struct search_result *res;
	bool enumerate, notify;
	struct member *m;
	size_t nm;
	char **watch;		/* dataset paths this context is indexed under */
	char changed[STORE_MODTIME_LEN + 1];	/* last change that showed */
	size_t nwatch;
};

TAILQ_HEAD(context_list, context);

struct context_set {
	struct context_list list;
	size_t n;
};

/* The fan-out index: dataset path -> contexts. */
struct watch {
	struct watch *next;
	char *path;
	struct context **ctx;
	size_t n, cap;
};

#define WATCH_BUCKETS 65536
static struct watch **watch_table;
static struct store *ctx_store;
static size_t ctx_total;

extern void (*conn_context_free_hook)(struct conn *c, void **slot);

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

static int
watch_add(const char *path, struct context *ctx)
{
	struct watch **wp = watch_slot(path), *w = *wp;

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
		struct context **n = realloc(w->ctx, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		w->ctx = n;
		w->cap = cap;
	}
	w->ctx[w->n++] = ctx;
	return 0;
}

static void
watch_del(const char *path, struct context *ctx)
{
	struct watch **wp = watch_slot(path), *w = *wp;
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n; i++)
		if (w->ctx[i] == ctx) {
			w->ctx[i] = w->ctx[--w->n];
			break;
		}
	if (w->n == 0) {
		*wp = w->next;
		free(w->ctx);
		free(w->path);
		free(w);
	}
}

static void
context_unwatch(struct context *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nwatch; i++) {
		watch_del(ctx->watch[i], ctx);
		free(ctx->watch[i]);
	}
	free(ctx->watch);
	ctx->watch = NULL;
	ctx->nwatch = 0;
}

static void
context_watch_path(struct context *ctx, const char *path, size_t *cap)
{
	size_t i;

	for (i = 0; i < ctx->nwatch; i++)
		if (strcmp(ctx->watch[i], path) == 0)
			return;
	if (ctx->nwatch == *cap) {
		size_t ncap = *cap == 0 ? 4 : *cap * 2;
		char **n = realloc(ctx->watch, ncap * sizeof(*n));

		if (n == NULL)
			return;
		ctx->watch = n;
		*cap = ncap;
	}
	if ((ctx->watch[ctx->nwatch] = strdup(path)) == NULL)
		return;
	if (watch_add(path, ctx) == -1) {
		free(ctx->watch[ctx->nwatch]);
		return;
	}
	ctx->nwatch++;
}

static void
context_watch_view(struct context *ctx, const struct inherit_view *v,
    size_t *cap)
{
	unsigned int i, n = inherit_view_layers(v);

	for (i = 0; i < n; i++)
		context_watch_path(ctx, inherit_view_layer_path(v, i), cap);
}

/* Index a NOTIFY context under every dataset its result depends on. */
static void
context_rewatch(struct context *ctx)
{
	const struct inherit_view *v;
	const struct inherit_entry *e;
	struct inherit_view *base = NULL;
	size_t i, cap = 0;

	context_unwatch(ctx);
	if (!ctx->notify)
		return;
	context_watch_path(ctx, ctx->path, &cap);
	if (inherit_view_open(ctx_store, ctx->path,
	    search_query_noinherit(ctx->q) ? INHERIT_F_NOINHERIT : 0,
	    &base) == STORE_OK) {
		context_watch_view(ctx, base, &cap);
		inherit_view_free(&base);
	}
	for (i = 0; i < search_result_count(ctx->res); i++) {
		search_result_row(ctx->res, i, &v, &e);
		context_watch_view(ctx, v, &cap);
	}
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
 * Formatted RETURN data of a row (what ADDTO/CHANGE carry after the entry
 * name) into data; returns its offset.
 */
static size_t
row_data(const struct context *ctx, const struct inherit_view *v,
    const struct inherit_entry *e, struct acap_buf *data)
{
	struct search_access acc;

	acap_buf_reset(data);
	access_for_conn(ctx->conn, &acc);
	search_format_entry(data, ctx->q, &acc, v, e);
	return skip_first_string(data->data != NULL ? data->data : "",
	    data->len);
}

static void
members_free(struct member *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(m[i].key);
	free(m);
}

/* Build the member table of res. */
static struct member *
members_build(const struct context *ctx, const struct search_result *res,
    size_t *n_r)
{
	struct acap_buf key = ACAP_BUF_INIT, data = ACAP_BUF_INIT;
	const struct inherit_view *v;
	const struct inherit_entry *e;
	size_t i, n = search_result_count(res), off;
	struct member *m;

	*n_r = 0;
	if ((m = calloc(n > 0 ? n : 1, sizeof(*m))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		search_result_row(res, i, &v, &e);
		member_key(ctx, v, e, &key);
		if ((m[i].key = strdup(key.data)) == NULL) {
			members_free(m, i);
			m = NULL;
			break;
		}
		off = row_data(ctx, v, e, &data);
		m[i].sig = hash_bytes(HASH_INIT, data.data + off,
		    data.len - off);
		m[i].msig = hash_bytes(HASH_INIT, e->modtime,
		    strlen(e->modtime));
	}
	acap_buf_deinit(&key);
	acap_buf_deinit(&data);
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
	}
	return *sp;
}

static void
context_destroy(struct context_set *set, struct context *ctx)
{
	context_unwatch(ctx);
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
		context_destroy(set, ctx);
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

enum context_err
context_make(struct conn *c, const char *name, const char *path,
    struct search_query *q, struct search_result *res)
{
	struct context_set *set = context_set_get(c, true);
	struct context *ctx, *old;
	bool enumerate, notify;

	if (set == NULL)
		goto nomem;
	/* §6.4.1: an existing context of that name is freed first. */
	if ((old = context_find(c, name)) != NULL)
		context_destroy(set, old);
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
	search_query_makecontext(q, &enumerate, &notify);
	ctx->enumerate = enumerate;
	ctx->notify = notify;
	if ((ctx->name = strdup(name)) == NULL ||
	    (ctx->path = strdup(path)) == NULL ||
	    (ctx->m = members_build(ctx, res, &ctx->nm)) == NULL) {
		free(ctx->name);
		free(ctx->path);
		free(ctx);
		goto nomem;
	}
	TAILQ_INSERT_TAIL(&set->list, ctx, entry);
	set->n++;
	ctx_total++;
	context_rewatch(ctx);
	return CONTEXT_OK;
nomem:
	search_query_free(&q);
	search_result_free(&res);
	return CONTEXT_ENOMEM;
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
	context_destroy(set, ctx);
	return CONTEXT_OK;
}

enum context_err
context_update(struct conn *c, const char *name)
{
	struct context *ctx = context_find(c, name);

	if (ctx == NULL || !ctx->notify)
		return CONTEXT_ENOENT;
	return CONTEXT_OK;
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

static void
notify_line(struct context *ctx, const char *kind, const char *key,
    const char *pos, const char *data, size_t datalen)
{
	struct acap_buf b = ACAP_BUF_INIT;

	acap_buf_addstr(&b, "* ");
	acap_buf_addstr(&b, kind);
	acap_buf_addch(&b, ' ');
	acap_buf_add_cstring(&b, ctx->name);
	acap_buf_addch(&b, ' ');
	acap_buf_add_cstring(&b, key);
	acap_buf_addstr(&b, pos);
	if (datalen > 0)
		acap_buf_add(&b, data, datalen);
	acap_buf_addstr(&b, "\r\n");
	conn_write(ctx->conn, b.data, b.len);
	acap_buf_deinit(&b);
}

static ssize_t
find_key(const char *const *keys, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (keys[i] != NULL && strcmp(keys[i], key) == 0)
			return (ssize_t)i;
	return -1;
}

static ssize_t
find_member(const struct member *m, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(m[i].key, key) == 0)
			return (ssize_t)i;
	return -1;
}

/*
 * Diff old members against the new result and send the notifications.
 * W is the client's view of the ordered list, updated as each
 * notification is "applied", so every position we send is the one the
 * client will compute (§6.5.3-§6.5.5).  Returns whether anything was sent.
 */
static bool
context_diff(struct context *ctx, struct search_result *res,
    struct member *nm, size_t nn)
{
	struct acap_buf data = ACAP_BUF_INIT;
	const struct inherit_view *v;
	const struct inherit_entry *e;
	const char **w = NULL;
	bool *settled = NULL, sent = false;
	size_t wn = 0, i, j, off;
	char pos[48];
	ssize_t k, oi;

	w = calloc(ctx->nm + nn + 1, sizeof(*w));
	settled = calloc(ctx->nm + nn + 1, sizeof(*settled));
	if (w == NULL || settled == NULL)
		goto out;
	for (i = 0; i < ctx->nm; i++)
		w[wn++] = ctx->m[i].key;
	/* 1. Rows that left: REMOVEFROM at their current position. */
	for (i = 0; i < ctx->nm; i++) {
		if (find_member(nm, nn, ctx->m[i].key) >= 0)
			continue;
		k = find_key(w, wn, ctx->m[i].key);
		snprintf(pos, sizeof(pos), " %zu",
		    ctx->enumerate ? (size_t)k + 1 : 0);
		notify_line(ctx, "REMOVEFROM", ctx->m[i].key, pos, NULL, 0);
		memmove(w + k, w + k + 1, (wn - (size_t)k - 1) * sizeof(*w));
		wn--;
		sent = true;
	}
	/*
	 * 2. Rows that stay: untouched ones keep their relative order and
	 * are settled; each touched one, in new order, moves to just after
	 * its last settled predecessor (a CHANGE when it moves or its data
	 * changed).  Shifts caused by a move are implicit (§6.5.5).
	 */
	for (j = 0; j < wn; j++) {
		oi = find_member(ctx->m, ctx->nm, w[j]);
		k = find_member(nm, nn, w[j]);
		settled[j] = nm[k].msig == ctx->m[oi].msig &&
		    nm[k].sig == ctx->m[oi].sig;
	}
	for (i = 0; i < nn; i++) {
		size_t from, to = 0;
		const char *key = nm[i].key;
		bool moved;

		oi = find_member(ctx->m, ctx->nm, key);
		if (oi < 0)
			continue;
		k = find_key(w, wn, key);
		if (settled[k])
			continue;
		from = (size_t)k;
		/* after the last settled entry that precedes key in nm */
		for (j = 0; j < wn; j++) {
			ssize_t ni;

			if (j == from || !settled[j])
				continue;
			ni = find_member(nm, nn, w[j]);
			if ((size_t)ni < i)
				to = j < from ? j + 1 : j;
		}
		moved = to != from;
		/* Move w[from] to w[to] (both indexes valid, wn >= 1). */
		if (to < from) {
			memmove(w + to + 1, w + to, (from - to) * sizeof(*w));
			memmove(settled + to + 1, settled + to,
			    (from - to) * sizeof(*settled));
		} else if (to > from) {
			memmove(w + from, w + from + 1, (to - from) * sizeof(*w));
			memmove(settled + from, settled + from + 1,
			    (to - from) * sizeof(*settled));
		}
		w[to] = key;
		settled[to] = true;
		if (!moved && nm[i].sig == ctx->m[oi].sig)
			continue;	/* only the modtime changed */
		search_result_row(res, i, &v, &e);
		off = row_data(ctx, v, e, &data);
		snprintf(pos, sizeof(pos), " %zu %zu",
		    ctx->enumerate ? from + 1 : 0, ctx->enumerate ? to + 1 : 0);
		notify_line(ctx, "CHANGE", key, pos, data.data + off,
		    data.len - off);
		sent = true;
	}
	/* 3. New rows: ADDTO at their final position, in order. */
	for (i = 0; i < nn; i++) {
		if (find_member(ctx->m, ctx->nm, nm[i].key) >= 0)
			continue;
		search_result_row(res, i, &v, &e);
		off = row_data(ctx, v, e, &data);
		snprintf(pos, sizeof(pos), " %zu", ctx->enumerate ? i + 1 : 0);
		notify_line(ctx, "ADDTO", nm[i].key, pos, data.data + off,
		    data.len - off);
		sent = true;
	}
out:
	free(w);
	free(settled);
	acap_buf_deinit(&data);
	return sent;
}

static void
context_reevaluate(struct context *ctx, const char *modtime)
{
	struct search_access acc;
	struct search_result *res = NULL;
	struct member *nm;
	size_t nn;
	enum store_err err;

	if (conn_closing(ctx->conn))
		return;
	access_for_conn(ctx->conn, &acc);
	err = search_run(ctx_store, ctx->path, ctx->q, &acc, &res);
	if (err == STORE_ENOEXIST) {
		/*
		 * The dataset went away (or became unreadable): every row
		 * leaves, and the context is empty from now on.
		 */
		nm = calloc(1, sizeof(*nm));
		nn = 0;
		res = search_refine(0, NULL, NULL, ctx->q, &acc, false);
	} else if (err != STORE_OK) {
		conn_log(ctx->conn, LOG_ERR, "context %s: re-evaluation "
		    "failed: %s", ctx->name, store_err_text(err));
		return;
	} else
		nm = members_build(ctx, res, &nn);
	if (nm == NULL) {
		search_result_free(&res);
		return;
	}
	if (context_diff(ctx, res, nm, nn)) {
		struct acap_buf b = ACAP_BUF_INIT;

		snprintf(ctx->changed, sizeof(ctx->changed), "%s", modtime);
		/* §6.5.6: the client has every change up to this modtime. */
		acap_buf_addstr(&b, "* MODTIME ");
		acap_buf_add_cstring(&b, ctx->name);
		acap_buf_addch(&b, ' ');
		acap_buf_add_cstring(&b, modtime);
		acap_buf_addstr(&b, "\r\n");
		conn_write(ctx->conn, b.data, b.len);
		acap_buf_deinit(&b);
	}
	members_free(ctx->m, ctx->nm);
	ctx->m = nm;
	ctx->nm = nn;
	if (res != NULL) {
		search_result_free(&ctx->res);
		ctx->res = res;
	}
	context_rewatch(ctx);
}

static void
context_changed_cb(void *arg, const struct store_change *changes, size_t n)
{
	struct context *dirty = NULL, *ctx;
	const char *modtime = NULL;
	size_t i, j;

	(void)arg;
	for (i = 0; i < n; i++) {
		struct watch *w = *watch_slot(changes[i].dataset);

		modtime = changes[i].modtime;
		if (w == NULL)
			continue;
		for (j = 0; j < w->n; j++) {
			ctx = w->ctx[j];
			if (ctx->dirty)
				continue;
			ctx->dirty = true;
			ctx->dirty_next = dirty;
			dirty = ctx;
		}
	}
	/* Re-evaluation rewrites the index: detach the list first. */
	while ((ctx = dirty) != NULL) {
		dirty = ctx->dirty_next;
		ctx->dirty = false;
		ctx->dirty_next = NULL;
		context_reevaluate(ctx, modtime);
	}
}

void
context_init(struct store *st)
{
	ctx_store = st;
	if (watch_table == NULL &&
	    (watch_table = calloc(WATCH_BUCKETS, sizeof(*watch_table))) ==
	    NULL)
		fatal("out of memory");
	store_set_change_cb(st, context_changed_cb, NULL);
	conn_context_free_hook = context_conn_gone;
}
