/*
 * upgrade.h -- walls between tenants for instances provisioned before
 * them (issue "Trust", doc/security.md §4).  acapctl now provisions
 * organisation layers readable by their members, device layers by their
 * owners and its registries by admins (each record readable by whom it
 * is about); upgrade_walls() gives the same ACLs to what an older
 * acapctl made, in one STORE, at start-up, and ends the default
 * inheritance (RFC 2244 §5.3) of per-owner datasets of the registry
 * classes from the registries, now hidden from those owners.
 *
 * Runs only while a registry still has the old default ACL
 * ("anyone<TAB>xr"): the STORE that fixes them marks the instance as
 * upgraded, so a second start finds nothing to do.  Only ACLs equal to
 * the old default are replaced: what an administrator set stays.
 */
#ifndef UPGRADE_H
#define UPGRADE_H

struct store;

/* acapctl's registries (doc/settings.md §3). */
#define UPGRADE_ORG_REGISTRY	"/vendor.acapd.org/site/"
#define UPGRADE_USER_REGISTRY	"/vendor.acapd.user/site/"
#define UPGRADE_DEVICE_INDEX	"/vendor.acapd.device/site/"
#define UPGRADE_DEV_USER_ATTR	"vendor.acapd.device.user"

/*
 * Upgrade the ACLs of the registries and, in each of the space-separated
 * dataset classes, of the organisation (/<class>/group/<org>/) and device
 * (/<class>/host/<id>/) layers.  Returns 1 when something was upgraded,
 * 0 when nothing needed it, -1 with a static reason on a store error.
 */
int upgrade_walls(struct store *st, const char *classes,
    const char **errstr_r);

#endif
