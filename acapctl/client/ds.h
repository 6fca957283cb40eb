/*
 * ds.h -- datasets as acapctl holds them: attribute values, entries read
 * from SEARCH ... RETURN ("*") (RFC 2244 §6.4.2), and STORE commands being
 * assembled (§6.6.1).
 *
 * Owns the copies it makes; no I/O (ctl.h runs the commands).  The
 * structures are plain data, read directly by the command modules.
 */
#ifndef ACAPCTL_DS_H
#define ACAPCTL_DS_H

#include <stdbool.h>
#include <stddef.h>

struct acap_arg;
struct acap_buf;
struct acap_client;
struct json_t;

/* An attribute value (RFC 2244 §3.1): NIL, one string or a multi-value.
 * DEFAULT exists only in STOREs (§6.6.1 value-nildef). */
enum ds_kind {
	DS_NIL,
	DS_SINGLE,
	DS_MULTI,
	DS_DEFAULT,
};

struct ds_value {
	enum ds_kind kind;
	size_t n;		/* SINGLE: 1; MULTI: 0 or more */
	char **v;		/* NUL-terminated copies ... */
	size_t *len;		/* ... that may contain NUL: use len */
};

struct ds_attr {
	char *name;
	struct ds_value value;
};

struct ds_entry {
	char *name;
	char *modtime;			/* NULL when not returned */
	struct ds_attr *attrs;		/* sorted by name; without "entry"
					   and "modtime" */
	size_t nattrs;
};

struct ds {
	char *path;			/* the dataset searched */
	bool exists;			/* false after NO (NOEXIST) */
	struct ds_entry *entries;	/* sorted by name, without "" */
	size_t nentries;
	struct ds_entry *mgmt;		/* the "" entry (§5), or NULL */
};

/* Values. */
void ds_value_init_nil(struct ds_value *v);
void ds_value_init_default(struct ds_value *v);
void ds_value_init_single(struct ds_value *v, const char *s, size_t len);
void ds_value_init_str(struct ds_value *v, const char *s);
void ds_value_init_multi(struct ds_value *v, const char *const *vals,
    size_t n);
void ds_value_free(struct ds_value *v);
void ds_value_copy(struct ds_value *dst, const struct ds_value *src);
bool ds_value_equal(const struct ds_value *a, const struct ds_value *b);
/* The single value as a C string, or NULL (NIL, multi, DEFAULT). */
const char *ds_value_str(const struct ds_value *v);
/*
 * From a parsed argument: NIL, a string, or a list of strings (a
 * multi-value).  Returns 0, or -1 for anything else.
 */
int ds_value_from_arg(const struct acap_arg *a, struct ds_value *v);
/* JSON: null, "string", ["a", "b"]; DEFAULT is {"default": true}. */
struct json_t *ds_value_to_json(const struct ds_value *v);
/* Numbers are taken as their decimal text.  Returns 0 or -1. */
int ds_value_from_json(const struct json_t *j, struct ds_value *v);
/* For humans: "text" quoted as ACAP does, (list), NIL or DEFAULT. */
void ds_value_format(const struct ds_value *v, struct acap_buf *out);

/* Entries and datasets. */

/*
 * Parse the arguments of an ENTRY response to SEARCH ... RETURN ("*")
 * (§6.4.2): entry name, then one list of ("attribute" value) groups.
 * "entry" is dropped, "modtime" goes to e->modtime.  Returns 0 or -1.
 */
int ds_entry_parse(const struct acap_arg *args, size_t nargs,
    struct ds_entry *e);
void ds_entry_clear(struct ds_entry *e);
/* Attribute by name, or NULL. */
const struct ds_attr *ds_entry_get(const struct ds_entry *e,
    const char *attr);
/* Add or replace an attribute (value copied). */
void ds_entry_set(struct ds_entry *e, const char *attr,
    const struct ds_value *v);

struct ds *ds_new(const char *path);
void ds_free(struct ds **dsp);
/* Take ownership of *e (which is zeroed); "" becomes the mgmt entry. */
void ds_add_entry(struct ds *ds, struct ds_entry *e);
/* Sort entries after the last ds_add_entry(). */
void ds_sort(struct ds *ds);
const struct ds_entry *ds_find(const struct ds *ds, const char *name);
/* dataset.inherit of the "" entry (§5), or NULL. */
const char *ds_inherit(const struct ds *ds);

/* STORE assembly (§6.6.1): one command, atomic on the server. */

#define DS_CREATE_ONLY	0x01	/* UNCHANGEDSINCE "00000101000000" */
#define DS_NOCREATE	0x02

struct ds_store;

struct ds_store *ds_store_new(void);
void ds_store_free(struct ds_store **stp);
/*
 * Value of attr in the entry at entry_path (dataset path + entry name;
 * the dataset path alone for its "" entry).  A repeated entry path is
 * merged and a repeated attribute replaced, because the RFC makes
 * repeats BAD.
 */
void ds_store_set(struct ds_store *st, const char *entry_path,
    const char *attr, const struct ds_value *v);
void ds_store_set_str(struct ds_store *st, const char *entry_path,
    const char *attr, const char *s);
/*
 * acl metadata (RFC 2244 §3.1.2, §3.5) for attr in the entry at
 * entry_path: the ACL items ("identifier<TAB>rights"), written with the
 * attribute's value if it has one in the command, else alone.
 */
void ds_store_acl(struct ds_store *st, const char *entry_path,
    const char *attr, const char *const *items, size_t n);
/* The same acl on "entry" and on every attribute the entry has in st. */
void ds_store_acl_all(struct ds_store *st, const char *entry_path,
    const char *const *items, size_t n);
/* Modifiers for one entry (DS_CREATE_ONLY, DS_NOCREATE). */
void ds_store_modifiers(struct ds_store *st, const char *entry_path,
    unsigned int flags);
/* Number of entries in the command. */
size_t ds_store_count(const struct ds_store *st);
/*
 * The command text after the tag: "STORE (...) (...)".  c chooses
 * literal forms (acap_client_add_string()); may be NULL (then only
 * quoted strings and {n} literals are written).
 */
void ds_store_format(const struct ds_store *st, const struct acap_client *c,
    struct acap_buf *out);

/* Join a dataset path and an entry name into an entry path. */
char *ds_entry_path(const char *dataset, const char *entry);

#endif
