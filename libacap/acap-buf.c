/*
 * acap-buf.c -- growable byte buffer and the ACAP output writer.
 *
 * Owns the buffer's data array.  The writer decides how a value goes on the
 * wire: quoted string or {n} literal (RFC 2244 §2.6.3), or quoted text.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"

#define QUOTED_MAX	1024	/* RFC 2244 §2.6.3: octets between quotes */
#define BUF_KEEP	4096	/* kept by acap_buf_reset() */

void
acap_buf_init(struct acap_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
acap_buf_deinit(struct acap_buf *b)
{
	free(b->data);
	acap_buf_init(b);
}

void
acap_buf_reset(struct acap_buf *b)
{
	if (b->cap > BUF_KEEP) {
		acap_buf_deinit(b);
		return;
	}
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Slow path of buf_grow(): reallocate to fit need octets. */
static void
buf_grow_slow(struct acap_buf *b, size_t need)
{
	size_t ncap;
	char *p;

	ncap = b->cap == 0 ? 64 : b->cap;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if ((p = realloc(b->data, ncap)) == NULL)
		abort();
	b->data = p;
	b->cap = ncap;
}

/* Room for n more octets plus the terminating NUL; aborts on OOM. */
static inline void
buf_grow(struct acap_buf *b, size_t n)
{
	if (n > SIZE_MAX - b->len - 1)
		abort();
	if (b->len + n + 1 > b->cap)
		buf_grow_slow(b, b->len + n + 1);
}

void
acap_buf_add(struct acap_buf *b, const void *data, size_t len)
{
	buf_grow(b, len);
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
acap_buf_addstr(struct acap_buf *b, const char *s)
{
	acap_buf_add(b, s, strlen(s));
}

void
acap_buf_addch(struct acap_buf *b, char c)
{
	buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void
acap_buf_vprintf(struct acap_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		abort();
	buf_grow(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
acap_buf_printf(struct acap_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	acap_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

/*
 * RFC 2244 §2.6.3: a quoted string holds at most 1024 octets between its
 * quotes (§8 "quoted"), escapes included, and never NUL, CR or LF.
 */
int
acap_string_needs_literal(const char *s, size_t len)
{
	size_t i, wire = 0;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '\0':
		case '\r':
		case '\n':
			return 1;
		case '"':
		case '\\':
			wire += 2;
			break;
		default:
			wire++;
			break;
		}
		if (wire > QUOTED_MAX)
			return 1;
	}
	return 0;
}

/*
 * The hot path of every ENTRY response: one scan decides quoted or
 * literal and counts the escapes, then one allocation and (usually) one
 * memcpy.
 */
void
acap_buf_add_string(struct acap_buf *b, const char *s, size_t len)
{
	size_t i, esc = 0;
	char *o;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > '\\')
			continue;	/* the common case: plain text */
		if (c == '\0' || c == '\r' || c == '\n')
			break;
		if (c == '"' || c == '\\')
			esc++;
	}
	if (i < len || len + esc > QUOTED_MAX) {
		/* server to client: no "+" and no wait (RFC 2244 §2.6.3) */
		acap_buf_printf(b, "{%zu}\r\n", len);
		acap_buf_add(b, s, len);
		return;
	}
	buf_grow(b, len + esc + 2);
	o = b->data + b->len;
	*o++ = '"';
	if (esc == 0) {
		memcpy(o, s, len);
		o += len;
	} else {
		for (i = 0; i < len; i++) {
			if (s[i] == '"' || s[i] == '\\')
				*o++ = '\\';
			*o++ = s[i];
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
}

void
acap_buf_add_cstring(struct acap_buf *b, const char *s)
{
	acap_buf_add_string(b, s, strlen(s));
}

void
acap_buf_add_nstring(struct acap_buf *b, const char *s, size_t len)
{
	if (s == NULL)
		acap_buf_addstr(b, "NIL");
	else
		acap_buf_add_string(b, s, len);
}

/*
 * Length of the UTF-8 sequence starting at s[0] (at most len), or 1 when
 * s[0] does not start a well-formed lead/continuation pattern: then it is
 * taken as one octet.  Only used to avoid cutting inside a character.
 */
static size_t
utf8_seq_len(const unsigned char *s, size_t len)
{
	size_t n, k;

	if (s[0] >= 0xc0 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf7)
		n = 4;
	else
		return 1;
	if (n > len)
		return 1;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 1;
	}
	return n;
}

/*
 * resp-body text is "quoted" (RFC 2244 §8, ACAP-NOTES §5): CR, LF and NUL
 * cannot appear in it, so they become spaces, and the text is cut so that
 * the escaped form fits 1024 octets, never inside a UTF-8 character.
 */
void
acap_buf_add_text(struct acap_buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)u), i = 0, wire = 0, n, k, cost;

	acap_buf_addch(b, '"');
	while (i < len) {
		n = utf8_seq_len(u + i, len - i);
		cost = 0;
		for (k = 0; k < n; k++)
			cost += u[i + k] == '"' || u[i + k] == '\\' ? 2 : 1;
		if (wire + cost > QUOTED_MAX)
			break;
		for (k = 0; k < n; k++) {
			switch (u[i + k]) {
			case '\r':
			case '\n':
				acap_buf_addch(b, ' ');
				break;
			case '"':
			case '\\':
				acap_buf_addch(b, '\\');
				acap_buf_addch(b, (char)u[i + k]);
				break;
			default:
				acap_buf_addch(b, (char)u[i + k]);
				break;
			}
		}
		wire += cost;
		i += n;
	}
	acap_buf_addch(b, '"');
}
