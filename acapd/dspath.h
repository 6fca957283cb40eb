/*
 * dspath.h -- ACAP names: dataset paths, entry names, attribute names
 * (RFC 2244 §3.1, §4.1, §4.3).  Pure functions, no allocation except where
 * said.
 */
#ifndef DSPATH_H
#define DSPATH_H

#include <stdbool.h>
#include <stddef.h>

#define DSPATH_MAX_DEPTH 32	/* components in a dataset path */

/*
 * Entry name (§3.1): valid UTF-8, no "/", no NUL, must not begin with ".".
 * The empty name "" is valid (the dataset's management entry).
 */
bool dspath_entry_name_valid(const char *s, size_t len);

/*
 * Attribute name (§3.1): non-empty valid UTF-8, no NUL, no "*" or "%";
 * dot-separated components that are not empty.
 */
bool dspath_attr_name_valid(const char *s, size_t len);

/*
 * Canonicalise a dataset name: must begin with "/"; a missing trailing "/"
 * is added (ACAP-NOTES §20.19); "~" as the owner ("/email/~/x/") and
 * "/byowner/~/" are replaced by "user/<user>" (§4.1) when user != NULL;
 * the "/byowner/<owner>/<class>/rest" view is rewritten to
 * "/<class>/<owner>/rest" (so both name one dataset).  No component may be
 * empty (except the root "/") or begin with ".".
 * Returns a malloc'd canonical path, or NULL when the name is invalid.
 */
char *dspath_canonical(const char *name, size_t len, const char *user);

/*
 * Split an entry path ("/email/user/fred/corp") into a canonical dataset
 * path (malloc'd, with trailing "/") and the entry name (pointer into
 * path).  Returns 0 or -1 when invalid.
 */
int dspath_split_entry(const char *path, const char *user, char **dataset_r,
    const char **entry_r);

/*
 * Pieces of a canonical "/<class>/<owner...>/<rest>": class (e.g. "email"),
 * the owner ("site", "group/x", "host/x", "user/x"), and the owner's user
 * name when the owner is "user/x".  Any output may be NULL.  Values are
 * malloc'd.  Returns 0, or -1 when path has no class/owner.
 */
int dspath_parse(const char *canonical, char **class_r, char **owner_r,
    char **user_r);

/*
 * Whether canonical dataset may name canonical target in dataset.inherit:
 * not itself, none of its ancestors, none of its descendants (RFC 2244
 * §5.1 inheritance is between distinct datasets; a dataset inheriting
 * its own ancestor sees its own subdatasets again below itself, without
 * end: doc/protocol-notes.md).  Both are canonical paths ending in "/".
 */
bool dspath_inherit_allowed(const char *dataset, const char *target);

#endif
