/*
 * bench-json.c -- minimal JSON writer: pretty-printed with two-space
 * indentation, strings escaped per RFC 8259 §7 (control characters as
 * \u00XX, '"' and '\\' escaped, other octets passed through).
 */
#include "autoconf.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"
#include "bench-json.h"

#define JSON_MAX_DEPTH	32

struct bench_json {
	struct acap_buf out;
	unsigned int depth;
	bool first[JSON_MAX_DEPTH];	/* no member written yet */
};

struct bench_json *
bench_json_new(void)
{
	struct bench_json *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		abort();
	acap_buf_init(&j->out);
	j->first[0] = true;
	return j;
}

void
bench_json_free(struct bench_json **jp)
{
	if (*jp == NULL)
		return;
	acap_buf_deinit(&(*jp)->out);
	free(*jp);
	*jp = NULL;
}

static void
json_indent(struct bench_json *j)
{
	unsigned int i;

	acap_buf_addch(&j->out, '\n');
	for (i = 0; i < j->depth; i++)
		acap_buf_addstr(&j->out, "  ");
}

static void
json_string(struct bench_json *j, const char *s)
{
	const unsigned char *p;

	acap_buf_addch(&j->out, '"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			acap_buf_addch(&j->out, '\\');
			acap_buf_addch(&j->out, (char)*p);
		} else if (*p < 0x20)
			acap_buf_printf(&j->out, "\\u%04x", *p);
		else
			acap_buf_addch(&j->out, (char)*p);
	}
	acap_buf_addch(&j->out, '"');
}

/* Comma, newline, indentation and "key": before a value. */
static void
json_member(struct bench_json *j, const char *key)
{
	if (!j->first[j->depth])
		acap_buf_addch(&j->out, ',');
	j->first[j->depth] = false;
	if (j->depth > 0)
		json_indent(j);
	if (key != NULL) {
		json_string(j, key);
		acap_buf_addstr(&j->out, ": ");
	}
}

static void
json_push(struct bench_json *j, const char *key, char c)
{
	json_member(j, key);
	acap_buf_addch(&j->out, c);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void
json_pop(struct bench_json *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		json_indent(j);
	acap_buf_addch(&j->out, c);
	if (j->depth == 0)
		acap_buf_addch(&j->out, '\n');
}

void
bench_json_open(struct bench_json *j, const char *key)
{
	json_push(j, key, '{');
}

void
bench_json_close(struct bench_json *j)
{
	json_pop(j, '}');
}

void
bench_json_open_array(struct bench_json *j, const char *key)
{
	json_push(j, key, '[');
}

void
bench_json_close_array(struct bench_json *j)
{
	json_pop(j, ']');
}

void
bench_json_str(struct bench_json *j, const char *key, const char *s)
{
	json_member(j, key);
	if (s == NULL)
		acap_buf_addstr(&j->out, "null");
	else
		json_string(j, s);
}

void
bench_json_uint(struct bench_json *j, const char *key, uint64_t v)
{
	json_member(j, key);
	acap_buf_printf(&j->out, "%" PRIu64, v);
}

void
bench_json_num(struct bench_json *j, const char *key, double v)
{
	json_member(j, key);
	if (!isfinite(v))
		acap_buf_addstr(&j->out, "null");
	else if (v == floor(v) && fabs(v) < 1e15)
		acap_buf_printf(&j->out, "%.0f", v);
	else
		acap_buf_printf(&j->out, "%.6g", v);
}

void
bench_json_bool(struct bench_json *j, const char *key, bool v)
{
	json_member(j, key);
	acap_buf_addstr(&j->out, v ? "true" : "false");
}

const char *
bench_json_text(const struct bench_json *j)
{
	return j->out.data != NULL ? j->out.data : "";
}
