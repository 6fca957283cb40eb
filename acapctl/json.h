/*
 * json.h -- a small JSON tree for acapctl: built for --json output and
 * for export/import files, parsed back for import.
 *
 * Owns: the nodes of a tree (each node owns its children and strings).
 * Strings keep their length, so values holding NUL survive; they are
 * written as UTF-8 and other octets are escaped as \u00XX (lossy for
 * non-UTF-8 binary values).  Objects keep key order.  RFC 8259 syntax.
 */
#ifndef ACAPCTL_JSON_H
#define ACAPCTL_JSON_H

#include <stdbool.h>
#include <stddef.h>

struct acap_buf;

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json;

/* Constructors: never return NULL (abort on allocation failure). */
struct json *json_new_null(void);
struct json *json_new_bool(bool b);
struct json *json_new_int(long long n);
struct json *json_new_string(const char *s);	/* s == NULL: null */
struct json *json_new_stringn(const char *s, size_t len);
struct json *json_new_array(void);
struct json *json_new_object(void);

/* Free a tree; sets *jp to NULL.  NULL is fine. */
void json_free(struct json **jp);

/*
 * Containers take ownership of v.  json_object_set() replaces (and frees)
 * the value of an existing key.  Return v for chaining.
 */
struct json *json_array_add(struct json *a, struct json *v);
struct json *json_object_set(struct json *o, const char *key, struct json *v);
/* Shortcuts: set key to a string (NULL: null), integer, boolean. */
void json_object_set_str(struct json *o, const char *key, const char *s);
void json_object_set_int(struct json *o, const char *key, long long n);
void json_object_set_bool(struct json *o, const char *key, bool b);

/* Inspection.  Pointers live as long as the node. */
enum json_type json_type(const struct json *j);
bool json_bool(const struct json *j);
/* A number's value truncated to an integer (0 for non-numbers). */
long long json_int(const struct json *j);
/* Whether a number is an integer (no fraction or exponent). */
bool json_is_int(const struct json *j);
/* String contents (NUL-terminated, may contain NUL: see *len_r), or NULL
 * when j is not a string.  len_r may be NULL. */
const char *json_string(const struct json *j, size_t *len_r);
/* Elements of an array or members of an object; 0 for other types. */
size_t json_count(const struct json *j);
struct json *json_array_get(const struct json *j, size_t i);
const char *json_object_key(const struct json *j, size_t i);
struct json *json_object_value(const struct json *j, size_t i);
/* Member by key (the last one if repeated), or NULL. */
struct json *json_object_get(const struct json *j, const char *key);

/*
 * Append j's text to out: compact (one line) or pretty (two-space
 * indent).  No trailing newline.
 */
void json_write(const struct json *j, struct acap_buf *out, bool pretty);

/*
 * Parse one JSON text (surrounding white space allowed).  Nesting is
 * limited to 64 levels.  Returns 0 and the tree in *j_r, or -1 with a
 * message ("line 3 column 7: expected ':'") in err.
 */
int json_parse(const char *text, size_t len, struct json **j_r, char *err,
    size_t errlen);

#endif
