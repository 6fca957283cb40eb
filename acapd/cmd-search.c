/*
 * cmd-search.c -- SEARCH (RFC 2244 §6.4.1): parse the target, the
 * modifiers (each at most once) and the criteria into a search query, run
 * it (search.c), then send the tagged ENTRY and REFER responses, the
 * mandatory MODTIME and the completion (TOOMANY, WAYTOOMANY, NOEXIST).
 * MAKECONTEXT hands the result to context.c; a context name as the target
 * searches the context's members (and MAKECONTEXT there makes a context
 * of a context).  Rights come from access.c.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "access.h"
#include "commands.h"
#include "config.h"
#include "conn.h"
#include "context.h"
#include "dspath.h"
#include "search.h"
#include "store.h"

/* Nesting of NOT/AND/OR we follow (the parser bounds lists anyway). */
#define SEARCH_MAX_NESTING	64

struct parse {
	struct search_query *q;
	const struct acap_arg *args;
	size_t nargs;
	size_t i;
	const char *bad;
	const char *range_time;	/* the oldest RANGE time, or NULL */
};

static const struct acap_arg *
next_arg(struct parse *p)
{
	return p->i < p->nargs ? &p->args[p->i++] : NULL;
}

static bool
attr_arg(const struct acap_arg *a)
{
	return a != NULL && acap_arg_is_string_utf8(a) &&
	    dspath_attr_name_valid(a->str, a->len);
}

/* A RETURN pattern: "*" or "<attribute-prefix>*" (§6.4.1). */
static bool
return_attr_arg(const struct acap_arg *a)
{
	size_t i;

	if (attr_arg(a))
		return true;
	if (a == NULL || !acap_arg_is_string_utf8(a) || a->len == 0 ||
	    a->str[a->len - 1] != '*')
		return false;
	for (i = 0; i + 1 < a->len; i++)
		if (a->str[i] == '*' || a->str[i] == '%')
			return false;
	return true;
}

static struct search_key *
parse_key(struct parse *p, unsigned int depth)
{
	static const struct {
		const char *kw;
		enum search_op op;
	} cmp_keys[] = {
		{ "EQUAL", SEARCH_EQUAL },
		{ "COMPARE", SEARCH_COMPARE },
		{ "COMPARESTRICT", SEARCH_COMPARESTRICT },
		{ "PREFIX", SEARCH_PREFIX },
		{ "SUBSTRING", SEARCH_SUBSTRING },
	};
	const struct acap_arg *k = next_arg(p), *attr, *cmp, *val, *t;
	struct search_key *a, *b;
	uint32_t lo, hi;
	size_t i;

	if (k == NULL || k->type != ACAP_ARG_ATOM) {
		p->bad = "search criteria expected";
		return NULL;
	}
	if (depth > SEARCH_MAX_NESTING) {
		p->bad = "search criteria nested too deeply";
		return NULL;
	}
	if (acap_arg_is_atom(k, "ALL"))
		return search_key_all(p->q);
	if (acap_arg_is_atom(k, "NOT")) {
		if ((a = parse_key(p, depth + 1)) == NULL)
			return NULL;
		return search_key_not(p->q, a);
	}
	if (acap_arg_is_atom(k, "AND") || acap_arg_is_atom(k, "OR")) {
		if ((a = parse_key(p, depth + 1)) == NULL ||
		    (b = parse_key(p, depth + 1)) == NULL)
			return NULL;
		return search_key_logic(p->q, acap_arg_is_atom(k, "OR") ?
		    SEARCH_OR : SEARCH_AND, a, b);
	}
	if (acap_arg_is_atom(k, "RANGE")) {
		if (acap_arg_get_nz_number(next_arg(p), &lo) == -1 ||
		    acap_arg_get_nz_number(next_arg(p), &hi) == -1 ||
		    !cmd_arg_is_time(t = next_arg(p))) {
			p->bad = "RANGE takes two positions and a time";
			return NULL;
		}
		if (p->range_time == NULL || strcmp(t->str, p->range_time) < 0)
			p->range_time = t->str;
		return search_key_range(p->q, lo, hi, t->str);
	}
	for (i = 0; i < sizeof(cmp_keys) / sizeof(cmp_keys[0]); i++)
		if (acap_arg_is_atom(k, cmp_keys[i].kw))
			break;
	if (i == sizeof(cmp_keys) / sizeof(cmp_keys[0])) {
		p->bad = "unknown search key";
		return NULL;
	}
	attr = next_arg(p);
	cmp = next_arg(p);
	val = next_arg(p);
	if (!attr_arg(attr)) {
		p->bad = "invalid attribute name in search key";
		return NULL;
	}
	/* ACAP-NOTES §12: EQUAL without a comparator (example A049) is BAD */
	if (cmp == NULL || !acap_arg_is_string_utf8(cmp)) {
		p->bad = "search key needs a quoted comparator";
		return NULL;
	}
	if (val == NULL || (!acap_arg_is_string(val) &&
	    !(cmp_keys[i].op == SEARCH_EQUAL && acap_arg_is_nil(val)))) {
		p->bad = "search key needs a value";
		return NULL;
	}
	a = search_key_match(p->q, cmp_keys[i].op, attr->str, cmp->str,
	    val->str, val->len, acap_arg_is_nil(val), &p->bad);
	return a;
}

