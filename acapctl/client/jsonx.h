/*
 * jsonx.h -- what acapctl adds to Jansson, and nothing else.
 *
 * JSON trees, parsing and writing are Jansson's (json_t, <jansson.h>);
 * callers use its API directly, so there is no second tree type to learn
 * or keep.  These adapters exist only where Jansson's behaviour does not
 * fit acapctl:
 *   - a C string that may be NULL becomes null (json_string(NULL) is NULL,
 *     and json_object_set_new() with NULL silently drops the key);
 *   - ACAP values are octets: json_stringn() refuses non-UTF-8, so other
 *     octets are taken as the code points U+0080-U+00FF (lossy for
 *     binary values, as acapctl's export has always been);
 *   - containers are filled with a failure that aborts (out of memory),
 *     not a return value every caller would have to check;
 *   - one place fixes the dump flags (key order kept; compact for
 *     --json lines, two-space indent for files) and the parse flags
 *     (duplicate keys refused) with a "line L column C" message.
 */
#ifndef ACAPCTL_JSONX_H
#define ACAPCTL_JSONX_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct acap_buf;

/* String nodes; s == NULL gives null.  Never return NULL. */
json_t *jsonx_str(const char *s);
json_t *jsonx_strn(const char *s, size_t len);

/*
 * Containers take ownership of v (Jansson's *_new calls); an existing key
 * is replaced.  Abort when v is NULL or memory runs out.  Return v.
 */
json_t *jsonx_add(json_t *array, json_t *v);
json_t *jsonx_set(json_t *object, const char *key, json_t *v);
/* Shortcuts: a string (NULL: null), an integer, a boolean. */
void jsonx_set_str(json_t *object, const char *key, const char *s);
void jsonx_set_int(json_t *object, const char *key, long long n);
void jsonx_set_bool(json_t *object, const char *key, bool b);

/*
 * Append j's text to out: compact (one line, "," and ":") or pretty
 * (two-space indent, ": ").  Keys in insertion order; non-ASCII as UTF-8.
 * No trailing newline.
 */
void jsonx_write(const json_t *j, struct acap_buf *out, bool pretty);

/*
 * Parse one JSON object or array (surrounding white space allowed):
 * duplicate keys are refused, NUL (\u0000) is allowed in string values
 * but not in keys, the text must be UTF-8, nesting is limited by Jansson
 * (JSON_PARSER_MAX_DEPTH, 2048).  Returns the tree (the caller
 * json_decref()s it), or NULL with "line L column C: TEXT" in err.
 */
json_t *jsonx_parse(const char *text, size_t len, char *err, size_t errlen);

#endif
