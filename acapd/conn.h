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
#include <sys/socket.h>

struct conn;
struct store;
struct acap_buf;

enum conn_state {
	CONN_NONAUTH,	/* RFC 2244 §2.3 */
	CONN_AUTH,
};

/*
 * Accept a new connection on fd (called by the listener in main.c).
 * Returns false when it was refused with a BYE greeting and closed
 * (shutting down, or a cap reached): the caller bounds how many of those
 * it does in a row.
 */
bool conn_accept(int fd, const struct sockaddr *sa, socklen_t salen);
/*
 * Log the caps on unauthenticated connections and connections per address
 * in force (derived from srv->max_conns unless configured), and warn
 * about a configured one that is not below it.
 */
void conn_log_caps(void);

enum conn_state conn_state(const struct conn *c);
/* Authenticated user name, or NULL before AUTHENTICATE succeeds. */
const char *conn_user(const struct conn *c);
/*
 * conn_user() is the authorization identity, the one rights apply to;
 * the authenticated identity (SASL authcid) when it differs, else NULL.
 * conn_set_authid() after conn_set_user() (copied).
 */
const char *conn_authid(const struct conn *c);
void conn_set_authid(struct conn *c, const char *authid);
/* The peer's address as text ("127.0.0.1", "::1", "unknown"). */
const char *conn_peer(const struct conn *c);
/*
 * The language of error texts chosen by LANG (RFC 2244 §6.2.2), or
 * "i-default" before any LANG.  conn_set_lang() keeps the pointer: it
 * must be a static string.
 */
const char *conn_lang(const struct conn *c);
void conn_set_lang(struct conn *c, const char *lang);
/*
 * Groups the user belongs to (names without "/group/"), from the
 * provisioning data; *n_r gets the count.
 */
const char *const *conn_groups(const struct conn *c, size_t *n_r);
/*
 * Replace the group list (copied).  Set at authentication and again when
 * the user's provisioning entry changes (context.c).
 */
void conn_set_groups(struct conn *c, const char *const *groups, size_t n);
/*
 * Call fn for every connection authenticated as user that is not
 * closing (an index lookup, not a walk over all connections).  fn must
 * not free connections.
 */
void conn_foreach_user(const char *user, void (*fn)(struct conn *, void *),
    void *arg);
/* Whether the user is one of the configured admin identities. */
bool conn_is_admin(const struct conn *c);
/*
 * Count the open connections (not closing ones too): not yet
 * authenticated, authenticated, and of those with TLS established.
 */
void conn_count_states(size_t *unauth_r, size_t *auth_r, size_t *tls_r);
/* Whether TLS is active on the connection. */
bool conn_tls_active(const struct conn *c);
/* Whether the peer's address is a loopback address. */
bool conn_is_loopback(const struct conn *c);
/* The socket, for getpeername()/getsockname(). */
int conn_fd(const struct conn *c);
/* Connection id, as printed in logs. */
uint64_t conn_id(const struct conn *c);
/* The store shared by all connections. */
struct store *conn_store(const struct conn *c);
/* Per-connection state of other modules (SASL session, contexts). */
void **conn_sasl_slot(struct conn *c);
void **conn_context_slot(struct conn *c);

/*
 * Enter authenticated state as user (copied): post-authentication limits
 * apply from the next command on.  admin: whether user is an admin.
 */
void conn_set_user(struct conn *c, const char *user, bool admin);

/*
 * The STARTTLS handler has queued its OK: once this command returns, all
 * unread plaintext input is discarded (never executed inside TLS) and the
 * TLS handshake starts; the greeting is sent again afterwards (RFC 2595 §5).
 */
void conn_start_tls(struct conn *c);

/*
 * Handle the next input line in SASL_LINE mode: the line goes to
 * commands_sasl_line() (commands.c) with the saved tag.  Cleared by
 * conn_sasl_end().
 */
void conn_sasl_begin(struct conn *c, const char *tag);
void conn_sasl_end(struct conn *c);
bool conn_in_sasl(const struct conn *c);

/* Stop reading commands for ms milliseconds (failed-login delay). */
void conn_pause(struct conn *c, unsigned int ms);
/*
 * Execute no further command until conn_resume(): a command answered
 * later (a STORE waiting for its group commit).  Input still arrives and
 * is buffered (up to the read high-water mark); the suspended command's
 * tag and arguments stay valid, since the parser is not fed meanwhile.
 * If the connection is freed while suspended, cancel(c, arg) is called
 * first (the command will never be answered).
 */
