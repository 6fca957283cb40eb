/*
 * cmd-store.c -- STORE (RFC 2244 §6.6.1): parse the entry store lists,
 * reject repeats and bad names (BAD) and invalid server-validated values
 * (NO INVALID) at once, then queue the STORE for the group commit
 * (doc/store-batch.md) with its connection suspended.  The flush, in
 * arrival order inside one transaction, checks the caller's rights on
 * every attribute (§3.5, doc/acl.md: w/i/a, entries it cannot read,
 * admin locks inherited from base layers; NO PERMISSION and nothing
 * applied), applies the STORE under its own savepoint, prepares the
 * report of values that DEFAULT reverted to an inherited setting (ENTRY,
 * example A345), commits once, and only then answers OK.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "access.h"
#include "acl.h"
#include "commands.h"
#include "config.h"
#include "conn.h"
#include "dspath.h"
#include "inherit.h"
#include "log.h"
#include "rights.h"
#include "search.h"
#include "server.h"
#include "store.h"

/* One entry store list being built. */
struct req_entry {
	const char *path;		/* as the client wrote it */
	char *dataset;			/* canonical */
	char *inherit;			/* canonical dataset.inherit, if set */
	struct store_entry_op op;
	struct store_attr_op *attrs;
	size_t nattrs;
};

struct req {
	struct req_entry *e;
	size_t n;
	struct store_str *strs;		/* every value and acl item */
	size_t nstrs, cstrs;
	const char *bad;		/* reason for BAD */
	const char *inval_attr;		/* NO (INVALID) culprit */
	struct req_entry *inval_entry;
};

static void
req_free(struct req *rq)
{
	size_t i;

	for (i = 0; i < rq->n; i++) {
		free(rq->e[i].dataset);
		free(rq->e[i].inherit);
		free(rq->e[i].attrs);
	}
	free(rq->e);
	free(rq->strs);
}

/*
 * Strings of values and ACLs: all are reserved up front (one array, never
 * moved), so the pointers handed to store_apply() stay valid.
 */
static struct store_str *
req_strs(struct req *rq, const struct acap_arg *list, size_t n)
{
	struct store_str *s = &rq->strs[rq->nstrs];
	size_t i;

	for (i = 0; i < n; i++) {
		s[i].s = list[i].str;
		s[i].len = list[i].len;
	}
	rq->nstrs += n;
	return s;
}

/* Count the strings a STORE can reference, to size rq->strs. */
static size_t
count_strings(const struct acap_arg *a)
{
	size_t i, n = a->type == ACAP_ARG_STRING ? 1 : 0;

	if (a->type == ACAP_ARG_LIST)
		for (i = 0; i < a->count; i++)
			n += count_strings(&a->list[i]);
	return n;
}

static bool
arg_time(const struct acap_arg *a)
{
	/* quoted per §8; a bare number is accepted (ACAP-NOTES §2) */
	return (a->type == ACAP_ARG_STRING || a->type == ACAP_ARG_ATOM) &&
	    store_time_valid(a->str, a->len);
}

/* "value": NIL, DEFAULT, a string, or a list of strings (multi-value). */
static bool
parse_value(struct req *rq, const struct acap_arg *v, struct store_attr_op *op)
{
	size_t i;

	if (acap_arg_is_nil(v)) {
		op->value_op = STORE_OP_NIL;
	} else if (acap_arg_is_atom(v, "DEFAULT")) {
		op->value_op = STORE_OP_DEFAULT;
	} else if (acap_arg_is_string(v)) {
		op->value_op = STORE_OP_SET;
		op->values = req_strs(rq, v, 1);
		op->nvalues = 1;
	} else if (acap_arg_is_list(v)) {
		for (i = 0; i < v->count; i++)
			if (!acap_arg_is_string(&v->list[i])) {
				rq->bad = "a multi-value holds strings only";
				return false;
			}
		op->value_op = STORE_OP_SET;
		op->multi = true;
		op->values = req_strs(rq, v->list, v->count);
		op->nvalues = v->count;
	} else {
		rq->bad = "a value is a string, a list, NIL or DEFAULT";
		return false;
	}
	return true;
}

