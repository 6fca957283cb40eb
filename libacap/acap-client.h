/*
 * acap-client.h -- blocking ACAP client connection.
 *
 * Owns: one TCP (and optionally TLS) connection to an ACAP server, its
 * response parser (acap-parser.h in ACAP_PARSER_RESPONSE mode), the
 * capabilities read from the greeting, the libsasl2 client state of an
 * AUTHENTICATE exchange, and the completion of the last command.  All I/O
 * blocks (with a timeout): meant for command-line tools and tests, not for
 * an event loop.  Never prints anything; errors come back as strings.
 */
#ifndef ACAP_CLIENT_H
#define ACAP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "acap-buf.h"
#include "acap-parser.h"

/* Default ACAP port (RFC 2244 §2.1). */
#define ACAP_CLIENT_DEFAULT_PORT	"674"

/* What to connect to, and the bounds on what the server may send. */
struct acap_client_opts {
	const char *host;	/* name or address literal; required */
	const char *port;	/* number or service; NULL: "674" */
	int family;		/* AF_UNSPEC (both), AF_INET or AF_INET6 */
	int timeout_ms;		/* connect and each read/write; 0: none */
	/*
	 * Bounds on server responses (RFC 2244 §2.2 lets lines be of any
	 * length, so a client must choose).  A zero field takes the default
	 * of acap_client_opts_init(): 1 MiB line, 16 MiB literal, 64 MiB
	 * response, nesting 64, 4 M arguments.
	 */
	struct acap_limits limits;
	/* Called with every line sent and received (for -v); may be NULL.
	   dir is 'C' (client) or 'S' (server); data is not NUL-terminated
	   and holds no CRLF; literal payloads are not passed. */
	void (*trace_cb)(char dir, const char *data, size_t len, void *arg);
	void *trace_arg;
};

/* Fill *o with the defaults (host NULL, port "674", 30 s timeout). */
void acap_client_opts_init(struct acap_client_opts *o);

struct acap_client;

/*
 * Connect and read the greeting (RFC 2244 §6.1): "* ACAP (cap)..." is
 * parsed into the capabilities below; "* BYE" refuses the session.
 * Returns 0 and a new client in *c_r, or -1 with *errstr_r set (static or
 * thread-unsafe storage, valid until the next call into this module).
 * opts is copied; its strings need only live for the call.
 */
int acap_client_connect(const struct acap_client_opts *opts,
    struct acap_client **c_r, const char **errstr_r);

/*
 * Close the connection without LOGOUT and free everything; sets *cp to
 * NULL.  Passwords handed to libsasl2 are wiped.
 */
void acap_client_free(struct acap_client **cp);

/*
 * Send LOGOUT and read up to its completion (RFC 2244 §6.2.4: BYE, then
 * OK).  Returns 0, or -1 if the exchange failed (the connection is then
 * unusable anyway).  Does not free.
 */
int acap_client_logout(struct acap_client *c);

/* Capabilities of the latest greeting (re-read after STARTTLS). */

/* IMPLEMENTATION string, or NULL when not advertised.  Owned by c. */
const char *acap_client_implementation(const struct acap_client *c);
/* SASL mechanisms, NULL-terminated, *count_r of them.  Owned by c. */
const char *const *acap_client_mechs(const struct acap_client *c,
    size_t *count_r);
/* Whether mech (case-insensitive) is among the SASL mechanisms. */
bool acap_client_has_mech(const struct acap_client *c, const char *mech);
/* Whether the greeting offered STARTTLS (RFC 2595 §5). */
bool acap_client_has_starttls(const struct acap_client *c);
/*
 * CONTEXTLIMIT: 0 when advertised as "0" (no limit); 100 when not
 * advertised (the RFC 2244 §3.3 minimum); the value otherwise.
 */
unsigned long acap_client_context_limit(const struct acap_client *c);
/* Whether a capability (by name, any case) was in the greeting. */
bool acap_client_has_capability(const struct acap_client *c,
    const char *name);

/* STARTTLS (RFC 2595 §5.1). */
struct acap_client_tls {
	const char *cafile;	/* PEM CA file; NULL: the system store */
	const char *capath;	/* CA directory; NULL: none beyond cafile */
	/* Name the certificate must match; NULL: opts.host.  Address
	   literals are matched against IP subjectAltNames. */
	const char *verify_name;
	bool insecure;		/* accept any certificate (test instances) */
};

