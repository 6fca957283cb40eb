/*
 * access.h -- the caller's identity and rights for a connection: builds
 * the search_access hook (search.h) from acl.c's rights math, the user's
 * groups and the configured admins.  Owns nothing per connection: the
 * identity is derived from conn.c's state on each call.
 */
#ifndef ACCESS_H
#define ACCESS_H

#include <stddef.h>

#include "acl.h"
#include "search.h"

struct conn;

/*
 * Fill *acc_r with the rights hook for connection c.  The hook reads the
 * connection when called: valid while c lives.
 */
void access_for_conn(struct conn *c, struct search_access *acc_r);

/*
 * Group membership (ACL identifiers "/group/<name>", acl.h) is
 * provisioning data in the entry named after the user in the site
 * dataset ACCESS_USERS_DS (acapctl's user registry): the user's
 * organisation (ACCESS_ORG_ATTR, single value) and any further groups
 * (ACCESS_GROUPS_ATTR, multi-value).  Read at authentication, and again
 * when a commit changes the user's entry (context.c).
 */
#define ACCESS_USERS_DS		"/vendor.acapd.user/site/"
#define ACCESS_ORG_ATTR		"vendor.acapd.user.org"
#define ACCESS_GROUPS_ATTR	"vendor.acapd.user.groups"

/*
 * The audit context of a change made by c (store.h struct store_audit):
 * its authenticated and authorization identities, peer address and
 * session (the connection id as the log prints it, in *sid).  Valid
 * while c lives and sid is in scope.
 */
struct store_audit;
#define ACCESS_SID_LEN	16
void access_audit(struct conn *c, const char *op, struct store_audit *a_r,
    char sid[ACCESS_SID_LEN + 1]);

/* Load c's groups from the store (none when there is no entry). */
void access_load_groups(struct conn *c);

/* The identity of c (user, groups, admin), for direct acl_rights() use. */
void access_identity(struct conn *c, struct acl_identity *who_r);

/*
 * Rights of c on an ACL governing something in canonical dataset path:
 * acl_rights() plus the implicit owner rights (acl_implicit_rights()).
 */
unsigned int access_rights(struct conn *c, const char *dataset,
    const struct store_str *acl, size_t nacl);

#endif
