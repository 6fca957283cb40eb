/*
 * bench-json.h -- a minimal JSON writer for acap-bench --json output.
 * Owns its output text and a stack of open objects/arrays; commas and
 * string escaping are handled here, nesting order is the caller's job.
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
 * array or at the top level.
 */
void bench_json_open(struct bench_json *j, const char *key);	/* { */
void bench_json_close(struct bench_json *j);			/* } */
void bench_json_open_array(struct bench_json *j, const char *key); /* [ */
void bench_json_close_array(struct bench_json *j);		/* ] */
void bench_json_str(struct bench_json *j, const char *key, const char *s);
void bench_json_uint(struct bench_json *j, const char *key, uint64_t v);
/* Non-finite numbers are written as null. */
void bench_json_num(struct bench_json *j, const char *key, double v);
void bench_json_bool(struct bench_json *j, const char *key, bool v);

/* The text so far (NUL-terminated, owned by j, valid until the next call). */
const char *bench_json_text(const struct bench_json *j);

#endif