void conn_suspend(struct conn *c, void (*cancel)(struct conn *c, void *arg),
    void *arg);
/*
 * Go on: the commands pipelined meanwhile run now (from outside c's own
 * callbacks), and c may be freed before this returns.
 */
void conn_resume(struct conn *c);
/*
 * A command whose answer may be larger than the output cap (a SEARCH)
 * writes it in pieces, as Dovecot's output-stream flush callbacks do.
 * Like conn_suspend(), no further command runs until the answer is
 * complete (pipelined ones wait, in order).  more(c, arg) writes the next
 * whole lines with conn_write() and returns 1 once the answer, completion
 * included, is written (and arg is freed), or 0 when it stopped because
 * conn_output_full(c).  It is called at once if the output is below the
 * low-water mark (half of output_hiwat), and again from c's callbacks
 * each time the client has read the output down to it.  Lines written by
 * more() are not measured against max_output: they are made only while
 * the client keeps reading.  A client that leaves the output above the
 * low-water mark for output_timeout seconds is dropped with BYE.  If c
 * is freed before the answer is complete, cancel(c, arg) is called (and
 * must free arg).  Returns 1 if the answer was completed here, 0 if c is
 * now suspended.
 */
int conn_stream(struct conn *c, int (*more)(struct conn *c, void *arg),
    void (*cancel)(struct conn *c, void *arg), void *arg);
/* Whether more than output_hiwat is queued: a producer stops there. */
bool conn_output_full(const struct conn *c);
/*
 * Whether c is in the middle of a piecewise answer: other output for c
 * that can wait (context notifications) waits until it is complete, so it
 * never comes between the lines of that answer.
 */
bool conn_streaming(const struct conn *c);

/*
 * Count a failed AUTHENTICATE on the connection and for its address;
 * returns the connection's count so far.
 */
unsigned int conn_auth_failed(struct conn *c);
/*
 * Whether the peer's address has failed max_auth_failures_per_ip logins
 * within auth_fail_window seconds (over all its connections).
 */
bool conn_auth_throttled(const struct conn *c);

/* Count a BAD reply; says BYE and closes at the configured limit. */
void conn_count_bad(struct conn *c);

/*
 * Queue bytes for output (non-blocking; subject to the output cap).  They
 * are written at the end of the connection's current callback or, when
 * written from elsewhere, at the end of this event-loop turn.
 */
void conn_write(struct conn *c, const void *data, size_t len);
/* Write now what conn_write() queued outside callbacks (all connections). */
void conn_flush_pending(void);

/*
 * What the connection layer hands up, installed once at start-up
 * (startup_open()): conn.c names no module above it (doc/architecture.md).
 *  command:    a complete command (commands.c dispatches it);
 *  sasl_line:  a line read while an AUTHENTICATE waits for the client's
 *              response, with that command's tag;
 *  sasl_abort: end a running AUTHENTICATE (a malformed response);
 *  tls_ready:  STARTTLS's handshake is done: a fresh session (RFC 2595
 *              §5.1) before the greeting is sent again;
 *  greeting:   write the greeting (greeting.h), at connect and after TLS.
 */
struct acap_cmd;
struct ssl_st;
struct conn_handlers {
	void (*command)(struct conn *c, const struct acap_cmd *ac);
	void (*sasl_line)(struct conn *c, const char *tag,
	    const struct acap_cmd *ac);
	void (*sasl_abort)(struct conn *c);
	void (*tls_ready)(struct conn *c, struct ssl_st *ssl);
	void (*greeting)(struct conn *c);	/* "* ACAP (...)", §6.1 */
};
void conn_set_handlers(const struct conn_handlers *h);

/*
 * Ask for the connection to be closed once queued output is flushed.
 * reason is logged.  Safe to call more than once and from handlers.
 */
void conn_close(struct conn *c, const char *reason);
bool conn_closing(const struct conn *c);

/* Log a line prefixed with the connection id. */
void conn_log(const struct conn *c, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Every connection says BYE and closes (SIGTERM). */
void conn_shutdown_all(const char *text);
/* Re-apply limits/timeouts from cfg to live connections and log the caps
 * (SIGHUP). */
void conn_reconfigure_all(void);

#endif
