/*
 * acap-parser.h -- incremental parser for ACAP commands and responses.
 *
 * Owns: the bytes of the command being assembled and the argument tree
 * built from them (one arena per parser).  Never performs I/O: it is handed
 * bytes and says what it found.  Grammar: RFC 2244 §2.6 and §8, with the
 * corrections listed in doc/protocol-notes.md.
 *
 * Used by acapd (ACAP_PARSER_COMMAND and ACAP_PARSER_SASL_LINE modes) and by
 * clients (ACAP_PARSER_RESPONSE mode).
 */
#ifndef ACAP_PARSER_H
#define ACAP_PARSER_H

#include <stdbool.h>
#include <stddef.h>

enum acap_arg_type {
	ACAP_ARG_ATOM,		/* RFC 2244 §2.6.1; keywords, numbers, "*" */
	ACAP_ARG_STRING,	/* quoted (§2.6.3) or literal */
	ACAP_ARG_NIL,		/* the atom NIL, any case */
	ACAP_ARG_LIST,		/* "(" ... ")", possibly empty */
};

/*
 * One parsed argument.  Strings are NUL-terminated copies in the parser's
 * arena; a literal may also contain NUL bytes, so use len.  Everything
 * pointed to lives until the next acap_parser_feed() or _reset() call.
 */
struct acap_arg {
	enum acap_arg_type type;
	bool literal;			/* STRING that arrived as a literal */
	const char *str;		/* ATOM, STRING; "NIL" for NIL; NULL for LIST */
	size_t len;
	const struct acap_arg *list;	/* LIST elements; NULL when count == 0 */
	size_t count;
};

/*
 * A whole command or response line (with its literals).
 * COMMAND mode: tag is the client's tag; args[0] is the command name atom.
 * RESPONSE mode: tag is "*", "+" or the command's tag; args[0] is the
 *   response keyword (OK, ENTRY, ...) or, for "+", the continuation string.
 * SASL_LINE mode: tag is NULL; nargs == 1; args[0] is a STRING, or the
 *   ATOM "*" when the client cancels (RFC 2244 §6.3.1).
 */
struct acap_cmd {
	const char *tag;
	const struct acap_arg *args;
	size_t nargs;
};

/*
 * Bounds (all in octets unless said otherwise).  0 means "no limit" only
 * where stated.
 */
struct acap_limits {
	size_t max_line;		/* one line, not counting literal payloads
					   (at most max_command, which bounds
					   it anyway) */
	size_t max_literal;		/* one synchronizing literal */
	size_t max_nonsync_literal;	/* one {n+} literal */
	size_t max_command;		/* whole command: lines + literals */
	unsigned int max_depth;		/* list nesting; 1 = flat lists only */
	unsigned int max_args;		/* arguments in the whole command, counting
					   list elements at every depth */
};
/*
 * How the parser counts (clarification): max_line is the line without its
 * CRLF; max_command counts every octet of the command as received (line
 * ends and literal octets included); for max_args a list counts as one
 * argument plus its elements, and args[0] (the command or response name,
 * or the SASL_LINE string) is not counted.  Quoted strings are limited to
 * 1024 octets as sent, between the quotes (RFC 2244 §8 "quoted").
 */

enum acap_parser_mode {
	ACAP_PARSER_COMMAND,
	ACAP_PARSER_RESPONSE,
	ACAP_PARSER_SASL_LINE,
};

struct acap_parser;

/* lim is copied. */
struct acap_parser *acap_parser_new(enum acap_parser_mode mode,
    const struct acap_limits *lim);
void acap_parser_free(struct acap_parser **pp);	/* sets *pp = NULL */

/*
 * Change the mode for the next command (e.g. to SASL_LINE while an
 * AUTHENTICATE exchange is running, back to COMMAND after it) and/or the
 * limits (tighter before authentication).  Only between commands: both
 * take effect when the first octet of the next command is fed.
 */
void acap_parser_set_mode(struct acap_parser *p, enum acap_parser_mode mode);
void acap_parser_set_limits(struct acap_parser *p, const struct acap_limits *lim);

