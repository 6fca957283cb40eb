/*
 * bench-json.c -- acap-bench's JSON output over Jansson: a stack of the
 * open containers; members are added to the innermost one and the root
 * is dumped on demand.  No JSON syntax is written here.
 */
#include "autoconf.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench-json.h"

#define BENCH_JSON_MAX_DEPTH	32

struct bench_json {
	json_t *root;
	json_t *stack[BENCH_JSON_MAX_DEPTH];	/* open containers */
	unsigned int depth;
	char *text;
};

struct bench_json *
bench_json_new(void)
{
	struct bench_json *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		abort();
	return j;
}

void
bench_json_free(struct bench_json **jp)
{
	if (*jp == NULL)
		return;
	json_decref((*jp)->root);
	free((*jp)->text);
	free(*jp);
	*jp = NULL;
}

/* Add v under key to the innermost open container (or make it the root). */
static void
add(struct bench_json *j, const char *key, json_t *v)
{
	json_t *top;
	int r;

	if (v == NULL)
		abort();
	if (j->depth == 0) {
		json_decref(j->root);
		j->root = v;
		return;
	}
	top = j->stack[j->depth - 1];
	if (json_is_object(top))
		r = json_object_set_new(top, key != NULL ? key : "", v);
	else
		r = json_array_append_new(top, v);
	if (r == -1)
		abort();
}

static void
push(struct bench_json *j, const char *key, json_t *c)
{
	if (j->depth >= BENCH_JSON_MAX_DEPTH)
		abort();
	add(j, key, c);
	j->stack[j->depth++] = c;	/* borrowed: the parent holds it */
}

static void
pop(struct bench_json *j)
{
	if (j->depth > 0)
		j->depth--;
}

void
bench_json_open(struct bench_json *j, const char *key)
{
	push(j, key, json_object());
}

void
bench_json_close(struct bench_json *j)
{
	pop(j);
}

void
bench_json_open_array(struct bench_json *j, const char *key)
{
	push(j, key, json_array());
}

void
bench_json_close_array(struct bench_json *j)
{
	pop(j);
}

void
bench_json_str(struct bench_json *j, const char *key, const char *s)
{
	json_t *v = s != NULL ? json_string(s) : NULL;

	add(j, key, v != NULL ? v : json_null());
}

void
bench_json_uint(struct bench_json *j, const char *key, uint64_t v)
{
	add(j, key, v <= INT64_MAX ? json_integer((json_int_t)v) :
	    json_real((double)v));
}

void
bench_json_num(struct bench_json *j, const char *key, double v)
{
	if (!isfinite(v))
		add(j, key, json_null());
	else if (v == floor(v) && fabs(v) < 1e15)
		add(j, key, json_integer((json_int_t)v));
	else
		add(j, key, json_real(v));
}

void
bench_json_bool(struct bench_json *j, const char *key, bool v)
{
	add(j, key, json_boolean(v));
}

const char *
bench_json_text(struct bench_json *j)
{
	char *s;
	size_t n;

	free(j->text);
	j->text = NULL;
	if (j->root == NULL)
		return "";
	s = json_dumps(j->root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
	if (s == NULL)
		abort();
	n = strlen(s);
	if ((j->text = malloc(n + 2)) == NULL)
		abort();
	memcpy(j->text, s, n);
	memcpy(j->text + n, "\n", 2);
	free(s);
	return j->text;
}
