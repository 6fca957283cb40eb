/*
 * greeting.h -- the "* ACAP" greeting (RFC 2244 §6.1): implementation,
 * the SASL mechanisms this session offers, STARTTLS while TLS is not
 * active, CONTEXTLIMIT above 100.  Installed as the connection layer's
 * greeting handler (conn.h).
 */
#ifndef GREETING_H
#define GREETING_H

struct conn;

/* Queue the greeting on c (after STARTTLS too: RFC 2595 §5.1). */
void greeting_send(struct conn *c);

#endif