static bool
parse_return(struct parse *p, const struct acap_arg *l)
{
	const char **meta;
	size_t i, j, nmeta;

	if (l == NULL || !acap_arg_is_list(l) ||
	    search_query_begin_return(p->q) == -1) {
		p->bad = "RETURN takes one parenthesised list";
		return false;
	}
	for (i = 0; i < l->count; i++) {
		if (!return_attr_arg(&l->list[i])) {
			p->bad = "invalid attribute in RETURN";
			return false;
		}
		meta = NULL;
		nmeta = 0;
		/* ACAP-NOTES §12: the metadata list may follow with or without
		   a space, so it arrives as the next element either way */
		if (i + 1 < l->count && acap_arg_is_list(&l->list[i + 1])) {
			const struct acap_arg *ml = &l->list[i + 1];

			if (ml->count == 0) {
				p->bad = "empty metadata list in RETURN";
				return false;
			}
			meta = calloc(ml->count, sizeof(*meta));
			if (meta == NULL)
				abort();
			for (j = 0; j < ml->count; j++) {
				if (!acap_arg_is_string_utf8(&ml->list[j])) {
					free(meta);
					p->bad = "metadata names are quoted";
					return false;
				}
				meta[j] = ml->list[j].str;
			}
			nmeta = ml->count;
		}
		if (search_query_add_return(p->q, l->list[i].str, meta, nmeta,
		    &p->bad) == -1) {
			free(meta);
			return false;
		}
		free(meta);
		if (nmeta > 0)
			i++;
	}
	return true;
}

static bool
parse_sort(struct parse *p, const struct acap_arg *l)
{
	size_t i;

	if (l == NULL || !acap_arg_is_list(l) || l->count == 0 ||
	    l->count % 2 != 0 || search_query_begin_sort(p->q) == -1) {
		p->bad = "SORT takes one list of attribute/comparator pairs";
		return false;
	}
	for (i = 0; i < l->count; i += 2) {
		if (!attr_arg(&l->list[i]) ||
		    !acap_arg_is_string_utf8(&l->list[i + 1])) {
			p->bad = "SORT takes attribute/comparator pairs";
			return false;
		}
		if (search_query_add_sort(p->q, l->list[i].str,
		    l->list[i + 1].str, &p->bad) == -1)
			return false;
	}
	return true;
}

