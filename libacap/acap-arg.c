/*
 * acap-arg.c -- typed getters over parsed ACAP arguments.
 *
 * Owns nothing: pure predicates and conversions over struct acap_arg,
 * deciding what RFC 2244 §8 accepts where (number, string-utf8, keywords).
 */
#include "autoconf.h"

#include <stdint.h>
#include <string.h>

#include "acap-arg.h"

static unsigned char
ascii_upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c;
}

bool
acap_arg_is_atom(const struct acap_arg *a, const char *kw)
{
	size_t i;

	/* RFC 2244 §8: keywords are case-insensitive; ASCII only. */
	if (a == NULL || a->type != ACAP_ARG_ATOM || strlen(kw) != a->len)
		return false;
	for (i = 0; i < a->len; i++) {
		if (ascii_upper((unsigned char)a->str[i]) !=
		    ascii_upper((unsigned char)kw[i]))
			return false;
	}
	return true;
}

bool
acap_arg_is_string(const struct acap_arg *a)
{
	return a != NULL && a->type == ACAP_ARG_STRING;
}

bool
acap_arg_is_string_utf8(const struct acap_arg *a)
{
	/* RFC 2244 §2.6.3.1: only values may hold NUL or arbitrary octets. */
	return acap_arg_is_string(a) && memchr(a->str, '\0', a->len) == NULL &&
	    acap_utf8_valid(a->str, a->len);
}

bool
acap_arg_is_nil(const struct acap_arg *a)
{
	return a != NULL && a->type == ACAP_ARG_NIL;
}

bool
acap_arg_is_list(const struct acap_arg *a)
{
	return a != NULL && a->type == ACAP_ARG_LIST;
}

/*
 * RFC 2244 §2.6.2: "one or more digit characters", 0 <= n < 2^32.  The §8
 * rule (number = *DIGIT) would allow an empty number; we do not
 * (ACAP-NOTES §20.8).
 */
int
acap_arg_get_number(const struct acap_arg *a, uint32_t *n_r)
{
	uint64_t v = 0;
	size_t i;

	if (a == NULL || a->type != ACAP_ARG_ATOM || a->len == 0 ||
	    a->len > 10)
		return -1;
	for (i = 0; i < a->len; i++) {
		if (a->str[i] < '0' || a->str[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(a->str[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*n_r = (uint32_t)v;
	return 0;
}

int
acap_arg_get_nz_number(const struct acap_arg *a, uint32_t *n_r)
{
	uint32_t v;

	if (acap_arg_get_number(a, &v) < 0 || v == 0)
		return -1;
	*n_r = v;
	return 0;
}

/*
 * RFC 3629 §4:
 *   UTF8-2 = %xC2-DF UTF8-tail
 *   UTF8-3 = %xE0 %xA0-BF UTF8-tail / %xE1-EC 2( UTF8-tail ) /
 *            %xED %x80-9F UTF8-tail / %xEE-EF 2( UTF8-tail )
 *   UTF8-4 = %xF0 %x90-BF 2( UTF8-tail ) / %xF1-F3 3( UTF8-tail ) /
 *            %xF4 %x80-8F 2( UTF8-tail )
 * which excludes overlong forms, surrogates and code points past U+10FFFF.
 */
bool
acap_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, k;
	unsigned char lo, hi;

	while (i < len) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (u[i] >= 0xc2 && u[i] <= 0xdf) {
			n = 1;
		} else if (u[i] >= 0xe0 && u[i] <= 0xef) {
			n = 2;
			if (u[i] == 0xe0)
				lo = 0xa0;
			else if (u[i] == 0xed)
				hi = 0x9f;
		} else if (u[i] >= 0xf0 && u[i] <= 0xf4) {
			n = 3;
			if (u[i] == 0xf0)
				lo = 0x90;
			else if (u[i] == 0xf4)
				hi = 0x8f;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		/* the second octet has the narrowed range, the rest 80-BF */
		if (u[i + 1] < lo || u[i + 1] > hi)
			return false;
		for (k = 2; k <= n; k++) {
			if (u[i + k] < 0x80 || u[i + k] > 0xbf)
				return false;
		}
		i += n + 1;
	}
	return true;
}
