/*
 * comparator.c -- the ACAP comparators of RFC 2244 §3.4: i;octet,
 * i;ascii-casemap and i;ascii-numeric.  Pure functions over explicit-length
 * values; NIL, multi-values and the "+"/"-" order are the caller's.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "comparator.h"

enum comparator_kind {
	CMP_OCTET,
	CMP_CASEMAP,
	CMP_NUMERIC,
};

struct comparator {
	const char *name;
	enum comparator_kind kind;
	unsigned int ops;
};

/* RFC 2244 §3.4: the comparators every server MUST implement. */
static const struct comparator comparators[] = {
	{ "i;octet", CMP_OCTET, COMPARATOR_OP_ORDER | COMPARATOR_OP_EQUAL |
	    COMPARATOR_OP_PREFIX | COMPARATOR_OP_SUBSTRING },
	{ "i;ascii-casemap", CMP_CASEMAP, COMPARATOR_OP_ORDER |
	    COMPARATOR_OP_EQUAL | COMPARATOR_OP_PREFIX |
	    COMPARATOR_OP_SUBSTRING },
	{ "i;ascii-numeric", CMP_NUMERIC, COMPARATOR_OP_ORDER |
	    COMPARATOR_OP_EQUAL },
};

/* Cheapest first, as LANG wants them (RFC 2244 §6.2.3). */
const char *const comparator_names[] = {
	"i;octet",
	"i;ascii-casemap",
	"i;ascii-numeric",
	NULL,
};

static unsigned char
ascii_upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c;
}

static bool
names_equal(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		if (ascii_upper((unsigned char)*a) !=
		    ascii_upper((unsigned char)*b))
			return false;
	}
	return *a == *b;
}

/*
 * comparator = <"> comparator-name <">; comparator-name = ["+" / "-"]
 * iana-token (RFC 2244 §8).  Tokens are matched without regard to ASCII
 * case, as §8 asks of protocol strings.
 */
const struct comparator *
comparator_lookup(const char *name, bool *reverse_r)
{
	bool reverse = false;
	size_t i;

	if (name == NULL)
		return NULL;
	if (*name == '+' || *name == '-') {
		reverse = *name == '-';
		name++;
	}
	for (i = 0; i < sizeof(comparators) / sizeof(comparators[0]); i++) {
		if (names_equal(name, comparators[i].name)) {
			if (reverse_r != NULL)
				*reverse_r = reverse;
			return &comparators[i];
		}
	}
	return NULL;
}

const char *
comparator_name(const struct comparator *cmp)
{
	return cmp->name;
}

unsigned int
comparator_ops(const struct comparator *cmp)
{
	return cmp->ops;
}

/*
 * i;octet ordering: octet by octet as unsigned values; a proper prefix
 * sorts first.  i;ascii-casemap: the same after mapping a-z to A-Z.
 */
static int
order_octets(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen, bool casemap)
{
	size_t i, n = alen < blen ? alen : blen;
	unsigned char ca, cb;

	for (i = 0; i < n; i++) {
		ca = casemap ? ascii_upper(a[i]) : a[i];
		cb = casemap ? ascii_upper(b[i]) : b[i];
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	if (alen == blen)
		return 0;
	return alen < blen ? -1 : 1;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * i;ascii-numeric ordering: the leading digits are a decimal number of any
 * length, compared without converting it (no overflow): leading zeros
 * dropped, then the longer number is larger, then digit by digit.  A value
 * that does not start with a digit is larger than every number and equal
 * to every other such value.
 */
static int
order_numeric(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	size_t ai = 0, bi = 0, an, bn;
	bool anum = alen > 0 && is_digit(a[0]);
	bool bnum = blen > 0 && is_digit(b[0]);

	if (!anum || !bnum)
		return anum == bnum ? 0 : anum ? -1 : 1;
	while (ai < alen && a[ai] == '0')
		ai++;
	while (bi < blen && b[bi] == '0')
		bi++;
	for (an = ai; an < alen && is_digit(a[an]); an++)
		;
	for (bn = bi; bn < blen && is_digit(b[bn]); bn++)
		;
	if (an - ai != bn - bi)
		return an - ai < bn - bi ? -1 : 1;
	return order_octets(a + ai, an - ai, b + bi, bn - bi, false);
}

int
comparator_order(const struct comparator *cmp, const char *a, size_t alen,
    const char *b, size_t blen)
{
	const unsigned char *ua = (const unsigned char *)a;
	const unsigned char *ub = (const unsigned char *)b;

	switch (cmp->kind) {
	case CMP_OCTET:
		return order_octets(ua, alen, ub, blen, false);
	case CMP_CASEMAP:
		return order_octets(ua, alen, ub, blen, true);
	case CMP_NUMERIC:
		return order_numeric(ua, alen, ub, blen);
	}
	return 0;
}

bool
comparator_equal(const struct comparator *cmp, const char *a, size_t alen,
    const char *b, size_t blen)
{
	/* i;octet: same length, same octets; the others: equal rank */
	if (cmp->kind != CMP_NUMERIC && alen != blen)
		return false;
	return comparator_order(cmp, a, alen, b, blen) == 0;
}

static bool
match_at(const unsigned char *v, const unsigned char *pat, size_t plen,
    bool casemap)
{
	size_t i;

	for (i = 0; i < plen; i++) {
		if (casemap ? ascii_upper(v[i]) != ascii_upper(pat[i]) :
		    v[i] != pat[i])
			return false;
	}
	return true;
}

bool
comparator_prefix(const struct comparator *cmp, const char *value,
    size_t vlen, const char *pat, size_t plen)
{
	if ((cmp->ops & COMPARATOR_OP_PREFIX) == 0 || plen > vlen)
		return false;
	return match_at((const unsigned char *)value,
	    (const unsigned char *)pat, plen, cmp->kind == CMP_CASEMAP);
}

/*
 * Knuth-Morris-Pratt: linear in vlen + plen whatever the input, since both
 * may be as large as a literal (a naive scan is quadratic).  The failure
 * table lives on the stack for short patterns.
 */
static bool
search(const unsigned char *v, size_t vlen, const unsigned char *pat,
    size_t plen, bool casemap)
{
	size_t small[128], *fail = small, i, k = 0;
	bool found = false;

#define FOLD(c)	(casemap ? ascii_upper(c) : (c))
	if (plen > sizeof(small) / sizeof(small[0])) {
		if ((fail = malloc(plen * sizeof(*fail))) == NULL)
			abort();
	}
	fail[0] = 0;
	for (i = 1; i < plen; i++) {
		while (k > 0 && FOLD(pat[i]) != FOLD(pat[k]))
			k = fail[k - 1];
		if (FOLD(pat[i]) == FOLD(pat[k]))
			k++;
		fail[i] = k;
	}
	k = 0;
	for (i = 0; i < vlen; i++) {
		while (k > 0 && FOLD(v[i]) != FOLD(pat[k]))
			k = fail[k - 1];
		if (FOLD(v[i]) == FOLD(pat[k]))
			k++;
		if (k == plen) {
			found = true;
			break;
		}
	}
#undef FOLD
	if (fail != small)
		free(fail);
	return found;
}

bool
comparator_substring(const struct comparator *cmp, const char *value,
    size_t vlen, const char *pat, size_t plen)
{
	if ((cmp->ops & COMPARATOR_OP_SUBSTRING) == 0 || plen > vlen)
		return false;
	if (plen == 0)
		return true;
	return search((const unsigned char *)value, vlen,
	    (const unsigned char *)pat, plen, cmp->kind == CMP_CASEMAP);
}
