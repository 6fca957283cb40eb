/*
 * search.h -- SEARCH evaluation (RFC 2244 §6.4): the parsed query (search
 * modifiers and criteria), matching, sorting and RETURN formatting as
 * pure functions over effective entries (inherit.h), plus the traversal
 * that produces an ordered result set.
 *
 * Owns: queries (built by cmd-search.c from the wire arguments; a context
 * may keep one) and result sets (which hold their views, so a context can
 * keep the ordered rows).  Never touches SQL or sockets.
 */
#ifndef SEARCH_H
#define SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inherit.h"
#include "store.h"

struct acap_buf;
struct search_key;
struct search_query;
struct search_result;

/* ---- Access control hook -------------------------------------------- */

/* Rights bits, the same values as acl.h's ACL_R_*. */
#define SEARCH_R_SEARCH	0x01	/* x */
#define SEARCH_R_READ	0x02	/* r */
#define SEARCH_R_WRITE	0x04	/* w */
#define SEARCH_R_INSERT	0x08	/* i */
#define SEARCH_R_ADMIN	0x10	/* a */
#define SEARCH_R_ALL	0x1f

/*
 * How a search asks for the caller's rights.  rights() gets the ACL that
 * governs an attribute (found by inherit_acl(): attribute acl, else
 * dataset.acl.<attr>, else dataset.acl; NULL/0 when there is none) and
 * the canonical path of the dataset it came from; it returns SEARCH_R_*
 * bits.  A NULL access (or a NULL rights) grants everything.
 * Entries need r on "entry" to be seen at all (§3.5); attributes need r
 * to be matched, sorted or returned, except that EQUAL with i;octet only
 * needs x.  Unreadable attributes behave as NIL.
 */
struct search_access {
	unsigned int (*rights)(void *arg, const char *dataset,
	    const struct store_str *acl, size_t nacl);
	void *arg;
	bool all;	/* rights() grants everything whatever the ACL (an
			   admin): a SEARCH may then page (search.c) */
};

/* ---- Queries ---------------------------------------------------------- */

enum search_op {
	SEARCH_ALL,
	SEARCH_NOT,
	SEARCH_AND,
	SEARCH_OR,
	SEARCH_EQUAL,
	SEARCH_COMPARE,
	SEARCH_COMPARESTRICT,
	SEARCH_PREFIX,
	SEARCH_SUBSTRING,
	SEARCH_RANGE,
};

/* Metadata items of RETURN (RFC 2244 §3.1.2; "count": ACAP-NOTES §7). */
enum search_meta {
	SEARCH_M_ATTRIBUTE,
	SEARCH_M_VALUE,
	SEARCH_M_SIZE,
	SEARCH_M_COUNT,
	SEARCH_M_MYRIGHTS,
	SEARCH_M_ACL,
};

/*
 * A new, empty query: DEPTH 1, no limits, no RETURN (no ENTRY responses),
 * no SORT, criteria unset.  Everything added is copied into the query.
 */
struct search_query *search_query_new(void);
void search_query_free(struct search_query **q_r);	/* sets NULL */

/*
 * Modifiers.  Each returns 0, or -1 when the modifier was already given
 * (RFC 2244 §6.4.1: each at most once; the caller answers BAD).
 */
int search_query_set_depth(struct search_query *q, uint32_t depth);
int search_query_set_hardlimit(struct search_query *q, uint32_t n);
int search_query_set_limit(struct search_query *q, uint32_t limit,
    uint32_t n);
int search_query_set_noinherit(struct search_query *q);
/* MAKECONTEXT [ENUMERATE] [NOTIFY] name (name copied). */
int search_query_set_makecontext(struct search_query *q, const char *name,
    bool enumerate, bool notify);
/* RETURN (...) / SORT (...): call once, then add the items. */
int search_query_begin_return(struct search_query *q);
int search_query_begin_sort(struct search_query *q);

/*
 * One RETURN item: attribute (a trailing "*" makes it a prefix pattern,
 * "*" alone matches everything) and its metadata names as sent (NULL/0:
 * the default, ("value") for a name, ("attribute" "value") for a
 * pattern).  Returns 0, or -1 with a reason for BAD in *errstr_r (unknown
 * metadata, §3.1.2).
 */
