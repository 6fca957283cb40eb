/*
 * rights.h -- the rights engine: every decision on what a connection may
 * write, and on what an ACL object looks like to it, is taken here, so
 * that a rule written once holds on every path (STORE, SETACL,
 * DELETEACL, MYRIGHTS, LISTRIGHTS).  Reading (SEARCH, contexts,
 * DELETEDSINCE) asks search_visible()/search_dataset_readable() through
 * the access hook of access.h, whose identity this module shares.
 *
 * Rules (doc/acl.md, doc/security.md):
 *  - RFC 2244 §3.5 rights on every attribute of a STORE, base-layer
 *    negative rights (admin locks) included, before anything is applied;
 *  - managed layers: the inheritance (dataset.inherit) of the settings
 *    layers acapctl provisions -- /<class>/site/, /<class>/group/<g>/,
 *    /<class>/user/<u>/, /<class>/host/<h>/ and the /byowner/ templates
 *    -- is the administrator's: a user can neither detach nor re-point
 *    it, nor make any dataset inherit from one it cannot read;
 *  - the lock guard: whatever a non-admin STORE does (values, DEFAULT,
 *    NIL, entry rename or removal, dataset.inherit), it must not change
 *    the effective value, or the layer it comes from, of an attribute
 *    locked in a base layer.  Checked after the STORE is applied, inside
 *    its savepoint (store_batch_apply_verify()), so no path around the
 *    checks above can leave a changed locked value behind;
 *  - ACL objects a caller cannot see answer NOEXIST, exactly as objects
 *    that do not exist (no existence oracle).
 *
 * Owns nothing across calls; configured admins are never bound.
 */
#ifndef RIGHTS_H
#define RIGHTS_H

#include <stdbool.h>
#include <stddef.h>

#include "acap-buf.h"
#include "store.h"

struct conn;
struct inherit_view;

/* A refusal: the response code (without parentheses) and the text. */
struct rights_verdict {
	enum store_err err;	/* STORE_OK, EPERM, ENOEXIST or a store error */
	struct acap_buf code;
	struct acap_buf text;
};

void rights_verdict_init(struct rights_verdict *vd);
void rights_verdict_deinit(struct rights_verdict *vd);

/*
 * Whether connection c may apply the STORE ops (RFC 2244 §6.6.1: every
 * attribute checked before anything is applied).  Call inside the
 * batch's transaction, before store_batch_apply_verify().  Returns true,
 * or false with *vd filled (err EPERM/ENOEXIST: answer NO with vd's code
 * and text; another err: a store failure).
 */
bool rights_store_check(struct conn *c, const struct store_entry_op *ops,
    size_t nops, struct rights_verdict *vd);

/*
 * The lock guard around one STORE: rights_guard_begin() records, before
 * the STORE is applied, the effective value and source layer of every
 * locked attribute the STORE can reach; pass rights_guard_verify as the
 * verify callback of store_batch_apply_verify() with the guard as its
 * argument; free the guard afterwards.  Admins get no guard (NULL).
 */
struct rights_guard;
enum store_err rights_guard_begin(struct conn *c,
    const struct store_entry_op *ops, size_t nops, struct rights_verdict *vd,
    struct rights_guard **g_r);
enum store_err rights_guard_verify(void *g);
void rights_guard_free(struct rights_guard **g_r);

/*
 * Whether canonical dataset path is a managed layer (see above): its
 * dataset.inherit is written by admins only.
 */
bool rights_managed_layer(const char *path);

/*
 * ACL objects (§3.5, §6.7).  The caller's rights on the object of
 * canonical dataset, attr (NULL: the dataset default) and entry (NULL:
 * a dataset-level object) in view v.  Returns false when the object
 * does not exist for the caller -- an entry it cannot see, a dataset it
 * can neither read nor administer -- which must be answered exactly as
 * a missing object is.
 */
bool rights_aclobj(struct conn *c, const struct inherit_view *v,
    const char *dataset, const char *attr, const char *entry,
    unsigned int *rights_r);

/*
 * Reading (doc/acl.md "Reading a dataset").  rights_dataset_readable():
 * whether c may see anything of v (r by its dataset-level ACL, or one
 * entry visible); a dataset it cannot read does not exist for it.
 * rights_dataset_level(): whether the dataset-level ACL of v (for
 * "entry") gives c the right (DELETEDSINCE needs r there: deleted names
 * are not the caller's to see otherwise).  rights_layer_readable(): the
 * same for one stored layer snapshot (DELETEDSINCE reports deletions
 * only from layers the caller reads).
 */
struct store_snap;
bool rights_dataset_readable(struct conn *c, const struct inherit_view *v);
bool rights_dataset_level(struct conn *c, const struct inherit_view *v,
    unsigned int right);
bool rights_layer_readable(struct conn *c, const char *path,
    const struct store_snap *snap);

/* Whether c may see the quota of owner's datasets (the owner, admins). */
bool rights_quota(struct conn *c, const char *owner);

/*
 * The rights identifier (len octets) always has on canonical dataset,
 * whatever the ACL says (LISTRIGHTS' first string): everything for a
 * configured admin, r and a on a user's own tree (§3.5).
 */
unsigned int rights_always(const char *ident, size_t len,
    const char *dataset);

#endif
