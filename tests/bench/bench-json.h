/*
 * bench-json.h -- acap-bench's --json output, built as a Jansson tree.
 * A streaming-style front (open, members, close) over Jansson, so the
 * report code reads top to bottom; Jansson owns the tree and the
 * escaping, this keeps only the stack of open objects and arrays.
 */
#ifndef BENCH_JSON_H
#define BENCH_JSON_H

#include <stdbool.h>
#include <stdint.h>

struct bench_json;

struct bench_json *bench_json_new(void);
void bench_json_free(struct bench_json **jp);	/* sets *jp = NULL */

/*
 * key is the member name inside an object, and must be NULL inside an
 * array or at the top level.  Nesting deeper than 32 levels aborts.
 */
void bench_json_open(struct bench_json *j, const char *key);	/* { */
void bench_json_close(struct bench_json *j);			/* } */
void bench_json_open_array(struct bench_json *j, const char *key); /* [ */
void bench_json_close_array(struct bench_json *j);		/* ] */
/* s == NULL: null.  s must be UTF-8 (else null). */
void bench_json_str(struct bench_json *j, const char *key, const char *s);
/* Above INT64_MAX the value is written as a real (JSON integers here are
 * Jansson's, signed 64-bit). */
void bench_json_uint(struct bench_json *j, const char *key, uint64_t v);
/* Non-finite numbers are written as null; integral ones below 1e15 as
 * integers, others with 6 significant digits. */
void bench_json_num(struct bench_json *j, const char *key, double v);
void bench_json_bool(struct bench_json *j, const char *key, bool v);

/*
 * The document so far, pretty-printed (two-space indent, keys in the
 * order written) with a final newline; NUL-terminated, owned by j, valid
 * until the next call.
 */
const char *bench_json_text(struct bench_json *j);

#endif