static bool
parse_makecontext(struct parse *p)
{
	const struct acap_arg *a = next_arg(p);
	bool enumerate = false, notify = false;

	if (acap_arg_is_atom(a, "ENUMERATE")) {
		enumerate = true;
		a = next_arg(p);
	}
	if (acap_arg_is_atom(a, "NOTIFY")) {
		notify = true;
		a = next_arg(p);
	}
	/* §3.3: context names must not start with "/" */
	if (a == NULL || !acap_arg_is_string_utf8(a) || a->len == 0 ||
	    a->str[0] == '/' || search_query_set_makecontext(p->q, a->str,
	    enumerate, notify) == -1) {
		p->bad = "bad MAKECONTEXT";
		return false;
	}
	return true;
}

/* Modifiers, in any order, each at most once (§6.4.1). */
static bool
parse_modifiers(struct parse *p)
{
	const struct acap_arg *a;
	uint32_t n1, n2;

	while (p->i < p->nargs && p->args[p->i].type == ACAP_ARG_ATOM) {
		a = &p->args[p->i];
		if (acap_arg_is_atom(a, "DEPTH")) {
			p->i++;
			if (acap_arg_get_number(next_arg(p), &n1) == -1 ||
			    search_query_set_depth(p->q, n1) == -1) {
				p->bad = "bad or repeated DEPTH";
				return false;
			}
		} else if (acap_arg_is_atom(a, "HARDLIMIT")) {
			p->i++;
			if (acap_arg_get_nz_number(next_arg(p), &n1) == -1 ||
			    search_query_set_hardlimit(p->q, n1) == -1) {
				p->bad = "bad or repeated HARDLIMIT";
				return false;
			}
		} else if (acap_arg_is_atom(a, "LIMIT")) {
			p->i++;
			if (acap_arg_get_number(next_arg(p), &n1) == -1 ||
			    acap_arg_get_number(next_arg(p), &n2) == -1 ||
			    search_query_set_limit(p->q, n1, n2) == -1) {
				p->bad = "bad or repeated LIMIT";
				return false;
			}
		} else if (acap_arg_is_atom(a, "MAKECONTEXT")) {
			p->i++;
			if (!parse_makecontext(p))
				return false;
		} else if (acap_arg_is_atom(a, "NOINHERIT")) {
			p->i++;
			if (search_query_set_noinherit(p->q) == -1) {
				p->bad = "NOINHERIT given twice";
				return false;
			}
		} else if (acap_arg_is_atom(a, "RETURN")) {
			p->i++;
			if (!parse_return(p, next_arg(p)))
				return false;
		} else if (acap_arg_is_atom(a, "SORT")) {
			p->i++;
			if (!parse_sort(p, next_arg(p)))
				return false;
		} else {
			break;		/* the criteria start here */
		}
	}
	return true;
}

static enum cmd_status
reply_err(struct cmd_ctx *cmd, enum store_err r, const char *dataset)
{
	struct store_errinfo info = { dataset, NULL, NULL };
	struct acap_buf code = ACAP_BUF_INIT;

	if (r == STORE_EIO || r == STORE_ETRYLATER)
		conn_log(cmd->conn, LOG_ERR, "SEARCH: %s",
		    store_last_error(conn_store(cmd->conn)));
	store_err_format_code(r, &info, &code);
	cmd_no(cmd, code.len > 0 ? code.data : NULL, "SEARCH failed: %s",
	    store_err_text(r));
	acap_buf_deinit(&code);
	return CMD_DONE;
}

/*
 * A search that ran out of its work budget (search_query_set_budget())
 * gets a NO saying which, never a part of its answer.  WAYTOOMANY as for
 * HARDLIMIT (§3.6: the client should narrow its search), with the detail
 * "/WORK" that clients must tolerate (§3.6 hierarchy): here the server's
 * bound, not the client's, was hit (doc/protocol-notes.md).  A
 * MAKECONTEXT over budget is refused the same way: no context is made.
 * Returns whether it answered.
 */
