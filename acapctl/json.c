/*
 * json.c -- a small JSON tree: construction, writing, parsing (RFC 8259).
 *
 * Owns the nodes; no I/O.  Numbers are kept as long long when integral
 * and as double otherwise; acapctl only needs integers.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"
#include "json.h"

#define JSON_MAX_DEPTH	64

struct json_member {
	char *key;
	struct json *value;
};

struct json {
	enum json_type type;
	bool b;
	bool is_int;
	long long n;
	double d;
	char *s;
	size_t len;
	struct json **items;		/* ARRAY */
	struct json_member *members;	/* OBJECT */
	size_t count, cap;
};

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		abort();
	return p;
}

static struct json *
node(enum json_type t)
{
	struct json *j = xcalloc(1, sizeof(*j));

	j->type = t;
	return j;
}

struct json *
json_new_null(void)
{
	return node(JSON_NULL);
}

struct json *
json_new_bool(bool b)
{
	struct json *j = node(JSON_BOOL);

	j->b = b;
	return j;
}

struct json *
json_new_int(long long n)
{
	struct json *j = node(JSON_NUMBER);

	j->n = n;
	j->d = (double)n;
	j->is_int = true;
	return j;
}

struct json *
json_new_stringn(const char *s, size_t len)
{
	struct json *j = node(JSON_STRING);

	j->s = malloc(len + 1);
	if (j->s == NULL)
		abort();
	if (len > 0)
		memcpy(j->s, s, len);
	j->s[len] = '\0';
	j->len = len;
	return j;
}

struct json *
json_new_string(const char *s)
{
	return s == NULL ? json_new_null() : json_new_stringn(s, strlen(s));
}

struct json *
json_new_array(void)
{
	return node(JSON_ARRAY);
}

struct json *
json_new_object(void)
{
	return node(JSON_OBJECT);
}

void
json_free(struct json **jp)
{
	struct json *j = *jp;
	size_t i;

	if (j == NULL)
		return;
	if (j->type == JSON_ARRAY)
		for (i = 0; i < j->count; i++)
			json_free(&j->items[i]);
	if (j->type == JSON_OBJECT)
		for (i = 0; i < j->count; i++) {
			free(j->members[i].key);
			json_free(&j->members[i].value);
		}
	free(j->items);
	free(j->members);
	free(j->s);
	free(j);
	*jp = NULL;
}

static void
grow(struct json *j, size_t elsize, void **arr)
{
	void *p;
	size_t ncap;

	if (j->count < j->cap)
		return;
	ncap = j->cap == 0 ? 4 : j->cap * 2;
	if ((p = realloc(*arr, ncap * elsize)) == NULL)
		abort();
	*arr = p;
	j->cap = ncap;
}

struct json *
json_array_add(struct json *a, struct json *v)
{
	if (a->type != JSON_ARRAY)
		abort();
	grow(a, sizeof(*a->items), (void **)&a->items);
	a->items[a->count++] = v;
	return v;
}

struct json *
json_object_set(struct json *o, const char *key, struct json *v)
{
	size_t i;

	if (o->type != JSON_OBJECT)
		abort();
	for (i = 0; i < o->count; i++)
		if (strcmp(o->members[i].key, key) == 0) {
			json_free(&o->members[i].value);
			o->members[i].value = v;
			return v;
		}
	grow(o, sizeof(*o->members), (void **)&o->members);
	if ((o->members[o->count].key = strdup(key)) == NULL)
		abort();
	o->members[o->count++].value = v;
	return v;
}

void
json_object_set_str(struct json *o, const char *key, const char *s)
{
	json_object_set(o, key, json_new_string(s));
}

void
json_object_set_int(struct json *o, const char *key, long long n)
{
	json_object_set(o, key, json_new_int(n));
}

void
json_object_set_bool(struct json *o, const char *key, bool b)
{
	json_object_set(o, key, json_new_bool(b));
}

enum json_type
json_type(const struct json *j)
{
	return j->type;
}

bool
json_bool(const struct json *j)
{
	return j->type == JSON_BOOL && j->b;
}

