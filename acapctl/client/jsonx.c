/*
 * jsonx.c -- acapctl's adapters over Jansson (see jsonx.h): NULL and
 * non-UTF-8 strings, aborting container setters, fixed dump and parse
 * flags.  No JSON syntax is handled here.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-arg.h"
#include "acap-buf.h"
#include "jsonx.h"

static json_t *
must(json_t *j)
{
	if (j == NULL)
		abort();
	return j;
}

json_t *
jsonx_str(const char *s)
{
	return s == NULL ? must(json_null()) : jsonx_strn(s, strlen(s));
}

json_t *
jsonx_strn(const char *s, size_t len)
{
	struct acap_buf b = ACAP_BUF_INIT;
	json_t *j;
	size_t i, n;
	char u[2];

	if ((j = json_stringn(s, len)) != NULL)
		return j;
	/*
	 * Not UTF-8 (json_stringn() also fails on no memory: then the
	 * retry below fails too).  Keep each valid sequence; take any other
	 * octet as the code point U+00XX.
	 */
	for (i = 0; i < len; i += n) {
		for (n = 1; n <= 4 && i + n <= len; n++)
			if (acap_utf8_valid(s + i, n))
				break;
		if (n <= 4 && i + n <= len) {
			acap_buf_add(&b, s + i, n);
			continue;
		}
		u[0] = (char)(0xc0 | ((unsigned char)s[i] >> 6));
		u[1] = (char)(0x80 | ((unsigned char)s[i] & 0x3f));
		acap_buf_add(&b, u, 2);
		n = 1;
	}
	j = must(json_stringn(b.data != NULL ? b.data : "", b.len));
	acap_buf_deinit(&b);
	return j;
}

json_t *
jsonx_add(json_t *array, json_t *v)
{
	if (v == NULL || json_array_append_new(array, v) == -1)
		abort();
	return v;
}

json_t *
jsonx_set(json_t *object, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(object, key, v) == -1)
		abort();
	return v;
}

void
jsonx_set_str(json_t *object, const char *key, const char *s)
{
	jsonx_set(object, key, jsonx_str(s));
}

void
jsonx_set_int(json_t *object, const char *key, long long n)
{
	jsonx_set(object, key, json_integer((json_int_t)n));
}

void
jsonx_set_bool(json_t *object, const char *key, bool b)
{
	jsonx_set(object, key, json_boolean(b));
}

static int
append_cb(const char *buffer, size_t size, void *arg)
{
	acap_buf_add(arg, buffer, size);
	return 0;
}

void
jsonx_write(const json_t *j, struct acap_buf *out, bool pretty)
{
	size_t flags = JSON_PRESERVE_ORDER | JSON_ENCODE_ANY;

	flags |= pretty ? JSON_INDENT(2) : JSON_COMPACT;
	/* fails only on no memory: every string node is UTF-8 */
	if (json_dump_callback(j, append_cb, out, flags) == -1)
		abort();
}

json_t *
jsonx_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t e;
	json_t *j;

	j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
	if (j == NULL)
		snprintf(err, errlen, "line %d column %d: %s", e.line, e.column,
		    e.text);
	else if (errlen > 0)
		err[0] = '\0';
	return j;
}