static bool
search_no_budget(struct cmd_ctx *cmd, const struct search_result *res)
{
	size_t limit;

	switch (search_result_overrun(res, &limit)) {
	case SEARCH_OVER_NONE:
		return false;
	case SEARCH_OVER_DATASETS:
		cmd_no(cmd, "WAYTOOMANY/WORK", "SEARCH stopped: it would open "
		    "more than %zu datasets (search_max_datasets)", limit);
		break;
	case SEARCH_OVER_ENTRIES:
		cmd_no(cmd, "WAYTOOMANY/WORK", "SEARCH stopped: it would look "
		    "at more than %zu entries (search_max_entries)", limit);
		break;
	}
	conn_log(cmd->conn, LOG_NOTICE, "SEARCH over its work budget (%zu)",
	    limit);
	return true;
}

/* A context's members, for search_refine(). */
static void
context_row_cb(const void *arg, size_t i, const struct inherit_view **v_r,
    const struct inherit_entry **e_r)
{
	context_row(arg, i, v_r, e_r);
}

/*
 * The answer of a SEARCH that found something: the ENTRY responses, then
 * REFER, the mandatory MODTIME (§6.4.3) and the completion.  It can be
 * far larger than max_output (a dataset of 10 MiB is within the default
 * quota), so it is written in pieces (conn_stream()): answer_more() goes
 * on from row "next" each time the client has read the output down to
 * the low-water mark.  Meanwhile the rows stay valid: they hold
 * refcounted, immutable views (a STORE committed meanwhile makes new
 * ones), and a MAKECONTEXT's context, which owns q and res, is neither
 * re-evaluated nor freed until the answer is complete (no command runs,
 * and context.c holds notifications for a connection in that state).
 */
struct answer {
	struct cmd_ctx cmd;	/* tag: in the parser, kept while suspended */
	struct search_query *q;
	struct search_result *res;	/* owned unless name != NULL */
	struct search_access acc;
	char *name;		/* MAKECONTEXT: the context, which owns q, res */
	size_t next, nsend;	/* next ENTRY row, ENTRY rows to send */
	size_t count;		/* matches, for TOOMANY */
	bool toomany;
	char modtime[STORE_MODTIME_LEN + 1];	/* as of the search */
};

static void
answer_free(struct answer *a)
{
	if (a->name == NULL) {
		search_result_free(&a->res);
		search_query_free(&a->q);
	}
	free(a->name);
	free(a);
}

static void
answer_cancel(struct conn *c, void *arg)
{
	(void)c;
	answer_free(arg);	/* the context goes with the connection */
}

/* The answer's end: REFERs, MODTIME and the completion. */
static void
answer_end(struct answer *a)
{
	struct cmd_ctx *cmd = &a->cmd;
	const struct store_str *urls;
	const char *ds;
	struct acap_buf *b;
	struct context *ctx;
	char code[40];
	size_t i, j, n;

	/* §6.4.4: subtrees that live elsewhere */
	for (i = 0; i < search_result_refer_count(a->res); i++) {
		search_result_refer(a->res, i, &ds, &urls, &n);
		b = cmd_line_begin(cmd);
		acap_buf_addstr(b, "REFER ");
		acap_buf_add_cstring(b, ds);
		for (j = 0; j < n; j++) {
			acap_buf_addch(b, ' ');
			acap_buf_add_string(b, urls[j].s, urls[j].len);
		}
		cmd_line_end(cmd);
	}
	b = cmd_line_begin(cmd);
	acap_buf_addstr(b, "MODTIME ");
	acap_buf_add_cstring(b, a->modtime);
	cmd_line_end(cmd);
	if (a->toomany)
		snprintf(code, sizeof(code), "TOOMANY %zu", a->count);
	if (a->name == NULL) {
		cmd_ok(cmd, a->toomany ? code : NULL, "SEARCH completed");
		return;
	}
	/* the reply is written: a NOTIFY context drops its rows */
	if ((ctx = context_find(cmd->conn, a->name)) != NULL)
		context_release_rows(ctx);
	cmd_ok(cmd, a->toomany ? code : NULL, "Context '%s' created", a->name);
}

