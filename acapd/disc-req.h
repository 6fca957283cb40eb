/*
 * disc-req.h -- parsing what a discovery request carries: the
 * Autodiscover POX request body (XML, through expat with every DTD
 * refused), query parameters, the Host header and e-mail addresses.
 *
 * Pure functions over bytes, no server state: the fuzz target
 * tests/fuzz/fuzz-discovery.c drives them directly.
 */
#ifndef ACAPD_DISC_REQ_H
#define ACAPD_DISC_REQ_H

#include <stddef.h>

/* Longest address and domain accepted (RFC 5321 §4.5.3.1: 254 and 255). */
#define DISCREQ_MAX_ADDRESS	254
#define DISCREQ_MAX_DOMAIN	253

/*
 * Parse an Autodiscover request ([MS-OXDSCLI] §2.2.3): the text of
 * Request/EMailAddress and Request/AcceptableResponseSchema, each returned
 * malloc'd (NULL when absent).  A DOCTYPE (hence any entity declaration:
 * no billion laughs, no external entity) is refused, as is malformed XML.
 * Returns 0, or -1 with a static message in *err_r.
 */
int discreq_autodiscover(const char *body, size_t len, char **email_r,
    char **schema_r, const char **err_r);

/*
 * The value of query parameter name (ASCII case-insensitive) in query
 * (the part after '?', may be NULL), percent- and '+'-decoded, malloc'd;
 * NULL when absent, or when it decodes to a NUL octet.
 */
char *discreq_query_param(const char *query, const char *name);

/*
 * The mail domain a Host header names: port removed, lowercased, a
 * trailing dot dropped.  Letters, digits, '-' and '.' only, 1-253 octets,
 * no empty label, at least one letter.  Returns 0 with the domain in out
 * (outlen > DISCREQ_MAX_DOMAIN), -1 for anything else (IP literals too).
 */
int discreq_host_domain(const char *host, char *out, size_t outlen);

/*
 * Split and normalise an address "local@domain": the whole address
 * lowercased in addr_out (the entry name of the address index), the
 * domain in domain_out (both of size outlen > DISCREQ_MAX_ADDRESS).
 * Returns -1 for anything that is not a non-empty local part without
 * controls, spaces, '/', '@' or <>"\, then '@' and a valid domain.
 */
int discreq_address(const char *addr, char *addr_out, char *domain_out,
    size_t outlen);

#endif
