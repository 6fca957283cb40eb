/*
 * session.h -- a connection's SASL session: made when the greeting
 * first needs its mechanisms (or AUTHENTICATE does), and made afresh
 * when STARTTLS's handshake is done (RFC 2595 §5.1), with the TLS
 * security strength and any verified client identity (EXTERNAL).  The
 * session lives in the connection's SASL slot (conn.h).
 */
#ifndef SESSION_H
#define SESSION_H

struct conn;
struct ssl_st;

/* Create the connection's SASL session in its slot (NULL on failure). */
void session_sasl_new(struct conn *c);
/* TLS handshake done on c: a new SASL session over TLS. */
void session_tls_ready(struct conn *c, struct ssl_st *ssl);

#endif
