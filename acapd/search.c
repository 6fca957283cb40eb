/*
 * search.c -- SEARCH (RFC 2244 §6.4): queries, criteria evaluation with
 * the comparators (comparator.h), stable multi-key sort, RETURN
 * formatting, and the DEPTH traversal that builds a result set from
 * effective views (inherit.h).  No SQL, no sockets.
 *
 * One file (about 1,400 lines): query parsing, evaluation, sorting,
 * RETURN formatting and the traversal share the parsed query and the
 * work budget that bounds them together; each part is small.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"
#include "comparator.h"
#include "dspath.h"
#include "search.h"

/*
 * Datasets one search may expand whatever its budget says (DEPTH 0 on "/"
 * walks everything): a search stopped here is over budget too, never cut
 * short silently.
 */
#define SEARCH_MAX_DATASETS	100000

struct search_key {
	enum search_op op;
	const char *attr;
	const struct comparator *cmp;
	bool reverse;
	bool nil;
	const char *value;
	size_t len;
	uint32_t lo, hi;
	struct search_key *a, *b;
};

struct search_ret {
	const char *attr;	/* the pattern's prefix when pattern */
	size_t len;
	bool pattern;
	enum search_meta *meta;
	size_t nmeta;
};

struct search_sortkey {
	const char *attr;
	const struct comparator *cmp;
	bool reverse;
};

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	max_align_t data[];
};

struct search_query {
	struct arena_block *arena;

	uint32_t depth;
	bool has_depth;
	uint32_t hardlimit;
	bool has_hardlimit;
	uint32_t limit, limit_n;
	bool has_limit;
	bool noinherit, has_noinherit;
	const char *context;
	bool enumerate, notify;

	bool has_return;
	struct search_ret *ret;
	size_t nret, cret;
	bool has_sort;
	struct search_sortkey *sort;
	size_t nsort, csort;

	struct search_key *criteria;
	bool uses_range;

	size_t max_datasets, max_entries;	/* the work budget; 0: none */
};

struct search_row {
	const struct inherit_view *v;
	const struct inherit_entry *e;
};

struct search_refer {
	char *dataset;
	const struct store_str *urls;
	size_t nurls;
	const struct inherit_view *v;	/* keeps urls alive */
};

/* The work a search has done, and may do. */
struct budget {
	size_t datasets, entries;
	size_t max_datasets, max_entries;	/* 0: no limit */
	enum search_overrun over;
};

struct search_result {
	struct search_row *rows;
	size_t nrows, crows;
	size_t total;		/* matches; > nrows for a page (paged()) */
	struct inherit_view **views;
	size_t nviews, cviews;
	struct search_refer *refers;
	size_t nrefers, crefers;
	struct budget budget;
};

/*
 * Charge datasets opened and entries looked at to b (NULL: not counted).
 * Returns false once the budget is spent: the search stops there.
 */
static bool
budget_take(struct budget *b, size_t datasets, size_t entries)
{
	if (b == NULL)
		return true;
	if (b->over != SEARCH_OVER_NONE)
		return false;
	b->datasets += datasets;
	b->entries += entries;
	if (b->datasets > b->max_datasets)
		b->over = SEARCH_OVER_DATASETS;
	else if (b->max_entries != 0 && b->entries > b->max_entries)
		b->over = SEARCH_OVER_ENTRIES;
	return b->over == SEARCH_OVER_NONE;
}

static void *
xrealloc(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		abort();
	p = realloc(p, n * size == 0 ? 1 : n * size);
	if (p == NULL)
		abort();
	return p;
}

/*
 * Capacity doubles from 1: a NOTIFY context keeps its result, usually a
 * row or two, for as long as it lives.
 */
static void
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n;

	if (need <= *cap)
		return;
	n = *cap < 1 ? 1 : *cap;
	while (n < need)
		n *= 2;
	*p = xrealloc(*p, n, size);
	*cap = n;
}

/* ---- The query arena ------------------------------------------------- */