/*
 * Consume up to len bytes; *used_r says how many were consumed.
 * Returns
 *   1  a whole command is in *cmd_r (valid until the next feed/reset);
 *      unconsumed bytes belong to the next command;
 *   0  more input is needed.  If acap_parser_want_continuation() is then
 *      true, a synchronizing literal was announced and the caller must send
 *      a "+" continuation (or reject) before more bytes will be consumed;
 *  -1  the command is malformed or over a limit.  acap_parser_error() says
 *      why, and whether the stream is still in sync.  When it is not fatal,
 *      all bytes of the bad command (through its final CRLF, including any
 *      non-synchronizing literals, RFC 2244 §6.9) have been consumed and the
 *      next feed starts a new command.
 * The first feed after a 1 or -1 return resets the arena.
 */
int acap_parser_feed(struct acap_parser *p, const char *buf, size_t len,
    size_t *used_r, const struct acap_cmd **cmd_r);

/*
 * A hook asked about every literal a command announces that the parser
 * would keep (within the limits, command not already in error), before
 * any of its octets are consumed: it returns NULL to accept n octets, or
 * a reason (a static string) to refuse them.  A refused synchronizing
 * literal ends the command with a non-fatal error (BAD, no continuation,
 * like one over max_literal); a refused non-synchronizing one is fatal
 * (BYE), since its octets follow at once.  A server uses it to bound the
 * literal octets in flight over many connections; it learns that they
 * are no longer held when feed returns 1 or -1, or at reject/reset/free.
 * It is asked too, with the increment, each time the buffer of a long
 * line grows past 64 KiB (a line of that size holds memory as a literal
 * does); refused, the line ends the command with a non-fatal error.
 * Kept across commands; NULL removes it.
 */
void acap_parser_set_literal_hook(struct acap_parser *p,
    const char *(*hook)(void *arg, size_t n), void *arg);

/* True while a synchronizing literal waits for the peer to see "+". */
bool acap_parser_want_continuation(const struct acap_parser *p);
/* Size of that literal. */
size_t acap_parser_pending_literal(const struct acap_parser *p);
/* The caller sent "+ ...": the literal bytes may now be consumed. */
void acap_parser_continue(struct acap_parser *p);
/*
 * The caller refuses the literal (and answers BAD): the partial command is
 * dropped; the client will not send the literal (RFC 2244 §2.6.3).
 */
void acap_parser_reject(struct acap_parser *p);

/*
 * After -1: a human-readable reason (static or arena string, valid until
 * the next feed/reset), and in *tag_r the tag of the bad command if one
 * could be read (NULL otherwise: answer with an untagged "* BAD").
 * *fatal_r is true when the stream cannot be resynchronised (e.g. an
 * oversized non-synchronizing literal): the caller must say BYE and close.
 */
const char *acap_parser_error(const struct acap_parser *p,
    const char **tag_r, bool *fatal_r);

/*
 * Tag of the command being assembled, or NULL (e.g. for a BAD on reject).
 * After acap_parser_reject() it is still the rejected command's tag, until
 * the next feed or reset.
 */
const char *acap_parser_tag(const struct acap_parser *p);

/*
 * Name (args[0]) of the command being assembled once its first line has
 * been tokenized -- e.g. while a synchronizing literal waits, so that the
 * caller can refuse an unknown command before its literal is sent (RFC 2244
 * §2.2.1 example "A044 BLURDYBLOOP {102856}").  NULL before that and in
 * SASL_LINE mode.  Lives as long as acap_parser_tag()'s result.
 */
const char *acap_parser_command_name(const struct acap_parser *p);

/* Drop any partial command and free the arena down to its first block. */
void acap_parser_reset(struct acap_parser *p);

/*
 * True between commands: no octet of a command is held and the stream is
 * in sync (nothing fed yet, or the last command was returned, rejected or
 * skipped as malformed).  A server may then free the parser of an idle
 * connection and make a new one (same mode and limits) for its next input
 * without any change in what is parsed.
 */
bool acap_parser_idle(const struct acap_parser *p);

/* Bytes currently held (buffered input + arena), for memory accounting. */
size_t acap_parser_memory(const struct acap_parser *p);

#endif