int search_query_add_return(struct search_query *q, const char *attr,
    const char *const *meta, size_t nmeta, const char **errstr_r);
/*
 * One SORT key: attribute and comparator name as sent ("+i;octet").
 * Returns -1 with *errstr_r for an unknown comparator or one that cannot
 * order (§3.4: BAD).
 */
int search_query_add_sort(struct search_query *q, const char *attr,
    const char *comparator, const char **errstr_r);

/*
 * Criteria nodes, owned by the query.  search_key_match() builds EQUAL,
 * COMPARE, COMPARESTRICT, PREFIX and SUBSTRING: value (len octets, may
 * hold NUL) or, for EQUAL only, nil.  Returns NULL with *errstr_r for an
 * unknown comparator or one lacking the operation (§6.4.1: BAD).
 */
struct search_key *search_key_match(struct search_query *q, enum search_op op,
    const char *attr, const char *comparator, const char *value, size_t len,
    bool nil, const char **errstr_r);
struct search_key *search_key_all(struct search_query *q);
struct search_key *search_key_not(struct search_query *q,
    struct search_key *k);
/* op is SEARCH_AND or SEARCH_OR. */
struct search_key *search_key_logic(struct search_query *q, enum search_op op,
    struct search_key *a, struct search_key *b);
/* RANGE lo hi time: only meaningful on an enumerated context. */
struct search_key *search_key_range(struct search_query *q, uint32_t lo,
    uint32_t hi, const char *time);
void search_query_set_criteria(struct search_query *q, struct search_key *k);

/*
 * Move everything the query holds into one exactly sized block (for a
 * query kept as long as its context lives).  Pointers into the query
 * obtained before are invalid afterwards; it means the same.
 */
void search_query_compact(struct search_query *q);
/* Bytes the query holds (for tests and accounting). */
size_t search_query_memory(const struct search_query *q);

/* What was asked (for the command handler and contexts). */
/* Whether DEPTH was given: then rows are named by entry path (§6.4.2). */
bool search_query_has_depth(const struct search_query *q);
uint32_t search_query_depth(const struct search_query *q);
bool search_query_hardlimit(const struct search_query *q, uint32_t *n_r);
bool search_query_limit(const struct search_query *q, uint32_t *limit_r,
    uint32_t *n_r);
bool search_query_noinherit(const struct search_query *q);
bool search_query_has_return(const struct search_query *q);
/* MAKECONTEXT: returns the name or NULL; flags in the outputs. */
const char *search_query_makecontext(const struct search_query *q,
    bool *enumerate_r, bool *notify_r);
/* Whether the criteria use RANGE (BAD on a dataset, §6.4.1). */
bool search_query_uses_range(const struct search_query *q);

/*
 * The work budget of every search_run() of q (the command's, and for a
 * context each re-evaluation): datasets opened (the searched one, each
 * subdataset DEPTH follows, each dataset a listing's entry names) and
 * entries looked at; 0 means no limit of one's own (datasets are never
 * more than 100,000).  Not a modifier: set by the server from its
 * configuration (doc/protocol-notes.md "Work budget").
 */
void search_query_set_budget(struct search_query *q, size_t max_datasets,
    size_t max_entries);

/* ---- Pure evaluation (also what NOTIFY contexts re-run) --------------- */

/*
 * Whether the caller may read dataset view v at all: r on "entry" by the
 * dataset-level ACL, or at least one visible entry.  A dataset that fails
 * this answers exactly like a missing one (RFC 2244 §3.5, doc/acl.md).
 */
bool search_dataset_readable(struct store *st,
    const struct search_access *acc, const struct inherit_view *v);

/* Whether the caller may see entry e at all (r on "entry"). */
bool search_visible(const struct search_access *acc,
    const struct inherit_view *v, const struct inherit_entry *e);
/*
 * Whether e matches the criteria.  position is e's 1-based position in an
 * enumerated context, or 0 (then RANGE never matches).  Does not check
 * visibility.  NIL and multi-values never match COMPARE/COMPARESTRICT
 * (their order is undefined, §3.4).
 */
bool search_match(const struct search_query *q,
    const struct search_access *acc, const struct inherit_view *v,
    const struct inherit_entry *e, uint32_t position);
