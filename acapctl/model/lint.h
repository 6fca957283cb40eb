/*
 * lint.h -- checks of effective mail settings against RFC 5383
 * ("lemonade" deployment considerations) and RFC 8314 TLS practice.
 *
 * Owns the findings it returns.  Pure: works on datasets already read
 * (ds.h), so it is unit-tested without a server.  Each finding names its
 * rule; doc/settings.md documents the rules.
 */
#ifndef ACAPCTL_LINT_H
#define ACAPCTL_LINT_H

#include <stddef.h>

struct ds;

enum lint_severity {
	LINT_NOTE,	/* deliberate deviation, or informational */
	LINT_WARNING,	/* against a SHOULD / recommendation */
	LINT_ERROR,	/* against a MUST, or a value clients cannot use */
};

struct lint_finding {
	enum lint_severity severity;
	const char *rule;	/* static: "imap-port-143" ... */
	const char *ref;	/* static: "RFC 5383 §3" ... */
	char *cls;		/* "email" / "personality" */
	char *entry;
	char *attr;		/* may be NULL */
	char *message;
};

struct lint_report {
	struct lint_finding *f;
	size_t n;
};

/*
 * Check the accounts in email (an effective /email/... view) and the
 * personalities in personality (may be NULL).  Findings are appended to
 * *r (initialise it to zero).  Rules:
 *   imap-port-143        RFC 5383 §3: IMAP on 143 (993 with implicit TLS
 *                        is accepted, RFC 8314 §3.3)
 *   submission-port-587  RFC 5383 §3: submission on 587 (465 with
 *                        implicit TLS accepted, RFC 8314 §3.3)
 *   tls-required         RFC 8314 §3, RFC 2595 §2: STARTTLS required or
 *                        implicit TLS; policy and port agree
 *   idle-ceiling-2h      RFC 5383 §4.1: under 2 hours unless deliberate
 *   idle-ceiling-29min   RFC 5383 §4.1 with IMAP's 29-minute IDLE
 *                        (RFC 2177): warn above 1740 s
 *   tcp-keepalive-off    RFC 5383 §4.2: no TCP keep-alive
 * An attribute ATTR with a "vendor.acapd.deliberate.ATTR" marker in the
 * entry has its warnings and RFC 5383 errors turned into notes.
 */
void lint_run(const struct ds *email, const struct ds *personality,
    struct lint_report *r);
void lint_report_clear(struct lint_report *r);
/* "note", "warning", "error". */
const char *lint_severity_name(enum lint_severity s);
/* Count of findings at the given severity or worse. */
size_t lint_count(const struct lint_report *r, enum lint_severity min);

#endif