long long
json_int(const struct json *j)
{
	if (j->type != JSON_NUMBER)
		return 0;
	return j->is_int ? j->n : (long long)j->d;
}

bool
json_is_int(const struct json *j)
{
	return j->type == JSON_NUMBER && j->is_int;
}

const char *
json_string(const struct json *j, size_t *len_r)
{
	if (j->type != JSON_STRING)
		return NULL;
	if (len_r != NULL)
		*len_r = j->len;
	return j->s;
}

size_t
json_count(const struct json *j)
{
	return j->type == JSON_ARRAY || j->type == JSON_OBJECT ? j->count : 0;
}

struct json *
json_array_get(const struct json *j, size_t i)
{
	return j->type == JSON_ARRAY && i < j->count ? j->items[i] : NULL;
}

const char *
json_object_key(const struct json *j, size_t i)
{
	return j->type == JSON_OBJECT && i < j->count ? j->members[i].key :
	    NULL;
}

struct json *
json_object_value(const struct json *j, size_t i)
{
	return j->type == JSON_OBJECT && i < j->count ?
	    j->members[i].value : NULL;
}

struct json *
json_object_get(const struct json *j, const char *key)
{
	size_t i;

	if (j == NULL || j->type != JSON_OBJECT)
		return NULL;
	for (i = j->count; i > 0; i--)
		if (strcmp(j->members[i - 1].key, key) == 0)
			return j->members[i - 1].value;
	return NULL;
}

/* Writer. */

/* Length of a valid UTF-8 sequence at s (RFC 3629), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static void
write_string(struct acap_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	acap_buf_addch(out, '"');
	while (i < len) {
		switch (p[i]) {
		case '"':
			acap_buf_addstr(out, "\\\"");
			i++;
			continue;
		case '\\':
			acap_buf_addstr(out, "\\\\");
			i++;
			continue;
		case '\n':
			acap_buf_addstr(out, "\\n");
			i++;
			continue;
		case '\r':
			acap_buf_addstr(out, "\\r");
			i++;
			continue;
		case '\t':
			acap_buf_addstr(out, "\\t");
			i++;
			continue;
		default:
			break;
		}
		if (p[i] < 0x20 || p[i] == 0x7f) {
			acap_buf_printf(out, "\\u%04x", p[i]);
			i++;
			continue;
		}
		n = utf8_seq(p + i, len - i);
		if (n == 0) {
			/* not UTF-8: keep the octet as a code point */
			acap_buf_printf(out, "\\u%04x", p[i]);
			i++;
			continue;
		}
		acap_buf_add(out, p + i, n);
		i += n;
	}
	acap_buf_addch(out, '"');
}

static void
indent(struct acap_buf *out, int depth)
{
	acap_buf_addch(out, '\n');
	while (depth-- > 0)
		acap_buf_addstr(out, "  ");
}

static void
write_node(const struct json *j, struct acap_buf *out, bool pretty,
    int depth)
{
	size_t i;

	switch (j->type) {
	case JSON_NULL:
		acap_buf_addstr(out, "null");
		break;
	case JSON_BOOL:
		acap_buf_addstr(out, j->b ? "true" : "false");
		break;
	case JSON_NUMBER:
		if (j->is_int)
			acap_buf_printf(out, "%lld", j->n);
		else
			acap_buf_printf(out, "%.17g", j->d);
		break;
	case JSON_STRING:
		write_string(out, j->s, j->len);
		break;
	case JSON_ARRAY:
		acap_buf_addch(out, '[');
		for (i = 0; i < j->count; i++) {
			if (i > 0)
				acap_buf_addch(out, ',');
			if (pretty)
				indent(out, depth + 1);
			write_node(j->items[i], out, pretty, depth + 1);
		}
		if (pretty && j->count > 0)
			indent(out, depth);
		acap_buf_addch(out, ']');
		break;
	case JSON_OBJECT:
		acap_buf_addch(out, '{');
		for (i = 0; i < j->count; i++) {
			if (i > 0)
				acap_buf_addch(out, ',');
			if (pretty)
				indent(out, depth + 1);
			write_string(out, j->members[i].key,
			    strlen(j->members[i].key));
			acap_buf_addstr(out, pretty ? ": " : ":");
			write_node(j->members[i].value, out, pretty,
			    depth + 1);
		}
		if (pretty && j->count > 0)
			indent(out, depth);
		acap_buf_addch(out, '}');
		break;
	}
}

