/*
 * registry.h -- acapctl's registries of organisations, users and devices
 * (vendor datasets, doc/settings.md) and the dataset.inherit wiring that
 * makes a layer inherit from the one above it (RFC 2244 §5.1).
 *
 * Owns nothing across calls.  Reads go through ctl.h; writes are added
 * to a caller's ds_store so that one STORE does everything (atomic).
 */
#ifndef ACAPCTL_REGISTRY_H
#define ACAPCTL_REGISTRY_H

struct ctl;
struct ds;
struct ds_entry;
struct ds_store;

/*
 * Look up one registry entry (dataset path + name).  Returns 1 with a
 * copy of the entry in *e (when e != NULL; clear it with
 * ds_entry_clear()), 0 when absent, -1 on error (recorded).
 */
int registry_get(struct ctl *ctl, const char *dataset, const char *name,
    struct ds_entry *e);

/*
 * One attribute of a registry entry: 1 and *val_r (new string, NULL when
 * the entry lacks it), 0 when the entry is absent, -1 on error.
 */
int registry_lookup(struct ctl *ctl, const char *dataset, const char *name,
    const char *attr, char **val_r);

/*
 * The organisation a user belongs to: 1 and *org_r (new string; NULL
 * when the user inherits from the site directly), 0 when the user is not
 * registered, -1 on error.
 */
int registry_user_org(struct ctl *ctl, const char *user, char **org_r);

/* The user owning a device: 1 and *user_r (new string), 0, -1. */
int registry_device_user(struct ctl *ctl, const char *id, char **user_r);

/*
 * The walls between tenants (doc/security.md §4), added to st after the
 * registry entry's attributes: the registry is readable by admins only
 * (an empty dataset.acl) and the entry name in it by ident (a user name
 * or "/group/<org>"), read-only, through acl metadata on "entry" and
 * every attribute st sets in it.  acapctl takes no decision from a
 * record a user can write: these registries are written by admins only.
 */
void registry_entry_walls(struct ds_store *st, const char *dataset,
    const char *name, const char *ident);
/* registry_entry_walls() of an organisation's record: its members. */
void registry_org_walls(struct ds_store *st, const char *org);

/*
 * Add to st: dataset.inherit of every settings class of the layer
 * (kind, name) pointing at parent (a layer of the same classes; e.g.
 * user bob -> org acme).  kind and parent_kind are enum model_kind.
 * An organisation's layer is made readable by its members only
 * ("/group/<org>"), a device's by its user only (parent_name); admins
 * read everything.
 */
void registry_wire(struct ds_store *st, int kind, const char *name,
    int parent_kind, const char *parent_name);

/*
 * Add to st: revert every own entry of the layer's settings datasets to
 * inheritance ("entry" DEFAULT, RFC 2244 §6.6.1) -- i.e. delete the
 * layer's own settings.  Reads the datasets first.  Returns the number
 * of entries, or -1 (error recorded).
 */
int registry_clear_layer(struct ctl *ctl, struct ds_store *st, int kind,
    const char *name);

/*
 * Users registered in org (NULL: those directly under the site): their
 * names are appended to list (a JSON array).  Returns how many, or -1.
 */
struct json_t;
int registry_org_users(struct ctl *ctl, const char *org,
    struct json_t *list);

/*
 * Add to st everything that removes device id of user: its own settings
 * (as registry_clear_layer()), its registry and index entries.
 * Returns 0 or -1 (error recorded).
 */
int registry_drop_device(struct ctl *ctl, struct ds_store *st,
    const char *user, const char *id);

/*
 * Every registered layer that inherits, directly or not, from layer
 * (kind, name): for the site all organisations, users and devices; for
 * an organisation its users and their devices; for a user its devices.
 * *ls_r is a new array of *n_r layers (free each with
 * model_layer_clear(), then the array).  Returns 0 or -1.
 */
struct model_layer;
int registry_below(struct ctl *ctl, int kind, const char *name,
    struct model_layer **ls_r, size_t *n_r);

/*
 * The devices of user: the ids the device index (written by admins only)
 * gives to user, each with the display attributes (name, enrolled) of
 * the user's own device registry when it has that id.  The user's
 * registry is the user's to write, so it never decides which devices
 * are theirs (issue "Trust", finding 4).  Returns 0 and a new ds in
 * *ds_r (entries sorted by id), or -1 (error recorded).
 */
int registry_user_devices(struct ctl *ctl, const char *user,
    struct ds **ds_r);

/*
 * Add to st: the removal of every entry of the user's own device
 * registry (what a deleted user leaves there).  Returns 0 or -1.
 */
int registry_clear_own(struct ctl *ctl, struct ds_store *st,
    const char *user);

/* "entry" NIL on a registry entry: delete it (RFC 2244 §6.6.1). */
void registry_delete(struct ds_store *st, const char *dataset,
    const char *name);

#endif