/*
 * Send STARTTLS, perform the handshake with certificate and host-name
 * verification (unless tls->insecure), then read the new greeting and
 * replace the capabilities (RFC 2595 §5.1).  Any plaintext the server sent
 * after its OK is treated as an attack and fails the call.
 * Returns 0, or -1 with *errstr_r; after -1 the connection is unusable
 * unless the server answered NO (acap_client_completion() then says so).
 */
int acap_client_starttls(struct acap_client *c,
    const struct acap_client_tls *tls, const char **errstr_r);
/* Whether TLS is active; *bits_r (may be NULL) gets the cipher's bits. */
bool acap_client_tls_active(const struct acap_client *c, int *bits_r);

/*
 * Credentials for AUTHENTICATE, asked for only when a mechanism needs
 * them.  Each callback returns a NUL-terminated string owned by the
 * caller that stays valid until acap_client_authenticate() returns, or
 * NULL to give up.  authzid_cb may be NULL (no authorization identity).
 */
struct acap_client_creds {
	const char *(*authname_cb)(void *arg);	/* who proves it */
	const char *(*authzid_cb)(void *arg);	/* who to act as */
	const char *(*password_cb)(void *arg);
	void *arg;
};

/*
 * AUTHENTICATE through libsasl2's client API (RFC 2244 §6.3.1): raw
 * octets, no base64; challenges arrive as "+ string"; answers go as a
 * quoted string or a {n+} literal; an initial response is sent when the
 * mechanism starts with one; final server data in "OK (SASL ...)" is
 * verified.  mechs is a space-separated preference list intersected with
 * the greeting's mechanisms (NULL: all of them); libsasl2 picks the
 * strongest.  Without TLS, mechanisms that send the password in clear
 * (PLAIN, LOGIN) are never chosen.
 * Returns 0 when authenticated, or -1 with *errstr_r; when the server
 * refused, acap_client_completion() holds its NO/BAD.
 */
int acap_client_authenticate(struct acap_client *c, const char *mechs,
    const struct acap_client_creds *creds, const char **errstr_r);
/* After success: the mechanism used.  Owned by c. */
const char *acap_client_mech(const struct acap_client *c);
bool acap_client_authenticated(const struct acap_client *c);

/* Responses. */

/*
 * One server response as handed to callbacks.  name is the response
 * keyword in upper case ("ENTRY", "MODTIME", "ALERT" ...); args are the
 * arguments after it.  tagged is true for intermediate responses of the
 * running command (RFC 2244 §2.4.1), false for untagged ("*") ones.
 * Everything lives until the callback returns.
 */
struct acap_client_resp {
	bool tagged;
	const char *name;
	const struct acap_arg *args;
	size_t nargs;
};

typedef void acap_client_resp_cb(const struct acap_client_resp *r,
    void *arg);

enum acap_status {
	ACAP_STATUS_OK,
	ACAP_STATUS_NO,
	ACAP_STATUS_BAD,
};

/*
 * The tagged completion of the last command (RFC 2244 §6.2.5-7).
 * code is the response code's first atom in upper case ("NOEXIST";
 * hierarchical codes such as "TRYLATER/DBLOCK" stay whole) or NULL;
 * code_args are its further arguments, NULL-terminated: strings as their
 * contents, atoms, NIL and lists in ACAP syntax; text is the
 * human-readable text.  Owned by the client, valid until the next command
 * or acap_client_free().
 */
struct acap_completion {
	enum acap_status status;
	const char *code;
	const char *const *code_args;
	size_t ncode_args;
	const char *text;
};

/*
 * Append a string argument for a command to b: a quoted string when RFC
 * 2244 §2.6.3 allows one (at most 1024 octets, no NUL/CR/LF), otherwise a
 * literal -- non-synchronizing {n+} when the server will take it without
 * a continuation (always after authentication for up to 64 KiB; before
 * it up to 4096 octets), else synchronizing {n}, which the command runner
 * handles.  NUL bytes are allowed (attribute values, §2.6.3.1).
 */
void acap_client_add_string(const struct acap_client *c, struct acap_buf *b,
    const void *s, size_t len);
/* Same for a NUL-terminated string, or NIL when s is NULL. */
void acap_client_add_nstring(const struct acap_client *c, struct acap_buf *b,
    const char *s);