static bool
acl_items_valid(const struct store_str *s, size_t n)
{
	const char *ident;
	size_t i, identlen;
	unsigned int rights;
	bool neg;

	for (i = 0; i < n; i++)
		if (memchr(s[i].s, '\0', s[i].len) != NULL ||
		    !acap_utf8_valid(s[i].s, s[i].len) ||
		    acl_item_parse(s[i].s, s[i].len, &ident, &identlen, &neg,
		    &rights) == -1)
			return false;
	return true;
}

/* "acl": a list of "identifier\trights" (§3.5), NIL or DEFAULT. */
static bool
parse_acl(struct req *rq, const struct acap_arg *v, struct store_attr_op *op)
{
	size_t i;

	if (acap_arg_is_nil(v) || acap_arg_is_atom(v, "DEFAULT")) {
		op->acl_op = STORE_OP_NIL;
		return true;
	}
	if (!acap_arg_is_list(v)) {
		rq->bad = "an acl is a parenthesised list";
		return false;
	}
	for (i = 0; i < v->count; i++)
		if (!acap_arg_is_string(&v->list[i])) {
			rq->bad = "an acl holds strings only";
			return false;
		}
	op->acl_op = STORE_OP_SET;
	op->acl = req_strs(rq, v->list, v->count);
	op->nacl = v->count;
	if (!acl_items_valid(op->acl, op->nacl)) {
		rq->bad = "malformed acl item (identifier TAB rights)";
		return false;
	}
	return true;
}

/*
 * attribute-store (§8): a bare value, or ("value" v "acl" a) with each
 * metadata item at most once (§6.6.1: a repeat is BAD).
 */
static bool
parse_attr_store(struct req *rq, const struct acap_arg *v,
    struct store_attr_op *op)
{
	const struct acap_arg *m;
	bool seen_value = false, seen_acl = false;
	size_t i;

	if (!acap_arg_is_list(v))
		return parse_value(rq, v, op);
	if (v->count == 0 || v->count % 2 != 0) {
		rq->bad = "metadata list needs \"value\"/\"acl\" and a value";
		return false;
	}
	for (i = 0; i < v->count; i += 2) {
		m = &v->list[i];
		if (acap_arg_is_string(m) && strcmp(m->str, "value") == 0 &&
		    m->len == 5) {
			if (seen_value) {
				rq->bad = "metadata \"value\" given twice";
				return false;
			}
			seen_value = true;
			if (!parse_value(rq, &v->list[i + 1], op))
				return false;
		} else if (acap_arg_is_string(m) &&
		    strcmp(m->str, "acl") == 0 && m->len == 3) {
			if (seen_acl) {
				rq->bad = "metadata \"acl\" given twice";
				return false;
			}
			seen_acl = true;
			if (!parse_acl(rq, &v->list[i + 1], op))
				return false;
		} else {
			/* §3.1.2: only value and acl are writable */
			rq->bad = "only \"value\" and \"acl\" can be stored";
			return false;
		}
	}
	return true;
}

/* A relative ACAP URL (§3.2.2) as subdataset holds them: URL octets only. */
static bool
url_valid(const struct store_str *s)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	size_t i;
	unsigned char c;

	if (s->len == 0)
		return false;
	for (i = 0; i < s->len; i++) {
		c = (unsigned char)s->s[i];
		if (c == '%') {
			if (i + 2 >= s->len + 0 || s->s[i + 1] == '\0' ||
			    strchr(hex, s->s[i + 1]) == NULL ||
			    s->s[i + 2] == '\0' ||
			    strchr(hex, s->s[i + 2]) == NULL)
				return false;
			i += 2;
			continue;
		}
		if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}#", c) != NULL)
			return false;
	}
	return true;
}