void
json_write(const struct json *j, struct acap_buf *out, bool pretty)
{
	write_node(j, out, pretty, 0);
}

/* Parser. */

struct jparser {
	const char *s;
	size_t len, pos;
	char *err;
	size_t errlen;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
perr(struct jparser *p, const char *fmt, ...)
{
	size_t line = 1, col = 1, i, n;
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	for (i = 0; i < p->pos && i < p->len; i++) {
		if (p->s[i] == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	n = (size_t)snprintf(p->err, p->errlen, "line %zu column %zu: ",
	    line, col);
	if (n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
}

static void
skip_ws(struct jparser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' ||
	    p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
	    p->s[p->pos] == '\r'))
		p->pos++;
}

static bool
literal(struct jparser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos >= n && memcmp(p->s + p->pos, word, n) == 0) {
		p->pos += n;
		return true;
	}
	return false;
}

static int
hex4(struct jparser *p, unsigned int *v)
{
	unsigned int x = 0;
	int i, c;

	if (p->len - p->pos < 4) {
		perr(p, "truncated \\u escape");
		return -1;
	}
	for (i = 0; i < 4; i++) {
		c = (unsigned char)p->s[p->pos++];
		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (unsigned int)(c - 'A' + 10);
		else {
			perr(p, "bad \\u escape");
			return -1;
		}
	}
	*v = x;
	return 0;
}

static void
put_utf8(struct acap_buf *b, unsigned int cp)
{
	char u[4];

	if (cp < 0x80) {
		acap_buf_addch(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		acap_buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		acap_buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		acap_buf_add(b, u, 4);
	}
}

static struct json *
parse_string(struct jparser *p)
{
	struct acap_buf b = ACAP_BUF_INIT;
	struct json *j;
	unsigned int cp, lo;
	unsigned char c;

	p->pos++;	/* opening quote */
	for (;;) {
		if (p->pos >= p->len) {
			perr(p, "unterminated string");
			goto fail;
		}
		c = (unsigned char)p->s[p->pos++];
		if (c == '"')
			break;
		if (c < 0x20) {
			perr(p, "control character in string");
			goto fail;
		}
		if (c != '\\') {
			acap_buf_addch(&b, (char)c);
			continue;
		}
		if (p->pos >= p->len) {
			perr(p, "unterminated string");
			goto fail;
		}
		c = (unsigned char)p->s[p->pos++];
		switch (c) {
		case '"': acap_buf_addch(&b, '"'); break;
		case '\\': acap_buf_addch(&b, '\\'); break;
		case '/': acap_buf_addch(&b, '/'); break;
		case 'b': acap_buf_addch(&b, '\b'); break;
		case 'f': acap_buf_addch(&b, '\f'); break;
		case 'n': acap_buf_addch(&b, '\n'); break;
		case 'r': acap_buf_addch(&b, '\r'); break;
		case 't': acap_buf_addch(&b, '\t'); break;
		case 'u':
			if (hex4(p, &cp) == -1)
				goto fail;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->len - p->pos < 2 ||
				    p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u') {
					perr(p, "lone surrogate");
					goto fail;
				}
				p->pos += 2;
				if (hex4(p, &lo) == -1)
					goto fail;
				if (lo < 0xdc00 || lo > 0xdfff) {
					perr(p, "bad surrogate pair");
					goto fail;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				perr(p, "lone surrogate");
				goto fail;
			}
			put_utf8(&b, cp);
			break;
		default:
			perr(p, "bad escape \\%c", c);
			goto fail;
		}
	}
	j = json_new_stringn(b.data != NULL ? b.data : "", b.len);
	acap_buf_deinit(&b);
	return j;
fail:
	acap_buf_deinit(&b);
	return NULL;
}

static struct json *
parse_number(struct jparser *p)
{
	size_t start = p->pos;
	bool is_int = true;
	char buf[64], *end;
	struct json *j;

	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || !isdigit((unsigned char)p->s[p->pos])) {
		perr(p, "bad number");
		return NULL;
	}
	if (p->s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && isdigit((unsigned char)p->s[p->pos]))
			p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		is_int = false;
		p->pos++;
		if (p->pos >= p->len ||
		    !isdigit((unsigned char)p->s[p->pos])) {
			perr(p, "bad number");
			return NULL;
		}
		while (p->pos < p->len && isdigit((unsigned char)p->s[p->pos]))
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		is_int = false;
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' ||
		    p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len ||
		    !isdigit((unsigned char)p->s[p->pos])) {
			perr(p, "bad number");
			return NULL;
		}
		while (p->pos < p->len && isdigit((unsigned char)p->s[p->pos]))
			p->pos++;
	}
	if (p->pos - start >= sizeof(buf)) {
		perr(p, "number too long");
		return NULL;
	}
	memcpy(buf, p->s + start, p->pos - start);
	buf[p->pos - start] = '\0';
	j = node(JSON_NUMBER);
	errno = 0;
	if (is_int) {
		j->n = strtoll(buf, &end, 10);
		if (errno == ERANGE)
			is_int = false;
		j->d = (double)j->n;
	}
	if (!is_int)
		j->d = strtod(buf, &end);
	j->is_int = is_int;
	return j;
}