static void *
arena_alloc(struct search_query *q, size_t n)
{
	struct arena_block *b = q->arena;
	size_t align = sizeof(max_align_t), size;
	void *p;

	n = (n + align - 1) / align * align;
	if (b == NULL || b->size - b->used < n) {
		size = n > 2048 ? n : 2048;
		b = xrealloc(NULL, 1, sizeof(*b) + size);
		b->size = size;
		b->used = 0;
		b->next = q->arena;
		q->arena = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

static char *
arena_strdup(struct search_query *q, const char *s, size_t len)
{
	char *p = arena_alloc(q, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/*
 * Where old pointer p (into one of the blocks in old[]) lives in the
 * compacted block: old blocks are copied one after the other, in list
 * order, starting at the offsets in off[].  NULL and pointers outside the
 * old blocks (already moved, or static) are returned as they are.
 */
static void *
arena_reloc(struct arena_block *const *old, const size_t *off, size_t n,
    struct arena_block *nb, const void *p)
{
	const char *c = p;
	size_t i;

	if (p == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *start = (const char *)old[i]->data;

		if (c >= start && c <= start + old[i]->used)
			return (char *)nb->data + off[i] + (size_t)(c - start);
	}
	return (void *)p;
}

/* Relocate the criteria tree below k (already in the new block). */
static void
key_reloc(struct arena_block *const *old, const size_t *off, size_t n,
    struct arena_block *nb, struct search_key *k)
{
	while (k != NULL) {
		k->attr = arena_reloc(old, off, n, nb, k->attr);
		k->value = arena_reloc(old, off, n, nb, k->value);
		k->a = arena_reloc(old, off, n, nb, k->a);
		k->b = arena_reloc(old, off, n, nb, k->b);
		key_reloc(old, off, n, nb, k->a);
		k = k->b;	/* the second branch without recursion */
	}
}

void
search_query_compact(struct search_query *q)
{
	struct arena_block *b, *nb, **old;
	size_t n = 0, total = 0, i, *off;

	for (b = q->arena; b != NULL; b = b->next) {
		n++;
		total += b->used;
	}
	if (n > 1 || (n == 1 && q->arena->used < q->arena->size)) {
		old = xrealloc(NULL, n, sizeof(*old));
		off = xrealloc(NULL, n, sizeof(*off));
		nb = xrealloc(NULL, 1, sizeof(*nb) + total);
		nb->next = NULL;
		nb->size = nb->used = total;
		total = 0;
		for (i = 0, b = q->arena; b != NULL; b = b->next, i++) {
			/* used is a multiple of the alignment: stays aligned */
			old[i] = b;
			off[i] = total;
			memcpy((char *)nb->data + total, b->data, b->used);
			total += b->used;
		}
		q->context = arena_reloc(old, off, n, nb, q->context);
		for (i = 0; i < q->nret; i++) {
			q->ret[i].attr = arena_reloc(old, off, n, nb,
			    q->ret[i].attr);
			q->ret[i].meta = arena_reloc(old, off, n, nb,
			    q->ret[i].meta);
		}
		for (i = 0; i < q->nsort; i++)
			q->sort[i].attr = arena_reloc(old, off, n, nb,
			    q->sort[i].attr);
		q->criteria = arena_reloc(old, off, n, nb, q->criteria);
		key_reloc(old, off, n, nb, q->criteria);
		for (i = 0; i < n; i++)
			free(old[i]);
		free(old);
		free(off);
		q->arena = nb;
	}
	/* the RETURN and SORT arrays, exactly sized */
	if (q->cret > q->nret) {
		q->ret = xrealloc(q->ret, q->nret, sizeof(*q->ret));
		q->cret = q->nret;
	}
	if (q->csort > q->nsort) {
		q->sort = xrealloc(q->sort, q->nsort, sizeof(*q->sort));
		q->csort = q->nsort;
	}
}

size_t
search_query_memory(const struct search_query *q)
{
	const struct arena_block *b;
	size_t n = sizeof(*q) + q->cret * sizeof(*q->ret) +
	    q->csort * sizeof(*q->sort);

	for (b = q->arena; b != NULL; b = b->next)
		n += sizeof(*b) + b->size;
	return n;
}

struct search_query *
search_query_new(void)
{
	struct search_query *q = xrealloc(NULL, 1, sizeof(*q));

	memset(q, 0, sizeof(*q));
	q->depth = 1;
	return q;
}

void
search_query_free(struct search_query **q_r)
{
	struct search_query *q = *q_r;
	struct arena_block *b, *next;

	*q_r = NULL;
	if (q == NULL)
		return;
	for (b = q->arena; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(q->ret);
	free(q->sort);
	free(q);
}

int
search_query_set_depth(struct search_query *q, uint32_t depth)
{
	if (q->has_depth)
		return -1;
	q->has_depth = true;
	q->depth = depth;
	return 0;
}

int
search_query_set_hardlimit(struct search_query *q, uint32_t n)
{
	if (q->has_hardlimit)
		return -1;
	q->has_hardlimit = true;
	q->hardlimit = n;
	return 0;
}

int
search_query_set_limit(struct search_query *q, uint32_t limit, uint32_t n)
{
	if (q->has_limit)
		return -1;
	q->has_limit = true;
	q->limit = limit;
	q->limit_n = n;
	return 0;
}

int
search_query_set_noinherit(struct search_query *q)
{
	if (q->has_noinherit)
		return -1;
	q->has_noinherit = q->noinherit = true;
	return 0;
}

int
search_query_set_makecontext(struct search_query *q, const char *name,
    bool enumerate, bool notify)
{
	if (q->context != NULL)
		return -1;
	q->context = arena_strdup(q, name, strlen(name));
	q->enumerate = enumerate;
	q->notify = notify;
	return 0;
}

int
search_query_begin_return(struct search_query *q)
{
	if (q->has_return)
		return -1;
	q->has_return = true;
	return 0;
}

int
search_query_begin_sort(struct search_query *q)
{
	if (q->has_sort)
		return -1;
	q->has_sort = true;
	return 0;
}

static const struct {
	const char *name;
	enum search_meta meta;
} meta_names[] = {
	{ "attribute", SEARCH_M_ATTRIBUTE },
	{ "value", SEARCH_M_VALUE },
	{ "size", SEARCH_M_SIZE },
	{ "count", SEARCH_M_COUNT },
	{ "myrights", SEARCH_M_MYRIGHTS },
	{ "acl", SEARCH_M_ACL },
};

int
search_query_add_return(struct search_query *q, const char *attr,
    const char *const *meta, size_t nmeta, const char **errstr_r)
{
	static const enum search_meta def_name[] = { SEARCH_M_VALUE };
	static const enum search_meta def_pattern[] = { SEARCH_M_ATTRIBUTE,
	    SEARCH_M_VALUE };
	struct search_ret *r;
	size_t i, j, len = strlen(attr);

	grow((void **)&q->ret, &q->cret, q->nret + 1, sizeof(*q->ret));
	r = &q->ret[q->nret];
	r->pattern = len > 0 && attr[len - 1] == '*';
	if (r->pattern)
		len--;
	r->attr = arena_strdup(q, attr, len);
	r->len = len;
	if (nmeta == 0) {
		meta = NULL;
		nmeta = r->pattern ? 2 : 1;
		r->meta = arena_alloc(q, nmeta * sizeof(*r->meta));
		memcpy(r->meta, r->pattern ? def_pattern : def_name,
		    nmeta * sizeof(*r->meta));
	} else {
		r->meta = arena_alloc(q, nmeta * sizeof(*r->meta));
		for (i = 0; i < nmeta; i++) {
			for (j = 0; j < sizeof(meta_names) /
			    sizeof(meta_names[0]); j++)
				if (strcmp(meta[i], meta_names[j].name) == 0)
					break;
			if (j == sizeof(meta_names) / sizeof(meta_names[0])) {
				/* §3.1.2: unrecognised metadata is BAD */
				*errstr_r = "unknown metadata item in RETURN";
				return -1;
			}
			r->meta[i] = meta_names[j].meta;
		}
	}
	r->nmeta = nmeta;
	q->nret++;
	return 0;
}

int
search_query_add_sort(struct search_query *q, const char *attr,
    const char *comparator, const char **errstr_r)
{
	const struct comparator *cmp;
	bool reverse = false;

	if ((cmp = comparator_lookup(comparator, &reverse)) == NULL) {
		*errstr_r = "unknown comparator";
		return -1;
	}
	if (!(comparator_ops(cmp) & COMPARATOR_OP_ORDER)) {
		*errstr_r = "comparator cannot order";
		return -1;
	}
	grow((void **)&q->sort, &q->csort, q->nsort + 1, sizeof(*q->sort));
	q->sort[q->nsort].attr = arena_strdup(q, attr, strlen(attr));
	q->sort[q->nsort].cmp = cmp;
	q->sort[q->nsort].reverse = reverse;
	q->nsort++;
	return 0;
}

static struct search_key *
key_new(struct search_query *q, enum search_op op)
{
	struct search_key *k = arena_alloc(q, sizeof(*k));

	k->op = op;
	return k;
}

struct search_key *
search_key_match(struct search_query *q, enum search_op op, const char *attr,
    const char *comparator, const char *value, size_t len, bool nil,
    const char **errstr_r)
{
	const struct comparator *cmp;
	struct search_key *k;
	unsigned int need;
	bool reverse = false;

	switch (op) {
	case SEARCH_EQUAL:
		need = COMPARATOR_OP_EQUAL;
		break;
	case SEARCH_COMPARE:
	case SEARCH_COMPARESTRICT:
		need = COMPARATOR_OP_ORDER;
		break;
	case SEARCH_PREFIX:
		need = COMPARATOR_OP_PREFIX;
		break;
	case SEARCH_SUBSTRING:
		need = COMPARATOR_OP_SUBSTRING;
		break;
	default:
		*errstr_r = "not a comparison";
		return NULL;
	}
	if ((cmp = comparator_lookup(comparator, &reverse)) == NULL) {
		*errstr_r = "unknown comparator";
		return NULL;
	}
	if (!(comparator_ops(cmp) & need)) {
		*errstr_r = "comparator does not support this operation";
		return NULL;
	}
	if (nil && op != SEARCH_EQUAL) {
		*errstr_r = "NIL is only allowed with EQUAL";
		return NULL;
	}
	k = key_new(q, op);
	k->attr = arena_strdup(q, attr, strlen(attr));
	k->cmp = cmp;
	k->reverse = reverse;
	k->nil = nil;
	if (!nil) {
		k->value = arena_strdup(q, value, len);
		k->len = len;
	}
	return k;
}

struct search_key *
search_key_all(struct search_query *q)
{
	return key_new(q, SEARCH_ALL);
}

struct search_key *
search_key_not(struct search_query *q, struct search_key *a)
{
	struct search_key *k = key_new(q, SEARCH_NOT);

	k->a = a;
	return k;
}

struct search_key *
search_key_logic(struct search_query *q, enum search_op op,
    struct search_key *a, struct search_key *b)
{
	struct search_key *k = key_new(q, op == SEARCH_OR ? SEARCH_OR :
	    SEARCH_AND);

	k->a = a;
	k->b = b;
	return k;
}

struct search_key *
search_key_range(struct search_query *q, uint32_t lo, uint32_t hi,
    const char *time)
{
	struct search_key *k = key_new(q, SEARCH_RANGE);

	k->lo = lo;
	k->hi = hi;
	k->value = arena_strdup(q, time, strlen(time));
	k->len = strlen(time);
	q->uses_range = true;
	return k;
}

void
search_query_set_criteria(struct search_query *q, struct search_key *k)
{
	q->criteria = k;
}

uint32_t
search_query_depth(const struct search_query *q)
{
	return q->depth;
}

bool
search_query_hardlimit(const struct search_query *q, uint32_t *n_r)
{
	*n_r = q->hardlimit;
	return q->has_hardlimit;
}

bool
search_query_limit(const struct search_query *q, uint32_t *limit_r,
    uint32_t *n_r)
{
	*limit_r = q->limit;
	*n_r = q->limit_n;
	return q->has_limit;
}

bool
search_query_noinherit(const struct search_query *q)
{
	return q->noinherit;
}

bool
search_query_has_return(const struct search_query *q)
{
	return q->has_return;
}

const char *
search_query_makecontext(const struct search_query *q, bool *enumerate_r,
    bool *notify_r)
{
	*enumerate_r = q->enumerate;
	*notify_r = q->notify;
	return q->context;
}

bool
search_query_uses_range(const struct search_query *q)
{
	return q->uses_range;
}

void
search_query_set_budget(struct search_query *q, size_t max_datasets,
    size_t max_entries)
{
	q->max_datasets = max_datasets;
	q->max_entries = max_entries;
}

/* ---- Rights ------------------------------------------------------------- */

static unsigned int
rights_for(const struct search_access *acc, const struct inherit_view *v,
    const struct inherit_entry *e, const struct inherit_attr *ia,
    const char *attr)
{
	const struct store_str *acl;
	const char *path;
	size_t n;
	unsigned int layer = e->layer;

	if (acc == NULL || acc->rights == NULL)
		return SEARCH_R_ALL;
	inherit_acl(v, e, attr, &acl, &n);
	if (ia != NULL && ia->a.kind != STORE_V_NIL)
		layer = ia->layer;
	if ((path = inherit_view_layer_path(v, layer)) == NULL)
		path = inherit_view_path(v);
	return acc->rights(acc->arg, path, acl, n);
}

bool
search_visible(const struct search_access *acc, const struct inherit_view *v,
    const struct inherit_entry *e)
{
	struct inherit_tmp tmp;

	if (acc == NULL || acc->rights == NULL)
		return true;
	return (rights_for(acc, v, e, inherit_entry_get(e, "entry", &tmp),
	    "entry") & SEARCH_R_READ) != 0;
}

/* The attribute if it has a value the caller may use, else NULL. */
static const struct inherit_attr *
readable(const struct search_access *acc, const struct inherit_view *v,
    const struct inherit_entry *e, const char *attr, unsigned int need,
    struct inherit_tmp *tmp)
{
	const struct inherit_attr *ia = inherit_entry_get(e, attr, tmp);

	if (ia == NULL || ia->a.kind == STORE_V_NIL)
		return NULL;
	if (acc != NULL && acc->rights != NULL &&
	    !(rights_for(acc, v, e, ia, attr) & need))
		return NULL;
	return ia;
}

/* ---- Matching ------------------------------------------------------------ */

static bool
key_match(const struct search_key *k, const struct search_access *acc,
    const struct inherit_view *v, const struct inherit_entry *e,
    uint32_t position)
{
	const struct inherit_attr *ia;
	struct inherit_tmp tmp;
	const struct store_str *s;
	unsigned int need = SEARCH_R_READ;
	size_t i;
	int c;

	switch (k->op) {
	case SEARCH_ALL:
		return true;
	case SEARCH_NOT:
		return !key_match(k->a, acc, v, e, position);
	case SEARCH_AND:
		return key_match(k->a, acc, v, e, position) &&
		    key_match(k->b, acc, v, e, position);
	case SEARCH_OR:
		return key_match(k->a, acc, v, e, position) ||
		    key_match(k->b, acc, v, e, position);
	case SEARCH_RANGE:
		return position != 0 && position >= k->lo &&
		    position <= k->hi;
	default:
		break;
	}
	/* §3.5: x allows EQUAL with i;octet, r everything else */
	if (k->op == SEARCH_EQUAL &&
	    strcmp(comparator_name(k->cmp), "i;octet") == 0)
		need = SEARCH_R_READ | SEARCH_R_SEARCH;
	ia = readable(acc, v, e, k->attr, need, &tmp);
	if (ia == NULL)
		return k->op == SEARCH_EQUAL && k->nil;
	if (k->nil)
		return false;
	if (k->op == SEARCH_COMPARE || k->op == SEARCH_COMPARESTRICT) {
		if (ia->a.kind != STORE_V_SINGLE)
			return false;	/* undefined order (§3.4) */
		s = &ia->a.values[0];
		c = comparator_order(k->cmp, s->s, s->len, k->value, k->len);
		if (k->reverse)
			c = -c;
		return k->op == SEARCH_COMPARE ? c >= 0 : c > 0;
	}
	/* a multi-value matches when any one value does (§3.4) */
	for (i = 0; i < ia->a.nvalues; i++) {
		s = &ia->a.values[i];
		switch (k->op) {
		case SEARCH_EQUAL:
			if (comparator_equal(k->cmp, s->s, s->len, k->value,
			    k->len))
				return true;
			break;
		case SEARCH_PREFIX:
			if (comparator_prefix(k->cmp, s->s, s->len, k->value,
			    k->len))
				return true;
			break;
		case SEARCH_SUBSTRING:
			if (comparator_substring(k->cmp, s->s, s->len,
			    k->value, k->len))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

bool
search_match(const struct search_query *q, const struct search_access *acc,
    const struct inherit_view *v, const struct inherit_entry *e,
    uint32_t position)
{
	if (q->criteria == NULL)
		return true;
	return key_match(q->criteria, acc, v, e, position);
}

/* ---- Sorting ---------------------------------------------------------- */

int
search_compare(const struct search_query *q, const struct search_access *acc,
    const struct inherit_view *va, const struct inherit_entry *ea,
    const struct inherit_view *vb, const struct inherit_entry *eb)
{
	const struct inherit_attr *a, *b;
	struct inherit_tmp ta, tb;
	size_t i;
	int c;

	for (i = 0; i < q->nsort; i++) {
		a = readable(acc, va, ea, q->sort[i].attr, SEARCH_R_READ, &ta);
		b = readable(acc, vb, eb, q->sort[i].attr, SEARCH_R_READ, &tb);
		if (a != NULL && a->a.kind != STORE_V_SINGLE)
			a = NULL;
		if (b != NULL && b->a.kind != STORE_V_SINGLE)
			b = NULL;
		/* NIL and multi-values sort last in either direction */
		if (a == NULL || b == NULL) {
			if (a == NULL && b == NULL)
				continue;
			return a == NULL ? 1 : -1;
		}
		c = comparator_order(q->sort[i].cmp, a->a.values[0].s,
		    a->a.values[0].len, b->a.values[0].s, b->a.values[0].len);
		if (q->sort[i].reverse)
			c = -c;
		if (c != 0)
			return c;
	}
	return 0;
}

/* Stable merge sort of rows by search_compare(). */
static void
sort_rows(const struct search_query *q, const struct search_access *acc,
    struct search_row *rows, size_t n)
{
	struct search_row *tmp;
	size_t width, lo, mid, hi, i, j, k;

	if (q->nsort == 0 || n < 2)
		return;
	tmp = xrealloc(NULL, n, sizeof(*tmp));
	for (width = 1; width < n; width *= 2) {
		for (lo = 0; lo < n; lo += 2 * width) {
			mid = lo + width < n ? lo + width : n;
			hi = lo + 2 * width < n ? lo + 2 * width : n;
			i = lo;
			j = mid;
			k = lo;
			while (i < mid && j < hi) {
				if (search_compare(q, acc, rows[j].v, rows[j].e,
				    rows[i].v, rows[i].e) < 0)
					tmp[k++] = rows[j++];
				else
					tmp[k++] = rows[i++];
			}
			while (i < mid)
				tmp[k++] = rows[i++];
			while (j < hi)
				tmp[k++] = rows[j++];
		}
		memcpy(rows, tmp, n * sizeof(*rows));
	}
	free(tmp);
}

/* ---- RETURN formatting (§6.4.2) ---------------------------------------- */

static void
add_rights(struct acap_buf *out, unsigned int rights)
{
	static const char letters[] = "xrwia";
	char buf[8];
	size_t i, n = 0;

	for (i = 0; i < 5; i++)
		if (rights & (1u << i))
			buf[n++] = letters[i];
	acap_buf_add_string(out, buf, n);
}

static void
add_strlist(struct acap_buf *out, const struct store_str *v, size_t n)
{
	size_t i;

	acap_buf_addch(out, '(');
	for (i = 0; i < n; i++) {
		if (i > 0)
			acap_buf_addch(out, ' ');
		acap_buf_add_string(out, v[i].s, v[i].len);
	}
	acap_buf_addch(out, ')');
}

/* One metadata item of one attribute. */
static void
add_meta(struct acap_buf *out, enum search_meta m, const char *attr,
    const struct inherit_attr *ia, unsigned int rights)
{
	bool r = (rights & SEARCH_R_READ) != 0;
	bool has = ia != NULL && ia->a.kind != STORE_V_NIL && r;
	size_t i;

	switch (m) {
	case SEARCH_M_ATTRIBUTE:
		acap_buf_add_cstring(out, attr);
		break;
	case SEARCH_M_VALUE:
		if (!has)
			acap_buf_addstr(out, "NIL");
		else if (ia->a.kind == STORE_V_SINGLE)
			acap_buf_add_string(out, ia->a.values[0].s,
			    ia->a.values[0].len);
		else
			add_strlist(out, ia->a.values, ia->a.nvalues);
		break;
	case SEARCH_M_SIZE:
		/* ACAP-NOTES §7: a bare number, or a list of them */
		if (!has) {
			acap_buf_addstr(out, "NIL");
		} else if (ia->a.kind == STORE_V_SINGLE) {
			acap_buf_printf(out, "%zu", ia->a.values[0].len);
		} else {
			acap_buf_addch(out, '(');
			for (i = 0; i < ia->a.nvalues; i++)
				acap_buf_printf(out, i > 0 ? " %zu" : "%zu",
				    ia->a.values[i].len);
			acap_buf_addch(out, ')');
		}
		break;
	case SEARCH_M_COUNT:
		if (!r)
			acap_buf_addstr(out, "NIL");
		else
			acap_buf_printf(out, "%zu", !has ? (size_t)0 :
			    ia->a.kind == STORE_V_SINGLE ? (size_t)1 :
			    ia->a.nvalues);
		break;
	case SEARCH_M_MYRIGHTS:
		add_rights(out, rights);
		break;
	case SEARCH_M_ACL:
		if (!r || ia == NULL || ia->a.acl == NULL)
			acap_buf_addstr(out, "NIL");
		else
			add_strlist(out, ia->a.acl, ia->a.nacl);
		break;
	}
}

/* An attribute's metadata: bare when one item, else a list. */
static void
add_attr(struct acap_buf *out, const struct search_ret *r, const char *attr,
    const struct inherit_attr *ia, unsigned int rights)
{
	size_t i;

	if (r->nmeta == 1) {
		add_meta(out, r->meta[0], attr, ia, rights);
		return;
	}
	acap_buf_addch(out, '(');
	for (i = 0; i < r->nmeta; i++) {
		if (i > 0)
			acap_buf_addch(out, ' ');
		add_meta(out, r->meta[i], attr, ia, rights);
	}
	acap_buf_addch(out, ')');
}

static bool
needs_rights(const struct search_ret *r)
{
	size_t i;

	for (i = 0; i < r->nmeta; i++)
		if (r->meta[i] != SEARCH_M_ATTRIBUTE)
			return true;
	return false;
}

/* A pattern's matches, grouped: "entry", "modtime", then stored names. */
static void
add_pattern(struct acap_buf *out, const struct search_ret *r,
    const struct search_access *acc, const struct inherit_view *v,
    const struct inherit_entry *e)
{
	static const char *const computed[] = { "entry", "modtime" };
	const struct inherit_attr *ia;
	struct inherit_tmp tmp;
	unsigned int rights;
	bool first = true;
	size_t i;

	acap_buf_addch(out, '(');
	for (i = 0; i < 2 + e->nattrs; i++) {
		if (i < 2) {
			if (strncmp(computed[i], r->attr, r->len) != 0)
				continue;
			ia = inherit_entry_get(e, computed[i], &tmp);
		} else {
			ia = &e->attrs[i - 2];
			if (ia->a.kind == STORE_V_NIL ||
			    strcmp(ia->a.name, "entry") == 0 ||
			    strcmp(ia->a.name, "modtime") == 0 ||
			    strncmp(ia->a.name, r->attr, r->len) != 0)
				continue;
		}
		rights = rights_for(acc, v, e, ia, ia->a.name);
		if (!(rights & SEARCH_R_READ))
			continue;	/* unreadable: not listed */
		if (!first)
			acap_buf_addch(out, ' ');
		first = false;
		add_attr(out, r, ia->a.name, ia, rights);
	}
	acap_buf_addch(out, ')');
}

void
search_format_entry(struct acap_buf *out, const struct search_query *q,
    const struct search_access *acc, const struct inherit_view *v,
    const struct inherit_entry *e)
{
	const struct search_ret *r;
	const struct inherit_attr *ia;
	struct inherit_tmp tmp;
	struct acap_buf path = ACAP_BUF_INIT;
	unsigned int rights;
	size_t i;

	if (q->has_depth) {
		/*
		 * §6.4.2: the entry name only for a SEARCH without the DEPTH
		 * modifier, the entry path in every other case (DEPTH 1
		 * included).
		 */
		acap_buf_addstr(&path, inherit_view_path(v));
		acap_buf_addstr(&path, e->name);
		acap_buf_add_string(out, path.data, path.len);
		acap_buf_deinit(&path);
	} else {
		acap_buf_add_cstring(out, e->name);
	}
	for (i = 0; i < q->nret; i++) {
		r = &q->ret[i];
		acap_buf_addch(out, ' ');
		if (r->pattern) {
			add_pattern(out, r, acc, v, e);
			continue;
		}
		ia = inherit_entry_get(e, r->attr, &tmp);
		rights = needs_rights(r) ?
		    rights_for(acc, v, e, ia, r->attr) : 0;
		add_attr(out, r, r->attr, ia, rights);
	}
}

/* ---- Running ------------------------------------------------------------ */

static void
add_refer(struct search_result *res, const char *dataset,
    const struct inherit_view *v, const struct inherit_attr *sub)
{
	struct search_refer *r;

	grow((void **)&res->refers, &res->crefers, res->nrefers + 1,
	    sizeof(*res->refers));
	r = &res->refers[res->nrefers++];
	r->dataset = strdup(dataset);
	if (r->dataset == NULL)
		abort();
	r->urls = sub->a.values;
	r->nurls = sub->a.nvalues;
	r->v = v;
}

/*
 * The listings "/" and "/<class>/" (store-snap.c) give their entries no ACL
 * that says anything about the caller: whether such an entry may be seen
 * depends on the dataset it names.
 */
static bool
is_listing(const struct inherit_view *v)
{
	const char *path = inherit_view_path(v), *slash;

	if (!inherit_view_is_directory(v) || path[0] != '/')
		return false;
	if (path[1] == '\0')
		return true;
	slash = strchr(path + 1, '/');
	return slash != NULL && slash[1] == '\0' &&
	    strcmp(path, "/byowner/") != 0;
}

static bool dataset_readable(struct store *, bool,
    const struct search_access *, const struct inherit_view *,
    struct budget *);

/*
 * search_visible(), and for an entry of a listing, whether the caller
 * can read the dataset it names (recursively: "/" -> "/<class>/" ->
 * "/<class>/<kind>/", whose entries carry their datasets' ACLs).
 */
static bool
entry_visible(struct store *st, const struct search_access *acc,
    const struct inherit_view *v, const struct inherit_entry *e,
    struct budget *b)
{
	struct inherit_view *child = NULL;
	struct acap_buf path = ACAP_BUF_INIT;
	bool ok;

	if (!search_visible(acc, v, e))
		return false;
	if (acc == NULL || acc->rights == NULL || !is_listing(v))
		return true;
	acap_buf_addstr(&path, inherit_view_path(v));
	acap_buf_addstr(&path, e->name);
	acap_buf_addch(&path, '/');
	ok = budget_take(b, 1, 0) &&
	    inherit_view_open(st, path.data, 0, &child) == STORE_OK &&
	    dataset_readable(st, false, acc, child, b);
	inherit_view_free(&child);
	acap_buf_deinit(&path);
	return ok;
}

/*
 * Whether the caller can read dataset v at all (doc/acl.md "Reading a
 * dataset"): r on "entry" by the dataset-level ACL (dataset.acl.entry,
 * else dataset.acl, of the first stored layer, implicit rights included)
 * or at least one entry it may see, inherited ones included even under
 * NOINHERIT (v opened with noinherit), so that a modifier cannot change
 * the answer.  A dataset that fails this must look exactly like a
 * missing one (RFC 2244 §3.5).
 */
static bool
dataset_readable(struct store *st, bool noinherit,
    const struct search_access *acc, const struct inherit_view *v,
    struct budget *b)
{
	struct inherit_view *full = NULL;
	const struct inherit_entry *ents;
	const struct store_str *acl;
	const char *path;
	size_t n, i;
	bool ok = false;

	if (acc == NULL || acc->rights == NULL)
		return true;
	inherit_dataset_acl(v, "entry", &acl, &n, &path);
	if (!is_listing(v) &&
	    (acc->rights(acc->arg, path, acl, n) & SEARCH_R_READ))
		return true;
	/* a view read for one entry (pinned_entry()) has not the others */
	if ((noinherit || inherit_view_entry_only(v)) &&
	    inherit_view_open(st, inherit_view_path(v), 0, &full) == STORE_OK)
		v = full;
	ents = inherit_view_entries(v, &n);
	for (i = 0; i < n && !ok && budget_take(b, 0, 1); i++)
		ok = entry_visible(st, acc, v, &ents[i], b);
	inherit_view_free(&full);
	return ok;
}

/*
 * The entry name a search's criteria pin down, when they are just EQUAL
 * "entry" "i;octet" <name> (acapctl's read of one registry entry), the
 * search makes no context and level is its last: then only that entry
 * can match and only it (and "") is read, one lookup per layer instead
 * of every entry of the dataset (a registry of 100,000 users is over the
 * work budget).  NULL otherwise.
 */
static const char *
pinned_entry(const struct search_query *q, uint32_t level)
{
	const struct search_key *k = q->criteria;

	if (k == NULL || k->op != SEARCH_EQUAL || k->nil || k->reverse ||
	    strcmp(k->attr, "entry") != 0 ||
	    strcmp(comparator_name(k->cmp), "i;octet") != 0 ||
	    k->value == NULL || strlen(k->value) != k->len ||
	    q->context != NULL || q->notify || q->enumerate ||
	    q->depth == 0 || level < q->depth)
		return NULL;
	return k->value;
}

/*
 * Paging (doc/protocol-notes.md "Paging"): the entry name after which a
 * search's answer starts, when the search is one page of a dataset read
 * in name order,
 *     SEARCH <dataset> [DEPTH 1] [NOINHERIT] RETURN (...)
 *         SORT ("entry" "i;octet") LIMIT <n> <m>
 *         { ALL | COMPARESTRICT "entry" "i;octet" <last name> }
 * (comparators "i;octet" or "+i;octet"; m <= n), made by a caller who
 * has every right whatever the ACLs (an admin): then the matches are
 * exactly the dataset's entries ("" for ALL) named after the bound, and
 * the answer (§6.4.1: the first m of them in SORT order, and TOOMANY
 * with their number when there are more than n) needs only the first
 * n of them read in name order and their number, which the store gives
 * through its (dataset, name) index: the work is the page's, whatever
 * the dataset's size.  "" for ALL; NULL when the search is not a page.
 * *max_r is n.  A dataset this cannot serve (it inherits, a directory)
 * is read whole as always (run_dataset()).
 */
static const char *
page_after(const struct search_query *q, const struct search_access *acc,
    uint32_t level, size_t *max_r)
{
	const struct search_key *k = q->criteria;

	if (acc != NULL && acc->rights != NULL && !acc->all)
		return NULL;
	if (level != 1 || q->depth != 1 || q->context != NULL ||
	    q->uses_range || !q->has_limit || q->limit == 0 ||
	    q->limit_n > q->limit || q->nsort != 1 ||
	    strcmp(q->sort[0].attr, "entry") != 0 || q->sort[0].reverse ||
	    strcmp(comparator_name(q->sort[0].cmp), "i;octet") != 0 ||
	    k == NULL)
		return NULL;
	*max_r = q->limit;
	if (k->op == SEARCH_ALL)
		return "";
	/* §3.4: "+" (or none) is the normal order; "later" is greater */
	if (k->op != SEARCH_COMPARESTRICT || k->nil || k->reverse ||
	    strcmp(k->attr, "entry") != 0 ||
	    strcmp(comparator_name(k->cmp), "i;octet") != 0 ||
	    k->value == NULL || strlen(k->value) != k->len)
		return NULL;
	return k->value;
}

static enum store_err
run_dataset(struct store *st, const char *path, const struct search_query *q,
    const struct search_access *acc, struct search_result *res,
    uint32_t level)
{
	const char *only = pinned_entry(q, level);
	const char *after;
	size_t max = 0;
	uint64_t total = 0;
	bool page = false;
	struct inherit_view *v = NULL;
	const struct inherit_entry *ents, *e;
	const struct inherit_attr *sub;
	struct inherit_tmp tmp;
	struct acap_buf child = ACAP_BUF_INIT;
	enum store_err r;
	char *canon;
	size_t n, i, j;
	bool dot;

	/*
	 * Each dataset is reached once through its parent; a virtual copy
	 * that would contain itself is not followed (inherit.c), and the
	 * level cap (dspath's component limit) and the budget stop the rest.
	 */
	if (level > DSPATH_MAX_DEPTH || !budget_take(&res->budget, 1, 0))
		return STORE_OK;
	if (only == NULL && (after = page_after(q, acc, level, &max)) != NULL) {
		r = inherit_view_open_range(st, path, after, max,
		    q->noinherit ? INHERIT_F_NOINHERIT : 0, &v, &total);
		page = r == STORE_OK;
		if (r == STORE_EINVALID || r == STORE_ENOEXIST)
			r = STORE_OK;	/* not a page: read it whole */
		if (r != STORE_OK)
			return r;
	}
	if (page)
		r = STORE_OK;
	else if (only != NULL)
		r = inherit_view_open_entry(st, path, only,
		    q->noinherit ? INHERIT_F_NOINHERIT : 0, &v);
	else
		r = inherit_view_open(st, path, q->noinherit ?
		    INHERIT_F_NOINHERIT : 0, &v);
	if (r != STORE_OK)
		return r;
	grow((void **)&res->views, &res->cviews, res->nviews + 1,
	    sizeof(*res->views));
	res->views[res->nviews++] = v;
	ents = inherit_view_entries(v, &n);
	if (only != NULL) {
		/* only it can match (the view holds them all when cached) */
		ents = inherit_view_find(v, only);
		n = ents != NULL ? 1 : 0;
	}
	if (!budget_take(&res->budget, 0, n))
		return STORE_OK;
	for (i = 0; i < n; i++) {
		e = &ents[i];
		if (!entry_visible(st, acc, v, e, &res->budget) ||
		    !search_match(q, acc, v, e, 0))
			continue;
		grow((void **)&res->rows, &res->crows, res->nrows + 1,
		    sizeof(*res->rows));
		res->rows[res->nrows].v = v;
		res->rows[res->nrows].e = e;
		res->nrows++;
	}
	if (page) {
		/*
		 * Every entry after the bound matches (see page_after()):
		 * the page's rows are the first of them, and the matches
		 * are all of them, plus "" when ALL matched it.
		 */
		res->total = (size_t)total + (res->nrows > 0 &&
		    res->rows[0].e->name[0] == '\0' ? 1 : 0);
		if (res->total < res->nrows)
			res->total = res->nrows;
	}
	if (q->depth != 0 && level >= q->depth)
		return STORE_OK;
	/* DEPTH: follow each visible entry's subdataset */
	for (i = 0; i < n && res->budget.over == SEARCH_OVER_NONE; i++) {
		e = &ents[i];
		if (!entry_visible(st, acc, v, e, &res->budget) ||
		    (sub = readable(acc, v, e, "subdataset", SEARCH_R_READ,
		    &tmp)) == NULL || sub->a.kind != STORE_V_MULTI)
			continue;
		acap_buf_reset(&child);
		acap_buf_addstr(&child, inherit_view_path(v));
		acap_buf_addstr(&child, e->name);
		acap_buf_addch(&child, '/');
		dot = false;
		for (j = 0; j < sub->a.nvalues; j++)
			if (sub->a.values[j].len == 1 &&
			    sub->a.values[j].s[0] == '.')
				dot = true;
		if (!dot) {
			add_refer(res, child.data, v, sub);
			continue;
		}
		/* "/byowner/<owner>/<class>/" is "/<class>/<owner>/" */
		canon = dspath_canonical(child.data, child.len, NULL);
		if (canon == NULL)
			continue;
		r = run_dataset(st, canon, q, acc, res, level + 1);
		free(canon);
		if (r == STORE_ENOEXIST)
			r = STORE_OK;	/* gone, or not readable */
		if (r != STORE_OK)
			break;
	}
	acap_buf_deinit(&child);
	return r;
}

enum store_err
search_run(struct store *st, const char *path, const struct search_query *q,
    const struct search_access *acc, struct search_result **res_r)
{
	struct search_result *res;
	struct budget check;
	enum store_err r;

	*res_r = NULL;
	res = xrealloc(NULL, 1, sizeof(*res));
	memset(res, 0, sizeof(*res));
	res->budget.max_datasets = q->max_datasets != 0 &&
	    q->max_datasets < SEARCH_MAX_DATASETS ? q->max_datasets :
	    SEARCH_MAX_DATASETS;
	res->budget.max_entries = q->max_entries;
	check = res->budget;
	store_read_begin(st);
	r = run_dataset(st, path, q, acc, res, 1);
	/*
	 * Unreadable looks like missing: no rows, no REFER, NOEXIST.  With
	 * a budget of its own, so that running out of it says nothing about
	 * a dataset the caller cannot read (that one is NOEXIST).
	 */
	if (r == STORE_OK && res->nviews > 0 &&
	    !dataset_readable(st, q->noinherit, acc, res->views[0], &check))
		r = STORE_ENOEXIST;
	store_read_end(st);
	if (r != STORE_OK) {
		search_result_free(&res);
		return r;
	}
	if (res->budget.over != SEARCH_OVER_NONE) {
		/* incomplete: the caller answers NO, so no sorting */
		*res_r = res;
		return STORE_OK;
	}
	sort_rows(q, acc, res->rows, res->nrows);
	if (res->total < res->nrows)
		res->total = res->nrows;
	*res_r = res;
	return STORE_OK;
}

struct search_result *
search_refine(size_t nrows,
    void (*row)(const void *arg, size_t i, const struct inherit_view **v_r,
    const struct inherit_entry **e_r), const void *arg,
    const struct search_query *q, const struct search_access *acc,
    bool enumerated)
{
	struct search_result *res;
	const struct inherit_view *v;
	const struct inherit_entry *e;
	size_t i;

	res = xrealloc(NULL, 1, sizeof(*res));
	memset(res, 0, sizeof(*res));
	for (i = 0; i < nrows; i++) {
		row(arg, i, &v, &e);
		if (!search_visible(acc, v, e) || !search_match(q, acc, v, e,
		    enumerated ? (uint32_t)(i + 1) : 0))
			continue;
		grow((void **)&res->rows, &res->crows, res->nrows + 1,
		    sizeof(*res->rows));
		res->rows[res->nrows].v = v;
		res->rows[res->nrows].e = e;
		res->nrows++;
		/* keep the view alive (only its refcount changes) */
		grow((void **)&res->views, &res->cviews, res->nviews + 1,
		    sizeof(*res->views));
		inherit_view_ref((struct inherit_view *)v);
		res->views[res->nviews++] = (struct inherit_view *)v;
	}
	sort_rows(q, acc, res->rows, res->nrows);
	res->total = res->nrows;
	return res;
}

void
search_result_free(struct search_result **res_r)
{
	struct search_result *res = *res_r;
	size_t i;

	*res_r = NULL;
	if (res == NULL)
		return;
	for (i = 0; i < res->nviews; i++)
		inherit_view_free(&res->views[i]);
	for (i = 0; i < res->nrefers; i++)
		free(res->refers[i].dataset);
	free(res->views);
	free(res->refers);
	free(res->rows);
	free(res);
}

bool
search_limits(const struct search_query *q, size_t count, size_t *nsend_r,
    bool *toomany_r)
{
	*nsend_r = count;
	*toomany_r = false;
	if (q->has_hardlimit && count > q->hardlimit)
		return false;
	if (q->has_limit && count > q->limit) {
		*toomany_r = true;
		if (q->limit_n < count)
			*nsend_r = q->limit_n;
	}
	return true;
}

size_t
search_result_count(const struct search_result *res)
{
	return res->nrows;
}

size_t
search_result_matches(const struct search_result *res)
{
	return res->total > res->nrows ? res->total : res->nrows;
}

void
search_result_row(const struct search_result *res, size_t i,
    const struct inherit_view **v_r, const struct inherit_entry **e_r)
{
	*v_r = res->rows[i].v;
	*e_r = res->rows[i].e;
}

size_t
search_result_refer_count(const struct search_result *res)
{
	return res->nrefers;
}

void
search_result_refer(const struct search_result *res, size_t i,
    const char **dataset_r, const struct store_str **urls_r, size_t *n_r)
{
	*dataset_r = res->refers[i].dataset;
	*urls_r = res->refers[i].urls;
	*n_r = res->refers[i].nurls;
}

bool
search_dataset_readable(struct store *st, const struct search_access *acc,
    const struct inherit_view *v)
{
	return dataset_readable(st, false, acc, v, NULL);
}

enum search_overrun
search_result_overrun(const struct search_result *res, size_t *limit_r)
{
	*limit_r = res->budget.over == SEARCH_OVER_DATASETS ?
	    res->budget.max_datasets : res->budget.max_entries;
	return res->budget.over;
}

bool
search_query_has_depth(const struct search_query *q)
{
	return q->has_depth;
}