/*
 * Server-validated attributes (§1.4, §3.1.1, §5.2): modtime, subdataset,
 * dataset.acl*, dataset.inherit.  Returns false for NO (INVALID); BAD
 * cases set rq->bad.
 */
static bool
validate_attr(struct req *rq, struct req_entry *re, struct store_attr_op *op,
    const char *user)
{
	size_t i;

	if (strcmp(op->name, "modtime") == 0)
		return op->value_op == STORE_OP_KEEP;
	if (strcmp(op->name, "subdataset") == 0) {
		if (op->value_op != STORE_OP_SET)
			return true;
		if (!op->multi || op->nvalues == 0)
			return false;
		for (i = 0; i < op->nvalues; i++) {
			if (!url_valid(&op->values[i]))
				return false;
			/* the "" entry has no child: "." names nothing */
			if (re->op.entry != NULL && re->op.entry[0] == '\0' &&
			    op->values[i].len == 1 && op->values[i].s[0] == '.')
				return false;
		}
		return true;
	}
	if (strncmp(op->name, "dataset.acl", 11) == 0 &&
	    (op->name[11] == '\0' || op->name[11] == '.')) {
		if (op->value_op == STORE_OP_SET)
			return op->multi && acl_items_valid(op->values,
			    op->nvalues);
		/* the dataset ACL must always exist (§3.5) */
		return op->name[11] != '\0' || op->value_op == STORE_OP_KEEP;
	}
	if (strcmp(op->name, "dataset.inherit") == 0 &&
	    op->value_op == STORE_OP_SET) {
		if (op->multi || memchr(op->values[0].s, '\0',
		    op->values[0].len) != NULL)
			return false;
		free(re->inherit);
		re->inherit = dspath_canonical(op->values[0].s,
		    op->values[0].len, user);
		if (re->inherit == NULL || re->inherit[0] != '/' ||
		    !dspath_inherit_allowed(re->dataset, re->inherit))
			return false;
		/* stored canonical, "~" resolved for the storing user */
		op->values = &rq->strs[rq->nstrs];
		rq->strs[rq->nstrs].s = re->inherit;
		rq->strs[rq->nstrs].len = strlen(re->inherit);
		rq->nstrs++;
	}
	return true;
}

/* The "entry" attribute (§3.1.1): BAD for anything but a good name. */
static bool
validate_entry_attr(struct req *rq, struct req_entry *re,
    const struct store_attr_op *op)
{
	if (op->value_op == STORE_OP_SET) {
		if (op->multi || !dspath_entry_name_valid(op->values[0].s,
		    op->values[0].len) || memchr(op->values[0].s, '\0',
		    op->values[0].len) != NULL) {
			rq->bad = "invalid value for \"entry\"";
			return false;
		}
		if ((op->values[0].len == 0) != (re->op.entry[0] == '\0')) {
			rq->bad = "the \"\" entry cannot be renamed";
			return false;
		}
		return true;
	}
	if (op->value_op == STORE_OP_KEEP)
		return true;
	if (re->op.entry[0] == '\0') {
		rq->bad = "the dataset's \"\" entry cannot be removed";
		return false;
	}
	if (re->nattrs > 1) {
		rq->bad = "nothing else may be stored in an entry removed";
		return false;
	}
	return true;
}

