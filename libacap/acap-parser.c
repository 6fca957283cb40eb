/*
 * acap-parser.c -- incremental parser for ACAP commands and responses.
 *
 * Owns the bytes of the line being read, the framing state (literals,
 * limits, resynchronisation after an error) and the per-command arena that
 * holds the argument tree.  Grammar: RFC 2244 §2.2, §2.5, §2.6 and §8.
 *
 * One file (about 1,300 lines): one incremental state machine over the
 * command grammar (RFC 2244 §2.6, §8) and its limits.
 */
#include "autoconf.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acap-parser.h"

/*
 * Design.  Bytes are framed into lines first: while a line arrives we track
 * whether we are inside a quoted string and whether the line so far ends
 * with a "{n}" or "{n+}" literal announcement outside quotes.  A complete
 * line is tokenized at once into the tree; a literal announced at its end
 * is then read straight into the arena and the command continues with the
 * next line (RFC 2244 §2.6.3).  Tokenizing whole lines keeps the tokenizer
 * simple (it never stops inside a token) and lets us reject a bad line
 * before asking for a synchronizing literal, as RFC 2244 §2.5 intends.
 *
 * Line ends: CRLF is the protocol's line end (RFC 2244 §2.2).  We also take
 * a bare LF as a line end, because hand-driven test tools often send one,
 * except inside a quoted string, where it is an (invalid) octet;
 * a CR that is not followed by LF is an ordinary (and, in every token,
 * invalid) octet.
 *
 * After an error that leaves the stream in sync we keep reading and
 * discarding the rest of the command without buffering it: lines up to
 * their end, non-synchronizing literals by their count (RFC 2244 §6.9).  A
 * line that announces a synchronizing literal ends the bad command, since
 * the client sends nothing more of it after our BAD (RFC 2244 §2.2.1).
 */

#define QUOTED_MAX	1024	/* RFC 2244 §2.6.3 */
#define ATOM_MAX	1024	/* RFC 2244 §2.6.1 */
#define TAG_MAX		32	/* RFC 2244 §8 tag */
#define LITLEN_DIGITS	10	/* a 32-bit number has at most 10 digits */

/* Kept across commands so an idle connection costs little (see reset). */
#define ARENA_FIRST	256	/* bytes, block header included */
#define ARENA_STEP_MAX	65536
#define LINE_KEEP	128	/* line buffer capacity kept between commands */
/*
 * Line buffer capacity beyond this is asked of the literal hook like
 * literal octets: a long line (a STORE of thousands of attributes) holds
 * memory as a literal does, and is bounded with them.
 */
#define LINE_UNCOUNTED	65536
/* Literals this size or larger get a buffer that grows as octets arrive. */
#define LIT_GROW_MIN	1024

struct block {
	struct block *next;		/* older block */
	size_t cap;
	size_t used;
	max_align_t data[];
};

/* An argument while its list is still open. */
struct node {
	struct acap_arg arg;
	struct node *next;
};

/* An open list (or the command's top level). */
struct frame {
	struct node *head;
	struct node *tail;
	size_t count;
	struct frame *up;
};

enum pstate {
	PS_LINE,		/* reading a line */
	PS_WAIT,		/* {n} announced; waiting for continue/reject */
	PS_LITERAL,		/* reading (or skipping) literal octets */
	PS_FATAL,		/* stream out of sync until reset */
};

/* Where the tokenizer is in the command's grammar. */
enum stage {
	STG_TAG,		/* first line not tokenized yet */
	STG_NAME,		/* expecting the command/response name */
	STG_ARGS,		/* any arguments */
	STG_CONT,		/* RESPONSE "+": expecting one string */
	STG_SASL,		/* SASL_LINE: expecting one string or "*" */
	STG_END,		/* only the end of the line may follow */
};

/* What the previous item was, which decides what may follow. */
enum prev {
	PV_SPACE,		/* SP, or start of the arguments */
	PV_OPEN,		/* "(" */
	PV_TOKEN,		/* atom, NIL, quoted string or literal */
	PV_CLOSE,		/* ")" */
};

/* Recognising a literal announcement at the end of the line. */
enum brace {
	BR_NONE,
	BR_OPEN,		/* "{" */
	BR_DIGITS,		/* "{" 1*DIGIT */
	BR_PLUS,		/* "{" 1*DIGIT "+" */
	BR_CLOSE,		/* "{" 1*DIGIT ["+"] "}" */
};

struct acap_parser {
	enum acap_parser_mode next_mode;	/* for the next command */
	struct acap_limits next_lim;
	enum acap_parser_mode mode;		/* of the current command */
	struct acap_limits lim;

