/*
 * context.h -- ACAP contexts (RFC 2244 §3.3, §6.4.1 MAKECONTEXT, §6.5) and
 * live change notification.
 *
 * Owns: every context (per connection, released on FREECONTEXT, on a
 * MAKECONTEXT of the same name and when the connection goes away) and the
 * global fan-out index: dataset path -> contexts whose results depend on
 * that dataset (their own datasets and every dataset they inherit from).
 * A committed change is re-evaluated only for the contexts registered
 * under the changed datasets, so a STORE costs what it affects, not what
 * the server holds.  Re-evaluation happens after the change's command
 * has been answered, from the event loop, in bounded slices (oldest
 * queued context first).  Notifications (ADDTO, REMOVEFROM, CHANGE,
 * MODTIME) are queued on the connection through conn_write(), which
 * enforces the output cap; while the connection is writing a SEARCH
 * answer in pieces (conn_streaming()), its contexts wait and are queued
 * again once the answer is complete.
 */
#ifndef CONTEXT_H
#define CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "search.h"
#include "store.h"

struct conn;
struct context;

enum context_err {
	CONTEXT_OK = 0,
	CONTEXT_ELIMIT,		/* NO (TRYFREECONTEXT): too many contexts */
	CONTEXT_ENOENT,		/* no such context */
	CONTEXT_ENOMEM,
	CONTEXT_EBUDGET,	/* NO (WAYTOOMANY/WORK): a NOTIFY context
				   stopped, its search over the work budget */
};

/* Install the store change callback and the connection hook. Once. */
void context_init(struct store *st);

/*
 * MAKECONTEXT (§6.4.1): keep res (the ordered, visible, matching rows of
 * the SEARCH) as context name on c, taking ownership of q and res on
 * success (both are freed on failure too).  An existing context of that
 * name is freed first.  path is the canonical dataset searched.
 */
enum context_err context_make(struct conn *c, const char *name,
    const char *path, struct search_query *q, struct search_result *res);

/*
 * MAKECONTEXT in a SEARCH of context src (§6.4.1 allows a "dataset or
 * context name"; doc/protocol-notes.md "Contexts made from a context"):
 * as context_make(), res being the rows of src that matched.  The new
 * context is named and searched as src's rows are (its path is src's).
 * With NOTIFY, it is kept current with src: whenever src is
 * re-evaluated, so is it, from src's new rows (RANGE in its criteria
 * meaning positions in src), and it gets ADDTO/REMOVEFROM/CHANGE/MODTIME
 * for what changed in it.  It is frozen -- keeps its rows, never
 * notified -- when src is not a live NOTIFY context, and from the moment
 * src is freed (FREECONTEXT, a MAKECONTEXT of src's name, this one
 * included); it stops with src (WAYTOOMANY/WORK).  It counts toward
 * context_limit like any context.
 */
enum context_err context_make_from(struct conn *c, const char *name,
    struct context *src, struct search_query *q, struct search_result *res);

/*
 * The caller of context_make() may read res until it calls
 * context_release_rows() on the new context (the SEARCH reply).
 */

/* The context called name on c, or NULL. */
struct context *context_find(struct conn *c, const char *name);

/* Rows of the context, in context order, after context_sync(). */
size_t context_count(const struct context *ctx);
void context_row(const struct context *ctx, size_t i,
    const struct inherit_view **v_r, const struct inherit_entry **e_r);
bool context_enumerated(const struct context *ctx);
bool context_notify(const struct context *ctx);
/* The canonical dataset the context's SEARCH ran on. */
const char *context_path(const struct context *ctx);
/* The query that made the context (its DEPTH decides entry naming). */
const struct search_query *context_query(const struct context *ctx);

/*
 * The modtime of the last change that altered the context's rows or
 * their RETURN data ("" when none since it was made).  SEARCH ... RANGE
 * compares it with the client's time (§6.4.1: NO (MODIFIED) when the
 * context changed after it).
 */
const char *context_changed_modtime(const struct context *ctx);

/* FREECONTEXT (§6.5.1). */
enum context_err context_free_named(struct conn *c, const char *name);

/*
 * Bring ctx up to date now if a change is queued for it (its
 * notifications are written before this returns) and make its rows
 * available to context_count()/context_row().  A NOTIFY context keeps no
 * rows between uses: they are made again here and dropped by
 * context_release_rows() (a no-op for other contexts, whose rows are the
 * snapshot they were made with).  Call before reading a context's rows.
 */
void context_sync(struct context *ctx);
void context_release_rows(struct context *ctx);

/*
 * UPDATECONTEXT (§6.5.2): pending notifications for the context are
 * delivered (context_sync) before this returns; CONTEXT_ENOENT when there
 * is no such NOTIFY context, CONTEXT_EBUDGET when it stopped because a
 * re-evaluation went over the work budget (it was told with an ALERT).
 */
enum context_err context_update(struct conn *c, const char *name);

/* Contexts on c, and in the whole server (for statistics). */
size_t context_conn_count(struct conn *c);
size_t context_total(void);

#endif