static bool
parse_entry(struct req *rq, struct req_entry *re, const struct acap_arg *a,
    const char *user)
{
	const struct acap_arg *l;
	struct store_attr_op *op;
	const char *entry;
	size_t i, j, n;

	if (!acap_arg_is_list(a) || a->count == 0) {
		rq->bad = "STORE takes parenthesised entry store lists";
		return false;
	}
	l = a->list;
	n = a->count;
	if (!acap_arg_is_string_utf8(&l[0]) || l[0].str[0] != '/' ||
	    dspath_split_entry(l[0].str, user, &re->dataset, &entry) == -1 ||
	    !dspath_entry_name_valid(entry, strlen(entry))) {
		rq->bad = "invalid entry path";
		return false;
	}
	re->path = l[0].str;
	re->op.dataset = re->dataset;
	re->op.entry = entry;
	for (i = 1; i < n && l[i].type == ACAP_ARG_ATOM; i++) {
		if (acap_arg_is_atom(&l[i], "NOCREATE") && !re->op.nocreate) {
			re->op.nocreate = true;
		} else if (acap_arg_is_atom(&l[i], "UNCHANGEDSINCE") &&
		    re->op.unchangedsince == NULL && i + 1 < n &&
		    arg_time(&l[i + 1])) {
			re->op.unchangedsince = l[++i].str;
		} else {
			rq->bad = "bad or repeated STORE modifier";
			return false;
		}
	}
	re->attrs = calloc((n - i) / 2 + 1, sizeof(*re->attrs));
	if (re->attrs == NULL)
		abort();
	for (; i < n; i += 2) {
		if (!acap_arg_is_string_utf8(&l[i]) ||
		    !dspath_attr_name_valid(l[i].str, l[i].len)) {
			rq->bad = "invalid attribute name";
			return false;
		}
		if (i + 1 >= n) {
			rq->bad = "attribute without a value";
			return false;
		}
		for (j = 0; j < re->nattrs; j++)
			if (strcmp(re->attrs[j].name, l[i].str) == 0) {
				rq->bad = "attribute given twice in one entry";
				return false;
			}
		op = &re->attrs[re->nattrs++];
		op->name = l[i].str;
		if (!parse_attr_store(rq, &l[i + 1], op))
			return false;
	}
	re->op.attrs = re->attrs;
	re->op.nattrs = re->nattrs;
	for (j = 0; j < re->nattrs; j++) {
		op = &re->attrs[j];
		if (strcmp(op->name, "entry") == 0) {
			if (!validate_entry_attr(rq, re, op))
				return false;
		} else if (!validate_attr(rq, re, op, user)) {
			if (rq->inval_attr == NULL) {
				rq->inval_attr = op->name;
				rq->inval_entry = re;
			}
		}
	}
	return true;
}

static enum cmd_status
reply_err(struct cmd_ctx *cmd, enum store_err r,
    const struct store_errinfo *info)
{
	struct acap_buf code = ACAP_BUF_INIT;

	if (r == STORE_EIO || r == STORE_ETRYLATER || r == STORE_EFULL ||
	    r == STORE_EROFS)
		conn_log(cmd->conn, LOG_ERR, "STORE: %s",
		    store_last_error(conn_store(cmd->conn)));
	store_err_format_code(r, info, &code);
	cmd_no(cmd, code.len > 0 ? code.data : NULL, "STORE failed: %s",
	    store_err_text(r));
	acap_buf_deinit(&code);
	return CMD_DONE;
}

/* A refusal of the rights engine: NO with its code and text. */
static void
reply_verdict(struct cmd_ctx *cmd, const struct rights_verdict *vd)
{
	if (vd->err == STORE_EPERM || vd->err == STORE_ENOEXIST)
		cmd_no(cmd, vd->code.data, "%s", vd->text.data);
	else
		reply_err(cmd, vd->err, NULL);
}

/*
 * §6.6.1, example A345: for attributes set to DEFAULT that now show an
 * inherited non-NIL value the caller may read, "tag ENTRY <entry-path>
 * attr value ...".
 */