	enum pstate state;
	bool busy;		/* some bytes of a command were consumed */
	bool finished;		/* 1/-1 returned or rejected: reset next feed */
	bool discard;		/* error recorded: skip to the command's end */
	/* acap_parser_set_literal_hook() */
	const char *(*lit_hook)(void *arg, size_t n);
	void *lit_hook_arg;

	/* The current line, without its line end. */
	char *line;
	size_t line_len;
	size_t line_cap;
	bool cr;		/* a CR was seen; is LF next? */
	bool in_quote;
	bool quote_esc;
	enum brace brace;
	bool brace_plus;	/* "{n+}" */
	unsigned int brace_digits;
	uint64_t brace_val;
	size_t brace_off;	/* offset of the "{" in the line */
	size_t total;		/* octets of the command so far */

	/* The literal being read. */
	uint32_t lit_len;
	uint32_t lit_got;
	char *lit_buf;		/* NULL while discarding */
	struct block *lit;	/* lit_buf's block while a large one grows */

	/* Tokenizer. */
	enum stage stage;
	enum prev prev;
	unsigned int depth;
	size_t nargs;		/* nodes counted against max_args */
	struct frame top;
	struct frame *cur;
	const char *tag;
	const char *name;

	struct acap_cmd cmd;
	const char *err;
	const char *err_tag;
	bool err_fatal;

	struct block *arena;	/* newest first; first_block is the oldest */
	struct block *first_block;
	size_t arena_step;	/* size of the next new block */
	size_t arena_bytes;	/* malloc'd by the arena */
};

static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		abort();
	return p;
}

static void *
xrealloc(void *old, size_t n)
{
	void *p;

	if ((p = realloc(old, n == 0 ? 1 : n)) == NULL)
		abort();
	return p;
}

/*
 * RFC 2244 §8:
 *   ATOM-CHAR     = "!" / %x23-27 / %x2A-5B / %x5D-7A / %x7C-7E
 *                   ;; Any CHAR except ATOM-SPECIALS
 *   ATOM-SPECIALS = "(" / ")" / "{" / SP / CTL / QUOTED-SPECIALS
 */
static bool
is_atom_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x27) ||
	    (c >= 0x2a && c <= 0x5b) || (c >= 0x5d && c <= 0x7a) ||
	    (c >= 0x7c && c <= 0x7e);
}

/*
 * RFC 2244 §8:
 *   TAG-CHAR = %x21 / %x23-27 / %x2C-5B / %x5D-7A / %x7C-7E
 *              ;; Any ATOM-CHAR except "*" or "+"
 */
