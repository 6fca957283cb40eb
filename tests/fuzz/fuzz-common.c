/*
 * fuzz-common.c -- shared helpers of the fuzz targets: PRNG, invariant
 * checks on parsed commands, canonical dumps, and the writer -> parser
 * round trip.  Owns nothing beyond the duration of a call.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-buf.h"
#include "acap-parser.h"
#include "fuzz-common.h"

#define QUOTED_MAX	1024	/* RFC 2244 §2.6.3 */
#define ATOM_MAX	1024	/* RFC 2244 §2.6.1 */
#define TAG_MAX		32	/* RFC 2244 §8 tag */

void
fuzz_common_fail(const char *file, int line, const char *cond,
    const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: invariant failed: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void
fuzz_common_rng_init(struct fuzz_rng *r, uint64_t seed)
{
	r->state = seed;
}

uint32_t
fuzz_common_rng_next(struct fuzz_rng *r)
{
	uint64_t z;

	r->state += 0x9e3779b97f4a7c15ULL;
	z = r->state;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

uint32_t
fuzz_common_rng_below(struct fuzz_rng *r, uint32_t n)
{
	return n == 0 ? 0 : fuzz_common_rng_next(r) % n;
}

void
fuzz_common_wide_limits(struct acap_limits *lim)
{
	lim->max_line = 1u << 24;
	lim->max_literal = 1u << 24;
	lim->max_nonsync_literal = 1u << 24;
	lim->max_command = 1u << 26;
	lim->max_depth = 1u << 16;
	lim->max_args = 1u << 24;
}

/*
 * RFC 2244 §8: ATOM-CHAR is any CHAR except ATOM-SPECIALS; TAG-CHAR any
 * ATOM-CHAR except "*" and "+".  Written out again here on purpose: the
 * checks must not share the parser's code.
 */
static bool
atom_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '(' && c != ')' &&
	    c != '\\' && c != '{';
}

static bool
tag_char(unsigned char c)
{
	return atom_char(c) && c != '*' && c != '+';
}

static bool
alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

struct walk {
	const struct acap_limits *lim;
	size_t nargs;		/* counted as acap-parser.h says */
	unsigned int max_depth;
	size_t octets;		/* string and atom octets, for max_command */
};

static void
check_arg(struct walk *w, const struct acap_arg *a, unsigned int depth)
{
	size_t i;

	switch (a->type) {
	case ACAP_ARG_ATOM:
		FUZZ_CHECK(a->str != NULL && strlen(a->str) == a->len,
		    "atom length");
		FUZZ_CHECK(a->len >= 1 && a->len <= ATOM_MAX, "atom of %zu",
		    a->len);
		for (i = 0; i < a->len; i++)
			FUZZ_CHECK(atom_char((unsigned char)a->str[i]),
			    "octet 0x%02x in atom",
			    (unsigned char)a->str[i]);
		FUZZ_CHECK(!a->literal && a->list == NULL && a->count == 0,
		    "atom fields");
		w->octets += a->len;
		break;
	case ACAP_ARG_NIL:
		FUZZ_CHECK(a->str != NULL && strcmp(a->str, "NIL") == 0 &&
		    a->len == 3, "NIL fields");
		w->octets += 3;
		break;
	case ACAP_ARG_STRING:
		FUZZ_CHECK(a->str != NULL && a->str[a->len] == '\0',
		    "string not NUL-terminated");
		if (!a->literal) {
			/*
			 * §2.6.3: no CR or LF; at most 1024 octets as sent.
			 * NUL is tolerated on input since 59cc214 (acap.el
			 * sends it, doc/interop.md), so it is not checked.
			 */
			FUZZ_CHECK(a->len <= QUOTED_MAX, "quoted of %zu",
			    a->len);
			FUZZ_CHECK(memchr(a->str, '\r', a->len) == NULL &&
			    memchr(a->str, '\n', a->len) == NULL,
			    "CR/LF in a quoted string");
		} else {
			FUZZ_CHECK(a->len <= w->lim->max_literal ||
			    a->len <= w->lim->max_nonsync_literal,
			    "literal of %zu over the limits", a->len);
		}
		FUZZ_CHECK(a->list == NULL && a->count == 0, "string fields");
		w->octets += a->len;
		break;
	case ACAP_ARG_LIST:
		FUZZ_CHECK(depth + 1 <= w->lim->max_depth,
		    "list at depth %u, limit %u", depth + 1,
		    w->lim->max_depth);
		FUZZ_CHECK((a->list == NULL) == (a->count == 0),
		    "list pointer and count disagree");
		FUZZ_CHECK(a->str == NULL && !a->literal, "list fields");
		w->nargs += a->count;
		for (i = 0; i < a->count; i++)
			check_arg(w, &a->list[i], depth + 1);
		break;
	default:
		FUZZ_CHECK(0, "argument type %d", (int)a->type);
	}
}

void
fuzz_common_check_cmd(const struct acap_cmd *cmd, enum acap_parser_mode mode,
    const struct acap_limits *lim)
{
	struct walk w;
	size_t i, n;

	FUZZ_CHECK(cmd != NULL, "no command on a 1 return");
	FUZZ_CHECK(cmd->nargs >= 1 && cmd->args != NULL, "empty command");
	switch (mode) {
	case ACAP_PARSER_SASL_LINE:
		/* RFC 2244 §6.3.1: one string, or "*" to cancel */
		FUZZ_CHECK(cmd->tag == NULL, "tag in SASL_LINE mode");
		FUZZ_CHECK(cmd->nargs == 1, "%zu SASL arguments", cmd->nargs);
		FUZZ_CHECK(cmd->args[0].type == ACAP_ARG_STRING ||
		    (cmd->args[0].type == ACAP_ARG_ATOM &&
		    strcmp(cmd->args[0].str, "*") == 0), "SASL line kind");
		break;
	case ACAP_PARSER_RESPONSE:
		FUZZ_CHECK(cmd->tag != NULL, "response without tag");
		if (strcmp(cmd->tag, "+") == 0) {
			/* §2.5: "+" SP string */
			FUZZ_CHECK(cmd->nargs == 1 &&
			    cmd->args[0].type == ACAP_ARG_STRING,
			    "continuation shape");
			break;
		}
		if (strcmp(cmd->tag, "*") == 0)
			goto name;
		/* FALLTHROUGH */
	case ACAP_PARSER_COMMAND:
		FUZZ_CHECK(cmd->tag != NULL, "command without tag");
		n = strlen(cmd->tag);
		FUZZ_CHECK(n >= 1 && n <= TAG_MAX, "tag of %zu octets", n);
		for (i = 0; i < n; i++)
			FUZZ_CHECK(tag_char((unsigned char)cmd->tag[i]),
			    "octet 0x%02x in tag",
			    (unsigned char)cmd->tag[i]);
name:
		FUZZ_CHECK(cmd->args[0].type == ACAP_ARG_ATOM &&
		    alpha((unsigned char)cmd->args[0].str[0]),
		    "name is not an atom starting with ALPHA");
		break;
	}
	memset(&w, 0, sizeof(w));
	w.lim = lim;
	for (i = 0; i < cmd->nargs; i++)
		check_arg(&w, &cmd->args[i], 0);
	/* args[0] is not counted against max_args (acap-parser.h) */
	FUZZ_CHECK(w.nargs + cmd->nargs - 1 <= lim->max_args,
	    "%zu arguments, limit %u", w.nargs + cmd->nargs - 1,
	    lim->max_args);
	FUZZ_CHECK(w.octets <= lim->max_command, "%zu octets, limit %zu",
	    w.octets, lim->max_command);
}

static void
dump_arg(struct acap_buf *b, const struct acap_arg *a, bool with_literal)
{
	size_t i;

	switch (a->type) {
	case ACAP_ARG_ATOM:
		acap_buf_printf(b, "A%zu:", a->len);
		acap_buf_add(b, a->str, a->len);
		break;
	case ACAP_ARG_NIL:
		acap_buf_addstr(b, "N");
		break;
	case ACAP_ARG_STRING:
		acap_buf_printf(b, "%s%zu:", with_literal && a->literal ?
		    "L" : "S", a->len);
		acap_buf_add(b, a->str, a->len);
		break;
	case ACAP_ARG_LIST:
		acap_buf_printf(b, "(%zu:", a->count);
		for (i = 0; i < a->count; i++)
			dump_arg(b, &a->list[i], with_literal);
		acap_buf_addch(b, ')');
		break;
	}
}

void
fuzz_common_dump_cmd(struct acap_buf *b, const struct acap_cmd *cmd,
    bool with_literal)
{
	size_t i;

	if (cmd->tag != NULL)
		acap_buf_printf(b, "T%zu:%s", strlen(cmd->tag), cmd->tag);
	else
		acap_buf_addstr(b, "T-");
	acap_buf_printf(b, "#%zu", cmd->nargs);
	for (i = 0; i < cmd->nargs; i++)
		dump_arg(b, &cmd->args[i], with_literal);
	acap_buf_addch(b, '\n');
}

static void
write_arg(struct acap_buf *b, const struct acap_arg *a)
{
	size_t i;

	switch (a->type) {
	case ACAP_ARG_ATOM:
		acap_buf_add(b, a->str, a->len);
		break;
	case ACAP_ARG_NIL:
		acap_buf_addstr(b, "NIL");
		break;
	case ACAP_ARG_STRING:
		acap_buf_add_string(b, a->str, a->len);
		break;
	case ACAP_ARG_LIST:
		acap_buf_addch(b, '(');
		for (i = 0; i < a->count; i++) {
			if (i > 0)
				acap_buf_addch(b, ' ');
			write_arg(b, &a->list[i]);
		}
		acap_buf_addch(b, ')');
		break;
	}
}

void
fuzz_common_write_cmd(struct acap_buf *b, const struct acap_cmd *cmd)
{
	size_t i;

	if (cmd->tag != NULL) {
		acap_buf_addstr(b, cmd->tag);
		acap_buf_addch(b, ' ');
	}
	for (i = 0; i < cmd->nargs; i++) {
		if (i > 0)
			acap_buf_addch(b, ' ');
		write_arg(b, &cmd->args[i]);
	}
	acap_buf_addstr(b, "\r\n");
}

int
fuzz_common_parse_one(enum acap_parser_mode mode, const char *buf,
    size_t len, struct acap_buf *dump, size_t *used_r, const char **err_r)
{
	static char errcopy[256];
	struct acap_limits lim;
	struct acap_parser *p;
	const struct acap_cmd *cmd = NULL;
	const char *err;
	size_t off = 0, used;
	int r = 0;

	*used_r = 0;
	*err_r = NULL;
	fuzz_common_wide_limits(&lim);
	p = acap_parser_new(mode, &lim);
	while (off < len) {
		r = acap_parser_feed(p, buf + off, len - off, &used, &cmd);
		off += used;
		if (r != 0)
			break;
		if (acap_parser_want_continuation(p))
			acap_parser_continue(p);
		else
			FUZZ_CHECK(off == len, "0 return with input left");
	}
	if (r == 1) {
		fuzz_common_check_cmd(cmd, mode, &lim);
		fuzz_common_dump_cmd(dump, cmd, false);
		*used_r = off;
	} else if (r == -1) {
		err = acap_parser_error(p, NULL, NULL);
		FUZZ_CHECK(err != NULL, "-1 without a reason");
		snprintf(errcopy, sizeof(errcopy), "%s", err);
		*err_r = errcopy;
	}
	acap_parser_free(&p);
	FUZZ_CHECK(p == NULL, "acap_parser_free() left the pointer");
	return r;
}