static void
report_defaults(struct cmd_ctx *cmd, const struct req_entry *re)
{
	struct inherit_view *v = NULL;
	const struct inherit_entry *e;
	const struct inherit_attr *ia;
	struct inherit_tmp tmp;
	struct acap_buf *b = NULL;
	const struct store_str *acl;
	const char *name = re->op.entry;
	size_t i, j, nacl;
	bool dflt = false;

	for (i = 0; i < re->nattrs; i++) {
		if (strcmp(re->attrs[i].name, "entry") == 0 &&
		    re->attrs[i].value_op == STORE_OP_SET)
			name = re->attrs[i].values[0].s;
		else if (re->attrs[i].value_op == STORE_OP_DEFAULT)
			dflt = true;
	}
	if (!dflt)
		return;		/* nothing to report: no view to build */
	if (inherit_view_open(conn_store(cmd->conn), re->dataset, 0, &v) !=
	    STORE_OK)
		return;
	if ((e = inherit_view_find(v, name)) == NULL) {
		inherit_view_free(&v);
		return;
	}
	for (i = 0; i < re->nattrs; i++) {
		if (re->attrs[i].value_op != STORE_OP_DEFAULT ||
		    strcmp(re->attrs[i].name, "entry") == 0 ||
		    (ia = inherit_entry_get(e, re->attrs[i].name, &tmp)) ==
		    NULL || ia->a.kind == STORE_V_NIL)
			continue;
		inherit_acl(v, e, re->attrs[i].name, &acl, &nacl);
		if (!(access_rights(cmd->conn, inherit_view_layer_path(v,
		    ia->layer), acl, nacl) & ACL_R_READ))
			continue;
		if (b == NULL) {
			b = cmd_line_begin(cmd);
			acap_buf_addstr(b, "ENTRY ");
			acap_buf_add_cstring(b, re->path);
		}
		acap_buf_addch(b, ' ');
		acap_buf_add_cstring(b, re->attrs[i].name);
		acap_buf_addch(b, ' ');
		if (ia->a.kind == STORE_V_SINGLE) {
			acap_buf_add_string(b, ia->a.values[0].s,
			    ia->a.values[0].len);
			continue;
		}
		acap_buf_addch(b, '(');
		for (j = 0; j < ia->a.nvalues; j++) {
			if (j > 0)
				acap_buf_addch(b, ' ');
			acap_buf_add_string(b, ia->a.values[j].s,
			    ia->a.values[j].len);
		}
		acap_buf_addch(b, ')');
	}
	if (b != NULL)
		cmd_line_end(cmd);
	inherit_view_free(&v);
}

/* ---- Group commit (doc/store-batch.md) ---------------------------- */

/*
 * A validated STORE waiting for the batch.  Its connection is suspended
 * until the answer is queued, so cmd.tag and the argument strings rq
 * points to stay in the connection's parser.
 */
struct pending {
	struct cmd_ctx cmd;		/* cmd.conn NULL: connection gone */
	struct req rq;
	struct acap_buf out;		/* ENTRY lines and the completion */
	bool applied;			/* OK once the batch is committed */
	bool flushing;			/* in the batch being committed */
	unsigned int retries;		/* applied again (batch_retry()) */
	TAILQ_ENTRY(pending) entry;
};
TAILQ_HEAD(pending_list, pending);

/* STOREs per transaction; more wait for the next one (same turn). */
#define BATCH_MAX	512
/* PostgreSQL: times a batch that lost the race to another node is
   applied again before its STOREs are answered NO (TRYLATER). */
#define BATCH_RETRIES	8

static struct {
	struct pending_list q;		/* waiting for the next flush */
	struct pending_list batch;	/* being applied or committed */
	struct event *ev;		/* the flush, made active on demand */
	struct event *done_ev;		/* the commit thread finished */
	bool committing;		/* batch's COMMIT is on the thread */
	size_t n;			/* STOREs in batch */
	long long t0, t1;		/* batch started, COMMIT started */
} queue;

static void
pending_free(struct pending *p)
{
	req_free(&p->rq);
	acap_buf_deinit(&p->out);
	free(p);
}