static bool
is_tag_char(unsigned char c)
{
	return is_atom_char(c) && c != '*' && c != '+';
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Arena: bump allocation in blocks, all freed but the first on reset. */

static void
arena_first(struct acap_parser *p)
{
	struct block *b;

	if (p->first_block != NULL)
		return;
	/* always small: it is the block kept between commands */
	b = xmalloc(ARENA_FIRST);
	b->cap = ARENA_FIRST - sizeof(*b);
	b->used = 0;
	b->next = NULL;
	p->arena = p->first_block = b;
	p->arena_bytes += ARENA_FIRST;
}

static void *
arena_alloc(struct acap_parser *p, size_t size)
{
	struct block *b;
	size_t cap;
	void *r;

	size = (size + alignof(max_align_t) - 1) &
	    ~(alignof(max_align_t) - 1);
	arena_first(p);
	b = p->arena;
	if (b->cap - b->used >= size) {
		r = (char *)b->data + b->used;
		b->used += size;
		return r;
	}
	cap = p->arena_step;
	if (p->arena_step < ARENA_STEP_MAX)
		p->arena_step *= 2;
	if (cap < size)
		cap = size;
	b = xmalloc(sizeof(*b) + cap);
	b->cap = cap;
	b->used = size;
	b->next = p->arena;
	p->arena = b;
	p->arena_bytes += sizeof(*b) + cap;
	return b->data;
}

/*
 * Hand a full block (a completed large literal) to the arena, behind the
 * newest block so that the newest one's free room stays in use.  It is
 * freed with the command like any other block.
 */
static void
arena_adopt(struct acap_parser *p, struct block *b)
{
	arena_first(p);
	b->used = b->cap;
	b->next = p->arena->next;
	p->arena->next = b;
	p->arena_bytes += sizeof(*b) + b->cap;
}

static void
arena_reset(struct acap_parser *p)
{
	struct block *b, *next;

	/* an adopted block may sit behind the first one */
	for (b = p->arena; b != NULL; b = next) {
		next = b->next;
		if (b == p->first_block)
			continue;
		p->arena_bytes -= sizeof(*b) + b->cap;
		free(b);
	}
	p->arena = p->first_block;
	if (p->arena != NULL) {
		p->arena->used = 0;
		p->arena->next = NULL;
	}
	p->arena_step = 1024;
}

static char *
arena_strndup(struct acap_parser *p, const char *s, size_t len)
{
	char *r = arena_alloc(p, len + 1);

	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

/* Command state. */

/* Forget the previous command; keep the first arena block. */
static void
command_clear(struct acap_parser *p)
{
	arena_reset(p);
	if (p->line_cap > LINE_KEEP) {
		free(p->line);
		p->line = NULL;
		p->line_cap = 0;
	}
	p->line_len = 0;
	p->cr = false;
	p->in_quote = false;
	p->quote_esc = false;
	p->brace = BR_NONE;
	p->total = 0;
	p->lit_len = 0;
	p->lit_got = 0;
	p->lit_buf = NULL;
	free(p->lit);
	p->lit = NULL;
	p->state = PS_LINE;
	p->busy = false;
	p->finished = false;
	p->discard = false;
	p->depth = 0;
	p->nargs = 0;
	memset(&p->top, 0, sizeof(p->top));
	p->cur = &p->top;
	p->tag = NULL;
	p->name = NULL;
	memset(&p->cmd, 0, sizeof(p->cmd));
	p->err = NULL;
	p->err_tag = NULL;
	p->err_fatal = false;
}

/* The first octet of a command arrived: mode and limits are now fixed. */
static void
command_start(struct acap_parser *p)
{
	p->mode = p->next_mode;
	p->lim = p->next_lim;
	p->busy = true;
	p->stage = p->mode == ACAP_PARSER_SASL_LINE ? STG_SASL : STG_TAG;
	p->prev = PV_SPACE;
}

/*
 * An error was found before the first line could be tokenized (it is too
 * long, or the command is): still report the tag if the line starts with
 * one, so the caller can answer with a tagged BAD.
 */
static void
recover_tag(struct acap_parser *p)
{
	size_t n = 0;

	if (p->tag != NULL || p->stage != STG_TAG)
		return;
	if (p->mode == ACAP_PARSER_RESPONSE && p->line_len >= 2 &&
	    (p->line[0] == '*' || p->line[0] == '+') && p->line[1] == ' ') {
		p->tag = p->line[0] == '*' ? "*" : "+";
		return;
	}
	while (n < p->line_len && n <= TAG_MAX &&
	    is_tag_char((unsigned char)p->line[n]))
		n++;
	if (n == 0 || n > TAG_MAX || n >= p->line_len || p->line[n] != ' ')
		return;
	p->tag = arena_strndup(p, p->line, n);
}

/* Record the first error of the command; the rest of it is discarded. */
static void
set_error(struct acap_parser *p, const char *msg)
{
	if (p->discard)
		return;
	recover_tag(p);
	p->discard = true;
	p->err = msg;
	p->err_tag = p->tag;
	p->err_fatal = false;
}

/* The stream cannot be resynchronised: the caller must close. */
static int
set_fatal(struct acap_parser *p, const char *msg)
{
	if (!p->discard) {
		recover_tag(p);
		p->err_tag = p->tag;
	}
	p->err = msg;		/* the reason we close wins */
	p->discard = true;
	p->err_fatal = true;
	p->state = PS_FATAL;
	return -1;
}

static int
finish_error(struct acap_parser *p)
{
	p->finished = true;
	p->busy = false;
	p->state = PS_LINE;
	return -1;
}

/* Tree building. */

static const char *
name_error(const struct acap_parser *p)
{
	return p->mode == ACAP_PARSER_RESPONSE ? "invalid response name" :
	    "invalid command name";
}

/*
 * A token (or "(") is about to be added: check the grammar stage and the
 * argument limit.  kind is the token's first octet ('(' '"' '{' or an
 * atom's first octet); atom_len is the atom's length (0 otherwise).
 */
static bool
token_allowed(struct acap_parser *p, unsigned char kind, size_t atom_len)
{
	switch (p->stage) {
	case STG_NAME:
		if (!is_alpha(kind)) {
			set_error(p, name_error(p));
			return false;
		}
		break;
	case STG_CONT:
		if (kind != '"' && kind != '{') {
			set_error(p, "continuation request needs a string");
			return false;
		}
		break;
	case STG_SASL:
		/* RFC 2244 §6.3.1: a string, or "*" to cancel. */
		if (kind != '"' && kind != '{' &&
		    !(kind == '*' && atom_len == 1)) {
			set_error(p, "invalid SASL response");
			return false;
		}
		break;
	case STG_END:
		set_error(p, p->mode == ACAP_PARSER_SASL_LINE ?
		    "unexpected data after SASL response" :
		    "unexpected data after continuation string");
		return false;
	case STG_ARGS:
		break;
	case STG_TAG:
		abort();
	}
	/* args[0], the name (or the only string), is not counted. */
	if (p->cur != &p->top || p->top.count > 0) {
		if (p->nargs >= p->lim.max_args) {
			set_error(p, "too many arguments");
			return false;
		}
		p->nargs++;
	}
	return true;
}

static void
add_node(struct acap_parser *p, const struct acap_arg *a)
{
	struct node *n = arena_alloc(p, sizeof(*n));

	n->arg = *a;
	n->next = NULL;
	if (p->cur->tail != NULL)
		p->cur->tail->next = n;
	else
		p->cur->head = n;
	p->cur->tail = n;
	p->cur->count++;

	switch (p->stage) {
	case STG_NAME:
		p->name = a->str;
		p->stage = STG_ARGS;
		break;
	case STG_CONT:
	case STG_SASL:
		p->stage = STG_END;
		break;
	default:
		break;
	}
}

static void
add_string(struct acap_parser *p, const char *s, size_t len, bool literal)
{
	struct acap_arg a;

	memset(&a, 0, sizeof(a));
	a.type = ACAP_ARG_STRING;
	a.literal = literal;
	a.str = s;
	a.len = len;
	add_node(p, &a);
}

/* The elements of a frame as one array in the arena. */
static const struct acap_arg *
frame_array(struct acap_parser *p, const struct frame *f)
{
	struct acap_arg *v;
	const struct node *n;
	size_t i = 0;

	if (f->count == 0)
		return NULL;
	v = arena_alloc(p, f->count * sizeof(*v));
	for (n = f->head; n != NULL; n = n->next)
		v[i++] = n->arg;
	return v;
}

static bool
open_list(struct acap_parser *p)
{
	struct frame *f;

	if (p->stage != STG_ARGS) {
		token_allowed(p, '(', 0);	/* reports the stage error */
		return false;
	}
	if (!token_allowed(p, '(', 0))
		return false;
	/* RFC 2244 §2.6: lists nest; we bound how deep. */
	if (p->depth >= p->lim.max_depth) {
		set_error(p, "lists nested too deeply");
		return false;
	}
	f = arena_alloc(p, sizeof(*f));
	memset(f, 0, sizeof(*f));
	f->up = p->cur;
	p->cur = f;
	p->depth++;
	return true;
}

static bool
close_list(struct acap_parser *p)
{
	struct frame *f = p->cur;
	struct acap_arg a;

	if (p->depth == 0) {
		set_error(p, "unexpected ')'");
		return false;
	}
	memset(&a, 0, sizeof(a));
	a.type = ACAP_ARG_LIST;
	a.list = frame_array(p, f);
	a.count = f->count;
	p->cur = f->up;
	p->depth--;
	add_node(p, &a);
	return true;
}

/* Tokenizer: one complete line, or the part before its literal. */

/*
 * tag = 1*32TAG-CHAR (RFC 2244 §8).  In RESPONSE mode the line may also
 * start with "*" (untagged) or "+" (continuation request, §2.5).
 */
static bool
read_tag(struct acap_parser *p, const char *s, size_t end, size_t *ip)
{
	size_t n = 0;

	if (p->mode == ACAP_PARSER_RESPONSE && end > 0 &&
	    (s[0] == '*' || s[0] == '+')) {
		if (end == 1 && p->line_len == 1) {
			set_error(p, s[0] == '*' ? "missing response name" :
			    "continuation request needs a string");
			return false;
		}
		if (end == 1 || s[1] != ' ') {
			set_error(p, "invalid tag");
			return false;
		}
		p->tag = s[0] == '*' ? "*" : "+";
		p->stage = s[0] == '*' ? STG_NAME : STG_CONT;
		p->prev = PV_SPACE;
		*ip = 2;
		return true;
	}
	while (n < end && n <= TAG_MAX && is_tag_char((unsigned char)s[n]))
		n++;
	if (n == 0 || n > TAG_MAX || (n < end && s[n] != ' ') ||
	    (n == end && end < p->line_len)) {
		/* empty, too long, bad octet, or "tag{5}" */
		set_error(p, "invalid tag");
		return false;
	}
	p->tag = arena_strndup(p, s, n);
	p->stage = STG_NAME;
	p->prev = PV_SPACE;
	*ip = n < end ? n + 1 : n;
	return true;
}

/*
 * quoted = <"> *QUOTED-CHAR <">, at most 1024 octets between the quotes
 * (RFC 2244 §2.6.3, §8); QUOTED-CHAR = SAFE-UTF8-CHAR / "\" QUOTED-SPECIALS.
 * The limit counts the octets as sent, escapes included.  Octets >= 0x80
 * are taken as they come: UTF-8 validity matters only where the grammar
 * says string-utf8, which acap_arg_is_string_utf8() checks.
 */
static bool
read_quoted(struct acap_parser *p, const char *s, size_t end, size_t *ip)
{
	size_t i = *ip + 1, start = i, dlen = 0, j;
	char *out, *o;
	unsigned char c;

	for (;;) {
		if (i >= end) {
			set_error(p, "unterminated quoted string");
			return false;
		}
		c = (unsigned char)s[i];
		if (c == '"')
			break;
		if (c == '\\') {
			if (i + 1 >= end) {
				set_error(p, "unterminated quoted string");
				return false;
			}
			c = (unsigned char)s[i + 1];
			if (c != '"' && c != '\\') {
				set_error(p, "invalid escape in quoted string");
				return false;
			}
			i += 2;
		} else if (c == '\r' || c == '\n') {
			set_error(p, "CR or LF in quoted string");
			return false;
		} else {
			i++;
		}
		dlen++;
		if (i - start > QUOTED_MAX) {
			set_error(p, "quoted string longer than 1024 octets");
			return false;
		}
	}
	if (!token_allowed(p, '"', 0))
		return false;
	out = o = arena_alloc(p, dlen + 1);
	for (j = start; j < i; j++) {
		if (s[j] == '\\')
			j++;
		*o++ = s[j];
	}
	*o = '\0';
	add_string(p, out, dlen, false);
	*ip = i + 1;
	return true;
}

/*
 * atom = ALPHA *1023ATOM-CHAR (RFC 2244 §2.6.1).  In argument position we
 * also take atoms that start with a digit (number, §2.6.2, checked by
 * acap-arg.c; also the bare time of ACAP-NOTES §2) and the lone "*" that
 * cancels AUTHENTICATE (§6.3.1).
 */
static bool
read_atom(struct acap_parser *p, const char *s, size_t end, size_t *ip)
{
	size_t i = *ip, j = i, n;
	unsigned char c0 = (unsigned char)s[i];
	struct acap_arg a;

	while (j < end && is_atom_char((unsigned char)s[j]))
		j++;
	n = j - i;
	if (j < end && s[j] != ' ' && s[j] != '(' && s[j] != ')') {
		set_error(p, "invalid character in atom");
		return false;
	}
	if (n > ATOM_MAX) {
		set_error(p, "atom longer than 1024 characters");
		return false;
	}
	if (!is_alpha(c0) && !is_digit(c0) && !(c0 == '*' && n == 1)) {
		if (p->stage == STG_NAME)
			set_error(p, name_error(p));
		else if (p->stage == STG_SASL)
			set_error(p, "invalid SASL response");
		else
			set_error(p, "invalid atom");
		return false;
	}
	if (!token_allowed(p, c0, n))
		return false;
	memset(&a, 0, sizeof(a));
	if (p->stage != STG_NAME && n == 3 && (s[i] | 0x20) == 'n' &&
	    (s[i + 1] | 0x20) == 'i' && (s[i + 2] | 0x20) == 'l') {
		a.type = ACAP_ARG_NIL;
		a.str = "NIL";
	} else {
		a.type = ACAP_ARG_ATOM;
		a.str = arena_strndup(p, s + i, n);
	}
	a.len = n;
	add_node(p, &a);
	*ip = j;
	return true;
}

/*
 * Tokenize p->line[0..end).  When lit is true a literal announcement
 * starts at end: check that a string may appear there.  Errors go to
 * set_error().
 */
static void
tokenize(struct acap_parser *p, size_t end, bool lit)
{
	const char *s = p->line;
	size_t i = 0;
	unsigned char c;

	if (p->stage == STG_TAG && !read_tag(p, s, end, &i))
		return;
	while (i < end) {
		c = (unsigned char)s[i];
		if (c == ' ') {
			/* RFC 2244 §8: exactly one SP between items. */
			if (p->prev == PV_SPACE || p->prev == PV_OPEN) {
				set_error(p, "unexpected space");
				return;
			}
			p->prev = PV_SPACE;
			i++;
			continue;
		}
		if (c == ')') {
			if (p->depth > 0 && p->prev == PV_SPACE) {
				set_error(p, "unexpected space");
				return;
			}
			if (!close_list(p))
				return;
			p->prev = PV_CLOSE;
			i++;
			continue;
		}
		/*
		 * A token starts here: after SP or "(", or -- leniently --
		 * a "(" right after a string or atom, as RFC 2244's own
		 * metadata rule writes it: "attr"("value" "size").
		 */
		if (p->prev == PV_CLOSE ||
		    (p->prev == PV_TOKEN && c != '(')) {
			set_error(p, "missing space between arguments");
			return;
		}
		if (c == '(') {
			if (!open_list(p))
				return;
			p->prev = PV_OPEN;
			i++;
			continue;
		}
		if (c == '"') {
			if (!read_quoted(p, s, end, &i))
				return;
		} else if (c == '{') {
			set_error(p, "invalid literal");
			return;
		} else if (is_atom_char(c)) {
			if (!read_atom(p, s, end, &i))
				return;
		} else {
			set_error(p, "invalid character");
			return;
		}
		p->prev = PV_TOKEN;
	}
	if (!lit)
		return;
	if (p->stage == STG_TAG)
		return;		/* read_tag() reported it */
	if (p->prev == PV_TOKEN || p->prev == PV_CLOSE) {
		set_error(p, "missing space between arguments");
		return;
	}
	if (p->stage == STG_NAME) {
		set_error(p, name_error(p));
		return;
	}
	token_allowed(p, '{', 0);
}

/* The command is complete: final checks, then hand it out. */
static int
finish_command(struct acap_parser *p)
{
	switch (p->stage) {
	case STG_NAME:
		set_error(p, p->mode == ACAP_PARSER_RESPONSE ?
		    "missing response name" : "missing command name");
		break;
	case STG_CONT:
		set_error(p, "continuation request needs a string");
		break;
	case STG_SASL:
		set_error(p, "invalid SASL response");
		break;
	default:
		break;
	}
	if (!p->discard && p->depth > 0)
		set_error(p, "unterminated list");
	if (!p->discard && p->prev == PV_SPACE)
		set_error(p, "unexpected space at end of line");
	if (p->discard)
		return finish_error(p);

	p->cmd.tag = p->mode == ACAP_PARSER_SASL_LINE ? NULL : p->tag;
	p->cmd.args = frame_array(p, &p->top);
	p->cmd.nargs = p->top.count;
	p->finished = true;
	p->busy = false;
	return 1;
}

/* Framing. */

/*
 * Track quoted strings and a trailing "{" 1*DIGIT ["+"] "}" outside them,
 * for one octet of line content.
 */
static void
track(struct acap_parser *p, unsigned char c)
{
	if (p->in_quote) {
		if (p->quote_esc)
			p->quote_esc = false;
		else if (c == '\\')
			p->quote_esc = true;
		else if (c == '"')
			p->in_quote = false;
		return;
	}
	switch (c) {
	case '"':
		p->in_quote = true;
		p->brace = BR_NONE;
		return;
	case '{':
		p->brace = BR_OPEN;
		p->brace_plus = false;
		p->brace_digits = 0;
		p->brace_val = 0;
		p->brace_off = p->line_len;
		return;
	case '+':
		if (p->brace == BR_DIGITS) {
			p->brace = BR_PLUS;
			p->brace_plus = true;
		} else {
			p->brace = BR_NONE;
		}
		return;
	case '}':
		p->brace = p->brace == BR_DIGITS || p->brace == BR_PLUS ?
		    BR_CLOSE : BR_NONE;
		return;
	default:
		break;
	}
	if (is_digit(c) && (p->brace == BR_OPEN || p->brace == BR_DIGITS)) {
		p->brace = BR_DIGITS;
		/* saturate: a discarded line may be arbitrarily long */
		if (p->brace_digits <= LITLEN_DIGITS) {
			p->brace_val = p->brace_val * 10 + (c - '0');
			p->brace_digits++;
		}
		return;
	}
	p->brace = BR_NONE;
}

/* One octet of line content (line end excluded). */
static void
line_octet(struct acap_parser *p, unsigned char c)
{
	const char *why;
	size_t ncap;

	track(p, c);
	if (p->discard)
		return;
	if (p->line_len >= p->lim.max_line) {
		set_error(p, "line too long");
		return;
	}
	if (p->line_len == p->line_cap) {
		ncap = p->line_cap == 0 ? 64 : p->line_cap * 2;
		if (ncap > p->lim.max_line)
			ncap = p->lim.max_line;
		if (ncap > LINE_UNCOUNTED && p->lit_hook != NULL &&
		    (why = p->lit_hook(p->lit_hook_arg, ncap -
		    (p->line_cap > LINE_UNCOUNTED ? p->line_cap :
		    LINE_UNCOUNTED))) != NULL) {
			set_error(p, why);
			return;
		}
		p->line = xrealloc(p->line, ncap);
		p->line_cap = ncap;
	}
	p->line[p->line_len++] = (char)c;
}

/*
 * Make room for need octets (the terminating NUL included) in the buffer
 * of a large literal.  It doubles from LIT_GROW_MIN up to the announced
 * size, so what the parser holds follows the octets received, not the
 * size announced: "{4000000}" alone costs LIT_GROW_MIN octets.  The
 * announced size itself is bounded by max_literal and max_command.
 */
static void
literal_grow(struct acap_parser *p, size_t need)
{
	size_t cap = p->lit != NULL ? p->lit->cap : 0;
	size_t max = (size_t)p->lit_len + 1;

	if (need <= cap)
		return;
	cap = cap == 0 ? LIT_GROW_MIN : cap * 2;
	if (cap < need)
		cap = need;
	if (cap > max)
		cap = max;
	if (p->lit == NULL) {
		p->lit = xmalloc(sizeof(*p->lit) + cap);
		p->lit->next = NULL;
		p->lit->used = 0;
	} else
		p->lit = xrealloc(p->lit, sizeof(*p->lit) + cap);
	p->lit->cap = cap;
	p->lit_buf = (char *)p->lit->data;
}

/* The octets of the literal announced (lit_len) come next. */
static void
literal_start(struct acap_parser *p)
{
	p->lit_got = 0;
	p->state = PS_LITERAL;
	if (p->discard)
		p->lit_buf = NULL;
	else if (p->lit_len < LIT_GROW_MIN)
		p->lit_buf = arena_alloc(p, (size_t)p->lit_len + 1);
	else
		literal_grow(p, 1);
}

/*
 * A line ended.  Tokenize it, then either finish the command or set up
 * the literal announced at its end.
 */
static int
line_end(struct acap_parser *p)
{
	bool lit = !p->in_quote && p->brace == BR_CLOSE;
	bool sync = lit && !p->brace_plus;
	bool valid = p->brace_digits >= 1 && p->brace_digits <= LITLEN_DIGITS &&
	    p->brace_val <= UINT32_MAX;
	uint64_t n = p->brace_val;
	size_t end = lit ? p->brace_off : p->line_len;
	const char *why;

	p->cr = false;
	p->in_quote = false;
	p->quote_esc = false;
	p->brace = BR_NONE;

	if (!p->discard && p->line_len == 0) {
		if (p->stage == STG_TAG) {
			/* RFC 2244 §6.2.7: answered by an untagged BAD */
			set_error(p, "empty command line");
		} else if (p->stage == STG_SASL) {
			set_error(p, "empty line");
		}
	}
	if (!p->discard)
		tokenize(p, end, lit);
	p->line_len = 0;
	if (!lit)
		return p->discard ? finish_error(p) : finish_command(p);

	if (sync && p->mode != ACAP_PARSER_RESPONSE) {
		/*
		 * RFC 2244 §2.6.3: the client waits for "+" before sending
		 * the octets; after a BAD it sends nothing more of the
		 * command, so a refusal here leaves the stream in sync.
		 */
		if (!p->discard) {
			if (!valid)
				set_error(p, "invalid literal size");
			else if (n > p->lim.max_literal)
				set_error(p, "literal too large");
			else if (p->total + n > p->lim.max_command)
				set_error(p, "command too large");
			else if (p->lit_hook != NULL &&
			    (why = p->lit_hook(p->lit_hook_arg, (size_t)n)) !=
			    NULL)
				set_error(p, why);
		}
		if (p->discard)
			return finish_error(p);
		p->lit_len = (uint32_t)n;
		p->lit_got = 0;
		p->state = PS_WAIT;	/* acap_parser_continue() reads it */
		return 0;
	}

	/*
	 * The octets follow at once: a {n+} literal from a client, or any
	 * literal from a server (RFC 2244 §2.6.3).  We must read past them
	 * to stay in sync, so one we will not read is fatal.
	 */
	if (!valid)
		return set_fatal(p, "invalid literal size");
	if (p->mode == ACAP_PARSER_RESPONSE && n > p->lim.max_literal)
		return set_fatal(p, "literal too large");
	if (p->mode != ACAP_PARSER_RESPONSE &&
	    n > p->lim.max_nonsync_literal)
		return set_fatal(p, "non-synchronizing literal too large");
	if (!p->discard && p->total + n > p->lim.max_command)
		set_error(p, "command too large");
	if (!p->discard && p->lit_hook != NULL &&
	    (why = p->lit_hook(p->lit_hook_arg, (size_t)n)) != NULL)
		return set_fatal(p, why);
	p->lit_len = (uint32_t)n;
	literal_start(p);
	return 0;
}

static size_t
literal_octets(struct acap_parser *p, const char *buf, size_t len)
{
	size_t n = p->lit_len - p->lit_got;

	if (n > len)
		n = len;
	if (p->lit != NULL)
		literal_grow(p, (size_t)p->lit_got + n + 1);
	if (p->lit_buf != NULL)
		memcpy(p->lit_buf + p->lit_got, buf, n);
	p->lit_got += (uint32_t)n;
	p->total += n;
	return n;
}

static void
literal_done(struct acap_parser *p)
{
	if (p->lit_buf != NULL && !p->discard) {
		p->lit_buf[p->lit_len] = '\0';
		if (p->lit != NULL) {
			arena_adopt(p, p->lit);
			p->lit = NULL;
		}
		add_string(p, p->lit_buf, p->lit_len, true);
		/* §2.6.3: SP and more arguments, or the line end, follow */
		p->prev = PV_TOKEN;
	}
	p->lit_buf = NULL;
	p->state = PS_LINE;
}

/* Public interface. */

struct acap_parser *
acap_parser_new(enum acap_parser_mode mode, const struct acap_limits *lim)
{
	struct acap_parser *p;

	p = xmalloc(sizeof(*p));
	memset(p, 0, sizeof(*p));
	p->next_mode = p->mode = mode;
	p->next_lim = p->lim = *lim;
	command_clear(p);
	return p;
}

void
acap_parser_free(struct acap_parser **pp)
{
	struct acap_parser *p = *pp;
	struct block *b, *next;

	if (p == NULL)
		return;
	for (b = p->arena; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(p->lit);
	free(p->line);
	free(p);
	*pp = NULL;
}

void
acap_parser_set_literal_hook(struct acap_parser *p,
    const char *(*hook)(void *arg, size_t n), void *arg)
{
	p->lit_hook = hook;
	p->lit_hook_arg = arg;
}

void
acap_parser_set_mode(struct acap_parser *p, enum acap_parser_mode mode)
{
	p->next_mode = mode;
}

void
acap_parser_set_limits(struct acap_parser *p, const struct acap_limits *lim)
{
	p->next_lim = *lim;
}

int
acap_parser_feed(struct acap_parser *p, const char *buf, size_t len,
    size_t *used_r, const struct acap_cmd **cmd_r)
{
	size_t i = 0;
	unsigned char c;
	int r = 0;

	*used_r = 0;
	*cmd_r = NULL;
	if (p->state == PS_FATAL)
		return -1;
	if (p->finished)
		command_clear(p);
	for (;;) {
		if (p->state == PS_LITERAL && p->lit_got == p->lit_len)
			literal_done(p);
		if (i == len || p->state == PS_WAIT)
			break;
		if (!p->busy)
			command_start(p);
		if (p->state == PS_LITERAL) {
			i += literal_octets(p, buf + i, len - i);
			continue;
		}
		c = (unsigned char)buf[i++];
		if (++p->total > p->lim.max_command)
			set_error(p, "command too large");
		if (c == '\n' && !p->cr && p->in_quote) {
			/*
			 * A bare LF inside a quoted string does not end the
			 * line (RFC 2244 §2.2: lines end in CRLF); it makes
			 * the string invalid, so the whole line gets one BAD
			 * and its tail is never run as a command.
			 */
			line_octet(p, c);
			continue;
		}
		if (c == '\n') {
			if ((r = line_end(p)) != 0)
				break;
			continue;
		}
		if (p->cr) {
			p->cr = false;
			line_octet(p, '\r');
		}
		if (c == '\r')
			p->cr = true;
		else
			line_octet(p, c);
	}
	*used_r = i;
	if (r == 1)
		*cmd_r = &p->cmd;
	return r;
}

bool
acap_parser_want_continuation(const struct acap_parser *p)
{
	return p->state == PS_WAIT;
}

size_t
acap_parser_pending_literal(const struct acap_parser *p)
{
	return p->state == PS_WAIT ? p->lit_len : 0;
}

void
acap_parser_continue(struct acap_parser *p)
{
	if (p->state != PS_WAIT)
		return;
	literal_start(p);
}

void
acap_parser_reject(struct acap_parser *p)
{
	if (p->state != PS_WAIT)
		return;
	/* the tag stays readable until the next feed, for the BAD */
	p->state = PS_LINE;
	p->finished = true;
	p->busy = false;
}

const char *
acap_parser_error(const struct acap_parser *p, const char **tag_r,
    bool *fatal_r)
{
	if (tag_r != NULL)
		*tag_r = p->err != NULL ? p->err_tag : NULL;
	if (fatal_r != NULL)
		*fatal_r = p->err != NULL && p->err_fatal;
	return p->err;
}

const char *
acap_parser_tag(const struct acap_parser *p)
{
	return p->mode == ACAP_PARSER_SASL_LINE ? NULL : p->tag;
}

const char *
acap_parser_command_name(const struct acap_parser *p)
{
	return p->mode == ACAP_PARSER_SASL_LINE ? NULL : p->name;
}

void
acap_parser_reset(struct acap_parser *p)
{
	command_clear(p);
}

bool
acap_parser_idle(const struct acap_parser *p)
{
	return p->state == PS_LINE && !p->busy;
}

size_t
acap_parser_memory(const struct acap_parser *p)
{
	return sizeof(*p) + p->line_cap + p->arena_bytes +
	    (p->lit != NULL ? sizeof(*p->lit) + p->lit->cap : 0);
}
