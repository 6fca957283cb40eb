/*
 * aclobj.h -- ACL objects for SETACL, DELETEACL, MYRIGHTS and LISTRIGHTS
 * (RFC 2244 §3.5, §6.7): parsing "(dataset [attribute [entry]])",
 * the caller's rights on it, its current ACL, and writing a new one
 * through the store (one transaction).
 */
#ifndef ACLOBJ_H
#define ACLOBJ_H

#include <stdbool.h>
#include <stddef.h>

#include "commands.h"
#include "store.h"

struct aclobj {
	char *dataset;		/* canonical, malloc'd */
	const char *attr;	/* NULL: the dataset's default ACL */
	const char *entry;	/* NULL: the dataset's default for attr */
	char **items;		/* current ACL ("ident\trights"), malloc'd */
	size_t *lens;
	size_t nitems;
	bool exists;		/* the object has an ACL now */
	unsigned int rights;	/* the caller's rights on the object */
};

/*
 * Parse the acl-object argument and look the object up: 0 on success, or
 * -1 after replying (BAD for syntax; NO (NOEXIST) for a dataset or entry
 * that does not exist or that the caller cannot see, so unreadable
 * entries cannot be probed, §3.5).  Release with aclobj_close().
 */
int aclobj_open(struct cmd_ctx *cmd, const struct acap_arg *arg,
    struct aclobj *o);
void aclobj_close(struct aclobj *o);

/* NO (PERMISSION (object)) with text. */
enum cmd_status aclobj_no_permission(struct cmd_ctx *cmd,
    const struct aclobj *o, const char *what);

/*
 * Replace the object's ACL with items (NULL/0 with remove: delete it).
 * Returns the store's answer.
 */
enum store_err aclobj_write(struct cmd_ctx *cmd, const struct aclobj *o,
    char *const *items, const size_t *lens, size_t n, bool remove);

/* Reply to a store error from aclobj_write(). */
enum cmd_status aclobj_reply_err(struct cmd_ctx *cmd, const struct aclobj *o,
    enum store_err err);

/*
 * The object's items with ident's item replaced by item (added when
 * absent), or removed when item is NULL.  The arrays are malloc'd (free
 * them, not the strings, which stay owned by o or the caller).
 */
int aclobj_edit(const struct aclobj *o, const char *ident, size_t identlen,
    const char *item, size_t itemlen, char ***items_r, size_t **lens_r,
    size_t *n_r);

/* An identifier argument: string-utf8, no TAB, not empty. */
bool aclobj_ident_ok(const struct acap_arg *a);

#endif