/*
 * Run one command.  body is the command after the tag, without the final
 * CRLF (e.g. built with acap_client_add_string()); the client adds a
 * fresh tag.  Synchronizing literals in body wait for the server's "+"
 * (RFC 2244 §2.5).  Every intermediate and untagged response arriving
 * before the completion goes to cb (may be NULL).  "* BYE" ends the
 * connection.
 * Returns 0 when a completion arrived (OK, NO or BAD: see
 * acap_client_completion()), or -1 with *errstr_r on I/O errors, timeout,
 * BYE, a malformed or oversized response; the connection is then closed.
 */
int acap_client_command(struct acap_client *c, const char *body, size_t len,
    acap_client_resp_cb *cb, void *arg, const char **errstr_r);

/*
 * Pipelining (RFC 2244 §2.4: a client may send a command before the
 * completion of the one before): acap_client_send() sends one command
 * (body as for acap_client_command()) without waiting;
 * acap_client_finish() then waits for its completion, passing
 * intermediate and untagged responses to cb.  One command in flight per
 * client (use another connection for more); no other command may run on
 * the client in between.  acap_client_send() returns 0 when sent, 1 when
 * it cannot be (body holds a synchronizing literal, which needs the
 * server's "+" first, or a command is already in flight: run it with
 * acap_client_command() instead), -1 with *errstr_r on I/O errors (the
 * connection is then closed).  acap_client_finish() returns as
 * acap_client_command().
 */
int acap_client_send(struct acap_client *c, const char *body, size_t len,
    const char **errstr_r);
int acap_client_finish(struct acap_client *c, acap_client_resp_cb *cb,
    void *arg, const char **errstr_r);
/* Whether a command sent by acap_client_send() awaits its completion. */
bool acap_client_in_flight(const struct acap_client *c);

/* The completion of the last command; NULL before any. */
const struct acap_completion *acap_client_completion(
    const struct acap_client *c);

/*
 * Idle: wait up to timeout_ms (-1: forever) for unsolicited responses
 * (NOTIFY context output, ALERT, BYE...; RFC 2244 §2.4.2) and hand each
 * one to cb.  Returns 1 when at least one was delivered, 0 on timeout,
 * -1 with *errstr_r on error or when the server said BYE (the text is in
 * *errstr_r).
 */
int acap_client_wait(struct acap_client *c, int timeout_ms,
    acap_client_resp_cb *cb, void *arg, const char **errstr_r);

/* The socket, e.g. to poll it together with a terminal; -1 when closed. */
int acap_client_fd(const struct acap_client *c);
/* Whether buffered input is waiting (poll() will not see it). */
bool acap_client_pending(const struct acap_client *c);
/* Whether the connection is still open. */
bool acap_client_is_open(const struct acap_client *c);
/* The BYE text if the server closed the session, else NULL. */
const char *acap_client_bye(const struct acap_client *c);

/*
 * Copies of responses, for callers that collect results.
 * acap_client_args_dup() makes one heap block holding the argument array
 * and everything it points to; free it with free().  Returns NULL on
 * allocation failure (n == 0 also gives a valid, freeable block).
 */
struct acap_arg *acap_client_args_dup(const struct acap_arg *args, size_t n);
/* Octets acap_client_args_dup() would allocate (for memory bounds). */
size_t acap_client_args_size(const struct acap_arg *args, size_t n);

/*
 * Render args in ACAP syntax (quoted strings, literals as {n} plus data,
 * lists, NIL, atoms) into b, separated by spaces -- for raw output and
 * code_args.
 */
void acap_client_args_format(struct acap_buf *b, const struct acap_arg *args,
    size_t n);

/*
 * Parse a greeting line's capabilities (the args after "ACAP") into c --
 * exposed for unit tests.  Returns 0 or -1 when the list is malformed.
 */
int acap_client_parse_capabilities(struct acap_client *c,
    const struct acap_arg *args, size_t nargs);
/* A client with no connection, for acap_client_parse_capabilities() and
   completion tests; free with acap_client_free(). */
struct acap_client *acap_client_new_unconnected(void);
/*
 * Parse a completion (args after OK/NO/BAD, RFC 2244 §8 resp-body) into
 * c's completion -- exposed for unit tests.  Returns 0 or -1.
 */
int acap_client_parse_completion(struct acap_client *c,
    enum acap_status status, const struct acap_arg *args, size_t nargs);

#endif
