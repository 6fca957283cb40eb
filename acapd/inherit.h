/*
 * inherit.h -- effective views of datasets: dataset.inherit chains merged
 * attribute by attribute (RFC 2244 §5.1), virtual subdatasets, entry
 * tombstones, and DELETEDSINCE across a chain.
 *
 * Owns: views (refcounted, immutable).  Resolved in C over store
 * snapshots (store.h); no SQL here.  Access control is not applied here:
 * views expose, per value, the layer it came from and inherit_acl() finds
 * the ACL strings that govern it, so a rights check can be made per entry
 * and attribute by the reader (search.c).
 */
#ifndef INHERIT_H
#define INHERIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/*
 * Layers in a chain, the dataset itself included.  RFC 2244 §5.1 asks for
 * at least 2; we follow up to 16 (more than the 8 we promise) and stop
 * silently at the cap or at a cycle: what was resolved so far is used.
 */
#define INHERIT_MAX_LAYERS	16

/* NOINHERIT (§6.4.1): the dataset's own data; virtual datasets vanish */
#define INHERIT_F_NOINHERIT	0x01

struct inherit_view;

/* A merged attribute: values come from layer "layer" of the view. */
struct inherit_attr {
	struct store_attr a;	/* kind is NIL (only acl metadata, no value),
				   SINGLE or MULTI; never INHERIT */
	unsigned int layer;	/* layer that supplied the value */
	unsigned int acl_layer;	/* layer that supplied a.acl (if any) */
};

/* A merged entry.  "entry" and "modtime" are not in attrs: see
 * inherit_entry_get(). */
struct inherit_entry {
	const char *name;
	const char *modtime;		/* max over contributing layers */
	unsigned int layer;		/* first layer holding the entry */
	const struct inherit_attr *attrs;	/* sorted by name */
	size_t nattrs;
};

/*
 * Open the effective view of canonical dataset path.  A path that is not
 * stored may still exist as a virtual dataset (§5.1: an inherited entry's
 * subdataset makes a virtual copy of the base's child), unless
 * INHERIT_F_NOINHERIT.  Returns STORE_OK and a new reference in *view_r,
 * STORE_ENOEXIST, or a store error.  The view keeps its snapshots alive:
 * every pointer it hands out lives until the last reference is dropped.
 */
enum store_err inherit_view_open(struct store *st, const char *path,
    unsigned int flags, struct inherit_view **view_r);
/*
 * The same view read for one entry: the layers hold only their entries
 * "" and name (store_snap_get_entry), so inherit_view_find() of name
 * (modtime, attributes, the layer it comes from) and the chain are as
 * inherit_view_open() shows them; other entries may be there or not (a
 * layer whose whole snapshot is cached brings all of its entries), so
 * look up name, do not list.  For a check of one entry without reading
 * whole datasets (a STORE's UNCHANGEDSINCE, RFC 2244 §6.6.1; a SEARCH of
 * one entry by name).
 */
enum store_err inherit_view_open_entry(struct store *st, const char *path,
    const char *name, unsigned int flags, struct inherit_view **view_r);
/*
 * One page of a dataset that inherits nothing (or INHERIT_F_NOINHERIT):
 * its "" entry and the first max entries named after "after", read
 * through the store's index (store_snap_get_range); *total_r is how many
 * entries are named after "after" in all.  The entries of the page are
 * as inherit_view_open() shows them.  STORE_EINVALID when the dataset
 * is not served by a range (it inherits, a directory, ...): open it
 * whole.  Paging of SEARCH (search.c).
 */
enum store_err inherit_view_open_range(struct store *st, const char *path,
    const char *after, size_t max, unsigned int flags,
    struct inherit_view **view_r, uint64_t *total_r);
/* Whether v was opened by inherit_view_open_entry() or _range(). */
bool inherit_view_entry_only(const struct inherit_view *v);
void inherit_view_ref(struct inherit_view *v);
void inherit_view_free(struct inherit_view **v_r);	/* unref; sets NULL */

/* Canonical path of the view (layer 0). */
const char *inherit_view_path(const struct inherit_view *v);
/* Whether layer 0 is not stored (virtual or directory dataset). */
bool inherit_view_is_virtual(const struct inherit_view *v);
bool inherit_view_is_directory(const struct inherit_view *v);
/* Number of layers and the path of one (0 = the dataset itself). */
unsigned int inherit_view_layers(const struct inherit_view *v);
const char *inherit_view_layer_path(const struct inherit_view *v,
    unsigned int layer);

/* Visible entries (blocked ones removed), sorted by name in octet order. */
const struct inherit_entry *inherit_view_entries(const struct inherit_view *v,
    size_t *n_r);
/* Binary search by name; NULL when the entry is not visible. */
const struct inherit_entry *inherit_view_find(const struct inherit_view *v,
    const char *name);

/*
 * Whether an entry called name is visible in the chain below layer 0,
 * i.e. whether the dataset would show an inherited entry of that name if
 * it had no local entry (used to decide on inheritance tombstones).
 */
bool inherit_view_base_has(const struct inherit_view *v, const char *name);

/* Room for a computed attribute ("entry", "modtime"). */
struct inherit_tmp {
	struct inherit_attr attr;
	struct store_str str;
};

/*
 * An attribute of a merged entry by name, including the computed "entry"
 * and "modtime" (built in *tmp, which must outlive the result).  Returns
 * NULL when the entry has no such attribute at all; an attribute with acl
 * metadata but no value comes back with kind STORE_V_NIL.
 */
const struct inherit_attr *inherit_entry_get(const struct inherit_entry *e,
    const char *name, struct inherit_tmp *tmp);

/*
 * The ACL that governs attribute attr of entry e (RFC 2244 §3.5): the
 * attribute's own acl metadata, else dataset.acl.<attr>, else dataset.acl
 * of the layer the value comes from (for "entry" and absent attributes:
 * the entry's first layer).  Sets *acl_r and *n_r (NULL and 0 when the
 * layer has none: a virtual layer); pointers live with the view.
 */
void inherit_acl(const struct inherit_view *v, const struct inherit_entry *e,
    const char *attr, const struct store_str **acl_r, size_t *n_r);

/*
 * The dataset-level ACL for attribute attr (dataset.acl.<attr>, else
 * dataset.acl) of the view's first stored layer, and that layer's path:
 * what governs entries that are not there (deleted ones, new ones).
 * *acl_r is NULL when no stored layer has one.
 */
void inherit_dataset_acl(const struct inherit_view *v, const char *attr,
    const struct store_str **acl_r, size_t *n_r, const char **path_r);

/*
 * The effective view the store's write path asks for (store.h
 * struct store_view_ops): give it in store_config.view.
 */
extern const struct store_view_ops inherit_store_view_ops;

/*
 * DELETEDSINCE over a view (RFC 2244 §6.6.2): names deleted after time
 * from any stored layer of path's chain that are not visible now, each
 * once, sorted by name.  cb runs per name; strings live during the call.
 * STORE_ETOOOLD if any layer's log does not reach back to time,
 * STORE_ENOEXIST if the dataset does not exist.  No callback on error.
 */
enum store_err inherit_deleted_since(struct store *st, const char *path,
    const char *time, void (*cb)(void *arg, const char *name), void *arg);

#endif
