/*
 * comparator.h -- ACAP comparators (RFC 2244 §3.4): pure functions.
 *
 * Values may contain NUL: every function takes explicit lengths.
 * Mandatory comparators: i;octet, i;ascii-casemap, i;ascii-numeric.
 */
#ifndef COMPARATOR_H
#define COMPARATOR_H

#include <stdbool.h>
#include <stddef.h>

#define COMPARATOR_OP_ORDER	0x01
#define COMPARATOR_OP_EQUAL	0x02
#define COMPARATOR_OP_PREFIX	0x04
#define COMPARATOR_OP_SUBSTRING	0x08

struct comparator;	/* static, never freed */

/*
 * Parse a comparator name as sent on the wire, with its optional "+"/"-"
 * prefix ("-i;ascii-casemap").  Returns the comparator or NULL when unknown
 * (the caller answers BAD); *reverse_r is true for "-".
 */
const struct comparator *comparator_lookup(const char *name, bool *reverse_r);
const char *comparator_name(const struct comparator *cmp);
/* COMPARATOR_OP_* bits the comparator supports. */
unsigned int comparator_ops(const struct comparator *cmp);

/*
 * Ordering: <0, 0, >0 as a sorts before, equal to, after b.  For
 * i;ascii-numeric a value not starting with a digit sorts after every
 * numeric one and equal to every other non-numeric one (§3.4).
 * Ordering of NIL and multi-values is the caller's job (they sort last).
 */
int comparator_order(const struct comparator *cmp, const char *a, size_t alen,
    const char *b, size_t blen);
bool comparator_equal(const struct comparator *cmp, const char *a, size_t alen,
    const char *b, size_t blen);
/* Whether value starts with / contains pat (only if the op is supported). */
bool comparator_prefix(const struct comparator *cmp, const char *value,
    size_t vlen, const char *pat, size_t plen);
bool comparator_substring(const struct comparator *cmp, const char *value,
    size_t vlen, const char *pat, size_t plen);

/* The comparator names for a LANG response, most efficient first;
   NULL-terminated. */
extern const char *const comparator_names[];

#endif