/*
 * SORT order of two entries: <0, 0 (a tie: keep the existing order), >0.
 * NIL and multi-values sort after all values, whatever the direction.
 */
int search_compare(const struct search_query *q,
    const struct search_access *acc, const struct inherit_view *va,
    const struct inherit_entry *ea, const struct inherit_view *vb,
    const struct inherit_entry *eb);
/*
 * Append the entry name (the full entry path when DEPTH is not 1) and its
 * RETURN data, as an ENTRY/ADDTO/CHANGE response carries them (§6.4.2):
 * one item per RETURN entry, several metadata grouped in parentheses, a
 * pattern's matches grouped in parentheses.  Unreadable values are NIL.
 */
void search_format_entry(struct acap_buf *out, const struct search_query *q,
    const struct search_access *acc, const struct inherit_view *v,
    const struct inherit_entry *e);

/* ---- Running a search ------------------------------------------------- */

/* Which budget a search ran out of (search_result_overrun()). */
enum search_overrun {
	SEARCH_OVER_NONE = 0,
	SEARCH_OVER_DATASETS,
	SEARCH_OVER_ENTRIES,
};

/*
 * Search canonical dataset path: the dataset and, with DEPTH, the
 * datasets below it reached through "." subdataset values (0 = the whole
 * subtree), each entry that is visible and matches, sorted by SORT (a
 * stable sort over the dataset order: entry names in octet order, parents
 * before children).  Other subdataset locations become referrals.
 * HARDLIMIT/LIMIT and MAKECONTEXT are the caller's business.
 * Returns STORE_OK with *res_r, STORE_ENOEXIST when path does not exist
 * (or cannot be read), or a store error.  A search that ran out of its
 * budget stops at once and still returns STORE_OK: then
 * search_result_overrun() is not SEARCH_OVER_NONE, the rows are an
 * incomplete, unsorted part and must not be answered (NO instead).
 */
enum store_err search_run(struct store *st, const char *path,
    const struct search_query *q, const struct search_access *acc,
    struct search_result **res_r);
void search_result_free(struct search_result **res_r);	/* sets NULL */
/* Whether res ran out of budget, and then the limit (*limit_r) it hit. */
enum search_overrun search_result_overrun(const struct search_result *res,
    size_t *limit_r);

/*
 * SEARCH on a context (§6.4.1): of the nrows rows that row() yields (the
 * context's members in context order), those that are visible and match
 * q, sorted by q's SORT.  With enumerated, row i has position i + 1 for
 * RANGE.  The new result takes its own references on the rows' views.
 */
struct search_result *search_refine(size_t nrows,
    void (*row)(const void *arg, size_t i, const struct inherit_view **v_r,
    const struct inherit_entry **e_r), const void *arg,
    const struct search_query *q, const struct search_access *acc,
    bool enumerated);

/*
 * HARDLIMIT and LIMIT (§6.4.1) applied to a result of count matches:
 * returns false when HARDLIMIT is exceeded (NO (WAYTOOMANY), nothing
 * sent); otherwise *nsend_r is how many ENTRY responses to send and
 * *toomany_r whether the OK carries (TOOMANY count).
 */
bool search_limits(const struct search_query *q, size_t count,
    size_t *nsend_r, bool *toomany_r);

/* Matching rows, in order.  Pointers live as long as the result. */
size_t search_result_count(const struct search_result *res);
/*
 * How many entries match: search_result_count(), or more for a page
 * (search_run() of a paging SEARCH, doc/protocol-notes.md "Paging"),
 * whose rows are only the first n of the matches of its LIMIT n m: what
 * HARDLIMIT, LIMIT and TOOMANY count (§6.4.1).
 */
size_t search_result_matches(const struct search_result *res);
void search_result_row(const struct search_result *res, size_t i,
    const struct inherit_view **v_r, const struct inherit_entry **e_r);
/*
 * Referrals (§6.4.4): datasets below path that live elsewhere, with the
 * subdataset URLs that locate them.
 */
size_t search_result_refer_count(const struct search_result *res);
void search_result_refer(const struct search_result *res, size_t i,
    const char **dataset_r, const struct store_str **urls_r, size_t *n_r);

#endif
