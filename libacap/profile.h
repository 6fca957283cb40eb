/*
 * profile.h -- what a mail client needs to set up one account, and the
 * discovery formats written from it (doc/discovery.md).
 *
 * A struct profile holds plain C strings and numbers, filled from the
 * ACAP attributes of the settings model (doc/settings.md §2, §4) by
 * profile_set_attr(), then written by a generator: Mozilla autoconfig
 * (profile.c), Microsoft Autodiscover POX 2006a (profile.c); other formats
 * (Apple configuration profile, JSON) live in their own files against this
 * same struct.  Shared by acapd (the HTTP listener) and acapctl (device
 * profiles).  Every generator XML-escapes every value it writes.
 *
 * Owns: the strings of the struct (profile_free() frees them).
 */
#ifndef ACAP_PROFILE_H
#define ACAP_PROFILE_H

#include "acap-buf.h"

enum profile_socket {
	PROFILE_SOCKET_PLAIN,		/* no TLS (refused by nothing; warned by lint) */
	PROFILE_SOCKET_STARTTLS,	/* plaintext port, STARTTLS (RFC 2595, RFC 3207) */
	PROFILE_SOCKET_SSL		/* implicit TLS (RFC 8314 §3.3) */
};

/* The class of the entry an attribute comes from (both may carry vendor.acapd.tls). */
enum profile_class {
	PROFILE_EMAIL,			/* the account entry of /email/... */
	PROFILE_PERSONALITY		/* the personality entry of /personality/... */
};

/* TLS policy as vendor.acapd.tls says it (doc/settings.md §4). */
enum profile_tls {
	PROFILE_TLS_UNSET,		/* absent: starttls-required unless the URL is imaps:/smtps: */
	PROFILE_TLS_STARTTLS_REQUIRED,
	PROFILE_TLS_STARTTLS_OPTIONAL,
	PROFILE_TLS_IMPLICIT
};

struct profile_server {
	char *host;			/* NULL: none configured */
	char *login;			/* user name from the URL's userinfo, or NULL */
	char *auth;			/* SASL mechanism from ";AUTH=", or NULL (any) */
	char scheme[12];		/* lowercase URL scheme: imap, imaps, smtp, smtps, submission */
	unsigned int port;		/* 0 until profile_finish(): then the effective port */
	int port_given;			/* the URL named a port */
	enum profile_tls tls;		/* vendor.acapd.tls of the entry */
	enum profile_socket socket;	/* valid after profile_finish() */
};

struct profile {
	/* Who: NULL in an organisation-level answer (generators write placeholders). */
	char *email;			/* the address, e.g. "ann@acme.example" */
	char *login;			/* SASL login name; NULL: the address / placeholder */
	char *display_name;		/* personality.Real-Name */
	/* Where */
	char *domain;			/* mail domain, lowercase, e.g. "acme.example" */
	char *org_name;			/* organisation (NULL: the site) */
	char *org_description;		/* vendor.acapd.org.description */
	/* Servers */
	struct profile_server imap;	/* email.server.IMAP + vendor.acapd.tls (email) */
	struct profile_server smtp;	/* personality.Server.SMTP + vendor.acapd.tls (personality) */
	/* RFC 5383 §4.1: vendor.acapd.idle-ceiling in seconds, 0 = not set */
	long idle_ceiling;
	int finished;			/* profile_finish() ran */
};

void profile_init(struct profile *p);
void profile_free(struct profile *p);

/* Replace a string field (NULL clears it). */
void profile_set_str(char **field, const char *value);

/*
 * Map one ACAP attribute of the model onto the profile: from an email
 * entry email.server.IMAP, vendor.acapd.tls, vendor.acapd.idle-ceiling;
 * from a personality entry personality.Server.SMTP, vendor.acapd.tls,
 * personality.Real-Name, personality.Return-Address (as email when none is
 * set yet).  value NULL (NIL) clears.  Returns 1 when used, 0 when the
 * attribute does not concern a client's set-up, -1 when the value cannot
 * be used (malformed URL: the server stays unset).
 */
int profile_set_attr(struct profile *p, enum profile_class cls,
    const char *attr, const char *value);

/*
 * Settle ports and socket types from URL schemes, ports and the TLS
 * policies: implicit → SSL (default ports 993 / 465), starttls-* →
 * STARTTLS, imaps:/smtps: URLs → SSL whatever the policy.  Idempotent; the
 * generators call it.
 */
void profile_finish(struct profile *p);

/* "plain", "STARTTLS", "SSL" (Mozilla autoconfig spelling). */
const char *profile_socket_name(enum profile_socket s);
/* Mozilla autoconfig <authentication> for a SASL mechanism (NULL: any). */
const char *profile_auth_autoconfig(const char *mech);

/*
 * Append s with & < > " ' escaped (XML 1.0 §2.4); controls become spaces,
 * invalid UTF-8 and U+FFFE/U+FFFF become U+FFFD: always well-formed.
 */
void profile_xml_escape(struct acap_buf *b, const char *s);

/*
 * Mozilla autoconfig, clientConfig version 1.1.  Without an address
 * (p->email NULL) the username is %EMAILADDRESS%, which the client fills.
 */
void profile_autoconfig_xml(struct profile *p, struct acap_buf *out);

/*
 * Autodiscover POX, response schema
 * http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a,
 * one Account with IMAP and SMTP Protocol elements (STARTTLS as
 * <Encryption>TLS</Encryption>, implicit TLS as SSL).  Without a login
 * the LoginName element is left out (Outlook then uses the address).
 */
void profile_autodiscover_xml(struct profile *p, struct acap_buf *out);

/* The Autodiscover error response (ErrorCode e.g. 600 invalid request, 601 provider unavailable). */
void profile_autodiscover_error_xml(struct acap_buf *out, int code,
    const char *message);

#endif