static void
pending_cancel(struct conn *c, void *arg)
{
	struct pending *p = arg;

	(void)c;
	if (p->flushing) {
		p->cmd.conn = NULL;	/* the flush skips it and frees it */
		return;
	}
	TAILQ_REMOVE(&queue.q, p, entry);
	pending_free(p);
}

/*
 * Inside the batch's transaction, in arrival order: the rights check sees
 * what the STOREs before this one did, then the STORE is applied under
 * its own savepoint.  The answer goes to p->out; an OK is sent only
 * after the commit.
 */
static void
pending_apply(struct store *st, struct pending *p)
{
	struct store_entry_op *ops;
	struct store_result res;
	struct rights_verdict vd;
	struct rights_guard *guard = NULL;
	struct store_audit audit;
	char sid[ACCESS_SID_LEN + 1];
	enum store_err r;
	size_t i;

	ops = calloc(p->rq.n, sizeof(*ops));
	if (ops == NULL)
		abort();
	for (i = 0; i < p->rq.n; i++)
		ops[i] = p->rq.e[i].op;
	rights_verdict_init(&vd);
	/* §3.5: every attribute checked before anything is applied */
	if (!rights_store_check(p->cmd.conn, ops, p->rq.n, &vd)) {
		reply_verdict(&p->cmd, &vd);
		goto out;
	}
	/* the lock guard: no path may change a locked value (rights.h) */
	if ((r = rights_guard_begin(p->cmd.conn, ops, p->rq.n, &vd,
	    &guard)) != STORE_OK) {
		reply_err(&p->cmd, r, NULL);
		goto out;
	}
	vd.err = STORE_OK;
	access_audit(p->cmd.conn, "STORE", &audit, sid);
	r = store_batch_apply_verify(st, ops, p->rq.n,
	    cfg->audit ? &audit : NULL, rights_guard_verify, guard, &res);
	if (r != STORE_OK && vd.err != STORE_OK) {
		reply_verdict(&p->cmd, &vd);
		goto out;
	}
	if (r != STORE_OK) {
		reply_err(&p->cmd, r, &res.err);
		goto out;
	}
	for (i = 0; i < p->rq.n; i++)
		report_defaults(&p->cmd, &p->rq.e[i]);
	p->applied = true;
out:
	rights_guard_free(&guard);
	rights_verdict_deinit(&vd);
	free(ops);
}

/*
 * The batch's commit is over (durable, or failed as a whole): answer in
 * order, then let each connection go on with what it pipelined.
 */
static void
batch_answer(struct pending_list *list, enum store_err r)
{
	struct pending *p;
	struct conn *c;

	log_debug("STORE batch: %zu STOREs, %s; %lld us applying, %lld us "
	    "committing", queue.n, r == STORE_OK ? "committed" :
	    store_err_text(r), queue.t1 - queue.t0, server_now_us() - queue.t1);
	TAILQ_FOREACH(p, list, entry) {
		if ((c = p->cmd.conn) == NULL)
			continue;
		if (p->applied && r != STORE_OK) {
			acap_buf_reset(&p->out);
			reply_err(&p->cmd, r, NULL);
		} else if (p->applied) {
			cmd_ok(&p->cmd, NULL, "STORE completed");
		}
		conn_write(c, p->out.data, p->out.len);
	}
	conn_flush_pending();	/* the answers go out before anything else */
	/*
	 * A resumed connection may run anything, including what frees
	 * another connection of the list (whose cancel then marks its
	 * entry): entries are freed only after the loop.
	 */
	TAILQ_FOREACH(p, list, entry) {
		req_free(&p->rq);
		acap_buf_deinit(&p->out);
		if ((c = p->cmd.conn) != NULL)
			conn_resume(c);
	}
	while ((p = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, p, entry);
		free(p);
	}
}

