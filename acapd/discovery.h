/*
 * discovery.h -- mail-client discovery over acapd's HTTP listener:
 * Mozilla autoconfig, Autodiscover (POX 2006a and the JSON v2 pointer),
 * answered from the effective settings of the layer a request resolves to
 * (doc/discovery.md).
 *
 * Owns nothing but its routes; reads the store through inherit.h views
 * with no ACL (acapd itself reads), and decides what an unauthenticated
 * client may see (org-level only, unless the organisation opts in).
 */
#ifndef ACAPD_DISCOVERY_H
#define ACAPD_DISCOVERY_H

#include <stdbool.h>

#include "profile.h"

/* The registries the resolution reads (written by acapctl). */
#define DISC_DOMAINS	"/vendor.acapd.domain/site/"	/* entry: lowercase domain */
#define DISC_DOMAIN_ORG	"vendor.acapd.domain.org"	/* absent: a site domain */
#define DISC_ADDRESSES	"/vendor.acapd.address/site/"	/* entry: lowercase address */
#define DISC_ADDRESS_USER "vendor.acapd.address.user"
#define DISC_ORGS	"/vendor.acapd.org/site/"
#define DISC_ORG_OPTIN	"vendor.acapd.org.discovery"	/* "user": per-user answers */

/* Register the discovery routes with http.c (before http_open()). */
void discovery_init(void);

/*
 * Where a request resolves.  A profile is filled from the effective
 * settings of that layer: the account named by the mua.default.account
 * option, else the first account entry carrying email.server.IMAP.
 */
enum disc_result {
	DISC_OK = 0,
	DISC_UNKNOWN_DOMAIN,		/* 404 */
	DISC_NOT_YOURS,			/* 403: authenticated as someone else */
	DISC_STORE_ERROR		/* 503 */
};

/*
 * Fill p for domain (lowercase) and, when per-user answers are allowed,
 * the address addr (lowercase, or NULL).  auth_user is the verified HTTP
 * Basic user or NULL.  p must be profile_init()ed.
 */
enum disc_result discovery_resolve(const char *domain, const char *addr,
    const char *auth_user, struct profile *p);

/*
 * Fill p from the effective settings of one layer ("site", "group/<org>",
 * "user/<user>", "host/<device>"), as the endpoints do.  false on a store
 * error.  (enrol.c builds a device's profile with it.)
 */
bool discovery_fill_layer(struct profile *p, const char *layer);

#endif