/*
 * conn_stream()'s producer: ENTRY lines until the output is full, then
 * 0; the rest of the answer and 1 once every row is out.
 */
static int
answer_more(struct conn *c, void *arg)
{
	struct answer *a = arg;
	const struct inherit_view *v;
	const struct inherit_entry *e;
	struct acap_buf *b;

	while (a->next < a->nsend) {
		search_result_row(a->res, a->next++, &v, &e);
		b = cmd_line_begin(&a->cmd);
		acap_buf_addstr(b, "ENTRY ");
		search_format_entry(b, a->q, &a->acc, v, e);
		cmd_line_end(&a->cmd);
		if (a->next < a->nsend && conn_output_full(c))
			return 0;
	}
	answer_end(a);
	answer_free(a);
	return 1;
}

/*
 * Everything after the parse: HARDLIMIT, LIMIT, then the answer (see
 * struct answer).  Takes q and res; a MAKECONTEXT hands both to the
 * context (§6.4.1: it keeps every match, LIMIT only bounds what is sent).
 * src is the context searched, or NULL for a dataset (path).
 */
static enum cmd_status
finish(struct cmd_ctx *cmd, const char *path, struct context *src,
    struct search_query *q, struct search_result *res,
    const struct search_access *acc)
{
	struct answer *a;
	const char *ctxname;
	uint32_t hard;
	bool en, no;
	enum context_err ce;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		abort();
	a->cmd = *cmd;
	a->q = q;
	a->res = res;
	a->acc = *acc;
	a->count = search_result_matches(res);
	if (!search_limits(q, a->count, &a->nsend, &a->toomany)) {
		(void)search_query_hardlimit(q, &hard);
		cmd_no(cmd, "WAYTOOMANY", "SEARCH found %zu entries, "
		    "more than HARDLIMIT %u", a->count, hard);
		answer_free(a);
		return CMD_DONE;
	}
	if (!search_query_has_return(q))
		a->nsend = 0;
	if (a->nsend > search_result_count(res))
		a->nsend = search_result_count(res);	/* a page: its rows */
	/* §6.4.3: the rows include every change up to now */
	store_modtime_current(conn_store(cmd->conn), a->modtime);
	if ((ctxname = search_query_makecontext(q, &en, &no)) != NULL) {
		if ((a->name = strdup(ctxname)) == NULL)
			abort();
		/* kept as long as the context: no slack (ctxname moves) */
		search_query_compact(q);
		/* q and res now belong to the context; the answer still
		   reads them (nothing can change them until it is done) */
		ce = src != NULL ?
		    context_make_from(cmd->conn, a->name, src, q, res) :
		    context_make(cmd->conn, a->name, path, q, res);
		if (ce != CONTEXT_OK) {
			a->q = NULL;	/* freed by context_make() */
			a->res = NULL;
			answer_free(a);
			if (ce == CONTEXT_ELIMIT)
				return cmd_no(cmd, "TRYFREECONTEXT",
				    "Too many contexts");
			return cmd_no(cmd, NULL, "Cannot create the context");
		}
	}
	if (conn_stream(cmd->conn, answer_more, answer_cancel, a) == 1)
		return CMD_DONE;
	return CMD_QUEUED;
}

/*
 * SEARCH on a context (§6.4.1): its members, filtered, sorted and
 * returned like a dataset's.  RANGE needs an enumerated context, and its
 * time says which notifications the client has processed: a context
 * that changed after it gets NO (MODIFIED) (the RFC's other choice,
 * answering as of that time, would need every past state kept).
 */
