/*
 * fuzz-comparator.c -- libFuzzer target for acapd/comparator.c (RFC 2244
 * §3.4): name lookup, and ordering, equality, prefix and substring checked
 * against naive reference versions and against the laws an ordering obeys
 * (reflexive, antisymmetric, transitive), since SEARCH and SORT rely on
 * them.
 *
 * Input: [0] which comparator (mod 3); then three values a, b, c, each a
 * 2-octet little-endian length (modulo what is left) and its octets; the
 * rest, if any, is tried as a comparator name.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comparator.h"
#include "fuzz-common.h"

static const char *const names[] = {
	"i;octet", "i;ascii-casemap", "i;ascii-numeric",
};

struct val {
	const char *s;
	size_t len;
};

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

static unsigned char
upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? (unsigned char)(c - 32) : c;
}

static unsigned char
fold(int kind, unsigned char c)
{
	return kind == 1 ? upper(c) : c;
}

/* Reference ordering of i;octet (kind 0) and i;ascii-casemap (kind 1). */
static int
ref_order_octets(int kind, const struct val *a, const struct val *b)
{
	size_t i;
	unsigned char x, y;

	for (i = 0; i < a->len && i < b->len; i++) {
		x = fold(kind, (unsigned char)a->s[i]);
		y = fold(kind, (unsigned char)b->s[i]);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return a->len == b->len ? 0 : a->len < b->len ? -1 : 1;
}

/*
 * i;ascii-numeric (RFC 2244 §3.4): the value of the leading digits;
 * values without a leading digit are after all numbers.  Only decided
 * here when both numbers fit in 18 digits (after leading zeros).
 */
static bool
ref_order_numeric(const struct val *a, const struct val *b, int *r)
{
	unsigned long long x = 0, y = 0;
	size_t i, nx = 0, ny = 0;
	bool da = a->len > 0 && a->s[0] >= '0' && a->s[0] <= '9';
	bool db = b->len > 0 && b->s[0] >= '0' && b->s[0] <= '9';

	if (!da || !db) {
		*r = da == db ? 0 : da ? -1 : 1;
		return true;
	}
	for (i = 0; i < a->len && a->s[i] >= '0' && a->s[i] <= '9'; i++) {
		x = x * 10 + (unsigned long long)(a->s[i] - '0');
		if (x != 0 && ++nx > 18)
			return false;
	}
	for (i = 0; i < b->len && b->s[i] >= '0' && b->s[i] <= '9'; i++) {
		y = y * 10 + (unsigned long long)(b->s[i] - '0');
		if (y != 0 && ++ny > 18)
			return false;
	}
	*r = x == y ? 0 : x < y ? -1 : 1;
	return true;
}

static bool
ref_match_at(int kind, const struct val *v, size_t at, const struct val *p)
{
	size_t i;

	for (i = 0; i < p->len; i++)
		if (fold(kind, (unsigned char)v->s[at + i]) !=
		    fold(kind, (unsigned char)p->s[i]))
			return false;
	return true;
}

static bool
ref_substring(int kind, const struct val *v, const struct val *p)
{
	size_t at;

	if (p->len > v->len)
		return false;
	for (at = 0; at + p->len <= v->len; at++)
		if (ref_match_at(kind, v, at, p))
			return true;
	return false;
}

static int
order(const struct comparator *cmp, const struct val *a, const struct val *b)
{
	return sign(comparator_order(cmp, a->s, a->len, b->s, b->len));
}

static void
check_pair(const struct comparator *cmp, int kind, const struct val *a,
    const struct val *b)
{
	int ab = order(cmp, a, b), ba = order(cmp, b, a), want;
	bool eq = comparator_equal(cmp, a->s, a->len, b->s, b->len);
	unsigned int ops = comparator_ops(cmp);

	FUZZ_CHECK(ab == -ba, "%s: order(a,b) %d, order(b,a) %d", names[kind],
	    ab, ba);
	FUZZ_CHECK(eq == comparator_equal(cmp, b->s, b->len, a->s, a->len),
	    "%s: equality not symmetric", names[kind]);
	FUZZ_CHECK(eq == (ab == 0), "%s: equal %d but order %d", names[kind],
	    eq, ab);
	if (kind != 2) {
		want = ref_order_octets(kind, a, b);
		FUZZ_CHECK(ab == want, "%s: order %d, reference %d",
		    names[kind], ab, want);
	} else if (ref_order_numeric(a, b, &want)) {
		FUZZ_CHECK(ab == want, "%s: order %d, reference %d",
		    names[kind], ab, want);
	}
	if (ops & COMPARATOR_OP_PREFIX)
		FUZZ_CHECK(comparator_prefix(cmp, a->s, a->len, b->s,
		    b->len) == (b->len <= a->len &&
		    ref_match_at(kind, a, 0, b)), "%s: prefix", names[kind]);
	else
		FUZZ_CHECK(!comparator_prefix(cmp, a->s, a->len, b->s,
		    b->len), "%s: prefix without the op", names[kind]);
	if (ops & COMPARATOR_OP_SUBSTRING)
		FUZZ_CHECK(comparator_substring(cmp, a->s, a->len, b->s,
		    b->len) == ref_substring(kind, a, b), "%s: substring",
		    names[kind]);
	else
		FUZZ_CHECK(!comparator_substring(cmp, a->s, a->len, b->s,
		    b->len), "%s: substring without the op", names[kind]);
}

static void
check_lookup(const uint8_t *data, size_t size)
{
	const struct comparator *cmp;
	const char *name, *bare;
	char *s;
	bool rev = false;
	size_t i;

	s = malloc(size + 1);
	FUZZ_CHECK(s != NULL, "out of memory");
	memcpy(s, data, size);
	s[size] = '\0';
	cmp = comparator_lookup(s, &rev);
	if (cmp != NULL) {
		name = comparator_name(cmp);
		bare = s[0] == '+' || s[0] == '-' ? s + 1 : s;
		FUZZ_CHECK(strlen(bare) == strlen(name),
		    "\"%s\" found as %s", s, name);
		for (i = 0; bare[i] != '\0'; i++)
			FUZZ_CHECK(upper((unsigned char)bare[i]) ==
			    upper((unsigned char)name[i]),
			    "\"%s\" found as %s", s, name);
		FUZZ_CHECK(rev == (s[0] == '-'), "reverse flag for \"%s\"",
		    s);
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct comparator *cmp;
	struct val v[3];
	size_t off = 1, len, i, j;
	int kind, ab, bc, ac;
	bool rev;

	if (size < 1)
		return 0;
	kind = data[0] % 3;
	cmp = comparator_lookup(names[kind], &rev);
	FUZZ_CHECK(cmp != NULL && !rev, "%s not found", names[kind]);
	FUZZ_CHECK(strcmp(comparator_name(cmp), names[kind]) == 0, "name");
	for (i = 0; i < 3; i++) {
		len = 0;
		if (off + 2 <= size) {
			len = (size_t)data[off] | (size_t)data[off + 1] << 8;
			off += 2;
			len %= size - off + 1;
		}
		v[i].s = (const char *)data + off;
		v[i].len = len;
		off += len;
	}
	for (i = 0; i < 3; i++) {
		FUZZ_CHECK(order(cmp, &v[i], &v[i]) == 0 &&
		    comparator_equal(cmp, v[i].s, v[i].len, v[i].s, v[i].len),
		    "%s: a value differs from itself", names[kind]);
		for (j = 0; j < 3; j++)
			check_pair(cmp, kind, &v[i], &v[j]);
	}
	/* transitivity, in every arrangement of the three */
	for (i = 0; i < 3; i++) {
		const struct val *a = &v[i], *b = &v[(i + 1) % 3],
		    *c = &v[(i + 2) % 3];

		ab = order(cmp, a, b);
		bc = order(cmp, b, c);
		ac = order(cmp, a, c);
		if (ab <= 0 && bc <= 0)
			FUZZ_CHECK(ac <= 0, "%s: not transitive", names[kind]);
		if (ab == 0 && bc == 0)
			FUZZ_CHECK(ac == 0, "%s: equality not transitive",
			    names[kind]);
	}
	if (off < size)
		check_lookup(data + off, size - off);
	return 0;
}
