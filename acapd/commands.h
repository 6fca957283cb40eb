/*
 * commands.h -- the ACAP command table, state gates and reply helpers.
 *
 * Owns: the dispatch table (commands.c) and the per-command context that
 * handlers receive.  Handlers live one per file in cmd-<verb>.c and only
 * use what this header and the module headers (store, acl, context, ...)
 * offer: they never touch sockets or SQL text.
 */
#ifndef COMMANDS_H
#define COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "acap-buf.h"
#include "acap-parser.h"

struct conn;

enum cmd_status {
	CMD_DONE,	/* the tagged completion has been sent */
	CMD_SUSPEND,	/* waiting (SASL step): the conn reads the next line
			   and calls the handler's continuation */
	CMD_CLOSE,	/* completion sent; close the connection afterwards */
	CMD_QUEUED,	/* the handler suspended the connection and answers
			   later (conn_suspend(), a STORE's group commit) */
};

/* Command flags, enforced in commands.c before a handler runs (§2.3). */
#define CMD_F_NONAUTH	0x01	/* allowed in non-authenticated state */
#define CMD_F_AUTH	0x02	/* allowed in authenticated state */
#define CMD_F_ANY	(CMD_F_NONAUTH | CMD_F_AUTH)

/*
 * What a handler gets.  tag and args are borrowed from the parser and live
 * until the handler returns CMD_DONE/CMD_CLOSE: copy what must outlive it.
 * args[0..nargs) are the arguments after the command name.
 */
struct cmd_ctx {
	struct conn *conn;
	const char *tag;
	const char *name;		/* upper-case canonical command name */
	const struct acap_arg *args;
	size_t nargs;
	struct acap_buf *out;		/* NULL: lines go to the connection;
					   else they are appended here */
	long long start_us;		/* dispatched (server_now_us()); 0:
					   a SASL continuation */
};

typedef enum cmd_status cmd_func(struct cmd_ctx *cmd);

/* Dispatch one parsed command: look it up, gate it, run it. */
void commands_dispatch(struct conn *c, const struct acap_cmd *ac);

/*
 * AUTHENTICATE continuation (RFC 2244 §6.3.1): while conn_in_sasl(), each
 * input line (one string, or "*" to cancel) goes to commands_sasl_line()
 * with the AUTHENTICATE tag.  commands_sasl_abort() ends a running
 * exchange without a reply (the caller answers).
 */
void commands_sasl_line(struct conn *c, const char *tag,
    const struct acap_cmd *line);
void commands_sasl_abort(struct conn *c);

/*
 * Output.  Every line a handler sends is built with these: begin a line
 * (writes the tag, or "*" for untagged, and a space), append with the
 * acap_buf writer functions, end it (CRLF, queued to the connection).
 * Only one line is open at a time.
 */
struct acap_buf *cmd_line_begin(struct cmd_ctx *cmd);
struct acap_buf *cmd_untagged_begin(struct cmd_ctx *cmd);
/* A "+ " continuation request line (RFC 2244 §2.5). */
struct acap_buf *cmd_continuation_begin(struct cmd_ctx *cmd);
void cmd_line_end(struct cmd_ctx *cmd);

/*
 * Completions.  code is a response code without its parentheses (e.g.
 * "NOEXIST \"/email/x/\"" -- already in wire form) or NULL; the text is
 * printf-formatted and always sent as a quoted string.  They return
 * CMD_DONE so a handler can "return cmd_ok(...)".
 */
enum cmd_status cmd_ok(struct cmd_ctx *cmd, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
enum cmd_status cmd_no(struct cmd_ctx *cmd, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* BAD also counts toward the connection's bad-command limit. */
enum cmd_status cmd_bad(struct cmd_ctx *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Whether a is a time argument: RFC 2244 §8 "time" is a quoted string of
 * 14 or more digits, but the §6.6.2 DELETEDSINCE example sends it bare
 * and clients send the time that way wherever one is taken (RANGE,
 * UNCHANGEDSINCE too): a quoted string, a literal or an atom of digits
 * are all accepted (doc/protocol-notes.md, ACAP-NOTES §2).
 */
bool cmd_arg_is_time(const struct acap_arg *a);

/*
 * STORE's group commit (cmd-store.c, doc/store-batch.md): its events and
 * commit thread.  Once, at start-up, after srv->store is open.
 */
void cmd_store_init(void);

/* AUTHENTICATE continuation and abort (cmd-authenticate.c). */
enum cmd_status cmd_authenticate_step(struct cmd_ctx *cmd);
void cmd_authenticate_abort(struct conn *c);

/* Handlers (one per cmd-<verb>.c). */
cmd_func cmd_authenticate;
cmd_func cmd_deleteacl;
cmd_func cmd_deletedsince;
cmd_func cmd_freecontext;
cmd_func cmd_getquota;
cmd_func cmd_lang;
cmd_func cmd_listrights;
cmd_func cmd_logout;
cmd_func cmd_myrights;
cmd_func cmd_noop;
cmd_func cmd_search;
cmd_func cmd_setacl;
cmd_func cmd_starttls;
cmd_func cmd_store;
cmd_func cmd_updatecontext;

#endif