static enum cmd_status
search_context(struct cmd_ctx *cmd, const char *ctxname,
    struct search_query *q, const struct search_access *acc,
    const char *range_time)
{
	struct context *ctx = context_find(cmd->conn, ctxname);
	struct search_result *res;

	if (ctx == NULL) {
		search_query_free(&q);
		return cmd_no(cmd, NULL, "No such context");
	}
	if (search_query_uses_range(q) && !context_enumerated(ctx)) {
		search_query_free(&q);
		return cmd_bad(cmd, "RANGE needs an enumerated context");
	}
	context_sync(ctx);	/* queued changes first; rows loaded */
	/*
	 * §6.4.1 RANGE: "If the context has been modified since then, the
	 * server MUST either return a NO with a MODIFIED response code, or
	 * return the results [as of that time]".
	 */
	if (range_time != NULL &&
	    strcmp(context_changed_modtime(ctx), range_time) > 0) {
		struct acap_buf code = ACAP_BUF_INIT;

		context_release_rows(ctx);
		search_query_free(&q);
		acap_buf_addstr(&code, "MODIFIED ");
		acap_buf_add_cstring(&code, context_path(ctx));
		cmd_no(cmd, code.data, "Context \"%s\" changed after %s",
		    ctxname, range_time);
		acap_buf_deinit(&code);
		return CMD_DONE;
	}
	/* entries are named as the context's own SEARCH named them */
	if (search_query_has_depth(context_query(ctx)))
		(void)search_query_set_depth(q,
		    search_query_depth(context_query(ctx)));
	res = search_refine(context_count(ctx), context_row_cb, ctx, q, acc,
	    context_enumerated(ctx));
	context_release_rows(ctx);	/* res holds what it uses */
	/* MAKECONTEXT: a context of its matches (context_make_from()) */
	return finish(cmd, NULL, ctx, q, res, acc);
}

enum cmd_status
cmd_search(struct cmd_ctx *cmd)
{
	struct search_access acc;
	struct search_result *res = NULL;
	struct search_key *crit;
	struct parse p;
	const struct acap_arg *target;
	enum cmd_status status;
	enum store_err r;
	char *path = NULL;

	memset(&p, 0, sizeof(p));
	p.args = cmd->args;
	p.nargs = cmd->nargs;
	target = next_arg(&p);
	if (target == NULL || !acap_arg_is_string_utf8(target))
		return cmd_bad(cmd, "SEARCH needs a dataset or context name");
	p.q = search_query_new();
	if (parse_modifiers(&p) && (crit = parse_key(&p, 0)) != NULL) {
		search_query_set_criteria(p.q, crit);
		if (p.i != p.nargs)
			p.bad = "unexpected arguments after the criteria";
	} else if (p.bad == NULL) {
		p.bad = "bad SEARCH arguments";
	}
	if (p.bad == NULL && target->str[0] == '/' &&
	    search_query_uses_range(p.q))
		p.bad = "RANGE is only allowed on an enumerated context";
	if (p.bad == NULL && target->str[0] == '/' &&
	    (path = dspath_canonical(target->str, target->len,
	    conn_user(cmd->conn))) == NULL)
		p.bad = "invalid dataset name";
	if (p.bad != NULL) {
		search_query_free(&p.q);
		return cmd_bad(cmd, "%s", p.bad);
	}
	access_for_conn(cmd->conn, &acc);
	if (target->str[0] != '/')
		return search_context(cmd, target->str, p.q, &acc,
		    p.range_time);
	/* the query keeps it: a context's re-evaluations have it too */
	search_query_set_budget(p.q, cfg->search_max_datasets,
	    cfg->search_max_entries);
	r = search_run(conn_store(cmd->conn), path, p.q, &acc, &res);
	if (r == STORE_OK && search_no_budget(cmd, res)) {
		search_result_free(&res);
		r = STORE_EIO;		/* answered */
	} else if (r != STORE_OK) {
		/* not found and not readable look the same (§3.5) */
		reply_err(cmd, r, path);
	}
	if (r != STORE_OK) {
		search_query_free(&p.q);
		free(path);
		return CMD_DONE;
	}
	status = finish(cmd, path, NULL, p.q, res, &acc);
	free(path);
	return status;
}