/*
 * PostgreSQL (doc/scale-out.md): the batch's commit failed only because
 * another node committed first, so nothing of it was applied.  Its
 * STOREs go back to the head of the queue, in order, to be checked and
 * applied again from scratch (rights, UNCHANGEDSINCE, quotas) against
 * the replica once it caught up, 2 ms later (2 ms more at each retry);
 * their connections stay suspended.  False, and nothing moved, once a STORE
 * of it was retried BATCH_RETRIES times.
 */
static bool
batch_retry(void)
{
	struct timeval soon = { 0, 2000 };
	struct pending *p;

	if (!store_batch_lost_race(srv->store))
		return false;
	TAILQ_FOREACH(p, &queue.batch, entry) {
		if (p->retries >= BATCH_RETRIES)
			return false;
		/* a little longer each time: the other node is busy */
		if (2000 * (long)(p->retries + 1) > soon.tv_usec)
			soon.tv_usec = 2000 * (long)(p->retries + 1);
	}
	while ((p = TAILQ_LAST(&queue.batch, pending_list)) != NULL) {
		TAILQ_REMOVE(&queue.batch, p, entry);
		if (p->cmd.conn == NULL) {
			pending_free(p);	/* its connection went away */
			continue;
		}
		acap_buf_reset(&p->out);
		p->applied = false;
		p->flushing = false;
		p->retries++;
		TAILQ_INSERT_HEAD(&queue.q, p, entry);
	}
	event_add(queue.ev, &soon);
	return true;
}

/*
 * One batch: every STORE queued during this event-loop turn (up to
 * BATCH_MAX) in one transaction, one fsync, then every answer.  With the
 * commit thread, the COMMIT runs there while the loop goes on (and
 * queues the next batch); commit_done_cb() answers.
 */
static void
batch_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = srv->store;
	struct pending *p;
	enum store_err r;

	(void)fd;
	(void)what;
	(void)arg;
	if (queue.committing)
		return;		/* commit_done_cb() flushes again */
	queue.n = 0;
	while ((p = TAILQ_FIRST(&queue.q)) != NULL && queue.n < BATCH_MAX) {
		TAILQ_REMOVE(&queue.q, p, entry);
		TAILQ_INSERT_TAIL(&queue.batch, p, entry);
		p->flushing = true;
		queue.n++;
	}
	if (queue.n == 0)
		return;		/* a stale timer (delay reconfigured) */
	if (!TAILQ_EMPTY(&queue.q))
		event_active(queue.ev, EV_TIMEOUT, 1);	/* the rest next */

	queue.t0 = server_now_us();
	r = store_batch_begin(st);
	TAILQ_FOREACH(p, &queue.batch, entry) {
		if (p->cmd.conn == NULL)
			continue;
		if (r != STORE_OK)
			reply_err(&p->cmd, r, NULL);
		else
			pending_apply(st, p);
	}
	queue.t1 = server_now_us();
	if (r == STORE_OK && queue.done_ev != NULL &&
	    store_batch_commit_start(st, &r)) {
		queue.committing = true;
		return;
	}
	if (r == STORE_OK && queue.done_ev == NULL)
		r = store_batch_commit(st);
	if (r == STORE_ETRYLATER && batch_retry())
		return;
	batch_answer(&queue.batch, r);
}

/* The commit thread finished the batch's COMMIT. */
static void
commit_done_cb(evutil_socket_t fd, short what, void *arg)
{
	enum store_err r;

	(void)fd;
	(void)what;
	(void)arg;
	if (!queue.committing)
		return;
	r = store_batch_commit_finish(srv->store);
	queue.committing = false;
	if (r == STORE_ETRYLATER && batch_retry())
		return;
	batch_answer(&queue.batch, r);
	/* what arrived meanwhile goes into the next commit now */
	if (!TAILQ_EMPTY(&queue.q))
		batch_flush_cb(-1, 0, NULL);
}

/*
 * The group commit's events and commit thread, once (after the privilege
 * drop: the thread's pipe is open from start-up on).
 */
