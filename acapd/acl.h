/*
 * acl.h -- ACAP access-control math (RFC 2244 §3.5): rights bitmasks,
 * parsing and validating ACL items, and the rights an identity gets from
 * an ACL.  Pure functions: no database, no allocation.  Callers find the
 * governing ACL (attribute acl -> dataset.acl.<attr> -> dataset.acl) and
 * pass its items in.
 */
#ifndef ACL_H
#define ACL_H

#include <stdbool.h>
#include <stddef.h>

#define ACL_R_SEARCH	0x01	/* x: EQUAL with i;octet only */
#define ACL_R_READ	0x02	/* r */
#define ACL_R_WRITE	0x04	/* w */
#define ACL_R_INSERT	0x08	/* i */
#define ACL_R_ADMIN	0x10	/* a */
#define ACL_R_ALL	0x1f
/* Digits 0-9 are site-defined rights (§3.5): kept, never interpreted. */
#define ACL_R_DIGIT(d)	(0x100u << (d))

/* The identifier that matches everybody, anonymous included (§3.5). */
#define ACL_ANYONE	"anyone"
/*
 * Group identifiers: "/group/<name>" (identifiers starting with "/" are
 * reserved for authorization groups, §3.5).  A user is a member of the
 * groups its organisation membership gives it (acapd's provisioning).
 */
#define ACL_GROUP_PREFIX "/group/"

/* Who is asking. */
struct acl_identity {
	const char *user;		/* authenticated user; NULL: anonymous */
	const char *const *groups;	/* group names (without the prefix) */
	size_t ngroups;
	bool admin;			/* configured admin: all rights */
};

/*
 * Parse a rights string ("xrwia", digits allowed, any order, repeats
 * tolerated).  Returns 0 and the mask, or -1 for any other character.
 */
int acl_rights_parse(const char *s, size_t len, unsigned int *rights_r);
/*
 * Canonical rights string, letters in the order x r w i a then digits,
 * into buf (at least 16 bytes).  Returns buf.
 */
char *acl_rights_format(unsigned int rights, char *buf, size_t buflen);

/*
 * One ACL item "identifier<TAB>rights" (§3.5, §8 acl-identrights): a
 * non-empty identifier without TAB (after an optional "-"), valid rights.
 * Splits it when valid.  Returns 0, or -1 when malformed.
 */
int acl_item_parse(const char *item, size_t len, const char **ident_r,
    size_t *identlen_r, bool *negative_r, unsigned int *rights_r);

/*
 * Rights the identity gets from the ACL items (each "ident\trights"):
 * the union of matching positive items minus the union of matching
 * negative ones (§3.5).  Malformed items are ignored.  Admins get
 * ACL_R_ALL whatever the ACL says.
 */
unsigned int acl_rights(const struct acl_identity *who,
    const char *const *items, const size_t *lens, size_t nitems);

/* Whether an identifier (without "-") applies to who. */
bool acl_ident_matches(const struct acl_identity *who, const char *ident,
    size_t len);

/*
 * Rights forced on regardless of the ACL: a user always keeps r and a on
 * the datasets of their own /<class>/user/<me>/ tree, so nobody locks
 * themself out (§3.5 "implicit read and administer rights").  path is a
 * canonical dataset path.
 */
unsigned int acl_implicit_rights(const struct acl_identity *who,
    const char *path);

#endif
