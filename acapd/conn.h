/*
 * conn.h -- one ACAP connection: socket and TLS bufferevents, the parser,
 * authentication state, limits, idle timer, deferred close.
 *
 * Owns: everything per connection, including its contexts (through
 * context.c) and its SASL state (through sasl.c).  Freed only by the
 * event loop after conn_close() (deferred close), never by a handler.
 */
#ifndef CONN_H
#define CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct store;
struct acap_buf;

/* Authenticated user name, or NULL before AUTHENTICATE succeeds. */
const char *conn_user(const struct conn *c);
/* Whether the user is one of the configured admin identities. */
bool conn_is_admin(const struct conn *c);
/* Whether TLS is active on the connection. */
bool conn_tls_active(const struct conn *c);
/* Connection id, as printed in logs. */
uint64_t conn_id(const struct conn *c);
/* The store shared by all connections. */
struct store *conn_store(const struct conn *c);

/* Queue bytes for output (non-blocking; subject to the output cap). */
void conn_write(struct conn *c, const void *data, size_t len);

/*
 * Ask for the connection to be closed once queued output is flushed.
 * reason is logged.  Safe to call more than once and from handlers.
 */
void conn_close(struct conn *c, const char *reason);

#endif
