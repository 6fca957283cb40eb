/*
 * domains.h -- the discovery registries of acapctl: the mail domains of
 * organisations and of the site (/vendor.acapd.domain/site/) and the
 * address index (/vendor.acapd.address/site/) that maps an address to
 * its user (doc/settings.md §3, doc/discovery.md).
 *
 * Owns nothing across calls.  Reads go through ctl.h; writes are added
 * to a caller's ds_store so that one STORE does everything (RFC 2244
 * §6.6.1, atomic).  Entries are created create-only (UNCHANGEDSINCE), so
 * that of two admins taking the same domain or address one fails.  The
 * registries are admins' (an empty dataset.acl); a domain's record is
 * readable by its organisation's members, an address's by its user.
 */
#ifndef ACAPCTL_DOMAINS_H
#define ACAPCTL_DOMAINS_H

#include <stddef.h>

struct ctl;
struct ds_store;
struct json_t;

/*
 * The domains of org (NULL: the site's own) appended to list (a JSON
 * array of strings, in name order).  Returns how many, or -1.
 */
int domains_list(struct ctl *ctl, const char *org, struct json_t *list);

/*
 * Who owns domain: 1 and *org_r (new string, NULL for the site), 0 when
 * the domain is not registered, -1 on error (recorded).
 */
int domains_owner(struct ctl *ctl, const char *domain, char **org_r);

/* Add to st: a new domain (lowercase, valid) of org (NULL: the site). */
void domains_store_add(struct ds_store *st, const char *domain,
    const char *org);

/*
 * Add to st: the removal of the given domains of org (NULL: the site's;
 * domains NULL: all of them) and of every address in them.  Returns the
 * number of domains removed, or -1.
 */
int domains_store_drop(struct ctl *ctl, struct ds_store *st, const char *org,
    const char *const *domains, size_t n);

/* The addresses of user appended to list.  Returns how many, or -1. */
int addresses_list(struct ctl *ctl, const char *user, struct json_t *list);

/* Who an address is: 1 and *user_r (new string), 0, -1. */
int addresses_user(struct ctl *ctl, const char *addr, char **user_r);

/* Add to st: a new address (lowercase, valid) of user. */
void addresses_store_add(struct ds_store *st, const char *addr,
    const char *user);

/*
 * Add to st: the removal of user's addresses -- all of them when org is
 * NULL, else those in the domains of org (what a user leaving org
 * loses).  Appends them to dropped (may be NULL).  Returns how many, or
 * -1.
 */
int addresses_store_drop(struct ctl *ctl, struct ds_store *st,
    const char *user, const char *org, struct json_t *dropped);

/*
 * Check that addr may be user's (a member of org, NULL: of the site):
 * its domain is registered to org or to the site, and the address is
 * free.  Returns 0, or -1 with an error recorded (naming the rule).
 */
int addresses_check(struct ctl *ctl, const char *addr, const char *user,
    const char *org);

/*
 * The default addresses of a user of org: "user@domain" for each domain
 * of org (of the site when org is NULL) that is valid and free (one the
 * user has already is skipped), appended to list (JSON strings).
 * Returns how many, or -1.
 */
int addresses_defaults(struct ctl *ctl, const char *user, const char *org,
    struct json_t *list);

#endif