void
cmd_store_init(void)
{
	int fd = -1;

	if (queue.ev != NULL)
		return;
	TAILQ_INIT(&queue.q);
	TAILQ_INIT(&queue.batch);
	queue.ev = event_new(srv->base, -1, 0, batch_flush_cb, NULL);
	if (queue.ev == NULL)
		abort();
	if (cfg->store_commit_thread &&
	    (fd = store_commit_thread_start(srv->store)) == -1)
		log_warn("STORE: no commit thread (%s): committing in the "
		    "event loop", strerror(errno));
	if (fd != -1 && ((queue.done_ev = event_new(srv->base, fd,
	    EV_READ | EV_PERSIST, commit_done_cb, NULL)) == NULL ||
	    event_add(queue.done_ev, NULL) == -1))
		abort();
}

/* Queue a validated STORE; the flush runs later in this loop turn. */
static enum cmd_status
batch_queue(struct cmd_ctx *cmd, const struct req *rq)
{
	struct pending *p;

	if (queue.ev == NULL)
		cmd_store_init();
	if ((p = calloc(1, sizeof(*p))) == NULL)
		abort();
	p->cmd = *cmd;
	p->cmd.out = &p->out;
	p->rq = *rq;
	acap_buf_init(&p->out);
	TAILQ_INSERT_TAIL(&queue.q, p, entry);
	if (cfg->store_commit_delay_ms > 0) {
		struct timeval tv;

		/* the first STORE of the batch starts the clock */
		tv.tv_sec = cfg->store_commit_delay_ms / 1000;
		tv.tv_usec = (cfg->store_commit_delay_ms % 1000) * 1000;
		if (!event_pending(queue.ev, EV_TIMEOUT, NULL))
			event_add(queue.ev, &tv);
	} else {
		/*
		 * Active now, the event runs after the callbacks already
		 * active in this turn: every connection with input ready
		 * gets to queue its STORE first.
		 */
		event_active(queue.ev, EV_TIMEOUT, 1);
	}
	conn_suspend(cmd->conn, pending_cancel, p);
	return CMD_QUEUED;
}

enum cmd_status
cmd_store(struct cmd_ctx *cmd)
{
	const char *user = conn_user(cmd->conn);
	struct store_errinfo info;
	struct req rq;
	size_t i, j, nstr = 0;

	if (cmd->nargs == 0)
		return cmd_bad(cmd, "STORE needs at least one entry");
	memset(&rq, 0, sizeof(rq));
	for (i = 0; i < cmd->nargs; i++)
		nstr += count_strings(&cmd->args[i]);
	/* + one canonical dataset.inherit per attribute, at most */
	rq.cstrs = 2 * nstr + 1;
	rq.strs = calloc(rq.cstrs, sizeof(*rq.strs));
	rq.e = calloc(cmd->nargs, sizeof(*rq.e));
	if (rq.strs == NULL || rq.e == NULL)
		abort();
	for (i = 0; i < cmd->nargs; i++) {
		rq.n++;
		if (!parse_entry(&rq, &rq.e[i], &cmd->args[i], user))
			break;
		for (j = 0; j < i; j++)
			if (strcmp(rq.e[j].dataset, rq.e[i].dataset) == 0 &&
			    strcmp(rq.e[j].op.entry, rq.e[i].op.entry) == 0) {
				rq.bad = "entry path given twice";
				break;
			}
		if (rq.bad != NULL)
			break;
	}
	if (rq.bad != NULL) {
		req_free(&rq);
		return cmd_bad(cmd, "%s", rq.bad);
	}
	if (rq.inval_attr != NULL) {
		/* §6.6.1: nothing is applied */
		info.dataset = rq.inval_entry->dataset;
		info.entry = rq.inval_entry->op.entry;
		info.attr = rq.inval_attr;
		reply_err(cmd, STORE_EINVALID, &info);
		req_free(&rq);
		return CMD_DONE;
	}
	return batch_queue(cmd, &rq);
}