static struct json *parse_value(struct jparser *p, int depth);

static struct json *
parse_array(struct jparser *p, int depth)
{
	struct json *a = json_new_array(), *v;

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		return a;
	}
	for (;;) {
		if ((v = parse_value(p, depth + 1)) == NULL)
			goto fail;
		json_array_add(a, v);
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ']') {
			p->pos++;
			return a;
		}
		perr(p, "expected ',' or ']'");
		goto fail;
	}
fail:
	json_free(&a);
	return NULL;
}

static struct json *
parse_object(struct jparser *p, int depth)
{
	struct json *o = json_new_object(), *k = NULL, *v;

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		return o;
	}
	for (;;) {
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != '"') {
			perr(p, "expected a string key");
			goto fail;
		}
		if ((k = parse_string(p)) == NULL)
			goto fail;
		if (memchr(k->s, '\0', k->len) != NULL) {
			perr(p, "NUL in object key");
			goto fail;
		}
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ':') {
			perr(p, "expected ':'");
			goto fail;
		}
		p->pos++;
		if ((v = parse_value(p, depth + 1)) == NULL)
			goto fail;
		json_object_set(o, k->s, v);
		json_free(&k);
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == '}') {
			p->pos++;
			return o;
		}
		perr(p, "expected ',' or '}'");
		goto fail;
	}
fail:
	json_free(&k);
	json_free(&o);
	return NULL;
}

static struct json *
parse_value(struct jparser *p, int depth)
{
	char c;

	if (depth >= JSON_MAX_DEPTH) {
		perr(p, "nested too deeply");
		return NULL;
	}
	skip_ws(p);
	if (p->pos >= p->len) {
		perr(p, "unexpected end of input");
		return NULL;
	}
	c = p->s[p->pos];
	if (c == '{')
		return parse_object(p, depth);
	if (c == '[')
		return parse_array(p, depth);
	if (c == '"')
		return parse_string(p);
	if (c == '-' || isdigit((unsigned char)c))
		return parse_number(p);
	if (literal(p, "true"))
		return json_new_bool(true);
	if (literal(p, "false"))
		return json_new_bool(false);
	if (literal(p, "null"))
		return json_new_null();
	perr(p, "unexpected character '%c'", isprint((unsigned char)c) ?
	    c : '?');
	return NULL;
}

int
json_parse(const char *text, size_t len, struct json **j_r, char *err,
    size_t errlen)
{
	struct jparser p;
	struct json *j;

	memset(&p, 0, sizeof(p));
	p.s = text;
	p.len = len;
	p.err = err;
	p.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	*j_r = NULL;
	if ((j = parse_value(&p, 0)) == NULL)
		return -1;
	skip_ws(&p);
	if (p.pos != p.len) {
		perr(&p, "trailing data after the JSON value");
		json_free(&j);
		return -1;
	}
	*j_r = j;
	return 0;
}
