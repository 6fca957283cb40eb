/*
 * validate.h -- the catalogue of known settings attributes and the checks
 * acapctl applies to values before it stores them ("set", "import").
 *
 * Owns nothing; pure functions.  The server stores any value (the
 * dataset-class drafts forbid servers to enforce syntax); these checks
 * are the client-side rules of doc/settings.md: URL syntax and ports
 * 1-65535, TLS policy names, idle ceilings (RFC 5383 §4.1), flags.
 */
#ifndef ACAPCTL_VALIDATE_H
#define ACAPCTL_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* One known attribute (doc/settings.md lists the same table). */
struct validate_attr {
	const char *name;
	const char *cls;	/* dataset class it lives in */
	const char *type;	/* "imap-url", "number", "0/1" ... */
	const char *deflt;	/* behaviour when absent, or NULL */
	const char *ref;	/* the document that defines it */
	const char *layer;	/* which layer usually sets it */
	const char *desc;
};

/* The whole catalogue (*n_r entries), sorted by name. */
const struct validate_attr *validate_catalogue(size_t *n_r);
/* Entry for an attribute, or NULL when it is not in the catalogue. */
const struct validate_attr *validate_lookup(const char *name);

enum validate_level {
	VALIDATE_OK,
	VALIDATE_WARN,		/* stored, but the user is told why */
	VALIDATE_REFUSE,	/* not stored */
};

/*
 * Check value (len octets) for attr.  deliberate says the operator asked
 * to set it against an RFC 5383 recommendation (--deliberate): then the
 * RFC 5383 refusals become warnings.  Returns the level; for WARN and
 * REFUSE, msg gets a sentence naming the attribute and the rule
 * ("vendor.acapd.idle-ceiling: 7200 is 2 hours or more; RFC 5383 §4.1
 * ...").  Unknown attributes are OK.
 */
enum validate_level validate_value(const char *attr, const char *value,
    size_t len, bool deliberate, char *msg, size_t msglen);

/* A parsed server URL (imap:, imaps:, pop:, smtp:, smtps:, submission:). */
struct validate_url {
	char scheme[16];	/* lower case */
	char host[256];
	unsigned int port;	/* the given port, or the scheme's default */
	bool port_given;
	bool implicit_tls;	/* imaps / pops / smtps schemes */
};

/*
 * Parse "scheme:[//][user[;AUTH=mech]@]host[:port][/...]" (RFC 5092 IMAP
 * URLs, RFC 2384 POP URLs, the SMTP URL of draft-ietf-acap-pers §8).
 * Default ports: imap 143, imaps 993, pop 110, pops 995, smtp 25 (the
 * draft's default), smtps 465, submission 587.  Returns 0, or -1 with
 * *errstr_r (static).
 */
int validate_parse_url(const char *s, struct validate_url *u,
    const char **errstr_r);

/* TLS policy names of vendor.acapd.tls. */
bool validate_tls_policy_ok(const char *s);

/*
 * An idle ceiling: decimal seconds, 1..2^31-1.  Returns 0 and *secs_r,
 * or -1.
 */
int validate_parse_seconds(const char *s, long *secs_r);

#define VALIDATE_IDLE_MAX_DEFAULT	1740	/* 29 minutes */
#define VALIDATE_IDLE_HARD		7200	/* RFC 5383 §4.1: 2 hours */

#endif
